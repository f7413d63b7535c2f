// fuzz_differential: code paths that must agree, on one case file; any
// difference traps. Per preset:
//   1. the weight loop (templated, vectorised fast paths) against the plain
//      formula of docs/policies.md, element by element, with an exact
//      rational rounding for the exact and float64 arithmetics;
//   2. quantize_bias_value against the plain bias formula, the saturated flag
//      against an exact quotient, and float64 against exact bias arithmetic
//      wherever |b / s_b| < 2^27 (there a double quotient of two floats
//      rounds like the exact one: its error is below the distance to a tie);
//   3. the whole filter against output channels quantized alone (a
//      per-channel policy must not let channels influence each other; all
//      of up to three channels, else three, see channels_to_check);
//   4. per-channel against per-tensor on a one-channel filter (TFLite's bias
//      guard is left out: TFLite itself writes that test two ways, float32
//      |b| / INT32_MAX for per-tensor and a double product per channel);
// (exact.hpp's own division is checked against the independent quotient by
// fuzz_exact_division, on raw float pairs.)
// Input format and mutator as fuzz_case_flatbuffer.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <optional>

#include "case_mutator.hpp"
#include "fuzz_support.hpp"
#include "quantcheck/casefile.hpp"

namespace {

using namespace quantcheck;
using fuzz::fail;

double round_by(Rounding r, double v) {
  return r == Rounding::half_to_even ? std::nearbyint(v) : std::round(v);
}

// The out-of-range rule applied to a rounded value, restated from
// docs/policies.md: saturate (NaN -> 0), TFLite's SafeCast then clamp to
// [-max, max], the x86-64 cast result INT_MIN for anything out of range,
// numpy's clip then cast (NaN -> INT_MIN), PyTorch's int64 cast then clamp
// (beyond int64 or NaN -> lo). (x86_int32_narrowed is a weight rule, applied
// by plain_weight.)
std::int64_t apply_rule(double r, OutOfRange rule, std::int64_t lo, std::int64_t hi) {
  const bool nan = std::isnan(r);
  const bool out = !nan && (r < static_cast<double>(lo) || r >= -static_cast<double>(lo));
  if (rule == OutOfRange::x86_cast || rule == OutOfRange::x86_int32_narrowed)
    return nan || out ? lo : static_cast<std::int64_t>(r);
  if (rule == OutOfRange::x86_int64_then_clamp && (nan || !(std::fabs(r) < 0x1p63))) return lo;
  if (nan) return rule == OutOfRange::clip_then_x86_cast ? lo : 0;
  std::int64_t v = out ? (r < 0 ? lo : hi) : static_cast<std::int64_t>(r);
  if (rule == OutOfRange::saturate_symmetric && v < -hi) v = -hi;
  return v;
}

// round(x / s) for finite x and finite s > 0, exactly. The double quotient d
// is within 2^-53 |x / s| of the exact one, so for |d| < 2^30 it is off by
// less than 2^-22, and the rounded fraction d - floor(d) by less than
// 2^-22 + 2^-53. When that fraction is more than 2^-21 away from 1/2, no tie
// and no half-integer lies between d and x / s, so both round to the same
// integer under either tie rule (a fraction just below 0 or above 1 still
// picks the right neighbour). Everything else, near-ties and large quotients,
// takes the exact 128-bit quotient.
std::optional<int128> screened_round_quotient(float x, float s, Rounding rounding) {
  const double d = double(x) / double(s);
  if (std::fabs(d) < 0x1p30) {
    const double fl = std::floor(d);
    const double frac = d - fl;
    if (std::fabs(frac - 0.5) > 0x1p-21) return static_cast<int128>(frac < 0.5 ? fl : fl + 1);
  }
  return fuzz::round_float_quotient(x, s, rounding);
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
        // luci: the nudged range from the float64 scale when it kept one.
        const bool d = cp.scale_f64 > 0;
        const float nmin = d ? static_cast<float>((double(p.qmin) - cp.zero_point) * cp.scale_f64)
                             : static_cast<float>(p.qmin - cp.zero_point) * cp.scale;
        const float nmax = d ? static_cast<float>((double(p.qmax) - cp.zero_point) * cp.scale_f64)
                             : static_cast<float>(p.qmax - cp.zero_point) * cp.scale;
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
      if (p.weight_out_of_range == OutOfRange::x86_int32_narrowed)  // the low byte, as int8
        q = static_cast<std::int8_t>(static_cast<std::uint32_t>(q) & 0xffu);
      break;
    }
    case WeightArithmetic::float32_divide: {
      const float v = cp.scale == 0 ? x * HUGE_VALF : x / cp.scale;
      q = apply_rule(round_by(p.rounding, v), p.weight_out_of_range, lo, hi);
      break;
    }
    case WeightArithmetic::float64_divide:
    case WeightArithmetic::exact: {
      if (!(cp.scale > 0))  // the library would divide by zero
        fail(p.name + ": exact/float64 weight arithmetic with a zero or negative scale");
      // x / inf = 0: an infinite scale (a bias fit that overflowed) puts every weight at zp.
      const auto e = std::isinf(cp.scale) ? std::optional<int128>(0)
                                          : screened_round_quotient(x, cp.scale, p.rounding);
      q = e ? static_cast<std::int64_t>(std::max<int128>(lo, std::min<int128>(hi, *e)))
            : (x < 0 ? lo : hi);
      break;
    }
  }
  if (add_zp) q += cp.zero_point;
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(q, p.qmin, p.qmax));
}

// round(b / s_b) from the independent quotient, when known (s_b finite and
// positive, the quotient not huge). A flag and a value rather than
// std::optional<int128>: GCC 12 -O2 reports the optional's payload as maybe
// uninitialized once inlined (a false positive that -Werror turns into an error).
struct KnownQuotient {
  bool known = false;
  int128 value = 0;
};

// One bias by the plain formula, with the exact quotient computed once by the caller.
std::int64_t plain_bias(const Policy& p, float b, float s_b, const KnownQuotient& exact) {
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
    case BiasArithmetic::float32_plain_inverse: {
      const float inv = s_b == 0 ? HUGE_VALF : 1.0f / s_b;
      r = round_by(p.rounding, b * inv);
      break;
    }
    case BiasArithmetic::float64_divide:
      r = s_b == 0 ? (b == 0 ? NAN : std::copysign(HUGE_VAL, b))
                   : round_by(p.rounding, double(b) / double(s_b));
      break;
    case BiasArithmetic::exact: {
      if (!(s_b > 0) || !std::isfinite(s_b)) break;
      if (exact.known && exact.value >= lo && exact.value <= hi)
        return static_cast<std::int64_t>(exact.value);
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

// Quantizes the valid case c into r (its buffers reused); false when the
// policy refuses it (the reference policies refuse infeasible biases).
bool try_quantize(const Policy& p, const Case& c, const Layout& l, Result& r) {
  return !quantize_unless_refused(p, c, l, r);
}

// The layout of slice_into's one-channel case: the channel dimension is 1,
// every other count unchanged.
Layout one_channel(Layout l) {
  l.channels = 1;
  return l;
}

// The variants of a preset the checks quantize under, made once per preset
// (a Policy copy allocates its strings). A deque keeps earlier entries in place.
struct Variants {
  Policy as_float64, as_exact, per_channel, per_tensor;
};

const Variants& variants_of(const Policy& p) {
  static std::deque<std::pair<const Policy*, Variants>> cache;
  for (const auto& [policy, v] : cache)
    if (policy == &p) return v;
  Variants v{p, p, p, p};
  v.as_float64.bias_arithmetic = BiasArithmetic::float64_divide;
  v.as_exact.bias_arithmetic = BiasArithmetic::exact;
  v.per_channel.granularity = Granularity::per_channel;
  v.per_tensor.granularity = Granularity::per_tensor;
  cache.emplace_back(&p, std::move(v));
  return cache.back().second;
}

// c with only output channel ch (dimension `axis` becomes 1), into one (buffers reused).
void slice_into(const Case& c, const Layout& l, std::int64_t ch, Case& one) {
  one.op = c.op;
  one.input_scale = c.input_scale;
  one.channel_axis = c.channel_axis;
  one.weight_shape = c.weight_shape;
  one.weight_shape[l.axis] = 1;
  one.weights.clear();
  for (std::int64_t base = 0; base < static_cast<std::int64_t>(c.weights.size());
       base += l.channels * l.inner)
    one.weights.insert(one.weights.end(), c.weights.begin() + base + ch * l.inner,
                       c.weights.begin() + base + (ch + 1) * l.inner);
  one.bias.clear();
  if (!c.bias.empty()) one.bias.push_back(c.bias[ch]);
}

void check_weights_and_bias(const Policy& p, const Case& c, const Result& r) {
  const bool per_tensor = p.granularity == Granularity::per_tensor;
  for_each_channel_run(c, r.layout, [&](std::int64_t ch, std::size_t begin, std::size_t end) {
    const ChannelParams& cp = r.weights.channels[per_tensor ? 0 : ch];
    for (std::size_t i = begin; i < end; ++i) {
      const std::int32_t want = plain_weight(p, cp, c.weights[i]);
      if (r.weights.q[i] != want)
        fail(p.name + ": weight loop gives " + std::to_string(r.weights.q[i]) + " at element " +
                 std::to_string(i) + ", the plain formula " + std::to_string(want),
             &c);
    }
  });
  const Policy& as_float64 = variants_of(p).as_float64;
  const Policy& as_exact = variants_of(p).as_exact;
  for (std::size_t ch = 0; ch < c.bias.size(); ++ch) {
    const float b = c.bias[ch];
    const float s_b = r.bias.scale[ch];
    bool saturated = false;
    const std::int64_t q = quantize_bias_value(p, b, s_b, &saturated);
    if (q != r.bias.q[ch] || saturated != r.bias.saturated[ch])
      fail(p.name + ": quantize() and quantize_bias_value disagree on bias " + std::to_string(ch),
           &c);
    // The independent exact rounding, once for the plain formula and the 2^27 test.
    const bool exact_defined = s_b > 0 && std::isfinite(s_b);
    KnownQuotient e;
    if (exact_defined)
      if (const auto r = fuzz::round_float_quotient(b, s_b, p.rounding)) e = {true, *r};
    const std::int64_t plain = plain_bias(p, b, s_b, e);
    if (q != plain)
      fail(p.name + ": quantize_bias_value gives " + std::to_string(q) + " for bias " +
               std::to_string(ch) + ", the plain formula " + std::to_string(plain),
           &c);
    if (exact_defined) {
      if (e.known && e.value > -(int128{1} << 27) && e.value < (int128{1} << 27)) {
        const std::int64_t q64 = quantize_bias_value(as_float64, b, s_b, nullptr);
        const std::int64_t qex = quantize_bias_value(as_exact, b, s_b, nullptr);
        if (q64 != qex || int128{qex} != e.value)
          fail(p.name + ": float64 and exact bias arithmetic disagree below 2^27: " +
                   std::to_string(q64) + " vs " + std::to_string(qex),
               &c);
      }
    }
  }
}

// The channels check_channels_alone quantizes alone: every channel of a
// filter with up to three; beyond that channel 0, the last channel and one
// between them picked by the bits of the case's first weight, so the check
// costs at most three quantizations per preset whatever the channel count
// (it used to cost C, and the mutator builds up to 64 channels), while over
// many inputs every position is tried. An influence between channels shows
// on any channel it reaches: per-channel statistics taken over the tensor
// show wherever a channel's own range differs from the tensor's, an
// off-by-one index on the first or last channel.
int channels_to_check(const Case& c, std::int64_t channels, std::int64_t out[3]) {
  if (channels <= 3) {
    for (std::int64_t ch = 0; ch < channels; ++ch) out[ch] = ch;
    return static_cast<int>(channels);
  }
  std::uint32_t bits = 0;
  std::memcpy(&bits, c.weights.data(), 4);  // a valid case has at least one weight
  out[0] = 0;
  out[1] = 1 + static_cast<std::int64_t>(bits % static_cast<std::uint32_t>(channels - 2));
  out[2] = channels - 1;
  return 3;
}

// Returns channel 0 quantized alone (for the per-tensor check); nullptr when
// p is not per-channel. A one-channel filter is its own channel 0 (slice_into
// copies it unchanged), and quantize() is a function of its inputs: the whole
// result serves, and comparing it with itself would check nothing.
const Result* check_channels_alone(const Policy& p, const Case& c, const Result& whole) {
  if (p.granularity != Granularity::per_channel) return nullptr;
  if (whole.layout.channels == 1) return &whole;
  static Case one;
  static Result channel0, rest;
  std::int64_t chosen[3];
  const int count = channels_to_check(c, whole.layout.channels, chosen);
  for (int j = 0; j < count; ++j) {
    const std::int64_t ch = chosen[j];
    slice_into(c, whole.layout, ch, one);
    Result& alone = ch == 0 ? channel0 : rest;
    if (!try_quantize(p, one, one_channel(whole.layout), alone))
      fail(p.name + ": channel " + std::to_string(ch) + " alone was refused", &c);
    if (!same_params(alone.weights.channels[0], whole.weights.channels[ch]))
      fail(p.name + ": channel " + std::to_string(ch) + " parameters change when it is alone", &c);
    // The channel's elements are runs of `inner` values, one every channels * inner.
    const Layout& l = whole.layout;
    std::size_t k = 0;
    for (std::int64_t base = 0; base < static_cast<std::int64_t>(c.weights.size());
         base += l.channels * l.inner)
      for (std::int64_t i = base + ch * l.inner; i < base + (ch + 1) * l.inner; ++i, ++k)
        if (whole.weights.q[i] != alone.weights.q[k])
          fail(p.name + ": weight " + std::to_string(i) + " changes when its channel is alone", &c);
    if (!c.bias.empty() && (alone.bias.q[0] != whole.bias.q[ch] ||
                            !same_float(alone.bias.scale[0], whole.bias.scale[ch])))
      fail(p.name + ": bias " + std::to_string(ch) + " changes when its channel is alone", &c);
  }
  return &channel0;
}

// channel0: channel 0 quantized alone under p when p is per-channel (then it
// is the per-channel side of this check, already computed by
// check_channels_alone), else nullptr.
void check_per_tensor_on_one_channel(const Policy& p, const Case& c, const Layout& l,
                                     const Result* channel0) {
  if (p.bias_fit == BiasFit::tflite_half_range) return;  // two formulas in TFLite itself
  static Case one;
  static Result a_buffer, b_buffer;
  slice_into(c, l, 0, one);
  // The slices are quantized with one_channel's layout, not validated again;
  // it must be the one validation gives.
  const std::optional<Layout> valid = layout_if_valid(one);
  const Layout derived = one_channel(l);
  if (!valid || valid->axis != derived.axis || valid->channels != derived.channels ||
      valid->inner != derived.inner || valid->per_channel != derived.per_channel)
    fail("a one-channel slice's layout is not the one validate() gives", &c);
  const Variants& v = variants_of(p);
  bool a_ok;
  const Result* a = channel0;
  if (a != nullptr) {
    a_ok = true;  // check_channels_alone traps when channel 0 alone is refused
  } else {
    a_ok = try_quantize(v.per_channel, one, one_channel(l), a_buffer);
    a = &a_buffer;
  }
  const bool b_ok = try_quantize(v.per_tensor, one, one_channel(l), b_buffer);
  const Result* b = &b_buffer;
  if (a_ok != b_ok)
    fail(p.name + ": per-channel and per-tensor disagree on refusing one channel", &c);
  if (!a_ok) return;
  if (!same_params(a->weights.channels[0], b->weights.channels[0]) ||
      a->weights.q != b->weights.q || a->bias.q != b->bias.q ||
      a->bias.saturated != b->bias.saturated || a->findings.size() != b->findings.size())
    fail(p.name + ": per-channel and per-tensor differ on a one-channel filter", &c);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static CaseRecord rec;  // buffers reused from input to input
  if (!decode_case_file(data, size, rec)) return 0;
  const std::optional<Layout> valid = layout_if_valid(rec.c);
  if (!valid) return 0;
  const Layout& l = *valid;
  static Result whole;
  for (const Policy* p : fuzz::policies_for(rec.policy)) {
    if (!try_quantize(*p, rec.c, l, whole)) continue;
    check_weights_and_bias(*p, rec.c, whole);
    const Result* channel0 = check_channels_alone(*p, rec.c, whole);
    check_per_tensor_on_one_channel(*p, rec.c, l, channel0);
  }
  return 0;
}

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
  return fuzz::mutate_case_file(data, size, max_size, seed);
}
