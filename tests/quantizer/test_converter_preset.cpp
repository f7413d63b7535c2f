// The TFLite converter presets (tflite-converter-int8 and its 16x8 twin).
// Expected values come from the real converter output
// ../shared/models/tf2_mobilenet_v2_1.0_224_ptq.tflite as restated in
// ../shared/models/README.md (the dead channel's stored scale and bias), or
// are computed here, step by step, with the float32 operations
// docs/policies.md ("The TensorFlow Lite converter") lists.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "quantcheck/presets.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck {
namespace {

// The first CONV_2D of MobileNetV2: input scale as stored in the PTQ model
// (0.00784314, i.e. float32(1 / 127.5)), channel 3's bias (README), and the
// channel's float weights of about 1e-19 (ONE #6970, POLICIES.md section 1).
constexpr float kInputScale = 0.007843137718737125f;
constexpr float kBias = -1.2156529426574707f;
constexpr float kTinyMax = 1.6357762861995788e-19f;

Case mobilenet_first_conv(float input_scale) {
  Case c;
  c.op = OpKind::conv2d;
  c.input_scale = input_scale;
  c.weight_shape = {32, 3, 3, 3};
  c.weights.resize(32 * 27);
  for (int i = 0; i < 32 * 27; ++i) c.weights[i] = 0.01f * static_cast<float>((i % 7) - 3);
  for (int i = 0; i < 27; ++i) c.weights[3 * 27 + i] = (i % 2 ? 1.0f : -0.5f) * kTinyMax;
  c.bias.assign(32, 0.1f);
  c.bias[3] = kBias;
  return c;
}

// TfLiteRound / std::round of a float32 product x * inv.
std::int64_t round_product(float x, float inv) {
  return static_cast<std::int64_t>(std::round(x * inv));
}

TEST(ConverterPreset, DeadChannelGetsTheStoredScaleAndBias) {
  const Result r =
      quantize(find_preset("tflite-converter-int8"), mobilenet_first_conv(kInputScale));
  EXPECT_EQ(r.weights.channels[3].scale, 1e-6f);  // 9.99999997e-07, as stored
  for (int i = 0; i < 27; ++i) EXPECT_EQ(r.weights.q[3 * 27 + i], 0) << i;
  EXPECT_EQ(r.bias.scale[3], kInputScale * 1e-6f);
  EXPECT_EQ(r.bias.q[3], -154995744);  // the int32 the converter stored
  EXPECT_FALSE(r.weights.channels[3].raised_for_bias);
}

TEST(ConverterPreset, ToolsOptimizeCannotMakeThatChannel) {
  // tools/optimize keeps max|w| / 127 (about 1.3e-21), so its guard fires and
  // stores half the int32 range instead: why the converter needs a preset.
  const Result r = quantize(find_preset("tflite-int8"), mobilenet_first_conv(kInputScale));
  EXPECT_NE(r.weights.channels[3].scale, 1e-6f);
  EXPECT_TRUE(r.weights.channels[3].raised_for_bias);
  EXPECT_NE(r.bias.q[3], -154995744);
}

TEST(ConverterPreset, OrdinaryChannelIsMaxOver127WithTheFloat32Inverse) {
  Case c;
  c.op = OpKind::fully_connected;
  c.input_scale = 0.0123f;
  c.weight_shape = {1, 4};
  c.weights = {0.5f, -0.3f, 0.1234567f, -0.0625f};
  c.bias = {0.2f};
  const Result r = quantize(find_preset("tflite-converter-int8"), c);
  const float s = 0.5f / 127.0f;  // float32(2 max) / 254, which is max / 127 rounded once
  ASSERT_EQ(r.weights.channels[0].scale, s);
  const float inv = static_cast<float>(1.0 / static_cast<double>(s));  // scales_inv = 1.0 / s
  for (int i = 0; i < 4; ++i) EXPECT_EQ(r.weights.q[i], round_product(c.weights[i], inv)) << i;
  const float s_b = c.input_scale * s;  // float32(double(s_in) * double(s_w)) is the same
  EXPECT_EQ(r.bias.scale[0], s_b);
  EXPECT_EQ(r.bias.q[0], round_product(0.2f, static_cast<float>(1.0 / double(s_b))));
}

TEST(ConverterPreset, FloorSitsAtOneMillionth) {
  // max|w| / 127 just under 1e-6 is raised to 1e-6; just over it is kept.
  Case c;
  c.op = OpKind::fully_connected;
  c.input_scale = 0.01f;
  c.weight_shape = {2, 2};
  const float under = 1.2699999e-4f, over = 1.2700002e-4f;
  ASSERT_LT(under / 127.0f, 1e-6f);
  ASSERT_GT(over / 127.0f, 1e-6f);
  c.weights = {under, -5e-5f, over, 0.0f};
  c.bias = {0.0f, 0.0f};
  const Result r = quantize(find_preset("tflite-converter-int8"), c);
  EXPECT_EQ(r.weights.channels[0].scale, 1e-6f);
  EXPECT_EQ(r.weights.channels[1].scale, over / 127.0f);
  const float inv = static_cast<float>(1.0 / double(1e-6f));
  EXPECT_EQ(r.weights.q[0], round_product(under, inv));   // 127
  EXPECT_EQ(r.weights.q[1], round_product(-5e-5f, inv));  // -50
  EXPECT_EQ(r.weights.q[2], 127);
}

TEST(ConverterPreset, SixteenByEightKeepsTheInt32GuardWithAnInt64Bias) {
  // int16 activations (s_in = 1/32767): the dead channel's bias quotient
  // would be about 4e10; the guard, applied with the int32 limit as in
  // tools/optimize, widens the range to 2|b| / INT32_MAX * (127 / s_in).
  const Policy& p = find_preset("tflite-converter-16x8");
  EXPECT_EQ(p.bias_type, BiasType::int64);
  EXPECT_EQ(p.activation_abs_max, 32768);
  const float s_in = 1.0f / 32767.0f;
  const Result r = quantize(p, mobilenet_first_conv(s_in));
  const double k = std::numeric_limits<std::int32_t>::max();
  const float range = static_cast<float>(2.0 * std::fabs(kBias) / k * (127.0f / s_in));
  const float s_w = range / 127.0f;
  EXPECT_EQ(r.weights.channels[3].scale, s_w);
  EXPECT_TRUE(r.weights.channels[3].raised_for_bias);
  const float s_b = s_in * s_w;
  EXPECT_EQ(r.bias.q[3], round_product(kBias, static_cast<float>(1.0 / double(s_b))));
  EXPECT_NEAR(static_cast<double>(r.bias.q[3]), -k / 2, 256.0);  // half the int32 range
}

TEST(ConverterPreset, ConstantsAndDeclaredGuarantees) {
  for (const char* name : {"tflite-converter-int8", "tflite-converter-16x8"}) {
    const Policy& p = find_preset(name);
    EXPECT_EQ(p.weight_type, WeightType::int8) << name;
    EXPECT_EQ(p.qmin, -127) << name;
    EXPECT_EQ(p.qmax, 127) << name;
    EXPECT_EQ(p.scale_floor, 1e-6f) << name;
    EXPECT_EQ(p.rounding, Rounding::half_away_from_zero) << name;
    EXPECT_EQ(p.bias_out_of_range, OutOfRange::saturate_symmetric) << name;
    // Only the sign (and, as every preset, refusing NaN / Inf): a subnormal
    // s_in * 1e-6 loses the bias (next test).
    EXPECT_EQ(declared_guarantees(p.guarantees),
              (std::vector<std::string>{"bias_sign_preserved", "rejects_non_finite"}))
        << name;
  }
  EXPECT_EQ(find_preset("tflite-converter-int8").bias_type, BiasType::int32);
}

TEST(ConverterPreset, NoValidScalesForATinyInputScale) {
  // The floor holds s_w, not s_b = s_in * s_w: s_in = 1e-35 makes it subnormal.
  Case c;
  c.op = OpKind::fully_connected;
  c.input_scale = 1e-35f;
  c.weight_shape = {1, 1};
  c.weights = {0.0f};
  c.bias = {0.0f};
  const Result r = quantize(find_preset("tflite-converter-int8"), c);
  EXPECT_EQ(r.weights.channels[0].scale, 1e-6f);
  EXPECT_LT(r.bias.scale[0], std::numeric_limits<float>::min());
  EXPECT_GT(r.bias.scale[0], 0.0f);
}

}  // namespace
}  // namespace quantcheck
