// make_twin: quantize each layer, then rewrite its filter and bias tensors.
#include "quantcheck/model/twin.hpp"

#include "quantcheck/model/layers.hpp"
#include "quantcheck/model/rewrite.hpp"
#include "quantcheck/model/tensor_data.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck::model {
namespace {

std::int8_t tensor_type(WeightType t) {
  switch (t) {
    case WeightType::uint8: return fb::TensorType_UINT8;
    case WeightType::int8: return fb::TensorType_INT8;
    case WeightType::int16: return fb::TensorType_INT16;
  }
  return fb::TensorType_INT8;
}

template <typename T, typename Src>
std::vector<std::uint8_t> narrow_bytes(const std::vector<Src>& v) {
  std::vector<T> out(v.begin(), v.end());  // the quantizer keeps values inside T
  return to_bytes(out);
}

void drop_dequantize(ModelEdits& edits, const Layer& l, const Operand& o) {
  if (o.dequantize_op >= 0)
    edits.removed_ops.insert({l.subgraph, static_cast<std::uint32_t>(o.dequantize_op)});
}

}  // namespace

std::vector<std::uint8_t> make_twin(const ModelFile& m, const TwinOptions& opt,
                                    TwinSummary* summary) {
  const Policy& p = opt.policy;
  ModelEdits edits;
  TwinSummary s;
  const auto layers = find_layers(m);
  if (layers.empty()) {
    // Nothing to quantize is bad input, not an unchanged copy: an already
    // quantized model (its int8 layers may all sit in a custom op, or it has
    // no conv layer) or a model without such layers (docs/model-checks.md).
    const auto& subgraphs = *m.model().subgraphs();
    for (std::uint32_t sg = 0; sg < subgraphs.size(); ++sg) {
      const auto* tensors = subgraphs.Get(sg)->tensors();
      if (!tensors) continue;
      for (const fb::Tensor* t : *tensors)
        if (t->type() != fb::TensorType_FLOAT32 && !quantization_of(*t).empty())
          m.fail("already quantized (tensor '" + (t->name() ? t->name()->str() : std::string()) +
                 "' is " + type_name(static_cast<std::int8_t>(t->type())) +
                 " with scales) and has no CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED layer "
                 "with float weights; quantize-model needs a float model");
    }
    m.fail(
        "no CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED layer with constant weights: "
        "nothing to quantize");
  }
  int done = 0;
  for (const Layer& l : layers) {
    if (opt.progress) opt.progress(done++, static_cast<int>(layers.size()));
    const fb::Tensor& ft = m.tensor(l.subgraph, l.filter.data_tensor);
    if (ft.type() != fb::TensorType_FLOAT32 && ft.type() != fb::TensorType_FLOAT16)
      m.fail("layer '" + l.name + "': filter is " + type_name(static_cast<std::int8_t>(ft.type())) +
             "; quantize-model needs a float model (FLOAT32 or FLOAT16 filters)");
    // A filter shared by two layers keeps the first layer's values.
    if (edits.tensors.count({l.subgraph, l.filter.tensor})) continue;

    Case c;
    c.op = l.kind;
    c.input_scale = opt.input_scale;
    c.weight_shape = l.filter_shape;
    c.weights = filter_values(m, l);
    c.bias = bias_values(m, l);
    Result r;
    try {
      r = quantize(p, c);
    } catch (const InputError& e) {
      m.fail("layer '" + l.name + "': " + e.what());
    }
    ++s.layers;
    s.channels += r.layout.channels;
    for (const Finding& f : r.findings) s.findings += breaks_declared(f, p.guarantees);

    TensorEdit fe, be;
    if (!opt.emit_quantized) {
      fe.type = fb::TensorType_FLOAT32;
      fe.data =
          to_bytes(std::vector<float>(r.weights.dequantized.begin(), r.weights.dequantized.end()));
      be.type = fb::TensorType_FLOAT32;
      be.data = to_bytes(std::vector<float>(r.bias.dequantized.begin(), r.bias.dequantized.end()));
    } else {
      fe.type = tensor_type(p.weight_type);
      switch (p.weight_type) {
        case WeightType::uint8: fe.data = narrow_bytes<std::uint8_t>(r.weights.q); break;
        case WeightType::int8: fe.data = narrow_bytes<std::int8_t>(r.weights.q); break;
        case WeightType::int16: fe.data = narrow_bytes<std::int16_t>(r.weights.q); break;
      }
      Quantization wq;
      for (const ChannelParams& cp : r.weights.channels) {
        wq.scale.push_back(cp.scale);
        wq.zero_point.push_back(cp.zero_point);
      }
      wq.quantized_dimension = r.weights.channels.size() > 1 ? l.channel_axis : 0;
      fe.quantization = wq;
      const bool i64 = p.bias_type == BiasType::int64;
      be.type = i64 ? fb::TensorType_INT64 : fb::TensorType_INT32;
      be.data = i64 ? to_bytes(r.bias.q) : narrow_bytes<std::int32_t>(r.bias.q);
      Quantization bq;
      bq.scale = r.bias.scale;
      bq.zero_point.assign(bq.scale.size(), 0);
      be.quantization = bq;
      // The input scale the bias scales were formed with, where verify reads it.
      if (l.input >= 0) {
        TensorEdit ie;
        Quantization iq;
        iq.scale = {opt.input_scale};
        iq.zero_point = {0};
        ie.quantization = iq;
        edits.tensors[{l.subgraph, l.input}] = ie;
      }
    }
    // The constant keeps the name the layer is known by (not "..._dequantize").
    auto name_of = [&](std::int32_t t) {
      const fb::Tensor& x = m.tensor(l.subgraph, t);
      return x.name() ? x.name()->str() : std::string();
    };
    fe.name = name_of(l.filter.data_tensor);
    if (l.bias) be.name = name_of(l.bias->data_tensor);
    edits.tensors[{l.subgraph, l.filter.tensor}] = fe;
    drop_dequantize(edits, l, l.filter);
    if (l.bias && !edits.tensors.count({l.subgraph, l.bias->tensor})) {
      edits.tensors[{l.subgraph, l.bias->tensor}] = be;
      drop_dequantize(edits, l, *l.bias);
    } else if (l.bias) {
      // A bias tensor shared with an earlier layer: its values and scales are
      // that layer's (s_in s_w differs per layer). This layer gets its own
      // tensor, a copy with its values, and its op reads that one.
      auto& added = edits.added_tensors[l.subgraph];
      const auto n_tensors = m.model().subgraphs()->Get(l.subgraph)->tensors()->size();
      const auto index = static_cast<std::int32_t>(n_tensors + added.size());
      be.name = *be.name + "/" + l.name;
      added.push_back({l.bias->tensor, be});
      const fb::Operator& op =
          *m.model().subgraphs()->Get(l.subgraph)->operators()->Get(l.op_index);
      std::vector<std::int32_t> inputs(op.inputs()->begin(), op.inputs()->end());
      inputs[2] = index;
      edits.op_inputs[{l.subgraph, l.op_index}] = inputs;
    }
  }
  if (summary) *summary = s;
  return rewrite_model(m, std::move(edits), m.format());
}

}  // namespace quantcheck::model
