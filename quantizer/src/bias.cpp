// Bias quantization: q_b = round(b / s_b) with s_b = float32(s_in * s_w), in
// the policy's arithmetic, then its out-of-range rule. The peers' undefined
// float-to-int casts are never executed: their x86-64 results are computed.
#include <algorithm>
#include <cmath>
#include <limits>

#include "quantcheck/quantize.hpp"

namespace quantcheck {
namespace {

// Applies the policy's out-of-range rule to a rounded value r of the bias
// quotient (NaN and +-Inf included), for the bias type's limits [lo, hi].
std::int64_t cast_bias(double r, OutOfRange rule, std::int64_t lo, std::int64_t hi) {
  // Exact bounds: hi + 1 and lo are powers of two, so both are exact doubles.
  const double lo_d = static_cast<double>(lo);
  const double above_hi = -lo_d;  // hi + 1
  const bool nan = std::isnan(r);
  const bool out = !nan && (r < lo_d || r >= above_hi);
  switch (rule) {
    case OutOfRange::x86_cast:
      // cvttss2si / cvttsd2si give the "integer indefinite" value INT_MIN.
      if (nan || out) return lo;
      return static_cast<std::int64_t>(r);
    case OutOfRange::saturate:
      if (nan) return 0;
      if (out) return r < 0 ? lo : hi;
      return static_cast<std::int64_t>(r);
    case OutOfRange::clip_then_x86_cast:
      // numpy: clip keeps NaN, astype(int32) of NaN is INT32_MIN on x86-64.
      if (nan) return lo;
      if (out) return r < 0 ? lo : hi;
      return static_cast<std::int64_t>(r);
    case OutOfRange::x86_int64_then_clamp:
      // PyTorch: static_cast<int64_t> (INT64_MIN for NaN, +-inf, |r| >= 2^63),
      // then the clamp to [lo, hi]: INT32_MIN whatever the sign.
      if (nan || !(r >= -0x1p63 && r < 0x1p63)) return lo;
      return std::clamp(static_cast<std::int64_t>(r), lo, hi);
    case OutOfRange::x86_int32_narrowed:  // a weight rule; as x86_cast for a bias
      if (nan || out) return lo;
      return static_cast<std::int64_t>(r);
    case OutOfRange::saturate_symmetric: {
      // TFLite: SafeCast (NaN -> 0, saturate) then clamp to [-hi, hi].
      if (nan) return 0;
      std::int64_t v = out ? (r < 0 ? lo : hi) : static_cast<std::int64_t>(r);
      return v < -hi ? -hi : v;
    }
  }
  return 0;
}

double round_by(Rounding r, double v) {
  return r == Rounding::half_to_even ? std::nearbyint(v) : std::round(v);
}

}  // namespace

std::int64_t quantize_bias_value(const Policy& p, float b, float s_b, bool* saturated) {
  const std::int64_t lo = bias_min(p.bias_type);
  const std::int64_t hi = bias_max(p.bias_type);

  // What the exact quotient says: does b / s_b fit the type at all?
  bool fits;
  if (!(s_b > 0) || !std::isfinite(s_b)) {
    fits = b == 0 || std::isinf(s_b);  // b / 0 is unbounded; b / inf is 0
  } else {
    const auto exact = round_quotient(b, s_b, p.rounding);
    fits = exact && *exact >= lo && *exact <= hi;
  }
  if (saturated) *saturated = !fits;

  double r = 0.0;
  switch (p.bias_arithmetic) {
    case BiasArithmetic::float32_inverse: {
      const float inv = s_b == 0 ? 0.0f : static_cast<float>(1.0 / static_cast<double>(s_b));
      const float v = b * inv;
      r = round_by(p.rounding, v);
      break;
    }
    case BiasArithmetic::float32_plain_inverse: {
      // PyTorch: 1.0f / s_b with no zero check (written without the division
      // by zero, which UBSan reports).
      const float inv = s_b == 0 ? std::numeric_limits<float>::infinity() : 1.0f / s_b;
      r = round_by(p.rounding, b * inv);
      break;
    }
    case BiasArithmetic::float64_divide:
      // ONNX Runtime: b / 0 is +-inf, 0 / 0 NaN (for the out-of-range rule).
      if (s_b == 0)
        r = b == 0 ? std::numeric_limits<double>::quiet_NaN()
                   : std::copysign(std::numeric_limits<double>::infinity(), b);
      else
        r = round_by(p.rounding, static_cast<double>(b) / static_cast<double>(s_b));
      break;
    case BiasArithmetic::exact: {
      if (!(s_b > 0) || !std::isfinite(s_b)) {
        r = 0.0;
        break;
      }
      const auto exact = round_quotient(b, s_b, p.rounding);
      if (exact && *exact >= lo && *exact <= hi) return static_cast<std::int64_t>(*exact);
      r = b < 0 ? -std::numeric_limits<double>::infinity()
                : std::numeric_limits<double>::infinity();
      break;
    }
  }
  return cast_bias(r, p.bias_out_of_range, lo, hi);
}

}  // namespace quantcheck
