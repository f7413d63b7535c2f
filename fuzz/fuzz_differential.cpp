// fuzz_differential: code paths that must agree, on one case file; any
// difference traps. Per preset:
//   1. the weight loop (templated, vectorised fast paths) against the plain
//      formula of docs/policies.md, element by element, with an exact
//      rational rounding for the exact and float64 arithmetics;
//   2. quantize_bias_value against the plain bias formula, the saturated flag
//      against an exact quotient, and float64 against exact bias arithmetic
//      wherever |b / s_b| < 2^27 (there a double quotient of two floats
//      rounds like the exact one: its error is below the distance to a tie);
//   3. the whole filter against each output channel quantized alone (a
//      per-channel policy must not let channels influence each other);
//   4. per-channel against per-tensor on a one-channel filter (TFLite's bias
//      guard is left out: TFLite itself writes that test two ways, float32
//      |b| / INT32_MAX for per-tensor and a double product per channel);
//   5. exact.hpp's round_quotient / within_half_step against the independent
//      float32 quotient of fuzz_support.cpp on pairs of the case's values.
// Input format and mutator as fuzz_case_flatbuffer.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>

#include "case_mutator.hpp"
#include "fuzz_support.hpp"
#include "quantcheck/casefile.hpp"
#include "quantcheck/error.hpp"

namespace {

using namespace quantcheck;
using fuzz::fail;

double round_by(Rounding r, double v) {
  return r == Rounding::half_to_even ? std::nearbyint(v) : std::round(v);
}

// The out-of-range rule applied to a rounded value, restated from
// docs/policies.md: saturate (NaN -> 0), TFLite's SafeCast then clamp to
// [-max, max], or the x86-64 cast result INT_MIN for anything out of range.
std::int64_t apply_rule(double r, OutOfRange rule, std::int64_t lo, std::int64_t hi) {
  const bool nan = std::isnan(r);
  const bool out = !nan && (r < static_cast<double>(lo) || r >= -static_cast<double>(lo));
  if (rule == OutOfRange::x86_cast) return nan || out ? lo : static_cast<std::int64_t>(r);
  if (nan) return 0;
  std::int64_t v = out ? (r < 0 ? lo : hi) : static_cast<std::int64_t>(r);
  if (rule == OutOfRange::saturate_symmetric && v < -hi) v = -hi;
  return v;
}

// One weight by the plain formula.
std::int32_t plain_weight(const Policy& p, const ChannelParams& cp, float x) {
  constexpr std::int64_t lo = std::numeric_limits<std::int32_t>::min();
  constexpr std::int64_t hi = std::numeric_limits<std::int32_t>::max();
  std::int64_t q = 0;
  bool add_zp = true;
  switch (p.weight_arithmetic) {
    case WeightArithmetic::float32_inverse: {
      const float inv = cp.scale == 0 ? std::numeric_limits<float>::infinity() : 1.0f / cp.scale;
      float v;
      if (p.scheme == Scheme::asymmetric && p.asymmetric_form == AsymmetricForm::offset_from_nmin) {
        const float nmin = static_cast<float>(p.qmin - cp.zero_point) * cp.scale;
        const float nmax = static_cast<float>(p.qmax - cp.zero_point) * cp.scale;
        v = (std::min(std::max(x, nmin), nmax) - nmin) * inv;
        add_zp = false;
      } else {
        v = x * inv;
      }
      q = apply_rule(round_by(p.rounding, v), p.weight_out_of_range, lo, hi);
      break;
    }
    case WeightArithmetic::float32_range_inverse: {
      const float range = std::max(std::fabs(std::min(0.0f, cp.range_min)),
                                   std::fabs(std::max(0.0f, cp.range_max)));
      const float r = cp.fitted_range > 0 ? cp.fitted_range : range;
      const float inv = r == 0 ? 0.0f : static_cast<float>(p.scale_divisor) / r;
      q = apply_rule(round_by(p.rounding, x * inv), p.weight_out_of_range, lo, hi);
      break;
    }
    case WeightArithmetic::float64_divide:
    case WeightArithmetic::exact: {
      if (!(cp.scale > 0))  // the library would divide by zero
        fail(p.name + ": exact/float64 weight arithmetic with a zero or negative scale");
      // x / inf = 0: an infinite scale (a bias fit that overflowed) puts every weight at zp.
      const auto e = std::isinf(cp.scale) ? std::optional<int128>(0)
                                          : fuzz::round_float_quotient(x, cp.scale, p.rounding);
      q = e ? static_cast<std::int64_t>(std::max<int128>(lo, std::min<int128>(hi, *e)))
            : (x < 0 ? lo : hi);
      break;
    }
  }
  if (add_zp) q += cp.zero_point;
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(q, p.qmin, p.qmax));
}

// One bias by the plain formula.
std::int64_t plain_bias(const Policy& p, float b, float s_b) {
  const std::int64_t lo = p.bias_type == BiasType::int32 ? std::numeric_limits<std::int32_t>::min()
                                                         : std::numeric_limits<std::int64_t>::min();
  const std::int64_t hi = p.bias_type == BiasType::int32 ? std::numeric_limits<std::int32_t>::max()
                                                         : std::numeric_limits<std::int64_t>::max();
  double r = 0;
  switch (p.bias_arithmetic) {
    case BiasArithmetic::float32_inverse: {
      const float inv = s_b == 0 ? 0.0f : static_cast<float>(1.0 / static_cast<double>(s_b));
      r = round_by(p.rounding, b * inv);
      break;
    }
    case BiasArithmetic::float64_divide:
      r = s_b == 0 ? 0.0 : round_by(p.rounding, double(b) / double(s_b));
      break;
    case BiasArithmetic::exact: {
      if (!(s_b > 0) || !std::isfinite(s_b)) break;
      const auto e = fuzz::round_float_quotient(b, s_b, p.rounding);
      if (e && *e >= lo && *e <= hi) return static_cast<std::int64_t>(*e);
      r = b < 0 ? -HUGE_VAL : HUGE_VAL;
      break;
    }
  }
  return apply_rule(r, p.bias_out_of_range, lo, hi);
}

bool same_float(float a, float b) { return std::memcmp(&a, &b, 4) == 0; }

bool same_params(const ChannelParams& a, const ChannelParams& b) {
  return same_float(a.range_min, b.range_min) && same_float(a.range_max, b.range_max) &&
         same_float(a.scale, b.scale) && a.zero_point == b.zero_point &&
         a.raised_for_bias == b.raised_for_bias && same_float(a.fitted_range, b.fitted_range);
}

std::optional<Result> try_quantize(const Policy& p, const Case& c) {
  try {
    return quantize(p, c);
  } catch (const InputError&) {
    return std::nullopt;  // the reference policies refuse infeasible biases
  }
}

void check_weights_and_bias(const Policy& p, const Case& c, const Result& r) {
  const bool per_tensor = p.granularity == Granularity::per_tensor;
  for (std::size_t i = 0; i < c.weights.size(); ++i) {
    const std::int64_t ch = fuzz::channel_of(r.layout, i);
    const ChannelParams& cp = r.weights.channels[per_tensor ? 0 : ch];
    const std::int32_t want = plain_weight(p, cp, c.weights[i]);
    if (r.weights.q[i] != want)
      fail(p.name + ": weight loop gives " + std::to_string(r.weights.q[i]) + " at element " +
               std::to_string(i) + ", the plain formula " + std::to_string(want),
           &c);
  }
  Policy as_float64 = p, as_exact = p;
  as_float64.bias_arithmetic = BiasArithmetic::float64_divide;
  as_exact.bias_arithmetic = BiasArithmetic::exact;
  for (std::size_t ch = 0; ch < c.bias.size(); ++ch) {
    const float b = c.bias[ch];
    const float s_b = r.bias.scale[ch];
    bool saturated = false;
    const std::int64_t q = quantize_bias_value(p, b, s_b, &saturated);
    if (q != r.bias.q[ch] || saturated != r.bias.saturated[ch])
      fail(p.name + ": quantize() and quantize_bias_value disagree on bias " + std::to_string(ch),
           &c);
    if (q != plain_bias(p, b, s_b))
      fail(p.name + ": quantize_bias_value gives " + std::to_string(q) + " for bias " +
               std::to_string(ch) + ", the plain formula " + std::to_string(plain_bias(p, b, s_b)),
           &c);
    if (s_b > 0 && std::isfinite(s_b)) {
      const auto e = fuzz::round_float_quotient(b, s_b, p.rounding);
      if (e && *e > -(int128{1} << 27) && *e < (int128{1} << 27)) {
        const std::int64_t q64 = quantize_bias_value(as_float64, b, s_b, nullptr);
        const std::int64_t qex = quantize_bias_value(as_exact, b, s_b, nullptr);
        if (q64 != qex || int128{qex} != *e)
          fail(p.name + ": float64 and exact bias arithmetic disagree below 2^27: " +
                   std::to_string(q64) + " vs " + std::to_string(qex),
               &c);
      }
    }
  }
}

void check_channels_alone(const Policy& p, const Case& c, const Result& whole) {
  if (p.granularity != Granularity::per_channel) return;
  for (std::int64_t ch = 0; ch < whole.layout.channels; ++ch) {
    const Case one = fuzz::slice_channel(c, whole.layout, ch);
    const auto alone = try_quantize(p, one);
    if (!alone) fail(p.name + ": channel " + std::to_string(ch) + " alone was refused", &c);
    if (!same_params(alone->weights.channels[0], whole.weights.channels[ch]))
      fail(p.name + ": channel " + std::to_string(ch) + " parameters change when it is alone", &c);
    std::size_t k = 0;
    for (std::size_t i = 0; i < c.weights.size(); ++i)
      if (fuzz::channel_of(whole.layout, i) == ch && whole.weights.q[i] != alone->weights.q[k++])
        fail(p.name + ": weight " + std::to_string(i) + " changes when its channel is alone", &c);
    if (!c.bias.empty() && (alone->bias.q[0] != whole.bias.q[ch] ||
                            !same_float(alone->bias.scale[0], whole.bias.scale[ch])))
      fail(p.name + ": bias " + std::to_string(ch) + " changes when its channel is alone", &c);
  }
}

void check_per_tensor_on_one_channel(const Policy& p, const Case& c, const Layout& l) {
  if (p.bias_fit == BiasFit::tflite_half_range) return;  // two formulas in TFLite itself
  const Case one = fuzz::slice_channel(c, l, 0);
  Policy pc = p, pt = p;
  pc.granularity = Granularity::per_channel;
  pt.granularity = Granularity::per_tensor;
  const auto a = try_quantize(pc, one);
  const auto b = try_quantize(pt, one);
  if (a.has_value() != b.has_value())
    fail(p.name + ": per-channel and per-tensor disagree on refusing one channel", &c);
  if (!a) return;
  if (!same_params(a->weights.channels[0], b->weights.channels[0]) ||
      a->weights.q != b->weights.q || a->bias.q != b->bias.q ||
      a->bias.saturated != b->bias.saturated || a->findings.size() != b->findings.size())
    fail(p.name + ": per-channel and per-tensor differ on a one-channel filter", &c);
}

void check_exact_division(const Case& c) {
  std::vector<float> v(c.weights.begin(),
                       c.weights.begin() + std::min<std::size_t>(8, c.weights.size()));
  v.insert(v.end(), c.bias.begin(), c.bias.begin() + std::min<std::size_t>(4, c.bias.size()));
  v.push_back(c.input_scale);
  for (float num : v)
    for (float den : v) {
      if (den == 0) continue;
      for (Rounding rounding : {Rounding::half_away_from_zero, Rounding::half_to_even}) {
        const auto lib = round_quotient(num, den, rounding);
        const auto ind = fuzz::round_float_quotient(num, den, rounding);
        const int128 limit = int128{1} << 63;
        const bool ind_small = ind && *ind > -limit && *ind < limit;
        if (ind_small != (lib.has_value() && *lib > -limit && *lib < limit) ||
            (ind_small && *lib != *ind))
          fail("round_quotient disagrees with the independent exact quotient", &c);
        if (ind_small)
          for (int128 q : {*ind - 1, *ind, *ind + 1})
            if (within_half_step(q, num, den) != fuzz::float_within_half_step(q, num, den))
              fail("within_half_step disagrees with the independent exact quotient", &c);
      }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto rec = decode_case_file(data, size);
  if (!rec) return 0;
  Layout l;
  try {
    l = validate(rec->c);
  } catch (const InputError&) {
    return 0;
  }
  check_exact_division(rec->c);
  for (const Policy* p : fuzz::policies_for(rec->policy)) {
    const auto r = try_quantize(*p, rec->c);
    if (!r) continue;
    check_weights_and_bias(*p, rec->c, *r);
    check_channels_alone(*p, rec->c, *r);
    check_per_tensor_on_one_channel(*p, rec->c, l);
  }
  return 0;
}

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
  return fuzz::mutate_case_file(data, size, max_size, seed);
}
