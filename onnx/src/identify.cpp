// identify_model for ONNX: read each quantized layer into a model::StoredLayer
// (canonical layout, output channel first) and let model::add_identified_layer
// compare every candidate with it, as for TFLite.
#include "quantcheck/onnx/identify.hpp"

#include <cmath>

#include "quantcheck/error.hpp"
#include "quantcheck/onnx/layers.hpp"
#include "quantcheck/onnx/tensor.hpp"

namespace quantcheck::onnx {
namespace {

using T = pb::TensorProto;

std::optional<WeightType> weight_type_of(std::int32_t t) {
  switch (t) {
    case T::INT8: return WeightType::int8;
    case T::UINT8: return WeightType::uint8;
    case T::INT16: return WeightType::int16;
    default: return std::nullopt;
  }
}

std::optional<BiasType> bias_type_of(std::int32_t t) {
  switch (t) {
    case T::INT32: return BiasType::int32;
    case T::INT64: return BiasType::int64;
    default: return std::nullopt;
  }
}

// QuantizeLinear of a fake-quantized float weight: saturate(round_half_even(x / s) + zp).
std::int64_t quantize_linear(float x, float s, std::int64_t zp, std::int32_t type) {
  const double lo = type == T::INT8 ? -128 : type == T::UINT8 ? 0 : -32768;
  const double hi = type == T::INT8 ? 127 : type == T::UINT8 ? 255 : 32767;
  double q = double(std::nearbyint(x / s)) + double(zp);
  if (!(q >= lo)) q = lo;  // NaN too
  if (q > hi) q = hi;
  return static_cast<std::int64_t>(q);
}

}  // namespace

model::IdentifyReport identify_model(const OnnxFile& f, const std::vector<Policy>& candidates,
                                     const OnnxFile* float_model) {
  model::IdentifyReport report;
  report.path = f.path();
  report.format = model::Format::onnx;
  for (const Policy& p : candidates) report.summary.push_back({p.name, 0, 0});
  Result r;
  const auto layers = find_layers(f);
  std::vector<OnnxLayer> float_layers;
  if (float_model) {
    float_layers = find_layers(*float_model);
    if (float_layers.size() != layers.size())
      throw InputError(float_model->path() + ": has " + std::to_string(float_layers.size()) +
                       " layers, " + f.path() + " has " + std::to_string(layers.size()));
  }
  for (std::size_t li = 0; li < layers.size(); ++li) {
    const OnnxLayer& l = layers[li];
    const Operand& w = l.weight;
    const std::string what = "weight '" + l.layer.name + "'";
    if (!w.quantized && !w.fake_quantized) {
      ++report.float_layers;
      continue;
    }
    const QuantParams wq = quant_params(f, w.scale, w.zero_point, what, w.zero_point_zero_type);
    const std::int32_t wtype = w.quantized ? w.values->data_type() : wq.zero_point_type;
    const auto wt = weight_type_of(wtype);
    if (!wt || wq.scale.empty()) {
      ++report.float_layers;
      continue;
    }
    model::StoredLayer s;
    s.weight_type = *wt;
    model::IdentifyLayer il;
    il.layer = l.layer;
    il.weight_type = type_name(wtype);
    il.bias_type = "none";

    // The stored integers, and the scale index of each stored element.
    const auto dims = dims_of(f, *w.values, what);
    const auto rank = static_cast<std::int64_t>(dims.size());
    const std::size_t n = wq.scale.size();
    std::int64_t inner = 1, axis_size = 1;
    if (n > 1) {
      const std::int64_t axis = w.axis < 0 ? w.axis + rank : w.axis;
      if (axis != l.layer.channel_axis || static_cast<std::int64_t>(n) != l.channels)
        throw InputError(f.path() + ": layer '" + l.layer.name + "': " + std::to_string(n) +
                         " weight scales along axis " + std::to_string(w.axis) +
                         ", not one per output channel (axis " +
                         std::to_string(l.layer.channel_axis) + ")");
      axis_size = dims[static_cast<std::size_t>(axis)];
      for (std::int64_t d = axis + 1; d < rank; ++d) inner *= dims[static_cast<std::size_t>(d)];
    }
    auto k_of = [&](std::size_t e) {
      return n > 1 ? static_cast<std::size_t>((static_cast<std::int64_t>(e) / inner) % axis_size)
                   : 0;
    };
    std::vector<std::int64_t> stored;
    if (w.quantized) {
      stored = read_integers(f, *w.values, what);
    } else {
      const auto fw = read_floats(f, *w.values, what);
      stored.resize(fw.size());
      for (std::size_t e = 0; e < fw.size(); ++e)
        stored[e] = quantize_linear(fw[e], wq.scale[k_of(e)], wq.zero_point[k_of(e)], wtype);
    }
    const auto order = canonical_order(l);
    if (order.size() != stored.size())
      f.fail(what + ": " + std::to_string(stored.size()) + " values for its shape");
    s.c.op = l.layer.kind;
    s.c.channel_axis = 0;
    s.c.weight_shape = canonical_shape(l);
    s.qw.resize(order.size());
    s.c.weights.resize(order.size());
    for (std::size_t p = 0; p < order.size(); ++p) {
      const std::size_t e = order[p], k = k_of(e);
      s.qw[p] = stored[e];
      // DequantizeLinear's arithmetic, as operand_floats does it.
      s.c.weights[p] = static_cast<float>(stored[e] - wq.zero_point[k]) * wq.scale[k];
    }
    s.wq.scale = wq.scale;
    s.wq.zero_point = wq.zero_point;
    s.wq.quantized_dimension = 0;
    // The source floats, when the file or the float model holds them: a
    // fake-quantized export keeps its float weights (QuantizeLinear makes the
    // integers at run time), and --float names the model it came from. The
    // presets then re-quantize what the quantizer saw, not its dequantized
    // output (which a non-idempotent preset cannot reproduce).
    std::optional<Case> source;
    if (float_model) {
      const OnnxLayer& fl = float_layers[li];
      if (fl.channels != l.channels || canonical_shape(fl) != canonical_shape(l))
        throw InputError(float_model->path() + ": layer " + std::to_string(li) + " '" +
                         fl.layer.name + "' does not have the shape of '" + l.layer.name + "' in " +
                         f.path());
      source = float_case(*float_model, fl);
    } else if (w.fake_quantized) {
      source = float_case(f, l);
    }
    if (source) s.c.weights = source->weights;

    // The input scale the bias was quantized with.
    s.c.input_scale = 1.0f;
    bool has_input_scale = false;
    if (l.input_quant) {
      const auto iq = quant_params(f, l.input_quant->scale, l.input_quant->zero_point,
                                   "input of '" + l.layer.name + "'");
      if (!iq.scale.empty()) {
        s.c.input_scale = iq.scale[0];
        has_input_scale = true;
      }
    }
    il.input_scale = s.c.input_scale;

    if (l.bias) {
      const Operand& b = *l.bias;
      const std::string bwhat = "bias of '" + l.layer.name + "'";
      il.bias_type = type_name(b.values->data_type());
      s.bias_type = b.quantized ? bias_type_of(b.values->data_type()) : std::nullopt;
      if (s.bias_type) {
        s.qb = read_integers(f, *b.values, bwhat);
        if (!has_input_scale)
          throw InputError(f.path() + ": layer '" + l.layer.name +
                           "' has an integer bias but no input scale to re-quantize it with");
        if (b.scale) {
          const auto bq = quant_params(f, b.scale, b.zero_point, bwhat, b.zero_point_zero_type);
          s.bq.scale = bq.scale;
          s.bq.zero_point = bq.zero_point;
        } else {
          // QLinearConv / QGemm: the bias scale is x_scale * w_scale[c] by
          // definition (a float product of two floats, correctly rounded).
          for (std::int64_t c = 0; c < l.channels; ++c) {
            s.bq.scale.push_back(s.c.input_scale *
                                 wq.scale[n > 1 ? static_cast<std::size_t>(c) : 0]);
            s.bq.zero_point.push_back(0);
          }
        }
        if (s.bq.scale.empty() || s.qb.size() != static_cast<std::size_t>(l.channels) ||
            (s.bq.scale.size() != 1 && s.bq.scale.size() != s.qb.size()))
          throw InputError(f.path() + ": layer '" + l.layer.name +
                           "': bias scales or values do not match the output channels");
        s.c.bias.resize(s.qb.size());
        for (std::size_t c = 0; c < s.qb.size(); ++c) {
          const std::size_t k = s.bq.scale.size() == 1 ? 0 : c;
          s.c.bias[c] = static_cast<float>(s.qb[c] - s.bq.zero_point[k]) * s.bq.scale[k];
        }
      } else {
        s.c.bias = float_case(f, l).bias;
      }
      if (float_model) {
        if (source->bias.size() != static_cast<std::size_t>(l.channels))
          throw InputError(float_model->path() + ": layer '" + float_layers[li].layer.name +
                           "' has no bias, '" + l.layer.name + "' in " + f.path() + " has one");
        s.c.bias = source->bias;
      }
    }
    add_identified_layer(report, std::move(il), std::move(s), candidates, r, f.path());
  }
  if (report.layers.empty())
    throw InputError(f.path() +
                     ": no quantized Conv, ConvTranspose, Gemm or MatMul layer (QDQ or "
                     "QLinear) to identify");
  return report;
}

}  // namespace quantcheck::onnx
