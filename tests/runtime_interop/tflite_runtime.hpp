// One-layer integer models in the TFLite 2.9 C library (tflite_library.hpp):
// build an interpreter once, then copy raw input bytes in and raw output bytes
// out per run.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "quantcheck/model/quantized_layer_model.hpp"
#include "tflite_library.hpp"

namespace quantcheck::interop {

// One model and its interpreter (1 thread, the default op resolver: the
// optimized kernels the library ships).
class TfLiteLayer {
 public:
  // Empty `error()` when the runtime accepted the model and allocated it.
  TfLiteLayer(const TfLiteLibrary& lib, std::vector<std::uint8_t> model);
  ~TfLiteLayer();
  TfLiteLayer(const TfLiteLayer&) = delete;
  TfLiteLayer& operator=(const TfLiteLayer&) = delete;

  const std::string& error() const { return error_; }
  std::size_t input_bytes() const;
  std::size_t output_bytes() const;
  // Copies `input` in, invokes, copies the output out; false (and error()) on failure.
  bool run(const void* input, std::size_t input_size, void* output, std::size_t output_size);

 private:
  const TfLiteLibrary& lib_;
  std::vector<std::uint8_t> model_bytes_;  // the C API keeps a pointer into them
  void* model_ = nullptr;
  void* options_ = nullptr;
  void* interpreter_ = nullptr;
  std::string error_;
};

// Builds `layer`'s model, runs it once on `input` (values of the activation
// type) and returns the output values; empty and *error on failure.
std::vector<std::int32_t> run_quantized_layer(const TfLiteLibrary& lib,
                                              const model::QuantizedLayerModel& layer,
                                              const std::vector<std::int32_t>& input,
                                              std::string* error);

}  // namespace quantcheck::interop
