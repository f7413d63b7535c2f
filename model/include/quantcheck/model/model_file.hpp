// A TFLite (TFL3) or circle (CIR0) model file, memory-mapped and checked
// before anything reads it: first the flatbuffers Verifier (every offset and
// length inside the file), then the meaning (indices in range, buffer sizes
// equal to shape times element size, quantization vectors of matching length).
// After open() succeeds, every accessor below is safe on hostile input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "quantcheck/error.hpp"
#include "quantcheck/model/model_generated.h"

namespace quantcheck::model {

// A model file that is not what it claims to be. The message starts with the
// path and says what is wrong; the CLI maps it to exit code 2.
class ModelError : public InputError {
 public:
  using InputError::InputError;
};

// onnx: an ONNX ModelProto, read by quantcheck::onnx (onnx/), whose reports
// share these forms.
enum class Format { tflite, circle, onnx };

std::string to_string(Format f);   // "tflite", "circle", "onnx"
const char* identifier(Format f);  // "TFL3", "CIR0", "ONNX"

// A read-only private mapping of a whole file; throws ModelError (empty file,
// directory, unreadable) naming the path.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const std::uint8_t> bytes() const { return {data_, size_}; }

 private:
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

class ModelFile {
 public:
  // Maps, verifies and checks the file; throws ModelError.
  static ModelFile open(const std::string& path);

  const std::string& path() const { return path_; }
  Format format() const { return format_; }
  const fb::Model& model() const { return *model_; }
  std::span<const std::uint8_t> bytes() const { return file_->bytes(); }

  // The subgraph's tensor i (checked in range at open()).
  const fb::Tensor& tensor(std::uint32_t subgraph, std::int32_t index) const;
  // The bytes of buffer b, inline or external (offset > 1); empty when none.
  std::span<const std::uint8_t> buffer_data(std::uint32_t buffer) const;
  // The bytes of a tensor's constant data; empty for activations.
  std::span<const std::uint8_t> tensor_data(const fb::Tensor& t) const;
  // The builtin operator code of op (max of the deprecated and new fields).
  std::int32_t op_code(const fb::Operator& op) const;

  // Throws ModelError "<path>: <what>".
  [[noreturn]] void fail(const std::string& what) const;

 private:
  ModelFile() = default;
  void check_meaning() const;

  std::string path_;
  Format format_ = Format::tflite;
  std::shared_ptr<MappedFile> file_;
  const fb::Model* model_ = nullptr;
};

}  // namespace quantcheck::model
