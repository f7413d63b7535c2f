// ONE issue #6970: the first CONV_2D of MobileNetV2, output channel 3, whose
// weights are about 1e-19. Every expected number below is from the issue
// thread as restated in ../shared/reference/POLICIES.md section 1.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "quantcheck/presets.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck {
namespace {

constexpr float kBias = -1.2156529426574707f;
// The input scale the issue states, and the float32 one the thread's #7063
// numbers (and the seed-era bias scale) were computed with.
constexpr float kInputScaleIssue = 0.0001525924017187208f;
constexpr float kInputScaleThread = 0.00015259200881700963f;
// max|w| of channel 3: with kInputScaleThread it gives exactly the thread's
// seed-era bias scale 7.617614820112793e-28 (s_w = 4.992145e-24).
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

TEST(Golden6970, SeedEraSaturatesAtInt64Min) {
  const Result r =
      quantize(find_preset("luci-int16-2021"), mobilenet_first_conv(kInputScaleThread));
  EXPECT_EQ(r.bias.scale[3], 7.617614820112793e-28f);
  EXPECT_EQ(r.bias.q[3], std::numeric_limits<std::int64_t>::min());
  EXPECT_DOUBLE_EQ(r.bias.dequantized[3], -7.026009551935886e-09);
  EXPECT_TRUE(r.bias.saturated[3]);
}

TEST(Golden6970, SeedEraAtTheIssueInputScaleAlsoSaturates) {
  // With 0.0001525924017187208 no float32 s_w makes float32(s_in * s_w) equal
  // 7.617614820112793e-28 (the products step over it); the nearest,
  // 7.617614338630307e-28, saturates all the same.
  const Result r = quantize(find_preset("luci-int16-2021"), mobilenet_first_conv(kInputScaleIssue));
  EXPECT_EQ(r.bias.q[3], std::numeric_limits<std::int64_t>::min());
  EXPECT_DOUBLE_EQ(r.bias.dequantized[3], static_cast<double>(r.bias.scale[3]) * -0x1p63);
  EXPECT_NEAR(r.bias.scale[3], 7.6176e-28, 1e-31);
}

TEST(Golden6970, Pr6971ReplacesTheTinyScaleWithOne) {
  const Result r = quantize(find_preset("luci-int16-6971"), mobilenet_first_conv(kInputScaleIssue));
  EXPECT_EQ(r.weights.channels[3].scale, 1.0f);
  EXPECT_EQ(r.bias.scale[3], kInputScaleIssue);
  EXPECT_EQ(r.bias.q[3], -7967);
  EXPECT_DOUBLE_EQ(r.bias.dequantized[3], -1.2157036644930486);
  for (int i = 0; i < 27; ++i) EXPECT_EQ(r.weights.q[3 * 27 + i], 0);
}

TEST(Golden6970, Pr7017FloorsTheBiasScale) {
  const Result r =
      quantize(find_preset("luci-int16-7017"), mobilenet_first_conv(kInputScaleThread));
  EXPECT_EQ(r.bias.q[3], -1215652912168960);
  // The least float32 s_w with float32(s_in * s_w) >= 1e-15f: the product
  // lands one float above 1e-15f, which rounds the bias to the same integer.
  EXPECT_GE(r.bias.scale[3], 1e-15f);
  EXPECT_LT(r.bias.scale[3], std::nextafter(std::nextafter(1e-15f, 1.0f), 1.0f));
  EXPECT_TRUE(r.weights.channels[3].raised_for_bias);
}

TEST(Golden6970, Pr7063FloorOneEMinus9MatchesTheThread) {
  const Result r =
      quantize(find_preset("luci-int16-7063"), mobilenet_first_conv(kInputScaleThread));
  EXPECT_EQ(r.weights.channels[3].scale, 9.999999717180685e-10f);
  EXPECT_EQ(r.bias.scale[3], 1.5259200966590697e-13f);
  EXPECT_EQ(r.bias.q[3], -7966688280576);
  EXPECT_DOUBLE_EQ(r.bias.dequantized[3], -1.2156529751149208);
}

TEST(Golden6970, CurrentFloorOneEMinus8Fits) {
  const Result r = quantize(find_preset("luci-int16"), mobilenet_first_conv(kInputScaleThread));
  EXPECT_EQ(r.weights.channels[3].scale, 1e-8f);
  EXPECT_FALSE(r.bias.saturated[3]);
  EXPECT_NEAR(r.bias.dequantized[3], kBias, 1e-6);
}

TEST(Golden6970, ReferenceKeepsTheBiasWithinHalfAStep) {
  for (const char* name : {"reference", "reference-int16", "reference-uint8"}) {
    for (float s_in : {kInputScaleIssue, kInputScaleThread}) {
      const Result r = quantize(find_preset(name), mobilenet_first_conv(s_in));
      EXPECT_FALSE(r.bias.saturated[3]) << name;
      // Exact: |q - b / s_b| <= 1/2 (test_exact.cpp checks within_half_step itself).
      EXPECT_TRUE(within_half_step(r.bias.q[3], kBias, r.bias.scale[3])) << name;
      EXPECT_NEAR(r.bias.dequantized[3], kBias, 1e-6) << name;
      EXPECT_TRUE(r.findings.empty()) << name << ": " << to_string(r.findings.front().kind);
    }
  }
}

}  // namespace
}  // namespace quantcheck
