// identify_model: re-quantize each stored layer with every candidate preset and
// compare what it recomputes with what the file holds, bit for bit.
#include "quantcheck/model/identify.hpp"

#include <cstring>

#include "quantcheck/error.hpp"
#include "quantcheck/model/tensor_data.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck::model {
namespace {

std::optional<WeightType> weight_type_of(std::int8_t t) {
  switch (t) {
    case fb::TensorType_INT8: return WeightType::int8;
    case fb::TensorType_UINT8: return WeightType::uint8;
    case fb::TensorType_INT16: return WeightType::int16;
    default: return std::nullopt;
  }
}

std::optional<BiasType> bias_type_of(std::int8_t t) {
  switch (t) {
    case fb::TensorType_INT32: return BiasType::int32;
    case fb::TensorType_INT64: return BiasType::int64;
    default: return std::nullopt;
  }
}

// Bitwise equality: +0 and -0 differ, and so would two NaNs of other payloads.
bool same_float(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// The preset's recomputation of the stored layer, compared channel by channel.
PresetMatch compare(const Policy& p, const StoredLayer& s, Result& r) {
  PresetMatch m;
  m.preset = p.name;
  m.channels = s.layout.channels;
  if (p.weight_type != s.weight_type) {
    m.not_applicable = "quantizes weights as " + to_string(p.weight_type);
    return m;
  }
  if (s.bias_type && p.bias_type != *s.bias_type) {
    m.not_applicable = "quantizes biases as " + to_string(p.bias_type);
    return m;
  }
  if (const Refusal refusal = quantize_unless_refused(p, s.c, s.layout, r)) {
    m.not_applicable = "refuses: " + describe(refusal, p, s.c, s.layout);
    return m;
  }
  const bool per_tensor_stored = s.wq.scale.size() == 1;
  const bool per_tensor_recomputed = r.weights.channels.size() == 1;
  std::vector<std::optional<IdentifyDifference>> diff(static_cast<std::size_t>(m.channels));
  auto note = [&](std::int64_t ch, IdentifyDifference d) {
    auto& slot = diff[static_cast<std::size_t>(ch)];
    if (!slot) {
      d.channel = ch;
      slot = d;
    }
  };
  for (std::int64_t ch = 0; ch < m.channels; ++ch) {
    const auto k = static_cast<std::size_t>(per_tensor_stored ? 0 : ch);
    const ChannelParams& cp = r.weights.channels[per_tensor_recomputed ? 0 : ch];
    if (!same_float(cp.scale, s.wq.scale[k]))
      note(ch, {"weight_scale", -1, -1, s.wq.scale[k], cp.scale});
    else if (cp.zero_point != s.wq.zero_point[k])
      note(ch, {"zero_point", -1, -1, double(s.wq.zero_point[k]), double(cp.zero_point)});
  }
  for_each_channel_run(s.c, s.layout, [&](std::int64_t ch, std::size_t begin, std::size_t end) {
    if (diff[static_cast<std::size_t>(ch)]) return;  // the channel's first difference is known
    for (std::size_t i = begin; i < end; ++i)
      if (r.weights.q[i] != s.qw[i]) {
        note(ch,
             {"weight", -1, static_cast<std::int64_t>(i), double(s.qw[i]), double(r.weights.q[i])});
        return;
      }
  });
  if (s.bias_type) {
    for (std::int64_t ch = 0; ch < m.channels; ++ch) {
      const auto c = static_cast<std::size_t>(ch);
      if (diff[c]) continue;
      const float stored_scale = s.bq.scale[s.bq.scale.size() == 1 ? 0 : c];
      if (!same_float(r.bias.scale[c], stored_scale))
        note(ch, {"bias_scale", -1, -1, stored_scale, r.bias.scale[c]});
      else if (r.bias.q[c] != s.qb[c])
        note(ch, {"bias", -1, -1, double(s.qb[c]), double(r.bias.q[c])});
    }
  }
  for (auto& d : diff) {
    if (!d)
      ++m.channels_matched;
    else if (!m.first_difference)
      m.first_difference = d;
  }
  return m;
}

}  // namespace

void add_identified_layer(IdentifyReport& report, IdentifyLayer il, StoredLayer s,
                          const std::vector<Policy>& candidates, Result& r,
                          const std::string& where) {
  if (report.summary.size() != candidates.size()) {
    report.summary.clear();
    for (const Policy& p : candidates) report.summary.push_back({p.name, 0, 0});
  }
  const auto layout = layout_if_valid(s.c);
  if (!layout)
    throw InputError(where + ": layer " + std::to_string(il.layer.op_index) +
                     ": its dequantized filter or bias is not a valid case (" +
                     [&] {
                       try {
                         validate(s.c);
                       } catch (const InputError& e) {
                         return std::string(e.what());
                       }
                       return std::string("invalid");
                     }() +
                     ")");
  s.layout = *layout;
  const auto n_scales = static_cast<std::int64_t>(s.wq.scale.size());
  if (n_scales != 1 &&
      (n_scales != s.layout.channels || s.wq.quantized_dimension != s.c.channel_axis))
    throw InputError(where + ": layer " + std::to_string(il.layer.op_index) + ": " +
                     std::to_string(n_scales) + " filter scales along dimension " +
                     std::to_string(s.wq.quantized_dimension) + ", not one per output channel");
  if (s.bias_type) {
    const auto n_bias_scales = static_cast<std::int64_t>(s.bq.scale.size());
    if ((n_bias_scales != 1 && n_bias_scales != s.layout.channels) ||
        static_cast<std::int64_t>(s.qb.size()) != s.layout.channels)
      throw InputError(where + ": layer " + std::to_string(il.layer.op_index) +
                       ": bias scales or values do not match the output channels");
  }
  il.channels = s.layout.channels;
  il.per_channel = s.wq.scale.size() > 1 || s.layout.channels == 1;
  report.channels += il.channels;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    il.presets.push_back(compare(candidates[i], s, r));
    if (il.presets.back().reproduced()) ++report.summary[i].layers_reproduced;
    report.summary[i].channels_matched += il.presets.back().channels_matched;
  }
  report.layers.push_back(std::move(il));
}

std::vector<std::string> IdentifyLayer::reproduced_by() const {
  std::vector<std::string> names;
  for (const PresetMatch& p : presets)
    if (p.reproduced()) names.push_back(p.preset);
  return names;
}

std::vector<std::string> IdentifyReport::reproduced_by_all() const {
  std::vector<std::string> names;
  for (const PresetSummary& s : summary)
    if (s.layers_reproduced == static_cast<std::int64_t>(layers.size())) names.push_back(s.preset);
  return names;
}

IdentifyReport identify_model(const ModelFile& m, const std::vector<Policy>& candidates) {
  IdentifyReport report;
  report.path = m.path();
  report.format = m.format();
  for (const Policy& p : candidates) report.summary.push_back({p.name, 0, 0});
  Result r;
  for (const Layer& l : find_layers(m)) {
    const fb::Tensor& ft = m.tensor(l.subgraph, l.filter.data_tensor);
    StoredLayer s;
    const auto wt = weight_type_of(static_cast<std::int8_t>(ft.type()));
    s.wq = quantization_of(ft);
    if (!wt || s.wq.empty()) {
      ++report.float_layers;
      continue;
    }
    s.weight_type = *wt;
    IdentifyLayer il;
    il.layer = l;
    il.weight_type = type_name(static_cast<std::int8_t>(ft.type()));
    il.bias_type = "none";
    s.c.op = l.kind;
    s.c.weight_shape = l.filter_shape;
    s.c.channel_axis = l.channel_axis;
    s.c.weights = read_floats(m, ft, "filter");
    s.qw = read_integers(m, ft);
    if (l.bias) {
      const fb::Tensor& bt = m.tensor(l.subgraph, l.bias->data_tensor);
      il.bias_type = type_name(static_cast<std::int8_t>(bt.type()));
      s.bias_type = bias_type_of(static_cast<std::int8_t>(bt.type()));
      s.bq = quantization_of(bt);
      if (s.bias_type && s.bq.empty())
        m.fail("layer " + std::to_string(l.op_index) + ": " + il.bias_type +
               " bias without scales");
      s.c.bias = read_floats(m, bt, "bias");
      if (s.bias_type) s.qb = read_integers(m, bt);
    }
    // The input scale the layer's bias was quantized with: the one recorded on
    // its input activation. Without a bias it decides nothing but must be valid.
    s.c.input_scale = 1.0f;
    if (l.input >= 0) {
      const Quantization iq = quantization_of(m.tensor(l.subgraph, l.input));
      if (!iq.empty()) s.c.input_scale = iq.scale[0];
    }
    il.input_scale = s.c.input_scale;
    if (s.bias_type && (l.input < 0 || quantization_of(m.tensor(l.subgraph, l.input)).empty()))
      throw InputError(m.path() + ": layer " + std::to_string(l.op_index) +
                       " has an integer bias but no input scale to re-quantize it with");
    add_identified_layer(report, std::move(il), std::move(s), candidates, r, m.path());
  }
  if (report.layers.empty())
    throw InputError(m.path() +
                     ": no quantized CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED layer "
                     "to identify");
  return report;
}

}  // namespace quantcheck::model
