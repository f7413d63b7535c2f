// The presets. Each block restates one quantizer's rule from the public record
// (../shared/reference/POLICIES.md, section in brackets); tests/test_presets.cpp
// checks each constant through its observable effect.
#include "quantcheck/presets.hpp"

#include <cfloat>

#include "quantcheck/error.hpp"

namespace quantcheck {
namespace {

// ONE luci, uint8 asymmetric weights, int32 bias [1]. compute_asym_scale_zp
// works in double (range, scale, zero point, the 1e-5 floor and the nudged
// range; only the stored scale and nudged range are float32), the weights in
// float32 from the nudged minimum, round half away from zero, and the bias is
// cast before the clamp (INT32_MIN on x86-64). No bias check in any version.
Policy luci_uint8() {
  Policy p;
  p.name = "luci-uint8";
  p.origin = "Samsung ONE luci quantizer, uint8 asymmetric per channel, scale floor 1e-5";
  p.weight_type = WeightType::uint8;
  p.scheme = Scheme::asymmetric;
  p.qmin = 0;
  p.qmax = 255;
  p.scale_divisor = 255.0;
  p.activation_abs_max = 255;
  p.weight_arithmetic = WeightArithmetic::float32_inverse;
  p.asymmetric_form = AsymmetricForm::offset_from_nmin;
  p.rounding = Rounding::half_away_from_zero;
  p.scale_in_float64 = true;
  p.zero_point_from_float64_scale = true;
  p.float64_scale_floor = 1e-5;  // `scale < 1e-5` on the double scale
  p.scale_floor = 1e-5f;         // what is stored: float32(1e-5)
  p.bias_type = BiasType::int32;
  p.bias_arithmetic = BiasArithmetic::float32_inverse;
  p.weight_out_of_range = OutOfRange::x86_cast;
  p.bias_out_of_range = OutOfRange::x86_cast;
  // Nothing is guaranteed (the property suite's counterexamples, docs/audit.md):
  // s_b = s_in * s_w is subnormal for a small input scale whatever the floor;
  // for weights near +-FLT_MAX the float32 offset x - nmin overflows to inf and
  // its x86 cast stores the weight as 0 (data [-3e38, 3e38]: q [0, 0]); and the
  // float32 offset and inverse can carry a value just below a tie across it.
  return p;
}

// ONE luci int16 symmetric weights ([-32767, 32767]), int64 bias never
// clamped [1]. The eras differ only in what keeps the weight scale from being
// tiny.
Policy luci_int16(const std::string& name, const std::string& origin) {
  Policy p;
  p.name = name;
  p.origin = origin;
  p.weight_type = WeightType::int16;
  p.scheme = Scheme::symmetric;
  p.qmin = -32767;
  p.qmax = 32767;
  p.scale_divisor = 32767.0;
  p.activation_abs_max = 32768;
  p.weight_arithmetic = WeightArithmetic::float32_inverse;
  p.rounding = Rounding::half_away_from_zero;
  p.bias_type = BiasType::int64;
  p.bias_arithmetic = BiasArithmetic::float32_inverse;
  p.weight_out_of_range = OutOfRange::x86_cast;
  p.bias_out_of_range = OutOfRange::x86_cast;
  // No guarantees. No weight_error_bound: q = round(float(x * float(1 / s)))
  // can round a value just below a tie up (x = 0.0156407356 at s =
  // 3.05185094e-05 gives 513, x / s = 512.4999...), half a step plus a float32
  // rounding error. No valid_scales (found by AFL++ on fuzz_case_bytes): the
  // floors hold s_w, not s_b = s_in * s_w, which is subnormal for s_in =
  // 1.38114079e-39 (#6971, #7063, current); and #7017 lowers nothing but its
  // least s_w with s_in * s_w >= 1e-15 is 2^-149 at s_in = FLT_MAX.
  return p;
}

Policy luci_int16_2021() {
  Policy p = luci_int16("luci-int16-2021",
                        "Samsung ONE luci int16, seed era (2021, issue #6970): no scale floor");
  p.guarantees = {};  // scale 0 for an all-zero channel; nothing was promised
  return p;
}

Policy luci_int16_6971() {
  Policy p = luci_int16("luci-int16-6971",
                        "ONE PR #6971 (not merged): weight scale < FLT_EPSILON becomes 1.0");
  p.tiny_scale_threshold = FLT_EPSILON;
  p.tiny_scale_replacement = 1.0f;
  return p;
}

Policy luci_int16_7017() {
  Policy p = luci_int16("luci-int16-7017",
                        "ONE PR #7017 (not merged): weight scales raised so s_in * s_w >= 1e-15");
  p.bias_scale_floor = 1e-15f;
  return p;
}

Policy luci_int16_7063() {
  Policy p =
      luci_int16("luci-int16-7063", "ONE PR #7063 (merged June 2021): int16 scale floor 1e-9");
  p.scale_floor = 1e-9f;
  return p;
}

Policy luci_int16_current() {
  Policy p =
      luci_int16("luci-int16", "ONE PR #10111 (Nov 2022) and current: int16 scale floor 1e-8");
  p.scale_floor = 1e-8f;
  return p;
}

// TensorFlow Lite tools/optimize [2]: int8 symmetric per channel over
// [-127, 127], inverse taken as 127 / range (0 for a zero range), bias
// SafeCast then clamped to [-max, max], and AdjustWeightsForBiasScale.
Policy tflite(const std::string& name, const std::string& origin, BiasType bias,
              std::int64_t activation_abs_max) {
  Policy p;
  p.name = name;
  p.origin = origin;
  p.weight_type = WeightType::int8;
  p.scheme = Scheme::symmetric;
  p.qmin = -127;
  p.qmax = 127;
  p.scale_divisor = 127.0;
  p.activation_abs_max = activation_abs_max;
  p.weight_arithmetic = WeightArithmetic::float32_range_inverse;
  p.rounding = Rounding::half_away_from_zero;
  p.bias_type = bias;
  p.bias_arithmetic = BiasArithmetic::float32_inverse;
  p.bias_fit = BiasFit::tflite_half_range;
  // (int32) round(x * inv) narrowed to int8 before the clamp: when 127 /
  // max|w| overflows to inf (max|w| < ~3.7e-37) every weight becomes 0.
  p.weight_out_of_range = OutOfRange::x86_int32_narrowed;
  p.bias_out_of_range = OutOfRange::saturate_symmetric;
  // No weight_error_bound: inv = float(127 / range) then round(float(x * inv))
  // rounds x = 0.0669291317 (x / s = 8.4999997) at s = 1/127 up to 9.
  // No no_bias_saturation (found by AFL++ on fuzz_case_bytes): for an all-zero
  // channel with the subnormal bias 4.31985564e-39 at s_in = 1.21158993e-19 the
  // guard's range 2|b| / 2^31 * (127 / s_in) gives s_in * s_w = 0, and the bias
  // is lost.
  p.guarantees.bias_sign_preserved = true;
  return p;
}

// The TensorFlow Lite converter's own post-training quantizer (docs/policies.md,
// "The TFLite converter"): tools/optimize's int8 arithmetic and bias guard,
// plus the weight-scale floor 1e-6 that dead channels carry in the real
// converter outputs (../shared/models/tf2_mobilenet_v2_1.0_224_ptq.tflite,
// reproduced layer for layer by `quantcheck identify`).
Policy tflite_converter(const std::string& name, const std::string& origin, BiasType bias,
                        std::int64_t activation_abs_max) {
  Policy p = tflite(name, origin, bias, activation_abs_max);
  p.scale_floor = 1e-6f;
  // The MLIR quantizer's weights: scales_inv = 1.0 / s, then round(x * inv) in
  // float32 (QuantizeLegacy -> SymmetricPerChannelQuantizeValues).
  p.weight_arithmetic = WeightArithmetic::float32_inverse;
  // Declared as tflite-int8's (bias_sign_preserved). No valid_scales: the
  // floor holds s_w, not s_b = s_in * s_w (s_in = 1e-35 makes it subnormal).
  // No weight_error_bound: the float32 inverse rounds values just below a tie
  // up, as in luci. No no_bias_saturation: where s_in * 1e-6 underflows to 0
  // the bias is lost.
  return p;
}

// ONNX Runtime quantization tool [3]: the range rmax - rmin in float32, the
// scale in float64 (scale < FLT_MIN becomes 1 with zp 0, the zero point from
// the float64 scale), weights divided in float32, numpy rounding (half to
// even), bias b / s_b in float64 clipped to int32 (NaN -> INT32_MIN).
Policy onnxruntime(WeightType type) {
  Policy p;
  p.weight_type = type;
  p.scale_in_float64 = true;
  p.range_in_float32 = true;
  p.zero_point_from_float64_scale = true;
  p.weight_arithmetic = WeightArithmetic::float32_divide;
  p.rounding = Rounding::half_to_even;
  p.tiny_scale_threshold = FLT_MIN;
  p.tiny_scale_replacement = 1.0f;
  p.activation_abs_max = 255;
  p.bias_type = BiasType::int32;
  p.bias_arithmetic = BiasArithmetic::float64_divide;
  p.weight_out_of_range = OutOfRange::saturate;
  p.bias_out_of_range = OutOfRange::clip_then_x86_cast;
  // No valid_scales: only s_w < FLT_MIN is replaced, so s_in * s_w can be
  // subnormal (s_w = 1.17e-38, s_in = 0.0079 gives s_b = 9.26e-41).
  // No bias_sign_preserved: where s_in * s_w underflows to 0 a zero bias is
  // 0 / 0 = NaN, stored as INT32_MIN (s_in 1e-20, weights [1e-30], bias [0]).
  if (type == WeightType::int8) {
    p.name = "onnxruntime-int8";
    p.origin =
        "ONNX Runtime quantize tool, int8 symmetric weights, 1.0001 weight-scale raise (#22020)";
    p.scheme = Scheme::symmetric;
    p.qmin = -127;
    p.qmax = 127;
    p.scale_divisor = 127.0;  // (2 max|x|) / (127 - (-127))
    p.bias_fit = BiasFit::onnxruntime_1_0001;
    // Nothing: with s_in = FLT_MIN the raise overflows s_w to inf (then no
    // weight is within half a step), where s_in * s_w is subnormal the
    // 1.0001 margin is lost to its rounding (b = 3.88e-34 gives 2^31), and
    // the sign goes with a zero bias at s_b = 0 (above). The float32 division
    // can miss half a step (as for uint8 below).
  } else {
    p.name = "onnxruntime-uint8";
    p.origin =
        "ONNX Runtime quantize tool, uint8 asymmetric weights (the raise is for zp-0 weights only)";
    p.scheme = Scheme::asymmetric;
    p.qmin = 0;
    p.qmax = 255;
    p.scale_divisor = 255.0;
    p.asymmetric_form = AsymmetricForm::add_zero_point;
    // No weight_error_bound: the float32 division x / s rounds before the
    // rounding to an integer, so a value just off a tie can land on it
    // (data [-0.77, 0.93]: s = 0.00666666683, zp 115; 0.93 / s is
    // 139.4999977 exactly but 139.5 in float32, rounded half to even to 140
    // and stored as 255: 0.5000023 of a step from 0.93).
  }
  return p;
}

// PyTorch torch.ao observers [4]: eps = FLT_EPSILON floor, quantize by the
// float32 inverse with nearbyint (half to even), converted to int64 and then
// clamped (x86-64: a bias quotient beyond int64, inf or NaN is INT64_MIN, so
// INT32_MIN whatever its sign), no guard.
Policy pytorch(WeightType type) {
  Policy p;
  p.weight_type = type;
  p.scale_floor = FLT_EPSILON;
  p.weight_arithmetic = WeightArithmetic::float32_inverse;
  p.rounding = Rounding::half_to_even;
  p.activation_abs_max = 255;
  p.bias_type = BiasType::int32;
  p.bias_arithmetic = BiasArithmetic::float32_plain_inverse;
  p.weight_out_of_range = OutOfRange::x86_int64_then_clamp;
  p.bias_out_of_range = OutOfRange::x86_int64_then_clamp;
  // No weight_error_bound: the float32 inverse rounds x = -2.81333923e-05 at
  // s = 2.20654059e-07 (x / s = -127.4999...) to -128. No valid_scales for
  // uint8: the float32 range max - min overflows to inf near +-FLT_MAX.
  // No valid_scales for int8 either (found by AFL++ on fuzz_case_bytes): the
  // eps floor holds s_w, and s_b = s_in * s_w is subnormal for a subnormal s_in.
  if (type == WeightType::int8) {
    p.name = "pytorch-int8-symmetric";
    p.origin =
        "PyTorch PerChannelMinMaxObserver qint8 per_channel_symmetric: max / 127.5, eps floor";
    p.scheme = Scheme::symmetric;
    p.qmin = -128;
    p.qmax = 127;
    p.scale_divisor = 127.5;  // (qmax - qmin) / 2
  } else {
    p.name = "pytorch-uint8-affine";
    p.origin = "PyTorch PerChannelMinMaxObserver quint8 per_channel_affine: range / 255, eps floor";
    p.scheme = Scheme::asymmetric;
    p.qmin = 0;
    p.qmax = 255;
    p.scale_divisor = 255.0;
    p.asymmetric_form = AsymmetricForm::add_zero_point;
  }
  return p;
}

// Ours. Every scale is a normal float32 rounded up from the exact range /
// divisor (so no weight is clipped), at least FLT_MIN, and so is the bias
// scale. The bias is rounded exactly, and the weight scale is raised by the
// least float32 step count that leaves the accumulator room for K worst-case
// products (docs/reference-policy.md derives it).
Policy reference(WeightType type) {
  Policy p;
  p.weight_type = type;
  p.origin =
      "quantcheck reference policy: exact arithmetic, normal scales, bias with accumulator "
      "headroom";
  p.scale_in_float64 = true;
  p.round_scale_up = true;
  p.weight_arithmetic = WeightArithmetic::exact;
  p.rounding = Rounding::half_away_from_zero;
  p.scale_floor = FLT_MIN;
  p.bias_scale_floor = FLT_MIN;
  p.bias_arithmetic = BiasArithmetic::exact;
  p.bias_fit = BiasFit::reference_headroom;
  p.weight_out_of_range = OutOfRange::saturate;
  p.bias_out_of_range = OutOfRange::saturate;
  p.guarantees = {true, true, true, true, true, true};
  switch (type) {
    case WeightType::int8:
      p.name = "reference";
      p.scheme = Scheme::symmetric;
      p.qmin = -127;
      p.qmax = 127;
      p.scale_divisor = 127.0;
      p.activation_abs_max = 255;
      p.bias_type = BiasType::int32;
      break;
    case WeightType::uint8:
      p.name = "reference-uint8";
      p.scheme = Scheme::asymmetric;
      p.qmin = 0;
      p.qmax = 255;
      p.scale_divisor = 255.0;
      p.activation_abs_max = 255;
      p.bias_type = BiasType::int32;
      break;
    case WeightType::int16:
      p.name = "reference-int16";
      p.scheme = Scheme::symmetric;
      p.qmin = -32767;
      p.qmax = 32767;
      p.scale_divisor = 32767.0;
      p.activation_abs_max = 32768;
      p.bias_type = BiasType::int64;
      break;
  }
  return p;
}

std::vector<Policy> make_presets() {
  std::vector<Policy> all = {
      luci_uint8(),
      luci_int16_2021(),
      luci_int16_6971(),
      luci_int16_7017(),
      luci_int16_7063(),
      luci_int16_current(),
      tflite("tflite-int8", "TensorFlow Lite int8 per channel with AdjustWeightsForBiasScale",
             BiasType::int32, 255),
      tflite("tflite-int16x8",
             "TensorFlow Lite 16x8: int16 activations, int8 weights, int64 bias, int32 guard",
             BiasType::int64, 32768),
      tflite_converter("tflite-converter-int8",
                       "TensorFlow Lite converter post-training int8: tools/optimize arithmetic, "
                       "weight scale floor 1e-6",
                       BiasType::int32, 255),
      tflite_converter("tflite-converter-16x8",
                       "TensorFlow Lite converter 16x8: int16 activations, int8 weights, int64 "
                       "bias, weight scale floor 1e-6",
                       BiasType::int64, 32768),
      onnxruntime(WeightType::int8),
      onnxruntime(WeightType::uint8),
      pytorch(WeightType::int8),
      pytorch(WeightType::uint8),
      reference(WeightType::int8),
      reference(WeightType::uint8),
      reference(WeightType::int16),
  };
  // Every preset runs behind quantize()'s input check (validate.cpp), which refuses NaN and
  // +-Inf before any policy arithmetic: the presets model their quantizers on
  // finite inputs only. (Real PyTorch quantizes NaN; its adapter does not
  // declare this, and the audit shows it as a hazard.)
  for (Policy& p : all) p.guarantees.rejects_non_finite = true;
  return all;
}

}  // namespace

const std::vector<Policy>& presets() {
  static const std::vector<Policy> all = make_presets();
  return all;
}

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  for (const Policy& p : presets()) names.push_back(p.name);
  return names;
}

const Policy& find_preset(const std::string& name) {
  for (const Policy& p : presets())
    if (p.name == name) return p;
  std::string known;
  for (const Policy& p : presets()) known += (known.empty() ? "" : ", ") + p.name;
  throw UsageError("unknown policy '" + name + "' (known: " + known + ")");
}

}  // namespace quantcheck
