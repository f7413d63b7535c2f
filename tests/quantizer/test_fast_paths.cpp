// Every preset with its fast weight loops (the SIMD loop of the exact
// policies, the branch-free loop of the others) against the plain per-element
// loop: the same integers and the same findings, on values chosen to sit at
// ties, at the clamp ends, beyond the nudged range and at extreme magnitudes.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <random>

#include "quantcheck/error.hpp"
#include "quantcheck/presets.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck {
namespace {

struct SimdOff {
  SimdOff() { set_simd_enabled(false); }
  ~SimdOff() { set_simd_enabled(true); }
};

// A channel of values around k/2 steps of a scale near `step`, plus
// neighbours one ulp away, plus a few outliers.
std::vector<float> adversarial_values(std::mt19937& rng, float step, int n) {
  std::vector<float> v;
  std::uniform_int_distribution<int> k(-300, 300);
  for (int i = 0; i < n; ++i) {
    float x = static_cast<float>(k(rng)) * 0.5f * step;
    switch (rng() % 6) {
      case 0: x = std::nextafter(x, FLT_MAX); break;
      case 1: x = std::nextafter(x, -FLT_MAX); break;
      case 2: x = std::ldexp(x, static_cast<int>(rng() % 40) - 20); break;
      default: break;
    }
    v.push_back(x);
  }
  return v;
}

void expect_same(const Result& fast, const Result& plain, const std::string& what) {
  ASSERT_EQ(fast.weights.q, plain.weights.q) << what;
  ASSERT_EQ(fast.findings.size(), plain.findings.size()) << what;
  for (std::size_t i = 0; i < fast.findings.size(); ++i) {
    EXPECT_EQ(fast.findings[i].kind, plain.findings[i].kind) << what << " finding " << i;
    EXPECT_EQ(fast.findings[i].element, plain.findings[i].element) << what << " finding " << i;
  }
  EXPECT_EQ(fast.bias.q, plain.bias.q) << what;
}

TEST(FastPaths, EveryPresetMatchesThePlainLoop) {
  std::mt19937 rng(3);
  int compared = 0;
  for (int trial = 0; trial < 150; ++trial) {
    Case c;
    c.op = trial % 3 == 0 ? OpKind::depthwise_conv2d : OpKind::conv2d;
    const std::int64_t channels = 1 + static_cast<std::int64_t>(rng() % 5);
    const std::int64_t inner = 1 + static_cast<std::int64_t>(rng() % 70);
    c.weight_shape = c.op == OpKind::conv2d ? std::vector<std::int64_t>{channels, 1, 1, inner}
                                            : std::vector<std::int64_t>{1, 1, inner, channels};
    const float step = std::ldexp(1.0f, static_cast<int>(rng() % 60) - 40);
    c.weights = adversarial_values(rng, step, static_cast<int>(channels * inner));
    if (rng() % 4 == 0) c.weights[rng() % c.weights.size()] = 0.0f;
    c.input_scale = std::ldexp(1.0f, -static_cast<int>(rng() % 20));
    for (std::int64_t ch = 0; ch < channels; ++ch)
      c.bias.push_back(static_cast<float>(static_cast<int>(rng() % 2001) - 1000) * 0.01f);
    for (const Policy& p : presets()) {
      Result fast, plain;
      try {
        fast = quantize(p, c);
      } catch (const InputError&) {
        continue;  // refused (reference bias fit); the plain loop must refuse too
      }
      {
        SimdOff off;
        plain = quantize(p, c);
      }
      expect_same(fast, plain, p.name + " trial " + std::to_string(trial));
      ++compared;
    }
  }
  EXPECT_GT(compared, 1500);
}

// A channel whose values leave the int32 range on the way (a floored scale far
// below the values) takes the plain loop; one that stays takes the fast loop.
// Both must agree with the plain loop everywhere.
TEST(FastPaths, HugeQuotientsAgreeToo) {
  Case c;
  c.op = OpKind::fully_connected;
  c.input_scale = 1.0f;
  c.weight_shape = {2, 4};
  c.weights = {1e30f, -1e30f, 1e-30f, 0.0f, 3.0e38f, -2.5e38f, 1.0f, -1.0f};
  c.bias = {0.0f, 0.0f};
  for (const Policy& p : presets()) {
    Result fast, plain;
    try {
      fast = quantize(p, c);
    } catch (const InputError&) {
      continue;
    }
    {
      SimdOff off;
      plain = quantize(p, c);
    }
    expect_same(fast, plain, p.name);
  }
}

}  // namespace
}  // namespace quantcheck
