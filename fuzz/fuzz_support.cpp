#include "fuzz_support.hpp"
#include "quantcheck/exact.hpp"

#include <cfloat>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <sstream>

#include "quantcheck/error.hpp"
#include "quantcheck/presets.hpp"

namespace quantcheck::fuzz {
namespace {

// |x| = mantissa * 2^exponent, mantissa < 2^24, from the float32 bit pattern.
struct Split {
  std::uint32_t mantissa;
  int exponent;
  bool negative;
};

Split split(float x) {
  std::uint32_t u;
  std::memcpy(&u, &x, 4);
  const std::uint32_t biased = (u >> 23) & 0xffu;
  const std::uint32_t fraction = u & 0x7fffffu;
  if (biased == 0) return {fraction, -149, (u >> 31) != 0};  // zero and subnormals
  return {fraction | 0x800000u, static_cast<int>(biased) - 150, (u >> 31) != 0};
}

std::string hex(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a (%.9g)", v, v);
  return buf;
}

void print_case(const Case& c) {
  std::fprintf(stderr, "  case: op %s, input_scale %s, shape [", to_string(c.op).c_str(),
               hex(c.input_scale).c_str());
  for (std::size_t d = 0; d < c.weight_shape.size(); ++d)
    std::fprintf(stderr, "%s%" PRId64, d ? "," : "", c.weight_shape[d]);
  std::fprintf(stderr, "], channel_axis %d\n", c.channel_axis.value_or(-1));
  for (std::size_t i = 0; i < c.weights.size() && i < 64; ++i)
    std::fprintf(stderr, "  w[%zu] = %a\n", i, static_cast<double>(c.weights[i]));
  for (std::size_t i = 0; i < c.bias.size() && i < 64; ++i)
    std::fprintf(stderr, "  b[%zu] = %a\n", i, static_cast<double>(c.bias[i]));
}

// The preset held to no_bias_saturation in the unexcused build ("" = none).
std::string& unexcused_preset() {
  static std::string name;
  return name;
}

// Independent restatements of the integer limits (not policy.cpp's).
int128 type_max(BiasType t) {
  return t == BiasType::int32 ? int128{2147483647} : int128{9223372036854775807LL};
}
int128 type_min(BiasType t) { return -type_max(t) - 1; }

int128 weight_magnitude(const Policy& p) {
  if (p.scheme == Scheme::asymmetric) return int128{p.qmax} - p.qmin;
  return std::max(std::llabs(p.qmin), std::llabs(p.qmax));
}

bool normal_finite(float s) { return std::isfinite(s) && s >= FLT_MIN; }

// Whether a reference policy was right to refuse c: either K products alone can
// overflow the accumulator, or for some channel no weight scale at or above the
// one its weights need (the fit only raises scales) gives a finite bias scale
// at which the bias fits. The largest such bias scale is the best one.
bool refusal_justified(const Policy& p, const Case& c, const Layout& l) {
  const int128 room =
      type_max(p.bias_type) - int128{l.per_channel} * p.activation_abs_max * weight_magnitude(p);
  if (room < 0) return true;
  Policy unfitted = p;  // the scales the weights alone ask for
  unfitted.bias_fit = BiasFit::none;
  unfitted.bias_scale_floor = 0;
  const std::vector<ChannelParams> start = compute_weight_params(unfitted, c, l);
  for (std::size_t g = 0; g < start.size(); ++g) {
    const float s_w0 = start[g].scale;
    if (!std::isfinite(c.input_scale * s_w0)) return true;
    // The largest float32 s_w >= s_w0 whose product with s_in stays finite
    // (positive floats order like their bit patterns: bisect over the bits).
    std::uint32_t finite, overflow;
    std::memcpy(&finite, &s_w0, 4);
    const float max = FLT_MAX;
    std::memcpy(&overflow, &max, 4);
    if (std::isfinite(c.input_scale * max)) {
      finite = overflow;
    } else {
      while (overflow - finite > 1) {
        const std::uint32_t mid = finite + (overflow - finite) / 2;
        float m;
        std::memcpy(&m, &mid, 4);
        (std::isfinite(c.input_scale * m) ? finite : overflow) = mid;
      }
    }
    float s_w;
    std::memcpy(&s_w, &finite, 4);
    const float s_b = c.input_scale * s_w;
    if (!(s_b >= FLT_MIN)) return true;
    const float b = c.bias.empty() ? 0.0f : c.bias[g];
    const auto q = round_float_quotient(b, s_b, p.rounding);
    if (!q || (*q < 0 ? -*q : *q) > room) return true;
  }
  return false;
}

std::vector<const Policy*> read_fuzzed_policies() {
  std::vector<const Policy*> out;
  const char* env = std::getenv("QUANTCHECK_FUZZ_POLICIES");
  if (env == nullptr || *env == '\0') {
    for (const Policy& p : presets()) out.push_back(&p);
    return out;
  }
  std::stringstream names(env);
  std::string name;
  while (std::getline(names, name, ',')) {
    try {
      out.push_back(&find_preset(name));
    } catch (const UsageError& e) {
      std::fprintf(stderr, "QUANTCHECK_FUZZ_POLICIES: %s\n", e.what());
      std::exit(2);
    }
  }
  return out;
}

}  // namespace

void fail(const std::string& what, const Case* c) {
  std::fprintf(stderr, "quantcheck fuzz: VIOLATION: %s\n", what.c_str());
  if (c) print_case(*c);
  std::fflush(stderr);
  __builtin_trap();
}

FloatQuotient float_quotient(float num, float den) {
  if (!std::isfinite(num) || !std::isfinite(den) || den == 0)
    fail("float_quotient called with a non-finite value or a zero divisor");
  FloatQuotient r;
  if (num == 0) return r;
  const Split n = split(num);
  const Split d = split(den);
  const bool negative = n.negative != d.negative;
  const int shift = n.exponent - d.exponent;
  uint128 N = n.mantissa;
  uint128 D = d.mantissa;
  if (shift > 100) {  // |q| > 2^(shift - 24) > 2^76
    r.huge = true;
    return r;
  }
  if (shift < -100) {  // 0 < |q| < 2^(24 - 100): floor 0 (or -1), fraction near 0 (or 1)
    r.exact = false;
    r.floor = negative ? -1 : 0;
    r.half_cmp = negative ? 1 : -1;
    return r;
  }
  if (shift >= 0)
    N <<= shift;  // < 2^124
  else
    D <<= -shift;  // < 2^124
  const uint128 q = N / D;
  const uint128 rem = N % D;
  if (q >> 76) {
    r.huge = true;
    return r;
  }
  r.floor = static_cast<int128>(q);
  r.exact = rem == 0;
  r.half_cmp = 2 * rem < D ? -1 : (2 * rem == D ? 0 : 1);
  if (negative) {
    r.floor = -r.floor;
    if (!r.exact) {
      r.floor -= 1;  // -(q + f) = -(q + 1) + (1 - f)
      r.half_cmp = -r.half_cmp;
    }
  }
  return r;
}

std::optional<int128> round_float_quotient(const FloatQuotient& q, Rounding rounding) {
  if (q.huge) return std::nullopt;
  if (q.exact || q.half_cmp < 0) return q.floor;
  if (q.half_cmp > 0) return q.floor + 1;
  if (rounding == Rounding::half_to_even) return q.floor % 2 == 0 ? q.floor : q.floor + 1;
  return q.floor >= 0 ? q.floor + 1 : q.floor;
}

std::optional<int128> round_float_quotient(float num, float den, Rounding rounding) {
  return round_float_quotient(float_quotient(num, den), rounding);
}

bool float_within_half_step(int128 q, const FloatQuotient& r) {
  if (r.huge) return false;
  if (q == r.floor) return r.exact || r.half_cmp <= 0;
  if (q == r.floor + 1) return !r.exact && r.half_cmp >= 0;
  return false;
}

bool float_within_half_step(int128 q, float num, float den) {
  return float_within_half_step(q, float_quotient(num, den));
}

const std::vector<const Policy*>& fuzzed_policies() {
  static const std::vector<const Policy*> all = read_fuzzed_policies();
  return all;
}

const std::vector<const Policy*>& policies_for(const std::string& name) {
  const auto& all = fuzzed_policies();
  // Per fuzzed preset, the list it names: itself, then the reference presets.
  static const std::vector<std::vector<const Policy*>> named = [&] {
    std::vector<std::vector<const Policy*>> out;
    for (const Policy* n : all) {
      std::vector<const Policy*> list{n};
      for (const Policy* p : all)
        if (p != n && p->bias_fit == BiasFit::reference_headroom) list.push_back(p);
      out.push_back(std::move(list));
    }
    return out;
  }();
  // The last preset of that name wins, as it always has.
  for (std::size_t i = all.size(); i-- > 0;)
    if (all[i]->name == name) return named[i];
  return all;
}

void hold_to_no_bias_saturation(const std::string& preset) { unexcused_preset() = preset; }

namespace {

// One reusable result per preset: quantize(p, c, r) keeps the buffers of the
// previous input, so the steady state allocates (and, under ASan, poisons and
// quarantines) almost nothing per input. A deque keeps earlier buffers in place.
Result& result_buffer(const Policy& p) {
  static std::deque<std::pair<const Policy*, Result>> buffers;
  for (auto& [policy, r] : buffers)
    if (policy == &p) return r;
  buffers.emplace_back(&p, Result{});
  return buffers.back().second;
}

}  // namespace

const Result* quantize_and_check(const Policy& p, const Case& c, const Layout& l) {
  Result& r = result_buffer(p);
  // c is valid (the targets validate first), so a policy can only refuse it.
  if (const Refusal why = quantize_unless_refused(p, c, l, r)) {
    if (p.bias_fit == BiasFit::reference_headroom && refusal_justified(p, c, r.layout))
      return nullptr;
    fail(p.name + " refused a valid case it could quantize: " + describe(why, p, c, r.layout), &c);
  }
  check_result(p, c, r);
  return &r;
}

void check_result(const Policy& p, const Case& c, const Result& r) {
  Guarantees held = p.guarantees;
  const bool unexcused = !unexcused_preset().empty() && p.name == unexcused_preset();
  if (unexcused) held.no_bias_saturation = true;
  auto broke = [&](const std::string& what) { fail(p.name + ": " + what, &c); };

  const Layout& l = r.layout;
  const bool per_tensor = p.granularity == Granularity::per_tensor;
  const std::size_t groups = per_tensor ? 1 : static_cast<std::size_t>(l.channels);
  if (r.weights.channels.size() != groups || r.weights.q.size() != c.weights.size() ||
      r.weights.dequantized.size() != c.weights.size() || r.bias.q.size() != c.bias.size() ||
      r.bias.scale.size() != c.bias.size() || r.bias.saturated.size() != c.bias.size())
    broke("result sizes do not match the case");

  // Scales and zero points.
  for (std::size_t g = 0; g < groups; ++g) {
    const ChannelParams& cp = r.weights.channels[g];
    if (cp.zero_point < p.qmin || cp.zero_point > p.qmax)
      broke("channel " + std::to_string(g) + ": zero point outside the integer range");
    if (held.valid_scales && !(normal_finite(cp.scale) && cp.scale >= p.scale_floor))
      broke("valid_scales: channel " + std::to_string(g) + " weight scale " + hex(cp.scale));
  }

  // Weights: integer range always; half-step error inside the nudged range when declared.
  for_each_channel_run(c, l, [&](std::int64_t ch, std::size_t begin, std::size_t end) {
    const ChannelParams& cp = r.weights.channels[per_tensor ? 0 : ch];
    for (std::size_t i = begin; i < end; ++i) {
      const std::int32_t q = r.weights.q[i];
      if (q < p.qmin || q > p.qmax) broke("weight " + std::to_string(i) + " outside [qmin, qmax]");
      const double deq = (double(q) - cp.zero_point) * double(cp.scale);
      if (r.weights.dequantized[i] != deq &&
          !(std::isnan(deq) && std::isnan(r.weights.dequantized[i])))
        broke("weight " + std::to_string(i) + ": dequantized " + hex(r.weights.dequantized[i]) +
              " != (q - zp) * s = " + hex(deq) + " (q " + std::to_string(q) + ", zp " +
              std::to_string(cp.zero_point) + ", s " + hex(cp.scale) + ")");
      if (!held.weight_error_bound) continue;
      const float x = c.weights[i];
      const double nmin = (double(p.qmin) - cp.zero_point) * double(cp.scale);
      const double nmax = (double(p.qmax) - cp.zero_point) * double(cp.scale);
      if (double(x) < nmin || double(x) > nmax) continue;  // clipped: informational
      bool ok;
      if (cp.scale > 0 && std::isfinite(cp.scale)) {
        // The double quotient is within 2^-37 of x / s here (|x / s| <= 2^16), so a
        // distance below 0.5 - 2^-20 is decisive; only near-ties take the exact path.
        const double d = std::fabs(double(x) / double(cp.scale) - (double(q) - cp.zero_point));
        ok = d < 0.5 - 0x1p-20 ||
             (d < 0.5 + 0x1p-20 && float_within_half_step(int128{q} - cp.zero_point, x, cp.scale));
      } else {
        ok = q == cp.zero_point;
      }
      if (!ok)
        broke("weight_error_bound: element " + std::to_string(i) + " x " + hex(x) + " q " +
              std::to_string(q) + " zp " + std::to_string(cp.zero_point) + " s " + hex(cp.scale));
    }
  });

  // Bias.
  const std::int64_t products = l.per_channel;
  const int128 room =
      type_max(p.bias_type) - int128{products} * p.activation_abs_max * weight_magnitude(p);
  for (std::size_t ch = 0; ch < c.bias.size(); ++ch) {
    const float b = c.bias[ch];
    const float s_w = r.weights.channels[per_tensor ? 0 : ch].scale;
    const float s_b = r.bias.scale[ch];
    const std::int64_t q = r.bias.q[ch];
    // Built only when something broke: the description costs allocations.
    auto where = [&] {
      return "bias channel " + std::to_string(ch) + " (b " + hex(b) + ", s_b " + hex(s_b) + ", q " +
             std::to_string(q) + ")";
    };
    const float expect_s_b = c.input_scale * s_w;
    if (std::memcmp(&s_b, &expect_s_b, 4) != 0) broke(where() + ": s_b != float32(s_in * s_w)");
    const double bias_deq = double(q) * double(s_b);  // 0 * inf is NaN on both sides
    if (r.bias.dequantized[ch] != bias_deq &&
        !(std::isnan(bias_deq) && std::isnan(r.bias.dequantized[ch])))
      broke(where() + ": dequantized != q * s_b");
    if (q < type_min(p.bias_type) || q > type_max(p.bias_type))
      broke(where() + ": outside the bias type");

    // Does the exact quotient fit the type? (s_b = inf gives 0; s_b = 0 or NaN,
    // e.g. TFLite's guard at 0 * inf for a zero bias and a subnormal s_in, fits
    // only a zero bias, as the library and the adapter check decide.)
    // One exact quotient serves both the rounding and the half-step test below.
    bool fits;
    FloatQuotient quotient;
    const bool finite_nonzero = s_b > 0 && !std::isinf(s_b);
    if (std::isinf(s_b)) {
      fits = true;
    } else if (!(s_b > 0)) {
      fits = b == 0;
    } else {
      quotient = float_quotient(b, s_b);
      const auto exact = round_float_quotient(quotient, p.rounding);
      fits = exact && *exact >= type_min(p.bias_type) && *exact <= type_max(p.bias_type);
    }
    if (r.bias.saturated[ch] == fits) broke(where() + ": saturated flag disagrees with b / s_b");

    const bool hold_saturation = held.no_bias_saturation && !(unexcused && s_b == 0);
    if (hold_saturation && !fits) broke("no_bias_saturation: " + where());
    if (held.valid_scales && !normal_finite(s_b)) broke("valid_scales: " + where());
    if (held.bias_sign_preserved && ((b > 0 && q < 0) || (b < 0 && q > 0) || (b == 0 && q != 0)))
      broke("bias_sign_preserved: " + where());
    if (held.bias_error_bound) {
      const bool within =
          (s_b > 0 && finite_nonzero) ? float_within_half_step(q, quotient) : (b == 0 && q == 0);
      if (!within) broke("bias_error_bound: " + where());
    }
    if (held.accumulator_headroom && (q < 0 ? -int128{q} : int128{q}) > room)
      broke("accumulator_headroom: " + where() + ", room " + to_decimal(room));
  }

  // The library's own findings must agree that nothing held is broken.
  for (const Finding& f : r.findings) {
    if (unexcused && f.kind == FindingKind::bias_saturated && f.channel >= 0 &&
        static_cast<std::size_t>(f.channel) < r.bias.scale.size() && r.bias.scale[f.channel] == 0)
      continue;
    if (breaks_declared(f, held))
      broke("library finding " + to_string(f.kind) + " on " + f.tensor + " channel " +
            std::to_string(f.channel) + " element " + std::to_string(f.element) + ": " + f.message);
  }
}

}  // namespace quantcheck::fuzz
