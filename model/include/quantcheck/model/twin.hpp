// `quantcheck quantize-model`: the fake-quantized twin of a float model.
// Every CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED filter and bias is
// replaced by its dequantized value under a policy, as a FLOAT32 constant
// (the DEQUANTIZE ops that fed them are dropped); everything else is kept.
// With emit_quantized the integers are written instead, laid out as TFLite
// does: per-channel scale / zero_point / quantized_dimension on int8 (uint8,
// int16) filters, int32 (int64) biases with scale s_in * s_w, and the input
// scale recorded on each layer's input tensor, so `verify` can audit them.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "quantcheck/model/model_file.hpp"
#include "quantcheck/policy.hpp"

namespace quantcheck::model {

struct TwinOptions {
  Policy policy;
  float input_scale = 1.0f / 127.0f;
  bool emit_quantized = false;
  std::function<void(int, int)> progress;  // (layers done, layers) after each layer
};

struct TwinSummary {
  std::int64_t layers = 0;
  std::int64_t channels = 0;
  std::int64_t findings = 0;  // quantizer findings that break the policy's guarantees
};

// The twin's bytes (same identifier as the input). Throws ModelError when the
// model is not a float model (a filter is already integer).
std::vector<std::uint8_t> make_twin(const ModelFile& m, const TwinOptions& options,
                                    TwinSummary* summary = nullptr);

}  // namespace quantcheck::model
