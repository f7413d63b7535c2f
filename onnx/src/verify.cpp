// verify_model for ONNX: the findings of model::verify_model (TFLite) read
// from DequantizeLinear and QOperator inputs. Differences from TFLite, by
// ONNX's rules: any weight zero point inside its type is valid (ONNX Runtime
// runs asymmetric int8 weights); a per-axis scale must lie along the layer's
// output channel axis as stored (docs/onnx.md); QLinearConv/QGemm biases
// have the implied scale x_scale * w_scale, so only their saturation and the
// headroom are audited; a fake-quantized weight (QuantizeLinear ->
// DequantizeLinear of a float constant) is audited on the integers
// QuantizeLinear makes of it.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include "quantcheck/exact.hpp"
#include "quantcheck/onnx/check.hpp"
#include "quantcheck/onnx/layers.hpp"
#include "quantcheck/onnx/tensor.hpp"

namespace quantcheck::onnx {
namespace {

using T = pb::TensorProto;

struct TypeRange {
  std::int64_t min, max;
};

std::optional<TypeRange> weight_range(std::int32_t type) {
  switch (type) {
    case T::INT8: return TypeRange{-128, 127};
    case T::UINT8: return TypeRange{0, 255};
    case T::INT16: return TypeRange{-32768, 32767};
    case T::UINT16: return TypeRange{0, 65535};
    case T::INT32: return TypeRange{INT32_MIN, INT32_MAX};
    default: return std::nullopt;
  }
}

bool valid_scale(float s) { return std::isfinite(s) && s >= FLT_MIN; }

std::string num(double v) {
  std::ostringstream o;
  o.precision(9);
  o << v;
  return o.str();
}

int128 abs128(int128 v) { return v < 0 ? -v : v; }

// QuantizeLinear: saturate(round_half_even(x / s) + zp).
std::int64_t quantize_linear(float x, float s, std::int64_t zp, TypeRange r) {
  const float v = std::nearbyint(x / s);
  double q = double(v) + double(zp);
  if (!(q >= double(r.min))) q = double(r.min);  // NaN too
  if (q > double(r.max)) q = double(r.max);
  return static_cast<std::int64_t>(q);
}

class Auditor {
 public:
  Auditor(const OnnxFile& f, model::VerifyReport& r) : f_(f), r_(r) {}

  void add(const model::VerifyLayer& v, std::int64_t channel, const std::string& kind,
           const std::string& message) {
    r_.findings.push_back({kind, v.layer.name, v.layer.op_index, channel, message});
  }

  void audit(model::VerifyLayer& v, const OnnxLayer& l, const OnnxFile* ff, const OnnxLayer* fl) {
    const std::string what = "weight '" + l.layer.name + "'";
    const std::int64_t C = l.channels;
    v.channels = C;
    const auto order = canonical_order(l);
    if (order.empty() || C <= 0) {
      add(v, -1, "empty_filter", "filter of shape with no elements");
      return;
    }
    const std::int64_t per_channel = static_cast<std::int64_t>(order.size()) / C;
    const Operand& w = l.weight;
    const auto wq = quant_params(f_, w.scale, w.zero_point, what, w.zero_point_zero_type);
    const std::int32_t wtype = w.quantized ? w.values->data_type() : wq.zero_point_type;
    v.weight_type = type_name(wtype);
    if (!w.quantized && !w.fake_quantized) {  // a float layer
      const auto c = float_case(f_, l);
      std::vector<char> nonzero(static_cast<std::size_t>(C), 0);
      for (std::size_t i = 0; i < c.weights.size(); ++i)
        if (c.weights[i] != 0) nonzero[i / static_cast<std::size_t>(per_channel)] = 1;
      v.zero_channels = std::count(nonzero.begin(), nonzero.end(), 0);
      return;
    }
    const auto range = weight_range(wtype);
    if (!range) {
      add(v, -1, "missing_quantization", v.weight_type + " weight is not a quantized type");
      return;
    }
    if (wq.scale.empty()) {
      if (l.form != Form::qoperator || l.layer.op_name.find("Integer") == std::string::npos) {
        add(v, -1, "missing_quantization", v.weight_type + " weight without scales");
        return;
      }
    }
    v.quantized = true;
    const auto dims = l.layer.filter_shape;
    const auto rank = static_cast<std::int64_t>(dims.size());
    const std::size_t n_scales = std::max(wq.scale.size(), wq.zero_point.size());
    v.per_channel = n_scales > 1 || (C == 1 && n_scales == 1);
    std::int64_t inner = 1, axis_size = 1;
    if (n_scales > 1) {
      const std::int64_t axis = w.axis < 0 ? w.axis + rank : w.axis;
      if (axis != l.layer.channel_axis || (l.group > 1 && l.layer.channel_axis == 1)) {
        add(v, -1, "quantized_dimension",
            "weight quantized along axis " + std::to_string(w.axis) +
                ", not the output channel axis " + std::to_string(l.layer.channel_axis));
        return;
      }
      if (static_cast<std::int64_t>(n_scales) != C) {
        add(v, -1, "quantized_dimension",
            std::to_string(n_scales) + " weight scales for " + std::to_string(C) + " channels");
        return;
      }
      axis_size = dims[static_cast<std::size_t>(axis)];
      for (std::int64_t d = axis + 1; d < rank; ++d) inner *= dims[static_cast<std::size_t>(d)];
    }
    // Scale index of stored element e.
    auto k_of = [&](std::size_t e) {
      return n_scales > 1
                 ? static_cast<std::size_t>((static_cast<std::int64_t>(e) / inner) % axis_size)
                 : 0;
    };
    auto w_scale = [&](std::size_t k) { return wq.scale.empty() ? 1.0f : wq.scale[k]; };
    auto w_zp = [&](std::size_t k) { return wq.zero_point.empty() ? 0 : wq.zero_point[k]; };

    v.min_weight_scale = std::numeric_limits<float>::infinity();
    for (std::size_t k = 0; k < wq.scale.size(); ++k) {
      v.min_weight_scale = std::min(v.min_weight_scale, wq.scale[k]);
      if (!valid_scale(wq.scale[k]))
        add(v, static_cast<std::int64_t>(k), "invalid_scale",
            "weight scale " + num(wq.scale[k]) + " is not a finite normal positive float");
    }
    if (wq.scale.empty()) v.min_weight_scale = 0;
    for (std::size_t k = 0; k < wq.zero_point.size(); ++k)
      if (wq.zero_point[k] < range->min || wq.zero_point[k] > range->max)
        add(v, static_cast<std::int64_t>(k), "zero_point",
            "weight zero point " + std::to_string(wq.zero_point[k]) + " outside " + v.weight_type);

    // The input activation.
    float s_in = 0;
    std::int32_t in_type = T::FLOAT;
    if (l.input_quant) {
      const auto iq = quant_params(f_, l.input_quant->scale, l.input_quant->zero_point,
                                   "input of '" + l.layer.name + "'");
      in_type = iq.zero_point_type;
      v.input_type = type_name(in_type);
      if (!iq.zero_point.empty()) v.input_zero_point = iq.zero_point[0];
      if (!iq.scale.empty()) {
        s_in = iq.scale[0];
        v.input_scale = s_in;
        if (iq.scale.size() != 1)
          add(v, -1, "invalid_scale",
              "input has " + std::to_string(iq.scale.size()) + " scales, not one per tensor");
        if (!valid_scale(s_in))
          add(v, -1, "invalid_scale",
              "input scale " + num(s_in) + " is not a finite normal positive float");
      }
    } else {
      v.input_type = "FLOAT";
    }

    // The stored integers (or those QuantizeLinear makes of fake-quantized floats).
    std::vector<std::int64_t> qw;
    if (w.quantized) {
      qw = read_integers(f_, *w.values, what);
    } else {
      const auto fw = read_floats(f_, *w.values, what);
      qw.resize(fw.size());
      for (std::size_t e = 0; e < fw.size(); ++e) {
        const std::size_t k = k_of(e);
        qw[e] = valid_scale(w_scale(k)) ? quantize_linear(fw[e], w_scale(k), w_zp(k), *range) : 0;
      }
    }
    std::vector<float> fwc;  // the float model's weights, canonical order
    if (ff) fwc = float_case(*ff, *fl).weights;
    std::vector<char> alive(static_cast<std::size_t>(C), 0), float_nonzero(alive);
    std::vector<int128> sum_abs(static_cast<std::size_t>(C), 0);
    double max_w_err = 0;
    std::int64_t w_err_count = 0, w_err_channel = -1;
    for (std::size_t p = 0; p < order.size(); ++p) {
      const std::size_t e = order[p];
      const auto ch = static_cast<std::int64_t>(p) / per_channel;
      const std::size_t k = k_of(e);
      const std::int64_t zp = std::clamp<std::int64_t>(w_zp(k), INT32_MIN, INT32_MAX);
      const std::int64_t d = qw[e] - zp;
      if (d != 0) alive[static_cast<std::size_t>(ch)] = 1;
      sum_abs[static_cast<std::size_t>(ch)] += d < 0 ? -d : d;
      if (ff && p < fwc.size()) {
        const double s = w_scale(k);
        const double x = fwc[p];
        if (x != 0) float_nonzero[static_cast<std::size_t>(ch)] = 1;
        const double err = std::fabs(s * double(d) - x);
        max_w_err = std::max(max_w_err, err);
        const double lo = double(range->min - zp) * s, hi = double(range->max - zp) * s;
        if (x >= lo && x <= hi && err > s / 2 * (1 + 1e-9)) {
          ++w_err_count;
          if (w_err_channel < 0) w_err_channel = ch;
        }
      }
    }
    if (ff) v.max_weight_error = max_w_err;
    if (w_err_count)
      add(v, w_err_channel, "weight_error",
          std::to_string(w_err_count) +
              " weights inside the range are more than half a step from the float model");

    // Bias.
    std::vector<std::int64_t> qb;
    QuantParams bq;
    bool implied_scale = false;
    const bool int_bias = [&] {
      if (!l.bias) return false;
      const Operand& b = *l.bias;
      v.bias_type = type_name(b.values->data_type());
      if (!b.quantized) return false;
      if (b.values->data_type() != T::INT32 && b.values->data_type() != T::INT64) {
        add(v, -1, "missing_quantization", v.bias_type + " bias: expected INT32");
        return false;
      }
      qb = read_integers(f_, *b.values, "bias of '" + l.layer.name + "'");
      if (!b.scale) {  // QLinearConv / QGemm: s_b = s_x * s_w by definition
        implied_scale = true;
        return true;
      }
      const auto p = quant_params(f_, b.scale, b.zero_point, "bias of '" + l.layer.name + "'",
                                  b.zero_point_zero_type);
      bq.scale = p.scale;
      bq.zero_point = p.zero_point;
      if (bq.scale.size() != 1 && static_cast<std::int64_t>(bq.scale.size()) != C) {
        add(v, -1, "missing_quantization",
            std::to_string(bq.scale.size()) + " bias scales for " + std::to_string(C) +
                " channels");
        return false;
      }
      return true;
    }();
    const bool int64_bias = v.bias_type == "INT64";
    const std::int64_t bmax = int64_bias ? INT64_MAX : INT32_MAX;
    const std::int64_t bmin = int64_bias ? INT64_MIN : INT32_MIN;
    std::vector<float> fb_values;
    if (ff && int_bias && !implied_scale) fb_values = float_case(*ff, *fl).bias;
    double max_b_err = 0;
    const std::int64_t in_max = [&]() -> std::int64_t {
      const std::int64_t zp = std::clamp<std::int64_t>(v.input_zero_point, -(1 << 20), 1 << 20);
      if (const auto r = weight_range(in_type); r && in_type != T::INT32)
        return std::max(r->max - zp, zp - r->min);
      return 255;  // a float input: an 8-bit activation assumed
    }();
    int128 worst = 0;
    for (std::int64_t ch = 0; ch < C; ++ch) {
      const auto c = static_cast<std::size_t>(ch);
      const std::int64_t q = int_bias ? qb[c] : 0;
      const std::size_t wk = n_scales > 1 ? c : 0;
      if (int_bias) {
        v.max_abs_bias =
            std::max<std::int64_t>(v.max_abs_bias, q == INT64_MIN ? INT64_MAX : std::llabs(q));
        if (!implied_scale) {
          const std::size_t bk = bq.scale.size() == 1 ? 0 : c;
          const float s_b = bq.scale[bk];
          if (!valid_scale(s_b))
            add(v, ch, "invalid_scale",
                "bias scale " + num(s_b) + " is not a finite normal positive float");
          if (bq.zero_point[bk] != 0) add(v, ch, "zero_point", "bias zero point is not 0");
          if (s_in > 0 && !wq.scale.empty()) {
            // ONNX Runtime PR #28229: a QDQ bias whose scale is not s_x * s_w
            // was used by the fused QLinearConv as if it were.
            const double want = double(s_in) * double(w_scale(wk));
            if (!(std::fabs(double(s_b) - want) <= model::kBiasScaleTolerance * want))
              add(v, ch, "bias_scale_mismatch",
                  "bias scale " + num(s_b) + " is not input scale x weight scale = " + num(want));
          }
          if (fb_values.size() == static_cast<std::size_t>(C)) {
            const double b = fb_values[c];
            max_b_err = std::max(max_b_err, std::fabs(double(q) * double(s_b) - b));
            const bool ok = valid_scale(s_b) ? within_half_step(q, b, s_b) : b == 0;
            if (!ok) add(v, ch, "bias_error", "|q_b s_b - b| exceeds s_b / 2 (b = " + num(b) + ")");
          }
        }
        if (q >= bmax - 1 || q <= bmin + 1)
          add(v, ch, "bias_saturation_suspect",
              "bias " + std::to_string(q) + " is at or next to the " + v.bias_type + " limit");
      }
      worst = std::max(worst, abs128(q) + sum_abs[c] * in_max);
      if (!alive[c] && !v.per_channel) ++v.zero_channels;
      if (!alive[c] && v.per_channel) {
        const double s_b = !int_bias       ? 0
                           : implied_scale ? double(s_in) * double(w_scale(wk))
                                           : double(bq.scale[bq.scale.size() == 1 ? 0 : c]);
        v.dead.push_back(
            {ch, w_scale(wk), q, static_cast<double>(static_cast<float>(double(q) * s_b))});
        if (ff && float_nonzero[c])
          add(v, ch, "dead_channel",
              "every weight quantized to the zero point, the float weights are not all 0");
      }
    }
    if (ff && int_bias && !implied_scale) v.max_bias_error = max_b_err;
    const int128 acc = bmax;
    v.headroom = static_cast<double>(acc - worst);
    if (acc - worst < 0)
      add(v, -1, "no_headroom",
          "|q_b| + sum |q_w - zp| max|q_in| exceeds the accumulator (" +
              (v.bias_type.empty() ? std::string("INT32") : v.bias_type) + ")");
  }

 private:
  const OnnxFile& f_;
  model::VerifyReport& r_;
};

std::string shape_text(const std::vector<std::int64_t>& s) {
  std::string t = "[";
  for (std::size_t i = 0; i < s.size(); ++i) t += (i ? "," : "") + std::to_string(s[i]);
  return t + "]";
}

}  // namespace

model::VerifyReport verify_model(const OnnxFile& q, const OnnxFile* float_model) {
  model::VerifyReport r;
  r.path = q.path();
  r.format = model::Format::onnx;
  const auto layers = find_layers(q);
  std::vector<OnnxLayer> float_layers;
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
    const OnnxLayer* fl = float_model ? &float_layers[i] : nullptr;
    if (fl &&
        (fl->channels != layers[i].channels || canonical_shape(*fl) != canonical_shape(layers[i])))
      throw InputError(float_model->path() + ": layer " + std::to_string(i) + " '" +
                       fl->layer.name + "' is " + fl->layer.op_name + " " +
                       shape_text(fl->layer.filter_shape) + ", in " + q.path() + " " +
                       layers[i].layer.op_name + " " + shape_text(layers[i].layer.filter_shape));
    model::VerifyLayer v;
    v.layer = layers[i].layer;
    a.audit(v, layers[i], float_model, fl);
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
  }
  if (r.quantized_layers == 0) r.min_weight_scale = 0;
  return r;
}

}  // namespace quantcheck::onnx
