// The ONNX backend node test cases of Debian's libonnx-testdata
// (/usr/share/libonnx-testdata/data/node/<case>/): model.onnx and
// test_data_set_0/{input,output}_<i>.pb, read with libonnx's protobuf
// classes (onnx/onnx_pb.h). Only what the quantized-op tests need: the one
// node's type and integer attributes, and each tensor's dims and values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace quantcheck::interop {

struct OnnxTensor {
  std::string name;
  int data_type = 0;  // onnx::TensorProto_DataType
  std::vector<std::int64_t> dims;
  std::vector<std::int64_t> ints;  // integer types
  std::vector<float> floats;       // FLOAT
  std::size_t size() const;
};

struct OnnxNodeCase {
  std::string op_type;
  std::map<std::string, std::vector<std::int64_t>> int_attributes;  // INT and INTS
  std::vector<OnnxTensor> inputs;   // in the node's input order (input_<i>.pb)
  std::vector<OnnxTensor> outputs;  // output_<i>.pb
};

// The directory of the node tests (QUANTCHECK_ONNX_TESTDATA or the Debian path).
std::string onnx_node_test_dir();

// Reads <dir>/<name>; throws std::runtime_error with a one-line reason.
OnnxNodeCase read_onnx_node_case(const std::string& dir, const std::string& name);

}  // namespace quantcheck::interop
