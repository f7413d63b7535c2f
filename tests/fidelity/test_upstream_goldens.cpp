// The seven disagreements of issue 11 (A-G), each pinned by the facts of the
// public record (../shared/reference/POLICIES.md, corrected 2026-12-01) and
// by the upstream steps written out here, numpy-style, in float32 / float64
// exactly as the original computes them. Never from the presets.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "quantcheck/presets.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck {
namespace {

constexpr std::int64_t kInt32Min = std::numeric_limits<std::int32_t>::min();
constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();

Case fc(std::vector<float> row, std::vector<float> bias, float input_scale) {
  Case c;
  c.op = OpKind::fully_connected;
  c.input_scale = input_scale;
  c.weight_shape = {1, static_cast<std::int64_t>(row.size())};
  c.weights = std::move(row);
  c.bias = std::move(bias);
  return c;
}

Result run(const char* policy, const Case& c) { return quantize(find_preset(policy), c); }

// ---- A. luci uint8: compute_asym_scale_zp in double ----

TEST(UpstreamGoldens, A_LuciUint8ScaleAndZeroPointInDouble) {
  // Fact: data [-0.69, 0.69] -> zp 127, q [0, 254] (float32 would give 128, [0, 255]).
  const Result r = run("luci-uint8", fc({-0.69f, 0.69f}, {}, 1.0f));
  EXPECT_EQ(r.weights.channels[0].zero_point, 127);
  EXPECT_EQ(r.weights.q, (std::vector<std::int32_t>{0, 254}));
  // The same by luci's steps: -rmin / scale in double is 127.49999999999999.
  const double rmin = double(-0.69f), rmax = double(0.69f);
  const double scale = (rmax - rmin) / 255.0;
  EXPECT_LT(0.0 - rmin / scale, 127.5);
  EXPECT_EQ(std::round(0.0 - rmin / scale), 127.0);

  // Fact: data [-0.01, 0.003] stores 5.098039036965929e-05 (float32 steps: 5.09803940076381e-05).
  const Result s = run("luci-uint8", fc({-0.01f, 0.003f}, {}, 1.0f));
  EXPECT_EQ(double(s.weights.channels[0].scale), 5.098039036965929e-05);
  EXPECT_EQ(s.weights.channels[0].scale,
            static_cast<float>((double(0.003f) - double(-0.01f)) / 255.0));
}

TEST(UpstreamGoldens, A_LuciUint8FloorAndNudgedRangeInDouble) {
  // scale < 1e-5 (double) -> 1e-5, zp = round(-rmin / 1e-5), nudged range
  // (q - zp) * 1e-5 in double stored as float32; then q = round(float32(
  // clip(x) - nmin) * float32(1 / s)).
  const std::vector<float> data = {-7.3e-4f, 1.1e-3f, 2.3e-4f, -1e-4f};
  const Result r = run("luci-uint8", fc(data, {}, 1.0f));
  const double rmin = double(-7.3e-4f);
  const double zp = std::round(0.0 - rmin / 1e-5);
  ASSERT_EQ(r.weights.channels[0].zero_point, static_cast<int>(zp));
  EXPECT_EQ(r.weights.channels[0].scale, static_cast<float>(1e-5));
  const float nmin = static_cast<float>((0.0 - zp) * 1e-5);
  const float nmax = static_cast<float>((255.0 - zp) * 1e-5);
  const float inv = static_cast<float>(1.0 / double(static_cast<float>(1e-5)));
  for (std::size_t i = 0; i < data.size(); ++i) {
    const float clipped = std::min(std::max(data[i], nmin), nmax);
    const float v = (clipped - nmin) * inv;
    EXPECT_EQ(r.weights.q[i], static_cast<std::int32_t>(std::round(v))) << i;
  }
}

// ---- B. ONNX Runtime: rmax - rmin in float32, then the float64 scale ----

TEST(UpstreamGoldens, B_OnnxRuntimeRangeDifferenceInFloat32) {
  // Fact: data [-0.01, 0.003] uint8 -> 5.09803940076381e-05 (all-float64: 5.098039036965929e-05).
  const Result r = run("onnxruntime-uint8", fc({-0.01f, 0.003f}, {}, 1.0f));
  EXPECT_EQ(double(r.weights.channels[0].scale), 5.09803940076381e-05);
  // numpy: dr = float64(float32(rmax - rmin)); scale = dr / 255; zp = round(0 - rmin / scale).
  const float dr = 0.003f - -0.01f;
  const double scale = double(dr) / 255.0;
  EXPECT_EQ(r.weights.channels[0].scale, static_cast<float>(scale));
  EXPECT_EQ(r.weights.channels[0].zero_point,
            static_cast<int>(std::nearbyint(0.0 - double(-0.01f) / scale)));
}

TEST(UpstreamGoldens, B_OnnxRuntimeSymmetricRangeOverflowsInFloat32) {
  // int8 symmetric: rmax - rmin = 2 max|x| in float32 is inf for max|x| > FLT_MAX / 2.
  const Result r = run("onnxruntime-int8", fc({-3e38f, 1.0f}, {}, 1.0f));
  EXPECT_TRUE(std::isinf(r.weights.channels[0].scale));
  const float two_absmax = 3e38f - -3e38f;
  EXPECT_TRUE(std::isinf(two_absmax));
}

// ---- C. ONNX Runtime weights: float32 x / s, half to even ----

TEST(UpstreamGoldens, C_OnnxRuntimeWeightsDivideInFloat32) {
  // Fact: int8 [1.0, 0.13779526948928833] -> [127, 18]: float32 x / s is exactly 17.5.
  const Result r = run("onnxruntime-int8", fc({1.0f, 0.13779526948928833f}, {}, 1.0f));
  EXPECT_EQ(r.weights.q, (std::vector<std::int32_t>{127, 18}));
  const float s = r.weights.channels[0].scale;
  EXPECT_EQ(s, static_cast<float>(double(1.0f - -1.0f) / 254.0));
  EXPECT_EQ(0.13779526948928833f / s, 17.5f);
  EXPECT_LT(double(0.13779526948928833f) / double(s), 17.5);  // float64 would give 17

  // Fact: uint8 [-0.77, 0.93] -> [0, 255].
  const Result u = run("onnxruntime-uint8", fc({-0.77f, 0.93f}, {}, 1.0f));
  EXPECT_EQ(u.weights.q, (std::vector<std::int32_t>{0, 255}));
  // Half a step and more: 0.5000023 of a step, so the preset no longer claims the bound.
  const ChannelParams& cp = u.weights.channels[0];
  const double err = std::fabs((255.0 - cp.zero_point) * double(cp.scale) - double(0.93f));
  EXPECT_GT(err, 0.5 * double(cp.scale));
  EXPECT_NEAR(err / double(cp.scale), 0.5000023, 1e-7);
  EXPECT_FALSE(find_preset("onnxruntime-uint8").guarantees.weight_error_bound);
}

// ---- D. TFLite: 127 / max|w| overflows to inf -> (int32) +-inf = INT32_MIN -> int8 0 ----

TEST(UpstreamGoldens, D_TfliteInfiniteInverseStoresZero) {
  for (const char* p : {"tflite-int8", "tflite-int16x8"}) {
    // Fact: data [1e-40] -> [0].
    EXPECT_EQ(run(p, fc({1e-40f}, {}, 0.01f)).weights.q, (std::vector<std::int32_t>{0})) << p;
    // Fact: data [3e-37, -1e-37], bias [0] -> [0, 0].
    const Result r = run(p, fc({3e-37f, -1e-37f}, {0.0f}, 0.01f));
    EXPECT_EQ(r.weights.q, (std::vector<std::int32_t>{0, 0})) << p;
  }
  // The steps: inverse 127.f / 3e-37f is +inf in float32; x * inf is +-inf,
  // whose int32 cast on x86-64 is INT32_MIN, with low byte 0.
  EXPECT_TRUE(std::isinf(127.0f / 3e-37f));
  EXPECT_EQ(static_cast<std::uint32_t>(std::numeric_limits<std::int32_t>::min()) & 0xffu, 0u);
}

// ---- E. TFLite: one weight scale takes AdjustWeightsForBiasScale's per-layer test ----

TEST(UpstreamGoldens, E_TfliteOneChannelTakesThePerLayerBranch) {
  // Fact: s_in 1e-6, data [4e-37], bias [3.5e-36] -> not raised, scale
  // 3.149606072564246e-39, q [127].
  const Result r = run("tflite-int8", fc({4e-37f}, {3.5e-36f}, 1e-6f));
  EXPECT_EQ(double(r.weights.channels[0].scale), 3.149606072564246e-39);
  EXPECT_FALSE(r.weights.channels[0].raised_for_bias);
  EXPECT_EQ(r.weights.q, (std::vector<std::int32_t>{127}));
  // The steps: per layer, float32 |b| / INT32_MAX against the double
  // 0.5 * s_in * s_w does not fire; the per-channel test would.
  const float s_w = 4e-37f / 127.0f;
  const float lhs = 3.5e-36f / static_cast<float>(kInt32Max);
  EXPECT_FALSE(lhs >= 0.5 * 1e-6f * s_w);
  EXPECT_TRUE(3.5e-36f >= 0.5 * 1e-6f * s_w * kInt32Max);
}

// ---- F. ONNX Runtime: s_in * s_w underflows to 0 -> b / 0 is +-inf or NaN ----

TEST(UpstreamGoldens, F_OnnxRuntimeZeroBiasScaleGivesInfOrNaN) {
  for (const char* p : {"onnxruntime-int8", "onnxruntime-uint8"}) {
    // Fact: s_in 1e-20, data [1e-30], bias [0] -> INT32_MIN (NaN cast on x86-64).
    const Result r = run(p, fc({1e-30f}, {0.0f}, 1e-20f));
    EXPECT_EQ(r.bias.scale[0], 0.0f) << p;
    EXPECT_EQ(r.bias.q[0], kInt32Min) << p;
  }
  // Fact: bias [1.0] -> INT32_MAX (uint8 has no weight-scale raise).
  EXPECT_EQ(run("onnxruntime-uint8", fc({1e-30f}, {1.0f}, 1e-20f)).bias.q[0], kInt32Max);
  // int8 raises s_w first (#22020): in float64, s_w * smallest / (s_in * s_w).
  const Result r8 = run("onnxruntime-int8", fc({1e-30f}, {1.0f}, 1e-20f));
  const double s_w0 = double(static_cast<float>(double(1e-30f + 1e-30f) / 254.0));
  const double smallest = 1.0001 * 2.0 * 1.0 / (4294967296.0 - 2.0);
  const float s_w = static_cast<float>(s_w0 * (smallest / (double(1e-20f) * s_w0)));
  EXPECT_EQ(r8.weights.channels[0].scale, s_w);
  const float s_b = 1e-20f * s_w;
  EXPECT_EQ(r8.bias.q[0], static_cast<std::int64_t>(std::nearbyint(1.0 / double(s_b))));
  // And the sign claim is withdrawn: a zero bias became INT32_MIN above.
  EXPECT_FALSE(find_preset("onnxruntime-int8").guarantees.bias_sign_preserved);
}

// ---- G. PyTorch: a quotient beyond int64 is INT64_MIN, clamped to INT32_MIN ----

TEST(UpstreamGoldens, G_PytorchBeyondInt64IsInt32MinWhateverTheSign) {
  for (const char* p : {"pytorch-int8-symmetric", "pytorch-uint8-affine"}) {
    // Fact: s_in 1e-15, data [1.0], bias [1000.0] -> -2147483648 in PyTorch 1.13.
    const Result r = run(p, fc({1.0f}, {1000.0f}, 1e-15f));
    EXPECT_EQ(r.bias.q[0], kInt32Min) << p;
    // The steps: float32 1 / s_b, b * inv >= 2^63.
    const float inv = 1.0f / r.bias.scale[0];
    EXPECT_GE(double(1000.0f * inv), 0x1p63) << p;
    // Inside int64 it still saturates toward the sign.
    const Result in = run(p, fc({1.0f}, {1e-3f}, 1e-15f));
    EXPECT_EQ(in.bias.q[0], kInt32Max) << p;
  }
  // A zero bias at a zero bias scale: 1.0f / 0 = inf, 0 * inf = NaN -> INT32_MIN.
  const Result z = run("pytorch-int8-symmetric", fc({1.0f}, {0.0f}, 1e-45f));
  EXPECT_EQ(z.bias.scale[0], 0.0f);
  EXPECT_EQ(z.bias.q[0], kInt32Min);
}

}  // namespace
}  // namespace quantcheck
