// The TFLite 2.9 C library (ci/fetch-tflite-runtime.sh's cache, or the path in
// QUANTCHECK_TFLITE_LIB at run time), loaded once with dlopen: the few C API
// entry points the interop tests use (tensorflow/lite/c/c_api.h, 2.9).
// Shared by tests/model/test_interop.cpp (float twins of whole models) and the
// one-layer integer tests here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace quantcheck::interop {

struct TfLiteLibrary {
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
  std::int32_t (*InputCount)(const void*) = nullptr;
  void* (*Input)(const void*, std::int32_t) = nullptr;
  std::int32_t (*OutputCount)(const void*) = nullptr;
  const void* (*Output)(const void*, std::int32_t) = nullptr;
  int (*TensorType)(const void*) = nullptr;
  std::size_t (*ByteSize)(const void*) = nullptr;
  int (*CopyFrom)(void*, const void*, std::size_t) = nullptr;
  int (*CopyTo)(const void*, void*, std::size_t) = nullptr;
};

// TfLiteType values used by the tests.
constexpr int kTfLiteFloat32 = 1;

// Null (and *why) when the library is absent or lacks a symbol.
const TfLiteLibrary* load_tflite_library(std::string* why);
std::string tflite_version(const TfLiteLibrary& lib);

}  // namespace quantcheck::interop
