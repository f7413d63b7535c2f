// The catalogue: every property's name, the guarantee it checks, and its
// statement (docs/properties.md is the same text with examples).
#include <cstring>

#include "checks.hpp"
#include "quantcheck/error.hpp"
#include "quantcheck/runtime_properties.hpp"

namespace quantcheck {

const std::vector<Property>& properties() {
  static const std::vector<Property> all = {
      {"scales_valid", "valid_scales",
       "Every weight scale is a finite, normal float32 (at least FLT_MIN) and at or above the "
       "floor the quantizer declares, and every bias scale s_in * s_w is a finite, normal float32. "
       "A zero, subnormal or infinite scale makes the integers meaningless (1/s overflows, "
       "s_in * s_w underflows to 0 and the bias is lost).",
       PropertyInput::finite, &check::scales_valid},
      {"zero_point_in_range", "all",
       "Every zero point lies in the weight integer range [qmin, qmax], and is exactly 0 for a "
       "symmetric scheme. A zero point outside the range cannot be stored and shifts every value "
       "of the channel.",
       PropertyInput::finite, &check::zero_point_in_range},
      {"zero_exact", "weight_error_bound",
       "Every weight equal to +0 or -0 quantizes to exactly the channel's zero point, so real 0 "
       "(padding, pruned weights, dead channels) dequantizes to exactly 0. This is the half-step "
       "bound at x = 0, where nothing but q = zp is within half a step.",
       PropertyInput::finite, &check::zero_exact},
      {"weight_round_trip", "weight_error_bound",
       "Every stored weight q lies in [qmin, qmax]. Inside the nudged range [(qmin - zp) s, "
       "(qmax - zp) s] the dequantized value (q - zp) s is within half a step of x, decided "
       "exactly: |(q - zp) - x / s| <= 1/2 with x / s computed as an exact rational "
       "(quantcheck::divide_exact). Outside it, q is the range end on x's side (clipping).",
       PropertyInput::finite, &check::weight_round_trip},
      {"weight_idempotent", "all",
       "Re-quantizing the dequantized weights on the same grid gives back the same integers: "
       "quantize(dequantize(q)) == q. Every weight but each channel's smallest and largest is "
       "replaced by its dequantized value (q - zp) s, rounded to float32 and kept inside the "
       "channel's [min, max] so that the range, hence the scale and zero point, cannot move; "
       "quantizing that case (same bias and input scale) must give the same integers. A "
       "quantizer that does not return its own grid points to themselves is not rounding to "
       "that grid.",
       PropertyInput::finite, &check::weight_idempotent},
      {"weight_monotone", "all",
       "Within one channel, quantization is monotone: x <= y implies q(x) <= q(y), and equal "
       "weights get equal integers. A non-finite inverse scale (1 / subnormal) breaks this.",
       PropertyInput::finite, &check::weight_monotone},
      {"channel_independent", "all",
       "For a per-channel quantizer, a channel's scale, zero point, integers, bias scale and bias "
       "are the same whether it is quantized with the other channels or beside a copy of itself "
       "(same input scale, its own bias; not alone: TFLite rightly treats a one-channel filter as "
       "per-layer). One channel's values must never move another channel's grid.",
       PropertyInput::finite, &check::channel_independent},
      {"power_of_two_rescaling", "all",
       "Multiplying one channel's weights by 2^k (k = 1, -3, 9; biases set to 0) multiplies its "
       "scale by exactly 2^k and leaves its zero point and integers unchanged, whenever the "
       "scaling is exact and no floor or limit is active: the channel is not all zero, both "
       "scales are normal and at least twice the declared floor, both bias scales are normal "
       "and at least twice the declared bias-scale floor, and the range spans at least a quarter "
       "of the integer "
       "range in steps (a floor, a tiny-scale replacement or a bias fit would leave it a few "
       "steps wide). The scale is then a function of the range alone.",
       PropertyInput::finite, &check::power_of_two_rescaling},
      {"bias_scale_product", "all",
       "Every bias scale equals float32(s_in * s_w[c]) bit for bit, the scale a runtime derives "
       "for the bias of channel c. Any other value makes the stored integer mean something else.",
       PropertyInput::finite, &check::bias_scale_product},
      {"bias_no_saturation", "no_bias_saturation",
       "Wherever the bias scale s_b = float32(s_in * s_w) is a positive finite float, the exact "
       "rational b / s_b rounds to an integer inside the bias type (int32 for 8-bit weights, "
       "int64 for int16): the bias never has to saturate. A positive weight scale whose product "
       "with s_in underflows to 0 under a non-zero bias is a saturation too (b / 0 is "
       "unbounded; TFLite's guard on a dead channel with a subnormal bias). ONE #6970: s_b = "
       "7.6e-28 and b = -1.2157 give 1.6e27, far beyond "
       "int64.",
       PropertyInput::finite, &check::bias_no_saturation},
      {"bias_sign_preserved", "bias_sign_preserved",
       "The stored bias integer never has the opposite sign of the real bias, and a zero bias "
       "stores 0. luci's cast-before-clamp turns an overflowing positive int32 bias into "
       "INT32_MIN.",
       PropertyInput::finite, &check::bias_sign_preserved},
      {"bias_round_trip", "bias_error_bound",
       "Every stored bias q_b is within half a step of the real bias: |q_b - b / s_b| <= 1/2, "
       "decided exactly with s_b = float32(s_in * s_w). A zero or non-finite s_b only admits "
       "b = 0 and q_b = 0.",
       PropertyInput::finite, &check::bias_round_trip},
      {"accumulator_headroom", "accumulator_headroom",
       "For every output channel, |q_b| plus the worst-case sum of its K products "
       "(K * max|q_in - zp_in| * max|q_w - zp_w|, from the integer ranges) fits the accumulator "
       "(int32 with an int32 bias, int64 with int64), computed exactly in 128-bit integers. "
       "Otherwise a legal input can overflow the sum the runtime computes.",
       PropertyInput::finite, &check::accumulator_headroom},
      {"bias_never_lowers_scale", "all",
       "A bias fit only raises weight scales: every weight scale is at least the scale the same "
       "case gets with every bias set to 0 (the quantizer header's invariant, for the fits of "
       "TFLite, ONNX Runtime, ONE #7017 and the reference). A fit that lowered a scale would "
       "clip the channel's largest weights and grow the bias quotient it was meant to shrink.",
       PropertyInput::finite, &check::bias_never_lowers_scale},
      {"non_finite_rejected", "rejects_non_finite",
       "A case holding NaN, +Inf or -Inf in any weight, bias or the input scale is rejected with "
       "InputError (exit code 2 in the CLI), never quantized and never a crash.",
       PropertyInput::non_finite, &check::non_finite_rejected},
  };
  return all;
}

const Property& find_property(const std::string& name) {
  for (const Property& p : properties())
    if (name == p.name) return p;
  for (const Property& p : runtime_properties())
    if (name == p.name) return p;
  std::string known;
  for (const Property& p : properties()) known += (known.empty() ? "" : ", ") + std::string(p.name);
  for (const Property& p : runtime_properties()) known += ", " + std::string(p.name);
  throw UsageError("unknown property '" + name + "' (known: " + known + ")");
}

bool is_declared(const Property& p, const Guarantees& g) {
  const std::string want = p.guarantee;
  if (want == "all") return true;
  for (const std::string& name : declared_guarantees(g))
    if (name == want) return true;
  return false;
}

}  // namespace quantcheck
