// `identify model.onnx`: which preset made a QDQ / QOperator ONNX model.
// Goldens: (1) a QDQ Conv written here with power-of-two scales, whose
// integers any symmetric int8 per-channel max|w| / 127 quantizer with an
// int32 bias at s_x s_w reproduces exactly (POLICIES.md: tflite-int8,
// onnxruntime-int8), while max|w| / 127.5 (pytorch-int8-symmetric) gives
// another scale and uint8 presets another type; the same integers in a
// QLinearConv (the bias scale implied); one stored integer changed so no
// symmetric max/127 rule explains the channel. (2) the QDQ twin quantize-model
// emits under a preset P is identified as P, for the presets
// docs/model-checks.md lists as idempotent. (3) the PyTorch exports.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "model_test_support.hpp"
#include "onnx_builder.hpp"
#include "quantcheck/onnx/identify.hpp"
#include "quantcheck/onnx/layers.hpp"
#include "quantcheck/onnx/tensor.hpp"
#include "quantcheck/presets.hpp"

namespace quantcheck::onnx {
namespace {

using namespace testing;
using model::testing::run_cli;
using model::testing::temp_path;
using T = pb::TensorProto;

// Channel 0: largest |q| 127 at s = 2^-7; channel 1: at s = 2^-9. Input scale
// 2^-6, so s_b = s_x s_w is exact: 2^-13 and 2^-15.
const std::vector<std::int64_t> kWeights{127, -64, 3, -5, 100, -127, 0, 1};  // [2,2,1,2]
const std::vector<float> kScales{0.0078125f, 0.001953125f};
const std::vector<std::int64_t> kBias{1000, -4000};

pb::ModelProto qdq_conv(std::vector<std::int64_t> w = kWeights) {
  pb::GraphProto g;
  *g.add_initializer() = float_tensor("s_x", {}, {0.015625f});
  *g.add_initializer() = int_tensor("zp_x", T::INT8, {}, {0});
  *g.add_initializer() = int_tensor("wq", T::INT8, {2, 2, 1, 2}, w);
  *g.add_initializer() = float_tensor("s_w", {2}, kScales);
  *g.add_initializer() = int_tensor("zp_w", T::INT8, {2}, {0, 0});
  *g.add_initializer() = int_tensor("bq", T::INT32, {2}, kBias);
  *g.add_initializer() = float_tensor("s_b", {2}, {0.015625f * kScales[0], 0.015625f * kScales[1]});
  *g.add_initializer() = int_tensor("zp_b", T::INT32, {2}, {0, 0});
  *g.add_node() = node("QuantizeLinear", {"x", "s_x", "zp_x"}, {"xq"});
  *g.add_node() = node("DequantizeLinear", {"xq", "s_x", "zp_x"}, {"xd"});
  *g.add_node() = node("DequantizeLinear", {"wq", "s_w", "zp_w"}, {"w"}, {{"axis", 0}});
  *g.add_node() = node("DequantizeLinear", {"bq", "s_b", "zp_b"}, {"b"}, {{"axis", 0}});
  *g.add_node() = node("Conv", {"xd", "w", "b"}, {"y"});
  add_io(g, {"x"}, {"y"});
  return make_model(g);
}

pb::ModelProto qlinear_conv() {
  pb::GraphProto g;
  *g.add_initializer() = float_tensor("s_x", {}, {0.015625f});
  *g.add_initializer() = int_tensor("zp_x", T::INT8, {}, {0});
  *g.add_initializer() = int_tensor("wq", T::INT8, {2, 2, 1, 2}, kWeights);
  *g.add_initializer() = float_tensor("s_w", {2}, kScales);
  *g.add_initializer() = int_tensor("zp_w", T::INT8, {2}, {0, 0});
  *g.add_initializer() = float_tensor("s_y", {}, {0.05f});
  *g.add_initializer() = int_tensor("zp_y", T::INT8, {}, {0});
  *g.add_initializer() = int_tensor("bq", T::INT32, {2}, kBias);
  *g.add_node() =
      node("QLinearConv", {"xq", "s_x", "zp_x", "wq", "s_w", "zp_w", "s_y", "zp_y", "bq"}, {"y"});
  add_io(g, {"xq"}, {"y"});
  return make_model(g);
}

const model::PresetMatch& match(const model::IdentifyLayer& l, const std::string& preset) {
  for (const auto& p : l.presets)
    if (p.preset == preset) return p;
  throw std::runtime_error("no preset " + preset);
}

TEST(OnnxIdentify, QdqConvIsSymmetricInt8PerChannelMaxOver127) {
  const auto r = identify_model(OnnxFile::open(write_model("id_qdq.onnx", qdq_conv())), presets());
  ASSERT_EQ(r.layers.size(), 1u);
  const auto& l = r.layers[0];
  EXPECT_EQ(l.channels, 2);
  EXPECT_TRUE(l.per_channel);
  EXPECT_EQ(l.weight_type, "INT8");
  EXPECT_EQ(l.bias_type, "INT32");
  EXPECT_FLOAT_EQ(l.input_scale, 0.015625f);
  EXPECT_TRUE(match(l, "tflite-int8").reproduced());
  EXPECT_TRUE(match(l, "onnxruntime-int8").reproduced());
  // max|w| / 127.5: the scale of channel 0 is 127/127.5 of the stored one.
  const auto& pt = match(l, "pytorch-int8-symmetric");
  EXPECT_FALSE(pt.reproduced());
  ASSERT_TRUE(pt.first_difference);
  EXPECT_EQ(pt.first_difference->what, "weight_scale");
  EXPECT_EQ(pt.first_difference->channel, 0);
  EXPECT_NE(match(l, "onnxruntime-uint8").not_applicable, "");
  const auto names = r.reproduced_by_all();
  EXPECT_NE(std::find(names.begin(), names.end(), "tflite-int8"), names.end());
}

TEST(OnnxIdentify, QLinearConvBiasScaleIsImpliedAndMatches) {
  const auto r =
      identify_model(OnnxFile::open(write_model("id_qlc.onnx", qlinear_conv())), presets());
  ASSERT_EQ(r.layers.size(), 1u);
  EXPECT_EQ(r.layers[0].layer.op_name, "QLinearConv");
  EXPECT_TRUE(match(r.layers[0], "tflite-int8").reproduced());
  EXPECT_TRUE(match(r.layers[0], "onnxruntime-int8").reproduced());
}

TEST(OnnxIdentify, ABrokenRuleIsReproducedByNoPresetAndExitsOne) {
  auto w = kWeights;
  w[0] = 126;  // channel 0's largest |q| is 126 now: no max/127 scale gives s = 2^-7
  const std::string path = write_model("id_broken.onnx", qdq_conv(w));
  const auto r = identify_model(OnnxFile::open(path), presets());
  EXPECT_TRUE(r.reproduced_by_all().empty());
  const auto& m = match(r.layers[0], "tflite-int8");
  EXPECT_EQ(m.channels_matched, 1);  // channel 1 is untouched
  ASSERT_TRUE(m.first_difference);
  EXPECT_EQ(m.first_difference->what, "weight_scale");
  const auto cli = run_cli({"identify", path});
  EXPECT_EQ(cli.exit_code, 1) << cli.err;
  const auto ok = run_cli({"identify", write_model("id_ok.onnx", qdq_conv()), "--json"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("\"format\": \"onnx\""), std::string::npos) << ok.out;
}

TEST(OnnxIdentify, BadInputExitsTwo) {
  // A float model: nothing to identify.
  pb::GraphProto g;
  *g.add_initializer() = float_tensor("w", {2, 2, 1, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  *g.add_node() = node("Conv", {"x", "w"}, {"y"});
  add_io(g, {"x"}, {"y"});
  const auto f = run_cli({"identify", write_model("id_float.onnx", make_model(g))});
  EXPECT_EQ(f.exit_code, 2);
  EXPECT_NE(f.err.find("no quantized"), std::string::npos) << f.err;
  const std::string junk = temp_path("id_junk.onnx");
  std::ofstream(junk) << "\x08\x07\x12\xff\xff\xff";
  const auto j = run_cli({"identify", junk});
  EXPECT_EQ(j.exit_code, 2);
  EXPECT_EQ(std::count(j.err.begin(), j.err.end(), '\n'), 1) << j.err;
  // An integer bias with no input scale to re-quantize it with.
  pb::GraphProto h;
  *h.add_initializer() = int_tensor("wq", T::INT8, {2, 2, 1, 2}, kWeights);
  *h.add_initializer() = float_tensor("s_w", {2}, kScales);
  *h.add_initializer() = int_tensor("bq", T::INT32, {2}, kBias);
  *h.add_initializer() = float_tensor("s_b", {2}, kScales);
  *h.add_node() = node("DequantizeLinear", {"wq", "s_w"}, {"w"}, {{"axis", 0}});
  *h.add_node() = node("DequantizeLinear", {"bq", "s_b"}, {"b"}, {{"axis", 0}});
  *h.add_node() = node("Conv", {"x", "w", "b"}, {"y"});
  add_io(h, {"x"}, {"y"});
  const auto n = run_cli({"identify", write_model("id_noscale.onnx", make_model(h))});
  EXPECT_EQ(n.exit_code, 2);
  EXPECT_NE(n.err.find("no input scale"), std::string::npos) << n.err;
}

// The QDQ twin of the real oww_embedding_model.onnx emitted under P is
// identified as P, every layer and channel (the presets that are their own
// fixed point, docs/model-checks.md); `reference` is not (scale rounded up
// once more, one ulp).
TEST(OnnxIdentify, EmittedTwinOfOwwEmbeddingIsIdentifiedAsItsPreset) {
  QC_REQUIRE_MODEL(path, "oww_embedding_model.onnx");
  for (const std::string p : {"tflite-int8", "tflite-converter-int8", "onnxruntime-int8"}) {
    const std::string twin = temp_path("oww_id_" + p + ".onnx");
    const auto q = run_cli({"quantize-model", path, "-o", twin, "-p", p, "--input-scale",
                            "0.0078740157", "--emit-quantized"});
    ASSERT_LE(q.exit_code, 1) << q.err;
    const auto r = identify_model(OnnxFile::open(twin), presets());
    EXPECT_EQ(r.layers.size(), 20u) << p;
    EXPECT_EQ(r.channels, 1416) << p;
    const auto all = r.reproduced_by_all();
    EXPECT_NE(std::find(all.begin(), all.end(), p), all.end()) << p;
    for (const auto& s : r.summary)
      if (s.preset == p) {
        EXPECT_EQ(s.layers_reproduced, 20) << p;
        EXPECT_EQ(s.channels_matched, 1416) << p;
      }
    const auto cli = run_cli({"identify", twin, "-p", p});
    EXPECT_EQ(cli.exit_code, 0) << p << cli.err;
    // Only a uint8 preset as candidate: not applicable anywhere, exit 1.
    EXPECT_EQ(run_cli({"identify", twin, "-p", "onnxruntime-uint8"}).exit_code, 1) << p;
  }
  const auto f = run_cli({"identify", path});
  EXPECT_EQ(f.exit_code, 2) << f.err;  // the float model itself
}

// The same on Silero VAD, whose 12 Conv and 4 Gemm sit in the two branches of
// an If node with their weights in the main graph (../shared/models/README.md).
TEST(OnnxIdentify, EmittedTwinOfSileroIsIdentifiedAsItsPreset) {
  QC_REQUIRE_MODEL(path, "silero_vad_op18_ifless.onnx");
  for (const std::string p : {"tflite-int8", "onnxruntime-int8"}) {
    const std::string twin = temp_path("silero_id_" + p + ".onnx");
    const auto q = run_cli(
        {"quantize-model", path, "-o", twin, "-p", p, "--input-scale", "0.01", "--emit-quantized"});
    ASSERT_LE(q.exit_code, 1) << q.err;
    const auto r = identify_model(OnnxFile::open(twin), presets());
    EXPECT_EQ(r.layers.size(), 16u) << p;
    for (const auto& s : r.summary)
      if (s.preset == p) {
        EXPECT_EQ(s.layers_reproduced, 16) << p;
        EXPECT_EQ(s.channels_matched, r.channels) << p;
      }
    const auto cli = run_cli({"identify", twin, "-p", p});
    EXPECT_EQ(cli.exit_code, 0) << p << cli.err;
    EXPECT_NE(cli.out.find("reproduced by: " + p), std::string::npos) << cli.out;
  }
}

std::string data_model(const std::string& name) {
  return std::string(QUANTCHECK_ONNX_TEST_DATA) + "/" + name;
}

// The QAT export (onnx/scripts/export_pytorch_qdq.py: per_channel_symmetric
// qint8 weights, observers disabled) keeps its float weights behind Q/DQ, so
// identify re-quantizes those. PyTorch's max / 127.5 reproduces the Conv and
// the depthwise Conv. In the Gemm one weight sits on a tie: ONNX
// QuantizeLinear (x / s, what ONNX Runtime runs) gives -128, PyTorch's fake
// quantization (x * (1 / s), float32) -127 (checked here on the stored values).
TEST(OnnxIdentify, PytorchQatExportIsPytorchInt8SymmetricButForOneTie) {
  const std::string path = data_model("pytorch_qat_fakequant.onnx");
  const auto f = OnnxFile::open(path);
  const auto r = identify_model(f, presets());
  ASSERT_EQ(r.layers.size(), 3u);
  EXPECT_TRUE(match(r.layers[0], "pytorch-int8-symmetric").reproduced());
  EXPECT_TRUE(match(r.layers[1], "pytorch-int8-symmetric").reproduced());
  const auto& fc = match(r.layers[2], "pytorch-int8-symmetric");
  EXPECT_EQ(fc.channels_matched, 4);
  ASSERT_TRUE(fc.first_difference);
  EXPECT_EQ(fc.first_difference->what, "weight");
  EXPECT_EQ(fc.first_difference->channel, 1);
  EXPECT_EQ(fc.first_difference->element, 98);
  EXPECT_EQ(fc.first_difference->stored, -128);
  EXPECT_EQ(fc.first_difference->recomputed, -127);
  // The two arithmetics on the file's own float weight and scale.
  const auto layers = find_layers(f);
  const auto& gemm = layers[2];
  const float x = read_floats(f, *gemm.weight.values, "w")[98];
  const float s = read_floats(f, *gemm.weight.scale, "s")[1];
  EXPECT_EQ(std::nearbyint(x / s), -128.0f);
  EXPECT_EQ(std::nearbyint(x * (1.0f / s)), -127.0f);
  // No other preset reproduces a layer: tflite/ORT divide by 127.
  for (const auto& sum : r.summary)
    if (sum.preset != "pytorch-int8-symmetric") {
      EXPECT_EQ(sum.layers_reproduced, 0) << sum.preset;
    }
  EXPECT_EQ(run_cli({"identify", path}).exit_code, 1);
}

// The converted export stores int8 weights and an int32 bias: dequantized,
// nothing reproduces them (max / 127.5 is not idempotent: the largest weight
// 127.5 is stored as 127). From the float model it came from (--float), the
// weights, scales and zero points of every channel are pytorch-int8-symmetric's;
// 5 of the 13 biases differ, the first of each layer by one: the exporter
// (torch/onnx/symbolic_helper.py, requantize_bias_helper, PyTorch 1.13 as in
// Debian 12) writes Cast(Div(b, s_x * s_w), INT32), and a float-to-int Cast
// truncates toward zero where the preset rounds. Computed below from the
// file's own numbers: truncation gives all 13 stored integers, rounding 8.
TEST(OnnxIdentify, PytorchConvertedExportFromItsFloatModel) {
  const std::string q = data_model("pytorch_converted.onnx");
  const std::string fm = data_model("pytorch_float.onnx");
  const auto alone = identify_model(OnnxFile::open(q), presets());
  for (const auto& sum : alone.summary) EXPECT_EQ(sum.layers_reproduced, 0) << sum.preset;
  const auto ff = OnnxFile::open(fm);
  const auto r = identify_model(OnnxFile::open(q), presets(), &ff);
  ASSERT_EQ(r.layers.size(), 3u);
  std::int64_t matched = 0;
  for (const auto& l : r.layers) {
    const auto& m = match(l, "pytorch-int8-symmetric");
    matched += m.channels_matched;
    ASSERT_TRUE(m.first_difference);
    EXPECT_EQ(m.first_difference->what, "bias");
    EXPECT_EQ(std::fabs(m.first_difference->stored - m.first_difference->recomputed), 1);
  }
  EXPECT_EQ(matched, 8);  // of 13
  // The exporter's arithmetic, independently: float32 b / s_b (the stored
  // bias scale, the exporter's float32 product), truncated.
  const auto qf = OnnxFile::open(q);
  const auto q_layers = find_layers(qf);
  const auto f_layers = find_layers(ff);
  ASSERT_EQ(q_layers.size(), f_layers.size());
  int truncated = 0, rounded = 0, biases = 0;
  for (std::size_t i = 0; i < q_layers.size(); ++i) {
    ASSERT_TRUE(q_layers[i].bias && q_layers[i].bias->scale && f_layers[i].bias);
    const auto stored = read_integers(qf, *q_layers[i].bias->values, "bias");
    const auto s_b = read_floats(qf, *q_layers[i].bias->scale, "bias scale");
    const auto b = read_floats(ff, *f_layers[i].bias->values, "float bias");
    ASSERT_EQ(stored.size(), b.size());
    for (std::size_t c = 0; c < b.size(); ++c, ++biases) {
      const float quotient = b[c] / s_b[s_b.size() == 1 ? 0 : c];
      truncated += stored[c] == static_cast<std::int64_t>(std::trunc(quotient));
      rounded += stored[c] == std::llround(double(b[c]) / double(s_b[s_b.size() == 1 ? 0 : c]));
    }
  }
  EXPECT_EQ(biases, 13);
  EXPECT_EQ(truncated, 13);
  EXPECT_EQ(rounded, 8);
  EXPECT_EQ(run_cli({"identify", q, "--float", fm}).exit_code, 1);
  // A float model with other layers: exit 2.
  pb::GraphProto g;
  *g.add_initializer() = float_tensor("w", {2, 2, 1, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  *g.add_node() = node("Conv", {"x", "w"}, {"y"});
  add_io(g, {"x"}, {"y"});
  const auto bad = run_cli({"identify", q, "--float", write_model("id_other.onnx", make_model(g))});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

}  // namespace
}  // namespace quantcheck::onnx
