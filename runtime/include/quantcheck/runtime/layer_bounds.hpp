// Worst cases of a layer on a runtime, in closed form, for checks that cannot
// afford to run the kernel on every channel (`quantcheck verify --runtime`
// on a whole model): the exact range of the accumulator over every legal
// input, the int16 pair sums where the profile saturates them, and the
// output error bound of docs/runtimes.md ("output_error_bound").
#pragma once

#include <cstdint>

#include "quantcheck/exact.hpp"
#include "quantcheck/runtime/layer.hpp"

namespace quantcheck {

// Over every input in the activation type's range, for output channel c at an
// output position whose taps all lie inside the input (padding reads as the
// input zero point, which only removes taps), with the weight zero point the
// profile's kernel applies:
//   taps = sum (x - zp_x)(w - zp_w),  acc = taps + bias (the kernel's order).
// taps_min / taps_max are exact (x = qmax where w - zp_w has the sign, qmin
// where it has the other: extreme_input); every partial sum of the taps lies
// between them, so lo = min(taps_min, taps_min + b) and hi = max(taps_max,
// taps_max + b) bound every value the accumulator holds, and are reached.
struct AccumulatorRange {
  int128 taps_min = 0, taps_max = 0;
  int128 acc_min = 0, acc_max = 0;  // taps + bias
  int128 lo = 0, hi = 0;            // every intermediate value (partial sums, then + bias)
  // Where the path saturates u8 x s8 pair sums to int16 (int16_pair_saturation):
  // the extremes of the raw pair sums x[2k] w[2k] + x[2k+1] w[2k+1] over
  // uint8 x, in run_layer's pairing order; 0 when the path has no pairs.
  std::int64_t pair_min = 0, pair_max = 0;
  bool pairs = false;
  std::int64_t taps = 0;               // n: the products per output
  std::int64_t sum_abs_weights = 0;    // sum |w - zp_w| over the channel's taps
  std::int64_t input_abs_max = 0;      // max |x - zp_x| over the activation range
  std::int64_t weight_zero_point = 0;  // the zp the kernel subtracts
};

AccumulatorRange accumulator_range(const RuntimeProfile& p, const IntegerLayer& l,
                                   std::int64_t channel);

// The accumulator type's limits.
int128 accumulator_min(AccumulatorType t);
int128 accumulator_max(AccumulatorType t);

// The terms of docs/runtimes.md's output error bound for one output:
//   e_x sum|w| + e_w (sum|x| + n e_x)              weight and input half steps
// + s_b / 2 + |q_b| |s_b - s_in s_w|               bias (or |b| without a bias integer)
// + |acc| eps_M s_in s_w                           multiplier encoding
// + s_out (1/2 + r)                                output rounding, r LSB of requantization
// with e_x = s_in / 2, e_w = s_w / 2. In real (output) units.
struct OutputBoundTerms {
  long double s_in = 0, s_w = 0, s_out = 0;
  long double sum_abs_w = 0;  // sum |w| of the real weights over the taps
  long double sum_abs_x = 0;  // sum |x| of the real inputs over the taps
  long double taps = 0;       // n
  bool has_bias_integer = false;
  long double s_b = 0, q_b = 0;  // with a bias integer
  long double bias_real = 0;     // without one: the whole bias is the error
  long double abs_acc = 0;
  long double eps_m = 0;  // multiplier_relative_bound
  int r = 0;              // requantization_bound_lsb
};
long double output_error_bound(const OutputBoundTerms& t);

// The worst case of that bound over every input in the activation range, for
// channel c of a stored layer, in real units: the real weights within half a
// weight step of the stored ones (sum|w| <= s_w sum|w - zp_w| + n e_w), the
// real inputs within half an input step of an integer in range
// (|x| <= s_in max|x - zp_x| + e_x), |acc| its exact worst (accumulator_range),
// s_b the bias tensor's scale for the channel (0: no bias integer, bias 0).
// A flushed multiplier (M_repr = 0) has a relative error of 1, not eps_M.
long double worst_output_error_bound(const RuntimeProfile& p, const IntegerLayer& l,
                                     std::int64_t channel, const AccumulatorRange& range,
                                     float bias_scale, bool flushed = false);

}  // namespace quantcheck
