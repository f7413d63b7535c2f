#include "tflite_runtime.hpp"

#include <cstring>

#include "tflite_library.hpp"

namespace quantcheck::interop {

TfLiteLayer::TfLiteLayer(const TfLiteLibrary& lib, std::vector<std::uint8_t> model)
    : lib_(lib), model_bytes_(std::move(model)) {
  model_ = lib_.ModelCreate(model_bytes_.data(), model_bytes_.size());
  if (!model_) {
    error_ = "TfLiteModelCreate rejected the model";
    return;
  }
  options_ = lib_.OptionsCreate();
  lib_.OptionsSetNumThreads(options_, 1);
  interpreter_ = lib_.InterpreterCreate(model_, options_);
  if (!interpreter_) {
    error_ = "TfLiteInterpreterCreate failed (Prepare rejected the layer?)";
    return;
  }
  if (lib_.AllocateTensors(interpreter_) != 0) error_ = "AllocateTensors failed (Prepare)";
}

TfLiteLayer::~TfLiteLayer() {
  if (interpreter_) lib_.InterpreterDelete(interpreter_);
  if (options_) lib_.OptionsDelete(options_);
  if (model_) lib_.ModelDelete(model_);
}

std::size_t TfLiteLayer::input_bytes() const {
  return error_.empty() ? lib_.ByteSize(lib_.Input(interpreter_, 0)) : 0;
}

std::size_t TfLiteLayer::output_bytes() const {
  return error_.empty() ? lib_.ByteSize(lib_.Output(interpreter_, 0)) : 0;
}

bool TfLiteLayer::run(const void* input, std::size_t input_size, void* output,
                      std::size_t output_size) {
  if (!error_.empty()) return false;
  if (lib_.CopyFrom(lib_.Input(interpreter_, 0), input, input_size) != 0) {
    error_ = "input size mismatch";
    return false;
  }
  if (lib_.Invoke(interpreter_) != 0) {
    error_ = "Invoke failed";
    return false;
  }
  if (lib_.CopyTo(lib_.Output(interpreter_, 0), output, output_size) != 0) {
    error_ = "output size mismatch";
    return false;
  }
  return true;
}

std::vector<std::int32_t> run_quantized_layer(const TfLiteLibrary& lib,
                                              const model::QuantizedLayerModel& layer,
                                              const std::vector<std::int32_t>& input,
                                              std::string* error) {
  TfLiteLayer t(lib, model::build_quantized_layer_model(layer));
  const std::size_t width = layer.int16_activations ? 2 : 1;
  std::vector<std::uint8_t> in(input.size() * width), out(t.output_bytes());
  for (std::size_t i = 0; i < input.size(); ++i) {
    if (width == 2) {
      const auto v = static_cast<std::int16_t>(input[i]);
      std::memcpy(&in[2 * i], &v, 2);
    } else {
      in[i] = static_cast<std::uint8_t>(static_cast<std::int8_t>(input[i]));
    }
  }
  if (!t.run(in.data(), in.size(), out.data(), out.size())) {
    *error = t.error();
    return {};
  }
  std::vector<std::int32_t> values(out.size() / width);
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (width == 2) {
      std::int16_t v;
      std::memcpy(&v, &out[2 * i], 2);
      values[i] = v;
    } else {
      values[i] = static_cast<std::int8_t>(out[i]);
    }
  }
  return values;
}

}  // namespace quantcheck::interop
