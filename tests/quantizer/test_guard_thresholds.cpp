// Every guard and floor pinned bit-exact on both sides of its threshold, over
// a spread of biases and input scales (as RaiseIsTheLeastOverManyBiasesAnd-
// InputScales does for `reference`). Each expected value is the upstream rule
// (../shared/reference/POLICIES.md) written out here in its own arithmetic;
// a factor, a comparison or an int32 constant changed in quantizer/src fails
// here. The spreads are wide enough that a constant off by one (2^31 - 1 vs
// 2^31 - 2, a relative change of 5e-10) moves some threshold across a float32
// rounding boundary: a few thousand cases each.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <vector>

#include "quantcheck/presets.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck {
namespace {

// FULLY_CONNECTED with `rows` output channels: channel 0 is {m, -m / 2} with
// bias b, the others {1, -1} with bias 0.
Case fc(int rows, float m, float b, float s_in) {
  Case c;
  c.op = OpKind::fully_connected;
  c.input_scale = s_in;
  c.weight_shape = {rows, 2};
  c.weights = {m, -m / 2};
  c.bias = {b};
  for (int r = 1; r < rows; ++r) {
    c.weights.insert(c.weights.end(), {1.0f, -1.0f});
    c.bias.push_back(0.0f);
  }
  return c;
}

// The least float32 >= v (v > 0, finite).
float float_at_or_above(double v) {
  float f = static_cast<float>(v);
  if (double(f) < v) f = std::nextafter(f, FLT_MAX);
  return f;
}

// A spread of n values over [lo, hi] (log-uniform, irregular mantissas).
std::vector<float> spread(double lo, double hi, int n) {
  std::vector<float> v;
  for (int i = 0; i < n; ++i) {
    const double t = (i + 0.5 * std::sin(i * 12.9898)) / n;
    v.push_back(static_cast<float>(lo * std::pow(hi / lo, std::clamp(t, 0.0, 1.0))));
  }
  return v;
}

constexpr double kInt32Max = 2147483647.0;

// ---- TFLite AdjustWeightsForBiasScale ----

// Several channels: |b| >= 0.5 * s_in * s_w * INT32_MAX, in double, left to
// right; when it fires the half range becomes 2|b| / INT32_MAX * float(127 / s_in)
// (double, then float32) and s_w = float(range) / 127.
TEST(GuardThresholds, TfliteSeveralChannelsFiresAtTheDoubleThreshold) {
  int cases = 0;
  for (const char* name : {"tflite-int8", "tflite-int16x8"}) {
    const Policy& p = find_preset(name);
    for (float s_in : spread(1e-9, 10.0, 25))
      for (float m : spread(1e-6, 30.0, 40)) {
        const float s_w = m / 127.0f;
        const double t = 0.5 * double(s_in) * double(s_w) * kInt32Max;
        const float at = float_at_or_above(t);
        const float below = std::nextafter(at, 0.0f);
        const Result fired = quantize(p, fc(2, m, at, s_in));
        const Result quiet = quantize(p, fc(2, m, below, s_in));
        const float range =
            static_cast<float>(2.0 * double(at) / kInt32Max * double(127.0f / s_in));
        ASSERT_EQ(fired.weights.channels[0].fitted_range, range)
            << name << " s_in " << s_in << " m " << m << " b " << at;
        ASSERT_EQ(fired.weights.channels[0].scale, range / 127.0f);
        ASSERT_EQ(quiet.weights.channels[0].fitted_range, 0.0f)
            << name << " s_in " << s_in << " m " << m << " b " << below;
        ASSERT_EQ(quiet.weights.channels[0].scale, s_w);
        // Far above the threshold the widened scale is the rule's value.
        const float big = at * 1000.0f;
        const float range_big =
            static_cast<float>(2.0 * double(big) / kInt32Max * double(127.0f / s_in));
        ASSERT_EQ(quantize(p, fc(2, m, -big, s_in)).weights.channels[0].scale, range_big / 127.0f);
        ++cases;
      }
  }
  EXPECT_EQ(cases, 2000);
}

// One channel (a per-layer weight): float(|b|) / float(INT32_MAX) >= 0.5 * s_in * s_w,
// the left side in float32 (POLICIES.md section 2; issue 11 E). Depends on the
// preset fix of branch `fid` (today's code takes the per-channel branch).
TEST(GuardThresholds, TfliteOneChannelUsesTheFloat32PerLayerTest) {
  const Policy& p = find_preset("tflite-int8");
  for (float s_in : spread(1e-9, 10.0, 25))
    for (float m : spread(1e-6, 30.0, 40)) {
      const float s_w = m / 127.0f;
      const double rhs = 0.5 * double(s_in) * double(s_w);
      auto fires = [&](float b) { return std::fabs(b) / static_cast<float>(kInt32Max) >= rhs; };
      // The least float b that fires: near rhs * 2^31, found by stepping.
      float at = float_at_or_above(rhs * 2147483648.0);
      while (!fires(at)) at = std::nextafter(at, FLT_MAX);
      while (fires(std::nextafter(at, 0.0f))) at = std::nextafter(at, 0.0f);
      const float below = std::nextafter(at, 0.0f);
      ASSERT_GT(quantize(p, fc(1, m, at, s_in)).weights.channels[0].fitted_range, 0.0f)
          << "s_in " << s_in << " m " << m << " b " << at;
      ASSERT_EQ(quantize(p, fc(1, m, below, s_in)).weights.channels[0].fitted_range, 0.0f)
          << "s_in " << s_in << " m " << m << " b " << below;
    }
  // Issue 11 E: s_in 1e-6, [4e-37], bias [3.5e-36] is not raised with one channel.
  Case e;
  e.op = OpKind::fully_connected;
  e.input_scale = 1e-6f;
  e.weight_shape = {1, 1};
  e.weights = {4e-37f};
  e.bias = {3.5e-36f};
  EXPECT_EQ(quantize(p, e).weights.channels[0].scale, 3.149606072564246e-39f);
}

// ---- ONNX Runtime (#22020) ----

// smallest = 1.0001 * 2|b| / (2^32 - 2); raised iff 0 < s_in * s_w < smallest
// (double), to float(s_w * (smallest / (s_in * s_w))).
TEST(GuardThresholds, OnnxRuntimeRaisesBelowTheMarginOnly) {
  const Policy& p = find_preset("onnxruntime-int8");
  int cases = 0;
  for (float s_in : spread(1e-12, 10.0, 40))
    for (float m : spread(1e-6, 30.0, 50)) {
      const float s_w = quantize(p, fc(1, m, 0.0f, s_in)).weights.channels[0].scale;
      const double product = double(s_in) * double(s_w);
      auto smallest = [](float b) { return 1.0001 * 2.0 * double(b) / (4294967296.0 - 2.0); };
      // The least float b whose smallest exceeds the product.
      float at = float_at_or_above(product / (1.0001 * 2.0) * (4294967296.0 - 2.0));
      while (!(smallest(at) > product)) at = std::nextafter(at, FLT_MAX);
      while (smallest(std::nextafter(at, 0.0f)) > product) at = std::nextafter(at, 0.0f);
      const float below = std::nextafter(at, 0.0f);
      const float want = static_cast<float>(double(s_w) * (smallest(at) / product));
      ASSERT_EQ(quantize(p, fc(1, m, at, s_in)).weights.channels[0].scale, want)
          << "s_in " << s_in << " m " << m << " b " << at;
      ASSERT_EQ(quantize(p, fc(1, m, -below, s_in)).weights.channels[0].scale, s_w)
          << "s_in " << s_in << " m " << m << " b " << below;
      ++cases;
    }
  EXPECT_EQ(cases, 2000);
}

// ---- AIMET: s_w >= |b| / (2^31 s_in), the least float32 at or above ----

TEST(GuardThresholds, AimetRaisesToTheLeastFloatAboveTheBound) {
  Policy p = find_preset("tflite-int8");
  p.bias_fit = BiasFit::aimet;
  int cases = 0;
  for (float s_in : spread(1e-12, 10.0, 40))
    for (float m : spread(1e-6, 30.0, 50)) {
      const float s_w = m / 127.0f;
      // The least float b with |b| / (2^31 s_in) > s_w.
      auto need = [&](float b) { return double(b) / (2147483648.0 * double(s_in)); };
      float at = float_at_or_above(double(s_w) * 2147483648.0 * double(s_in));
      while (!(need(at) > double(s_w))) at = std::nextafter(at, FLT_MAX);
      while (need(std::nextafter(at, 0.0f)) > double(s_w)) at = std::nextafter(at, 0.0f);
      const float below = std::nextafter(at, 0.0f);
      ASSERT_EQ(quantize(p, fc(1, m, at, s_in)).weights.channels[0].scale,
                float_at_or_above(need(at)))
          << "s_in " << s_in << " m " << m << " b " << at;
      ASSERT_EQ(quantize(p, fc(1, m, below, s_in)).weights.channels[0].scale, s_w)
          << "s_in " << s_in << " m " << m << " b " << below;
      ++cases;
    }
  EXPECT_EQ(cases, 2000);
}

// ---- the floors ----

// Sweeps the channel's max|w| (one-sided, {m, 0}: the range is m for every
// scheme) across the value whose unfloored scale is the threshold, and
// expects the floor (or the replacement) below it and the unfloored scale
// from it on. The unfloored scale is float32(m) / float32(divisor) for the
// float32 policies (taken from the same policy without its floor), and for
// the policies that keep it in float64 until it is stored (ONE luci uint8,
// ONNX Runtime: POLICIES.md sections 1 and 3) double(m) / divisor, tested
// against the threshold before the rounding to float32.
void expect_floor(const char* name, double threshold, float floored, bool float64) {
  const Policy& p = find_preset(name);
  Policy bare = p;
  bare.scale_floor = 0;
  bare.tiny_scale_threshold = 0;
  bare.bias_fit = BiasFit::none;
  bare.bias_scale_floor = 0;
  const float centre = static_cast<float>(threshold * p.scale_divisor);
  int at = 0, below = 0, above = 0;
  float m = centre;
  for (int i = 0; i < 40; ++i) m = std::nextafter(m, 0.0f);
  for (int i = 0; i < 80; ++i, m = std::nextafter(m, FLT_MAX)) {
    Case c = fc(1, m, 0.0f, 0.01f);
    c.weights[1] = 0.0f;
    const double s0 =
        float64 ? double(m) / p.scale_divisor : double(quantize(bare, c).weights.channels[0].scale);
    const float got = quantize(p, c).weights.channels[0].scale;
    const float want = s0 < threshold ? floored : static_cast<float>(s0);
    ASSERT_EQ(got, want) << name << " max|w| " << m << " unfloored " << s0;
    at += s0 == threshold;
    below += s0 < threshold;
    above += s0 > threshold;
  }
  EXPECT_GT(below, 0) << name;
  EXPECT_GT(above, 0) << name;
  return (void)at;
}

// The replacements (ONE #6971, ONNX Runtime) test "<": a scale exactly at the
// threshold stays; the sweep must hit it.
void expect_replacement(const char* name, double threshold, bool float64) {
  expect_floor(name, threshold, 1.0f, float64);
  const Policy& p = find_preset(name);
  Case c = fc(1, static_cast<float>(threshold * p.scale_divisor), 0.0f, 0.01f);
  c.weights[1] = 0.0f;
  ASSERT_EQ(double(c.weights[0]), threshold * p.scale_divisor) << name << ": not exact";
  EXPECT_EQ(quantize(p, c).weights.channels[0].scale, static_cast<float>(threshold)) << name;
}

TEST(GuardThresholds, ScaleFloorsAreExactOnBothSides) {
  expect_floor("luci-uint8", 1e-5, 1e-5f, true);  // luci's 1e-5 is a double
  expect_floor("luci-int16-7063", 1e-9f, 1e-9f, false);
  expect_floor("luci-int16", 1e-8f, 1e-8f, false);
  expect_floor("pytorch-int8-symmetric", FLT_EPSILON, FLT_EPSILON, false);
  expect_floor("pytorch-uint8-affine", FLT_EPSILON, FLT_EPSILON, false);
  expect_replacement("luci-int16-6971", FLT_EPSILON, false);  // #6971: < FLT_EPSILON -> 1
  expect_replacement("onnxruntime-int8", FLT_MIN, true);      // < FLT_MIN -> 1
  expect_replacement("onnxruntime-uint8", FLT_MIN, true);
}

// #7017: s_w raised to the least float32 with float32(s_in * s_w) >= 1e-15.
TEST(GuardThresholds, Luci7017BiasScaleFloorIsTheLeastFloat) {
  const Policy& p = find_preset("luci-int16-7017");
  int raised = 0;
  for (float s_in : spread(1e-10, 1e6, 60))
    for (float m : spread(1e-20, 1e-3, 30)) {
      const float s0 = m / 32767.0f;
      const float got = quantize(p, fc(1, m, 0.0f, s_in)).weights.channels[0].scale;
      if (s_in * s0 >= 1e-15f) {
        ASSERT_EQ(got, s0) << "s_in " << s_in << " m " << m;
        continue;
      }
      ++raised;
      ASSERT_GE(s_in * got, 1e-15f) << "s_in " << s_in << " m " << m;
      ASSERT_LT(s_in * std::nextafter(got, 0.0f), 1e-15f) << "s_in " << s_in << " m " << m;
    }
  EXPECT_GT(raised, 300);
}

}  // namespace
}  // namespace quantcheck
