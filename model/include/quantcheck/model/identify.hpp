// `quantcheck identify MODEL`: which preset made this quantized model? For
// each quantized CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED layer, the
// stored filter and bias are dequantized (q - zp) * s, quantized again by every
// preset at the layer's own input scale, and the recomputed weight scales,
// zero points, weight integers, bias scales and bias integers compared with
// the stored ones, bit for bit (docs/model-checks.md, "identify").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "quantcheck/model/layers.hpp"
#include "quantcheck/model/model_file.hpp"
#include "quantcheck/policy.hpp"

namespace quantcheck::model {

// The first stored value a preset does not reproduce, in channel order; within
// a channel: weight_scale, zero_point, weight (by flat element index),
// bias_scale, bias.
struct IdentifyDifference {
  std::string what;
  std::int64_t channel = -1;
  std::int64_t element = -1;  // flat filter index for `weight`, else -1
  double stored = 0, recomputed = 0;
};

struct PresetMatch {
  std::string preset;
  // Empty when the preset was tried; otherwise why it cannot have made this
  // layer (other weight or bias type, refused the case).
  std::string not_applicable;
  std::int64_t channels_matched = 0;  // every value of the channel reproduced
  std::int64_t channels = 0;
  std::optional<IdentifyDifference> first_difference;
  bool reproduced() const { return not_applicable.empty() && channels_matched == channels; }
};

struct IdentifyLayer {
  Layer layer;
  std::string weight_type, bias_type;  // TFLite type names ("INT8", "INT32", "none")
  bool per_channel = false;
  std::int64_t channels = 0;
  float input_scale = 0;
  std::vector<PresetMatch> presets;  // in the order of the candidates
  std::vector<std::string> reproduced_by() const;
};

struct PresetSummary {
  std::string preset;
  std::int64_t layers_reproduced = 0;
  std::int64_t channels_matched = 0;
};

struct IdentifyReport {
  std::string path;
  Format format = Format::tflite;
  std::int64_t float_layers = 0;  // layers with float filters: nothing to identify
  std::vector<IdentifyLayer> layers;
  std::vector<PresetSummary> summary;  // one per candidate, in order
  std::int64_t channels = 0;
  // The presets that reproduce every quantized layer (the exit code's basis).
  std::vector<std::string> reproduced_by_all() const;
};

// Tries every candidate on every quantized layer. Throws ModelError for a
// bad file and InputError when the model has no quantized layer, or a
// quantized layer has no input scale to re-quantize its bias with.
IdentifyReport identify_model(const ModelFile& m, const std::vector<Policy>& candidates);

nlohmann::json to_json(const IdentifyReport& r);
std::string to_text(const IdentifyReport& r);
std::string to_markdown(const IdentifyReport& r);

}  // namespace quantcheck::model
