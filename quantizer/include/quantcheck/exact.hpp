// Exact rational rounding of num/den for finite doubles.
//
// Why: a bias quotient b / s_b can be as large as 2^63 (int64 bias). A double
// division rounds at 2^-53 relative, i.e. by up to 512 units at 2^62, so
// "round(b / s_b)" in double cannot tell whether a bias fits or is within half
// a step. Every double is m * 2^e with a 53-bit integer m, so the quotient is
// (m_n / m_d) * 2^(e_n - e_d): one 128-bit integer division gives it exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace quantcheck {

__extension__ typedef __int128 int128;
__extension__ typedef unsigned __int128 uint128;

enum class Rounding { half_away_from_zero, half_to_even };

// floor(num / den) and where the dropped fraction f = num/den - floor lies.
struct ExactQuotient {
  int128 floor = 0;
  bool exact = true;  // f == 0
  int half_cmp = -1;  // sign of (f - 1/2); meaningless when exact
};

// Exact quotient of two finite doubles, den != 0. Returns nullopt when
// |num / den| >= 2^64 (beyond every integer type quantcheck stores).
std::optional<ExactQuotient> divide_exact(double num, double den);

// round(num / den) under the given rounding, exact; nullopt as above or den == 0.
std::optional<int128> round_quotient(double num, double den, Rounding rounding);

// True when |q - num / den| <= 1/2 holds exactly (den > 0).
bool within_half_step(int128 q, double num, double den);

// v in decimal (iostreams have no __int128), INT128_MIN included.
std::string to_decimal(int128 v);

}  // namespace quantcheck
