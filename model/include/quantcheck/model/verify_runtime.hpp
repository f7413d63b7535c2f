// `quantcheck verify MODEL --runtime NAME`: the model's quantized layers on a
// runtime profile (docs/runtimes.md), with the model's own input and output
// scales and zero points, per layer and output channel:
// - the multiplier M = s_in s_w / s_out as the runtime encodes it: Prepare's
//   refusals, the flush of M < 2^-32 (a finding where an accumulator of the
//   layer can notice it), the e > 30 clamp, the relative encoding error
//   against the profile's bound;
// - the exact worst-case accumulator (every legal input, the stored integer
//   weights, bias and input zero point) against the profile's accumulator
//   type, int16 pair sums where the profile saturates them, and the int64
//   requantization product: an overflow is a finding; the channel with the
//   least margin of each layer is run through the kernel on its extreme
//   inputs to confirm the closed form;
// - the output error bound of docs/runtimes.md, in output steps and real
//   units (reported, not a finding).
#pragma once

#include <string>

#include "quantcheck/model/model_file.hpp"
#include "quantcheck/model/verify.hpp"
#include "quantcheck/runtime/profile.hpp"

namespace quantcheck::model {

// The runtime a model naturally deploys to: circle -> luci-interpreter;
// TFLite with int16 activations (16x8) -> tflite-16x8; TFLite uint8 ->
// gemmlowp (TFLite 2.9's uint8 kernels on x86, RUNTIMES.md 1.3); TFLite int8
// (and anything else) -> tflite-x86. `why` says which rule chose it.
std::string natural_runtime(const ModelFile& m, const VerifyReport& r, std::string* why = nullptr);

// Adds r.runtime and the runtime findings to r (which verify_model made for m).
// keep_channels: keep every channel's ChannelRuntime (the JSON report lists
// them); the text and Markdown reports need only the per-layer figures.
void verify_runtime(const ModelFile& m, const RuntimeProfile& rt, VerifyReport& r,
                    const std::string& chosen_because, bool keep_channels = true);

}  // namespace quantcheck::model
