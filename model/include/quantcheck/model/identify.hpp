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
#include "quantcheck/model/tensor_data.hpp"
#include "quantcheck/policy.hpp"
#include "quantcheck/quantize.hpp"

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

// One quantized layer as stored, whatever the container: the weight and bias
// types, their scales and zero points, the stored integers, and the case the
// presets re-quantize (its weights and bias dequantized, (q - zp) * s, laid
// out as c.weight_shape with channel axis c.channel_axis, which
// wq.quantized_dimension must name when there is more than one scale; qw and
// qb in the same element order as c.weights and c.bias).
struct StoredLayer {
  WeightType weight_type = WeightType::int8;
  std::optional<BiasType> bias_type;  // nullopt: no integer bias to compare
  Quantization wq, bq;
  std::vector<std::int64_t> qw, qb;
  Case c;
  Layout layout;  // set by add_identified_layer
};

// Validates one stored layer and compares every candidate with it, adding the
// layer to `report` (the ONNX reader shares this with identify_model). Throws
// InputError naming `where` when the stored layer is not a valid case.
void add_identified_layer(IdentifyReport& report, IdentifyLayer il, StoredLayer s,
                          const std::vector<Policy>& candidates, Result& r,
                          const std::string& where);

nlohmann::json to_json(const IdentifyReport& r);
std::string to_text(const IdentifyReport& r);
std::string to_markdown(const IdentifyReport& r);

}  // namespace quantcheck::model
