#include "onnx_testdata.hpp"

#include <onnx/onnx_pb.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace quantcheck::interop {
namespace {

template <typename Message>
Message parse_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  Message m;
  if (!m.ParseFromIstream(&in)) throw std::runtime_error("not a valid protobuf: " + path.string());
  return m;
}

template <typename T>
void append_raw(const std::string& raw, std::vector<std::int64_t>& out) {
  if (raw.size() % sizeof(T) != 0) throw std::runtime_error("raw_data size is not a whole element");
  for (std::size_t i = 0; i < raw.size(); i += sizeof(T)) {
    T v;
    std::memcpy(&v, raw.data() + i, sizeof(T));  // little-endian, as the files are
    out.push_back(static_cast<std::int64_t>(v));
  }
}

OnnxTensor convert(const onnx::TensorProto& t) {
  OnnxTensor r;
  r.name = t.name();
  r.data_type = t.data_type();
  r.dims.assign(t.dims().begin(), t.dims().end());
  const std::string& raw = t.raw_data();
  switch (t.data_type()) {
    case onnx::TensorProto_DataType_UINT8: append_raw<std::uint8_t>(raw, r.ints); break;
    case onnx::TensorProto_DataType_INT8: append_raw<std::int8_t>(raw, r.ints); break;
    case onnx::TensorProto_DataType_INT32: append_raw<std::int32_t>(raw, r.ints); break;
    case onnx::TensorProto_DataType_FLOAT:
      for (std::size_t i = 0; i + 4 <= raw.size(); i += 4) {
        float v;
        std::memcpy(&v, raw.data() + i, 4);
        r.floats.push_back(v);
      }
      r.floats.insert(r.floats.end(), t.float_data().begin(), t.float_data().end());
      break;
    default:
      throw std::runtime_error("tensor " + t.name() + ": data type " +
                               std::to_string(t.data_type()) + " not read here");
  }
  // Small integer types may use int32_data instead of raw_data.
  if (raw.empty()) r.ints.insert(r.ints.end(), t.int32_data().begin(), t.int32_data().end());
  if (r.size() !=
      (r.data_type == onnx::TensorProto_DataType_FLOAT ? r.floats.size() : r.ints.size()))
    throw std::runtime_error("tensor " + t.name() + ": value count does not match its dims");
  return r;
}

}  // namespace

std::size_t OnnxTensor::size() const {
  std::size_t n = 1;
  for (std::int64_t d : dims) n *= static_cast<std::size_t>(d);
  return n;
}

std::string onnx_node_test_dir() {
  const char* env = std::getenv("QUANTCHECK_ONNX_TESTDATA");
  return env && *env ? env : "/usr/share/libonnx-testdata/data/node";
}

OnnxNodeCase read_onnx_node_case(const std::string& dir, const std::string& name) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(dir) / name;
  const auto model = parse_file<onnx::ModelProto>(root / "model.onnx");
  if (model.graph().node_size() != 1) throw std::runtime_error(name + ": not a one-node graph");
  const onnx::NodeProto& node = model.graph().node(0);
  OnnxNodeCase c;
  c.op_type = node.op_type();
  for (const onnx::AttributeProto& a : node.attribute()) {
    if (a.type() == onnx::AttributeProto_AttributeType_INT)
      c.int_attributes[a.name()] = {a.i()};
    else if (a.type() == onnx::AttributeProto_AttributeType_INTS)
      c.int_attributes[a.name()].assign(a.ints().begin(), a.ints().end());
  }
  const fs::path data = root / "test_data_set_0";
  for (int i = 0;; ++i) {
    const fs::path p = data / ("input_" + std::to_string(i) + ".pb");
    if (!fs::exists(p)) break;
    c.inputs.push_back(convert(parse_file<onnx::TensorProto>(p)));
  }
  for (int i = 0;; ++i) {
    const fs::path p = data / ("output_" + std::to_string(i) + ".pb");
    if (!fs::exists(p)) break;
    c.outputs.push_back(convert(parse_file<onnx::TensorProto>(p)));
  }
  if (c.outputs.empty()) throw std::runtime_error(name + ": no output_0.pb");
  return c;
}

}  // namespace quantcheck::interop
