// q = clamp(round_half_away(x / s) + zp, qmin, qmax) for a run of weights,
// exactly, eight at a time with AVX2 + FMA when the processor has them
// (chosen at run time; the build stays baseline x86-64).
#pragma once

#include <cstdint>

namespace quantcheck::detail {

// Quantizes x[0..count) into q and returns true, or returns false (and
// writes nothing) when no SIMD path is available on this machine.
bool exact_round_run_simd(const float* x, std::int32_t* q, std::int64_t count, float scale,
                          std::int32_t zp, std::int32_t qmin, std::int32_t qmax);

// Folds x[0..count) into *lo / *hi (running minimum and maximum of finite
// values); false when no SIMD path is available.
bool min_max_run_simd(const float* x, std::int64_t count, float* lo, float* hi);

// Tests and benchmarks switch the SIMD path off to exercise the scalar one.
void set_simd_enabled(bool enabled);
bool simd_enabled();

}  // namespace quantcheck::detail
