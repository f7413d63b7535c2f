// The requantization primitives, each a small function with the formula of
// its source (RUNTIMES.md section given). They compute what the runtime
// computes, bugs included, without C++ undefined behaviour: where the source
// overflows a signed integer (a plain int32 shift, an int64 product) the
// result is the two's-complement wrap every measured build shows, and the
// `overflow` flag of the *_checked forms says it happened.
#pragma once

#include <cstdint>

#include "quantcheck/exact.hpp"

namespace quantcheck::rq {

// M ~ q 2^(e - 31), q in [2^30, 2^31) (or 0).
struct QuantizedMultiplier {
  std::int32_t q = 0;
  int e = 0;
  bool flushed = false;  // e < -31 after the fix-up: set to (0, 0)
  bool clamped = false;  // single rounding: e > 30 set to (2^31 - 1, 30)
};

// TFLite QuantizeMultiplier (quantization_util.cc L53-104, RUNTIMES.md 1.1):
// frexp, q = RHAFZ(f 2^31), q == 2^31 -> (2^30, e + 1), then (if flush)
// e < -31 -> (0, 0), then (if single_rounding_clamp) e > 30 -> (2^31-1, 30).
// M must be finite and >= 0 (the caller rejects the rest).
QuantizedMultiplier quantize_multiplier(double M, bool flush = true,
                                        bool single_rounding_clamp = false);

// gemmlowp SaturatingRoundingDoublingHighMul: RHU of a b / 2^31, INT32_MIN^2 -> INT32_MAX.
std::int32_t srdhm(std::int32_t a, std::int32_t b);

// gemmlowp RoundingDivideByPOT: x / 2^r rounded half away from zero, 0 <= r <= 31.
std::int32_t rdbpot(std::int32_t x, int r);

// TFLite reference MultiplyByQuantizedMultiplier, int32 (double rounding):
// RDBPOT(SRDHM(x << max(e,0), q), max(-e,0)); the shift wraps.
std::int32_t mbqm_double(std::int32_t x, std::int32_t q, int e);

// TFLITE_SINGLE_ROUNDING MBQM: RHU of x q 2^(e-31) in int64, narrowed to int32.
std::int32_t mbqm_single(std::int32_t x, std::int32_t q, int e);

// The 15-bit reduced multiplier of the int64 MBQM: (q + 2^15) >> 16, or 0x7FFF.
std::int32_t reduced15(std::int32_t q);

struct Checked {
  std::int64_t value = 0;  // what the runtime returns (wrapped where it wraps)
  bool overflow = false;   // an intermediate overflowed its type
};

// TFLite int64 MBQM (common.h L263-287): (x qr + 2^(14-e)) >> (15-e) in
// int64, narrowed to int32 without a clamp. x qr overflows int64 for
// |x| > ~2^48 (PR #42134, ONE #6970): wrapped, flagged.
Checked mbqm_int64(std::int64_t x, std::int32_t q, int e);

// ruy x86 AVX2/AVX-512 (RUNTIMES.md 1.3): y = floor(((x << l) q + 2^30) / 2^31)
// in 64 bits, then (y + 2^(r-1)) >> r, except y > INT32_MAX - 2^(r-1) -> 2^(31-r).
std::int32_t ruy_x86(std::int32_t x, std::int32_t q, int e);

// float32 requantization (ORT MlasRequantizeOutput, XNNPACK fp32):
// v = fl(fl(acc) * scale), clamped to [lo, hi] in float, then RNE.
std::int32_t float32_rne(std::int32_t acc, float scale, float lo, float hi);

// ONNX reference (NumPy): RNE((double)acc * (double)scale), saturated to int32's range.
std::int64_t float64_rne(std::int64_t acc, float scale);

// XNNPACK rndnu / 24-bit mantissa: scale = m 2^-s with m the 24-bit
// significand; (acc m + 2^(s-1)) >> s in 128 bits (exact RHU).
std::int64_t mantissa24_rhu(std::int64_t acc, float scale);

// Exact rounding of a * 2^k (k may be negative): half up (floor(v + 1/2)),
// or half to even. Helpers for the exact side.
int128 round_shift_half_up(int128 a, int k);

}  // namespace quantcheck::rq
