// Every preset constant pinned through what it does: change a floor, a
// divisor, a range end or a rule in quantizer/src/presets.cpp and one of
// these fails. Expected values are the formulas of POLICIES.md evaluated
// independently here (float32 or float64 as the original computes them).
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>

#include "quantcheck/presets.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck {
namespace {

constexpr std::int32_t kInt32Min = std::numeric_limits<std::int32_t>::min();
constexpr std::int32_t kInt32Max = std::numeric_limits<std::int32_t>::max();

// A fully connected layer with one row per output channel.
Case fc(std::vector<std::vector<float>> rows, std::vector<float> bias, float input_scale) {
  Case c;
  c.op = OpKind::fully_connected;
  c.input_scale = input_scale;
  c.weight_shape = {static_cast<std::int64_t>(rows.size()),
                    static_cast<std::int64_t>(rows.front().size())};
  for (const auto& r : rows) c.weights.insert(c.weights.end(), r.begin(), r.end());
  c.bias = std::move(bias);
  return c;
}

Result run(const char* policy, const Case& c) { return quantize(find_preset(policy), c); }

// ---- ONE luci uint8 ----

TEST(LuciUint8, ScaleAndZeroPointFollowTheOneSidedRules) {
  const Result r =
      run("luci-uint8", fc({{0.5f, 2.55f}, {-2.55f, -0.5f}, {-1.0f, 1.55f}}, {}, 0.01f));
  // min >= 0: zp 0, scale max / 255.
  EXPECT_EQ(r.weights.channels[0].zero_point, 0);
  EXPECT_EQ(r.weights.channels[0].scale, 2.55f / 255.0f);
  // max < 0: zp 255, scale -min / 255.
  EXPECT_EQ(r.weights.channels[1].zero_point, 255);
  EXPECT_EQ(r.weights.channels[1].scale, 2.55f / 255.0f);
  // Mixed: zp = round(-rmin / scale) with scale = (rmax - rmin) / 255.
  const float s = (1.55f - -1.0f) / 255.0f;
  EXPECT_EQ(r.weights.channels[2].scale, s);
  EXPECT_EQ(r.weights.channels[2].zero_point, static_cast<int>(std::round(1.0f / s)));
  EXPECT_EQ(r.weights.q[2 * 2 + 0], 0);    // -1.0 is the bottom of the nudged range
  EXPECT_EQ(r.weights.q[2 * 2 + 1], 255);  // 1.55 the top
}

TEST(LuciUint8, FloorIsOneEMinus5AndMovesTheZeroPoint) {
  const Result r = run("luci-uint8", fc({{-1e-4f, 5e-4f}}, {}, 0.01f));
  EXPECT_EQ(r.weights.channels[0].scale, 1e-5f);
  EXPECT_EQ(r.weights.channels[0].zero_point, static_cast<int>(std::round(1e-4f / 1e-5f)));
  const Result above = run("luci-uint8", fc({{-1e-2f, 1e-2f}}, {}, 0.01f));
  EXPECT_EQ(above.weights.channels[0].scale, 2e-2f / 255.0f);
}

TEST(LuciUint8, FlooredScalesStillOverflowInt32AndFlipTheSign) {
  // s_in = s_w = 1e-5: s_b = 1e-10, so |b| > 0.2147 overflows int32. luci
  // casts before it clamps: on x86-64 a positive bias becomes INT32_MIN.
  const Case over = fc({{-1e-4f, 1e-4f}}, {0.2148f}, 1e-5f);
  const Result r = run("luci-uint8", over);
  EXPECT_EQ(r.weights.channels[0].scale, 1e-5f);
  EXPECT_EQ(r.bias.q[0], kInt32Min);
  EXPECT_TRUE(r.bias.saturated[0]);
  bool flipped = false;
  for (const auto& f : r.findings) flipped |= f.kind == FindingKind::bias_sign_flipped;
  EXPECT_TRUE(flipped);
  // Just below the limit it fits.
  const Result fits = run("luci-uint8", fc({{-1e-4f, 1e-4f}}, {0.2146f}, 1e-5f));
  EXPECT_FALSE(fits.bias.saturated[0]);
  EXPECT_GT(fits.bias.q[0], 2100000000);
}

TEST(LuciUint8, BiasUsesTheFloat32Inverse) {
  // q = round(float32(b * float32(1 / s_b))): for b = 0.1 the float32 product
  // differs from the exact quotient in the last places.
  const Result r = run("luci-uint8", fc({{-1.0f, 1.0f}}, {0.1f}, 0.01f));
  const float s_b = 0.01f * r.weights.channels[0].scale;
  const float inv = static_cast<float>(1.0 / static_cast<double>(s_b));
  EXPECT_EQ(r.bias.q[0], static_cast<std::int64_t>(std::round(0.1f * inv)));
}

// ---- ONE luci int16 eras ----

TEST(LuciInt16, RangeIsPlusMinus32767) {
  const Result r = run("luci-int16", fc({{-1.0f, 1.0f, 0.25f}}, {}, 0.01f));
  EXPECT_EQ(r.weights.channels[0].scale, 1.0f / 32767.0f);
  EXPECT_EQ(r.weights.q[0], -32767);
  EXPECT_EQ(r.weights.q[1], 32767);
  EXPECT_EQ(r.weights.q[2], static_cast<int>(std::round(0.25f * (1.0f / (1.0f / 32767.0f)))));
}

TEST(LuciInt16, EraFloors) {
  const Case tiny = fc({{-1e-12f, 1e-12f}}, {0.0f}, 1e-4f);
  EXPECT_EQ(run("luci-int16-2021", tiny).weights.channels[0].scale, 1e-12f / 32767.0f);
  EXPECT_EQ(run("luci-int16-7063", tiny).weights.channels[0].scale, 1e-9f);
  EXPECT_EQ(run("luci-int16", tiny).weights.channels[0].scale, 1e-8f);
  // #6971: below FLT_EPSILON the scale becomes 1; at or above it stays.
  EXPECT_EQ(run("luci-int16-6971", tiny).weights.channels[0].scale, 1.0f);
  const float at_eps = FLT_EPSILON * 32767.0f * 1.001f;
  const Result kept = run("luci-int16-6971", fc({{-at_eps, at_eps}}, {0.0f}, 1e-4f));
  EXPECT_EQ(kept.weights.channels[0].scale, at_eps / 32767.0f);
  // #7017: s_in * s_w raised to at least 1e-15 and no further than one step.
  const Result r7017 = run("luci-int16-7017", tiny);
  const float s_b = 1e-4f * r7017.weights.channels[0].scale;
  EXPECT_GE(s_b, 1e-15f);
  EXPECT_LT(1e-4f * std::nextafter(r7017.weights.channels[0].scale, 0.0f), 1e-15f);
}

TEST(LuciInt16, SeedEraAllZeroChannelHasScaleZeroAndLosesItsBias) {
  const Result r = run("luci-int16-2021", fc({{0.0f, 0.0f}}, {0.5f}, 1e-4f));
  EXPECT_EQ(r.weights.channels[0].scale, 0.0f);
  EXPECT_EQ(r.bias.q[0], 0);  // inv = 0 for s_b == 0
  // The unchecked cast of 0 * inf = NaN gives INT32_MIN, clamped to -32767.
  EXPECT_EQ(r.weights.q[0], -32767);
}

TEST(LuciInt16, Int64BiasIsNeverClampedOnlyCast) {
  bool saturated = false;
  EXPECT_EQ(quantize_bias_value(find_preset("luci-int16"), 1.0f, 1e-30f, &saturated),
            std::numeric_limits<std::int64_t>::min());
  EXPECT_TRUE(saturated);
}

// ---- TensorFlow Lite ----

TEST(TFLite, Int8SymmetricOver127) {
  const Result r = run("tflite-int8", fc({{-0.5f, 1.27f}}, {0.0f}, 0.01f));
  EXPECT_EQ(r.weights.channels[0].scale, 1.27f / 127.0f);
  EXPECT_EQ(r.weights.q[1], 127);
  EXPECT_EQ(r.weights.q[0], static_cast<int>(std::round(-0.5f * (127.0f / 1.27f))));
}

TEST(TFLite, HalfRangeGuardWidensTheWeightRange) {
  // |b| >= 0.5 s_in s_w INT32_MAX: the new half range is 2|b| / INT32_MAX * (127 / s_in).
  const float b = 3.0f, s_in = 0.01f;
  const Result r = run("tflite-int8", fc({{-1e-6f, 1e-6f}}, {b}, s_in));
  const float range = static_cast<float>(2.0 * b / kInt32Max * (127.0f / s_in));
  EXPECT_EQ(r.weights.channels[0].scale, range / 127.0f);
  EXPECT_TRUE(r.weights.channels[0].raised_for_bias);
  EXPECT_NEAR(static_cast<double>(r.bias.q[0]), kInt32Max / 2.0, 2.0);
  // Below the threshold nothing moves.
  const Result small = run("tflite-int8", fc({{-1.0f, 1.0f}}, {b}, s_in));
  EXPECT_EQ(small.weights.channels[0].scale, 1.0f / 127.0f);
  EXPECT_FALSE(small.weights.channels[0].raised_for_bias);
}

TEST(TFLite, GuardUsesTheInt32LimitEvenForInt64Bias) {
  const Result r = run("tflite-int16x8", fc({{-1e-6f, 1e-6f}}, {3.0f}, 0.01f));
  EXPECT_NEAR(static_cast<double>(r.bias.q[0]), kInt32Max / 2.0, 2.0);
}

TEST(TFLite, AllZeroChannelGetsScaleZeroAndBiasZero) {
  const Result r = run("tflite-int8", fc({{0.0f, 0.0f}}, {0.0f}, 0.01f));
  EXPECT_EQ(r.weights.channels[0].scale, 0.0f);
  EXPECT_EQ(r.weights.q[0], 0);
  EXPECT_EQ(r.bias.q[0], 0);
  bool invalid = false;
  for (const auto& f : r.findings) invalid |= f.kind == FindingKind::invalid_scale;
  EXPECT_TRUE(invalid);
}

TEST(TFLite, BiasSaturatesSymmetricallyAndNaNIsZero) {
  const Policy& p = find_preset("tflite-int8");
  bool sat = false;
  EXPECT_EQ(quantize_bias_value(p, -1.0f, 1e-20f, &sat), -kInt32Max);  // TF #33735
  EXPECT_TRUE(sat);
  EXPECT_EQ(quantize_bias_value(p, 1.0f, 1e-20f, &sat), kInt32Max);
  EXPECT_EQ(quantize_bias_value(p, 0.0f, 1e-45f, &sat), 0);  // 0 * inf = NaN -> 0
}

// ---- ONNX Runtime ----

TEST(OnnxRuntime, ScaleBelowFltMinBecomesOne) {
  const Result r = run("onnxruntime-int8", fc({{-1e-37f, 1e-37f}}, {0.0f}, 0.01f));
  EXPECT_EQ(r.weights.channels[0].scale, 1.0f);
  const Result u = run("onnxruntime-uint8", fc({{-1e-37f, 1e-37f}}, {0.0f}, 0.01f));
  EXPECT_EQ(u.weights.channels[0].scale, 1.0f);
  EXPECT_EQ(u.weights.channels[0].zero_point, 0);
  // Just above FLT_MIN * 127 the computed scale stays.
  const float x = FLT_MIN * 127.0f * 2.0f;
  EXPECT_EQ(run("onnxruntime-int8", fc({{-x, x}}, {0.0f}, 0.01f)).weights.channels[0].scale,
            static_cast<float>(static_cast<double>(x) / 127.0));
}

TEST(OnnxRuntime, WeightScaleRaisedBy1Point0001) {
  const float b = 5.0f, s_in = 0.01f;
  // 64 products per output: 64 * 255 * 127 is more than the 0.01 % margin left.
  std::vector<float> row(64, 1e-5f);
  row[0] = -1e-5f;
  const Result r = run("onnxruntime-int8", fc({row}, {b}, s_in));
  const double s_w0 = static_cast<float>(1e-5 / 127.0);
  const double smallest = 1.0001 * 2.0 * b / (4294967296.0 - 2.0);
  const float expect = static_cast<float>(s_w0 * (smallest / (double(s_in) * s_w0)));
  EXPECT_EQ(r.weights.channels[0].scale, expect);
  // No margin: the bias uses all but 0.01 % of the int32 range.
  EXPECT_GT(std::llabs(r.bias.q[0]), 2147000000LL);
  EXPECT_FALSE(r.bias.saturated[0]);
  bool no_room = false;
  for (const auto& f : r.findings) no_room |= f.kind == FindingKind::no_headroom;
  EXPECT_TRUE(no_room);
}

TEST(OnnxRuntime, RoundsHalfToEven) {
  // max|x| = 31.75 gives s = 31.75 / 127 = 0.25 exactly, so 0.625 / s = 2.5 is a tie.
  const Result r = run("onnxruntime-int8", fc({{-31.75f, 0.625f}}, {0.0f}, 0.01f));
  ASSERT_EQ(r.weights.channels[0].scale, 0.25f);
  EXPECT_EQ(r.weights.q[1], 2);
  const Result away = run("reference", fc({{-31.75f, 0.625f}}, {0.0f}, 0.01f));
  EXPECT_EQ(away.weights.q[1], 3);  // half away from zero
}

TEST(OnnxRuntime, Uint8BiasIsClippedNotRaised) {
  const Result r = run("onnxruntime-uint8", fc({{-1e-5f, 1e-5f}}, {5.0f}, 0.01f));
  EXPECT_EQ(r.bias.q[0], kInt32Max);
  EXPECT_TRUE(r.bias.saturated[0]);
}

// ---- PyTorch ----

TEST(PyTorch, Int8DivisorIs127Point5AndRangeIsMinus128To127) {
  const Result r = run("pytorch-int8-symmetric", fc({{-1.275f, 0.5f}}, {0.0f}, 0.01f));
  EXPECT_EQ(r.weights.channels[0].scale, 1.275f / 127.5f);
  EXPECT_EQ(r.weights.q[0], -128);
}

TEST(PyTorch, EpsFloor) {
  const Result r = run("pytorch-int8-symmetric", fc({{-1e-9f, 1e-9f}}, {0.0f}, 0.01f));
  EXPECT_EQ(r.weights.channels[0].scale, FLT_EPSILON);
  const Result u = run("pytorch-uint8-affine", fc({{0.0f, 0.0f}}, {0.0f}, 0.01f));
  EXPECT_EQ(u.weights.channels[0].scale, FLT_EPSILON);
}

TEST(PyTorch, AffineZeroPointIsQminMinusRoundMinOverScale) {
  const Result r =
      run("pytorch-uint8-affine", fc({{-1.0f, 3.0f}, {0.5f, 2.0f}, {-2.0f, -1.0f}}, {}, 0.01f));
  const float s0 = 4.0f / 255.0f;
  EXPECT_EQ(r.weights.channels[0].scale, s0);
  EXPECT_EQ(r.weights.channels[0].zero_point, static_cast<int>(std::nearbyint(1.0f / s0)));
  EXPECT_EQ(r.weights.channels[1].zero_point, 0);    // min_neg = 0
  EXPECT_EQ(r.weights.channels[2].zero_point, 255);  // max_pos = 0
}

TEST(PyTorch, Int32BiasOverflowsWithoutAGuard) {
  // pose_landmark_lite conv2d_39 channel 165 (../shared/models/README.md).
  const Case c = fc({{-2.2828579e-05f, 3.4809113e-05f}}, {-6.04296875f}, 1.0f / 127.0f);
  for (const char* p : {"pytorch-int8-symmetric", "pytorch-uint8-affine"}) {
    const Result r = run(p, c);
    EXPECT_TRUE(r.bias.saturated[0]) << p;
    EXPECT_EQ(r.bias.q[0], kInt32Min) << p;
  }
  EXPECT_EQ(run("pytorch-int8-symmetric", c).weights.channels[0].scale, 3.4809113e-05f / 127.5f);
  for (const char* p : {"reference", "tflite-int8", "onnxruntime-int8", "luci-uint8"})
    EXPECT_FALSE(run(p, c).bias.saturated[0]) << p;
}

}  // namespace
}  // namespace quantcheck
