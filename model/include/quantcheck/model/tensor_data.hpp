// Element types and values of tensors: sizes, the exact float16 -> float32
// conversion, and a constant's values as float (FLOAT32 directly, FLOAT16
// exactly, integers through their quantization parameters).
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
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

// The stored integers of type T in place (the mapped file), read one at a
// time: no copy, no zero-filled vector (a fresh vector of int64 for every
// filter was most of `verify`'s time, in memset and page faults).
template <typename T>
struct IntegerView {
  std::span<const std::uint8_t> data;
  std::size_t size() const { return data.size() / sizeof(T); }
  std::int64_t operator[](std::size_t i) const {
    T v;
    std::memcpy(&v, data.data() + i * sizeof(T), sizeof(T));
    return v;
  }
};

// fn(IntegerView<T>) for the tensor's integer type T; ModelError for others.
template <typename Fn>
void with_integers(const ModelFile& m, const fb::Tensor& t, Fn&& fn) {
  const auto data = m.tensor_data(t);
  switch (t.type()) {
    case fb::TensorType_INT8: return fn(IntegerView<std::int8_t>{data});
    case fb::TensorType_UINT8: return fn(IntegerView<std::uint8_t>{data});
    case fb::TensorType_INT16: return fn(IntegerView<std::int16_t>{data});
    case fb::TensorType_INT32: return fn(IntegerView<std::int32_t>{data});
    case fb::TensorType_INT64: return fn(IntegerView<std::int64_t>{data});
    default:
      m.fail("tensor '" + (t.name() ? t.name()->str() : std::string()) + "' of type " +
             type_name(static_cast<std::int8_t>(t.type())) + " is not an integer constant");
  }
}

// A constant's values as float32: FLOAT32 as stored, FLOAT16 exactly,
// integer types as scale * (q - zero_point) along quantized_dimension.
// Throws ModelError when the tensor has no data or an unsupported type.
std::vector<float> read_floats(const ModelFile& m, const fb::Tensor& t, const std::string& what);
// The same into `out`, reusing its storage (every element is written).
void read_floats_into(const ModelFile& m, const fb::Tensor& t, const std::string& what,
                      std::vector<float>& out);

}  // namespace quantcheck::model
