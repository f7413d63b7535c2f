// Every weight that shows a finding is reported, however long its channel's
// run. The quantizer screens runs in pieces with a vector test and looks
// element by element only inside pieces the screen flags; RapidCheck's cases
// (at most 100 values) rarely reach a second piece, so this test builds runs
// of 300-1,000 weights, with a channel's extremes and its odd values at any
// position, and recomputes the findings of every element here from their
// definitions (quantize.hpp, FindingKind) and the scales the quantizer chose.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <tuple>

#include "quantcheck/presets.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck {
namespace {

using Key = std::tuple<std::int64_t, FindingKind>;  // element, kind

// The finding of one element by the definitions: outside the nudged range
// it is clipped; inside, a dequantized value of the other sign is a sign
// flip, and one more than half a step away is an error.
std::optional<FindingKind> expected_finding(const ChannelParams& cp, float x, std::int32_t q) {
  const double deq = (double(q) - cp.zero_point) * double(cp.scale);
  const double xd = x;
  if (xd < cp.nudged_min || xd > cp.nudged_max) return FindingKind::weight_clipped;
  if ((xd > 0 && deq < 0) || (xd < 0 && deq > 0)) return FindingKind::weight_sign_flipped;
  if (std::fabs(deq - xd) > 0.5 * double(cp.scale)) return FindingKind::weight_error;
  return std::nullopt;
}

// A FULLY_CONNECTED [N, K] case: each channel has its own magnitude (so a
// per-tensor scale is coarse for some), values spread over 2^-30..2^5 of it,
// zeros, and its largest value at a random position.
Case long_run_case(std::mt19937& rng, std::int64_t n_out, std::int64_t k) {
  Case c;
  c.op = OpKind::fully_connected;
  c.input_scale = 1.0f / 127.0f;
  c.weight_shape = {n_out, k};
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  std::uniform_int_distribution<int> spread(-30, 0), magnitude(-12, 5);
  for (std::int64_t o = 0; o < n_out; ++o) {
    const int m = magnitude(rng);
    const auto first = c.weights.size();
    for (std::int64_t i = 0; i < k; ++i)
      c.weights.push_back(rng() % 9 == 0 ? 0.0f : std::ldexp(unit(rng), m + spread(rng) / 3));
    c.weights[first + rng() % k] = std::ldexp(rng() % 2 ? 1.0f : -1.0f, m);
    c.bias.push_back(std::ldexp(unit(rng), m));
  }
  return c;
}

TEST(WeightFindings, EveryFindingOfLongRunsUnderEveryPreset) {
  std::mt19937 rng(2026);
  std::int64_t beyond_first_piece = 0;
  for (const Policy& p : presets()) {
    for (int trial = 0; trial < 6; ++trial) {
      const std::int64_t k = 300 + static_cast<std::int64_t>(rng() % 700);
      const Case c = long_run_case(rng, 4, k);
      Result r;
      if (quantize_unless_refused(p, c, r)) continue;
      std::set<Key> want, got;
      const bool per_tensor = r.weights.channels.size() == 1;
      for (std::int64_t i = 0; i < static_cast<std::int64_t>(c.weights.size()); ++i) {
        const ChannelParams& cp = r.weights.channels[per_tensor ? 0 : std::size_t(i / k)];
        const auto idx = static_cast<std::size_t>(i);
        if (const auto kind = expected_finding(cp, c.weights[idx], r.weights.q[idx])) {
          want.insert({i, *kind});
          beyond_first_piece += i % k >= 128;
        }
      }
      for (const Finding& f : r.findings)
        if (f.tensor == "weights") got.insert({f.element, f.kind});
      EXPECT_EQ(got, want) << p.name << ", K = " << k;
    }
  }
  // The test means something only if findings sit past the first pieces.
  EXPECT_GT(beyond_first_piece, 100);
}

}  // namespace
}  // namespace quantcheck
