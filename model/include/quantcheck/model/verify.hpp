// `quantcheck verify`: audit an already-quantized model's parameters: scales
// finite, positive and normal; zero points in range (0 where the type is
// symmetric); bias scale = input scale x weight scale per channel; biases at
// or next to their type's limit; dead channels; accumulator headroom per
// layer; and, given the float model, the weight and bias errors per layer.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "quantcheck/exact.hpp"
#include "quantcheck/model/layers.hpp"
#include "quantcheck/model/model_file.hpp"
#include "quantcheck/model/unaudited.hpp"

namespace quantcheck::model {

// Relative tolerance of "s_b == s_in * s_w": converters form the product in
// float or double and round once or twice, a few float32 ulps (2^-23 each).
inline constexpr double kBiasScaleTolerance = 1e-6;

struct VerifyFinding {
  std::string kind;  // invalid_scale, zero_point, bias_scale_mismatch, bias_saturation_suspect,
                     // no_headroom, dead_channel, weight_error, bias_error, missing_quantization
  std::string layer;
  std::uint32_t op_index = 0;
  std::int64_t channel = -1;  // -1: the whole layer
  std::string message;
};

struct DeadChannel {
  std::int64_t channel = 0;
  float weight_scale = 0;
  std::int64_t bias_q = 0;
  double bias_dequantized = 0;  // float32(q_b * s_b), as the runtime uses it
};

struct VerifyLayer {
  Layer layer;
  bool quantized = false;  // integer filter with scales
  std::string weight_type, bias_type, input_type;
  bool per_channel = false;
  std::int64_t channels = 0;
  float input_scale = 0;
  std::int64_t input_zero_point = 0;
  float min_weight_scale = 0;
  std::int64_t max_abs_bias = 0;
  double headroom = 0;  // accumulator max - max over channels of |q_b| + sum|q_w - zp| max|q_in|
  // Dead: a per-channel quantized channel whose weights are all the zero point
  // (its own scale collapsed; ../shared/models/README.md's definition).
  std::vector<DeadChannel> dead;
  // Channels whose weights are all 0 (float layers) or all the zero point of a
  // per-tensor scale (the float channel was zero or under half a step).
  std::int64_t zero_channels = 0;
  // Against the float model (--float).
  std::optional<double> max_weight_error, max_bias_error;
};

// `verify --runtime NAME` (verify_runtime.hpp): one output channel of a layer
// on the runtime, with the model's own activation scales and zero points.
struct ChannelRuntime {
  double multiplier = 0;  // M = s_in s_w / s_out as the runtime computes it
  double encoded = 0;     // M_repr: what its arithmetic applies (before a flush)
  std::int32_t q = 0;     // Q31 significand and exponent (0 for the float forms)
  int e = 0;
  double relative_error = 0;        // |M_repr - M| / M, M the exact quotient of the float32 scales
  bool flushed = false;             // e < -31: replaced by 0
  bool flush_visible = false;       // ... and |acc| M >= 1/2 for some legal input
  bool clamped = false;             // single rounding e > 30 clamp
  int128 acc_lo = 0, acc_hi = 0;    // exact extremes of every accumulator value
  int128 acc_min = 0, acc_max = 0;  // of the final accumulator (taps + bias)
  std::int64_t pair_min = 0, pair_max = 0;  // raw int16 pair sums (profiles that saturate them)
  bool overflow = false;  // the accumulator, a pair sum or the requantization overflows
  double bound = 0;       // output error bound (docs/runtimes.md), real units
  double bound_lsb = 0;   // the same in output steps
};

struct LayerRuntime {
  bool checked = false;
  std::string skipped;   // why the layer was not checked (float activations, ...)
  std::string rejected;  // Prepare's refusal (a finding)
  std::string activation, accumulator;
  float output_scale = 0;
  std::int64_t output_zero_point = 0;
  std::vector<ChannelRuntime> channels;  // per channel (when kept: verify_runtime)
  double min_multiplier = 0, max_multiplier = 0;
  double max_accumulator_fraction = 0;  // largest |acc| / accumulator limit
  int128 min_margin = 0;                // accumulator limit - largest |acc|
  // The channel with the least accumulator margin, run through the kernel on
  // its two extreme inputs: the accumulators it computed agree with the
  // closed form (acc_min, acc_max).
  std::int64_t narrowest_channel = -1;
  bool kernel_confirmed = false;
  double max_bound_lsb = 0, max_bound = 0;
};

struct RuntimeSummary {
  std::string runtime;         // profile name
  std::string chosen_because;  // "--runtime", or why it is the model's natural runtime
  std::int64_t layers_checked = 0, layers_skipped = 0, channels_checked = 0;
  std::int64_t rejected_layers = 0, flushed = 0, flush_findings = 0, overflow_findings = 0;
  double min_multiplier = 0, max_multiplier = 0;
  std::int64_t min_multiplier_layer = -1, min_multiplier_channel = -1;
  std::int64_t max_multiplier_layer = -1, max_multiplier_channel = -1;
  // Least margin: accumulator limit minus the largest |value| it can hold.
  int128 min_margin = 0;
  double max_accumulator_fraction = 0;  // largest |acc| / accumulator limit
  std::int64_t min_margin_layer = -1, min_margin_channel = -1;
  double max_bound_lsb = 0;
  std::int64_t max_bound_layer = -1, max_bound_channel = -1;
  std::vector<LayerRuntime> layers;  // parallel to VerifyReport::layers
};

struct VerifyReport {
  std::string path, float_path;
  Format format = Format::tflite;
  std::vector<VerifyLayer> layers;
  std::vector<VerifyFinding> findings;
  std::int64_t quantized_layers = 0, float_layers = 0, channels = 0, dead_channels = 0;
  std::int64_t max_abs_bias = 0;
  float min_weight_scale = 0;
  // Said loudly (a "warning:" line first in the text report, and on stderr by
  // the CLI): no layer at all (e.g. everything inside one custom op), or no
  // quantized layer (a float model: nothing to verify).
  std::vector<std::string> warnings;
  Unaudited unaudited;  // quantized constants of other ops, sparse constants, custom ops
  std::optional<RuntimeSummary> runtime;  // verify_runtime
};

// Throws ModelError for a bad file and InputError when the float model's
// layers do not match the quantized model's.
// progress(layers done, layers) after each layer.
VerifyReport verify_model(const ModelFile& q, const ModelFile* float_model,
                          const std::function<void(int, int)>& progress = {});

}  // namespace quantcheck::model
