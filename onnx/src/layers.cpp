// find_layers: walk the main graph and every subgraph with a scope chain
// (inner names shadow outer ones), trace each layer's weight and bias to a
// constant, through DequantizeLinear (and QuantizeLinear) where present.
#include "quantcheck/onnx/layers.hpp"

#include <algorithm>
#include <unordered_map>

#include "quantcheck/onnx/tensor.hpp"

namespace quantcheck::onnx {
namespace {

bool is_onnx_domain(const std::string& d) { return d.empty() || d == "ai.onnx"; }

// Names visible in one graph: its initializers and Constant outputs, and
// which node produces each value; the parent holds the enclosing graph's.
struct Scope {
  const Scope* parent = nullptr;
  std::unordered_map<std::string, const pb::TensorProto*> constants;
  std::unordered_map<std::string, const pb::NodeProto*> producers;

  Scope(const pb::GraphProto& g, const Scope* outer) : parent(outer) {
    for (const pb::TensorProto& t : g.initializer()) constants[t.name()] = &t;
    for (const pb::NodeProto& n : g.node()) {
      if (n.op_type() == "Constant" && is_onnx_domain(n.domain()) && n.output_size() == 1)
        for (const pb::AttributeProto& a : n.attribute())
          if (a.name() == "value" && a.has_t()) constants[n.output(0)] = &a.t();
      for (const std::string& out : n.output())
        if (!out.empty()) producers.emplace(out, &n);
    }
  }
  // The innermost scope that defines `name` decides what it is. Identity
  // nodes are looked through (PyTorch shares zero points that way), at most
  // 8 deep, so a cycle of them ends.
  const pb::TensorProto* constant(const std::string& name, int hops = 0) const {
    for (const Scope* s = this; s; s = s->parent) {
      if (auto it = s->constants.find(name); it != s->constants.end()) return it->second;
      if (auto it = s->producers.find(name); it != s->producers.end()) {
        const pb::NodeProto& n = *it->second;
        if (hops < 8 && n.op_type() == "Identity" && is_onnx_domain(n.domain()) &&
            n.input_size() == 1)
          return constant(n.input(0), hops + 1);
        return nullptr;
      }
    }
    return nullptr;
  }
  const pb::NodeProto* producer(const std::string& name) const {
    for (const Scope* s = this; s; s = s->parent) {
      if (auto it = s->producers.find(name); it != s->producers.end()) return it->second;
      if (s->constants.count(name)) return nullptr;
    }
    return nullptr;
  }
};

std::int64_t int_attr(const pb::NodeProto& n, const std::string& name, std::int64_t fallback) {
  for (const pb::AttributeProto& a : n.attribute())
    if (a.name() == name) return a.i();
  return fallback;
}

std::string input_at(const pb::NodeProto& n, int i) { return i < n.input_size() ? n.input(i) : ""; }

// A zero point PyTorch computes as Cast(ConstantOfShape(shape)) with no
// value (zeros): the element type of those zeros, 0 when `name` is not that.
std::int32_t zeros_type(const Scope& s, const std::string& name) {
  const pb::NodeProto* cast = s.producer(name);
  if (!cast || cast->op_type() != "Cast" || !is_onnx_domain(cast->domain())) return 0;
  const pb::NodeProto* fill = s.producer(input_at(*cast, 0));
  if (!fill || fill->op_type() != "ConstantOfShape" || !is_onnx_domain(fill->domain())) return 0;
  for (const pb::AttributeProto& a : fill->attribute())
    if (a.name() == "value") {
      const pb::TensorProto& t = a.t();
      const std::string& raw = t.raw_data();
      const bool zero = std::all_of(raw.begin(), raw.end(), [](char c) { return c == 0; }) &&
                        std::all_of(t.float_data().begin(), t.float_data().end(),
                                    [](float v) { return v == 0; }) &&
                        std::all_of(t.int32_data().begin(), t.int32_data().end(),
                                    [](std::int32_t v) { return v == 0; }) &&
                        std::all_of(t.int64_data().begin(), t.int64_data().end(),
                                    [](std::int64_t v) { return v == 0; });
      if (!zero) return 0;
    }
  const auto to = static_cast<std::int32_t>(int_attr(*cast, "to", 0));
  return is_integer_type(to) ? to : 0;
}

// The constant behind `name`: itself, DequantizeLinear(int constant), or
// DequantizeLinear(QuantizeLinear(float constant)). nullopt: run-time value.
std::optional<Operand> trace(const Scope& s, const std::string& name) {
  if (name.empty()) return std::nullopt;
  if (const pb::TensorProto* t = s.constant(name)) return Operand{name, t};
  const pb::NodeProto* dq = s.producer(name);
  if (!dq || dq->op_type() != "DequantizeLinear" || !is_onnx_domain(dq->domain()))
    return std::nullopt;
  Operand o{name};
  o.dequantize = dq;
  o.scale = s.constant(input_at(*dq, 1));
  if (!o.scale) return std::nullopt;
  if (!input_at(*dq, 2).empty()) {
    o.zero_point = s.constant(input_at(*dq, 2));
    if (!o.zero_point && !(o.zero_point_zero_type = zeros_type(s, input_at(*dq, 2))))
      return std::nullopt;
  }
  o.axis = int_attr(*dq, "axis", 1);
  const std::string x = input_at(*dq, 0);
  if ((o.values = s.constant(x))) {
    o.quantized = true;
    return o;
  }
  const pb::NodeProto* q = s.producer(x);
  if (!q || q->op_type() != "QuantizeLinear" || !is_onnx_domain(q->domain())) return std::nullopt;
  if (!(o.values = s.constant(input_at(*q, 0)))) return std::nullopt;
  o.fake_quantized = true;
  return o;
}

std::optional<ActivationQuant> activation_quant(const Scope& s, const std::string& name) {
  const pb::NodeProto* dq = s.producer(name);
  if (!dq || dq->op_type() != "DequantizeLinear" || !is_onnx_domain(dq->domain()))
    return std::nullopt;
  ActivationQuant a{s.constant(input_at(*dq, 1)), nullptr};
  if (!a.scale) return std::nullopt;
  if (!input_at(*dq, 2).empty() && !(a.zero_point = s.constant(input_at(*dq, 2))))
    return std::nullopt;
  return a;
}

std::string shape_text(const std::vector<std::int64_t>& s) {
  std::string t = "[";
  for (std::size_t i = 0; i < s.size(); ++i) t += (i ? "," : "") + std::to_string(s[i]);
  return t + "]";
}

struct Walker {
  const OnnxFile& f;
  std::vector<OnnxLayer> layers;
  std::uint32_t graphs = 0;

  void walk(const pb::GraphProto& g, const Scope* outer, int depth) {
    if (depth > kMaxGraphDepth) f.fail("subgraphs nested deeper than 16");
    const Scope scope(g, outer);
    const std::uint32_t ordinal = graphs++;
    for (int i = 0; i < g.node_size(); ++i) {
      const pb::NodeProto& n = g.node(i);
      add_layer(scope, g, ordinal, i, n);
      for (const pb::AttributeProto& a : n.attribute()) {
        if (a.has_g()) walk(a.g(), &scope, depth + 1);
        for (const pb::GraphProto& sub : a.graphs()) walk(sub, &scope, depth + 1);
      }
    }
  }

  void add_layer(const Scope& s, const pb::GraphProto& g, std::uint32_t ordinal, int index,
                 const pb::NodeProto& n) {
    const std::string& op = n.op_type();
    const bool std_domain = is_onnx_domain(n.domain());
    const bool ms = n.domain() == "com.microsoft";
    int x = 0, w = 1, b = 2, xs = -1, xz = -1, ws = -1, wz = -1;
    Form form = Form::float_op;
    bool conv = false, transposed = false, matmul = false;
    if (std_domain && op == "Conv")
      conv = true;
    else if (std_domain && op == "ConvTranspose")
      conv = transposed = true;
    else if (std_domain && op == "Gemm") {
    } else if (std_domain && op == "MatMul")
      matmul = true, b = -1;
    else if (std_domain && op == "QLinearConv")
      conv = true, form = Form::qoperator, x = 0, xs = 1, xz = 2, w = 3, ws = 4, wz = 5, b = 8;
    else if (std_domain && op == "QLinearMatMul")
      matmul = true, form = Form::qoperator, x = 0, xs = 1, xz = 2, w = 3, ws = 4, wz = 5, b = -1;
    else if (std_domain && op == "ConvInteger")
      conv = true, form = Form::qoperator, x = 0, w = 1, xz = 2, wz = 3, b = -1;
    else if (std_domain && op == "MatMulInteger")
      matmul = true, form = Form::qoperator, x = 0, w = 1, xz = 2, wz = 3, b = -1;
    else if (ms && op == "QGemm")
      form = Form::qoperator, x = 0, xs = 1, xz = 2, w = 3, ws = 4, wz = 5, b = 6;
    else
      return;

    const std::string where = "graph " + std::to_string(ordinal) + " node " +
                              std::to_string(index) + " (" + op + " '" + n.name() + "')";
    auto weight = form == Form::qoperator ? std::optional<Operand>() : trace(s, input_at(n, w));
    if (form == Form::qoperator) {
      const pb::TensorProto* t = s.constant(input_at(n, w));
      if (!t) return;  // run-time weights
      Operand o{input_at(n, w), t};
      o.quantized = true;
      if (ws >= 0 && !input_at(n, ws).empty() && !(o.scale = s.constant(input_at(n, ws))))
        f.fail(where + ": weight scale '" + input_at(n, ws) + "' is not a constant");
      if (!input_at(n, wz).empty() && !(o.zero_point = s.constant(input_at(n, wz))))
        f.fail(where + ": weight zero point '" + input_at(n, wz) + "' is not a constant");
      weight = o;
    }
    if (!weight) return;  // computed at run time: nothing to audit
    if (weight->values->data_type() != pb::TensorProto::FLOAT && !weight->quantized &&
        !weight->fake_quantized && !is_float_type(weight->values->data_type()))
      f.fail(where + ": weight '" + weight->name + "' is a " +
             type_name(weight->values->data_type()) + " constant without DequantizeLinear");
    if (weight->dequantize) form = Form::qdq;

    OnnxLayer l;
    l.form = form;
    l.graph = &g;
    l.node = index;
    l.domain = n.domain();
    l.input = input_at(n, x);
    l.weight = *weight;
    l.layer.subgraph = ordinal;
    l.layer.op_index = static_cast<std::uint32_t>(index);
    l.layer.name = weight->values->name().empty() ? weight->name : weight->values->name();
    l.layer.op_name = op;
    l.layer.filter_shape = dims_of(f, *weight->values, where + " weight");
    require_stored_elements(f, *weight->values, where + " weight");
    const auto& shape = l.layer.filter_shape;
    l.group = int_attr(n, "group", 1);
    l.trans_b = int_attr(n, "transB", 0) != 0;
    if (conv) {
      if (shape.size() < 3)
        f.fail(where + ": weight '" + l.layer.name + "' has shape " + shape_text(shape) +
               ", a convolution needs rank 3 or more");
      if (l.group < 1 || l.group > (std::int64_t{1} << 31))
        f.fail(where + ": group " + std::to_string(l.group));
      if (transposed) {
        if (shape[0] % l.group != 0)
          f.fail(where + ": ConvTranspose weight " + shape_text(shape) +
                 " not divisible by group " + std::to_string(l.group));
        l.layer.channel_axis = 1;
        l.channels = shape[1] * l.group;
      } else {
        l.layer.channel_axis = 0;
        l.channels = shape[0];
      }
      l.layer.kind =
          !transposed && l.group > 1 && shape[1] == 1 ? OpKind::depthwise_conv2d : OpKind::conv2d;
    } else {
      if (shape.size() != 2) {
        if (matmul) return;  // a batched MatMul: not a layer with per-channel weights
        f.fail(where + ": weight '" + l.layer.name + "' has shape " + shape_text(shape) +
               ", Gemm needs rank 2");
      }
      l.layer.kind = OpKind::fully_connected;
      l.layer.channel_axis = (!matmul && l.trans_b) ? 0 : 1;
      l.channels = shape[static_cast<std::size_t>(l.layer.channel_axis)];
    }

    if (form == Form::qoperator) {
      l.weight.axis = l.layer.channel_axis;
      if (xs >= 0 || xz >= 0) {
        ActivationQuant a;
        if (xs >= 0 && !(a.scale = s.constant(input_at(n, xs))))
          f.fail(where + ": input scale '" + input_at(n, xs) + "' is not a constant");
        if (xz >= 0 && !input_at(n, xz).empty() && !(a.zero_point = s.constant(input_at(n, xz))))
          f.fail(where + ": input zero point '" + input_at(n, xz) + "' is not a constant");
        l.input_quant = a;
      }
    } else {
      l.input_quant = activation_quant(s, l.input);
    }

    if (b >= 0 && !input_at(n, b).empty()) {
      std::optional<Operand> bias;
      if (form == Form::qoperator) {
        if (const pb::TensorProto* t = s.constant(input_at(n, b))) {
          bias = Operand{input_at(n, b), t};
          bias->quantized = true;  // int32, scale implied: x_scale * w_scale
        }
      } else {
        bias = trace(s, input_at(n, b));
      }
      if (!bias) f.fail(where + ": bias '" + input_at(n, b) + "' is not a constant");
      const std::int64_t count = element_count(dims_of(f, *bias->values, where + " bias"));
      if (count != l.channels) {
        // Gemm's C may be a [M, N] matrix or a scalar: not a per-channel bias.
        if (op != "Gemm" && op != "QGemm")
          f.fail(where + ": bias '" + input_at(n, b) + "' has " + std::to_string(count) +
                 " values for " + std::to_string(l.channels) + " output channels");
      } else {
        l.bias = *bias;
      }
    }
    layers.push_back(std::move(l));
  }
};

// Values along `axis` of a tensor of `dims`: the channel of element e.
struct AxisMap {
  std::int64_t inner = 1, size = 1;
  std::int64_t operator()(std::size_t e) const {
    return (static_cast<std::int64_t>(e) / inner) % size;
  }
};

AxisMap axis_map(const std::vector<std::int64_t>& dims, std::int64_t axis) {
  AxisMap m;
  m.size = dims[static_cast<std::size_t>(axis)];
  for (std::size_t d = static_cast<std::size_t>(axis) + 1; d < dims.size(); ++d) m.inner *= dims[d];
  if (m.size == 0) m.size = 1;
  return m;
}

}  // namespace

std::vector<OnnxLayer> find_layers(const OnnxFile& f) {
  Walker w{f, {}, 0};
  w.walk(f.proto().graph(), nullptr, 0);
  return std::move(w.layers);
}

std::vector<std::int64_t> canonical_shape(const OnnxLayer& l) {
  const auto& s = l.layer.filter_shape;
  if (l.layer.kind == OpKind::fully_connected)
    return l.layer.channel_axis == 0 ? s : std::vector<std::int64_t>{s[1], s[0]};
  std::int64_t spatial = 1;
  for (std::size_t d = 2; d + 1 < s.size(); ++d) spatial *= s[d];
  const std::int64_t last = s.back();
  if (l.layer.channel_axis == 1)  // ConvTranspose [C, M/g, k...] -> [M, C/g, k...]
    return {l.channels, s[0] / l.group, spatial, last};
  return {s[0], s[1], spatial, last};
}

std::vector<std::size_t> canonical_order(const OnnxLayer& l) {
  const auto& s = l.layer.filter_shape;
  std::int64_t n = 1;
  for (const std::int64_t d : s) n *= d;
  std::vector<std::size_t> order(static_cast<std::size_t>(n));
  if (l.layer.channel_axis == 0) {
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  } else if (l.layer.kind == OpKind::fully_connected) {  // [K, N] -> [N, K]
    const std::int64_t K = s[0], N = s[1];
    for (std::int64_t c = 0; c < N; ++c)
      for (std::int64_t k = 0; k < K; ++k)
        order[static_cast<std::size_t>(c * K + k)] = static_cast<std::size_t>(k * N + c);
  } else {  // ConvTranspose: out channel o = grp * (M/g) + j reads W[grp * (C/g) + i][j]
    const std::int64_t cg = s[0] / l.group, mg = s[1], M = l.channels;
    const std::int64_t S = cg == 0 || mg == 0 ? 0 : n / (s[0] * mg);
    std::size_t p = 0;
    for (std::int64_t o = 0; o < M; ++o)
      for (std::int64_t i = 0; i < cg; ++i)
        for (std::int64_t k = 0; k < S; ++k)
          order[p++] = static_cast<std::size_t>(((o / mg * cg + i) * mg + o % mg) * S + k);
  }
  return order;
}

QuantParams quant_params(const OnnxFile& f, const pb::TensorProto* scale,
                         const pb::TensorProto* zero_point, const std::string& what,
                         std::int32_t zeros_type) {
  QuantParams q;
  if (!scale) return q;
  q.scale = read_floats(f, *scale, what + " scale");
  if (!zero_point && zeros_type) q.zero_point_type = zeros_type;
  if (zero_point) {
    q.zero_point = read_integers(f, *zero_point, what + " zero point");
    q.zero_point_type = zero_point->data_type();
    if (q.zero_point.size() != q.scale.size())
      f.fail(what + ": " + std::to_string(q.zero_point.size()) + " zero points for " +
             std::to_string(q.scale.size()) + " scales");
  } else {
    q.zero_point.assign(q.scale.size(), 0);
  }
  return q;
}

namespace {

// Stored values of an operand as float: floats as they are, integers as
// (q - zp) * s along the operand's axis (DequantizeLinear's arithmetic).
std::vector<float> operand_floats(const OnnxFile& f, const Operand& o, const std::string& what) {
  if (!o.quantized) return read_floats(f, *o.values, what);
  const auto q = read_integers(f, *o.values, what);
  const auto p = quant_params(f, o.scale, o.zero_point, what, o.zero_point_zero_type);
  if (p.scale.empty()) f.fail(what + ": integer values without a scale");
  const auto dims = dims_of(f, *o.values, what);
  std::int64_t axis = o.axis < 0 ? o.axis + static_cast<std::int64_t>(dims.size()) : o.axis;
  AxisMap m;
  if (p.scale.size() > 1) {
    if (axis < 0 || axis >= static_cast<std::int64_t>(dims.size()) ||
        dims[static_cast<std::size_t>(axis)] != static_cast<std::int64_t>(p.scale.size()))
      f.fail(what + ": " + std::to_string(p.scale.size()) + " scales along axis " +
             std::to_string(o.axis) + " of shape " + shape_text(dims));
    m = axis_map(dims, axis);
  }
  std::vector<float> out(q.size());
  for (std::size_t i = 0; i < q.size(); ++i) {
    const auto k = static_cast<std::size_t>(p.scale.size() > 1 ? m(i) : 0);
    out[i] = static_cast<float>(q[i] - p.zero_point[k]) * p.scale[k];
  }
  return out;
}

}  // namespace

Case float_case(const OnnxFile& f, const OnnxLayer& l) {
  Case c;
  c.op = l.layer.kind;
  c.channel_axis = 0;
  c.weight_shape = canonical_shape(l);
  const auto stored = operand_floats(f, l.weight, "weight '" + l.layer.name + "'");
  const auto order = canonical_order(l);
  c.weights.resize(stored.size());
  for (std::size_t i = 0; i < order.size() && i < stored.size(); ++i)
    c.weights[i] = stored[order[i]];
  if (l.bias && !(l.bias->quantized && !l.bias->scale))
    c.bias = operand_floats(f, *l.bias, "bias of '" + l.layer.name + "'");
  return c;
}

}  // namespace quantcheck::onnx
