#include "quantcheck/policy.hpp"

#include <cstdlib>
#include <limits>

namespace quantcheck {

std::int64_t bias_min(BiasType t) {
  return t == BiasType::int32 ? std::numeric_limits<std::int32_t>::min()
                              : std::numeric_limits<std::int64_t>::min();
}

std::int64_t bias_max(BiasType t) {
  return t == BiasType::int32 ? std::numeric_limits<std::int32_t>::max()
                              : std::numeric_limits<std::int64_t>::max();
}

std::int64_t weight_abs_max(const Policy& p) {
  if (p.scheme == Scheme::asymmetric) return std::int64_t{p.qmax} - p.qmin;
  return std::max(std::llabs(p.qmin), std::llabs(p.qmax));
}

std::string to_string(WeightType t) {
  switch (t) {
    case WeightType::uint8: return "uint8";
    case WeightType::int8: return "int8";
    case WeightType::int16: return "int16";
  }
  return "?";
}

std::string to_string(BiasType t) { return t == BiasType::int32 ? "int32" : "int64"; }

std::string to_string(Scheme s) { return s == Scheme::asymmetric ? "asymmetric" : "symmetric"; }

std::string to_string(Granularity g) {
  return g == Granularity::per_channel ? "per_channel" : "per_tensor";
}

std::string to_string(WeightArithmetic a) {
  switch (a) {
    case WeightArithmetic::float32_inverse: return "float32_inverse";
    case WeightArithmetic::float32_range_inverse: return "float32_range_inverse";
    case WeightArithmetic::float64_divide: return "float64_divide";
    case WeightArithmetic::float32_divide: return "float32_divide";
    case WeightArithmetic::exact: return "exact";
  }
  return "?";
}

std::string to_string(AsymmetricForm f) {
  return f == AsymmetricForm::add_zero_point ? "add_zero_point" : "offset_from_nmin";
}

std::string to_string(Rounding r) {
  return r == Rounding::half_away_from_zero ? "half_away_from_zero" : "half_to_even";
}

std::string to_string(BiasArithmetic a) {
  switch (a) {
    case BiasArithmetic::float32_inverse: return "float32_inverse";
    case BiasArithmetic::float32_plain_inverse: return "float32_plain_inverse";
    case BiasArithmetic::float64_divide: return "float64_divide";
    case BiasArithmetic::exact: return "exact";
  }
  return "?";
}

std::string to_string(OutOfRange o) {
  switch (o) {
    case OutOfRange::saturate: return "saturate";
    case OutOfRange::saturate_symmetric: return "saturate_symmetric";
    case OutOfRange::x86_cast: return "x86_cast";
    case OutOfRange::clip_then_x86_cast: return "clip_then_x86_cast";
    case OutOfRange::x86_int64_then_clamp: return "x86_int64_then_clamp";
    case OutOfRange::x86_int32_narrowed: return "x86_int32_narrowed";
  }
  return "?";
}

std::string to_string(BiasFit f) {
  switch (f) {
    case BiasFit::none: return "none";
    case BiasFit::tflite_half_range: return "tflite_half_range";
    case BiasFit::onnxruntime_1_0001: return "onnxruntime_1_0001";
    case BiasFit::aimet: return "aimet";
    case BiasFit::reference_headroom: return "reference_headroom";
  }
  return "?";
}

std::vector<std::string> declared_guarantees(const Guarantees& g) {
  std::vector<std::string> out;
  if (g.valid_scales) out.emplace_back("valid_scales");
  if (g.weight_error_bound) out.emplace_back("weight_error_bound");
  if (g.no_bias_saturation) out.emplace_back("no_bias_saturation");
  if (g.bias_sign_preserved) out.emplace_back("bias_sign_preserved");
  if (g.bias_error_bound) out.emplace_back("bias_error_bound");
  if (g.accumulator_headroom) out.emplace_back("accumulator_headroom");
  if (g.rejects_non_finite) out.emplace_back("rejects_non_finite");
  return out;
}

}  // namespace quantcheck
