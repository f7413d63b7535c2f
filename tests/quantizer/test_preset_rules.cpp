// Rules shared by every preset, each checked against the rule the original
// system documents (POLICIES.md): rounding mode on an exact tie, the bias
// arithmetic on values where float32 and float64 disagree, and the
// accumulator each system feeds.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>

#include "quantcheck/presets.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck {
namespace {

enum class Doc { half_away, half_even };

// std::round (ONE, TFLite's TfLiteRound, reference) vs numpy.round (ONNX
// Runtime) and nearbyint / torch.round (PyTorch).
const std::map<std::string, Doc> kRounding = {
    {"luci-uint8", Doc::half_away},
    {"luci-int16-2021", Doc::half_away},
    {"luci-int16-6971", Doc::half_away},
    {"luci-int16-7017", Doc::half_away},
    {"luci-int16-7063", Doc::half_away},
    {"luci-int16", Doc::half_away},
    {"tflite-int8", Doc::half_away},
    {"tflite-int16x8", Doc::half_away},
    {"tflite-converter-int8", Doc::half_away},
    {"tflite-converter-16x8", Doc::half_away},
    {"onnxruntime-int8", Doc::half_even},
    {"onnxruntime-uint8", Doc::half_even},
    {"pytorch-int8-symmetric", Doc::half_even},
    {"pytorch-uint8-affine", Doc::half_even},
    {"reference", Doc::half_away},
    {"reference-uint8", Doc::half_away},
    {"reference-int16", Doc::half_away},
};

TEST(PresetRules, EveryPresetIsDocumentedHere) {
  for (const Policy& p : presets()) EXPECT_TRUE(kRounding.count(p.name)) << p.name;
  EXPECT_EQ(kRounding.size(), presets().size());
}

TEST(PresetRules, WeightTiesFollowTheSystemsRounding) {
  for (const Policy& p : presets()) {
    // max = divisor / 4 makes s = 0.25 exactly (and 1/s = 4), so x = 0.625
    // is the tie 2.5, and x = 0.875 the tie 3.5.
    const float max = static_cast<float>(p.scale_divisor) * 0.25f;
    Case c;
    c.op = OpKind::fully_connected;
    c.input_scale = 0.01f;
    c.weight_shape = {1, 3};
    c.weights = {p.scheme == Scheme::symmetric ? -max : 0.0f, 0.625f, 0.875f};
    if (p.scheme == Scheme::asymmetric) c.weights.push_back(max), c.weight_shape[1] = 4;
    c.bias = {0.0f};
    const Result r = quantize(p, c);
    ASSERT_EQ(r.weights.channels[0].scale, 0.25f) << p.name;
    const int zp = r.weights.channels[0].zero_point;
    const bool away = kRounding.at(p.name) == Doc::half_away;
    EXPECT_EQ(r.weights.q[1] - zp, away ? 3 : 2) << p.name;
    EXPECT_EQ(r.weights.q[2] - zp, 4) << p.name;  // 3.5 rounds to 4 either way
  }
}

// The bias integer each system computes for b at bias scale s_b.
std::int64_t documented_bias(const std::string& name, float b, float s_b) {
  const bool luci = name.rfind("luci", 0) == 0, tflite = name.rfind("tflite", 0) == 0;
  const bool ort = name.rfind("onnxruntime", 0) == 0, torch = name.rfind("pytorch", 0) == 0;
  if (luci || tflite) {  // float(1.0 / s_b), float product, std::round
    const float inv = static_cast<float>(1.0 / static_cast<double>(s_b));
    return static_cast<std::int64_t>(std::round(b * inv));
  }
  if (torch) {  // float inverse, float product, nearbyint
    const float inv = static_cast<float>(1.0 / static_cast<double>(s_b));
    return static_cast<std::int64_t>(std::nearbyint(b * inv));
  }
  if (ort) return static_cast<std::int64_t>(std::nearbyint(double(b) / double(s_b)));
  // reference: the exact rational rounding, computed here in long double,
  // which is exact enough for these quotients (< 2^40, 64-bit mantissa).
  return static_cast<std::int64_t>(std::round(static_cast<long double>(b) / s_b));
}

TEST(PresetRules, BiasArithmeticIsTheDocumentedOne) {
  // Quotients around 1e8..1e11 where float32 products lose the last digits.
  const float pairs[][2] = {{0.1f, 1e-9f},
                            {-0.3f, 3e-12f},
                            {1.2156529f, 1.5259201e-11f},
                            {7.0f, 1.1e-10f},
                            {-2.5f, 2.0f}};
  for (const Policy& p : presets()) {
    for (const auto& [b, s_b] : pairs) {
      bool saturated = false;
      const std::int64_t got = quantize_bias_value(p, b, s_b, &saturated);
      if (saturated) continue;  // int32 presets on the large quotients
      EXPECT_EQ(got, documented_bias(p.name, b, s_b)) << p.name << " b=" << b << " s_b=" << s_b;
    }
  }
}

TEST(PresetRules, OutOfRangeBias) {
  const std::int64_t i32max = std::numeric_limits<std::int32_t>::max();
  const std::int64_t i64max = std::numeric_limits<std::int64_t>::max();
  const std::int64_t i32min = std::numeric_limits<std::int32_t>::min();
  const std::int64_t i64min = std::numeric_limits<std::int64_t>::min();
  // A positive bias 1e30 units large: what each system stores.
  const std::map<std::string, std::int64_t> expect = {
      {"luci-uint8", i32min},  // cast before clamp: the sign flips
      {"luci-int16", i64min},
      {"tflite-int8", i32max},
      {"tflite-int16x8", i64max},
      {"onnxruntime-int8", i32max},
      {"onnxruntime-uint8", i32max},
      // PyTorch converts to int64 first: 1e30 is beyond it, INT64_MIN clamps to INT32_MIN.
      {"pytorch-int8-symmetric", i32min},
      {"pytorch-uint8-affine", i32min},
      {"reference", i32max},
      {"reference-int16", i64max},
  };
  for (const auto& [name, value] : expect) {
    bool saturated = false;
    EXPECT_EQ(quantize_bias_value(find_preset(name), 1.0f, 1e-30f, &saturated), value) << name;
    EXPECT_TRUE(saturated) << name;
  }
}

TEST(PresetRules, AccumulatorEachSystemFeeds) {
  // K = 1: the bias type's max minus one product of the activation and weight
  // extremes: 8-bit activations differ from their zero point by up to 255,
  // int16 ones by up to 32768; weights by 127 (int8 [-127,127]), 128
  // (PyTorch's [-128,127]), 255 (uint8 asymmetric) or 32767.
  const int128 i32 = std::numeric_limits<std::int32_t>::max();
  const int128 i64 = std::numeric_limits<std::int64_t>::max();
  const std::map<std::string, int128> expect = {
      {"luci-uint8", i32 - 255 * 255},
      {"luci-int16", i64 - int128{32768} * 32767},
      {"tflite-int8", i32 - 255 * 127},
      {"tflite-int16x8", i64 - int128{32768} * 127},
      {"onnxruntime-int8", i32 - 255 * 127},
      {"onnxruntime-uint8", i32 - 255 * 255},
      {"pytorch-int8-symmetric", i32 - 255 * 128},
      {"pytorch-uint8-affine", i32 - 255 * 255},
      {"reference", i32 - 255 * 127},
      {"reference-uint8", i32 - 255 * 255},
      {"reference-int16", i64 - int128{32768} * 32767},
  };
  for (const auto& [name, room] : expect)
    EXPECT_TRUE(accumulator_headroom(find_preset(name), 1) == room) << name;
}

}  // namespace
}  // namespace quantcheck
