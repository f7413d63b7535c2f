// A one-layer, fully quantized TFLite model (int8, or 16x8: int16
// activations with int8 weights) of CONV_2D, DEPTHWISE_CONV_2D or
// FULLY_CONNECTED, written from its integers and scales as they are: for
// running a runtime's integer kernel on exactly the layer quantcheck computes
// (tests/runtime_interop). Nothing is quantized here; the caller chooses
// every integer, so adversarial multipliers and accumulators are reachable.
#pragma once

#include <cstdint>
#include <vector>

#include "quantcheck/model/model_file.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck::model {

enum class LayerPadding { same, valid };

struct QuantizedLayerModel {
  OpKind kind = OpKind::conv2d;
  bool int16_activations = false;  // 16x8: int16 input/output, int8 weights
  // NHWC input [N,H,W,C] for the convolutions, [N,I] for FULLY_CONNECTED.
  std::vector<std::int32_t> input_shape;
  // [O,KH,KW,I] (CONV_2D), [1,KH,KW,C*depth_multiplier] (DEPTHWISE), [O,I] (FC).
  std::vector<std::int32_t> filter_shape;
  std::vector<std::int8_t> weights;
  std::vector<float> weight_scales;  // one (per tensor) or one per output channel; zp 0
  // Empty: no bias input. Written as INT32, or INT64 when bias_int64.
  std::vector<std::int64_t> bias;
  bool bias_int64 = false;
  float input_scale = 1.0f;
  std::int32_t input_zero_point = 0;
  float output_scale = 1.0f;
  std::int32_t output_zero_point = 0;
  LayerPadding padding = LayerPadding::valid;
  std::int32_t stride_h = 1, stride_w = 1;
  std::int32_t dilation_h = 1, dilation_w = 1;
  std::int32_t depth_multiplier = 1;
};

// The output shape TFLite computes for the layer ([N,OH,OW,O] or [N,O]).
std::vector<std::int32_t> output_shape(const QuantizedLayerModel& m);

// The .tflite bytes (schema version 3, one subgraph, one operator).
std::vector<std::uint8_t> build_quantized_layer_model(const QuantizedLayerModel& m);

}  // namespace quantcheck::model
