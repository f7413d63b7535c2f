// The layers quantcheck audits: every CONV_2D, DEPTHWISE_CONV_2D and
// FULLY_CONNECTED operator with a constant filter, and where its filter and
// bias values come from (a constant tensor, or a DEQUANTIZE of one, as in the
// MediaPipe models whose weights are FLOAT16 constants).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "quantcheck/model/model_file.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck::model {

// TFLite builtin operator codes quantcheck uses (circle shares them).
inline constexpr std::int32_t kConv2D = 3;
inline constexpr std::int32_t kDepthwiseConv2D = 4;
inline constexpr std::int32_t kDequantize = 6;
inline constexpr std::int32_t kFullyConnected = 9;

// A constant operand of a layer. `tensor` is what the op reads; `data_tensor`
// holds the bytes: the same tensor, or the input of the DEQUANTIZE op
// `dequantize_op` whose output is `tensor`.
struct Operand {
  std::int32_t tensor = -1;
  std::int32_t data_tensor = -1;
  std::int32_t dequantize_op = -1;
};

struct Layer {
  std::uint32_t subgraph = 0;
  std::uint32_t op_index = 0;
  OpKind kind = OpKind::conv2d;
  std::string name;         // the filter constant's name (what converters name the layer by)
  std::int32_t input = -1;  // the activation tensor (-1 when absent)
  Operand filter;
  std::optional<Operand> bias;
  std::vector<std::int64_t> filter_shape;
  int channel_axis = 0;  // 0 (CONV_2D, FULLY_CONNECTED) or 3 (DEPTHWISE_CONV_2D)
  std::string op_name;   // set by other readers (ONNX "Conv", "Gemm", ...); empty: builtin_name
};

// Every CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED op whose filter is a
// constant, in subgraph and operator order. Throws ModelError when such an
// op's operands are malformed (missing filter, wrong rank, bias length).
std::vector<Layer> find_layers(const ModelFile& m);

// "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED".
std::string builtin_name(OpKind kind);
// The layer's operator as its file names it: op_name, else builtin_name(kind).
std::string op_name(const Layer& l);

// The float values of a layer's filter and bias (empty bias when absent).
std::vector<float> filter_values(const ModelFile& m, const Layer& l);
std::vector<float> bias_values(const ModelFile& m, const Layer& l);

}  // namespace quantcheck::model
