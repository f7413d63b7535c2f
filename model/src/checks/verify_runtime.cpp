// verify_runtime: a quantized model's layers on a runtime profile. The
// arithmetic is the runtime library's (prepare_layer, accumulator_range,
// requantize, run_layer, worst_output_error_bound); this file only turns the
// model's tensors into IntegerLayers and the results into findings.
#include "quantcheck/model/verify_runtime.hpp"
#include "quantcheck/exact.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "quantcheck/model/tensor_data.hpp"
#include "quantcheck/runtime/layer.hpp"
#include "quantcheck/runtime/layer_bounds.hpp"
#include "quantcheck/runtime/profiles.hpp"
#include "text_format.hpp"

namespace quantcheck::model {
namespace {

std::string num(double v) { return significant(v, 9); }

std::optional<ActivationType> activation_of(std::int8_t t) {
  switch (t) {
    case fb::TensorType_INT8: return ActivationType::int8;
    case fb::TensorType_UINT8: return ActivationType::uint8;
    case fb::TensorType_INT16: return ActivationType::int16;
    default: return std::nullopt;
  }
}

std::optional<WeightType> weight_of(std::int8_t t) {
  switch (t) {
    case fb::TensorType_INT8: return WeightType::int8;
    case fb::TensorType_UINT8: return WeightType::uint8;
    case fb::TensorType_INT16: return WeightType::int16;
    default: return std::nullopt;
  }
}

std::int32_t to_i32(std::int64_t v) {
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(
      v, std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max()));
}

const fb::Operator& op_of(const ModelFile& m, const Layer& l) {
  return *m.model().subgraphs()->Get(l.subgraph)->operators()->Get(l.op_index);
}

// The layer's scales, zero points, bias and full geometry (no weights:
// `one` takes one channel's at a time). Empty string: built; else why the
// layer cannot be checked on a runtime.
std::string build_layer(const ModelFile& m, const VerifyLayer& v, IntegerLayer& il,
                        std::vector<float>& bias_scales, LayerRuntime& lr) {
  const Layer& l = v.layer;
  if (!v.quantized) return "float filter";
  const fb::Operator& op = op_of(m, l);
  if (l.input < 0 || !op.outputs() || op.outputs()->size() < 1 || op.outputs()->Get(0) < 0)
    return "no input or output activation";
  const fb::Tensor& it = m.tensor(l.subgraph, l.input);
  const fb::Tensor& ot = m.tensor(l.subgraph, op.outputs()->Get(0));
  const auto act = activation_of(static_cast<std::int8_t>(it.type()));
  if (!act)
    return "input activation is " + type_name(static_cast<std::int8_t>(it.type())) +
           " (the layer runs in float, or is weight-only quantized)";
  if (ot.type() != it.type())
    return "output activation is " + type_name(static_cast<std::int8_t>(ot.type())) + ", input " +
           type_name(static_cast<std::int8_t>(it.type()));
  const Quantization iq = quantization_of(it), oq = quantization_of(ot);
  if (iq.empty() || oq.empty()) return "an activation has no scale";
  if (iq.scale.size() != 1 || oq.scale.size() != 1) return "per-channel activation scales";
  const fb::Tensor& ft = m.tensor(l.subgraph, l.filter.data_tensor);
  const auto wt = weight_of(static_cast<std::int8_t>(ft.type()));
  if (!wt) return "filter type " + v.weight_type;
  const Quantization wq = quantization_of(ft);
  if (wq.empty()) return "filter without scales";
  if (wq.scale.size() > 1 && wq.quantized_dimension != l.channel_axis)
    return "filter quantized along another dimension";

  LayerGeometry& g = il.geometry;
  g = LayerGeometry{};
  g.op = l.kind;
  g.padding = Padding::valid;
  const auto& s = l.filter_shape;
  if (l.kind == OpKind::fully_connected) {
    g.out_c = s[0], g.in_c = s[1];
  } else {
    // Dilation only spaces the taps apart: the receptive field of one output
    // with dilation 1 holds the same products (and a hostile dilation cannot
    // make its input huge).
    g.kernel_h = s[1], g.kernel_w = s[2];
    g.in_h = g.kernel_h;
    g.in_w = g.kernel_w;
    if (l.kind == OpKind::conv2d) {
      g.out_c = s[0], g.in_c = s[3];
    } else {
      g.out_c = s[3], g.in_c = s[3];
      // The depth multiplier from the input's channels (the option is often 1 or absent).
      const auto in_shape = shape_of(it);
      const std::int64_t cin = in_shape.empty() ? 0 : in_shape.back();
      if (cin > 0 && g.out_c % cin == 0) g.in_c = cin, g.depth_multiplier = g.out_c / cin;
    }
  }
  if (static_cast<std::int64_t>(wq.scale.size()) != 1 &&
      static_cast<std::int64_t>(wq.scale.size()) != g.out_c)
    return "filter scales do not match the channels";
  il.activation = *act;
  il.weight_type = *wt;
  il.input_scale = iq.scale[0];
  il.input_zero_point = to_i32(iq.zero_point[0]);
  il.output_scale = oq.scale[0];
  il.output_zero_point = to_i32(oq.zero_point[0]);
  lr.output_scale = il.output_scale;
  lr.output_zero_point = oq.zero_point[0];
  il.weights.clear();
  il.weight_scales = wq.scale;
  il.weight_zero_points.clear();
  // A zero point outside the weight type is verify_model's `zero_point`
  // finding; no runtime computes with it (and |w - zp| must stay small).
  const std::int64_t w_lo =
      *wt == WeightType::uint8 ? 0 : (*wt == WeightType::int8 ? -128 : -32768);
  const std::int64_t w_hi =
      *wt == WeightType::uint8 ? 255 : (*wt == WeightType::int8 ? 127 : 32767);
  for (const std::int64_t z : wq.zero_point) {
    if (z < w_lo || z > w_hi) return "a weight zero point outside " + v.weight_type;
    il.weight_zero_points.push_back(static_cast<std::int32_t>(z));
  }
  il.bias.clear();
  bias_scales.clear();
  il.bias_type = BiasType::int32;
  if (l.bias) {
    const fb::Tensor& bt = m.tensor(l.subgraph, l.bias->data_tensor);
    if (bt.type() != fb::TensorType_INT32 && bt.type() != fb::TensorType_INT64)
      return "bias type " + type_name(static_cast<std::int8_t>(bt.type()));
    const Quantization bq = quantization_of(bt);
    if (bq.empty()) return "bias without scales";
    if (bq.scale.size() != 1 && static_cast<std::int64_t>(bq.scale.size()) != g.out_c)
      return "bias scales do not match the channels";
    il.bias_type = bt.type() == fb::TensorType_INT64 ? BiasType::int64 : BiasType::int32;
    il.bias = read_integers(m, bt);
    if (static_cast<std::int64_t>(il.bias.size()) != g.out_c) return "bias size";
    for (std::int64_t c = 0; c < g.out_c; ++c)
      bias_scales.push_back(bq.scale[bq.scale.size() == 1 ? 0 : static_cast<std::size_t>(c)]);
  }
  lr.activation = to_string(*act);
  return "";
}

// Channel c of the layer alone, on one output position's receptive field
// (every tap inside the input: the worst case of every position, since a
// padded tap only removes a product): the runtime library's IntegerLayer,
// with the channel's weights read from the file into a reused buffer (a copy
// of a whole model's filters was most of the time: fresh pages).
void channel_layer(const ModelFile& m, const fb::Tensor& ft, const IntegerLayer& il, std::int64_t c,
                   IntegerLayer& one) {
  const LayerGeometry& g = il.geometry;
  const bool dw = g.op == OpKind::depthwise_conv2d;
  LayerGeometry& h = one.geometry;
  h = g;
  h.out_c = 1;
  h.depth_multiplier = 1;
  if (dw) h.in_c = 1;
  one.activation = il.activation;
  one.weight_type = il.weight_type;
  one.input_scale = il.input_scale;
  one.input_zero_point = il.input_zero_point;
  one.output_scale = il.output_scale;
  one.output_zero_point = il.output_zero_point;
  one.bias_type = il.bias_type;
  const auto ci = static_cast<std::size_t>(c);
  one.weight_scales.assign(1, il.weight_scales[il.weight_scales.size() == 1 ? 0 : ci]);
  one.weight_zero_points.assign(1,
                                il.weight_zero_points[il.weight_zero_points.size() == 1 ? 0 : ci]);
  if (il.bias.empty())
    one.bias.clear();
  else
    one.bias.assign(1, il.bias[ci]);
  const std::int64_t n = h.filter_size();
  one.weights.resize(static_cast<std::size_t>(n));
  with_integers(m, ft, [&](const auto qw) {
    std::int32_t* out = one.weights.data();
    if (dw)
      for (std::int64_t k = 0; k < n; ++k)
        out[k] = static_cast<std::int32_t>(qw[static_cast<std::size_t>(k * g.out_c + c)]);
    else
      for (std::int64_t k = 0; k < n; ++k)
        out[k] = static_cast<std::int32_t>(qw[static_cast<std::size_t>(c * n + k)]);
  });
}

// An input tensor as text, when short enough to be worth printing.
std::string input_text(const std::vector<std::int32_t>& x) {
  if (x.size() > 64) return std::to_string(x.size()) + " values";
  std::string out = "[";
  for (std::size_t i = 0; i < x.size(); ++i) out += (i ? "," : "") + std::to_string(x[i]);
  return out + "]";
}

class LayerChecker {
 public:
  LayerChecker(const ModelFile& m, const RuntimeProfile& rt, VerifyReport& r, bool keep)
      : m_(m), rt_(rt), r_(r), keep_(keep) {}

  void check(const VerifyLayer& v, const IntegerLayer& il, const std::vector<float>& bias_scales,
             LayerRuntime& lr) {
    const fb::Tensor& ft = m_.tensor(v.layer.subgraph, v.layer.filter.data_tensor);
    const RuntimePath& path = path_for(rt_, il.activation);
    RuntimePath op_path = path;
    op_path.rounding = rounding_for(path, il.geometry.op);
    lr.accumulator = to_string(path.accumulator);
    const int128 amin = accumulator_min(path.accumulator), amax = accumulator_max(path.accumulator);
    const long double eps = multiplier_relative_bound(path);
    if (keep_) lr.channels.resize(static_cast<std::size_t>(il.geometry.out_c));
    int overflow_runs = 0;
    int128 narrow_min = 0, narrow_max = 0;
    for (std::int64_t c = 0; c < il.geometry.out_c; ++c) {
      const auto ci = static_cast<std::size_t>(c);
      channel_layer(m_, ft, il, c, one_);
      const PreparedLayer prep = prepare_layer(rt_, one_);  // InputError: caller skips
      if (!prep.rejected.empty()) {
        lr.rejected = prep.rejected;
        lr.channels.clear();
        ++s().rejected_layers;
        add(v, c, "runtime_rejects", "Prepare refuses the layer: " + prep.rejected);
        lr.checked = true;
        return;
      }
      ChannelRuntime ch;
      const ChannelMultiplier& m = prep.channels.front();
      const AccumulatorRange range = accumulator_range(rt_, one_, 0);
      const float s_w = one_.weight_scales.front();
      // The exact quotient of the float32 scales (their product is exact in a long double).
      const long double M = static_cast<long double>(il.input_scale) * s_w /
                            static_cast<long double>(il.output_scale);
      ch.multiplier = m.real;
      ch.encoded = std::ldexp(static_cast<double>(m.repr_num), m.repr_exp2);
      ch.q = m.q31.q;
      ch.e = m.q31.e;
      ch.relative_error = M > 0 ? static_cast<double>(std::fabs(ch.encoded - M) / M) : 0.0;
      ch.acc_lo = range.lo, ch.acc_hi = range.hi;
      ch.acc_min = range.acc_min, ch.acc_max = range.acc_max;
      ch.pair_min = range.pair_min, ch.pair_max = range.pair_max;
      const int128 worst = std::max(range.acc_max, -range.acc_min);
      ch.flushed = m.flushed;
      ch.clamped = m.clamped;
      ch.flush_visible = m.flushed && static_cast<long double>(worst) * M >= 0.5L;
      s().flushed += m.flushed;
      ++s().channels_checked;
      note_multiplier(v, lr, c, m.real);

      if (ch.flush_visible) {
        ++s().flush_findings;
        add(v, c, "multiplier_flushed",
            "M = " + num(m.real) + " < 2^-32 is flushed to 0 (e < -31), but |acc| reaches " +
                to_decimal(worst) + ", an output of " + num(static_cast<double>(worst * M)) +
                " steps: every output of the channel becomes the zero point");
      }
      if (ch.clamped)
        add(v, c, "multiplier_clamped",
            "M = " + num(m.real) + ": exponent > 30 clamped to (2^31 - 1, 30)");
      const bool visible = static_cast<long double>(worst) * M >= 0.5L ||
                           static_cast<long double>(worst) * ch.encoded >= 0.5L;
      if (!m.flushed && !m.clamped && M > 0 && visible && ch.relative_error > eps * (1 + 1e-9L))
        add(v, c, "multiplier_encoding",
            "M = " + num(static_cast<double>(M)) + " encoded as " + num(ch.encoded) +
                ", relative error " + num(ch.relative_error) + " beyond the profile's " +
                num(static_cast<double>(eps)));

      // The accumulator: every partial sum, the int16 pair sums, the int64 product.
      std::string why;
      if (range.hi > amax || range.lo < amin)
        why = "the exact worst-case accumulator range [" + to_decimal(range.lo) + ", " +
              to_decimal(range.hi) + "] leaves " + lr.accumulator;
      else if (range.pairs && (range.pair_max > 32767 || range.pair_min < -32768))
        why = "a u8 x s8 pair sum reaches [" + std::to_string(range.pair_min) + ", " +
              std::to_string(range.pair_max) + "], beyond int16 (VPMADDUBSW saturates)";
      else
        for (const int128 a : {range.acc_min, range.acc_max})
          if (requantize(op_path, m, static_cast<std::int64_t>(a), il.output_zero_point,
                         prep.out_min, prep.out_max)
                  .overflow)
            why = "the requantization product of acc = " + to_decimal(a) + " overflows int64";
      if (!why.empty()) {
        ch.overflow = true;
        ++s().overflow_findings;
        // The counterexample: the extreme input, run through the kernel.
        if (overflow_runs++ < 4) why += kernel_witness(prep, range);
        add(v, c, "accumulator_overflow", why);
      }
      const int128 margin = std::min(amax - range.hi, range.lo - amin);
      if (lr.narrowest_channel < 0 || margin < lr.min_margin) {
        lr.min_margin = margin;
        lr.narrowest_channel = c;
        narrow_min = range.acc_min, narrow_max = range.acc_max;
      }
      const double fraction = static_cast<double>(
          static_cast<long double>(std::max(range.hi, -range.lo)) / static_cast<long double>(amax));
      lr.max_accumulator_fraction = std::max(lr.max_accumulator_fraction, fraction);
      note_margin(v, c, margin, fraction);

      ch.bound = static_cast<double>(worst_output_error_bound(
          rt_, one_, 0, range, il.bias.empty() ? 0.0f : bias_scales[ci], m.flushed));
      ch.bound_lsb = ch.bound / static_cast<double>(il.output_scale);
      if (ch.bound_lsb > lr.max_bound_lsb) {
        lr.max_bound_lsb = ch.bound_lsb;
        lr.max_bound = ch.bound;
      }
      if (s().max_bound_layer < 0 || ch.bound_lsb > s().max_bound_lsb) {
        s().max_bound_lsb = ch.bound_lsb;
        s().max_bound_layer = v.layer.op_index;
        s().max_bound_channel = c;
      }
      if (keep_) lr.channels[ci] = ch;
    }
    lr.kernel_confirmed = confirm(ft, il, lr.narrowest_channel, narrow_min, narrow_max);
    lr.checked = true;
  }

 private:
  RuntimeSummary& s() { return *r_.runtime; }

  void add(const VerifyLayer& v, std::int64_t channel, const std::string& kind,
           const std::string& message) {
    r_.findings.push_back(
        {kind, v.layer.name, v.layer.op_index, channel, rt_.name + ": " + message});
  }

  void note_multiplier(const VerifyLayer& v, LayerRuntime& lr, std::int64_t c, double m) {
    if (c == 0 || m < lr.min_multiplier) lr.min_multiplier = m;
    if (c == 0 || m > lr.max_multiplier) lr.max_multiplier = m;
    RuntimeSummary& S = s();
    if (S.min_multiplier_layer < 0 || m < S.min_multiplier)
      S.min_multiplier = m, S.min_multiplier_layer = v.layer.op_index, S.min_multiplier_channel = c;
    if (S.max_multiplier_layer < 0 || m > S.max_multiplier)
      S.max_multiplier = m, S.max_multiplier_layer = v.layer.op_index, S.max_multiplier_channel = c;
  }

  void note_margin(const VerifyLayer& v, std::int64_t c, int128 margin, double fraction) {
    RuntimeSummary& S = s();
    if (S.min_margin_layer < 0 || margin < S.min_margin)
      S.min_margin = margin, S.min_margin_layer = v.layer.op_index, S.min_margin_channel = c;
    S.max_accumulator_fraction = std::max(S.max_accumulator_fraction, fraction);
  }

  // The channel's extreme input of one sign through the kernel: what the
  // accumulator holds and what comes out.
  std::string kernel_witness(const PreparedLayer& prep, const AccumulatorRange& r) {
    const int sign = r.hi > -r.lo ? 1 : -1;
    const std::vector<std::int32_t> x = extreme_input(one_, 0, sign);
    const LayerRun run = run_layer(rt_, one_, prep, x);
    const OutputTrace& t = run.trace.front();
    return "; the kernel on the " + std::string(sign > 0 ? "max" : "min") +
           "imizing input (x = qmax where w - zp_w " + (sign > 0 ? ">" : "<") +
           " 0, qmin where it has the other sign; " + input_text(x) + ") holds " +
           to_decimal(t.acc) + " for the exact " + to_decimal(t.acc_exact) + " and outputs " +
           std::to_string(t.y);
  }

  // The closed form against the kernel, on the narrowest channel.
  bool confirm(const fb::Tensor& ft, const IntegerLayer& il, std::int64_t c, int128 acc_min,
               int128 acc_max) {
    if (c < 0) return false;
    channel_layer(m_, ft, il, c, one_);
    const PreparedLayer prep = prepare_layer(rt_, one_);
    if (!prep.rejected.empty()) return false;
    for (const int sign : {1, -1}) {
      const LayerRun run = run_layer(rt_, one_, prep, extreme_input(one_, 0, sign));
      if (run.trace.front().acc_exact != (sign > 0 ? acc_max : acc_min)) return false;
    }
    return true;
  }

  const ModelFile& m_;
  const RuntimeProfile& rt_;
  VerifyReport& r_;
  bool keep_;
  IntegerLayer one_;  // one channel at a time, its buffers reused
};

}  // namespace

std::string natural_runtime(const ModelFile& m, const VerifyReport& r, std::string* why) {
  auto say = [&](const std::string& text) {
    if (why) *why = text;
  };
  if (m.format() == Format::circle) {
    say("circle model: Samsung ONE's luci-interpreter");
    return "luci-interpreter";
  }
  for (const VerifyLayer& v : r.layers) {
    if (!v.quantized || v.layer.input < 0) continue;
    const auto t = static_cast<std::int8_t>(m.tensor(v.layer.subgraph, v.layer.input).type());
    if (t == fb::TensorType_INT16) {
      say("TFLite with int16 activations (16x8): the int64-accumulator kernels");
      return "tflite-16x8";
    }
    if (t == fb::TensorType_UINT8) {
      say("TFLite with uint8 activations: TFLite 2.9 on x86 runs uint8 through gemmlowp");
      return "gemmlowp";
    }
    if (t == fb::TensorType_INT8) break;
  }
  say("TFLite int8: what the TFLite 2.9 library computes on x86 (ruy)");
  return "tflite-x86";
}

void verify_runtime(const ModelFile& m, const RuntimeProfile& rt, VerifyReport& r,
                    const std::string& chosen_because, bool keep_channels) {
  r.runtime.emplace();
  r.runtime->runtime = rt.name;
  r.runtime->chosen_because = chosen_because;
  r.runtime->layers.resize(r.layers.size());
  LayerChecker checker(m, rt, r, keep_channels);
  IntegerLayer il;  // scales, zero points, bias and geometry of one layer
  std::vector<float> bias_scales;
  for (std::size_t i = 0; i < r.layers.size(); ++i) {
    LayerRuntime& lr = r.runtime->layers[i];
    const VerifyLayer& v = r.layers[i];
    try {
      lr.skipped = build_layer(m, v, il, bias_scales, lr);
      if (lr.skipped.empty()) checker.check(v, il, bias_scales, lr);
    } catch (const InputError& e) {
      lr.skipped = e.what();  // a malformed layer (sizes): verify_model has its findings
      lr.checked = false;
      lr.channels.clear();
    }
    if (lr.checked)
      ++r.runtime->layers_checked;
    else
      ++r.runtime->layers_skipped;
  }
}

}  // namespace quantcheck::model
