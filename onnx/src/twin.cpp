// make_twin for ONNX: rewrite a copy of the ModelProto, layer by layer.
#include "quantcheck/onnx/twin.hpp"

#include <cfloat>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "quantcheck/onnx/layers.hpp"
#include "quantcheck/onnx/tensor.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck::onnx {
namespace {

using T = pb::TensorProto;

// The copy's graphs in the order find_layers numbers them (pre-order).
void collect_graphs(pb::GraphProto& g, std::vector<pb::GraphProto*>& out) {
  out.push_back(&g);
  for (pb::NodeProto& n : *g.mutable_node())
    for (pb::AttributeProto& a : *n.mutable_attribute()) {
      if (a.has_g()) collect_graphs(*a.mutable_g(), out);
      for (pb::GraphProto& sub : *a.mutable_graphs()) collect_graphs(sub, out);
    }
}

void collect_used(const pb::GraphProto& g, std::set<std::string>& used) {
  for (const pb::NodeProto& n : g.node()) {
    for (const std::string& in : n.input()) used.insert(in);
    for (const pb::AttributeProto& a : n.attribute()) {
      if (a.has_g()) collect_used(a.g(), used);
      for (const pb::GraphProto& sub : a.graphs()) collect_used(sub, used);
    }
  }
  for (const pb::ValueInfoProto& o : g.output()) used.insert(o.name());
}

std::int64_t opset(const pb::ModelProto& m) {
  for (const pb::OperatorSetIdProto& o : m.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") return o.version();
  return 0;
}

template <typename V>
void set_raw(T& t, const std::vector<V>& values) {
  t.set_raw_data(
      std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(V)));
}

T float_tensor(const std::string& name, std::vector<std::int64_t> dims,
               const std::vector<float>& v) {
  T t;
  t.set_name(name);
  t.set_data_type(T::FLOAT);
  for (const std::int64_t d : dims) t.add_dims(d);
  set_raw(t, v);
  return t;
}

// Integers in the element type (little-endian host: x86-64, aarch64).
T int_tensor(const std::string& name, std::int32_t type, std::vector<std::int64_t> dims,
             const std::vector<std::int64_t>& v) {
  T t;
  t.set_name(name);
  t.set_data_type(type);
  for (const std::int64_t d : dims) t.add_dims(d);
  switch (type) {
    case T::INT8: set_raw(t, std::vector<std::int8_t>(v.begin(), v.end())); break;
    case T::UINT8: set_raw(t, std::vector<std::uint8_t>(v.begin(), v.end())); break;
    case T::INT16: set_raw(t, std::vector<std::int16_t>(v.begin(), v.end())); break;
    default: set_raw(t, std::vector<std::int32_t>(v.begin(), v.end())); break;
  }
  return t;
}

pb::NodeProto qdq_node(const std::string& op, const std::string& name,
                       std::vector<std::string> inputs, const std::string& output,
                       std::optional<std::int64_t> axis) {
  pb::NodeProto n;
  n.set_op_type(op);
  n.set_name(name);
  for (const auto& i : inputs) n.add_input(i);
  n.add_output(output);
  if (axis) {
    pb::AttributeProto* a = n.add_attribute();
    a->set_name("axis");
    a->set_type(pb::AttributeProto::INT);
    a->set_i(*axis);
  }
  return n;
}

std::int32_t onnx_weight_type(WeightType t) {
  switch (t) {
    case WeightType::uint8: return T::UINT8;
    case WeightType::int8: return T::INT8;
    case WeightType::int16: return T::INT16;
  }
  return T::INT8;
}

}  // namespace

std::map<std::string, std::pair<float, float>> read_ranges(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot read the calibration file");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path + ": not JSON: " + e.what());
  }
  if (!j.is_object()) throw InputError(path + ": expected {\"tensor\": [lo, hi], ...}");
  std::map<std::string, std::pair<float, float>> r;
  for (const auto& [name, v] : j.items()) {
    if (!v.is_array() || v.size() != 2 || !v[0].is_number() || !v[1].is_number())
      throw InputError(path + ": '" + name + "' must be [lo, hi]");
    const double lo = v[0], hi = v[1];
    if (!std::isfinite(lo) || !std::isfinite(hi) || lo > hi)
      throw InputError(path + ": '" + name + "' needs finite lo <= hi");
    r[name] = {static_cast<float>(lo), static_cast<float>(hi)};
  }
  return r;
}

std::string make_twin(const OnnxFile& f, const TwinOptions& o, TwinSummary* summary) {
  const auto layers = find_layers(f);
  for (const OnnxLayer& l : layers)
    if (l.form != Form::float_op)
      f.fail("layer '" + l.layer.name + "' (" + l.layer.op_name +
             ") is already quantized: quantize-model wants a float model");
  pb::ModelProto m = f.proto();
  std::vector<pb::GraphProto*> graphs;
  collect_graphs(*m.mutable_graph(), graphs);
  pb::GraphProto& main = *m.mutable_graph();
  if (o.emit_quantized && opset(m) < 13)
    f.fail("opset " + std::to_string(opset(m)) +
           " has no per-axis DequantizeLinear (13 or later needed for the QDQ layout)");
  if (o.emit_quantized && o.policy.bias_type != BiasType::int32)
    throw UsageError("policy " + o.policy.name +
                     " has INT64 biases; DequantizeLinear takes INT32 biases only");

  TwinSummary s;
  std::set<std::string> done;      // new initializer names
  std::set<std::string> replaced;  // original weight/bias names
  // Nodes to insert before (graph, node index), and input renames per node.
  std::map<std::pair<std::size_t, int>, std::vector<pb::NodeProto>> before;
  std::set<std::pair<std::size_t, std::string>> activation_done;
  Result r;
  for (const OnnxLayer& l : layers) {
    Case c = float_case(f, l);
    float s_x = o.input_scale;
    std::int64_t x_zp = 0;
    std::int32_t x_type = T::INT8;
    if (auto it = o.ranges.find(l.input); it != o.ranges.end()) {
      const double lo = std::min(0.0f, it->second.first), hi = std::max(0.0f, it->second.second);
      s_x = static_cast<float>((hi - lo) / 255.0);
      if (!(s_x >= FLT_MIN)) s_x = 1.0f;  // an all-zero range: any scale represents it
      x_zp = std::clamp<std::int64_t>(std::llround(-lo / s_x), 0, 255);
      x_type = T::UINT8;
    }
    c.input_scale = s_x;
    try {
      quantize(o.policy, c, r);
    } catch (const InputError& e) {
      f.fail("layer '" + l.layer.name + "': " + e.what());
    }
    ++s.layers;
    s.channels += l.channels;
    for (const Finding& fd : r.findings) s.findings += breaks_declared(fd, o.policy.guarantees);

    const auto order = canonical_order(l);
    const std::size_t gi = l.layer.subgraph;
    pb::NodeProto& node = *graphs[gi]->mutable_node(l.node);
    const std::string w = l.weight.name;
    const std::string w_key = l.weight.values->name().empty() ? w : l.weight.values->name();
    const bool per_channel = r.weights.channels.size() > 1 || l.channels == 1;
    const auto& shape = l.layer.filter_shape;
    auto rename_input = [&](const std::string& from, const std::string& to) {
      for (std::string& in : *node.mutable_input())
        if (in == from) in = to;
    };
    replaced.insert(w);
    if (l.bias) replaced.insert(l.bias->name);

    if (!o.emit_quantized) {
      std::vector<float> stored(order.size());
      for (std::size_t p = 0; p < order.size(); ++p)
        stored[order[p]] = static_cast<float>(r.weights.dequantized[p]);
      const std::string wn = w_key + "_quantcheck_" + o.policy.name;
      if (done.insert(wn).second) *main.add_initializer() = float_tensor(wn, shape, stored);
      rename_input(w, wn);
      if (l.bias && !r.bias.dequantized.empty()) {
        std::vector<float> b(r.bias.dequantized.begin(), r.bias.dequantized.end());
        const std::string bn = l.bias->name + "_quantcheck_" + o.policy.name;
        if (done.insert(bn).second)
          *main.add_initializer() = float_tensor(bn, dims_of(f, *l.bias->values, "bias"), b);
        rename_input(l.bias->name, bn);
      }
      continue;
    }

    if (per_channel && l.layer.channel_axis == 1 && l.group > 1 &&
        l.layer.kind != OpKind::fully_connected)
      f.fail("layer '" + l.layer.name +
             "': per-channel ConvTranspose with group > 1 has no single DequantizeLinear axis");
    const std::int32_t wtype = onnx_weight_type(o.policy.weight_type);
    const std::string wq = w_key + "_quantized", ws = w_key + "_scale", wz = w_key + "_zero_point";
    const std::string w_out = w_key + "_DequantizeLinear_Output";
    if (done.insert(wq).second) {
      std::vector<std::int64_t> q(order.size());
      for (std::size_t p = 0; p < order.size(); ++p) q[order[p]] = r.weights.q[p];
      std::vector<float> sc;
      std::vector<std::int64_t> zp;
      for (const ChannelParams& ch : r.weights.channels) {
        sc.push_back(ch.scale);
        zp.push_back(ch.zero_point);
      }
      const std::vector<std::int64_t> pdims =
          per_channel ? std::vector<std::int64_t>{static_cast<std::int64_t>(sc.size())}
                      : std::vector<std::int64_t>{};
      *main.add_initializer() = int_tensor(wq, wtype, shape, q);
      *main.add_initializer() = float_tensor(ws, pdims, sc);
      *main.add_initializer() = int_tensor(wz, wtype, pdims, zp);
      before[{gi, l.node}].push_back(
          qdq_node("DequantizeLinear", w_key + "_DequantizeLinear", {wq, ws, wz}, w_out,
                   per_channel ? std::optional<std::int64_t>(l.layer.channel_axis) : std::nullopt));
    }
    rename_input(w, w_out);

    if (l.bias && !r.bias.q.empty()) {
      const std::string b = l.bias->name;
      const std::string bq = b + "_quantized", bs = bq + "_scale", bz = bq + "_zero_point";
      const std::string b_out = b + "_DequantizeLinear_Output";
      if (done.insert(bq).second) {
        const std::vector<std::int64_t> bdims = dims_of(f, *l.bias->values, "bias");
        const auto C = static_cast<std::int64_t>(r.bias.q.size());
        *main.add_initializer() = int_tensor(bq, T::INT32, bdims, r.bias.q);
        *main.add_initializer() = float_tensor(bs, {C}, r.bias.scale);
        *main.add_initializer() = int_tensor(
            bz, T::INT32, {C}, std::vector<std::int64_t>(static_cast<std::size_t>(C), 0));
        before[{gi, l.node}].push_back(
            qdq_node("DequantizeLinear", b + "_DequantizeLinear", {bq, bs, bz}, b_out, 0));
      }
      rename_input(b, b_out);
    }

    const std::string x = l.input;
    const std::string x_q = x + "_QuantizeLinear_Output", x_dq = x + "_DequantizeLinear_Output";
    if (activation_done.insert({gi, x}).second) {
      const std::string xs = x + "_scale", xz = x + "_zero_point";
      if (done.insert(xs).second) {
        *main.add_initializer() = float_tensor(xs, {}, {s_x});
        *main.add_initializer() = int_tensor(xz, x_type, {}, {x_zp});
      }
      before[{gi, l.node}].push_back(
          qdq_node("QuantizeLinear", x + "_QuantizeLinear", {x, xs, xz}, x_q, std::nullopt));
      before[{gi, l.node}].push_back(
          qdq_node("DequantizeLinear", x + "_DequantizeLinear", {x_q, xs, xz}, x_dq, std::nullopt));
    }
    rename_input(x, x_dq);
  }

  // Insert the Q/DQ nodes in front of their layer (topological order kept).
  for (std::size_t gi = 0; gi < graphs.size(); ++gi) {
    pb::GraphProto& g = *graphs[gi];
    google::protobuf::RepeatedPtrField<pb::NodeProto> nodes;
    for (int i = 0; i < g.node_size(); ++i) {
      if (auto it = before.find({gi, i}); it != before.end())
        for (pb::NodeProto& n : it->second) *nodes.Add() = std::move(n);
      *nodes.Add() = std::move(*g.mutable_node(i));
    }
    g.mutable_node()->Swap(&nodes);
  }
  // Drop replaced float initializers nothing reads any more (and their graph
  // inputs: IR < 4 lists initializers as inputs).
  std::set<std::string> used;
  collect_used(main, used);
  for (pb::GraphProto* g : graphs) {
    auto* inits = g->mutable_initializer();
    std::set<std::string> dropped;
    for (int i = inits->size() - 1; i >= 0; --i) {
      const std::string& n = inits->Get(i).name();
      if (replaced.count(n) && !used.count(n)) {
        dropped.insert(n);
        inits->DeleteSubrange(i, 1);
      }
    }
    auto* inputs = g->mutable_input();
    for (int i = inputs->size() - 1; i >= 0; --i)
      if (dropped.count(inputs->Get(i).name())) inputs->DeleteSubrange(i, 1);
  }
  std::string out;
  if (!m.SerializeToString(&out)) f.fail("the twin does not serialize (larger than 2 GiB?)");
  if (summary) *summary = s;
  return out;
}

}  // namespace quantcheck::onnx
