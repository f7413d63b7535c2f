// Vector versions of a check's per-element scans. A maximum over finite
// values does not depend on the order it is taken in, so `omp simd
// reduction(max)` (-fopenmp-simd: the pragma only, no OpenMP runtime) may
// split it across lanes; GCC does not vectorise a floating-point max without
// being told NaN cannot occur. The weights are finite (validate), so each
// error is too. Cloned per target and picked at load time, as the quantizer's
// any_may_show_finding; -ffp-contract=off keeps (q - zp) s - x two roundings
// on FMA machines, as in the scalar code the reports were written with.
#include "channel_scans.hpp"

#include <cmath>

namespace quantcheck::model {

__attribute__((target_clones("avx512f", "avx2", "default"))) float max_abs_run(const float* x,
                                                                               std::size_t n,
                                                                               float m) {
#pragma omp simd reduction(max : m)
  for (std::size_t i = 0; i < n; ++i) {
    const float a = std::fabs(x[i]);
    m = a > m ? a : m;
  }
  return m;
}

__attribute__((target_clones("avx512f", "avx2", "default"))) RunError run_error(
    const float* x, const std::int32_t* q, std::size_t n, std::int32_t zp, double s, double e) {
  const double z = zp;
  int differs = 0;
#pragma omp simd reduction(max : e) reduction(| : differs)
  for (std::size_t i = 0; i < n; ++i) {
    differs |= q[i] != zp;
    const double err = std::fabs((static_cast<double>(q[i]) - z) * s - static_cast<double>(x[i]));
    e = err > e ? err : e;
  }
  return {e, differs != 0};
}

}  // namespace quantcheck::model
