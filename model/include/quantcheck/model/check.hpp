// `quantcheck check`: quantize every layer of a float model under each
// policy and say, per layer and channel, what breaks: saturated or
// sign-flipped biases, dead or tiny channels, the largest weight and bias
// errors, and the smallest input scale at which each bias still fits.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "quantcheck/model/layers.hpp"
#include "quantcheck/model/model_file.hpp"
#include "quantcheck/policy.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck::model {

// A channel is tiny when max|w| < 1e-5 (the threshold the model facts use),
// zero when every weight is 0.
inline constexpr float kTinyWeight = 1e-5f;

// The input scales the search covers: [2^-40, 2^40]. min_input_scale ==
// kLeastInputScale means "fits at every input scale searched"; +inf "never".
inline constexpr double kLeastInputScale = 0x1p-40;
inline constexpr double kGreatestInputScale = 0x1p40;

struct CheckOptions {
  std::vector<Policy> policies;
  float input_scale = 1.0f / 127.0f;
  std::function<void(int, int)> progress;  // (layers done, layers) after each layer
};

// A channel worth naming: one with a finding, a dead or a tiny channel.
struct ChannelNote {
  std::int64_t channel = 0;
  float max_abs_weight = 0;
  float bias = 0;
  float weight_scale = 0;
  std::int64_t bias_q = 0;
  double bias_dequantized = 0;
  double min_input_scale = 0;
  bool tiny = false;
  bool dead = false;                  // non-zero weights that all quantize to the zero point
  std::vector<std::string> findings;  // finding kinds seen on this channel
  std::vector<std::string> broken;    // declared guarantees they break
};

struct LayerPolicyResult {
  std::string policy;
  std::int64_t saturated_biases = 0;
  std::int64_t sign_flipped_biases = 0;
  std::int64_t sign_flipped_weights = 0;  // elements
  std::int64_t dead_channels = 0;
  std::int64_t invalid_scales = 0;
  std::int64_t no_headroom = 0;
  double max_weight_error = 0;                // max |deq(q) - w|
  double max_bias_error = 0;                  // max |deq(q_b) - b|
  double min_input_scale = kLeastInputScale;  // the layer's: max over its channels
  std::int64_t min_input_scale_channel = -1;
  std::vector<std::string> broken;  // declared guarantees broken in this layer
  std::vector<ChannelNote> channels;
};

struct LayerCheck {
  Layer layer;
  std::int64_t channels = 0;
  std::int64_t zero_channels = 0;
  std::int64_t tiny_channels = 0;  // max|w| < 1e-5, zero channels included
  float smallest_max_abs_weight = 0;
  std::vector<LayerPolicyResult> results;  // one per policy, in option order
};

struct PolicySummary {
  std::string policy;
  std::int64_t layers_with_findings = 0;
  std::int64_t saturated_biases = 0;
  std::int64_t sign_flipped_biases = 0;
  std::int64_t sign_flipped_weights = 0;
  std::int64_t dead_channels = 0;
  std::int64_t invalid_scales = 0;
  double max_weight_error = 0;
  double max_bias_error = 0;
  double min_input_scale = kLeastInputScale;  // the model's: max over layers
  std::string min_input_scale_layer;
  std::vector<std::string> broken;
};

struct CheckReport {
  std::string path;
  Format format = Format::tflite;
  float input_scale = 0;
  std::int64_t channels = 0;
  std::int64_t zero_channels = 0;
  std::int64_t tiny_channels = 0;
  std::vector<LayerCheck> layers;
  std::vector<PolicySummary> summaries;
  bool broken() const;  // some policy broke a guarantee it declares
};

// Throws ModelError for a bad file, InputError (naming the layer) for weights
// the quantizer rejects (NaN, Inf).
CheckReport check_model(const ModelFile& m, const CheckOptions& options);

// The same for layers any reader found (ONNX uses it): `load` fills a layer's
// case (weight_shape, weights, bias, channel_axis; op and input_scale are set
// here), one layer at a time. Throws InputError "<path>: layer ..." for a case
// the quantizer rejects. `largest_filter` (elements) is reserved up front so the
// one case reused across layers never grows.
using LoadLayer = std::function<void(const Layer&, Case&)>;
CheckReport check_layers(const std::string& path, Format format, const std::vector<Layer>& layers,
                         const LoadLayer& load, const CheckOptions& options,
                         std::size_t largest_filter = 0);

// The smallest input scale in [2^-40, 2^40] at which channel `channel` of the
// case's bias fits the policy's bias type (kLeastInputScale: all of them,
// +inf: none). `layer_params` is what quantizing the layer gave the channel
// (per tensor: the one group): its scale when the policy's weight scale does
// not depend on the input scale (no bias fit, no bias-scale floor), else its
// range, from which each probe's scale is computed.
double min_input_scale(const Policy& p, const Case& c, const Layout& l, std::int64_t channel,
                       const ChannelParams& layer_params);

}  // namespace quantcheck::model
