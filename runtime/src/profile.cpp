#include "quantcheck/runtime/profile.hpp"

#include <algorithm>
#include <cmath>

namespace quantcheck {

const RuntimePath& path_for(const RuntimeProfile& p, ActivationType a) {
  return a == ActivationType::int16 ? p.sixteen_bit : p.eight_bit;
}

RequantRounding rounding_for(const RuntimePath& path, OpKind op) {
  if (op == OpKind::depthwise_conv2d && path.depthwise_rounding) return *path.depthwise_rounding;
  return path.rounding;
}

ScaleComputation scale_for(const RuntimePath& path, OpKind op) {
  if (op == OpKind::fully_connected && path.fully_connected_scale)
    return *path.fully_connected_scale;
  return path.scale;
}

int requantization_bound_lsb(const RuntimePath& path) {
  switch (path.rounding) {
    case RequantRounding::single_rhu:
    case RequantRounding::int64_reduced_single_rhu:
    case RequantRounding::mantissa24_rhu: return 0;  // one exact rounding of acc * M_repr
    case RequantRounding::srdhm_rhu_then_rdbpot_rhafz:
    case RequantRounding::ruy_x86_rhu_then_rhu:
      return 1;  // two roundings: the first can move the second across a tie
    case RequantRounding::float32_rne:
    case RequantRounding::float64_rne:
      return 1;  // the float product is rounded before the final rounding
  }
  return 1;
}

double multiplier_relative_bound(const RuntimePath& path) {
  // The scale computation (docs/runtimes.md, "Multiplier error"):
  //   double: <= 2 roundings at 2^-53 each; float product then double: 2^-24 + 2^-52;
  //   float32 product and quotient: (1 + 2^-24)^2 - 1 < 2^-23 + 2^-47.
  auto computed_error = [](ScaleComputation sc) {
    switch (sc) {
      case ScaleComputation::double_per_channel: return std::ldexp(1.0, -52);
      case ScaleComputation::float_product_then_double:
        return std::ldexp(1.0, -24) + std::ldexp(1.0, -52);
      case ScaleComputation::float32: return std::ldexp(1.0, -23) + std::ldexp(1.0, -46);
    }
    return 0.0;
  };
  // The larger of the path's and its FULLY_CONNECTED exception's: one bound for every op.
  double computed = computed_error(path.scale);
  if (path.fully_connected_scale)
    computed = std::max(computed, computed_error(*path.fully_connected_scale));
  // The encoding: Q31 rounds f 2^31 with f >= 1/2 to within 1/2: 2^-31
  // relative; the 15-bit qr adds 2^-15 (q >> 16 rounded, qr >= 2^14);
  // the float32 scale and its 24-bit significand are exact.
  double encoded = 0;
  switch (path.multiplier) {
    case MultiplierForm::q31: encoded = std::ldexp(1.0, -31); break;
    case MultiplierForm::q31_reduced15:
      encoded = std::ldexp(1.0, -31) + std::ldexp(1.0, -15) + std::ldexp(1.0, -45);
      break;
    case MultiplierForm::float32_scale:
    case MultiplierForm::mantissa24: encoded = 0; break;
  }
  return computed + encoded + computed * encoded;
}

std::int32_t activation_min(ActivationType a) {
  switch (a) {
    case ActivationType::uint8: return 0;
    case ActivationType::int8: return -128;
    case ActivationType::int16: return -32768;
  }
  return 0;
}

std::int32_t activation_max(ActivationType a) {
  switch (a) {
    case ActivationType::uint8: return 255;
    case ActivationType::int8: return 127;
    case ActivationType::int16: return 32767;
  }
  return 0;
}

std::string to_string(AccumulatorType t) { return t == AccumulatorType::int32 ? "int32" : "int64"; }

std::string to_string(ScaleComputation s) {
  switch (s) {
    case ScaleComputation::double_per_channel: return "double_per_channel";
    case ScaleComputation::float_product_then_double: return "float_product_then_double";
    case ScaleComputation::float32: return "float32";
  }
  return "?";
}

std::string to_string(MultiplierForm f) {
  switch (f) {
    case MultiplierForm::q31: return "q31";
    case MultiplierForm::q31_reduced15: return "q31_reduced15";
    case MultiplierForm::float32_scale: return "float32_scale";
    case MultiplierForm::mantissa24: return "mantissa24";
  }
  return "?";
}

std::string to_string(RequantRounding r) {
  switch (r) {
    case RequantRounding::srdhm_rhu_then_rdbpot_rhafz: return "srdhm_rhu_then_rdbpot_rhafz";
    case RequantRounding::ruy_x86_rhu_then_rhu: return "ruy_x86_rhu_then_rhu";
    case RequantRounding::single_rhu: return "single_rhu";
    case RequantRounding::int64_reduced_single_rhu: return "int64_reduced_single_rhu";
    case RequantRounding::float32_rne: return "float32_rne";
    case RequantRounding::float64_rne: return "float64_rne";
    case RequantRounding::mantissa24_rhu: return "mantissa24_rhu";
  }
  return "?";
}

std::string to_string(OutputClamp c) { return c == OutputClamp::full ? "full" : "symmetric"; }

std::string to_string(ActivationType a) {
  switch (a) {
    case ActivationType::uint8: return "uint8";
    case ActivationType::int8: return "int8";
    case ActivationType::int16: return "int16";
  }
  return "?";
}

}  // namespace quantcheck
