// What a model holds that `verify` and `check` do not audit, so a report can
// say so instead of staying silent: quantized constants of other operators
// (UNIDIRECTIONAL_SEQUENCE_LSTM weights, PRELU alphas, ...), sparse constants
// (Tensor.sparsity; their layer is skipped), and custom operators (an Edge TPU
// model keeps every layer inside one).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "quantcheck/model/layers.hpp"
#include "quantcheck/model/model_file.hpp"

namespace quantcheck::model {

struct UnauditedTensor {
  std::string op;  // "PRELU", "UNIDIRECTIONAL_SEQUENCE_LSTM", "CUSTOM edgetpu-custom-op"
  std::uint32_t op_index = 0;
  std::string tensor;  // its name
  std::string type;    // "INT8", ...
  std::string why;     // "quantized constant of an operator quantcheck does not audit", ...
};

struct Unaudited {
  std::vector<UnauditedTensor> tensors;
  std::vector<std::string> custom_ops;  // "edgetpu-custom-op (operator 0)"
};

Unaudited find_unaudited(const ModelFile& m, const std::vector<Layer>& layers);

// "ADD", "PRELU", ... for TFLite's builtin operator codes 0..126; "BUILTIN_n" beyond.
std::string builtin_operator_name(std::int32_t code);

}  // namespace quantcheck::model
