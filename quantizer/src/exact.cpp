#include "quantcheck/exact.hpp"

#include <cmath>

namespace quantcheck {
namespace {

// A finite non-zero double as mantissa * 2^exponent, mantissa a 53-bit integer.
struct Decomposed {
  std::int64_t mantissa;  // > 0
  int exponent;
};

Decomposed decompose(double x) {
  int e = 0;
  const double m = std::frexp(std::fabs(x), &e);  // m in [0.5, 1)
  return {static_cast<std::int64_t>(std::ldexp(m, 53)), e - 53};
}

int bit_length(std::uint64_t v) { return v == 0 ? 0 : 64 - __builtin_clzll(v); }

}  // namespace

std::optional<ExactQuotient> divide_exact(double num, double den) {
  if (!std::isfinite(num) || !std::isfinite(den) || den == 0) return std::nullopt;
  if (num == 0) return ExactQuotient{};
  const bool negative = (num < 0) != (den < 0);
  const Decomposed n = decompose(num);
  const Decomposed d = decompose(den);
  const int shift = n.exponent - d.exponent;
  const int magnitude = bit_length(n.mantissa) - bit_length(d.mantissa) + shift;
  if (magnitude > 65) return std::nullopt;  // |q| >= 2^64

  // |num/den| = N / D with N, D < 2^127.
  uint128 N = static_cast<uint128>(n.mantissa);
  uint128 D = static_cast<uint128>(d.mantissa);
  ExactQuotient r;
  if (shift >= 0) {
    N <<= shift;  // bit_length(N) <= 65 + 53 < 127
  } else if (bit_length(d.mantissa) - shift <= 126) {
    D <<= -shift;
  } else {
    // |num/den| < 2^(53 - 126 + 53) < 1/4: floor 0, fraction below one half.
    r.floor = 0;
    r.exact = false;
    r.half_cmp = -1;
    if (negative) {
      r.floor = -1;
      r.half_cmp = 1;
    }
    return r;
  }
  const uint128 q = N / D;
  const uint128 rem = N % D;
  r.floor = static_cast<int128>(q);
  r.exact = rem == 0;
  r.half_cmp = (2 * rem < D) ? -1 : (2 * rem == D ? 0 : 1);
  if (negative) {
    // -(q + f) = -(q + 1) + (1 - f) when f > 0.
    r.floor = -r.floor;
    if (!r.exact) {
      r.floor -= 1;
      r.half_cmp = -r.half_cmp;
    }
  }
  return r;
}

std::optional<int128> round_quotient(double num, double den, Rounding rounding) {
  // A screen before the 128-bit division. The double quotient d = num / den
  // is within 2^-53 |num / den| of the exact one t, so for |d| < 2^30 it is
  // off by less than 2^-23, and fl + frac (fl = floor(d), frac = d - fl, that
  // subtraction off by at most 2^-53) by less than 2^-22. When frac is more
  // than 2^-21 away from 1/2, t lies on the same side of fl + 1/2 as d and
  // inside (fl - 1/2, fl + 3/2): it rounds to fl or fl + 1 under either tie
  // rule. Near-ties and large quotients take the exact path.
  if (std::isfinite(num) && std::isfinite(den) && den != 0) {
    const double d = num / den;
    if (std::fabs(d) < 0x1p30) {
      const double fl = std::floor(d);
      const double frac = d - fl;
      if (std::fabs(frac - 0.5) > 0x1p-21) return static_cast<int128>(frac < 0.5 ? fl : fl + 1);
    }
  }
  const auto q = divide_exact(num, den);
  if (!q) return std::nullopt;
  if (q->exact || q->half_cmp < 0) return q->floor;
  if (q->half_cmp > 0) return q->floor + 1;
  // A tie: floor + 1/2.
  if (rounding == Rounding::half_to_even) return (q->floor % 2 == 0) ? q->floor : q->floor + 1;
  // Away from zero: for a negative tie the floor is the value further from 0.
  return q->floor >= 0 ? q->floor + 1 : q->floor;
}

bool within_half_step(int128 q, double num, double den) {
  const auto r = divide_exact(num, den);
  if (!r) return false;
  if (q == r->floor) return r->exact || r->half_cmp <= 0;
  if (q == r->floor + 1) return !r->exact && r->half_cmp >= 0;
  return false;
}

std::string to_decimal(int128 v) {
  const bool neg = v < 0;
  uint128 m = neg ? -static_cast<uint128>(v) : static_cast<uint128>(v);
  std::string s;
  do {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(m % 10)));
    m /= 10;
  } while (m != 0);
  return neg ? "-" + s : s;
}

}  // namespace quantcheck
