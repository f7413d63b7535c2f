// Exact rounding of x / s, eight lanes at a time.
//
// 1. An estimate r = round(x * (1/s)) in float32 can be off by one next to a
//    tie, because 1/s and the product are rounded.
// 2. With r' = r - 1/2 and r'' = r + 1/2 (exact in float32: |r| <= 2^16),
//    fma(-r', s, x) = x - r' s is computed with one rounding, so its sign is
//    the sign of the exact x - r' s; likewise for r''. r is the rounding of
//    x / s (ties away from zero) exactly when
//        x - r' s > 0, or == 0 with r' > 0  (a positive tie below r rounds up to r), and
//        x - r'' s < 0, or == 0 with r'' < 0 (a negative tie above r rounds down to r).
//    Otherwise r moves by one towards x / s; one step always suffices.
#include "simd_kernels.hpp"

#include <atomic>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define QUANTCHECK_HAVE_AVX2_PATH 1
#endif

namespace quantcheck::detail {

namespace {
std::atomic<bool> simd_allowed{true};
}  // namespace

void set_simd_enabled(bool enabled) { simd_allowed = enabled; }
bool simd_enabled() { return simd_allowed; }

#ifdef QUANTCHECK_HAVE_AVX2_PATH

namespace {

__attribute__((target("avx2,fma"))) void run_avx2(const float* x, std::int32_t* q,
                                                  std::int64_t count, float scale, std::int32_t zp,
                                                  std::int32_t qmin, std::int32_t qmax) {
  const __m256 s = _mm256_set1_ps(scale);
  const __m256 inv = _mm256_set1_ps(1.0f / scale);
  // Clamp the estimate to the integer range widened by 2 (so the casts are
  // defined); anything clamped is clamped again after the correction.
  const __m256 lo = _mm256_set1_ps(static_cast<float>(qmin - zp - 2));
  const __m256 hi = _mm256_set1_ps(static_cast<float>(qmax - zp + 2));
  const __m256 half = _mm256_set1_ps(0.5f);
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 zero = _mm256_setzero_ps();
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 zpv = _mm256_set1_ps(static_cast<float>(zp));
  const __m256 qlo = _mm256_set1_ps(static_cast<float>(qmin));
  const __m256 qhi = _mm256_set1_ps(static_cast<float>(qmax));
  std::int64_t j = 0;
  for (; j + 8 <= count; j += 8) {
    const __m256 xv = _mm256_loadu_ps(x + j);
    __m256 v = _mm256_mul_ps(xv, inv);
    v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
    // Estimate, half away from zero: trunc(v + copysign(0.5, v)) is not
    // exact for all v, but it is within one of the answer, which step 2 fixes.
    __m256 r = _mm256_round_ps(_mm256_add_ps(v, _mm256_or_ps(_mm256_and_ps(v, sign), half)),
                               _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 below = _mm256_sub_ps(r, half);
    const __m256 above = _mm256_add_ps(r, half);
    const __m256 res_below = _mm256_fnmadd_ps(below, s, xv);  // x - (r - 1/2) s
    const __m256 res_above = _mm256_fnmadd_ps(above, s, xv);  // x - (r + 1/2) s
    const __m256 below_ok = _mm256_or_ps(_mm256_cmp_ps(res_below, zero, _CMP_GT_OQ),
                                         _mm256_and_ps(_mm256_cmp_ps(res_below, zero, _CMP_EQ_OQ),
                                                       _mm256_cmp_ps(below, zero, _CMP_GT_OQ)));
    const __m256 above_ok = _mm256_or_ps(_mm256_cmp_ps(res_above, zero, _CMP_LT_OQ),
                                         _mm256_and_ps(_mm256_cmp_ps(res_above, zero, _CMP_EQ_OQ),
                                                       _mm256_cmp_ps(above, zero, _CMP_LT_OQ)));
    r = _mm256_sub_ps(r, _mm256_andnot_ps(below_ok, one));
    r = _mm256_add_ps(r, _mm256_andnot_ps(above_ok, one));
    r = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(r, zpv), qlo), qhi);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + j), _mm256_cvttps_epi32(r));
  }
  // The tail: the same steps, one lane at a time.
  for (; j < count; ++j) {
    const float xv = x[j];
    float v = xv * (1.0f / scale);
    v = v < static_cast<float>(qmin - zp - 2) ? static_cast<float>(qmin - zp - 2) : v;
    v = v > static_cast<float>(qmax - zp + 2) ? static_cast<float>(qmax - zp + 2) : v;
    float r = static_cast<float>(static_cast<std::int32_t>(v + (v < 0 ? -0.5f : 0.5f)));
    const float below = r - 0.5f, above = r + 0.5f;
    const float res_below = __builtin_fmaf(-below, scale, xv);
    const float res_above = __builtin_fmaf(-above, scale, xv);
    if (!(res_below > 0 || (res_below == 0 && below > 0))) r -= 1;
    if (!(res_above < 0 || (res_above == 0 && above < 0))) r += 1;
    float out = r + static_cast<float>(zp);
    out = out < static_cast<float>(qmin) ? static_cast<float>(qmin) : out;
    out = out > static_cast<float>(qmax) ? static_cast<float>(qmax) : out;
    q[j] = static_cast<std::int32_t>(out);
  }
}

__attribute__((target("avx2"))) void min_max_avx2(const float* x, std::int64_t count, float* lo,
                                                  float* hi) {
  __m256 vlo = _mm256_set1_ps(*lo), vhi = _mm256_set1_ps(*hi);
  std::int64_t j = 0;
  for (; j + 8 <= count; j += 8) {
    const __m256 v = _mm256_loadu_ps(x + j);
    vlo = _mm256_min_ps(vlo, v);
    vhi = _mm256_max_ps(vhi, v);
  }
  alignas(32) float l[8], h[8];
  _mm256_store_ps(l, vlo);
  _mm256_store_ps(h, vhi);
  for (int k = 0; k < 8; ++k) {
    *lo = l[k] < *lo ? l[k] : *lo;
    *hi = h[k] > *hi ? h[k] : *hi;
  }
  for (; j < count; ++j) {
    *lo = x[j] < *lo ? x[j] : *lo;
    *hi = x[j] > *hi ? x[j] : *hi;
  }
}

bool has_avx2_fma() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
}

}  // namespace

bool exact_round_run_simd(const float* x, std::int32_t* q, std::int64_t count, float scale,
                          std::int32_t zp, std::int32_t qmin, std::int32_t qmax) {
  if (!simd_enabled() || !has_avx2_fma()) return false;
  // Step 2 needs the residual x - r' s to keep its sign when rounded. It is a
  // multiple of 2^-149 (so never rounds to 0) only when s >= 2^-125; below
  // that it can underflow to 0 and a value just under a tie rounds up (found
  // by the property suite: x = 0x1.fffffcp-127, s = 0x1.fffffep-126 gave 1).
  if (!(scale >= 0x1p-125f)) return false;
  run_avx2(x, q, count, scale, zp, qmin, qmax);
  return true;
}

bool min_max_run_simd(const float* x, std::int64_t count, float* lo, float* hi) {
  if (!simd_enabled() || !has_avx2_fma()) return false;
  min_max_avx2(x, count, lo, hi);
  return true;
}

#else

bool min_max_run_simd(const float*, std::int64_t, float*, float*) { return false; }

bool exact_round_run_simd(const float*, std::int32_t*, std::int64_t, float, std::int32_t,
                          std::int32_t, std::int32_t) {
  return false;
}

#endif

}  // namespace quantcheck::detail
