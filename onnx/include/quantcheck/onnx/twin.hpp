// `quantcheck quantize-model model.onnx`: the fake-quantized float twin of a
// float ONNX model, or with emit_quantized its QDQ form laid out as ONNX
// Runtime's quantizer (quantize_static, QDQ format) writes it:
//   W_quantized (int8/uint8/int16 per the policy, the weight's own shape),
//   W_scale [C], W_zero_point [C] -> DequantizeLinear W_DequantizeLinear
//     (axis = the output channel axis as stored: 0 Conv, 1 MatMul/Gemm with
//     transB = 0 and ConvTranspose) -> W_DequantizeLinear_Output
//   B_quantized INT32 at scale s_x * s_w[c], B_quantized_scale [C],
//     B_quantized_zero_point [C] (0) -> DequantizeLinear axis 0
//   X -> QuantizeLinear X_QuantizeLinear (X_scale, X_zero_point) ->
//     DequantizeLinear X_DequantizeLinear -> the layer
// New initializers go to the main graph (subgraphs see them by outer scope);
// the replaced float initializers are dropped when nothing else reads them.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "quantcheck/onnx/onnx_file.hpp"
#include "quantcheck/policy.hpp"

namespace quantcheck::onnx {

struct TwinOptions {
  Policy policy;
  float input_scale = 1.0f / 127.0f;  // every layer input without a calibrated range: int8, zp 0
  // Calibration: activation name -> [lo, hi]; such an input gets ONNX
  // Runtime's uint8 asymmetric scale (max(hi,0) - min(lo,0)) / 255.
  std::map<std::string, std::pair<float, float>> ranges;
  bool emit_quantized = false;
};

struct TwinSummary {
  std::int64_t layers = 0;
  std::int64_t channels = 0;
  std::int64_t findings = 0;  // quantizer findings that break the policy's guarantees
};

// The twin's serialized ModelProto. Throws ModelError when the model is not
// float (a layer already quantized) or cannot carry the layout (opset < 13
// for per-axis DequantizeLinear, an INT64 bias, per-channel ConvTranspose
// with group > 1), UsageError for a policy ONNX cannot express.
std::string make_twin(const OnnxFile& f, const TwinOptions& options,
                      TwinSummary* summary = nullptr);

// Reads a calibration file: JSON {"tensor": [lo, hi], ...}.
std::map<std::string, std::pair<float, float>> read_ranges(const std::string& path);

}  // namespace quantcheck::onnx
