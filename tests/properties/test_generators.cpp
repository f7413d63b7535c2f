// The generators reach the hazards: sampled at fixed seeds, they produce
// subnormals, 1e-20-sized channels, all-zero / constant / one-sided channels,
// zero and huge biases, and the typical and floor input scales; and
// gen::arbitrary<float> does not (which is why they exist).
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <set>

#include <gtest/gtest.h>

#include "quantcheck/generators.hpp"
#include "quantcheck/properties.hpp"

namespace quantcheck {
namespace {

template <typename T>
std::vector<T> sample(const rc::Gen<T>& g, int n) {
  std::vector<T> out;
  for (int i = 0; i < n; ++i)
    out.push_back(g(rc::Random(static_cast<std::uint64_t>(1000 + i)), 100).value());
  return out;
}

TEST(Generators, binade_float_covers_every_exponent_range) {
  const auto v = sample(gen::binade_float(), 3000);
  int subnormal = 0, tiny = 0, huge = 0, negative = 0, power_of_two = 0;
  for (float x : v) {
    ASSERT_TRUE(std::isfinite(x));
    const float a = std::fabs(x);
    subnormal += a > 0 && a < FLT_MIN;
    tiny += a < 1e-20f;
    huge += a > 1e30f;
    negative += x < 0;
    int e;
    power_of_two += std::frexp(a, &e) == 0.5f;
  }
  EXPECT_GT(subnormal, 100);  // 23 of 277 binades
  EXPECT_GT(tiny, 700);       // 83 of 277 binades are below 1e-20
  EXPECT_GT(huge, 200);       // 28 of 277 are above 1e30
  EXPECT_GT(negative, 1200);
  EXPECT_GT(power_of_two, 600);
}

TEST(Generators, arbitrary_float_never_reaches_them) {
  const auto v = sample(rc::gen::arbitrary<float>(), 3000);
  for (float x : v) {
    EXPECT_TRUE(std::isfinite(x));
    EXPECT_FALSE(x != 0 && std::fabs(x) < 1e-20f) << x;
  }
}

TEST(Generators, special_and_non_finite_values) {
  const auto s = sample(gen::special_float(), 500);
  auto has = [&](float want) {
    for (float x : s)
      if (std::memcmp(&x, &want, 4) == 0) return true;
    return false;
  };
  for (float want : {0.0f, -0.0f, std::numeric_limits<float>::denorm_min(), FLT_MIN, FLT_MAX})
    EXPECT_TRUE(has(want)) << want;
  const auto nf = sample(gen::non_finite_float(), 200);
  int nan = 0, pinf = 0, ninf = 0;
  for (float x : nf) nan += std::isnan(x), pinf += x == INFINITY, ninf += x == -INFINITY;
  EXPECT_GT(nan, 0);
  EXPECT_GT(pinf, 0);
  EXPECT_GT(ninf, 0);
  for (float x : sample(gen::adversarial_float(false), 500)) EXPECT_TRUE(std::isfinite(x));
}

TEST(Generators, input_scales_typical_and_at_the_floors) {
  const auto v = sample(gen::input_scale(2e-7f), 2000);
  auto count = [&](float want) { return std::count(v.begin(), v.end(), want); };
  EXPECT_GT(count(1.0f / 127.0f), 0);
  EXPECT_GT(count(1.0f / 32767.0f), 0);
  EXPECT_GT(count(1e-5f), 0);
  EXPECT_GT(count(1e-8f), 0);
  EXPECT_GT(count(2e-7f), 0);
  for (float s : v) EXPECT_TRUE(s > 0 && std::isfinite(s)) << s;
}

// The ends of the float range (the AFL++ hazards live there), while most
// input scales stay ordinary (typical, floors, [2^-40, 1/2]).
TEST(Generators, input_scales_reach_both_ends_of_the_float_range) {
  const auto v = sample(gen::input_scale(), 2000);
  auto share = [&](auto pred) {
    return double(std::count_if(v.begin(), v.end(), pred)) / double(v.size());
  };
  EXPECT_GT(share([](float s) { return s < FLT_MIN; }), 0.08);  // subnormal
  EXPECT_GT(share([](float s) { return s > 0x1p76f; }), 0.15);  // 1e-15 / s < FLT_MIN
  EXPECT_GT(share([](float s) { return s == FLT_MAX; }), 0.0);
  EXPECT_GT(share([](float s) { return s == 0x1p-149f; }), 0.0);  // denorm_min
  EXPECT_GT(share([](float s) { return s >= 0x1p-40f && s <= 0.5f; }), 0.45);
}

TEST(Generators, cases_hold_the_channel_kinds_and_biases) {
  const auto cases = sample(gen::adversarial_case(), 400);
  int all_zero = 0, constant = 0, one_sided = 0, tiny = 0, subnormal_channel = 0, zero_bias = 0,
      huge_bias = 0, no_bias = 0;
  std::set<OpKind> ops;
  for (const Case& c : cases) {
    ops.insert(c.op);
    const check::Placement pl = check::placement_of(c);
    std::int64_t total = 1;
    for (auto d : c.weight_shape) total *= d;
    ASSERT_EQ(static_cast<std::int64_t>(c.weights.size()), total);
    ASSERT_LE(total, 144);  // 4 channels of 3 x 3 x 4
    EXPECT_NO_THROW(validate(c));
    no_bias += c.bias.empty();
    for (std::int64_t ch = 0; ch < pl.channels; ++ch) {
      float lo = INFINITY, hi = -INFINITY, m = 0;
      for (std::size_t i = 0; i < c.weights.size(); ++i) {
        if (pl.channel_of(static_cast<std::int64_t>(i)) != ch) continue;
        lo = std::min(lo, c.weights[i]);
        hi = std::max(hi, c.weights[i]);
        m = std::max(m, std::fabs(c.weights[i]));
      }
      all_zero += m == 0;
      constant += m != 0 && lo == hi && pl.per_channel > 1;
      one_sided += m != 0 && (lo >= 0 || hi <= 0) && lo != hi;
      tiny += m != 0 && m <= 1e-20f;
      subnormal_channel += m != 0 && m < FLT_MIN;
      if (!c.bias.empty()) {
        const float b = std::fabs(c.bias[static_cast<std::size_t>(ch)]);
        zero_bias += b == 0;
        // beyond int64 at the bias scale an int16 policy would give this channel
        huge_bias += m != 0 && double(b) / (double(c.input_scale) * double(m) / 32767) > 9.3e18;
      }
    }
  }
  EXPECT_EQ(ops.size(), 3u);
  EXPECT_GT(all_zero, 40);
  EXPECT_GT(constant, 20);
  EXPECT_GT(one_sided, 40);
  EXPECT_GT(tiny, 60);
  EXPECT_GT(subnormal_channel, 20);
  EXPECT_GT(zero_bias, 40);
  EXPECT_GT(huge_bias, 40);
  EXPECT_GT(no_bias, 10);
}

TEST(Generators, non_finite_cases_hold_exactly_one_bad_value) {
  for (const Case& c : sample(gen::non_finite_case(), 300)) {
    int bad = !std::isfinite(c.input_scale);
    for (float x : c.weights) bad += !std::isfinite(x);
    for (float x : c.bias) bad += !std::isfinite(x);
    EXPECT_EQ(bad, 1);
  }
}

}  // namespace
}  // namespace quantcheck
