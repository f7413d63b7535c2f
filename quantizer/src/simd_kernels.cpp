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

// 2^-23 (1 + 2^-20): the screen's tolerance per unit of |v| (see run_avx2).
constexpr float kTieTolerance = 0x1.00001p-23f;

// The constants of one channel's run.
struct RunConstants {
  __m256 s, inv, lo, hi, half, one, zero, sign, zpv, qlo, qhi, tie_tolerance;
};

__attribute__((target("avx2,fma"))) inline RunConstants make_constants(float scale, std::int32_t zp,
                                                                       std::int32_t qmin,
                                                                       std::int32_t qmax) {
  RunConstants k;
  k.s = _mm256_set1_ps(scale);
  k.inv = _mm256_set1_ps(1.0f / scale);
  // Clamp the estimate to the integer range widened by 2 (so the casts are
  // defined); anything clamped is clamped again after the correction.
  k.lo = _mm256_set1_ps(static_cast<float>(qmin - zp - 2));
  k.hi = _mm256_set1_ps(static_cast<float>(qmax - zp + 2));
  k.half = _mm256_set1_ps(0.5f);
  k.one = _mm256_set1_ps(1.0f);
  k.zero = _mm256_setzero_ps();
  k.sign = _mm256_set1_ps(-0.0f);
  k.zpv = _mm256_set1_ps(static_cast<float>(zp));
  k.qlo = _mm256_set1_ps(static_cast<float>(qmin));
  k.qhi = _mm256_set1_ps(static_cast<float>(qmax));
  k.tie_tolerance = _mm256_set1_ps(kTieTolerance);
  return k;
}

// Steps 1 and 2 for eight lanes: the exact rounding of x / s, unclamped.
__attribute__((target("avx2,fma"))) inline __m256 exact_round8(const RunConstants& k, __m256 xv) {
  __m256 v = _mm256_mul_ps(xv, k.inv);
  v = _mm256_min_ps(_mm256_max_ps(v, k.lo), k.hi);
  // Estimate, half away from zero: trunc(v + copysign(0.5, v)) is not
  // exact for all v, but it is within one of the answer, which step 2 fixes.
  __m256 r = _mm256_round_ps(_mm256_add_ps(v, _mm256_or_ps(_mm256_and_ps(v, k.sign), k.half)),
                             _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m256 below = _mm256_sub_ps(r, k.half);
  const __m256 above = _mm256_add_ps(r, k.half);
  const __m256 res_below = _mm256_fnmadd_ps(below, k.s, xv);  // x - (r - 1/2) s
  const __m256 res_above = _mm256_fnmadd_ps(above, k.s, xv);  // x - (r + 1/2) s
  const __m256 below_ok = _mm256_or_ps(_mm256_cmp_ps(res_below, k.zero, _CMP_GT_OQ),
                                       _mm256_and_ps(_mm256_cmp_ps(res_below, k.zero, _CMP_EQ_OQ),
                                                     _mm256_cmp_ps(below, k.zero, _CMP_GT_OQ)));
  const __m256 above_ok = _mm256_or_ps(_mm256_cmp_ps(res_above, k.zero, _CMP_LT_OQ),
                                       _mm256_and_ps(_mm256_cmp_ps(res_above, k.zero, _CMP_EQ_OQ),
                                                     _mm256_cmp_ps(above, k.zero, _CMP_LT_OQ)));
  r = _mm256_sub_ps(r, _mm256_andnot_ps(below_ok, k.one));
  return _mm256_add_ps(r, _mm256_andnot_ps(above_ok, k.one));
}

// Step 0, the common case: v = x * (1/s) has two roundings of relative error
// 2^-24 each, so |v - x/s| <= |x/s| (2^-23 + 2^-48) <= |v| 2^-23 (1 + 2^-22)
// (for s < 2^125, 1/s is normal; a product that underflows is far from any
// tie). The tolerance |v| * kTieTolerance, rounded once, stays above that.
// When v lies further than that from the nearest tie k + 1/2, x / s lies on the
// same side of it and round(v) (to nearest, any tie rule) is the exact answer.
// The distance is ||v - round(v)| - 1/2|, each step exact (Sterbenz). A block
// with any lane that close (about one in 10^5 elements for 8-bit ranges, one in
// 10^3 for int16, always at a true tie) goes through exact_round8.
__attribute__((target("avx2,fma"))) void run_avx2(const float* x, std::int32_t* q,
                                                  std::int64_t count, float scale, std::int32_t zp,
                                                  std::int32_t qmin, std::int32_t qmax) {
  const RunConstants k = make_constants(scale, zp, qmin, qmax);
  // The screen needs 1/s normal, so its relative error stays 2^-24.
  const bool screen = scale < 0x1p125f;
  std::int64_t j = 0;
  for (; !screen && j + 8 <= count; j += 8) {
    const __m256 r = exact_round8(k, _mm256_loadu_ps(x + j));
    const __m256 out = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(r, k.zpv), k.qlo), k.qhi);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + j), _mm256_cvttps_epi32(out));
  }
  // Clamping v to the integers [qmin - zp, qmax - zp] before rounding gives
  // the clamp of the rounding (the ends are integers), and a clamped lane is
  // an integer, never near a tie.
  const __m256 vlo = _mm256_sub_ps(k.qlo, k.zpv), vhi = _mm256_sub_ps(k.qhi, k.zpv);
  for (; j + 8 <= count; j += 8) {
    const __m256 xv = _mm256_loadu_ps(x + j);
    const __m256 v = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(xv, k.inv), vlo), vhi);
    __m256 r = _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m256 frac = _mm256_andnot_ps(k.sign, _mm256_sub_ps(v, r));
    const __m256 to_tie = _mm256_andnot_ps(k.sign, _mm256_sub_ps(frac, k.half));
    const __m256 tolerance = _mm256_mul_ps(_mm256_andnot_ps(k.sign, v), k.tie_tolerance);
    if (_mm256_movemask_ps(_mm256_cmp_ps(to_tie, tolerance, _CMP_LE_OQ)) != 0)
      r = _mm256_min_ps(_mm256_max_ps(exact_round8(k, xv), vlo), vhi);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + j),
                        _mm256_cvttps_epi32(_mm256_add_ps(r, k.zpv)));
  }
  // The tail: steps 1 and 2, one lane at a time.
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

// GCC 12's AVX-512 headers pass _mm512_undefined_ps() as the unused merge
// source of every unmasked intrinsic, which -Wuninitialized reports at -O2
// (GCC bug 105593, fixed in GCC 13); the values are never read.
#pragma GCC diagnostic push
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

// run_avx2's screen, sixteen lanes at a time; a block with a lane near a
// tie goes through exact_round8 as two halves. The last partial block is
// loaded and stored under a mask (its idle lanes hold 0, which is harmless).
__attribute__((target("avx512f,avx2,fma"))) void run_avx512(const float* x, std::int32_t* q,
                                                            std::int64_t count, float scale,
                                                            std::int32_t zp, std::int32_t qmin,
                                                            std::int32_t qmax) {
  const RunConstants k = make_constants(scale, zp, qmin, qmax);
  const __m512 inv = _mm512_set1_ps(1.0f / scale);
  const __m512 vlo = _mm512_set1_ps(static_cast<float>(qmin - zp));
  const __m512 vhi = _mm512_set1_ps(static_cast<float>(qmax - zp));
  const __m512 zpv = _mm512_set1_ps(static_cast<float>(zp));
  const __m512 half = _mm512_set1_ps(0.5f);
  const __m512 tie_tolerance = _mm512_set1_ps(kTieTolerance);
  const __m256 vlo8 = _mm512_castps512_ps256(vlo), vhi8 = _mm512_castps512_ps256(vhi);
  auto block = [&](__m512 xv) __attribute__((target("avx512f,avx2,fma"))) {
    const __m512 v = _mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(xv, inv), vlo), vhi);
    __m512 r = _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m512 to_tie = _mm512_abs_ps(_mm512_sub_ps(_mm512_abs_ps(_mm512_sub_ps(v, r)), half));
    const __m512 tolerance = _mm512_mul_ps(_mm512_abs_ps(v), tie_tolerance);
    if (_mm512_cmp_ps_mask(to_tie, tolerance, _CMP_LE_OQ) != 0) {
      const __m256 upper = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(xv), 1));
      const __m256 lo8 =
          _mm256_min_ps(_mm256_max_ps(exact_round8(k, _mm512_castps512_ps256(xv)), vlo8), vhi8);
      const __m256 hi8 = _mm256_min_ps(_mm256_max_ps(exact_round8(k, upper), vlo8), vhi8);
      r = _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(lo8)),
                                              _mm256_castps_pd(hi8), 1));
    }
    return _mm512_cvttps_epi32(_mm512_add_ps(r, zpv));
  };
  std::int64_t j = 0;
  for (; j + 16 <= count; j += 16) _mm512_storeu_si512(q + j, block(_mm512_loadu_ps(x + j)));
  if (j < count) {
    const __mmask16 m = static_cast<__mmask16>((1u << (count - j)) - 1);
    _mm512_mask_storeu_epi32(q + j, m, block(_mm512_maskz_loadu_ps(m, x + j)));
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

__attribute__((target("avx512f,avx2"))) void min_max_avx512(const float* x, std::int64_t count,
                                                            float* lo, float* hi) {
  // Two accumulators each, so consecutive loads do not wait on one another.
  __m512 lo0 = _mm512_set1_ps(*lo), hi0 = _mm512_set1_ps(*hi), lo1 = lo0, hi1 = hi0;
  std::int64_t j = 0;
  for (; j + 32 <= count; j += 32) {
    const __m512 a = _mm512_loadu_ps(x + j), b = _mm512_loadu_ps(x + j + 16);
    lo0 = _mm512_min_ps(lo0, a);
    hi0 = _mm512_max_ps(hi0, a);
    lo1 = _mm512_min_ps(lo1, b);
    hi1 = _mm512_max_ps(hi1, b);
  }
  for (; j < count; j += 16) {  // the rest, up to 16 at a time, masked
    const std::int64_t left = count - j;
    const __mmask16 m = left >= 16 ? 0xffff : static_cast<__mmask16>((1u << left) - 1);
    const __m512 a = _mm512_maskz_loadu_ps(m, x + j);
    lo0 = _mm512_mask_min_ps(lo0, m, lo0, a);
    hi0 = _mm512_mask_max_ps(hi0, m, hi0, a);
  }
  *lo = _mm512_reduce_min_ps(_mm512_min_ps(lo0, lo1));
  *hi = _mm512_reduce_max_ps(_mm512_max_ps(hi0, hi1));
}

#pragma GCC diagnostic pop

bool has_avx512f() {
  static const bool yes = __builtin_cpu_supports("avx512f");
  return yes;
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
  // The screen needs 1/s normal (see run_avx2).
  if (has_avx512f() && scale < 0x1p125f)
    run_avx512(x, q, count, scale, zp, qmin, qmax);
  else
    run_avx2(x, q, count, scale, zp, qmin, qmax);
  return true;
}

bool min_max_run_simd(const float* x, std::int64_t count, float* lo, float* hi) {
  if (!simd_enabled() || !has_avx2_fma()) return false;
  if (has_avx512f())
    min_max_avx512(x, count, lo, hi);
  else
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
