// fuzz_exact_division: exact.hpp's round_quotient and within_half_step, the
// exact rational rounding under the reference presets' weights and bias fit,
// against the independent float32 quotient of fuzz_support.cpp (mantissas in
// 128-bit integers, no doubles); any difference traps.
//
// Input: up to 32 pairs of float32 bit patterns (num, den) in host byte
// order (little-endian wherever OSS-Fuzz runs), 8 bytes a pair; a trailing
// partial pair is ignored. Every pair is checked both ways round, num / den
// and den / num, under both tie rules.
// A flat byte format rather than a case file: every byte is a float bit, so
// the engine reaches ties, subnormals and the 2^63 edge in few mutations.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "fuzz_support.hpp"
#include "quantcheck/exact.hpp"

namespace {

using namespace quantcheck;

[[noreturn]] void disagree(const char* what, float num, float den) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s disagrees with the independent exact quotient at %a / %a",
                what, double(num), double(den));
  fuzz::fail(buf);
}

void check_pair(float num, float den) {
  if (den == 0 || std::isnan(den) || std::isnan(num) || std::isinf(num) || std::isinf(den))
    return;  // the independent quotient is for finite operands and den != 0
  // Quotients that fit an int64 are compared value for value; beyond that
  // both sides need only agree that the quotient is large.
  const int128 limit = int128{1} << 63;
  // One independent quotient serves both tie rules and every candidate q.
  const fuzz::FloatQuotient fq = fuzz::float_quotient(num, den);
  int128 candidates[6];
  std::size_t m = 0;
  for (Rounding rounding : {Rounding::half_away_from_zero, Rounding::half_to_even}) {
    const auto lib = round_quotient(num, den, rounding);
    const auto ind = fuzz::round_float_quotient(fq, rounding);
    const bool ind_small = ind && *ind > -limit && *ind < limit;
    if (ind_small != (lib.has_value() && *lib > -limit && *lib < limit) ||
        (ind_small && *lib != *ind))
      disagree("round_quotient", num, den);
    if (ind_small)
      for (int128 q : {*ind - 1, *ind, *ind + 1})
        if (std::find(candidates, candidates + m, q) == candidates + m) candidates[m++] = q;
  }
  // within_half_step does not depend on the tie rule: each q once. The
  // neighbours of the rounded value are outside half a step unless at a tie.
  for (std::size_t i = 0; i < m; ++i)
    if (within_half_step(candidates[i], num, den) !=
        fuzz::float_within_half_step(candidates[i], fq))
      disagree("within_half_step", num, den);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t kMaxPairs = 32;
  for (std::size_t k = 0; k < std::min(size / 8, kMaxPairs); ++k) {
    float num, den;
    std::memcpy(&num, data + 8 * k, 4);
    std::memcpy(&den, data + 8 * k + 4, 4);
    check_pair(num, den);
    check_pair(den, num);
  }
  return 0;
}
