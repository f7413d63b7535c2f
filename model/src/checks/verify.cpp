// verify_model: audit the stored integers and scales of a quantized model.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <sstream>

#include "quantcheck/exact.hpp"
#include "quantcheck/model/tensor_data.hpp"
#include "quantcheck/model/verify.hpp"
#include "text_format.hpp"

namespace quantcheck::model {
namespace {

struct TypeRange {
  std::int64_t min, max;
  bool symmetric;  // zero point must be 0
};

std::optional<TypeRange> weight_range(std::int8_t type) {
  switch (type) {
    case fb::TensorType_INT8: return TypeRange{-128, 127, true};
    case fb::TensorType_UINT8: return TypeRange{0, 255, false};
    case fb::TensorType_INT16: return TypeRange{-32768, 32767, true};
    default: return std::nullopt;
  }
}

bool valid_scale(float s) { return std::isfinite(s) && s >= FLT_MIN; }

std::string num(double v) { return significant(v, 9); }

int128 abs128(int128 v) { return v < 0 ? -v : v; }

// Largest |q_in - zp_in| of the layer's input activation.
std::int64_t input_abs_max(std::int8_t type, std::int64_t zp, bool int64_bias) {
  zp = std::clamp<std::int64_t>(zp, -(1 << 20), 1 << 20);  // a hostile zp must not overflow
  switch (type) {
    case fb::TensorType_INT8: return std::max(127 - zp, zp + 128);
    case fb::TensorType_UINT8: return std::max(255 - zp, zp);
    case fb::TensorType_INT16: return std::max(32767 - zp, zp + 32768);
    default: return int64_bias ? 32768 : 255;  // float input carrying a recorded scale
  }
}

class Auditor {
 public:
  Auditor(const ModelFile& q, VerifyReport& r) : q_(q), r_(r) {}

  void add(const VerifyLayer& v, std::int64_t channel, const std::string& kind,
           const std::string& message) {
    r_.findings.push_back({kind, v.layer.name, v.layer.op_index, channel, message});
  }

  void audit(VerifyLayer& v, const ModelFile* fm, const Layer* fl) {
    const Layer& l = v.layer;
    const fb::Tensor& ft = q_.tensor(l.subgraph, l.filter.data_tensor);
    const auto range = weight_range(static_cast<std::int8_t>(ft.type()));
    v.weight_type = type_name(static_cast<std::int8_t>(ft.type()));
    const auto axis = static_cast<std::size_t>(l.channel_axis);
    v.channels = l.filter_shape[axis];
    std::int64_t inner = 1;
    for (std::size_t d = axis + 1; d < l.filter_shape.size(); ++d) inner *= l.filter_shape[d];
    const std::int64_t C = v.channels;
    auto channel_of = [&](std::size_t i) { return (static_cast<std::int64_t>(i) / inner) % C; };
    // A filter with no elements has nothing to audit, and its channel count
    // (the other dimensions may be 0) bounds nothing: per-channel arrays of
    // that size were an out-of-memory abort (fuzz_model, shape [2^31 - 1, 0]).
    // With elements, C <= the element count, which ModelFile::open bounds by
    // the data actually in the file.
    std::int64_t elements = 1;
    for (const std::int64_t d : l.filter_shape) elements *= d;  // bounded by ModelFile::open
    if (elements == 0) {
      add(v, -1, "empty_filter", "filter of shape with no elements");
      return;
    }

    if (!range) {  // a float layer: nothing quantized to audit
      const auto w = filter_values(q_, l);
      std::vector<char> nonzero(static_cast<std::size_t>(C), 0);
      for (std::size_t i = 0; i < w.size(); ++i)
        if (w[i] != 0) nonzero[static_cast<std::size_t>(channel_of(i))] = 1;
      v.zero_channels = std::count(nonzero.begin(), nonzero.end(), 0);
      return;
    }
    const Quantization wq = quantization_of(ft);
    if (wq.empty()) {
      add(v, -1, "missing_quantization", v.weight_type + " filter without scales");
      return;
    }
    v.quantized = true;
    v.per_channel = wq.scale.size() > 1 || (C == 1 && wq.scale.size() == 1);
    if (wq.scale.size() > 1 && wq.quantized_dimension != l.channel_axis) {
      add(v, -1, "quantized_dimension",
          "filter quantized along dimension " + std::to_string(wq.quantized_dimension) +
              ", not the output channel axis " + std::to_string(l.channel_axis));
      return;
    }
    auto w_index = [&](std::int64_t ch) {
      return wq.scale.size() > 1 ? static_cast<std::size_t>(ch) : 0;
    };

    // Weight scales and zero points.
    v.min_weight_scale = std::numeric_limits<float>::infinity();
    for (std::size_t k = 0; k < wq.scale.size(); ++k) {
      const auto ch = static_cast<std::int64_t>(k);
      v.min_weight_scale = std::min(v.min_weight_scale, wq.scale[k]);
      if (!valid_scale(wq.scale[k]))
        add(v, ch, "invalid_scale",
            "weight scale " + num(wq.scale[k]) + " is not a finite normal positive float");
      const std::int64_t zp = wq.zero_point[k];
      if (zp < range->min || zp > range->max)
        add(v, ch, "zero_point",
            "weight zero point " + std::to_string(zp) + " outside " + v.weight_type);
      else if (range->symmetric && zp != 0)
        add(v, ch, "zero_point",
            "weight zero point " + std::to_string(zp) + " is not 0 for symmetric " + v.weight_type);
    }

    // The input activation's scale.
    float s_in = 0;
    std::int8_t in_type = fb::TensorType_FLOAT32;
    if (l.input >= 0) {
      const fb::Tensor& it = q_.tensor(l.subgraph, l.input);
      in_type = static_cast<std::int8_t>(it.type());
      v.input_type = type_name(in_type);
      const Quantization iq = quantization_of(it);
      if (!iq.empty()) {
        s_in = iq.scale[0];
        v.input_scale = s_in;
        v.input_zero_point = iq.zero_point[0];
        if (!valid_scale(s_in))
          add(v, -1, "invalid_scale",
              "input scale " + num(s_in) + " is not a finite normal positive float");
      }
    }

    // Weights: dead channels, sum |q - zp| per channel, errors against float.
    // Read in place from the file, one channel run at a time.
    std::vector<char> alive(static_cast<std::size_t>(C), 0);
    std::vector<int128> sum_abs(static_cast<std::size_t>(C), 0);
    std::vector<float> fw;
    if (fm) fw = filter_values(*fm, *fl);
    double max_w_err = 0;
    std::int64_t w_err_count = 0, w_err_channel = -1;
    std::vector<char> float_nonzero(static_cast<std::size_t>(C), 0);
    with_integers(q_, ft, [&](const auto qw) {
      const std::size_t n = qw.size();
      const auto run = static_cast<std::size_t>(inner);
      std::int64_t ch = 0;
      for (std::size_t begin = 0; begin < n; begin += run, ch = ch + 1 == C ? 0 : ch + 1) {
        const std::size_t end = std::min(n, begin + run);
        const auto c = static_cast<std::size_t>(ch);
        const std::size_t k = w_index(ch);
        const std::int64_t zp = std::clamp<std::int64_t>(wq.zero_point[k], -(1 << 20), 1 << 20);
        bool any = false;
        int128 sum = 0;
        for (std::size_t i = begin; i < end; ++i) {
          const std::int64_t d = qw[i] - zp;
          any |= d != 0;
          sum += d < 0 ? -d : d;
        }
        if (any) alive[c] = 1;
        sum_abs[c] += sum;
        if (!fm) continue;
        const double s = wq.scale[k];
        const double lo = (double(range->min) - double(wq.zero_point[k])) * s;
        const double hi = (double(range->max) - double(wq.zero_point[k])) * s;
        for (std::size_t i = begin; i < end; ++i) {
          const std::int64_t d = qw[i] - zp;
          const double w = fw[i];
          if (w != 0) float_nonzero[c] = 1;
          const double err = std::fabs(s * double(d) - w);
          max_w_err = std::max(max_w_err, err);
          // Half a step, plus what float32 arithmetic may add: TFLite (and
          // most converters) form q = round(w / s) or round(w * (1/s)) in
          // float32, two roundings of relative size 2^-24 each, so the
          // quotient may be off by |w / s| 2^-23 before rounding to an
          // integer (seen as 1.000001-1.000004 half steps on real models).
          // The bound is that, with a factor 2 to spare.
          const double tolerance = s * (0.5 + std::fabs(w / s) * 0x1p-22);
          if (w >= lo && w <= hi && err > tolerance) {
            ++w_err_count;
            if (w_err_channel < 0) w_err_channel = ch;
          }
        }
      }
    });
    if (fm) v.max_weight_error = max_w_err;
    if (w_err_count)
      add(v, w_err_channel, "weight_error",
          std::to_string(w_err_count) +
              " weights inside the range are more than half a step (plus float32 rounding) from "
              "the float model");

    // Bias.
    std::vector<std::int64_t> qb;
    Quantization bq;
    const bool int_bias = [&] {
      if (!l.bias) return false;
      const fb::Tensor& bt = q_.tensor(l.subgraph, l.bias->data_tensor);
      v.bias_type = type_name(static_cast<std::int8_t>(bt.type()));
      if (bt.type() != fb::TensorType_INT32 && bt.type() != fb::TensorType_INT64) return false;
      bq = quantization_of(bt);
      if (bq.empty()) {
        add(v, -1, "missing_quantization", v.bias_type + " bias without scales");
        return false;
      }
      if (bq.scale.size() != 1 && static_cast<std::int64_t>(bq.scale.size()) != C) {
        add(v, -1, "missing_quantization",
            std::to_string(bq.scale.size()) + " bias scales for " + std::to_string(C) +
                " channels");
        return false;
      }
      qb = read_integers(q_, bt);
      return true;
    }();
    const bool int64_bias = v.bias_type == "INT64";
    const std::int64_t bmax = int64_bias ? std::numeric_limits<std::int64_t>::max()
                                         : std::numeric_limits<std::int32_t>::max();
    const std::int64_t bmin = int64_bias ? std::numeric_limits<std::int64_t>::min()
                                         : std::numeric_limits<std::int32_t>::min();
    std::vector<float> fb_values;
    if (fm && int_bias) fb_values = bias_values(*fm, *fl);
    double max_b_err = 0;
    const std::int64_t in_max = input_abs_max(in_type, v.input_zero_point, int64_bias);
    int128 worst = 0;
    for (std::int64_t ch = 0; ch < C; ++ch) {
      const auto c = static_cast<std::size_t>(ch);
      const std::int64_t q = int_bias ? qb[c] : 0;
      const float s_b = int_bias ? bq.scale[bq.scale.size() == 1 ? 0 : c] : 0.0f;
      if (int_bias) {
        v.max_abs_bias =
            std::max<std::int64_t>(v.max_abs_bias, q == std::numeric_limits<std::int64_t>::min()
                                                       ? std::numeric_limits<std::int64_t>::max()
                                                       : std::llabs(q));
        if (!valid_scale(s_b))
          add(v, ch, "invalid_scale",
              "bias scale " + num(s_b) + " is not a finite normal positive float");
        if (bq.zero_point[bq.scale.size() == 1 ? 0 : c] != 0)
          add(v, ch, "zero_point", "bias zero point is not 0");
        if (s_in > 0) {
          const double want = double(s_in) * double(wq.scale[w_index(ch)]);
          if (!(std::fabs(double(s_b) - want) <= kBiasScaleTolerance * want))
            add(v, ch, "bias_scale_mismatch",
                "bias scale " + num(s_b) + " is not input scale x weight scale = " + num(want));
        }
        if (q >= bmax - 1 || q <= bmin + 1)
          add(v, ch, "bias_saturation_suspect",
              "bias " + std::to_string(q) + " is at or next to the " + v.bias_type + " limit");
        if (fb_values.size() == static_cast<std::size_t>(C)) {
          const double b = fb_values[c];
          max_b_err = std::max(max_b_err, std::fabs(double(q) * double(s_b) - b));
          const bool ok = valid_scale(s_b) ? within_half_step(q, b, s_b) : b == 0;
          if (!ok) add(v, ch, "bias_error", "|q_b s_b - b| exceeds s_b / 2 (b = " + num(b) + ")");
        }
      }
      worst = std::max(worst, abs128(q) + sum_abs[c] * in_max);
      if (!alive[c] && !v.per_channel) ++v.zero_channels;  // shares the tensor's scale
      if (!alive[c] && v.per_channel) {
        v.dead.push_back({ch, wq.scale[w_index(ch)], q,
                          static_cast<double>(static_cast<float>(double(q) * double(s_b)))});
        if (fm && float_nonzero[c])
          add(v, ch, "dead_channel",
              "every weight quantized to the zero point, the float weights are not all 0");
      }
    }
    if (fm && int_bias) v.max_bias_error = max_b_err;
    const int128 acc = bmax;  // the accumulator is as wide as the bias
    v.headroom = static_cast<double>(acc - worst);
    if (acc - worst < 0)
      add(v, -1, "no_headroom",
          "|q_b| + sum |q_w - zp| max|q_in| exceeds the accumulator (" + v.bias_type + ")");
  }

 private:
  const ModelFile& q_;
  VerifyReport& r_;
};

std::string shape_text(const std::vector<std::int64_t>& s) {
  std::string t = "[";
  for (std::size_t i = 0; i < s.size(); ++i) t += (i ? "," : "") + std::to_string(s[i]);
  return t + "]";
}

}  // namespace

VerifyReport verify_model(const ModelFile& q, const ModelFile* float_model,
                          const std::function<void(int, int)>& progress) {
  VerifyReport r;
  r.path = q.path();
  r.format = q.format();
  const auto layers = find_layers(q);
  std::vector<Layer> float_layers;
  if (float_model) {
    r.float_path = float_model->path();
    float_layers = find_layers(*float_model);
    if (float_layers.size() != layers.size())
      throw InputError(float_model->path() + ": has " + std::to_string(float_layers.size()) +
                       " layers, " + q.path() + " has " + std::to_string(layers.size()));
  }
  Auditor a(q, r);
  r.min_weight_scale = std::numeric_limits<float>::infinity();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Layer* fl = float_model ? &float_layers[i] : nullptr;
    if (fl && (fl->kind != layers[i].kind || fl->filter_shape != layers[i].filter_shape))
      throw InputError(float_model->path() + ": layer " + std::to_string(i) + " '" + fl->name +
                       "' is " + builtin_name(fl->kind) + " " + shape_text(fl->filter_shape) +
                       ", in " + q.path() + " " + builtin_name(layers[i].kind) + " " +
                       shape_text(layers[i].filter_shape));
    VerifyLayer v;
    v.layer = layers[i];
    a.audit(v, float_model, fl);
    r.channels += v.channels;
    if (v.quantized) {
      ++r.quantized_layers;
      r.dead_channels += static_cast<std::int64_t>(v.dead.size());
      r.max_abs_bias = std::max(r.max_abs_bias, v.max_abs_bias);
      r.min_weight_scale = std::min(r.min_weight_scale, v.min_weight_scale);
    } else {
      ++r.float_layers;
    }
    r.layers.push_back(std::move(v));
    if (progress) progress(static_cast<int>(i + 1), static_cast<int>(layers.size()));
  }
  if (r.quantized_layers == 0) r.min_weight_scale = 0;
  r.unaudited = find_unaudited(q, layers);
  std::string customs;
  for (const std::string& c : r.unaudited.custom_ops) customs += (customs.empty() ? "" : ", ") + c;
  if (layers.empty())
    r.warnings.push_back(
        "no CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED layer with constant weights: nothing "
        "was verified" +
        (customs.empty() ? std::string()
                         : "; the layers may sit inside custom operators, which quantcheck cannot "
                           "see into: " +
                               customs));
  else if (r.quantized_layers == 0)
    r.warnings.push_back("no quantized layer: " + std::to_string(r.float_layers) +
                         " float layers, nothing to verify (for a float model, `quantcheck "
                         "check` tells what each policy would do)");
  if (!r.unaudited.tensors.empty())
    r.warnings.push_back(std::to_string(r.unaudited.tensors.size()) +
                         " quantized or sparse constants were not audited (listed per operator)");
  return r;
}

}  // namespace quantcheck::model
