// ONNX reading: weight sources (initializers, Constant nodes, outer-scope
// names from subgraphs, external data), encodings (raw_data, typed fields,
// float16, bfloat16), and each layer kind's output channel axis. Expected
// values are written out here, independently of the reader.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "model_test_support.hpp"
#include "onnx_builder.hpp"
#include "quantcheck/onnx/layers.hpp"
#include "quantcheck/onnx/tensor.hpp"

namespace quantcheck::onnx {
namespace {

using namespace testing;
using T = pb::TensorProto;
namespace fs = std::filesystem;

std::vector<float> iota_floats(std::size_t n, float scale = 0.25f) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = (static_cast<float>(i) - static_cast<float>(n) / 2) * scale;
  return v;
}

OnnxFile open_model(const std::string& name, const pb::ModelProto& m) {
  return OnnxFile::open(write_model(name, m));
}

pb::ModelProto one_node(const pb::NodeProto& n, std::vector<T> inits, std::int64_t opset = 13) {
  pb::GraphProto g;
  *g.add_node() = n;
  for (auto& t : inits) *g.add_initializer() = t;
  add_io(g, {n.input(0)}, {n.output(0)});
  return make_model(g, opset);
}

TEST(OnnxLayers, ConvIsChannelAxisZeroAndDepthwiseByGroup) {
  const auto w = iota_floats(4 * 3 * 3 * 3);
  const auto f = open_model("conv.onnx", one_node(node("Conv", {"x", "w", "b"}, {"y"}),
                                                  {float_tensor("w", {4, 3, 3, 3}, w),
                                                   float_tensor("b", {4}, {1, 2, 3, 4})}));
  const auto layers = find_layers(f);
  ASSERT_EQ(layers.size(), 1u);
  EXPECT_EQ(layers[0].channels, 4);
  EXPECT_EQ(layers[0].layer.channel_axis, 0);
  EXPECT_EQ(layers[0].layer.kind, OpKind::conv2d);
  EXPECT_EQ(layers[0].layer.name, "w");
  const Case c = float_case(f, layers[0]);
  EXPECT_EQ(c.weights, w);
  EXPECT_EQ(c.bias, (std::vector<float>{1, 2, 3, 4}));

  const auto dw =
      open_model("dw.onnx", one_node(node("Conv", {"x", "w"}, {"y"}, {{"group", 8}}),
                                     {float_tensor("w", {8, 1, 3, 3}, iota_floats(72))}));
  EXPECT_EQ(find_layers(dw)[0].layer.kind, OpKind::depthwise_conv2d);
  EXPECT_EQ(find_layers(dw)[0].channels, 8);
}

TEST(OnnxLayers, Conv1dWeightIsFoldedToRank4) {
  const auto f = open_model(
      "conv1d.onnx",
      one_node(node("Conv", {"x", "w"}, {"y"}), {float_tensor("w", {5, 2, 3}, iota_floats(30))}));
  const auto l = find_layers(f);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(canonical_shape(l[0]), (std::vector<std::int64_t>{5, 2, 1, 3}));
}

TEST(OnnxLayers, GemmTransBAndMatMulTransposeToChannelsFirst) {
  // B [K=3, N=2] stored row-major: b[k][n] = 10k + n.
  const std::vector<float> b{0, 1, 10, 11, 20, 21};
  const std::vector<float> by_channel{0, 10, 20, 1, 11, 21};  // [n][k]
  for (const std::string op : {"Gemm", "MatMul"}) {
    const auto f = open_model(
        op + ".onnx", one_node(node(op, {"x", "B"}, {"y"}), {float_tensor("B", {3, 2}, b)}));
    const auto l = find_layers(f);
    ASSERT_EQ(l.size(), 1u) << op;
    EXPECT_EQ(l[0].channels, 2) << op;
    EXPECT_EQ(l[0].layer.channel_axis, 1) << op;
    EXPECT_EQ(float_case(f, l[0]).weights, by_channel) << op;
  }
  const auto t = open_model(
      "gemm_t.onnx",
      one_node(node("Gemm", {"x", "B", "C"}, {"y"}, {{"transB", 1}}),
               {float_tensor("B", {2, 3}, by_channel), float_tensor("C", {2}, {0.5f, -0.5f})}));
  const auto l = find_layers(t);
  EXPECT_EQ(l[0].layer.channel_axis, 0);
  EXPECT_EQ(float_case(t, l[0]).weights, by_channel);
  EXPECT_EQ(float_case(t, l[0]).bias, (std::vector<float>{0.5f, -0.5f}));
}

TEST(OnnxLayers, MatMulOfTwoActivationsIsNotALayer) {
  pb::GraphProto g;
  *g.add_node() = node("MatMul", {"x", "z"}, {"y"});
  add_io(g, {"x", "z"}, {"y"});
  EXPECT_TRUE(find_layers(open_model("mm2.onnx", make_model(g))).empty());
}

TEST(OnnxLayers, ConvTransposeOutputChannelsAreAxisOneTimesGroup) {
  // group 1: W [C_in=2, C_out=3, 1, 1], w[i][o] = 10i + o; channel o holds w[.][o].
  const auto f =
      open_model("ct.onnx", one_node(node("ConvTranspose", {"x", "W"}, {"y"}),
                                     {float_tensor("W", {2, 3, 1, 1}, {0, 1, 2, 10, 11, 12})}));
  const auto l = find_layers(f);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].channels, 3);
  EXPECT_EQ(l[0].layer.channel_axis, 1);
  EXPECT_EQ(float_case(f, l[0]).weights, (std::vector<float>{0, 10, 1, 11, 2, 12}));
  // group 2: W [C_in=4, C_out/g=1, 1, 1]; out channel 0 reads inputs 0,1, channel 1 inputs 2,3.
  const auto g2 =
      open_model("ct2.onnx", one_node(node("ConvTranspose", {"x", "W"}, {"y"}, {{"group", 2}}),
                                      {float_tensor("W", {4, 1, 1, 1}, {1, 2, 3, 4})}));
  const auto l2 = find_layers(g2);
  EXPECT_EQ(l2[0].channels, 2);
  EXPECT_EQ(float_case(g2, l2[0]).weights, (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(canonical_shape(l2[0]), (std::vector<std::int64_t>{2, 2, 1, 1}));
}

TEST(OnnxLayers, ConstantNodeIsAWeightSource) {
  pb::GraphProto g;
  auto c = node("Constant", {}, {"w"});
  auto* a = c.add_attribute();
  a->set_name("value");
  a->set_type(pb::AttributeProto::TENSOR);
  *a->mutable_t() = float_tensor("w_value", {2, 1, 1, 1}, {0.5f, -2.0f});
  *g.add_node() = c;
  *g.add_node() = node("Conv", {"x", "w"}, {"y"});
  add_io(g, {"x"}, {"y"});
  const auto f = open_model("const.onnx", make_model(g));
  const auto l = find_layers(f);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(float_case(f, l[0]).weights, (std::vector<float>{0.5f, -2.0f}));
}

TEST(OnnxLayers, SubgraphLayerFindsOuterScopeInitializer) {
  pb::GraphProto then_g, else_g;
  then_g.set_name("then");
  *then_g.add_node() = node("Conv", {"x", "outer_w"}, {"t"});
  add_io(then_g, {}, {"t"});
  else_g.set_name("else");
  *else_g.add_node() = node("Gemm", {"x", "outer_b"}, {"e"}, {{"transB", 1}});
  add_io(else_g, {}, {"e"});
  pb::GraphProto g;
  auto ifn = node("If", {"cond"}, {"y"});
  auto* a = ifn.add_attribute();
  a->set_name("then_branch");
  a->set_type(pb::AttributeProto::GRAPH);
  *a->mutable_g() = then_g;
  auto* b = ifn.add_attribute();
  b->set_name("else_branch");
  b->set_type(pb::AttributeProto::GRAPH);
  *b->mutable_g() = else_g;
  *g.add_node() = ifn;
  *g.add_initializer() = float_tensor("outer_w", {3, 2, 3}, iota_floats(18));
  *g.add_initializer() = float_tensor("outer_b", {4, 5}, iota_floats(20));
  add_io(g, {"x", "cond"}, {"y"});
  const auto l = find_layers(open_model("if.onnx", make_model(g, 18)));
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].layer.subgraph, 1u);
  EXPECT_EQ(l[0].layer.name, "outer_w");
  EXPECT_EQ(l[0].channels, 3);
  EXPECT_EQ(l[1].layer.subgraph, 2u);
  EXPECT_EQ(l[1].channels, 4);
}

TEST(OnnxLayers, InnerNameShadowsOuterInitializer) {
  // The subgraph computes its own "w" (an Identity of x): not the outer constant.
  pb::GraphProto body;
  *body.add_node() = node("Identity", {"x"}, {"w"});
  *body.add_node() = node("Conv", {"x", "w"}, {"t"});
  add_io(body, {}, {"t"});
  pb::GraphProto g;
  auto ifn = node("If", {"cond"}, {"y"});
  auto* a = ifn.add_attribute();
  a->set_name("then_branch");
  a->set_type(pb::AttributeProto::GRAPH);
  *a->mutable_g() = body;
  *g.add_node() = ifn;
  *g.add_initializer() = float_tensor("w", {1, 1, 1}, {1});
  add_io(g, {"x", "cond"}, {"y"});
  EXPECT_TRUE(find_layers(open_model("shadow.onnx", make_model(g, 18))).empty());
}

TEST(OnnxTensors, EveryEncodingReadsTheSameValues) {
  // Values exact in float16 and bfloat16.
  const std::vector<float> v{1.0f, -2.0f, 0.5f, 0.0f, 3.0f, -0.125f};
  for (const Encoding e : {Encoding::raw, Encoding::typed, Encoding::float16, Encoding::bfloat16,
                           Encoding::float16_typed}) {
    const auto f = open_model("enc.onnx", one_node(node("Gemm", {"x", "B"}, {"y"}, {{"transB", 1}}),
                                                   {float_tensor("B", {2, 3}, v, e)}));
    EXPECT_EQ(float_case(f, find_layers(f)[0]).weights, v) << static_cast<int>(e);
  }
  // bfloat16 0x3F80 is 1.0, 0xC0A0 is -5.0 (the top half of the float32).
  EXPECT_EQ(bfloat16_to_float(0x3F80), 1.0f);
  EXPECT_EQ(bfloat16_to_float(0xC0A0), -5.0f);
}

TEST(OnnxTensors, IntegerTypesRawAndTyped) {
  const std::vector<std::int64_t> v{-3, 0, 7, 100};
  for (const bool typed : {false, true})
    for (const std::int32_t type : {T::INT8, T::INT16, T::INT32, T::INT64}) {
      const auto t = int_tensor("q", type, {4}, v, typed);
      const auto f = open_model("i.onnx", one_node(node("Identity", {"x"}, {"y"}), {t}));
      EXPECT_EQ(read_integers(f, t, "q"), v) << type << " " << typed;
    }
  const auto u = int_tensor("u", T::UINT16, {2}, {65535, 1});
  const auto f = open_model("u.onnx", one_node(node("Identity", {"x"}, {"y"}), {u}));
  EXPECT_EQ(read_integers(f, u, "u"), (std::vector<std::int64_t>{65535, 1}));
}

TEST(OnnxTensors, UnusedOpsetImportsAreIgnored) {
  auto m = one_node(node("Conv", {"x", "w"}, {"y"}), {float_tensor("w", {2, 1, 1, 1}, {1, 2})});
  auto* o = m.add_opset_import();
  o->set_domain("ai.onnx.ml");
  o->set_version(2);
  auto* p = m.add_opset_import();
  p->set_domain("com.example.unused");
  p->set_version(99);
  EXPECT_EQ(find_layers(open_model("opsets.onnx", m)).size(), 1u);
}

// External data: a file next to the model, [offset, offset + length).
struct External : ::testing::Test {
  fs::path dir;
  void SetUp() override {
    dir = fs::path(model::testing::temp_path("ext_dir"));
    fs::remove_all(dir);
    fs::create_directories(dir / "sub");
    const std::vector<float> v{1.5f, -2.5f};
    std::ofstream(dir / "sub" / "w.bin", std::ios::binary)
        << std::string(8, 'x') << std::string(reinterpret_cast<const char*>(v.data()), 8);
  }
  std::string model_with(const std::string& location, const std::string& offset,
                         const std::string& length, const std::string& name = "m.onnx") {
    T w;
    w.set_name("w");
    w.set_data_type(T::FLOAT);
    w.add_dims(2);
    w.add_dims(1);
    w.add_dims(1);
    w.add_dims(1);
    w.set_data_location(T::EXTERNAL);
    auto kv = [&](const std::string& k, const std::string& v) {
      if (v.empty()) return;
      auto* e = w.add_external_data();
      e->set_key(k);
      e->set_value(v);
    };
    kv("location", location);
    kv("offset", offset);
    kv("length", length);
    const auto m = one_node(node("Conv", {"x", "w"}, {"y"}), {w});
    const std::string path = (dir / name).string();
    std::ofstream(path, std::ios::binary) << serialize(m);
    return path;
  }
  std::string error_of(const std::string& path) {
    try {
      const auto f = OnnxFile::open(path);
      float_case(f, find_layers(f)[0]);
    } catch (const ModelError& e) {
      return e.what();
    }
    return "";
  }
};

TEST_F(External, ReadsInsideTheDirectory) {
  const auto f = OnnxFile::open(model_with("sub/w.bin", "8", "8"));
  EXPECT_EQ(float_case(f, find_layers(f)[0]).weights, (std::vector<float>{1.5f, -2.5f}));
}

TEST_F(External, RefusesEveryWayOut) {
  EXPECT_NE(error_of(model_with("/etc/passwd", "0", "8")).find("absolute"), std::string::npos);
  EXPECT_NE(error_of(model_with("../ext_dir/sub/w.bin", "8", "8")).find("leaves"),
            std::string::npos);
  EXPECT_NE(error_of(model_with("sub/../../x.bin", "0", "8")).find("leaves"), std::string::npos);
  const fs::path outside = dir.parent_path() / "outside.bin";
  std::ofstream(outside, std::ios::binary) << std::string(16, '\0');
  fs::remove(dir / "link.bin");
  fs::create_symlink(outside, dir / "link.bin");
  EXPECT_NE(error_of(model_with("link.bin", "0", "8")).find("resolves outside"), std::string::npos);
  EXPECT_NE(error_of(model_with("missing.bin", "0", "8")).find("not found"), std::string::npos);
  EXPECT_NE(error_of(model_with("sub/w.bin", "12", "8")).find("outside"), std::string::npos);
  EXPECT_NE(error_of(model_with("sub/w.bin", "0", "2147483648")).find("length"), std::string::npos);
  EXPECT_NE(error_of(model_with("sub/w.bin", "-1", "8")).find("offset"), std::string::npos);
  EXPECT_NE(error_of(model_with("", "0", "8")).find("without a location"), std::string::npos);
}

}  // namespace
}  // namespace quantcheck::onnx
