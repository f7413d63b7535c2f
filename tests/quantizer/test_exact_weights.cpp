// The reference policy's weight loop (SIMD where the CPU has AVX2 + FMA, a
// scalar loop elsewhere) against an independent exact rounding of x / s, on
// random values and on exact ties, in full eight-lane groups and in tails.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "quantcheck/exact.hpp"
#include "quantcheck/presets.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck {
namespace {

void expect_exact(const char* policy_name, const std::vector<float>& row) {
  const Policy& p = find_preset(policy_name);
  Case c;
  c.op = OpKind::fully_connected;
  c.input_scale = 0.01f;
  c.weight_shape = {1, static_cast<std::int64_t>(row.size())};
  c.weights = row;
  c.bias = {0.0f};
  const Result r = quantize(p, c);
  const ChannelParams& cp = r.weights.channels[0];
  for (std::size_t i = 0; i < row.size(); ++i) {
    const auto exact = round_quotient(row[i], cp.scale, Rounding::half_away_from_zero);
    ASSERT_TRUE(exact.has_value());
    const int128 want = std::clamp<int128>(*exact + cp.zero_point, p.qmin, p.qmax);
    ASSERT_EQ(static_cast<std::int64_t>(want), r.weights.q[i])
        << policy_name << " element " << i << " x=" << row[i] << " s=" << cp.scale
        << " zp=" << cp.zero_point;
  }
}

// Every test runs with the SIMD path (where the CPU has it) and without.
class ExactWeights : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { set_simd_enabled(GetParam()); }
  void TearDown() override { set_simd_enabled(true); }
};
INSTANTIATE_TEST_SUITE_P(Paths, ExactWeights, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "simd" : "scalar"; });

TEST_P(ExactWeights, RandomValuesMatchExactRounding) {
  std::mt19937 rng(7);
  for (const char* p : {"reference", "reference-uint8", "reference-int16"}) {
    for (int trial = 0; trial < 200; ++trial) {
      const int n = 1 + static_cast<int>(rng() % 37);  // full groups and tails
      const float magnitude = std::ldexp(1.0f, static_cast<int>(rng() % 200) - 120);
      std::uniform_real_distribution<float> u(-1.0f, 1.0f);
      std::vector<float> row(n);
      for (float& x : row) x = u(rng) * magnitude;
      expect_exact(p, row);
    }
  }
}

TEST_P(ExactWeights, TiesRoundAwayFromZero) {
  // max|x| = 31.75 makes s = 0.25 for int8 (31.75 / 127), so (k + 1/2) / 4 are ties.
  std::vector<float> row = {-31.75f};
  for (int k = -126; k <= 126; ++k) row.push_back((static_cast<float>(k) + 0.5f) * 0.25f);
  expect_exact("reference", row);
  // The same with a scale whose inverse is not exact: s = 3 / 127 * 127 = 3.
  std::vector<float> row3 = {381.0f};
  for (int k = -126; k <= 126; ++k) row3.push_back((static_cast<float>(k) + 0.5f) * 3.0f);
  expect_exact("reference", row3);
  std::vector<float> row16 = {32767.0f * 0.125f};
  for (int k = -2000; k <= 2000; ++k) row16.push_back((static_cast<float>(k) + 0.5f) * 0.125f);
  expect_exact("reference-int16", row16);
}

TEST_P(ExactWeights, NeighboursOfTiesRoundToTheNearest) {
  std::vector<float> row = {-381.0f};
  for (int k = -100; k <= 100; ++k) {
    const float tie = (static_cast<float>(k) + 0.5f) * 3.0f;
    row.push_back(std::nextafter(tie, -1e9f));
    row.push_back(std::nextafter(tie, 1e9f));
  }
  expect_exact("reference", row);
}

// The scale a policy picks for a channel whose largest value is max.
float scale_for_max(const Policy& p, float max) {
  Case probe;
  probe.op = OpKind::fully_connected;
  probe.input_scale = 0.01f;
  probe.weight_shape = {1, 1};
  probe.weights = {max};
  probe.bias = {0.0f};
  return quantize(p, probe).weights.channels[0].scale;
}

// The SIMD screen accepts round(v), v = x * (1/s) in float32, when v lies
// further than about |v| 2^-23 from a tie. Values next to ties where v lands
// on the wrong side of the tie without being one (found here by comparing
// with the double quotient) are what the tolerance exists for: they must come
// out exact, in blocks of 16 and in masked tails.
TEST_P(ExactWeights, ValuesWhoseFloatEstimateMisroundsPastATie) {
  std::mt19937 rng(11);
  int past_tie = 0;
  for (const char* name : {"reference", "reference-int16"}) {
    const Policy& p = find_preset(name);
    for (int trial = 0; trial < 60; ++trial) {
      const float max = std::ldexp(1.0f + static_cast<float>(rng() % 1000) / 997.0f,
                                   static_cast<int>(rng() % 60) - 30);
      const float s = scale_for_max(p, max);
      const float inv = 1.0f / s;
      std::vector<float> row = {max};
      for (int k = p.qmax / 2; k < p.qmax - 1; k += 1 + p.qmax / 2000) {
        float x = (static_cast<float>(k) + 0.5f) * s;
        for (int step = 0; step < 8; ++step) x = std::nextafter(x, 0.0f);
        for (int step = -8; step <= 8; ++step, x = std::nextafter(x, 1e30f)) {
          const float v = x * inv;
          // Only those: a lane at an exact tie of v would send its whole
          // block down the exact path and hide the others.
          if (std::nearbyint(v) == std::round(static_cast<double>(x) / s)) continue;
          if (v - std::floor(v) == 0.5f) continue;
          row.push_back((rng() & 1) ? x : -x);
          ++past_tie;
        }
      }
      row.resize(row.size() - rng() % std::min<std::size_t>(8, row.size()));
      expect_exact(name, row);
    }
  }
  EXPECT_GT(past_tie, 10) << "too few values that test the screen's tolerance";
}

// At scales of 2^125 and above 1/s is subnormal and the screen is off: every
// block takes the exact two-sided check.
TEST_P(ExactWeights, HugeScalesSkipTheScreen) {
  std::vector<float> row = {3.0e38f};
  for (int k = -126; k <= 126; ++k) {
    const float tie = (static_cast<float>(k) + 0.5f) * (3.0e38f / 127.0f);
    row.push_back(tie);
    row.push_back(std::nextafter(tie, 0.0f));
  }
  expect_exact("reference", row);
}

}  // namespace
}  // namespace quantcheck
