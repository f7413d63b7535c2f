// One-layer integer cases for the TFLite interop test, and an independent
// reading of what TFLite computes on them: accumulators by plain loops, the
// effective multiplier per channel, QuantizeMultiplier, and the three
// requantization formulas of RUNTIMES.md 1.2-1.3. Written here from the
// reference file, not taken from runtime/: they are the test's second opinion
// on the profiles and the measuring stick for the library.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "quantcheck/model/quantized_layer_model.hpp"

namespace quantcheck::interop {

// Where the effective multipliers and accumulators of a case are aimed.
enum class Regime {
  typical,         // M in [2^-12, 2^-1), random inputs
  near_one,        // M in [0.75, 1.5): e = 0 or 1, the left shift
  near_2_pow_m32,  // M around 2^-32 (flush threshold), large accumulators
  int32_limits,    // bias and worst-case inputs push |acc| toward 2^31
  negative_ties,   // M = 2^-k: exact .5 after the first step, both signs
};
const char* to_string(Regime r);

struct LayerCase {
  model::QuantizedLayerModel layer;
  std::vector<std::int32_t> input;  // NHWC / [N,I] values of the input type
  std::string name;
};

// A random small case of `op` (int8, or 16x8 with int64 bias) in `regime`.
LayerCase make_case(std::mt19937_64& rng, OpKind op, bool int16, Regime regime);

// An int8 FULLY_CONNECTED case (1 tap, weight 1, input at the zero point, so
// acc = bias) whose output under ruy-x86 rounding differs between the double
// product s_in*s_w/s_out and the float product (float)(s_in*s_w)/s_out; none
// when this draw of scales does not separate them.
std::optional<LayerCase> fc_multiplier_case(std::mt19937_64& rng);

// acc[o] before requantization (bias included) for every output element, in
// int64 (no wrap); `channel[o]` is its output channel.
struct Accumulators {
  std::vector<std::int64_t> acc;
  std::vector<std::int32_t> channel;
};
Accumulators accumulate(const model::QuantizedLayerModel& m,
                        const std::vector<std::int32_t>& input);

// TFLite's effective multiplier of channel c: double(s_in)*double(s_w)/double(s_out)
// for the convolutions (PopulateConvolutionQuantizationParams), the float
// product s_in*s_w widened and divided in double for FULLY_CONNECTED
// (GetQuantizedConvolutionMultipler).
double effective_multiplier(const model::QuantizedLayerModel& m, std::size_t c);

struct QuantizedMultiplier {
  std::int32_t q = 0;
  int e = 0;
};
// quantization_util.cc QuantizeMultiplier (double rounding build).
QuantizedMultiplier quantize_multiplier(double M);

// The requantization candidates, on the int32-wrapped accumulator.
std::int32_t requant_reference(std::int32_t x, QuantizedMultiplier m);  // SRDHM RHU, RDBPOT RHAFZ
std::int32_t requant_ruy_x86(std::int32_t x, QuantizedMultiplier m);    // RHU, RHU, overflow lane
std::int32_t requant_single(std::int32_t x, QuantizedMultiplier m);     // exact single RHU
std::int32_t requant_int64(std::int64_t x, QuantizedMultiplier m);      // 15-bit qr, single RHU

}  // namespace quantcheck::interop
