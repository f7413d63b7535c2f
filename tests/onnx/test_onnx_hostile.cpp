// Hostile ONNX files: every one is refused with one ModelError/InputError
// line (exit 2 in the CLI), never a crash, a hang or another exception. Run
// under ASan/UBSan in the asan build.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "model_test_support.hpp"
#include "onnx_builder.hpp"
#include "quantcheck/onnx/check.hpp"
#include "quantcheck/onnx/identify.hpp"
#include "quantcheck/onnx/layers.hpp"
#include "quantcheck/onnx/twin.hpp"
#include "quantcheck/presets.hpp"

namespace quantcheck::onnx {
namespace {

using namespace testing;
using T = pb::TensorProto;

// Reads bytes as every command would. Returns "" when accepted, the error
// line when refused cleanly; other exceptions escape and fail the test.
std::string exercise(const std::string& bytes) {
  try {
    const auto f =
        OnnxFile::parse(model::testing::temp_path("hostile.onnx"), bytes.data(), bytes.size());
    model::CheckOptions o;
    o.policies = {find_preset("reference")};
    check_model(f, o);
    verify_model(f, nullptr);
    const auto layers = find_layers(f);
    if (std::all_of(layers.begin(), layers.end(),
                    [](const OnnxLayer& l) { return l.form == Form::float_op; })) {
      TwinOptions t;  // quantize-model takes float models only
      t.policy = o.policies[0];
      t.emit_quantized = true;
      make_twin(f, t);
    } else {
      identify_model(f, presets());  // identify reads quantized models only
    }
    return "";
  } catch (const InputError& e) {
    return e.what();
  } catch (const UsageError& e) {
    return e.what();
  }
}

pb::ModelProto conv_model() {
  pb::GraphProto g;
  *g.add_initializer() = float_tensor("w", {2, 1, 1, 3}, {0.5f, -1, 2, 0.25f, 1e-3f, -4});
  *g.add_initializer() = float_tensor("b", {2}, {0.1f, -0.2f}, Encoding::typed);
  *g.add_node() = node("Conv", {"x", "w", "b"}, {"h"});
  *g.add_initializer() = float_tensor("B", {2, 2}, {1, 2, 3, 4}, Encoding::float16);
  *g.add_node() = node("MatMul", {"h", "B"}, {"y"});
  add_io(g, {"x"}, {"y"});
  return make_model(g);
}

pb::ModelProto qdq_model() {
  pb::GraphProto g;
  *g.add_initializer() = float_tensor("sx", {}, {0.1f});
  *g.add_initializer() = int_tensor("wq", T::INT8, {2, 1, 1, 1}, {3, -4});
  *g.add_initializer() = float_tensor("sw", {2}, {0.1f, 0.2f});
  *g.add_initializer() = int_tensor("bq", T::INT32, {2}, {7, -9}, true);
  *g.add_initializer() = float_tensor("sb", {2}, {0.01f, 0.02f});
  *g.add_node() = node("DequantizeLinear", {"xq", "sx"}, {"x"});
  *g.add_node() = node("DequantizeLinear", {"wq", "sw"}, {"w"}, {{"axis", 0}});
  *g.add_node() = node("DequantizeLinear", {"bq", "sb"}, {"b"}, {{"axis", 0}});
  *g.add_node() = node("Conv", {"x", "w", "b"}, {"y"});
  add_io(g, {"xq"}, {"y"});
  return make_model(g);
}

pb::ModelProto if_model() {
  pb::GraphProto body;
  *body.add_node() = node("Gemm", {"x", "W"}, {"t"}, {{"transB", 1}});
  add_io(body, {}, {"t"});
  pb::GraphProto g;
  auto n = node("If", {"c"}, {"y"});
  auto* a = n.add_attribute();
  a->set_name("then_branch");
  a->set_type(pb::AttributeProto::GRAPH);
  *a->mutable_g() = body;
  *g.add_node() = n;
  *g.add_initializer() = float_tensor("W", {3, 2}, {1, 2, 3, 4, 5, 6}, Encoding::bfloat16);
  add_io(g, {"x", "c"}, {"y"});
  return make_model(g, 18);
}

TEST(OnnxHostile, SeedsAreAccepted) {
  for (const auto& m : {conv_model(), qdq_model(), if_model()})
    EXPECT_EQ(exercise(serialize(m)), "");
}

TEST(OnnxHostile, TwoHundredFiftyMutatedModelsFailCleanly) {
  std::mt19937 rng(13);
  const std::vector<std::string> seeds{serialize(conv_model()), serialize(qdq_model()),
                                       serialize(if_model())};
  int refused = 0, total = 0;
  for (int i = 0; i < 300; ++i, ++total) {
    std::string b = seeds[static_cast<std::size_t>(i) % seeds.size()];
    switch (i % 5) {
      case 0: b.resize(rng() % b.size()); break;  // truncated
      case 1:                                     // random bytes overwritten
        for (int k = 0; k < 1 + i % 7; ++k) b[rng() % b.size()] = static_cast<char>(rng());
        break;
      case 2: {  // a wire type changed (low 3 bits of a byte)
        auto& c = b[rng() % b.size()];
        c = static_cast<char>((c & ~7) | (rng() % 8));
        break;
      }
      case 3:  // bytes inserted
        b.insert(rng() % b.size(), std::string(1 + rng() % 9, static_cast<char>(rng())));
        break;
      case 4:  // a varint set to its largest value (lengths, dims, types)
        b[rng() % b.size()] = static_cast<char>(0xff);
        break;
    }
    refused += !exercise(b).empty();  // anything but a clean error fails here
  }
  EXPECT_EQ(total, 300);
  EXPECT_GT(refused, 100);  // most mutations are caught, none crash
}

void expect_refused(const pb::ModelProto& m, const std::string& part) {
  const std::string e = exercise(serialize(m));
  EXPECT_NE(e.find(part), std::string::npos) << "error was: '" << e << "'";
  EXPECT_EQ(e.find('\n'), std::string::npos);
}

TEST(OnnxHostile, TruncatedAndWrongWireType) {
  const std::string b = serialize(conv_model());
  EXPECT_NE(exercise(b.substr(0, b.size() / 2)).find("truncated or corrupt"), std::string::npos);
  // Field 7 (graph) is length-delimited: tag 0x3A. As a varint (0x38) it is a wrong wire type.
  std::string w = b;
  const auto at = w.find('\x3a');
  ASSERT_NE(at, std::string::npos);
  w[at] = '\x38';
  EXPECT_FALSE(exercise(w).empty());
  EXPECT_NE(exercise("").find("empty"), std::string::npos);
}

TEST(OnnxHostile, AbsurdAndNegativeDims) {
  auto m = conv_model();
  auto* w = m.mutable_graph()->mutable_initializer(0);
  w->set_dims(0, std::int64_t{1} << 40);
  expect_refused(m, "more than 2^31 elements");
  w->set_dims(0, -2);
  expect_refused(m, "dimension 0 is -2");
}

TEST(OnnxHostile, RawDataShorterThanShape) {
  auto m = conv_model();
  m.mutable_graph()->mutable_initializer(0)->mutable_raw_data()->resize(8);
  expect_refused(m, "raw_data holds 8 bytes, its shape needs 24");
  auto t = conv_model();
  t.mutable_graph()->mutable_initializer(1)->mutable_float_data()->RemoveLast();
  expect_refused(t, "float_data holds 1 values");
}

TEST(OnnxHostile, ExternalDataOutsideAndTwoGigabyteLength) {
  auto m = conv_model();
  auto* w = m.mutable_graph()->mutable_initializer(0);
  w->clear_raw_data();
  w->set_data_location(T::EXTERNAL);
  auto* e = w->add_external_data();
  e->set_key("location");
  e->set_value("../../../etc/passwd");
  expect_refused(m, "leaves the model's directory");
  e->set_value("/etc/passwd");
  expect_refused(m, "absolute");
  const std::string dir = model::testing::temp_path("");
  std::ofstream(model::testing::temp_path("data.bin"), std::ios::binary) << std::string(24, '\0');
  e->set_value("data.bin");
  auto* len = w->add_external_data();
  len->set_key("length");
  len->set_value("2147483648");
  expect_refused(m, "external data length 2147483648");
}

TEST(OnnxHostile, DeeplyNestedSubgraphs) {
  // 20 nested If bodies: refused by quantcheck's depth limit; 80 by protobuf's.
  for (const int depth : {20, 80}) {
    pb::GraphProto g;
    add_io(g, {"c"}, {"y"});
    for (int d = 0; d < depth; ++d) {
      pb::GraphProto outer;
      auto n = node("If", {"c"}, {"y"});
      auto* a = n.add_attribute();
      a->set_name("then_branch");
      a->set_type(pb::AttributeProto::GRAPH);
      *a->mutable_g() = g;
      *outer.add_node() = n;
      add_io(outer, {"c"}, {"y"});
      g = outer;
    }
    EXPECT_FALSE(exercise(serialize(make_model(g))).empty()) << depth;
  }
}

TEST(OnnxHostile, CycleOfQuantizeDequantizeNodesTerminates) {
  // DQ(Q(DQ(...))) feeding itself: the tracer follows at most two steps.
  pb::GraphProto g;
  *g.add_initializer() = float_tensor("s", {}, {0.1f});
  *g.add_node() = node("QuantizeLinear", {"d", "s"}, {"q"});
  *g.add_node() = node("DequantizeLinear", {"q", "s"}, {"d"});
  *g.add_node() = node("Conv", {"x", "d"}, {"y"});
  add_io(g, {"x"}, {"y"});
  EXPECT_EQ(exercise(serialize(make_model(g))), "");
}

TEST(OnnxHostile, BadQuantizationParameters) {
  auto m = qdq_model();
  m.mutable_graph()->mutable_initializer(2)->set_dims(0, 3);  // 3 scales for 2 channels
  m.mutable_graph()->mutable_initializer(2)->mutable_raw_data()->append(4, '\0');
  expect_refused(m, "3 scales along axis 0");
  auto g0 = conv_model();
  auto* a = g0.mutable_graph()->mutable_node(0)->add_attribute();
  a->set_name("group");
  a->set_type(pb::AttributeProto::INT);
  a->set_i(0);
  expect_refused(g0, "group 0");
}

TEST(OnnxHostile, CliPrintsOneLineAndExitsTwo) {
  const std::string b = serialize(conv_model());
  const std::string path = model::testing::temp_path("truncated.onnx");
  std::ofstream(path, std::ios::binary) << b.substr(0, b.size() - 5);
  for (const std::string cmd : {"check", "verify"}) {
    const auto r = model::testing::run_cli({cmd, path});
    EXPECT_EQ(r.exit_code, 2) << cmd;
    EXPECT_TRUE(r.out.empty()) << cmd;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  const auto q = model::testing::run_cli(
      {"quantize-model", path, "-o", model::testing::temp_path("never.onnx"), "-p", "reference",
       "--input-scale", "0.01", "--emit-quantized"});
  EXPECT_EQ(q.exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(model::testing::temp_path("never.onnx")));
}

}  // namespace
}  // namespace quantcheck::onnx
