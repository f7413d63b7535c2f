// Named runtime profiles (RUNTIMES.md; docs/runtimes.md), and which runtime
// each quantizer preset naturally deploys to.
#pragma once

#include <string>
#include <vector>

#include "quantcheck/policy.hpp"
#include "quantcheck/runtime/profile.hpp"

namespace quantcheck {

// Every profile, in a stable order (the order `quantcheck runtimes` prints).
const std::vector<RuntimeProfile>& runtime_profiles();

// The profile with this name; throws UsageError listing the names otherwise.
const RuntimeProfile& find_runtime(const std::string& name);

std::vector<std::string> runtime_names();

// The runtimes a policy preset is audited against by default:
// luci-* -> luci-interpreter, tflite-int8 -> tflite-x86, tflite-int16x8 ->
// tflite-16x8, onnxruntime-* -> onnxruntime-mlas, pytorch-* -> onnxruntime-mlas
// (PyTorch's quantized models are deployed through ONNX export; its own fbgemm
// requantizes in float32 too), reference* -> every runtime. Unknown names
// (adapters) -> tflite-reference.
std::vector<std::string> natural_runtimes(const Policy& p);

// The activation type a policy's layer runs with on a profile: int16 for
// int16 weights (and 16x8 policies, activation_abs_max > 255), uint8 for
// uint8 weights, and for int8 weights the profile's preference.
ActivationType activation_for(const Policy& p, const RuntimeProfile& r);

}  // namespace quantcheck
