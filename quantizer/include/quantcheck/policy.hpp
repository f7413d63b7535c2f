// A scale policy is data: one plain struct of knobs that together say how a
// quantizer turns a float filter and bias into integers. Every real quantizer
// quantcheck knows is a value of this struct (see presets.hpp); the formulas
// the knobs select are in docs/policies.md and quantizer/src/*.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "quantcheck/exact.hpp"

namespace quantcheck {

enum class WeightType { uint8, int8, int16 };
enum class BiasType { int32, int64 };

// asymmetric: q = round(x / s) + zp over [qmin, qmax]; symmetric: zp = 0.
enum class Scheme { asymmetric, symmetric };
enum class Granularity { per_channel, per_tensor };

// How the integer for one weight is computed from x and the scale s.
enum class WeightArithmetic {
  float32_inverse,        // inv = 1.0f / s; q = round(float(x * inv))       (ONE luci, PyTorch)
  float32_range_inverse,  // inv = float(divisor / range); q = round(x * inv) (TFLite)
  float64_divide,         // q = round(double(x) / double(s))
  float32_divide,         // q = round(float(x) / float(s)) in float32     (ONNX Runtime)
  exact,                  // q = round(x / s) exactly                        (reference)
};

// How luci and the others place an asymmetric value on the grid.
enum class AsymmetricForm {
  add_zero_point,    // q = clamp(round(x / s) + zp)                 (ONNX Runtime, PyTorch)
  offset_from_nmin,  // q = round((clip(x, nmin, nmax) - nmin) / s)   (ONE luci uint8)
};

// How the bias integer is computed from b and s_b = float32(s_in * s_w).
enum class BiasArithmetic {
  float32_inverse,  // inv = float(1.0 / double(s_b)) (0 if s_b == 0); q = round(float(b * inv))
  // inv = 1.0f / s_b with no zero check (+inf for s_b == 0, so b * inv is +-inf
  // or NaN); q = round(float(b * inv))                                  (PyTorch)
  float32_plain_inverse,
  // q = round(double(b) / double(s_b)); s_b == 0 gives +-inf (NaN for b = 0),
  // left to the out-of-range rule                                       (ONNX Runtime)
  float64_divide,
  exact,  // q = round(b / s_b) exactly in 128-bit integers
};

// What happens to a rounded value outside the integer type (and to NaN).
enum class OutOfRange {
  saturate,            // clamp to [min, max]; NaN -> 0                (ONNX Runtime, PyTorch)
  saturate_symmetric,  // TFLite SafeCast then clamp to [-max, max]; NaN -> 0
  x86_cast,            // the x86-64 result of the unchecked cast: INT_MIN (ONE luci)
  // numpy clip to [min, max], then astype: +-inf saturate, NaN survives the
  // clip and its x86-64 cast gives INT_MIN                               (ONNX Runtime bias)
  clip_then_x86_cast,
  // the x86-64 cast to int64 (INT64_MIN for NaN, +-inf and |v| >= 2^63), then
  // the clamp to the type: beyond int64 becomes the type's min whatever the sign
  // (PyTorch quantize_val)
  x86_int64_then_clamp,
  // weights: the x86-64 cast to int32 (INT32_MIN for NaN, +-inf, out of range),
  // narrowed to the weight type's width before the clamp (TFLite's
  // static_cast<int32_t> then std::max<int8_t>: +-inf becomes 0)
  x86_int32_narrowed,
};

// What a policy does when the bias does not fit with the computed scales.
enum class BiasFit {
  none,                // quantize as is (ONE luci, PyTorch)
  tflite_half_range,   // |b| >= 0.5 s_in s_w INT32_MAX -> s_w = 2|b| / (s_in INT32_MAX)
  onnxruntime_1_0001,  // s_w raised so s_in s_w >= 1.0001 * 2|b| / (2^32 - 2)
  aimet,               // s_w >= |b| / (2^31 s_in)
  reference_headroom,  // least s_w with |q_b| + K max|q_in| max|q_w| <= accumulator max
};

// The promises a policy makes; the property suite holds each preset to its own.
struct Guarantees {
  bool valid_scales = false;          // every scale finite, normal, >= floor; zp in range
  bool weight_error_bound = false;    // |deq(q) - x| <= s/2 inside the nudged range
  bool no_bias_saturation = false;    // the exact bias quotient fits the bias type
  bool bias_sign_preserved = false;   // sign(q_b) never opposes sign(b)
  bool bias_error_bound = false;      // |deq(q_b) - b| <= s_b/2
  bool accumulator_headroom = false;  // |q_b| + K max|q_in| max|q_w| fits the accumulator
  bool rejects_non_finite = false;    // NaN / +-Inf in a case is refused, never quantized
};

struct Policy {
  std::string name;
  std::string origin;  // where the rule comes from (project, PR, version)

  WeightType weight_type = WeightType::int8;
  Scheme scheme = Scheme::symmetric;
  Granularity granularity = Granularity::per_channel;
  std::int32_t qmin = -127;  // weight integer range
  std::int32_t qmax = 127;
  // s = range / scale_divisor; range is max|x| (symmetric) or rmax - rmin.
  double scale_divisor = 127.0;
  // Largest |q_in - zp_in| of the activation feeding the op (255 for 8-bit
  // asymmetric activations, 32768 for int16): used for accumulator headroom.
  std::int64_t activation_abs_max = 255;

  WeightArithmetic weight_arithmetic = WeightArithmetic::float32_inverse;
  AsymmetricForm asymmetric_form = AsymmetricForm::add_zero_point;
  Rounding rounding = Rounding::half_away_from_zero;
  bool scale_in_float64 = false;  // range / divisor in double, then to float32
  bool round_scale_up = false;    // float32 scale rounded up so range / s <= divisor
  // ONNX Runtime (with scale_in_float64): the range rmax - rmin (2 max|x| when
  // symmetric) is a float32 difference, which may overflow to inf, and the
  // float64 division is by qmax - qmin.
  bool range_in_float32 = false;
  // ONE luci uint8 and ONNX Runtime (with scale_in_float64): the tiny-scale
  // test, the float64 floor, the zero point and the nudged range use the
  // float64 scale, which is rounded to float32 only when stored.
  bool zero_point_from_float64_scale = false;
  // ONE luci uint8: scale < floor -> floor, tested and applied in float64
  // (luci's 1e-5 is a double; 0: none). Needs zero_point_from_float64_scale.
  double float64_scale_floor = 0.0;

  float scale_floor = 0.0f;             // s = max(s, floor) (0: none)
  float tiny_scale_threshold = 0.0f;    // s < threshold -> s = replacement, zp = 0
  float tiny_scale_replacement = 1.0f;  //   (ONE #6971: FLT_EPSILON -> 1; ORT: FLT_MIN -> 1)
  float bias_scale_floor = 0.0f;        // least s_in * s_w, raising s_w (ONE #7017: 1e-15)

  BiasType bias_type = BiasType::int32;
  BiasArithmetic bias_arithmetic = BiasArithmetic::float32_inverse;
  BiasFit bias_fit = BiasFit::none;
  OutOfRange weight_out_of_range = OutOfRange::saturate;
  OutOfRange bias_out_of_range = OutOfRange::saturate;

  Guarantees guarantees;
};

// Integer limits of a bias type.
std::int64_t bias_min(BiasType t);
std::int64_t bias_max(BiasType t);
// Largest |q_w - zp_w| the weight range allows (127, 128, 255, 32767, ...).
std::int64_t weight_abs_max(const Policy& p);

std::string to_string(WeightType);
std::string to_string(BiasType);
std::string to_string(Scheme);
std::string to_string(Granularity);
std::string to_string(WeightArithmetic);
std::string to_string(AsymmetricForm);
std::string to_string(Rounding);
std::string to_string(BiasArithmetic);
std::string to_string(OutOfRange);
std::string to_string(BiasFit);

// The names of the guarantees a policy declares, in catalogue order.
std::vector<std::string> declared_guarantees(const Guarantees& g);

}  // namespace quantcheck
