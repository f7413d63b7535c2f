// Small, valid float models built from scratch: for tests (hostile variants
// start from them), the circle copy, and the linear-cost benchmark. Each
// layer is independent: its own input and output tensor, filter and bias as
// FLOAT32 constants (or FLOAT16 constants through DEQUANTIZE), so the model
// also runs in a TFLite runtime.
#pragma once

#include <cstdint>
#include <vector>

#include "quantcheck/model/model_file.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck::model {

struct SyntheticLayer {
  OpKind kind = OpKind::fully_connected;
  std::vector<std::int64_t> filter_shape;  // [O,I], [O,H,W,I] or [1,H,W,C]
  std::vector<float> weights;
  std::vector<float> bias;  // empty: no bias (FULLY_CONNECTED only)
};

struct SyntheticOptions {
  Format format = Format::tflite;
  bool float16_through_dequantize = false;  // filters and biases as FLOAT16 + DEQUANTIZE
  bool external_data = false;               // constants after the flatbuffer (Buffer.offset/size)
};

std::vector<std::uint8_t> build_synthetic_model(const std::vector<SyntheticLayer>& layers,
                                                const SyntheticOptions& options = {});

// A deterministic model of `layers` FULLY_CONNECTED layers of [out, in]
// weights (values from a fixed LCG), for benchmarks of cost against size.
std::vector<SyntheticLayer> synthetic_fc_layers(int layers, std::int64_t out, std::int64_t in,
                                                std::uint32_t seed);

// IEEE binary32 -> binary16, round to nearest even (for writing FLOAT16 constants).
std::uint16_t float_to_half(float f);

}  // namespace quantcheck::model
