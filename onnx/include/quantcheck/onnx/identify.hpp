// `quantcheck identify model.onnx`: model::identify_model's report for the
// quantized layers of a QDQ or QOperator ONNX model. Each layer's stored
// weight integers (DequantizeLinear's input, a QLinearConv/QLinearMatMul/QGemm
// weight, or for a fake-quantized export the integers QuantizeLinear makes of
// its float constant) are dequantized (q - zp) * s, laid out output channel
// first (layers.hpp, canonical_order), and re-quantized by every candidate at
// the layer's input scale; scales, zero points and integers are compared bit
// for bit (source floats instead, when known: see identify_model). A QLinearConv/QGemm bias has no
// stored scale: its scale is s_x * s_w[c] by the operator's definition, and that is what is
// compared.
#pragma once

#include <vector>

#include "quantcheck/model/identify.hpp"
#include "quantcheck/onnx/onnx_file.hpp"

namespace quantcheck::onnx {

// Layers with float weights, or integer weights of a type no preset writes
// (UINT16, INT32) or without a scale (ConvInteger, MatMulInteger), count as
// float_layers: nothing to identify. Throws ModelError for a malformed file,
// InputError when no layer can be identified or an integer bias has no input
// scale to re-quantize it with.
// With float_model (the model it was quantized from, layer for layer), and for
// fake-quantized weights (float constants behind QuantizeLinear), the presets
// re-quantize those source floats instead of the dequantized integers.
model::IdentifyReport identify_model(const OnnxFile& f, const std::vector<Policy>& candidates,
                                     const OnnxFile* float_model = nullptr);

}  // namespace quantcheck::onnx
