// The values of an ONNX TensorProto, checked before they are read: dims
// non-negative with a bounded element count; raw_data, the typed field
// (float_data, int32_data, int64_data, double_data) or the external data
// holding exactly that many elements; external data only in a file inside the
// model's directory (no absolute path, no "..", no symlink out), its
// offset/length inside that file. FLOAT, FLOAT16, BFLOAT16 and DOUBLE read as
// float (the 16-bit forms exactly); INT8/UINT8/INT16/UINT16/INT32/INT64 as
// integers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "quantcheck/onnx/onnx_file.hpp"

namespace quantcheck::onnx {

// The most elements quantcheck reads from one tensor (2^31): larger ones are
// refused before anything is allocated.
inline constexpr std::int64_t kMaxElements = std::int64_t{1} << 31;

std::string type_name(std::int32_t data_type);  // "FLOAT", "INT8", ... or "type N"
int element_size(std::int32_t data_type);       // bytes; 0 for types quantcheck does not read
bool is_float_type(std::int32_t data_type);     // FLOAT, FLOAT16, BFLOAT16, DOUBLE
bool is_integer_type(std::int32_t data_type);   // INT8, UINT8, INT16, UINT16, INT32, INT64

// bfloat16 -> float32 (exact: the top half of a float32).
float bfloat16_to_float(std::uint16_t b);

// Dims, checked; throws ModelError naming `what`.
std::vector<std::int64_t> dims_of(const OnnxFile& f, const pb::TensorProto& t,
                                  const std::string& what);
std::int64_t element_count(const std::vector<std::int64_t>& dims);

// Fails (ModelError) unless t's own data, raw_data or the typed field of its
// type, holds as many elements as its shape: a layer's filter shape sizes
// buffers before its values are read (fuzz_onnx_model found a 290-byte file
// whose 2^31-element shape asked for 16 GB). External data is checked when read.
void require_stored_elements(const OnnxFile& f, const pb::TensorProto& t, const std::string& what);

// A float tensor's values (throws ModelError for other types or bad data).
std::vector<float> read_floats(const OnnxFile& f, const pb::TensorProto& t,
                               const std::string& what);
// An integer tensor's values (uint8/uint16 as 0..255 / 0..65535).
std::vector<std::int64_t> read_integers(const OnnxFile& f, const pb::TensorProto& t,
                                        const std::string& what);

}  // namespace quantcheck::onnx
