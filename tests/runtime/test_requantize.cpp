// The requantization primitives against the measured rows and facts of
// ../shared/reference/RUNTIMES.md (section given per test), and against an
// independent exact computation written here.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "quantcheck/runtime/requantize.hpp"

namespace quantcheck::rq {
namespace {

std::vector<std::int32_t> row(std::int32_t (*f)(std::int32_t, std::int32_t, int), double M) {
  const QuantizedMultiplier m = quantize_multiplier(M);
  std::vector<std::int32_t> out;
  for (int acc = -6; acc <= 6; ++acc) out.push_back(f(acc, m.q, m.e));
  return out;
}

// RUNTIMES.md 1.1: M = 0.25 -> (2^30, -1); M = 2^-32 -> (2^30, -31) (measured);
// below 2^-32 flushed unless the significand rounds up to the fix-up.
TEST(QuantizeMultiplier, MeasuredEncodings) {
  QuantizedMultiplier m = quantize_multiplier(0.25);
  EXPECT_EQ(m.q, 1 << 30);
  EXPECT_EQ(m.e, -1);
  m = quantize_multiplier(std::ldexp(1.0, -32));
  EXPECT_EQ(m.q, 1 << 30);
  EXPECT_EQ(m.e, -31);
  EXPECT_FALSE(m.flushed);
  // Just below 2^-32: f = 1 - 2^-53 rounds to 2^31, the fix-up gives (2^30, -31).
  m = quantize_multiplier(std::nextafter(std::ldexp(1.0, -32), 0.0));
  EXPECT_EQ(m.q, 1 << 30);
  EXPECT_EQ(m.e, -31);
  EXPECT_FALSE(m.flushed);
  // 2^-33 has e = -32 < -31: flushed to (0, 0).
  m = quantize_multiplier(std::ldexp(1.0, -33));
  EXPECT_TRUE(m.flushed);
  EXPECT_EQ(m.q, 0);
  EXPECT_EQ(m.e, 0);
  // Without the flush knob the encoding survives.
  m = quantize_multiplier(std::ldexp(1.0, -33), false);
  EXPECT_EQ(m.q, 1 << 30);
  EXPECT_EQ(m.e, -32);
  // M = 0.75: q = RHAFZ(0.75 2^31) = 1610612736, e = 0.
  m = quantize_multiplier(0.75);
  EXPECT_EQ(m.q, 1610612736);
  EXPECT_EQ(m.e, 0);
  // Single rounding: e > 30 clamps to (2^31 - 1, 30).
  m = quantize_multiplier(std::ldexp(1.0, 40), true, true);
  EXPECT_TRUE(m.clamped);
  EXPECT_EQ(m.q, 2147483647);
  EXPECT_EQ(m.e, 30);
}

// RUNTIMES.md 1.2 (measured): SRDHM(1, 2^30) = 1, SRDHM(-1, 2^30) = 0, SRDHM(-3, 2^30) = -1.
TEST(Srdhm, MeasuredValues) {
  EXPECT_EQ(srdhm(1, 1 << 30), 1);
  EXPECT_EQ(srdhm(-1, 1 << 30), 0);
  EXPECT_EQ(srdhm(-3, 1 << 30), -1);
  EXPECT_EQ(srdhm(INT32_MIN, INT32_MIN), INT32_MAX);
}

// RDBPOT rounds half away from zero: 5/2 -> 3, -5/2 -> -3, -3/2 -> -2, 3/4 -> 1.
TEST(Rdbpot, HalfAwayFromZero) {
  EXPECT_EQ(rdbpot(5, 1), 3);
  EXPECT_EQ(rdbpot(-5, 1), -3);
  EXPECT_EQ(rdbpot(-3, 1), -2);
  EXPECT_EQ(rdbpot(3, 2), 1);
  EXPECT_EQ(rdbpot(-6, 2), -2);
}

// RUNTIMES.md 1.3, M = 0.25, acc = -6..6: the three rows.
TEST(Requantize, QuarterRowsReferenceRuyX86Single) {
  EXPECT_EQ(row(&mbqm_double, 0.25),
            (std::vector<std::int32_t>{-2, -1, -1, -1, -1, 0, 0, 1, 1, 1, 1, 2, 2}));
  EXPECT_EQ(row(&ruy_x86, 0.25),
            (std::vector<std::int32_t>{-1, -1, -1, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2}));
  EXPECT_EQ(row(&mbqm_single, 0.25),
            (std::vector<std::int32_t>{-1, -1, -1, -1, 0, 0, 0, 0, 1, 1, 1, 1, 2}));
}

// RUNTIMES.md 1.3: M = 0.75 (e = 0) gave RHU on the 2.9 .so; reference agrees (r = 0).
TEST(Requantize, ThreeQuarterRow) {
  const std::vector<std::int32_t> want{-4, -4, -3, -2, -1, -1, 0, 1, 2, 2, 3, 4, 5};
  EXPECT_EQ(row(&ruy_x86, 0.75), want);
  EXPECT_EQ(row(&mbqm_double, 0.75), want);
}

// RUNTIMES.md 1.3: 16x8 CONV_2D with an int64 bias at M = 0.25 gave the single-RHU row.
TEST(Requantize, Int64QuarterRowIsSingleRhu) {
  const QuantizedMultiplier m = quantize_multiplier(0.25);
  std::vector<std::int64_t> got;
  for (int acc = -6; acc <= 6; ++acc) got.push_back(mbqm_int64(acc, m.q, m.e).value);
  EXPECT_EQ(got, (std::vector<std::int64_t>{-1, -1, -1, -1, 0, 0, 0, 0, 1, 1, 1, 1, 2}));
}

// RUNTIMES.md 8, TF PR #42134: x = 10000, M = 0.00097656 printed -10 before
// the fix; the 15-bit reduced multiplier gives 10.
TEST(Requantize, Pr42134) {
  const QuantizedMultiplier m = quantize_multiplier(0.00097656);
  const Checked c = mbqm_int64(10000, m.q, m.e);
  EXPECT_EQ(c.value, 10);
  EXPECT_FALSE(c.overflow);
}

// ONE #6970: an INT64_MIN bias makes x * qr overflow int64: flagged, wrapped.
TEST(Requantize, Int64ProductOverflowFlagged) {
  const QuantizedMultiplier m = quantize_multiplier(0.25);
  EXPECT_TRUE(mbqm_int64(INT64_MIN, m.q, m.e).overflow);
  EXPECT_FALSE(mbqm_int64(std::int64_t{1} << 32, m.q, m.e).overflow);
  EXPECT_EQ(mbqm_int64(std::int64_t{1} << 32, m.q, m.e).value, 1 << 30);
  EXPECT_TRUE(mbqm_int64(std::int64_t{1} << 34, m.q, m.e).overflow);  // 2^32 does not fit int32
}

// Single rounding equals the exact RHU of x q 2^(e-31), computed here with
// long division on random pairs; the int64 MBQM equals the exact RHU of x qr 2^(e-15).
TEST(Requantize, SingleRoundingIsExactHalfUp) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    const auto x = static_cast<std::int32_t>(rng());
    const double M = std::ldexp(1.0 + static_cast<double>(rng() % 1000000) / 1e6,
                                -static_cast<int>(rng() % 30) - 1);
    const QuantizedMultiplier m = quantize_multiplier(M);
    const int s = 31 - m.e;
    const int128 p = static_cast<int128>(x) * m.q;
    // floor(p / 2^s + 1/2) = floor((2p + 2^s) / 2^(s+1)), floor division by hand
    const int128 num = 2 * p + (static_cast<int128>(1) << s);
    const int128 den = static_cast<int128>(1) << (s + 1);
    int128 q = num / den;
    if (num % den != 0 && num < 0) --q;
    ASSERT_EQ(mbqm_single(x, m.q, m.e), static_cast<std::int32_t>(q)) << x << " " << M;
  }
}

// The double rounding differs from single rounding by at most 1, and ruy-x86
// from the reference only where the reference's second step rounds a negative tie.
TEST(Requantize, DoubleRoundingWithinOneOfSingle) {
  std::mt19937_64 rng(11);
  int differ = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const auto x = static_cast<std::int32_t>(static_cast<std::int64_t>(rng() % 200001) - 100000);
    const double M = std::ldexp(1.0 + static_cast<double>(rng() % 1000000) / 1e6,
                                -static_cast<int>(rng() % 13) - 2);
    const QuantizedMultiplier m = quantize_multiplier(M);
    const std::int32_t ref = mbqm_double(x, m.q, m.e);
    const std::int32_t ruy = ruy_x86(x, m.q, m.e);
    const std::int32_t one = mbqm_single(x, m.q, m.e);
    ASSERT_LE(std::abs(ref - one), 1);
    ASSERT_LE(std::abs(ruy - one), 1);
    ASSERT_LE(std::abs(ruy - ref), 1);
    differ += ref != ruy;
  }
  // RUNTIMES.md 1.3: "each two variants disagreed on ~4% of pairs" (2M pairs,
  // |acc| <= 1e5, M in [2^-13, 0.5)).
  EXPECT_GT(differ, n / 100);
  EXPECT_LT(differ, n / 10);
}

// float32 requantization rounds ties to even after clamping in float.
TEST(Requantize, Float32TiesToEven) {
  EXPECT_EQ(float32_rne(1, 0.5f, -128, 127), 0);
  EXPECT_EQ(float32_rne(3, 0.5f, -128, 127), 2);
  EXPECT_EQ(float32_rne(-3, 0.5f, -128, 127), -2);
  EXPECT_EQ(float32_rne(1000, 1.0f, -128, 127), 127);
  EXPECT_EQ(float64_rne(5, 0.5f), 2);
  EXPECT_EQ(float64_rne(-5, 0.5f), -2);
  // 24-bit mantissa RHU: 5 * 0.5 = 2.5 -> 3, -2.5 -> -2.
  EXPECT_EQ(mantissa24_rhu(5, 0.5f), 3);
  EXPECT_EQ(mantissa24_rhu(-5, 0.5f), -2);
}

}  // namespace
}  // namespace quantcheck::rq
