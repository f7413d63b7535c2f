// `quantcheck check model.onnx` and `verify model.onnx`: the TFLite commands'
// reports (quantcheck/model/check.hpp, verify.hpp) for ONNX layers.
#pragma once

#include "quantcheck/model/check.hpp"
#include "quantcheck/model/verify.hpp"
#include "quantcheck/onnx/onnx_file.hpp"

namespace quantcheck::onnx {

// Every layer's float weights (dequantized where stored as integers) under
// each policy, exactly as model::check_model does for TFLite.
model::CheckReport check_model(const OnnxFile& f, const model::CheckOptions& options);

// The stored integers and scales of QDQ and QOperator layers: the findings of
// model::verify_model (docs/onnx.md lists how each is read from ONNX).
model::VerifyReport verify_model(const OnnxFile& q, const OnnxFile* float_model);

}  // namespace quantcheck::onnx
