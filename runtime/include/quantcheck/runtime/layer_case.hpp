// A small real layer around one quantizer case, so a (policy, runtime) pair
// can be checked end to end: the case's filter, bias and input scale,
// quantized under the policy, in a layer of the case's op, with a realistic
// output scale, and the float layer it stands for.
//
//   CONV_2D [O, H, W, I]:       input 1 x (H+1) x (W+1) x I, stride 1, SAME padding
//   DEPTHWISE_CONV_2D [1,H,W,C]: input 1 x (H+1) x (W+1) x C, depth multiplier 1, SAME
//   FULLY_CONNECTED [O, I]:     input 1 x I
// Input zero point: int8 -128 (a ReLU output: real range [0, 255 s_in]),
// uint8 0, int16 0. Output scale: the float layer's whole output range over
// the input range (what calibration on every input would give): int16
// symmetric (max|y| / 32767, zp 0), 8-bit asymmetric ((hi - lo) / 255).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "quantcheck/quantize.hpp"
#include "quantcheck/runtime/layer.hpp"

namespace quantcheck {

struct LayerCase {
  IntegerLayer layer;
  std::vector<float> weights;      // the float filter (layer layout) and bias
  std::vector<float> bias;         // out_c values (zeros when the case has none)
  std::vector<float> bias_scales;  // s_b[c] the quantizer used (empty: none)
};

// The activation type for a quantizer's contract on a runtime (profiles.hpp's rule).
ActivationType activation_for(WeightType w, std::int64_t activation_abs_max,
                              const RuntimeProfile& r);

// Builds the layer, or says why it cannot: a channel axis other than the
// op's, or a float output range with no finite normal float32 scale.
// r must be the quantizer's result for c.
std::optional<LayerCase> layer_for_case(const Case& c, const Result& r, WeightType weight_type,
                                        BiasType bias_type, ActivationType activation,
                                        std::string* why = nullptr);

// The float layer on a real input (NHWC), in long double: y = b + sum w x.
std::vector<long double> float_layer(const LayerCase& lc, const std::vector<long double>& input);

// The real input x = s_in (x_q - zp) + delta the property feeds: delta a
// fixed pattern of fractions of half an input step (0, +1/2, -1/2, +1/4, ...),
// kept inside the activation range, so x_q is still x's nearest integer.
std::vector<long double> real_input(const IntegerLayer& l, const std::vector<std::int32_t>& xq);

// Inputs the properties run: for each output channel the two extreme inputs
// (extreme_input, sign +1 and -1), then `patterned` inputs from a fixed
// pseudo-random sequence over the activation range.
std::vector<std::vector<std::int32_t>> probe_inputs(const IntegerLayer& l, int patterned);

}  // namespace quantcheck
