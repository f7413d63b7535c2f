#include "runtime_oracle.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>

#include "fuzz_support.hpp"
#include "quantcheck/exact.hpp"

namespace quantcheck::fuzz {
namespace {

bool normal_positive(float s) { return std::isnormal(s) && s > 0; }

float channel_scale(const IntegerLayer& l, std::int64_t c) {
  return l.weight_scales.size() == 1 ? l.weight_scales[0]
                                     : l.weight_scales[static_cast<std::size_t>(c)];
}

std::int64_t channel_zp(const IntegerLayer& l, std::int64_t c) {
  if (l.weight_zero_points.empty()) return 0;
  return l.weight_zero_points.size() == 1 ? l.weight_zero_points[0]
                                          : l.weight_zero_points[static_cast<std::size_t>(c)];
}

// What the multiplier check established for one channel.
struct ChannelCheck {
  bool exact_known = false;  // scales normal: M_exact and the relative bound apply
  long double m_exact = 0;
  long double rel_bound = 0;
};

[[noreturn]] void violation(const RuntimeProfile& p, const IntegerLayer& l, const char* what,
                            const std::string& detail) {
  fail(p.name + " " + to_string(l.geometry.op) + " " + to_string(l.activation) + ": " + what +
       ": " + detail);
}

ChannelCheck check_multiplier(const RuntimeProfile& p, const RuntimePath& path,
                              const IntegerLayer& l, std::int64_t c, const ChannelMultiplier& m) {
  ChannelCheck r;
  const float s_w = channel_scale(l, c);
  // The documented bounds are relative errors of normal float32 arithmetic:
  // a subnormal scale, product or quotient is outside them (and outside
  // every runtime's tested range), so only normal values are held to them.
  if (!normal_positive(l.input_scale) || !normal_positive(s_w) ||
      !normal_positive(l.output_scale) || !normal_positive(l.input_scale * s_w) ||
      !normal_positive(l.input_scale * s_w / l.output_scale))
    return r;
  const ExactMultiplier e = exact_multiplier(l.input_scale, s_w, l.output_scale);
  r.m_exact = std::ldexp(static_cast<long double>(e.num) / static_cast<long double>(e.den), e.exp2);
  r.rel_bound = static_cast<long double>(multiplier_relative_bound(path));
  r.exact_known = true;
  if (m.flushed || m.clamped) return r;  // their own properties; no encoding to bound
  const long double repr = std::ldexp(static_cast<long double>(m.repr_num), m.repr_exp2);
  const long double rel = std::fabs(repr - r.m_exact) / r.m_exact;
  if (rel > r.rel_bound * (1 + 1e-9L)) {
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "channel %lld: M_repr %.17Lg vs exact %.17Lg, relative %Lg > %Lg",
                  static_cast<long long>(c), repr, r.m_exact, rel, r.rel_bound);
    violation(p, l, "multiplier encoding", buf);
  }
  return r;
}

// Whether the runtime's own documented overflow makes the output arbitrary:
// the plain int32 left shift of the Q31 paths, the int32 narrowing of a
// single-rounding or int64 result (no clamp before it in the source).
bool documented_overflow(RequantRounding r, std::int64_t acc, const ChannelMultiplier& m,
                         std::int64_t exact) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int32_t>::max();
  constexpr std::int64_t kMin = std::numeric_limits<std::int32_t>::min();
  switch (r) {
    case RequantRounding::srdhm_rhu_then_rdbpot_rhafz:
    case RequantRounding::ruy_x86_rhu_then_rhu:
      if (m.q31.e > 0) {
        const int128 shifted = int128{acc} * (int128{1} << std::min(m.q31.e, 62));
        if (shifted > kMax || shifted < kMin) return true;
      }
      return false;
    case RequantRounding::single_rhu: return exact > kMax || exact < kMin;
    case RequantRounding::int64_reduced_single_rhu:
      // The int64 MBQM asserts -31 <= e < 8 (debug builds only; the shift by
      // 15 - e is meaningless beyond), and narrows to int32 without a clamp.
      return m.q31.e >= 8 || exact > kMax || exact < kMin;
    case RequantRounding::float32_rne:
    case RequantRounding::float64_rne:
    case RequantRounding::mantissa24_rhu: return false;
  }
  return false;
}

}  // namespace

std::vector<int128> exact_accumulators(const IntegerLayer& l, bool apply_weight_zero_point,
                                       const std::vector<std::int32_t>& input) {
  std::vector<int128> out;
  exact_accumulators(l, apply_weight_zero_point, input, out);
  return out;
}

void exact_accumulators(const IntegerLayer& l, bool apply_weight_zero_point,
                        const std::vector<std::int32_t>& input, std::vector<int128>& out) {
  const LayerGeometry& g = l.geometry;
  out.clear();
  out.reserve(static_cast<std::size_t>(g.output_size()));
  const std::int64_t zp_x = l.input_zero_point;
  for (std::int64_t b = 0; b < g.batch; ++b)
    for (std::int64_t oy = 0; oy < g.out_h(); ++oy)
      for (std::int64_t ox = 0; ox < g.out_w(); ++ox)
        for (std::int64_t oc = 0; oc < g.out_c; ++oc) {
          const std::int64_t zp_w = apply_weight_zero_point ? channel_zp(l, oc) : 0;
          int128 acc = l.bias.empty() ? 0 : int128{l.bias[static_cast<std::size_t>(oc)]};
          for (std::int64_t ky = 0; ky < g.kernel_h; ++ky)
            for (std::int64_t kx = 0; kx < g.kernel_w; ++kx) {
              const std::int64_t iy = oy * g.stride_h - g.pad_top() + ky * g.dilation_h;
              const std::int64_t ix = ox * g.stride_w - g.pad_left() + kx * g.dilation_w;
              if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) continue;
              if (g.op == OpKind::depthwise_conv2d) {
                const std::int64_t ic = oc / g.depth_multiplier;
                const std::int64_t w =
                    l.weights[static_cast<std::size_t>((ky * g.kernel_w + kx) * g.out_c + oc)];
                acc += int128{input[static_cast<std::size_t>(
                                  ((b * g.in_h + iy) * g.in_w + ix) * g.in_c + ic)] -
                              zp_x} *
                       (w - zp_w);
                continue;
              }
              for (std::int64_t ic = 0; ic < g.in_c; ++ic) {
                const std::int64_t w = l.weights[static_cast<std::size_t>(
                    ((oc * g.kernel_h + ky) * g.kernel_w + kx) * g.in_c + ic)];
                acc += int128{input[static_cast<std::size_t>(
                                  ((b * g.in_h + iy) * g.in_w + ix) * g.in_c + ic)] -
                              zp_x} *
                       (w - zp_w);
              }
            }
          out.push_back(acc);
        }
}

namespace {

// QUANTCHECK_FUZZ_REPORT=1: one line per profile with its outputs and flags,
// which the named runtime cases' manifest checks match (corpus/RUNTIME_MANIFEST.tsv).
bool reporting() {
  static const bool on = [] {
    const char* env = std::getenv("QUANTCHECK_FUZZ_REPORT");
    return env && *env && std::string(env) != "0";
  }();
  return on;
}

void report(const RuntimeProfile& p, const IntegerLayer& l, const PreparedLayer& prep,
            const LayerRun* run) {
  std::string line = p.name + " " + to_string(l.activation) + ":";
  if (!prep.rejected.empty()) {
    std::printf("%s rejected (%s)\n", line.c_str(), prep.rejected.c_str());
    return;
  }
  bool acc = false, pair = false, requant = false, flushed = false;
  for (const ChannelMultiplier& m : prep.channels) flushed = flushed || m.flushed;
  line += " y=";
  for (std::size_t o = 0; o < run->trace.size(); ++o) {
    const OutputTrace& t = run->trace[o];
    line += (o ? "," : "") + std::to_string(t.y);
    acc = acc || t.acc_overflow;
    pair = pair || t.pair_saturated;
    requant = requant || t.requant_overflow;
  }
  line += " flags=";
  if (acc) line += "acc_overflow,";
  if (pair) line += "pair_saturated,";
  if (requant) line += "requant_overflow,";
  if (flushed) line += "flushed,";
  std::printf("%s\n", line.c_str());
}

}  // namespace

std::size_t check_profile_on_layer(const RuntimeProfile& p, const IntegerLayer& l,
                                   const std::vector<std::int32_t>& input) {
  // Storage kept from call to call: a target checks every profile on every
  // input, and under AddressSanitizer each fresh vector (poisoned, filled,
  // quarantined, then a page fault on new memory) cost more than the checks.
  thread_local PreparedLayer prep;
  thread_local LayerRun run;
  thread_local std::vector<int128> mine;
  thread_local std::vector<ChannelCheck> channels;
  prepare_layer(p, l, prep);
  if (!prep.rejected.empty()) {
    if (reporting()) report(p, l, prep, nullptr);
    return 0;
  }
  const RuntimePath& path = path_for(p, l.activation);
  const RequantRounding rounding = rounding_for(path, l.geometry.op);
  const int bound = requantization_bound_lsb(path);
  run_layer(p, l, prep, input, run, true);
  if (reporting()) report(p, l, prep, &run);
  // An unsigned filter's zero point is always read (uint8 kernels apply the
  // filter offset); a signed one only where the path says so.
  exact_accumulators(l, path.apply_weight_zero_point || l.weight_type == WeightType::uint8, input,
                     mine);
  if (mine.size() != run.trace.size()) violation(p, l, "output count", std::to_string(mine.size()));

  // Per-tensor scales: every channel has the same multiplier, checked once.
  channels.clear();
  for (std::int64_t c = 0; c < l.geometry.out_c; ++c)
    channels.push_back(
        c > 0 && l.weight_scales.size() == 1
            ? channels[0]
            : check_multiplier(p, path, l, c, prep.channels[static_cast<std::size_t>(c)]));

  const std::int64_t zp = path.add_output_zero_point ? l.output_zero_point : 0;
  auto clamp = [&](int128 v) {
    return static_cast<std::int64_t>(std::clamp<int128>(v, prep.out_min, prep.out_max));
  };
  for (std::size_t o = 0; o < run.trace.size(); ++o) {
    const OutputTrace& t = run.trace[o];
    const auto c = static_cast<std::int64_t>(o % static_cast<std::size_t>(l.geometry.out_c));
    const ChannelMultiplier& m = prep.channels[static_cast<std::size_t>(c)];
    // An int64 bias read by an int32-accumulator path is narrowed first (the
    // kernel's acc_exact then holds the narrowed sum, flagged as overflow).
    const bool narrowed_bias = t.acc_overflow && path.accumulator == AccumulatorType::int32 &&
                               l.bias_type == BiasType::int64;
    if (!narrowed_bias && t.acc_exact != mine[o])
      violation(p, l, "exact accumulator",
                "output " + std::to_string(o) + ": kernel " + to_decimal(t.acc_exact) +
                    ", plain loop " + to_decimal(mine[o]));
    if (!t.acc_overflow && int128{t.acc} != mine[o])
      violation(p, l, "accumulator",
                "output " + std::to_string(o) + ": " + std::to_string(t.acc) +
                    " without an overflow flag, exact " + to_decimal(mine[o]));
    if (t.acc_overflow || t.requant_overflow || m.clamped) continue;  // their own properties
    if (m.flushed) {
      if (t.y != clamp(zp))
        violation(p, l, "flushed multiplier",
                  "output " + std::to_string(o) + " is " + std::to_string(t.y) + ", not zp_out");
      continue;
    }
    const auto exact = round_dyadic(t.acc, m.repr_num, m.repr_exp2, false);
    if (!exact || documented_overflow(rounding, t.acc, m, *exact)) continue;
    const std::int64_t want = clamp(int128{*exact} + zp);
    if (std::llabs(t.y - want) > bound) {
      char buf[240];
      std::snprintf(buf, sizeof buf,
                    "channel %lld acc %lld: y %d, exactly rounded acc*M_repr %lld (+zp, clamped) "
                    "%lld, bound %d LSB (q %d e %d, M_repr %lld*2^%d)",
                    static_cast<long long>(c), static_cast<long long>(t.acc), t.y,
                    static_cast<long long>(*exact), static_cast<long long>(want), bound, m.q31.q,
                    m.q31.e, static_cast<long long>(m.repr_num), m.repr_exp2);
      violation(p, l, "requantization", buf);
    }
    const ChannelCheck& cc = channels[static_cast<std::size_t>(c)];
    if (!cc.exact_known) continue;
    // End to end: the profile's rounding bound, half a step, and the
    // multiplier's relative error scaled by |acc| M.
    const long double real = static_cast<long double>(t.acc) * cc.m_exact + zp;
    const long double lo = prep.out_min, hi = prep.out_max;
    const long double target = std::clamp(real, lo, hi);
    const long double allowed =
        bound + 0.5L + std::fabs(static_cast<long double>(t.acc)) * cc.m_exact * cc.rel_bound +
        1e-9L;
    if (std::fabs(static_cast<long double>(t.y) - target) > allowed) {
      char buf[200];
      std::snprintf(buf, sizeof buf, "channel %lld acc %lld: y %d vs exact %.12Lg, allowed %.6Lg",
                    static_cast<long long>(c), static_cast<long long>(t.acc), t.y, real, allowed);
      violation(p, l, "end-to-end error", buf);
    }
  }
  return run.trace.size();
}

}  // namespace quantcheck::fuzz
