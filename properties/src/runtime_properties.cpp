// The four runtime properties (runtime_properties.hpp; docs/runtimes.md).
#include "quantcheck/runtime_properties.hpp"
#include "quantcheck/exact.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <sstream>

#include "property_support.hpp"
#include "quantcheck/presets.hpp"
#include "quantcheck/runtime/layer_bounds.hpp"
#include "quantcheck/runtime/layer_case.hpp"
#include "quantcheck/runtime/profiles.hpp"

namespace quantcheck {
namespace {

thread_local std::int64_t requant_values = 0;

// The case quantized and built into a prepared layer on the runtime.
struct Built {
  Contract k;
  Result result;
  LayerCase lc;
  PreparedLayer prep;
  const RuntimePath* path = nullptr;
};

std::optional<Verdict> build(const QuantizerUnderTest& q, const RuntimeProfile& rt, const Case& c,
                             Built& b) {
  b.k = q.contract();
  // An activation scale below FLT_MIN is outside every runtime's contract
  // (XNNPACK rejects it at Prepare; no weight scale can make it legal), so it
  // says nothing about the policy: the wide input-scale generators reach it.
  if (!(std::fabs(c.input_scale) >= FLT_MIN))
    return Verdict::reject("the input scale is not a normal float32 (no runtime takes it)");
  check::Run run = check::run(q, c, b.k);
  if (run.stop) return run.stop;
  b.result = std::move(run.result);
  const ActivationType a = activation_for(b.k.weight_type, b.k.activation_abs_max, rt);
  b.path = &path_for(rt, a);
  if (!runtime_supports(rt, b.k))
    return Verdict::reject(rt.name + " has no datapath for these types");
  std::string why;
  std::optional<LayerCase> lc =
      layer_for_case(c, b.result, b.k.weight_type, b.k.bias_type, a, &why);
  if (!lc) return Verdict::reject("no layer for this case: " + why);
  b.lc = std::move(*lc);
  try {
    b.prep = prepare_layer(rt, b.lc.layer);
  } catch (const InputError& e) {
    return Verdict::reject(e.what());
  }
  return std::nullopt;
}

std::string describe_layer(const Built& b) {
  const IntegerLayer& l = b.lc.layer;
  std::ostringstream s;
  s << to_string(l.geometry.op) << " " << to_string(l.activation) << ", s_in "
    << check::exact(l.input_scale) << " zp_in " << l.input_zero_point << ", s_out "
    << check::exact(l.output_scale) << " zp_out " << l.output_zero_point;
  return s.str();
}

std::string input_json(const std::vector<std::int32_t>& x) {
  std::string out = "[";
  for (std::size_t i = 0; i < x.size(); ++i) out += (i ? "," : "") + std::to_string(x[i]);
  return out + "]";
}

float weight_scale_of(const IntegerLayer& l, std::int64_t c) {
  return l.weight_scales.size() == 1 ? l.weight_scales[0]
                                     : l.weight_scales[static_cast<std::size_t>(c)];
}

// The real multiplier s_in s_w / s_out (the product of two floats is exact in
// a long double; the quotient is rounded at 2^-64, far below every bound here).
long double real_multiplier(const IntegerLayer& l, std::int64_t c) {
  return static_cast<long double>(l.input_scale) * weight_scale_of(l, c) /
         static_cast<long double>(l.output_scale);
}

Verdict multiplier_representable(const QuantizerUnderTest& q, const RuntimeProfile& rt,
                                 const Case& c) {
  Built b;
  if (auto stop = build(q, rt, c, b)) return *stop;
  if (!b.prep.rejected.empty())
    return Verdict::fail("Prepare rejects the layer (" + describe_layer(b) +
                         "): " + b.prep.rejected);
  const IntegerLayer& l = b.lc.layer;
  const long double bound = multiplier_relative_bound(*b.path);
  for (std::int64_t ch = 0; ch < l.geometry.out_c; ++ch) {
    const ChannelMultiplier& m = b.prep.channels[static_cast<std::size_t>(ch)];
    const long double M = real_multiplier(l, ch);
    std::ostringstream s;
    s << check::channel_prefix(ch) << "M = s_in s_w / s_out = " << static_cast<double>(M) << " ("
      << describe_layer(b) << "): ";
    if (m.flushed) {
      const int128 worst = worst_case_accumulator(l, ch);
      if (static_cast<long double>(worst) * M >= 0.5L) {
        s << "flushed to 0 (e < -31), but |acc| reaches " << to_decimal(worst)
          << ", so an output of " << static_cast<double>(static_cast<long double>(worst) * M)
          << " steps becomes the zero point";
        return Verdict::fail(s.str());
      }
      continue;  // no accumulator can reach half a step: the flush changes nothing
    }
    const long double worst = static_cast<long double>(worst_case_accumulator(l, ch));
    const long double repr_now = std::ldexp(static_cast<long double>(m.repr_num), m.repr_exp2);
    if (worst * M < 0.5L && worst * repr_now < 0.5L && !m.clamped)
      continue;  // every output of the channel is its zero point either way
    if (m.clamped) {
      s << "exponent > 30 clamped to (2^31 - 1, 30)";
      return Verdict::fail(s.str());
    }
    const long double repr = std::ldexp(static_cast<long double>(m.repr_num), m.repr_exp2);
    if (M == 0) {
      if (repr != 0) return Verdict::fail(s.str() + "a zero multiplier encoded as non-zero");
      continue;
    }
    const long double rel = std::fabs(repr - M) / M;
    if (rel > bound * (1 + 1e-9L)) {
      s << "encoded as " << static_cast<double>(repr) << ", relative error "
        << static_cast<double>(rel) << " beyond the profile's " << static_cast<double>(bound);
      return Verdict::fail(s.str());
    }
  }
  return Verdict::ok();
}

Verdict accumulator_no_overflow(const QuantizerUnderTest& q, const RuntimeProfile& rt,
                                const Case& c) {
  Built b;
  if (auto stop = build(q, rt, c, b)) return *stop;
  if (!b.prep.rejected.empty()) return Verdict::reject("Prepare rejects: " + b.prep.rejected);
  const IntegerLayer& l = b.lc.layer;
  const bool pairs = b.path->int16_pair_saturation && l.activation == ActivationType::uint8 &&
                     l.weight_type == WeightType::int8;
  const int128 type_max = b.path->accumulator == AccumulatorType::int32
                              ? int128{std::numeric_limits<std::int32_t>::max()}
                              : int128{std::numeric_limits<std::int64_t>::max()};
  for (std::int64_t ch = 0; ch < l.geometry.out_c; ++ch) {
    // The exact worst case (every partial sum is bounded by it) proves the
    // channel safe; otherwise the worst-case input is built and run, so the
    // counterexample is an input tensor. The int64 requantization multiplies
    // acc by a 15-bit qr: safe below 2^47.
    const int128 worst = worst_case_accumulator(l, ch);
    const bool wide_requant = b.path->rounding == RequantRounding::int64_reduced_single_rhu;
    if (!pairs && worst < type_max && (!wide_requant || worst < (int128{1} << 47))) continue;
    for (int sign : {1, -1}) {
      const std::vector<std::int32_t> x = extreme_input(l, ch, sign);
      const LayerRun run = run_layer(rt, l, b.prep, x);
      for (std::size_t at = 0; at < run.trace.size(); ++at) {
        const OutputTrace& t = run.trace[at];
        if (!t.acc_overflow && !t.requant_overflow) continue;
        std::ostringstream s;
        s << "output " << at << " (channel " << static_cast<std::int64_t>(at) % l.geometry.out_c
          << ", " << describe_layer(b) << "): ";
        if (t.pair_saturated)
          s << "an int16 pair sum saturated (VPMADDUBSW): the accumulator is " << t.acc
            << " instead of " << to_decimal(t.acc_exact);
        else if (t.acc_overflow)
          s << "the exact sum " << to_decimal(t.acc_exact) << " leaves the "
            << to_string(b.path->accumulator) << " accumulator (it wraps to " << t.acc << ")";
        else
          s << "the requantization product of acc = " << t.acc << " overflows int64";
        s << "; output " << t.y << "; input " << input_json(x);
        return Verdict::fail(s.str());
      }
    }
  }
  return Verdict::ok();
}

Verdict requantization_exact(const QuantizerUnderTest& q, const RuntimeProfile& rt, const Case& c) {
  Built b;
  if (auto stop = build(q, rt, c, b)) return *stop;
  if (!b.prep.rejected.empty()) return Verdict::reject("Prepare rejects: " + b.prep.rejected);
  const IntegerLayer& l = b.lc.layer;
  // The op's own rounding, as run_layer uses it (TFLite x86's depthwise
  // kernels round like the reference, not like ruy).
  RuntimePath op_path = *b.path;
  op_path.rounding = rounding_for(*b.path, l.geometry.op);
  const int bound = requantization_bound_lsb(op_path);
  const int128 type_max = b.path->accumulator == AccumulatorType::int32
                              ? int128{std::numeric_limits<std::int32_t>::max()}
                              : int128{std::numeric_limits<std::int64_t>::max()};
  const std::int32_t zp = l.output_zero_point;
  for (std::int64_t ch = 0; ch < l.geometry.out_c; ++ch) {
    const ChannelMultiplier& m = b.prep.channels[static_cast<std::size_t>(ch)];
    const int128 reach = std::min(worst_case_accumulator(l, ch), type_max);
    const auto check_one = [&](int128 a) -> std::optional<Verdict> {
      ++requant_values;
      const auto acc = static_cast<std::int64_t>(a);
      const Requantized got = requantize(op_path, m, acc, zp, b.prep.out_min, b.prep.out_max);
      const std::optional<std::int64_t> want =
          requantize_exact(op_path, m, a, zp, b.prep.out_min, b.prep.out_max);
      if (!want) return std::nullopt;
      const std::int64_t diff = got.y - *want;
      if (!got.overflow && diff <= bound && -diff <= bound) return std::nullopt;
      std::ostringstream s;
      s << check::channel_prefix(ch) << "acc = " << acc << " (" << describe_layer(b)
        << "): the runtime gives " << got.y << ", the exactly rounded acc * M_repr gives " << *want
        << " (M_repr = " << m.repr_num << " * 2^" << m.repr_exp2
        << (m.flushed ? ", flushed to 0 by the runtime" : "") << "; bound " << bound << " LSB"
        << (got.overflow ? "; an intermediate overflowed" : "") << ")";
      return Verdict::fail(s.str());
    };
    // Every accumulator near 0, an even spread over the reachable range, and
    // the accumulators next to each rounding tie of the first outputs.
    const int128 dense = std::min<int128>(reach, 512);
    for (int128 a = -dense; a <= dense; ++a)
      if (auto v = check_one(a)) return *v;
    for (int k = -64; k <= 64; ++k)
      if (auto v = check_one(reach * k / 64)) return *v;
    const long double repr = std::ldexp(static_cast<long double>(m.repr_num), m.repr_exp2);
    if (repr > 0) {
      for (int y = -40; y <= 40; ++y) {
        const long double tie = (y + 0.5L) / repr;
        if (std::fabs(tie) > static_cast<long double>(reach)) continue;
        const auto t = static_cast<std::int64_t>(std::floor(tie));
        for (std::int64_t d = -1; d <= 2; ++d)
          if (auto v = check_one(int128{t} + d)) return *v;
      }
    }
  }
  return Verdict::ok();
}

// The paper bound of docs/runtimes.md ("Output error bound"), per output:
//   e_x sum|w| + e_w (sum|x| + n e_x)           weight and input half steps
// + s_b / 2 + |q_b| |s_b - s_in s_w|            bias half step, bias-scale rounding
// + |acc| eps_M s_in s_w                        multiplier encoding
// + s_out (1/2 + r)                             output rounding, r = requantization bound
Verdict output_error_bound(const QuantizerUnderTest& q, const RuntimeProfile& rt, const Case& c) {
  Built b;
  if (auto stop = build(q, rt, c, b)) return *stop;
  if (!b.prep.rejected.empty()) return Verdict::reject("Prepare rejects: " + b.prep.rejected);
  const IntegerLayer& l = b.lc.layer;
  const LayerGeometry& g = l.geometry;
  const long double s_in = l.input_scale, s_out = l.output_scale;
  const long double eps_m = multiplier_relative_bound(*b.path);
  const int r = requantization_bound_lsb(*b.path);
  const std::int32_t zp_out = b.path->add_output_zero_point ? l.output_zero_point : 0;
  const long double lo = s_out * (b.prep.out_min - zp_out), hi = s_out * (b.prep.out_max - zp_out);
  const std::int64_t taps_c = g.op == OpKind::depthwise_conv2d ? 1 : g.in_c;
  const std::int64_t out_h = g.out_h(), out_w = g.out_w(), pad_t = g.pad_top(),
                     pad_l = g.pad_left();
  for (const std::vector<std::int32_t>& xq : probe_inputs(l, 2)) {
    const std::vector<long double> x = real_input(l, xq);
    const std::vector<long double> y = float_layer(b.lc, x);
    const LayerRun run = run_layer(rt, l, b.prep, xq);
    std::size_t at = 0;
    for (std::int64_t oy = 0; oy < out_h; ++oy)
      for (std::int64_t ox = 0; ox < out_w; ++ox)
        for (std::int64_t oc = 0; oc < g.out_c; ++oc, ++at) {
          long double sum_w = 0, sum_x = 0, n = 0;
          for (std::int64_t ky = 0; ky < g.kernel_h; ++ky)
            for (std::int64_t kx = 0; kx < g.kernel_w; ++kx) {
              const std::int64_t iy = oy * g.stride_h - pad_t + ky * g.dilation_h;
              const std::int64_t ix = ox * g.stride_w - pad_l + kx * g.dilation_w;
              if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) continue;
              for (std::int64_t i = 0; i < taps_c; ++i) {
                const std::int64_t ic = g.op == OpKind::depthwise_conv2d ? oc : i;
                sum_w += std::fabs(static_cast<long double>(
                    b.lc.weights[static_cast<std::size_t>(filter_index(g, oc, ky, kx, ic))]));
                sum_x += std::fabs(x[static_cast<std::size_t>((iy * g.in_w + ix) * g.in_c + ic)]);
                n += 1;
              }
            }
          // The bound's terms (runtime/layer_bounds.hpp: one formula for this
          // property and `verify --runtime`).
          OutputBoundTerms terms;
          terms.s_in = s_in;
          terms.s_w = weight_scale_of(l, oc);
          terms.s_out = s_out;
          terms.sum_abs_w = sum_w;
          terms.sum_abs_x = sum_x;
          terms.taps = n;
          const long double b_real = b.lc.bias[static_cast<std::size_t>(oc)];
          terms.has_bias_integer = !l.bias.empty();
          if (terms.has_bias_integer) {
            terms.s_b = b.lc.bias_scales[static_cast<std::size_t>(oc)];
            terms.q_b = static_cast<long double>(l.bias[static_cast<std::size_t>(oc)]);
          } else {
            terms.bias_real = b_real;  // no bias integer: the whole bias is the error
          }
          terms.abs_acc = std::fabs(static_cast<long double>(run.trace[at].acc_exact));
          terms.eps_m = eps_m;
          terms.r = r;
          long double bound = output_error_bound(terms);
          // Slack for the long double evaluation of the float layer.
          bound += 0x1p-40L * (std::fabs(b_real) + sum_w * (sum_x + s_in) + std::fabs(y[at]));
          const long double want = std::clamp(y[at], lo, hi);
          const long double got = s_out * (run.output[at] - zp_out);
          const long double err = std::fabs(got - want);
          if (err > bound) {
            std::ostringstream s;
            s << "output " << at << " (channel " << oc << ", " << describe_layer(b)
              << "): deq(y_q) = " << static_cast<double>(got) << " but the float layer gives "
              << static_cast<double>(y[at]) << ": error " << static_cast<double>(err / s_out)
              << " LSB beyond the bound " << static_cast<double>(bound / s_out) << " LSB; input "
              << input_json(xq);
            return Verdict::fail(s.str());
          }
        }
  }
  return Verdict::ok();
}

struct Entry {
  Property property;
  RuntimeCheck pair_check;
};

template <RuntimeCheck F>
Verdict on_natural_runtime(const QuantizerUnderTest& q, const Case& c) {
  return F(q, find_runtime(default_runtimes_for(q).front()), c);
}

const std::vector<Entry>& entries() {
  static const std::vector<Entry> all = {
      {{"multiplier_representable", "runtime_layer",
        "Every per-channel real multiplier M = s_in s_w / s_out of the layer is encoded by the "
        "runtime without a Prepare rejection, without an exponent clamp, without a flush to zero "
        "that an accumulator of the layer can notice (|acc| M >= 1/2), and with a relative error "
        "|M_repr - M| / M within the profile's documented bound (2^-31 for Q31 from a double, "
        "plus 2^-24 for a float product, 2^-15 for the 15-bit int64 multiplier, 2^-23 for a "
        "float32 scale).",
        PropertyInput::finite, &on_natural_runtime<&multiplier_representable>},
       &multiplier_representable},
      {{"accumulator_no_overflow", "runtime_layer",
        "No legal input overflows the runtime's accumulator: for every output channel the input "
        "that drives its sum to the largest and to the smallest value (x = qmax where w - zp_w "
        "has one sign, qmin where it has the other) is constructed and run through the "
        "runtime's kernel, and no partial sum leaves the accumulator type, no int16 pair sum "
        "saturates (ORT non-VNNI u8s8) and no requantization intermediate overflows int64. The "
        "counterexample names the input tensor.",
        PropertyInput::finite, &on_natural_runtime<&accumulator_no_overflow>},
       &accumulator_no_overflow},
      {{"requantization_exact", "runtime_layer",
        "For every reachable accumulator value probed (all |acc| <= 512, a spread over the "
        "worst-case range, and the values next to each rounding tie), the runtime's output "
        "integer differs from the exactly rounded acc * M_repr + zp_out (M_repr the multiplier "
        "as the runtime stores it, before any flush; clamped to the output range) by at most "
        "the profile's bound: 0 LSB for single rounding, 1 LSB for double rounding and float "
        "products.",
        PropertyInput::finite, &on_natural_runtime<&requantization_exact>},
       &requantization_exact},
      {{"output_error_bound", "runtime_layer",
        "For inputs across the activation range (the extreme inputs of each channel and "
        "patterned ones, each real input up to half an input step off its integer), "
        "|deq(y_q) - y_float| is within the bound derived in docs/runtimes.md from the weight, "
        "input and bias half steps, the bias-scale rounding, the multiplier's relative error "
        "and the output rounding: e_x sum|w| + e_w (sum|x| + n e_x) + s_b/2 + |q_b| |s_b - "
        "s_in s_w| + |acc| eps_M s_in s_w + s_out (1/2 + r), with y_float clamped to the "
        "output range.",
        PropertyInput::finite, &on_natural_runtime<&output_error_bound>},
       &output_error_bound},
  };
  return all;
}

}  // namespace

const std::vector<Property>& runtime_properties() {
  static const std::vector<Property> all = [] {
    std::vector<Property> out;
    for (const Entry& e : entries()) out.push_back(e.property);
    return out;
  }();
  return all;
}

RuntimeCheck runtime_check_of(const Property& p) {
  for (const Entry& e : entries())
    if (std::string(e.property.name) == p.name) return e.pair_check;
  return nullptr;
}

bool runtime_supports(const RuntimeProfile& r, const Contract& k) {
  const RuntimePath& path = path_for(r, activation_for(k.weight_type, k.activation_abs_max, r));
  return path.supported && (k.weight_type != WeightType::int16 || path.int16_weights);
}

bool runtime_declared(const Property& p, const Contract& k, const RuntimeProfile& r) {
  const Guarantees& g = k.guarantees;
  if (!(g.valid_scales && g.weight_error_bound && g.no_bias_saturation && g.bias_sign_preserved &&
        g.bias_error_bound && g.accumulator_headroom))
    return false;
  const std::string name = p.name;
  const ActivationType a = activation_for(k.weight_type, k.activation_abs_max, r);
  const RuntimePath& path = path_for(r, a);
  // Prepare refuses the policy's zero points whatever its scales.
  const bool per_channel_zps =
      k.scheme == Scheme::asymmetric && k.granularity == Granularity::per_channel;
  if (r.prepare.require_equal_weight_zero_points && per_channel_zps) return false;
  if (r.prepare.require_zero_weight_zero_point && k.scheme == Scheme::asymmetric &&
      k.weight_type != WeightType::uint8)
    return false;
  // Saturated int16 pair sums change the sum itself: no integer policy short
  // of 7-bit weights keeps the accumulator or the output bound.
  if (path.int16_pair_saturation && a == ActivationType::uint8 &&
      k.weight_type == WeightType::int8 &&
      (name == "accumulator_no_overflow" || name == "output_error_bound"))
    return false;
  if (name == "accumulator_no_overflow")
    return !(path.accumulator == AccumulatorType::int32 && k.bias_type == BiasType::int64);
  // An int64 path that flushes M < 2^-32 loses up to 2^-32 |acc| output LSBs,
  // and |acc| passes 2^31 from the products alone once K >= 2 at int16: the
  // output scale, not the quantizer, decides M, so no weight/bias quantizer
  // can hold these pairs. They are reported as hazards, rated by harm
  // (docs/runtimes.md, "Int64 paths with the flush").
  if (path.accumulator == AccumulatorType::int64 && path.flush_tiny_multiplier) return false;
  return true;
}

std::vector<std::string> default_runtimes_for(const QuantizerUnderTest& q) {
  const std::string name = q.name();
  for (const Policy& p : presets())
    if (p.name == name) return natural_runtimes(p);
  return {"tflite-reference"};
}

PropertyOutcome run_runtime_property(const Property& p, const QuantizerUnderTest& q,
                                     const RuntimeProfile& r, const RunConfig& cfg) {
  const RuntimeCheck f = runtime_check_of(p);
  return run_verdicts(
      std::string(p.name) + "/" + q.name() + "@" + r.name,
      [&](const Case& c) { return f(q, r, c); }, generator_for(p, q.contract()), cfg);
}

std::optional<double> severity_lsb(const QuantizerUnderTest& q, const RuntimeProfile& rt,
                                   const Case& c) {
  Built b;
  if (build(q, rt, c, b) || !b.prep.rejected.empty()) return std::nullopt;
  const IntegerLayer& l = b.lc.layer;
  const std::int32_t zp_out = b.path->add_output_zero_point ? l.output_zero_point : 0;
  const long double s_out = l.output_scale;
  const long double lo = s_out * (b.prep.out_min - zp_out), hi = s_out * (b.prep.out_max - zp_out);
  long double worst = 0;
  for (const std::vector<std::int32_t>& xq : probe_inputs(l, 2)) {
    const std::vector<long double> y = float_layer(b.lc, real_input(l, xq));
    const LayerRun run = run_layer(rt, l, b.prep, xq, false);
    for (std::size_t at = 0; at < y.size(); ++at) {
      const long double got = s_out * (run.output[at] - zp_out);
      worst = std::max(worst, std::fabs(got - std::clamp(y[at], lo, hi)) / s_out);
    }
  }
  return static_cast<double>(worst);
}

std::int64_t requantization_values_checked() { return requant_values; }

}  // namespace quantcheck
