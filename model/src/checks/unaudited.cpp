// find_unaudited: every constant operand that is neither a layer's filter nor
// its bias and is quantized or sparse, and every custom operator.
#include "quantcheck/model/unaudited.hpp"

#include <set>

#include "quantcheck/model/tensor_data.hpp"

namespace quantcheck::model {

std::string builtin_operator_name(std::int32_t code) {
  // TFLite schema order (schema_generated.h, BuiltinOperator).
  static const char* const names[] = {"ADD",
                                      "AVERAGE_POOL_2D",
                                      "CONCATENATION",
                                      "CONV_2D",
                                      "DEPTHWISE_CONV_2D",
                                      "DEPTH_TO_SPACE",
                                      "DEQUANTIZE",
                                      "EMBEDDING_LOOKUP",
                                      "FLOOR",
                                      "FULLY_CONNECTED",
                                      "HASHTABLE_LOOKUP",
                                      "L2_NORMALIZATION",
                                      "L2_POOL_2D",
                                      "LOCAL_RESPONSE_NORMALIZATION",
                                      "LOGISTIC",
                                      "LSH_PROJECTION",
                                      "LSTM",
                                      "MAX_POOL_2D",
                                      "MUL",
                                      "RELU",
                                      "RELU_N1_TO_1",
                                      "RELU6",
                                      "RESHAPE",
                                      "RESIZE_BILINEAR",
                                      "RNN",
                                      "SOFTMAX",
                                      "SPACE_TO_DEPTH",
                                      "SVDF",
                                      "TANH",
                                      "CONCAT_EMBEDDINGS",
                                      "SKIP_GRAM",
                                      "CALL",
                                      "CUSTOM",
                                      "EMBEDDING_LOOKUP_SPARSE",
                                      "PAD",
                                      "UNIDIRECTIONAL_SEQUENCE_RNN",
                                      "GATHER",
                                      "BATCH_TO_SPACE_ND",
                                      "SPACE_TO_BATCH_ND",
                                      "TRANSPOSE",
                                      "MEAN",
                                      "SUB",
                                      "DIV",
                                      "SQUEEZE",
                                      "UNIDIRECTIONAL_SEQUENCE_LSTM",
                                      "STRIDED_SLICE",
                                      "BIDIRECTIONAL_SEQUENCE_RNN",
                                      "EXP",
                                      "TOPK_V2",
                                      "SPLIT",
                                      "LOG_SOFTMAX",
                                      "DELEGATE",
                                      "BIDIRECTIONAL_SEQUENCE_LSTM",
                                      "CAST",
                                      "PRELU",
                                      "MAXIMUM",
                                      "ARG_MAX",
                                      "MINIMUM",
                                      "LESS",
                                      "NEG",
                                      "PADV2",
                                      "GREATER",
                                      "GREATER_EQUAL",
                                      "LESS_EQUAL",
                                      "SELECT",
                                      "SLICE",
                                      "SIN",
                                      "TRANSPOSE_CONV",
                                      "SPARSE_TO_DENSE",
                                      "TILE",
                                      "EXPAND_DIMS",
                                      "EQUAL",
                                      "NOT_EQUAL",
                                      "LOG",
                                      "SUM",
                                      "SQRT",
                                      "RSQRT",
                                      "SHAPE",
                                      "POW",
                                      "ARG_MIN",
                                      "FAKE_QUANT",
                                      "REDUCE_PROD",
                                      "REDUCE_MAX",
                                      "PACK",
                                      "LOGICAL_OR",
                                      "ONE_HOT",
                                      "LOGICAL_AND",
                                      "LOGICAL_NOT",
                                      "UNPACK",
                                      "REDUCE_MIN",
                                      "FLOOR_DIV",
                                      "REDUCE_ANY",
                                      "SQUARE",
                                      "ZEROS_LIKE",
                                      "FILL",
                                      "FLOOR_MOD",
                                      "RANGE",
                                      "RESIZE_NEAREST_NEIGHBOR",
                                      "LEAKY_RELU",
                                      "SQUARED_DIFFERENCE",
                                      "MIRROR_PAD",
                                      "ABS",
                                      "SPLIT_V",
                                      "UNIQUE",
                                      "CEIL",
                                      "REVERSE_V2",
                                      "ADD_N",
                                      "GATHER_ND",
                                      "COS",
                                      "WHERE",
                                      "RANK",
                                      "ELU",
                                      "REVERSE_SEQUENCE",
                                      "MATRIX_DIAG",
                                      "QUANTIZE",
                                      "MATRIX_SET_DIAG",
                                      "ROUND",
                                      "HARD_SWISH",
                                      "IF",
                                      "WHILE",
                                      "NON_MAX_SUPPRESSION_V4",
                                      "NON_MAX_SUPPRESSION_V5",
                                      "SCATTER_ND",
                                      "SELECT_V2",
                                      "DENSIFY",
                                      "SEGMENT_SUM",
                                      "BATCH_MATMUL"};
  constexpr auto n = static_cast<std::int32_t>(sizeof names / sizeof names[0]);
  return code >= 0 && code < n ? names[code] : "BUILTIN_" + std::to_string(code);
}

namespace {

constexpr std::int32_t kCustom = 32;

bool is_integer(std::int8_t type) {
  return type == fb::TensorType_INT8 || type == fb::TensorType_UINT8 ||
         type == fb::TensorType_INT16 || type == fb::TensorType_INT32 ||
         type == fb::TensorType_INT64;
}

}  // namespace

Unaudited find_unaudited(const ModelFile& m, const std::vector<Layer>& layers) {
  Unaudited u;
  // The tensors a layer's audit reads, and the DEQUANTIZE ops that feed them.
  std::set<std::pair<std::uint32_t, std::int32_t>> audited;
  std::set<std::pair<std::uint32_t, std::uint32_t>> audited_ops;
  for (const Layer& l : layers) {
    audited_ops.insert({l.subgraph, l.op_index});
    for (const Operand* o : {&l.filter, l.bias ? &*l.bias : nullptr}) {
      if (!o) continue;
      audited.insert({l.subgraph, o->tensor});
      audited.insert({l.subgraph, o->data_tensor});
      if (o->dequantize_op >= 0)
        audited_ops.insert({l.subgraph, static_cast<std::uint32_t>(o->dequantize_op)});
    }
  }
  const auto& subgraphs = *m.model().subgraphs();
  for (std::uint32_t sg = 0; sg < subgraphs.size(); ++sg) {
    const fb::SubGraph& g = *subgraphs.Get(sg);
    if (!g.operators()) continue;
    for (std::uint32_t o = 0; o < g.operators()->size(); ++o) {
      const fb::Operator& op = *g.operators()->Get(o);
      const std::int32_t code = m.op_code(op);
      std::string name = builtin_operator_name(code);
      if (code == kCustom) {
        const fb::OperatorCode* c = m.model().operator_codes()->Get(op.opcode_index());
        const std::string custom = c->custom_code() ? c->custom_code()->str() : "?";
        name += " " + custom;
        u.custom_ops.push_back(custom + " (operator " + std::to_string(o) + ")");
      }
      if (audited_ops.count({sg, o}) || !op.inputs()) continue;
      for (const std::int32_t t : *op.inputs()) {
        if (t < 0 || audited.count({sg, t})) continue;
        const fb::Tensor& x = m.tensor(sg, t);
        if (m.tensor_data(x).empty()) continue;  // not a constant
        const auto type = static_cast<std::int8_t>(x.type());
        const bool sparse = x.sparsity() != nullptr;
        const bool quantized = is_integer(type) && !quantization_of(x).empty();
        if (!sparse && !quantized) continue;
        u.tensors.push_back(
            {name, o, x.name() ? x.name()->str() : "tensor " + std::to_string(t), type_name(type),
             sparse ? "sparse constant (Tensor.sparsity): not densified, the layer it feeds is "
                      "not checked"
                    : "quantized constant of an operator quantcheck does not audit"});
      }
    }
  }
  return u;
}

}  // namespace quantcheck::model
