// A runtime profile is data, like a policy (policy.hpp): one plain struct of
// knobs that together say how an inference runtime computes a quantized
// CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED in integers: the accumulator,
// how the effective scale is computed and encoded, how each requantization
// step rounds, where it saturates and clamps, and what Prepare rejects. Every
// runtime quantcheck knows is a value of this struct (profiles.hpp); the facts
// and their sources are in ../shared/reference/RUNTIMES.md and docs/runtimes.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "quantcheck/quantize.hpp"

namespace quantcheck {

enum class AccumulatorType { int32, int64 };

// How the real multiplier M = s_in * s_w[c] / s_out is computed from the float32 scales.
enum class ScaleComputation {
  double_per_channel,         // (double)s_in * (double)s_w / (double)s_out (TFLite per-channel)
  float_product_then_double,  // (double)(float)(s_in * s_w) / (double)s_out (luci, TFLite uint8/FC)
  float32,                    // float32((s_in * s_w) / s_out), two float roundings (ORT, XNNPACK)
};

// How M is stored.
enum class MultiplierForm {
  q31,            // (q, e), M ~ q 2^(e-31): TFLite QuantizeMultiplier (RHAFZ, 2^31 fix-up)
  q31_reduced15,  // the Q31 (q, e) reduced to a rounded 15-bit qr (TFLite int64 MBQM)
  float32_scale,  // the float32 scale itself (ORT MLAS, XNNPACK fp32, ONNX reference)
  mantissa24,     // the 24-bit float32 significand and a shift (XNNPACK rndnu, ORT ARM64 option)
};

// How acc * M becomes an integer, step by step.
enum class RequantRounding {
  srdhm_rhu_then_rdbpot_rhafz,  // TFLite reference / gemmlowp: SRDHM (RHU) then RDBPOT (RHAFZ)
  ruy_x86_rhu_then_rhu,  // ruy AVX2/AVX-512: RHU, then RHU shift; y > INT32_MAX - nudge -> 2^(31-r)
  single_rhu,            // exact RHU of acc * q 2^(e-31) (TFLITE_SINGLE_ROUNDING, ruy ARM64)
  int64_reduced_single_rhu,  // (acc * qr + 2^(14-e)) >> (15 - e) in int64, narrowed (TFLite 16x8
                             // int64)
  float32_rne,     // RNE(fl(fl(acc) * scale)), clamp in float first (ORT MLAS, XNNPACK fp32)
  float64_rne,     // RNE((double)acc * (double)scale) (ONNX reference, NumPy)
  mantissa24_rhu,  // (acc * m + 2^(s-1)) >> s, exact RHU (XNNPACK rndnu)
};

enum class OutputClamp {
  full,       // the whole output type (TFLite, ONNX, ORT, XNNPACK)
  symmetric,  // [-max, max]: luci-interpreter S8 [-127, 127], S16 [-32767, 32767]
};

// One datapath: what the runtime does for one activation width.
struct RuntimePath {
  bool supported = false;  // false: Prepare rejects this activation width
  AccumulatorType accumulator = AccumulatorType::int32;
  // The int32 (or int64) sum wraps in two's complement rather than trapping
  // (C++ UB in the source; every measured build wraps). Always true today;
  // kept as a knob so a checker can treat a wrap as fatal.
  bool accumulator_wraps = true;
  ScaleComputation scale = ScaleComputation::double_per_channel;
  MultiplierForm multiplier = MultiplierForm::q31;
  RequantRounding rounding = RequantRounding::srdhm_rhu_then_rdbpot_rhafz;
  bool flush_tiny_multiplier = true;   // Q31: e < -31 after the fix-up -> (0, 0): y = zp_out
  bool single_rounding_clamp = false;  // Q31: e > 30 -> (2^31 - 1, 30) (TFLITE_SINGLE_ROUNDING)
  // ORT x86 AVX2 / AVX-512 without VNNI, uint8 activations x int8 weights:
  // each pair x[2k] w[2k] + x[2k+1] w[2k+1] saturates to int16 (VPMADDUBSW).
  bool int16_pair_saturation = false;
  OutputClamp clamp = OutputClamp::full;
  bool add_output_zero_point = true;    // TFLite 16x8 kernels never add zp_out
  bool apply_weight_zero_point = true;  // TFLite int8 conv reference never reads the filter zp
  bool int16_weights = false;  // accepts int16 filters (luci S16); TFLite 16x8 takes int8 only
  // Per-op exception: DEPTHWISE_CONV_2D's rounding where its kernels differ
  // from the GEMM path's. TFLite 2.9 x86: CONV_2D and FULLY_CONNECTED go
  // through ruy, the optimized int8 depthwise kernels round like the reference
  // (measured: tests/runtime_interop/test_tflite_rounding.cpp).
  std::optional<RequantRounding> depthwise_rounding;
  // Per-op exception: FULLY_CONNECTED's scale computation where it differs from
  // the convolutions'. TFLite 2.9 FC is per tensor through
  // GetQuantizedConvolutionMultipler: (double)(float)(s_in * s_w) / (double)s_out
  // (RUNTIMES.md 1.4; measured: tests/runtime_interop/test_tflite_rounding.cpp).
  std::optional<ScaleComputation> fully_connected_scale;
};

// The rounding a path applies for one op (the per-op exception, else `rounding`).
RequantRounding rounding_for(const RuntimePath& path, OpKind op);
// The scale computation a path applies for one op (the per-op exception, else `scale`).
ScaleComputation scale_for(const RuntimePath& path, OpKind op);

// What Prepare (model load, operator create) refuses.
struct PrepareRules {
  double reject_multiplier_at_least = 0;          // M >= this is refused (0: no limit); XNNPACK 256
  bool reject_non_normal_scale = false;           // XNNPACK: each scale finite, normal, positive
  bool require_equal_weight_zero_points = false;  // ORT: "filter zero point must be constant"
  bool require_zero_weight_zero_point = false;    // luci S8, XNNPACK delegate, TFLite >= 2.14 int8
  bool require_zero_io_zero_points_16 = true;     // TFLite 16x8: zp_in = zp_out = 0
};

struct RuntimeProfile {
  std::string name;
  std::string origin;                // what it models, in one line
  std::vector<std::string> sources;  // RUNTIMES.md sections, commits, issues
  // The 8-bit activation type the runtime pairs with int8 weights: uint8 for
  // ORT / ONNX (their default U8S8), int8 for the rest.
  bool int8_weights_take_uint8_activations = false;
  RuntimePath eight_bit;    // uint8 / int8 activations
  RuntimePath sixteen_bit;  // int16 activations (16x8 or luci S16)
  PrepareRules prepare;
};

enum class ActivationType { uint8, int8, int16 };

// The path a profile runs for an activation type.
const RuntimePath& path_for(const RuntimeProfile& p, ActivationType a);

// Largest |error| of the profile's integer output against the exactly rounded
// acc * M_repr (M_repr: the multiplier as the profile stores it), in output
// LSBs: 0 for single rounding, 1 for double rounding and float products.
int requantization_bound_lsb(const RuntimePath& path);

// Largest relative error |M_repr - M| / M of the encoding and the scale
// computation together (docs/runtimes.md derives each).
double multiplier_relative_bound(const RuntimePath& path);

std::int32_t activation_min(ActivationType a);
std::int32_t activation_max(ActivationType a);

std::string to_string(AccumulatorType);
std::string to_string(ScaleComputation);
std::string to_string(MultiplierForm);
std::string to_string(RequantRounding);
std::string to_string(OutputClamp);
std::string to_string(ActivationType);

}  // namespace quantcheck
