// Element types and values of tensors: sizes, the exact float16 -> float32
// conversion, and a constant's values as float (FLOAT32 directly, FLOAT16
// exactly, integers through their quantization parameters).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "quantcheck/model/model_file.hpp"

namespace quantcheck::model {

// Bytes per element, or 0 when the type has no fixed size (STRING, RESOURCE,
// VARIANT, INT4, and circle's extra types): such buffers are not size-checked.
int element_size(std::int8_t type);
std::string type_name(std::int8_t type);  // "FLOAT32", ... or "type N"

// IEEE binary16 -> binary32, exact for every value (subnormals, inf, NaN).
float half_to_float(std::uint16_t h);

std::vector<std::int64_t> shape_of(const fb::Tensor& t);
// Product of the dimensions; open() has checked it is non-negative and small.
std::int64_t element_count(const fb::Tensor& t);

// Per-tensor or per-channel quantization parameters of a tensor.
struct Quantization {
  std::vector<float> scale;
  std::vector<std::int64_t> zero_point;
  int quantized_dimension = 0;
  bool empty() const { return scale.empty(); }
};
Quantization quantization_of(const fb::Tensor& t);

// The stored integers of an INT8/UINT8/INT16/INT32/INT64 constant.
std::vector<std::int64_t> read_integers(const ModelFile& m, const fb::Tensor& t);

// A constant's values as float32: FLOAT32 as stored, FLOAT16 exactly,
// integer types as scale * (q - zero_point) along quantized_dimension.
// Throws ModelError when the tensor has no data or an unsupported type.
std::vector<float> read_floats(const ModelFile& m, const fb::Tensor& t, const std::string& what);

}  // namespace quantcheck::model
