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
};

// Throws ModelError for a bad file and InputError when the float model's
// layers do not match the quantized model's.
// progress(layers done, layers) after each layer.
VerifyReport verify_model(const ModelFile& q, const ModelFile* float_model,
                          const std::function<void(int, int)>& progress = {});

}  // namespace quantcheck::model
