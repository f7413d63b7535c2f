// The vectorised per-element scans of a model check (model/src/checks/
// channel_scans.cpp) against plain scalar loops written here: the same
// answers, bit for bit, on runs of every length up to 200 (vector bodies,
// remainders, empty runs) with signed, zero, tiny and large values.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "channel_scans.hpp"

namespace quantcheck::model {
namespace {

std::vector<float> random_weights(std::mt19937& rng, std::size_t n) {
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  std::uniform_int_distribution<int> exponent(-40, 40);
  std::vector<float> x(n);
  for (float& v : x) v = rng() % 7 == 0 ? 0.0f : std::ldexp(unit(rng), exponent(rng));
  return x;
}

TEST(ChannelScans, MaxAbsIsTheScalarMaximum) {
  std::mt19937 rng(7);
  for (std::size_t n = 0; n <= 200; ++n) {
    const auto x = random_weights(rng, n);
    const float start = n % 3 == 0 ? 0.0f : 1e-3f;
    float want = start;
    for (const float v : x) want = std::max(want, std::fabs(v));
    EXPECT_EQ(max_abs_run(x.data(), n, start), want) << "n " << n;
  }
}

TEST(ChannelScans, RunErrorIsTheScalarMaximumAndNonzeroTest) {
  std::mt19937 rng(11);
  for (std::size_t n = 0; n <= 200; ++n) {
    const auto x = random_weights(rng, n);
    const std::int32_t zp = static_cast<std::int32_t>(rng() % 256) - 128;
    const double s = std::ldexp(1.0 + (rng() % 1000) / 1000.0, -static_cast<int>(rng() % 30));
    std::vector<std::int32_t> q(n);
    // Mostly the zero point (so a lone differing integer decides `nonzero`),
    // else the rounded quotient or something near it.
    for (std::size_t i = 0; i < n; ++i)
      q[i] = rng() % 4 ? zp : static_cast<std::int32_t>(std::lround(x[i] / s)) + zp;
    if (n > 0 && rng() % 2) {
      q.assign(n, zp);
      q[rng() % n] = zp + 1;
    }
    const double start = n % 2 ? 0.0 : 1e-9;
    double want = start;
    bool nonzero = false;
    for (std::size_t i = 0; i < n; ++i) {
      nonzero |= q[i] != zp;
      const double deq = (static_cast<double>(q[i]) - zp) * s;
      want = std::max(want, std::fabs(deq - static_cast<double>(x[i])));
    }
    const RunError got = run_error(x.data(), q.data(), n, zp, s, start);
    EXPECT_EQ(got.max_error, want) << "n " << n;
    EXPECT_EQ(got.nonzero, nonzero) << "n " << n;
  }
}

}  // namespace
}  // namespace quantcheck::model
