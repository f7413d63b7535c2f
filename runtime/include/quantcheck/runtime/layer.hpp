// The integer layer: CONV_2D, DEPTHWISE_CONV_2D (depth multiplier) and
// FULLY_CONNECTED as plain loops that read like the TFLite reference kernels,
// computing exactly what a runtime profile says, plus the exact rational
// result it approximates: the accumulator in 128-bit integers and the real
// multiplier s_in s_w / s_out as an exact rational of the float32 scales.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "quantcheck/exact.hpp"
#include "quantcheck/policy.hpp"
#include "quantcheck/quantize.hpp"
#include "quantcheck/runtime/profile.hpp"
#include "quantcheck/runtime/requantize.hpp"

namespace quantcheck {

enum class Padding { same, valid };

// Shape and hyper-parameters. Tensors are NHWC; filters as in TFLite:
// CONV_2D [O, KH, KW, I], DEPTHWISE_CONV_2D [1, KH, KW, I * depth_multiplier],
// FULLY_CONNECTED [O, K] with input [N, K].
struct LayerGeometry {
  OpKind op = OpKind::conv2d;
  std::int64_t batch = 1;
  std::int64_t in_h = 1, in_w = 1, in_c = 1;  // FULLY_CONNECTED: in_c = K, in_h = in_w = 1
  std::int64_t kernel_h = 1, kernel_w = 1;
  std::int64_t out_c = 1;
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  Padding padding = Padding::valid;
  std::int64_t depth_multiplier = 1;  // DEPTHWISE_CONV_2D: out_c = in_c * depth_multiplier

  std::int64_t out_h() const;
  std::int64_t out_w() const;
  std::int64_t pad_top() const;  // TFLite ComputePaddingHeightWidth
  std::int64_t pad_left() const;
  std::int64_t products_per_output() const;  // K: kernel_h * kernel_w * (in_c or 1)
  std::int64_t input_size() const;
  std::int64_t output_size() const;
  std::int64_t filter_size() const;
};

// A quantized layer: everything a runtime reads from the model.
struct IntegerLayer {
  LayerGeometry geometry;
  ActivationType activation = ActivationType::int8;  // input and output type
  WeightType weight_type = WeightType::int8;
  float input_scale = 0;
  std::int32_t input_zero_point = 0;
  float output_scale = 0;
  std::int32_t output_zero_point = 0;
  std::vector<std::int32_t> weights;             // filter layout above
  std::vector<float> weight_scales;              // 1 (per tensor) or out_c
  std::vector<std::int32_t> weight_zero_points;  // same count as weight_scales
  BiasType bias_type = BiasType::int32;
  std::vector<std::int64_t> bias;  // out_c values, or empty (no bias)
};

// The per-channel multipliers after Prepare, or why Prepare refuses.
struct ChannelMultiplier {
  double real = 0;              // M as the profile computes it (before encoding)
  rq::QuantizedMultiplier q31;  // Q31 forms
  float scale32 = 0;            // float32 forms
  // M_repr = num 2^exp2 exactly: the multiplier the profile's arithmetic applies
  // (for Q31, before the flush / e > 30 clamp; for reduced15 the 15-bit qr).
  std::int64_t repr_num = 0;
  int repr_exp2 = 0;
  bool flushed = false;  // the profile replaced the multiplier by 0
  bool clamped = false;  // single rounding e > 30 clamp
};

struct PreparedLayer {
  std::string rejected;                     // empty when Prepare accepts; else the runtime's reason
  std::vector<ChannelMultiplier> channels;  // out_c entries
  std::int32_t out_min = 0, out_max = 0;    // clamp range
};

// Prepare: checks of the profile, per-channel multipliers, clamp range.
// Throws InputError only for a malformed layer (sizes, geometry).
PreparedLayer prepare_layer(const RuntimeProfile& p, const IntegerLayer& l);
// The same into out, reusing its storage (a fuzz target prepares every
// profile for every input; under AddressSanitizer each fresh vector costs
// more than the arithmetic).
void prepare_layer(const RuntimeProfile& p, const IntegerLayer& l, PreparedLayer& out);

// One accumulator through the profile's requantization: y and whether an
// intermediate overflowed. acc is the accumulator as the profile holds it.
struct Requantized {
  std::int32_t y = 0;
  bool overflow = false;
};
Requantized requantize(const RuntimePath& path, const ChannelMultiplier& m, std::int64_t acc,
                       std::int32_t zp_out, std::int32_t out_min, std::int32_t out_max);

// The exactly rounded counterpart: clamp(round(acc * M_repr) [+ zp_out]),
// ties to even for the float paths, half up otherwise; nullopt beyond 2^62.
std::optional<std::int64_t> requantize_exact(const RuntimePath& path, const ChannelMultiplier& m,
                                             int128 acc, std::int32_t zp_out, std::int32_t out_min,
                                             std::int32_t out_max);

// One output element, traced.
struct OutputTrace {
  int128 acc_exact = 0;       // sum (x - zp_x)(w - zp_w) + bias, exactly
  std::int64_t acc = 0;       // the profile's accumulator (wrapped to its type)
  bool acc_overflow = false;  // the accumulator (or an int16 pair sum) left its range
  bool pair_saturated = false;
  bool requant_overflow = false;  // an intermediate of the requantization overflowed
  std::int32_t y = 0;             // the profile's output integer
};

struct LayerRun {
  std::vector<std::int32_t> output;  // NHWC, out_c innermost
  std::vector<OutputTrace> trace;    // same order (filled when asked)
};

// Runs the profile's kernel on one input tensor (NHWC integers in the
// activation type's range). Throws InputError for a wrong input size.
LayerRun run_layer(const RuntimeProfile& p, const IntegerLayer& l, const PreparedLayer& prep,
                   const std::vector<std::int32_t>& input, bool trace = true);
// The same into run, reusing its storage.
void run_layer(const RuntimeProfile& p, const IntegerLayer& l, const PreparedLayer& prep,
               const std::vector<std::int32_t>& input, LayerRun& run, bool trace = true);

// The exact rational s_in s_w[c] / s_out = num / den * 2^exp2 of float32 scales.
struct ExactMultiplier {
  std::uint64_t num = 0;  // < 2^48
  std::uint64_t den = 1;  // < 2^24
  int exp2 = 0;
};
ExactMultiplier exact_multiplier(float s_in, float s_w, float s_out);

// round(a * num / den * 2^exp2) exactly, half up; nullopt when |value| >= 2^62.
std::optional<std::int64_t> round_exact_half_up(int128 a, const ExactMultiplier& m);
// The same for a dyadic multiplier num * 2^exp2 (M_repr), with ties to even when asked.
std::optional<std::int64_t> round_dyadic(int128 a, std::int64_t num, int exp2, bool ties_to_even);

// Worst-case |acc| the integer ranges allow for output channel c (exact):
// |bias| + sum over the channel's taps of max |x - zp_x| |w - zp_w|.
int128 worst_case_accumulator(const IntegerLayer& l, std::int64_t channel);

// The input that drives channel c's accumulator to its largest (sign = +1) or
// smallest (-1) value at the output position (0, 0, 0): x = qmax where
// (w - zp_w) has that sign, qmin where it has the other (other taps at zp).
std::vector<std::int32_t> extreme_input(const IntegerLayer& l, std::int64_t channel, int sign);

// A filter index helper: the flat index of filter element (o, kh, kw, i)
// in the geometry's layout (FULLY_CONNECTED: (o, i)).
std::int64_t filter_index(const LayerGeometry& g, std::int64_t o, std::int64_t kh, std::int64_t kw,
                          std::int64_t i);

}  // namespace quantcheck
