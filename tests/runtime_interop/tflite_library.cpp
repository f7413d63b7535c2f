#include "tflite_library.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <type_traits>

namespace quantcheck::interop {

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
    sym("TfLiteInterpreterGetInputTensorCount", t.InputCount);
    sym("TfLiteInterpreterGetInputTensor", t.Input);
    sym("TfLiteInterpreterGetOutputTensorCount", t.OutputCount);
    sym("TfLiteInterpreterGetOutputTensor", t.Output);
    sym("TfLiteTensorType", t.TensorType);
    sym("TfLiteTensorByteSize", t.ByteSize);
    sym("TfLiteTensorCopyFromBuffer", t.CopyFrom);
    sym("TfLiteTensorCopyToBuffer", t.CopyTo);
    return error.empty();
  }();
  *why = error;
  return ok ? &t : nullptr;
}

std::string tflite_version(const TfLiteLibrary& lib) { return lib.Version(); }

}  // namespace quantcheck::interop
