// The layers quantcheck audits in an ONNX graph, and where their weights come
// from. Weight sources: initializers and Constant nodes, looked up by name
// through the enclosing scopes, so a layer inside an If/Loop/Scan body finds a
// weight the main graph holds (Silero VAD). Layers:
//   Conv (group == channels: depthwise)  weight [M, C/group, k...], channel axis 0
//   ConvTranspose                         weight [C, M/group, k...], channel axis 1
//   Gemm                                  B [K, N] (transB = 0) axis 1, [N, K] (transB = 1) axis 0
//   MatMul with a constant 2-D B          B [K, N], axis 1
//   QLinearConv, ConvInteger              as Conv, integer weights
//   QLinearMatMul, MatMulInteger          as MatMul
//   com.microsoft QGemm                   as Gemm
// In QDQ models the weight and bias are the outputs of DequantizeLinear nodes
// (per-tensor, or per-axis with their `axis`), or of DequantizeLinear after
// QuantizeLinear of a float constant (fake-quantized exports); the layer's
// input is the output of a DequantizeLinear of the activation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "quantcheck/model/layers.hpp"
#include "quantcheck/onnx/onnx_file.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck::onnx {

enum class Form { float_op, qdq, qoperator };

// A constant operand. `values` holds the numbers: float for a float weight,
// integers behind DequantizeLinear (then scale/zero_point/axis are set) or in
// a QOperator op (scale/zero_point from the op's inputs, ConvInteger and
// MatMulInteger have no scale).
struct Operand {
  std::string name;                             // what the layer reads
  const pb::TensorProto* values = nullptr;      // the constant
  const pb::TensorProto* scale = nullptr;       // null: none
  const pb::TensorProto* zero_point = nullptr;  // null: 0 of the default type
  std::int32_t zero_point_zero_type = 0;        // zero points folded to 0 of this type
                                                // (PyTorch's Cast(ConstantOfShape)); 0: none
  std::int64_t axis = 1;                        // DequantizeLinear's axis (default 1)
  bool quantized = false;                       // values are integers with scale/zero_point
  bool fake_quantized = false;                  // float values through QuantizeLinear -> DQ
  const pb::NodeProto* dequantize = nullptr;    // the DequantizeLinear node, when any
};

// An activation's quantization: from the DequantizeLinear producing a QDQ
// layer's input, or a QOperator op's x_scale / x_zero_point.
struct ActivationQuant {
  const pb::TensorProto* scale = nullptr;
  const pb::TensorProto* zero_point = nullptr;  // null: 0, type UINT8 (ONNX's default)
};

struct OnnxLayer {
  model::Layer layer;  // name, op_name, kind, filter_shape (as stored), channel_axis (as stored),
                       // subgraph (graph ordinal, 0 = main), op_index (node in that graph)
  Form form = Form::float_op;
  const pb::GraphProto* graph = nullptr;
  int node = 0;
  std::string domain;
  std::string input;  // the activation input's name
  Operand weight;
  std::optional<Operand> bias;
  std::optional<ActivationQuant> input_quant;
  std::int64_t group = 1;
  bool trans_b = false;
  std::int64_t channels = 0;  // output channels
};

// Every layer with a constant weight, main graph first, subgraphs after the
// node holding them (depth first). Throws ModelError for malformed layers.
std::vector<OnnxLayer> find_layers(const OnnxFile& f);

// The weight laid out with the output channel first: Conv as stored ([M, C/g,
// k...] folded to rank 4), Gemm/MatMul/ConvTranspose transposed to [N, K] /
// [M, C/g, k...]. canonical_order()[i] is the stored index of canonical element i.
std::vector<std::int64_t> canonical_shape(const OnnxLayer& l);
std::vector<std::size_t> canonical_order(const OnnxLayer& l);

// The layer's float weights (dequantized when integer) and bias in canonical
// order: a Case ready for the quantizer (op, shape, weights, bias; the caller
// sets input_scale).
Case float_case(const OnnxFile& f, const OnnxLayer& l);

// Scale/zero-point values of an operand or activation (empty scale: none).
struct QuantParams {
  std::vector<float> scale;
  std::vector<std::int64_t> zero_point;  // same length as scale
  std::int32_t zero_point_type = pb::TensorProto::UINT8;
};
QuantParams quant_params(const OnnxFile& f, const pb::TensorProto* scale,
                         const pb::TensorProto* zero_point, const std::string& what,
                         std::int32_t zeros_type = 0);

}  // namespace quantcheck::onnx
