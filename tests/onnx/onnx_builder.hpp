// Small ONNX models built with the ONNX protobuf types, for the tests: each
// helper writes one field the way an exporter would, so a test states its
// model in a few lines.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace quantcheck::onnx::testing {

namespace pb = ::onnx;

enum class Encoding { raw, typed, float16, bfloat16, float16_typed };

pb::TensorProto float_tensor(const std::string& name, std::vector<std::int64_t> dims,
                             const std::vector<float>& values, Encoding e = Encoding::raw);
// raw_data little-endian in the type's width (typed: int32_data / int64_data).
pb::TensorProto int_tensor(const std::string& name, std::int32_t type,
                           std::vector<std::int64_t> dims, const std::vector<std::int64_t>& values,
                           bool typed = false);

pb::NodeProto node(const std::string& op, std::vector<std::string> inputs,
                   std::vector<std::string> outputs,
                   std::vector<std::pair<std::string, std::int64_t>> ints = {},
                   const std::string& domain = "");

// A model of `graph` with ai.onnx at `opset` (plus the extra opset imports).
pb::ModelProto make_model(pb::GraphProto graph, std::int64_t opset = 13,
                          std::vector<std::pair<std::string, std::int64_t>> extra = {});

// Graph input/output value infos (float, no shape).
void add_io(pb::GraphProto& g, const std::vector<std::string>& inputs,
            const std::vector<std::string>& outputs);

// Serialises m to <temp dir>/name and returns the path.
std::string write_model(const std::string& name, const pb::ModelProto& m);
std::string serialize(const pb::ModelProto& m);

// IEEE binary32 -> binary16 / bfloat16 bits (round to nearest even), the
// test's own conversion.
std::uint16_t to_half(float f);
std::uint16_t to_bfloat16(float f);

}  // namespace quantcheck::onnx::testing
