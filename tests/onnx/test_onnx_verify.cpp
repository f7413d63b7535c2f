// verify on QDQ and QOperator models, and the QDQ twin quantize-model writes.
// Scales and integers here are chosen by hand; the expected findings follow
// from the definitions in docs/onnx.md, not from the code.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "model_test_support.hpp"
#include "onnx_builder.hpp"
#include "quantcheck/model/synthetic.hpp"
#include "quantcheck/model/tensor_data.hpp"
#include "quantcheck/model/twin.hpp"
#include "quantcheck/onnx/check.hpp"
#include "quantcheck/onnx/layers.hpp"
#include "quantcheck/onnx/tensor.hpp"
#include "quantcheck/onnx/twin.hpp"
#include "quantcheck/presets.hpp"

namespace quantcheck::onnx {
namespace {

using namespace testing;
using T = pb::TensorProto;

// x -> DQ(xq, s_x, zp_x) -> Conv(w: DQ(int8 [2,1,1,2] per-channel axis 0), b: DQ(int32, s_b)).
struct QdqConv {
  float s_x = 0.02f;
  std::vector<float> s_w{0.01f, 0.5f};
  std::vector<float> s_b;  // default: s_x * s_w
  std::vector<std::int64_t> w{1, -2, 127, -127};
  std::vector<std::int64_t> b{100, -200};
  std::int64_t axis = 0;
  bool scalar_x_scale = true;

  pb::ModelProto build() const {
    pb::GraphProto g;
    auto sb = s_b;
    if (sb.empty())
      for (float s : s_w) sb.push_back(s_x * s);
    *g.add_initializer() =
        scalar_x_scale ? float_tensor("s_x", {}, {s_x}) : float_tensor("s_x", {1}, {s_x});
    *g.add_initializer() = int_tensor("zp_x", T::UINT8, {}, {128});
    *g.add_initializer() = int_tensor("wq", T::INT8, {2, 1, 1, 2}, w);
    *g.add_initializer() = float_tensor("s_w", {static_cast<std::int64_t>(s_w.size())}, s_w);
    *g.add_initializer() = int_tensor("zp_w", T::INT8, {static_cast<std::int64_t>(s_w.size())},
                                      std::vector<std::int64_t>(s_w.size(), 0));
    *g.add_initializer() = int_tensor("bq", T::INT32, {2}, b);
    *g.add_initializer() = float_tensor("s_b", {static_cast<std::int64_t>(sb.size())}, sb);
    *g.add_node() = node("DequantizeLinear", {"xq", "s_x", "zp_x"}, {"x"});
    *g.add_node() = node("DequantizeLinear", {"wq", "s_w", "zp_w"}, {"w"}, {{"axis", axis}});
    *g.add_node() = node("DequantizeLinear", {"bq", "s_b"}, {"bias"}, {{"axis", 0}});
    *g.add_node() = node("Conv", {"x", "w", "bias"}, {"y"});
    add_io(g, {"xq"}, {"y"});
    return make_model(g);
  }
};

std::vector<std::string> kinds(const model::VerifyReport& r) {
  std::vector<std::string> k;
  for (const auto& f : r.findings) k.push_back(f.kind);
  return k;
}

model::VerifyReport verify_of(const std::string& name, const pb::ModelProto& m) {
  return verify_model(OnnxFile::open(write_model(name, m)), nullptr);
}

TEST(OnnxVerify, CleanQdqConvHasNoFindings) {
  const auto r = verify_of("qdq.onnx", QdqConv{}.build());
  ASSERT_EQ(r.layers.size(), 1u);
  EXPECT_TRUE(r.findings.empty()) << r.findings[0].message;
  EXPECT_EQ(r.quantized_layers, 1);
  EXPECT_TRUE(r.layers[0].per_channel);
  EXPECT_EQ(r.layers[0].weight_type, "INT8");
  EXPECT_EQ(r.layers[0].input_type, "UINT8");
  EXPECT_EQ(r.layers[0].max_abs_bias, 200);
  EXPECT_FLOAT_EQ(r.min_weight_scale, 0.01f);
  // Headroom: INT32_MAX - max_c(|b| + sum|w| * max|x - 128|) = ... channel 1: 200 + 254 * 128.
  EXPECT_EQ(r.layers[0].headroom, 2147483647.0 - (200 + 254 * 128));
}

TEST(OnnxVerify, ScalarAndShapeOneScalesAreBothPerTensor) {
  QdqConv q;
  q.scalar_x_scale = false;
  EXPECT_TRUE(verify_of("qdq1.onnx", q.build()).findings.empty());
}

TEST(OnnxVerify, BiasScaleNotInputTimesWeightScaleIsFound) {
  // ORT PR #28229's condition: s_b must be s_x * s_w[c].
  QdqConv q;
  q.s_b = {0.02f * 0.01f, 0.02f * 0.5f * 1.001f};
  const auto r = verify_of("mismatch.onnx", q.build());
  ASSERT_EQ(kinds(r), std::vector<std::string>{"bias_scale_mismatch"});
  EXPECT_EQ(r.findings[0].channel, 1);
  // Float rounding of the product is tolerated: one float32 ulp off is fine.
  q.s_b = {std::nextafter(0.02f * 0.01f, 1.0f), 0.02f * 0.5f};
  EXPECT_TRUE(verify_of("ulp.onnx", q.build()).findings.empty());
}

TEST(OnnxVerify, SaturatedBiasAndNoHeadroom) {
  QdqConv q;
  q.b = {2147483647, 0};
  const auto r = verify_of("sat.onnx", q.build());
  const auto k = kinds(r);
  EXPECT_NE(std::find(k.begin(), k.end(), "bias_saturation_suspect"), k.end());
  EXPECT_NE(std::find(k.begin(), k.end(), "no_headroom"), k.end());
}

TEST(OnnxVerify, PerChannelAlongTheWrongAxis) {
  QdqConv q;
  q.axis = 3;  // [2,1,1,2]: axis 3 also has 2 entries, but is not the output channel axis
  EXPECT_EQ(kinds(verify_of("axis.onnx", q.build())),
            std::vector<std::string>{"quantized_dimension"});
}

TEST(OnnxVerify, InvalidScaleAndZeroPointOutsideType) {
  QdqConv q;
  q.s_w = {0.0f, 0.5f};
  q.s_b = {1e-3f, 0.01f};
  const auto k = kinds(verify_of("zero_scale.onnx", q.build()));
  EXPECT_NE(std::find(k.begin(), k.end(), "invalid_scale"), k.end());
}

TEST(OnnxVerify, QLinearConvAndTheIntegerOpsAreFound) {
  pb::GraphProto g;
  *g.add_initializer() = float_tensor("xs", {}, {0.1f});
  *g.add_initializer() = int_tensor("xz", T::INT8, {}, {0});
  *g.add_initializer() = int_tensor("w", T::INT8, {3, 1, 1, 1}, {1, 2, 3});
  *g.add_initializer() = float_tensor("ws", {3}, {0.1f, 0.2f, 0.3f});
  *g.add_initializer() = int_tensor("wz", T::INT8, {3}, {0, 0, 0});
  *g.add_initializer() = float_tensor("ys", {}, {0.5f});
  *g.add_initializer() = int_tensor("yz", T::INT8, {}, {0});
  *g.add_initializer() = int_tensor("b", T::INT32, {3}, {5, 2147483647, 7});
  *g.add_initializer() = int_tensor("m", T::UINT8, {4, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  *g.add_initializer() = float_tensor("ms", {2}, {0.1f, 0.2f});
  *g.add_initializer() = int_tensor("mz", T::UINT8, {2}, {3, 3});
  *g.add_node() = node("QLinearConv", {"x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"}, {"y"});
  *g.add_node() = node("QLinearMatMul", {"x", "xs", "xz", "m", "ms", "mz", "ys", "yz"}, {"y2"});
  *g.add_node() = node("ConvInteger", {"x", "w", "xz", "wz"}, {"y3"});
  *g.add_node() = node("MatMulInteger", {"x", "m", "xz", "mz"}, {"y4"});
  *g.add_node() = node("QGemm", {"x", "xs", "xz", "m", "ms", "mz"}, {"y5"}, {}, "com.microsoft");
  add_io(g, {"x"}, {"y"});
  const auto f = OnnxFile::open(write_model("qop.onnx", make_model(g, 13, {{"com.microsoft", 1}})));
  const auto l = find_layers(f);
  ASSERT_EQ(l.size(), 5u);
  EXPECT_EQ(l[0].layer.op_name, "QLinearConv");
  EXPECT_EQ(l[0].channels, 3);
  EXPECT_EQ(l[1].channels, 2);  // [K=4, N=2]
  EXPECT_EQ(l[4].layer.op_name, "QGemm");
  for (const auto& x : l) EXPECT_EQ(x.form, Form::qoperator);
  const auto r = verify_model(f, nullptr);
  EXPECT_EQ(r.quantized_layers, 5);
  // The saturated QLinearConv bias is found in channel 1.
  bool saturated = false;
  for (const auto& x : r.findings)
    saturated |= x.kind == "bias_saturation_suspect" && x.channel == 1;
  EXPECT_TRUE(saturated);
}

TEST(OnnxVerify, FakeQuantizedWeightsAreAuditedOnTheirIntegers) {
  // PyTorch QAT export: float weight -> QuantizeLinear -> DequantizeLinear (axis 0).
  pb::GraphProto g;
  *g.add_initializer() = float_tensor("w", {2, 1, 1, 1}, {0.5f, 1e-9f});
  *g.add_initializer() = float_tensor("s", {2}, {0.01f, 0.01f});
  *g.add_initializer() = int_tensor("z", T::INT8, {2}, {0, 0});
  *g.add_node() = node("QuantizeLinear", {"w", "s", "z"}, {"wq"}, {{"axis", 0}});
  *g.add_node() = node("DequantizeLinear", {"wq", "s", "z"}, {"wd"}, {{"axis", 0}});
  *g.add_node() = node("Conv", {"x", "wd"}, {"y"});
  add_io(g, {"x"}, {"y"});
  const auto r = verify_of("fq.onnx", make_model(g));
  ASSERT_EQ(r.layers.size(), 1u);
  EXPECT_TRUE(r.layers[0].quantized);
  ASSERT_EQ(r.layers[0].dead.size(), 1u);  // 1e-9 / 0.01 rounds to 0
  EXPECT_EQ(r.layers[0].dead[0].channel, 1);
}

// x -> Conv(w [4,2,1,1], b) -> Gemm(transB=0, B [4,3]) : a float model to quantize.
pb::ModelProto float_model() {
  pb::GraphProto g;
  *g.add_initializer() =
      float_tensor("w", {4, 2, 1, 1}, {0.5f, -0.25f, 1.0f, 0.125f, -2.0f, 0.75f, 0.01f, -0.02f});
  *g.add_initializer() = float_tensor("b", {4}, {0.1f, -0.2f, 3.0f, 0.0f});
  *g.add_initializer() =
      float_tensor("B", {4, 3}, {1, 2, 3, -1, -2, -3, 0.5f, 0.25f, 0.125f, 4, 5, 6});
  *g.add_initializer() = float_tensor("C", {3}, {0.5f, 0.5f, -0.5f});
  *g.add_node() = node("Conv", {"x", "w", "b"}, {"h"});
  *g.add_node() = node("Flatten", {"h"}, {"hf"});
  *g.add_node() = node("Gemm", {"hf", "B", "C"}, {"y"});
  add_io(g, {"x"}, {"y"});
  return make_model(g);
}

TEST(OnnxTwin, EmittedQdqIsOrtLayoutAndVerifiesClean) {
  const auto path = write_model("float.onnx", float_model());
  const auto f = OnnxFile::open(path);
  TwinOptions o;
  o.policy = find_preset("reference");
  o.input_scale = 0.02f;
  o.emit_quantized = true;
  TwinSummary s;
  const std::string bytes = make_twin(f, o, &s);
  EXPECT_EQ(s.layers, 2);
  EXPECT_EQ(s.channels, 7);
  const auto q = OnnxFile::parse(model::testing::temp_path("q.onnx"), bytes.data(), bytes.size());
  // Layout: int8 weight with per-channel DequantizeLinear on the stored channel axis.
  int dq = 0, qn = 0;
  for (const auto& n : q.proto().graph().node()) {
    dq += n.op_type() == "DequantizeLinear";
    qn += n.op_type() == "QuantizeLinear";
    if (n.name() == "w_DequantizeLinear") {
      EXPECT_EQ(n.attribute(0).i(), 0);
    }
    if (n.name() == "B_DequantizeLinear") {
      EXPECT_EQ(n.attribute(0).i(), 1);
    }
  }
  EXPECT_EQ(dq, 6);  // 2 weights, 2 biases, 2 activations
  EXPECT_EQ(qn, 2);
  for (const auto& t : q.proto().graph().initializer()) {
    EXPECT_NE(t.name(), "w");  // replaced float weights are dropped
    if (t.name() == "w_quantized") {
      EXPECT_EQ(t.data_type(), T::INT8);
    }
    if (t.name() == "b_quantized") {
      EXPECT_EQ(t.data_type(), T::INT32);
    }
  }
  const auto r = verify_model(q, &f);
  EXPECT_TRUE(r.findings.empty()) << r.findings[0].kind << ": " << r.findings[0].message;
  EXPECT_EQ(r.quantized_layers, 2);
  // Bias scale is float32(s_x * s_w[c]), exactly.
  for (const auto& v : r.layers) EXPECT_FLOAT_EQ(v.input_scale, 0.02f);
}

TEST(OnnxTwin, FloatTwinHoldsTheDequantizedWeights) {
  const auto f = OnnxFile::open(write_model("float2.onnx", float_model()));
  TwinOptions o;
  o.policy = find_preset("reference");
  const std::string bytes = make_twin(f, o);
  const auto t = OnnxFile::parse(model::testing::temp_path("t.onnx"), bytes.data(), bytes.size());
  const auto l = find_layers(t);
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].layer.name, "w_quantcheck_reference");
  // Every twin weight is k * s_c for an integer k in [-127, 127], s_c = max|w_c| / 127 (or larger).
  const auto w = float_case(t, l[0]).weights;
  EXPECT_NEAR(w[4], -2.0f, 2.0f / 127);
  EXPECT_THROW(make_twin(OnnxFile::open(write_model("q2.onnx", QdqConv{}.build())), o), ModelError);
}

TEST(OnnxTwin, SameFloatsGiveSameIntegersAsTflite) {
  // A FULLY_CONNECTED [O=3, I=4] in TFLite and a Gemm(transB=1) [N=3, K=4] in ONNX.
  const std::vector<float> w{0.5f, -1.0f, 0.25f, 2.0f, 1e-3f, -2e-3f,
                             0.0f, 5e-4f, 3.0f,  3.0f, -3.0f, 0.1f};
  const std::vector<float> b{0.1f, 4.0f, -0.3f};
  model::SyntheticLayer fc{OpKind::fully_connected, {3, 4}, w, b};
  const auto tfl = model::ModelFile::open(
      model::testing::write_temp("fc.tflite", model::build_synthetic_model({fc})));
  model::TwinOptions mo;
  mo.policy = find_preset("tflite-int8");
  mo.input_scale = 0.05f;
  mo.emit_quantized = true;
  const auto tq =
      model::ModelFile::open(model::testing::write_temp("fcq.tflite", model::make_twin(tfl, mo)));
  const auto tl = model::find_layers(tq);
  const auto t_ints = model::read_integers(tq, tq.tensor(0, tl[0].filter.data_tensor));
  const auto t_bias = model::read_integers(tq, tq.tensor(0, tl[0].bias->data_tensor));

  pb::GraphProto g;
  *g.add_initializer() = float_tensor("W", {3, 4}, w);
  *g.add_initializer() = float_tensor("C", {3}, b);
  *g.add_node() = node("Gemm", {"x", "W", "C"}, {"y"}, {{"transB", 1}});
  add_io(g, {"x"}, {"y"});
  TwinOptions o;
  o.policy = mo.policy;
  o.input_scale = mo.input_scale;
  o.emit_quantized = true;
  const std::string bytes = make_twin(OnnxFile::open(write_model("fc.onnx", make_model(g))), o);
  const auto q = OnnxFile::parse("q.onnx", bytes.data(), bytes.size());
  std::vector<std::int64_t> o_ints, o_bias;
  for (const auto& t : q.proto().graph().initializer()) {
    if (t.name() == "W_quantized") o_ints = read_integers(q, t, "W");
    if (t.name() == "C_quantized") o_bias = read_integers(q, t, "C");
  }
  EXPECT_EQ(o_ints, t_ints);
  EXPECT_EQ(o_bias, t_bias);
}

TEST(OnnxCheck, ReportsPerLayerLikeTflite) {
  const auto f = OnnxFile::open(write_model("float3.onnx", float_model()));
  model::CheckOptions o;
  o.policies = {find_preset("reference")};
  const auto r = check_model(f, o);
  EXPECT_EQ(r.format, model::Format::onnx);
  ASSERT_EQ(r.layers.size(), 2u);
  EXPECT_EQ(r.channels, 7);
  EXPECT_EQ(r.layers[1].layer.op_name, "Gemm");
  EXPECT_FLOAT_EQ(r.layers[0].smallest_max_abs_weight, 0.02f);
}

}  // namespace
}  // namespace quantcheck::onnx
