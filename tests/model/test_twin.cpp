// quantize-model: the fake-quantized twin holds exactly the quantizer's
// dequantized values, and the --emit-quantized form round-trips through
// verify: zero findings for `reference` against the float model, and the
// findings `check` predicts for a preset without a bias guard.
#include <gtest/gtest.h>

#include <algorithm>

#include "model_test_support.hpp"
#include "quantcheck/model/layers.hpp"
#include "quantcheck/model/synthetic.hpp"
#include "quantcheck/model/tensor_data.hpp"
#include "quantcheck/model/twin.hpp"
#include "quantcheck/model/verify.hpp"
#include "quantcheck/presets.hpp"

namespace quantcheck::model {
namespace {

using testing::write_temp;

TwinOptions twin_options(const std::string& policy, bool emit) {
  TwinOptions o;
  o.policy = find_preset(policy);
  o.input_scale = 1.0f / 127.0f;
  o.emit_quantized = emit;
  return o;
}

TEST(Twin, FloatTwinHoldsTheDequantizedValuesAndNoDequantizeOps) {
  SyntheticLayer l;
  l.kind = OpKind::depthwise_conv2d;
  l.filter_shape = {1, 2, 2, 3};
  l.weights = {0.5f, -0.25f, 0.1f, 0.3f, 0.02f, -0.7f, 0.11f, 0.0f, 0.9f, -0.4f, 0.6f, 0.05f};
  l.bias = {0.1f, -0.2f, 0.3f};
  SyntheticOptions so;
  so.float16_through_dequantize = true;
  const auto m = ModelFile::open(write_temp("dw16.tflite", build_synthetic_model({l}, so)));
  const auto twin = ModelFile::open(
      write_temp("dw16_twin.tflite", make_twin(m, twin_options("luci-uint8", false))));
  const auto layers = find_layers(twin);
  ASSERT_EQ(layers.size(), 1u);
  EXPECT_EQ(layers[0].filter.dequantize_op, -1);
  EXPECT_EQ(twin.tensor(0, layers[0].filter.tensor).type(), fb::TensorType_FLOAT32);
  EXPECT_EQ(layers[0].name, "layer0/weights_fp16");  // the float model's name for it
  // Expected: the quantizer on the FLOAT16 values, dequantized, as float32.
  Case c;
  c.op = OpKind::depthwise_conv2d;
  c.input_scale = 1.0f / 127.0f;
  c.weight_shape = l.filter_shape;
  c.weights = filter_values(m, find_layers(m)[0]);
  c.bias = bias_values(m, find_layers(m)[0]);
  const Result r = quantize(find_preset("luci-uint8"), c);
  const auto w = filter_values(twin, layers[0]);
  const auto b = bias_values(twin, layers[0]);
  ASSERT_EQ(w.size(), r.weights.dequantized.size());
  for (std::size_t i = 0; i < w.size(); ++i)
    EXPECT_EQ(w[i], static_cast<float>(r.weights.dequantized[i]));
  for (std::size_t i = 0; i < b.size(); ++i)
    EXPECT_EQ(b[i], static_cast<float>(r.bias.dequantized[i]));
  // The DEQUANTIZE ops that fed the layer are gone; the layer op remains.
  EXPECT_EQ(twin.model().subgraphs()->Get(0)->operators()->size(), 1u);
}

TEST(Twin, QuantizedModelIsRefused) {
  QC_REQUIRE_MODEL(path, "tf2_mobilenet_v2_1.0_224_ptq.tflite");
  EXPECT_THROW(make_twin(ModelFile::open(path), twin_options("reference", false)), ModelError);
}

void expect_reference_round_trip(const std::string& name, std::int64_t dead) {
  QC_REQUIRE_MODEL(path, name);
  const auto f = ModelFile::open(path);
  TwinSummary s;
  const auto q =
      ModelFile::open(write_temp(name + ".q", make_twin(f, twin_options("reference", true), &s)));
  EXPECT_EQ(s.findings, 0);
  const VerifyReport r = verify_model(q, &f);
  EXPECT_EQ(r.float_layers, 0);
  EXPECT_EQ(r.quantized_layers, static_cast<std::int64_t>(find_layers(f).size()));
  EXPECT_TRUE(r.findings.empty()) << r.findings.size()
                                  << " findings, first: " << r.findings.front().kind << " "
                                  << r.findings.front().message;
  EXPECT_EQ(r.dead_channels, dead);  // all-zero float channels stay zero, nothing else dies
  for (const VerifyLayer& v : r.layers) {
    EXPECT_EQ(v.layer.name, find_layers(f)[&v - &r.layers[0]].name);
    EXPECT_GE(v.headroom, 0);
    ASSERT_TRUE(v.max_weight_error.has_value());
  }
}

TEST(Twin, ReferenceRoundTripsFaceDetection) {
  expect_reference_round_trip("face_detection_short_range.tflite", 0);
}
TEST(Twin, ReferenceRoundTripsHandLandmark) {
  expect_reference_round_trip("hand_landmark_lite.tflite", 1050);
}
TEST(Twin, ReferenceRoundTripsPoseLandmark) {
  expect_reference_round_trip("pose_landmark_lite.tflite", 0);
}

// What check predicts for PyTorch int8 on conv2d_39 channel 165 (int32 bias
// overflow at 1/127), verify finds in the emitted integers: a bias at the limit.
TEST(Twin, VerifyFindsTheSaturatedBiasThatCheckPredicts) {
  QC_REQUIRE_MODEL(path, "pose_landmark_lite.tflite");
  const auto f = ModelFile::open(path);
  const auto q = ModelFile::open(
      write_temp("pose_pytorch.q", make_twin(f, twin_options("pytorch-int8-symmetric", true))));
  const VerifyReport r = verify_model(q, &f);
  const auto hit = std::find_if(r.findings.begin(), r.findings.end(), [](const VerifyFinding& x) {
    return x.kind == "bias_saturation_suspect" && x.layer == "model_1/model/conv2d_39/Conv2D" &&
           x.channel == 165;
  });
  EXPECT_NE(hit, r.findings.end());
}

}  // namespace
}  // namespace quantcheck::model
