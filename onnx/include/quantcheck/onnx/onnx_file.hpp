// An ONNX model file, parsed by the ONNX project's own protobuf types
// (libonnx: onnx/onnx-ml.pb.h), never by a hand-written reader. open() bounds
// what protobuf is asked to do (size, nesting depth) and checks the structure
// quantcheck relies on; tensors are decoded lazily and checked one by one
// (tensor.hpp), external data only inside the model's own directory.
#pragma once

#include <onnx/onnx_pb.h>

#include <memory>
#include <string>

#include "quantcheck/model/model_file.hpp"

namespace quantcheck::onnx {

namespace pb = ::onnx;

// Errors are the model's: one line "<path>: <what>", exit code 2 in the CLI.
using model::ModelError;

// Subgraphs (If/Loop/Scan bodies) nested deeper than this are refused: real
// models nest a few levels; protobuf's own parse depth limit is 100 messages.
inline constexpr int kMaxGraphDepth = 16;

class OnnxFile {
 public:
  // Reads and parses the file; throws ModelError naming the path.
  static OnnxFile open(const std::string& path);
  // Parses bytes already in memory (tests, fuzzing); `path` names them in
  // errors and its directory anchors external data.
  static OnnxFile parse(const std::string& path, const void* data, std::size_t size);

  // True when the file is meant for this reader: its name ends in ".onnx",
  // or it is not a TFLite/circle flatbuffer and starts like a ModelProto
  // (field 1, ir_version, a varint: byte 0x08).
  static bool looks_like_onnx(const std::string& path);

  const std::string& path() const { return path_; }
  // The directory external data must stay inside ("." for a bare name).
  const std::string& directory() const { return dir_; }
  const pb::ModelProto& proto() const { return *proto_; }

  [[noreturn]] void fail(const std::string& what) const;

 private:
  OnnxFile() = default;
  void check_structure() const;

  std::string path_, dir_;
  std::shared_ptr<pb::ModelProto> proto_;
};

}  // namespace quantcheck::onnx
