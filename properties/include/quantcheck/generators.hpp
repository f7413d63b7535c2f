// RapidCheck generators that reach the values quantizers break on.
//
// gen::arbitrary<float> draws from a narrow band around 1 and never yields a
// subnormal, a tiny magnitude, NaN or Inf, so it cannot find ONE #6970 (a
// filter of 1e-19). These generators pick the binade first: every exponent of
// float32, subnormals included, special values, and ratios placed right at the
// thresholds (2^31, 2^63 times the bias scale). Every choice is an integer
// that shrinks toward the first, most ordinary option, so a counterexample
// shrinks toward one small channel, a typical bias and the largest magnitude
// that still fails (the cliff). None of them depends on RapidCheck's size:
// the first case is as adversarial as the hundredth.
#pragma once

#include <cstdint>
#include <vector>

#include <rapidcheck.h>

#include "quantcheck/quantize.hpp"

namespace quantcheck::gen {

// A uniform integer in [lo, hi] that shrinks toward `toward` (lo <= toward <= hi).
rc::Gen<std::int64_t> int_toward(std::int64_t lo, std::int64_t hi, std::int64_t toward);

// Index into weights (relative frequencies), shrinking toward index 0.
rc::Gen<int> pick(std::vector<int> weights);

// A finite float whose binade is uniform over [min_exp, max_exp] (powers of two;
// -149 is denorm_min, -126 FLT_MIN, 127 the top binade), with a random
// mantissa (or exactly the power of two) and a random sign. Shrinks toward
// +2^shrink_exp.
rc::Gen<float> binade_float(int min_exp = -149, int max_exp = 127, bool signed_ = true);

// +-0, denorm_min, FLT_MIN and its neighbours, FLT_MAX, 1, values next to 1.
rc::Gen<float> special_float();

// NaN, +Inf, -Inf.
rc::Gen<float> non_finite_float();

// The mixture used for single values: every binade, special values, and
// (only when allow_non_finite) NaN and +-Inf.
rc::Gen<float> adversarial_float(bool allow_non_finite = false);

// Input (activation) scales: typical ones (1/127, 1/255, 1/32767 of a [-1, 1]
// range, ONE #6970's 0.0001525924...), the policy floors (1e-5, 1e-8, 1e-9,
// FLT_EPSILON, and `floor` when it is > 0), and every binade from 2^-40 to 1.
rc::Gen<float> input_scale(float floor = 0.0f);

// What a generated channel looks like.
enum class ChannelKind {
  mixed,            // values of both signs up to +-M, with rounding ties and range ends
  one_sided_pos,    // all >= 0
  one_sided_neg,    // all <= 0
  constant,         // every element the same
  all_zero,         // a dead channel
  mixed_magnitude,  // one value at M, the rest many binades smaller
  tiny,             // mixed, with M from 2^-149 (subnormal) to 2^-40 (~1e-12, 1e-20 included)
};

struct CaseOptions {
  float input_scale_floor = 0.0f;  // also generate input scales at this floor
  int max_channels = 4;
  bool allow_no_bias = true;
};

// A filter shaped like a real layer (CONV_2D [O,H,W,I], DEPTHWISE_CONV_2D
// [1,H,W,C], FULLY_CONNECTED [O,I]) of at most 144 elements, channels of the
// kinds above with magnitudes from every binade, biases from 0 to 2^70 times
// the bias scale, and an input scale from input_scale(). Always finite.
rc::Gen<Case> adversarial_case(const CaseOptions& options = {});

// adversarial_case with exactly one value (a weight, a bias or the input
// scale) replaced by NaN, +Inf or -Inf.
rc::Gen<Case> non_finite_case(const CaseOptions& options = {});

// For comparison only: the same shapes filled from gen::arbitrary<float>
// (weights, bias, and |input scale|), as a naive property test would do.
rc::Gen<Case> arbitrary_float_case();

}  // namespace quantcheck::gen
