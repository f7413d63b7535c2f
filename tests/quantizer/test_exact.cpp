// Exact rational rounding, checked against values whose quotient is known
// by construction (num = q * den + fraction * den with exact arithmetic).
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>

#include "quantcheck/exact.hpp"

using quantcheck::int128;
using quantcheck::round_quotient;
using quantcheck::Rounding;
using quantcheck::within_half_step;

TEST(Exact, SmallQuotientsMatchStdRound) {
  // For |num/den| < 2^20 with den a power of two the double quotient is exact,
  // so std::round and std::nearbyint are an independent oracle.
  for (double num : {0.0, 1.0, -1.0, 2.5, -2.5, 3.5, -3.5, 7.25, -7.75, 1000.5, 123456.5}) {
    for (double den : {1.0, 0.5, 0.25, 2.0}) {
      const double v = num / den;
      EXPECT_EQ(*round_quotient(num, den, Rounding::half_away_from_zero),
                static_cast<int128>(std::round(v)))
          << num << "/" << den;
      EXPECT_EQ(*round_quotient(num, den, Rounding::half_to_even),
                static_cast<int128>(std::nearbyint(v)))
          << num << "/" << den;
    }
  }
}

TEST(Exact, LargeQuotientIsExactWhereDoubleIsNot) {
  // b = 3 * 2^60 + 1 is not a double, so build it from den: num = (2^62 + 1) * den
  // needs 63 bits; use den = 2^-10 and num = (2^53 + 1) * 2^-10 * ... instead:
  // num = 2^62 + 2^10 (exact double), den = 1 - 2^-53 (exact double).
  // num / den = (2^62 + 2^10) * (1 + 2^-53 + 2^-106 + ...) = 2^62 + 2^10 + 2^9 + tiny.
  const double num = std::ldexp(1.0, 62) + std::ldexp(1.0, 10);
  const double den = 1.0 - std::ldexp(1.0, -53);
  const int128 expect = (int128{1} << 62) + 1024 + 512;  // the tiny rest is < 1/2
  EXPECT_EQ(*round_quotient(num, den, Rounding::half_away_from_zero), expect);
  // The double quotient cannot say this: it rounds to a multiple of 1024.
  EXPECT_NE(static_cast<int128>(num / den), expect);
}

TEST(Exact, OverflowBeyond64BitsIsReported) {
  EXPECT_FALSE(round_quotient(1.0, 1e-30, Rounding::half_away_from_zero).has_value());
  EXPECT_FALSE(round_quotient(1.0, 0.0, Rounding::half_away_from_zero).has_value());
  EXPECT_TRUE(round_quotient(1.0, std::ldexp(1.0, -62), Rounding::half_away_from_zero).has_value());
}

TEST(Exact, TinyQuotientsRoundToZero) {
  EXPECT_EQ(*round_quotient(FLT_TRUE_MIN, FLT_MAX, Rounding::half_away_from_zero), 0);
  EXPECT_EQ(*round_quotient(-FLT_TRUE_MIN, FLT_MAX, Rounding::half_to_even), 0);
  EXPECT_TRUE(within_half_step(0, -FLT_TRUE_MIN, FLT_MAX));
  EXPECT_FALSE(within_half_step(-1, -FLT_TRUE_MIN, FLT_MAX));
}

TEST(Exact, TiesFollowTheRoundingMode) {
  EXPECT_EQ(*round_quotient(-5.0, 2.0, Rounding::half_away_from_zero), -3);
  EXPECT_EQ(*round_quotient(-5.0, 2.0, Rounding::half_to_even), -2);
  EXPECT_EQ(*round_quotient(-7.0, 2.0, Rounding::half_to_even), -4);
  EXPECT_EQ(*round_quotient(5.0, -2.0, Rounding::half_away_from_zero), -3);
  // Both neighbours of a tie are within half a step; nothing else is.
  EXPECT_TRUE(within_half_step(-3, -5.0, 2.0));
  EXPECT_TRUE(within_half_step(-2, -5.0, 2.0));
  EXPECT_FALSE(within_half_step(-4, -5.0, 2.0));
  EXPECT_FALSE(within_half_step(-1, -5.0, 2.0));
}

TEST(Exact, WithinHalfStepRejectsOffByOne) {
  EXPECT_TRUE(within_half_step(3, 10.0, 3.0));  // 3.333
  EXPECT_FALSE(within_half_step(4, 10.0, 3.0));
  EXPECT_TRUE(within_half_step(-3, -10.0, 3.0));
  EXPECT_FALSE(within_half_step(-4, -10.0, 3.0));
}
