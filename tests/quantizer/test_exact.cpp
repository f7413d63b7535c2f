// Exact rational rounding, checked against values whose quotient is known
// by construction (num = q * den + fraction * den with exact arithmetic).
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <optional>
#include <random>

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

// round_quotient screens with the double quotient and trusts it only away
// from ties. num = tie * den rounded to double puts num / den a hair off the
// tie, and the double quotient often lands exactly on it (2.5 * 0.1 rounds to
// 0.25, and 0.25 / 0.1 = 2.49999999999999986 rounds to 2.5). Which side the
// exact quotient is on comes from fma(tie, den, -num) = tie * den - num,
// exact here: tie has at most 22 significant bits, so the difference fits in
// a double.
TEST(Exact, NearTiesFollowTheExactQuotient) {
  int double_hits_tie = 0;
  for (double den : {0.1, 0.3, 0.7, 1.0 / 3, 0.9, 1.1, 3.7, 1e-7, 12345.678}) {
    for (double k : {0.0, 1.0, 2.0, 3.0, 10.0, 1000.0, 1048577.0}) {
      const double tie = k + 0.5;
      const double num = tie * den;
      const double below = std::fma(tie, den, -num);  // > 0: num / den < tie
      if (below == 0) continue;                       // an exact tie, tested above
      double_hits_tie += num / den == tie;
      const int128 want = below > 0 ? static_cast<int128>(k) : static_cast<int128>(k) + 1;
      for (Rounding r : {Rounding::half_away_from_zero, Rounding::half_to_even}) {
        EXPECT_EQ(*round_quotient(num, den, r), want) << num << " / " << den;
        EXPECT_EQ(*round_quotient(-num, den, r), -want) << -num << " / " << den;
      }
    }
  }
  EXPECT_GT(double_hits_tie, 5) << "too few quotients test a screen that trusts an exact tie";
}

// The screened round_quotient against the unscreened rounding of
// divide_exact, on float pairs from random bit patterns and on pairs built
// next to ties (num = (q + 1/2) den, rounded to float, and its neighbours).
TEST(Exact, ScreenAgreesWithExactDivision) {
  auto from_exact = [](double num, double den, Rounding r) -> std::optional<int128> {
    const auto q = quantcheck::divide_exact(num, den);
    if (!q) return std::nullopt;
    if (q->exact || q->half_cmp < 0) return q->floor;
    if (q->half_cmp > 0) return q->floor + 1;
    if (r == Rounding::half_to_even) return q->floor % 2 == 0 ? q->floor : q->floor + 1;
    return q->floor >= 0 ? q->floor + 1 : q->floor;
  };
  std::mt19937 rng(6970);
  auto random_float = [&] {
    // Exponents in [-30, 30] so most quotients fall inside the screen's 2^30.
    const float m = std::uniform_real_distribution<float>(1.0f, 2.0f)(rng);
    const int e = std::uniform_int_distribution<int>(-30, 30)(rng);
    return (rng() & 1 ? -1.0f : 1.0f) * std::ldexp(m, e);
  };
  int screened = 0;
  for (int i = 0; i < 200000; ++i) {
    const float den = random_float();
    float num = random_float();
    if (i % 2) {  // next to a tie: (q + 1/2) * den rounded to float, moved by up to 2 ulps
      const float q = std::floor(std::uniform_real_distribution<float>(-1e6f, 1e6f)(rng));
      num = static_cast<float>((double(q) + 0.5) * double(den));
      for (int k = std::uniform_int_distribution<int>(-2, 2)(rng); k != 0; k += k < 0 ? 1 : -1)
        num = std::nextafter(num, k < 0 ? -INFINITY : INFINITY);
    }
    const double d = double(num) / double(den);
    screened += std::fabs(d) < 0x1p30;
    for (Rounding r : {Rounding::half_away_from_zero, Rounding::half_to_even})
      ASSERT_EQ(round_quotient(num, den, r), from_exact(num, den, r)) << num << " / " << den;
  }
  EXPECT_GT(screened, 100000);  // the screen was taken, not only the exact path
}

// The int128 printer of the reports and fuzz messages. Expected strings are
// the decimal forms of 2^63 and 2^127 (the int64 and int128 limits).
TEST(Exact, DecimalOfInt128IncludesItsLimits) {
  using quantcheck::to_decimal;
  EXPECT_EQ(to_decimal(0), "0");
  EXPECT_EQ(to_decimal(-1), "-1");
  EXPECT_EQ(to_decimal(1000), "1000");
  EXPECT_EQ(to_decimal(int128{INT64_MIN}), "-9223372036854775808");
  EXPECT_EQ(to_decimal(int128{INT64_MAX} + 1), "9223372036854775808");
  const int128 max128 = static_cast<int128>((~static_cast<quantcheck::uint128>(0)) >> 1);
  EXPECT_EQ(to_decimal(max128), "170141183460469231731687303715884105727");
  EXPECT_EQ(to_decimal(-max128 - 1), "-170141183460469231731687303715884105728");
}
