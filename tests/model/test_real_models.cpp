// The facts of ../shared/models/README.md, measured there with an
// independent reader, as expected values for check and verify.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "model_test_support.hpp"
#include "quantcheck/model/check.hpp"
#include "quantcheck/model/rewrite.hpp"
#include "quantcheck/model/verify.hpp"
#include "quantcheck/presets.hpp"

namespace quantcheck::model {
namespace {

const LayerCheck& layer_named(const CheckReport& r, const std::string& name) {
  for (const LayerCheck& l : r.layers)
    if (l.layer.name == name) return l;
  throw std::runtime_error("no layer " + name);
}

const LayerPolicyResult& result_for(const LayerCheck& l, const std::string& policy) {
  for (const LayerPolicyResult& r : l.results)
    if (r.policy == policy) return r;
  throw std::runtime_error("no policy " + policy);
}

const ChannelNote* channel_note(const LayerPolicyResult& r, std::int64_t ch) {
  for (const ChannelNote& n : r.channels)
    if (n.channel == ch) return &n;
  return nullptr;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

CheckReport check_with(const std::string& path, const std::vector<std::string>& policies,
                       float input_scale = 1.0f / 127.0f) {
  CheckOptions o;
  for (const auto& p : policies) o.policies.push_back(find_preset(p));
  o.input_scale = input_scale;
  return check_model(ModelFile::open(path), o);
}

std::int64_t count_kind(const VerifyLayer& v, OpKind k) { return v.layer.kind == k; }

TEST(RealModels, Tf2MobilenetPtqDeadChannelsAndTheSeedBias) {
  QC_REQUIRE_MODEL(path, "tf2_mobilenet_v2_1.0_224_ptq.tflite");
  const VerifyReport r = verify_model(ModelFile::open(path), nullptr);
  EXPECT_EQ(r.quantized_layers, 53);
  std::int64_t conv = 0, dw = 0;
  for (const VerifyLayer& v : r.layers) {
    conv += count_kind(v, OpKind::conv2d);
    dw += count_kind(v, OpKind::depthwise_conv2d);
    EXPECT_EQ(v.weight_type, "INT8");
    EXPECT_EQ(v.bias_type, "INT32");
    EXPECT_TRUE(v.per_channel);
  }
  EXPECT_EQ(conv, 36);
  EXPECT_EQ(dw, 17);
  EXPECT_EQ(r.channels, 18057);
  EXPECT_EQ(r.dead_channels, 9);
  for (const VerifyLayer& v : r.layers)
    for (const DeadChannel& d : v.dead) EXPECT_EQ(d.weight_scale, 9.99999997e-07f);
  // First convolution: filter [32,3,3,3], input scale 0.00784314, zero point -1.
  const VerifyLayer& first = r.layers[0];
  EXPECT_EQ(first.layer.filter_shape, (std::vector<std::int64_t>{32, 3, 3, 3}));
  EXPECT_NEAR(first.input_scale, 0.00784314, 1e-8);
  EXPECT_EQ(first.input_zero_point, -1);
  const auto ch3 = std::find_if(first.dead.begin(), first.dead.end(),
                                [](const DeadChannel& d) { return d.channel == 3; });
  ASSERT_NE(ch3, first.dead.end());
  EXPECT_EQ(ch3->bias_q, -154995744);
  EXPECT_EQ(ch3->bias_dequantized, -1.2156529426574707);
  EXPECT_EQ(r.max_abs_bias, 324204896);
  EXPECT_EQ(first.max_abs_bias, 324204896);
}

TEST(RealModels, MobilenetQuantIsPerTensorUint8AndClean) {
  QC_REQUIRE_MODEL(path, "mobilenet_v2_1.0_224_quant.tflite");
  const VerifyReport r = verify_model(ModelFile::open(path), nullptr);
  EXPECT_EQ(r.quantized_layers, 53);
  for (const VerifyLayer& v : r.layers) {
    EXPECT_EQ(v.weight_type, "UINT8");
    EXPECT_FALSE(v.per_channel);
  }
  EXPECT_NEAR(r.min_weight_scale, 0.0013649, 5e-8);
  EXPECT_EQ(r.max_abs_bias, 110212);
  EXPECT_EQ(r.dead_channels, 0);  // per-tensor: no channel has a scale of its own to collapse
  EXPECT_TRUE(r.findings.empty()) << r.findings.front().message;
}

TEST(RealModels, FaceDetectionIsClean) {
  QC_REQUIRE_MODEL(path, "face_detection_short_range.tflite");
  const CheckReport r = check_with(path, {"reference"});
  EXPECT_EQ(r.channels, 2188);
  EXPECT_EQ(r.zero_channels, 0);
  EXPECT_EQ(r.tiny_channels, 0);
  float smallest = INFINITY;
  for (const LayerCheck& l : r.layers) {
    smallest = std::min(smallest, l.smallest_max_abs_weight);
    EXPECT_GE(l.layer.filter.dequantize_op, 0);  // FLOAT16 through DEQUANTIZE
  }
  EXPECT_NEAR(smallest, 0.00198, 0.000005);
  EXPECT_FALSE(r.broken());
}

TEST(RealModels, HandLandmarkZeroChannels) {
  QC_REQUIRE_MODEL(path, "hand_landmark_lite.tflite");
  const CheckReport r = check_with(path, {"reference", "luci-int16-2021"});
  EXPECT_EQ(r.channels, 11552);
  EXPECT_EQ(r.zero_channels, 1050);
  EXPECT_EQ(r.tiny_channels, 1066);
  std::int64_t fc = 0;
  for (const LayerCheck& l : r.layers) fc += l.layer.kind == OpKind::fully_connected;
  EXPECT_EQ(fc, 4);
  // "Naive scale rules divide by zero here": the seed-era luci int16 rule
  // (no floor) gives zero scales on the all-zero channels, reference none.
  EXPECT_GE(r.summaries[1].invalid_scales, 1050);
  EXPECT_EQ(r.summaries[0].invalid_scales, 0);
  EXPECT_FALSE(r.broken() && has(r.summaries[0].broken, "valid_scales"));
}

TEST(RealModels, PoseLandmarkTinyChannels) {
  QC_REQUIRE_MODEL(path, "pose_landmark_lite.tflite");
  const CheckReport r = check_with(path, {"reference"});
  EXPECT_EQ(r.tiny_channels, 3);
  float smallest = INFINITY;
  for (const LayerCheck& l : r.layers) smallest = std::min(smallest, l.smallest_max_abs_weight);
  EXPECT_NEAR(smallest, 2.44e-06, 0.005e-6);
}

// conv2d_39 channel 165 at input scale 1/127: the presets without a bias
// guard overflow int32; those with one (and luci's 1e-5 floor) do not.
TEST(RealModels, PoseConv2d39Channel165BiasOverflow) {
  QC_REQUIRE_MODEL(path, "pose_landmark_lite.tflite");
  const std::vector<std::string> overflow = {"pytorch-int8-symmetric", "pytorch-uint8-affine"};
  const std::vector<std::string> fine = {"reference", "tflite-int8", "onnxruntime-int8",
                                         "luci-uint8"};
  std::vector<std::string> all = overflow;
  all.insert(all.end(), fine.begin(), fine.end());
  const CheckReport r = check_with(path, all);
  const LayerCheck& l = layer_named(r, "model_1/model/conv2d_39/Conv2D");
  EXPECT_EQ(l.layer.kind, OpKind::conv2d);
  EXPECT_EQ(l.layer.filter_shape, (std::vector<std::int64_t>{192, 1, 1, 192}));
  for (const auto& p : overflow) {
    const ChannelNote* n = channel_note(result_for(l, p), 165);
    ASSERT_NE(n, nullptr) << p;
    EXPECT_TRUE(has(n->findings, "bias_saturated")) << p;
    EXPECT_EQ(n->bias, -6.04296875f);
    EXPECT_EQ(n->max_abs_weight, 3.4809113e-05f);
    EXPECT_EQ(n->bias_q, -2147483648LL) << p;  // clamped to INT32_MIN
  }
  // The README's thresholds: fits only for s_in >= 0.01031 (PyTorch int8) and
  // >= 0.01245 (PyTorch uint8 affine).
  EXPECT_NEAR(channel_note(result_for(l, overflow[0]), 165)->min_input_scale, 0.01031, 0.000005);
  EXPECT_NEAR(channel_note(result_for(l, overflow[1]), 165)->min_input_scale, 0.01245, 0.000005);
  for (const auto& p : fine) {
    const ChannelNote* n = channel_note(result_for(l, p), 165);
    if (n) {
      EXPECT_FALSE(has(n->findings, "bias_saturated")) << p;
    }
  }
  // luci's uint8 floor (1e-5) keeps the bias at about -7.7e7.
  const LayerPolicyResult& luci = result_for(l, "luci-uint8");
  EXPECT_EQ(luci.saturated_biases, 0);
}

TEST(RealModels, PoseConv2d26Channel52) {
  QC_REQUIRE_MODEL(path, "pose_landmark_lite.tflite");
  const CheckReport r = check_with(path, {"pytorch-int8-symmetric"});
  const LayerCheck& l = layer_named(r, "model_1/model/conv2d_26/Conv2D");
  EXPECT_EQ(l.layer.filter_shape, (std::vector<std::int64_t>{576, 1, 1, 96}));
  const ChannelNote* n = channel_note(l.results[0], 52);
  ASSERT_NE(n, nullptr);  // tiny: max|w| < 1e-5
  EXPECT_TRUE(n->tiny);
  EXPECT_EQ(n->bias, 0.213623046875f);
  EXPECT_EQ(n->max_abs_weight, 2.4437904e-06f);
}

// A circle copy written by our rewriter reads and checks like the original.
TEST(RealModels, CircleCopyOfARealModel) {
  QC_REQUIRE_MODEL(path, "tf2_mobilenet_v2_1.0_224_ptq.tflite");
  const auto original = ModelFile::open(path);
  const std::string copy_path =
      testing::write_temp("mobilenet_ptq.circle", rewrite_model(original, {}, Format::circle));
  const auto copy = ModelFile::open(copy_path);
  EXPECT_EQ(copy.format(), Format::circle);
  const auto bytes = testing::read_all(copy_path);
  EXPECT_EQ(std::string(bytes.begin() + 4, bytes.begin() + 8), "CIR0");
  const VerifyReport a = verify_model(original, nullptr);
  const VerifyReport b = verify_model(copy, nullptr);
  EXPECT_EQ(b.dead_channels, 9);
  EXPECT_EQ(b.max_abs_bias, a.max_abs_bias);
  EXPECT_EQ(b.channels, a.channels);
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (std::size_t i = 0; i < a.layers.size(); ++i) {
    EXPECT_EQ(a.layers[i].layer.name, b.layers[i].layer.name);
    EXPECT_EQ(a.layers[i].headroom, b.layers[i].headroom);
  }
  // check on the dequantized weights works on the copy the same way.
  const CheckReport ca = check_with(path, {"tflite-int8"});
  const CheckReport cb = check_with(copy_path, {"tflite-int8"});
  EXPECT_EQ(ca.channels, cb.channels);
  EXPECT_EQ(ca.summaries[0].max_weight_error, cb.summaries[0].max_weight_error);
}

TEST(RealModels, HandLandmarkCircleCopyKeepsZeroChannels) {
  QC_REQUIRE_MODEL(path, "hand_landmark_lite.tflite");
  const std::string copy_path =
      testing::write_temp("hand.circle", rewrite_model(ModelFile::open(path), {}, Format::circle));
  const CheckReport r = check_with(copy_path, {"reference"});
  EXPECT_EQ(r.format, Format::circle);
  EXPECT_EQ(r.zero_channels, 1050);
}

}  // namespace
}  // namespace quantcheck::model
