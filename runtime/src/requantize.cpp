#include "quantcheck/runtime/requantize.hpp"

#include <cmath>
#include <cstring>
#include <limits>

namespace quantcheck::rq {
namespace {

constexpr std::int64_t kInt32Min = std::numeric_limits<std::int32_t>::min();
constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();

// The two's-complement narrowing every build does (defined since C++20).
std::int32_t wrap32(std::int64_t v) { return static_cast<std::int32_t>(v); }
std::int64_t wrap64(int128 v) { return static_cast<std::int64_t>(v); }

// floor(v / 2^s) for s >= 0 (arithmetic shift of a signed 128-bit value).
int128 floor_shift(int128 v, int s) { return s >= 127 ? (v < 0 ? -1 : 0) : v >> s; }

}  // namespace

QuantizedMultiplier quantize_multiplier(double M, bool flush, bool single_rounding_clamp) {
  QuantizedMultiplier out;
  if (M == 0) return out;
  int e = 0;
  const double f = std::frexp(M, &e);
  auto q = static_cast<std::int64_t>(std::round(f * static_cast<double>(1LL << 31)));  // RHAFZ
  if (q == (1LL << 31)) {  // the fix-up: f rounded up to 1
    q /= 2;
    ++e;
  }
  if (flush && e < -31) {
    out.flushed = true;
    q = 0;
    e = 0;
  }
  if (single_rounding_clamp && e > 30) {
    out.clamped = true;
    e = 30;
    q = (1LL << 31) - 1;
  }
  out.q = static_cast<std::int32_t>(q);
  out.e = e;
  return out;
}

std::int32_t srdhm(std::int32_t a, std::int32_t b) {
  if (a == b && a == kInt32Min) return static_cast<std::int32_t>(kInt32Max);
  const std::int64_t ab = std::int64_t{a} * b;
  const std::int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
  return static_cast<std::int32_t>((ab + nudge) / (1LL << 31));  // C++ truncating division
}

std::int32_t rdbpot(std::int32_t x, int r) {
  const std::int32_t mask = static_cast<std::int32_t>((1LL << r) - 1);
  const std::int32_t remainder = x & mask;
  const std::int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> r) + (remainder > threshold ? 1 : 0);
}

std::int32_t mbqm_double(std::int32_t x, std::int32_t q, int e) {
  const int left = e > 0 ? e : 0;
  const int right = e > 0 ? 0 : -e;
  // x * (1 << left): a plain int32 multiply in the source; it wraps (to 0
  // once left >= 32: a huge multiplier, found by fuzz_requantize).
  const std::int32_t shifted =
      wrap32(left >= 32 ? 0
                        : static_cast<std::int64_t>(
                              static_cast<std::uint64_t>(static_cast<std::int64_t>(x)) << left));
  return rdbpot(srdhm(shifted, q), right);
}

std::int32_t mbqm_single(std::int32_t x, std::int32_t q, int e) {
  const int total_shift = 31 - e;  // 1..62 for -31 <= e <= 30
  const int128 p = int128{x} * q + (int128{1} << (total_shift - 1));
  return wrap32(wrap64(floor_shift(p, total_shift)));
}

std::int32_t reduced15(std::int32_t q) {
  return q < 0x7FFF0000 ? static_cast<std::int32_t>((std::int64_t{q} + (1LL << 15)) >> 16) : 0x7FFF;
}

Checked mbqm_int64(std::int64_t x, std::int32_t q, int e) {
  Checked out;
  const std::int64_t qr = reduced15(q);
  const int total_shift = 15 - e;
  const int128 product = int128{x} * qr;  // the source's int64 multiply
  const int128 lo = std::numeric_limits<std::int64_t>::min();
  const int128 hi = std::numeric_limits<std::int64_t>::max();
  if (product < lo || product > hi) out.overflow = true;
  const std::int64_t wrapped = wrap64(product);
  const int128 rounded =
      total_shift >= 1 ? int128{wrapped} + (int128{1} << (total_shift - 1)) : int128{wrapped};
  if (rounded > hi) out.overflow = true;
  const std::int64_t sum = wrap64(rounded);
  const std::int64_t result =
      total_shift >= 1 ? (total_shift >= 64 ? (sum < 0 ? -1 : 0) : sum >> total_shift) : sum;
  if (result < kInt32Min || result > kInt32Max) out.overflow = true;
  out.value = wrap32(result);  // narrowed to int32 without a clamp
  return out;
}

std::int32_t ruy_x86(std::int32_t x, std::int32_t q, int e) {
  const int left = e > 0 ? e : 0;
  const int right = e > 0 ? 0 : -e;
  // vpsllvd: a 32-bit lane shift (not saturating)
  const std::int32_t shifted =
      wrap32(left >= 32 ? 0
                        : static_cast<std::int64_t>(
                              static_cast<std::uint64_t>(static_cast<std::int64_t>(x)) << left));
  // 64-bit product, + 2^30, >> 31 (floor): RHU of shifted * q / 2^31
  const std::int64_t y64 = (std::int64_t{shifted} * q + (1LL << 30)) >> 31;
  const std::int32_t y = wrap32(y64);
  if (right == 0) return y;
  const std::int64_t nudge = 1LL << (right - 1);
  if (y > kInt32Max - nudge) return static_cast<std::int32_t>(1LL << (31 - right));
  return static_cast<std::int32_t>((y + nudge) >> right);
}

std::int32_t float32_rne(std::int32_t acc, float scale, float lo, float hi) {
  float v = static_cast<float>(acc) * scale;
  if (v < lo) v = lo;  // clamp in float first (MLAS, XNNPACK); also catches NaN-free range
  if (v > hi) v = hi;
  return static_cast<std::int32_t>(std::nearbyint(v));  // default mode: ties to even
}

std::int64_t float64_rne(std::int64_t acc, float scale) {
  const double v = std::nearbyint(static_cast<double>(acc) * static_cast<double>(scale));
  if (v <= static_cast<double>(kInt32Min)) return kInt32Min;
  if (v >= static_cast<double>(kInt32Max)) return kInt32Max;
  return static_cast<std::int64_t>(v);
}

std::int64_t mantissa24_rhu(std::int64_t acc, float scale) {
  int e = 0;
  const double f = std::frexp(static_cast<double>(scale), &e);  // scale = f 2^e, f in [0.5, 1)
  const auto m = static_cast<std::int64_t>(std::ldexp(f, 24));  // 24-bit significand
  const int shift = 24 - e;                                     // scale = m 2^-shift
  return static_cast<std::int64_t>(round_shift_half_up(int128{acc} * m, -shift));
}

int128 round_shift_half_up(int128 a, int k) {
  if (k >= 0) return a << k;  // caller keeps this in range
  const int s = -k;
  if (s >= 126) return 0;  // |a| < 2^124 here, so |a 2^k| < 1/4
  return floor_shift(a + (int128{1} << (s - 1)), s);
}

}  // namespace quantcheck::rq
