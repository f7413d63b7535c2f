#include "tflite_runtime.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <type_traits>

namespace quantcheck::interop {

// The few TFLite C API entry points used (tensorflow/lite/c/c_api.h, 2.9).
class TfLiteLibrary {
 public:
  void* handle = nullptr;
  const char* (*Version)() = nullptr;
  void* (*ModelCreate)(const void*, std::size_t) = nullptr;
  void (*ModelDelete)(void*) = nullptr;
  void* (*OptionsCreate)() = nullptr;
  void (*OptionsDelete)(void*) = nullptr;
  void (*OptionsSetNumThreads)(void*, std::int32_t) = nullptr;
  void* (*InterpreterCreate)(const void*, const void*) = nullptr;
  void (*InterpreterDelete)(void*) = nullptr;
  int (*AllocateTensors)(void*) = nullptr;
  int (*Invoke)(void*) = nullptr;
  void* (*Input)(const void*, std::int32_t) = nullptr;
  const void* (*Output)(const void*, std::int32_t) = nullptr;
  std::size_t (*ByteSize)(const void*) = nullptr;
  int (*CopyFrom)(void*, const void*, std::size_t) = nullptr;
  int (*CopyTo)(const void*, void*, std::size_t) = nullptr;
};

const TfLiteLibrary* load_tflite_library(std::string* why) {
  static TfLiteLibrary t;
  static std::string error;
  static const bool ok = [] {
    const char* env = std::getenv("QUANTCHECK_TFLITE_LIB");
    const std::string path = env && *env ? env : QUANTCHECK_TFLITE_LIB;
    if (!std::filesystem::exists(path)) {
      error = "TFLite C library not found at " + path +
              " (run `bash ci/fetch-tflite-runtime.sh` or set QUANTCHECK_TFLITE_LIB)";
      return false;
    }
    t.handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!t.handle) {
      error = std::string("dlopen failed: ") + ::dlerror();
      return false;
    }
    auto sym = [](const char* name, auto& fn) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(t.handle, name));
      if (!fn) error += std::string(" missing ") + name;
    };
    sym("TfLiteVersion", t.Version);
    sym("TfLiteModelCreate", t.ModelCreate);
    sym("TfLiteModelDelete", t.ModelDelete);
    sym("TfLiteInterpreterOptionsCreate", t.OptionsCreate);
    sym("TfLiteInterpreterOptionsDelete", t.OptionsDelete);
    sym("TfLiteInterpreterOptionsSetNumThreads", t.OptionsSetNumThreads);
    sym("TfLiteInterpreterCreate", t.InterpreterCreate);
    sym("TfLiteInterpreterDelete", t.InterpreterDelete);
    sym("TfLiteInterpreterAllocateTensors", t.AllocateTensors);
    sym("TfLiteInterpreterInvoke", t.Invoke);
    sym("TfLiteInterpreterGetInputTensor", t.Input);
    sym("TfLiteInterpreterGetOutputTensor", t.Output);
    sym("TfLiteTensorByteSize", t.ByteSize);
    sym("TfLiteTensorCopyFromBuffer", t.CopyFrom);
    sym("TfLiteTensorCopyToBuffer", t.CopyTo);
    return error.empty();
  }();
  *why = error;
  return ok ? &t : nullptr;
}

std::string tflite_version(const TfLiteLibrary& lib) { return lib.Version(); }

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
