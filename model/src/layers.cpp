// find_layers: the CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED ops with a
// constant filter, their operands traced through DEQUANTIZE to the data.
#include "quantcheck/model/layers.hpp"

#include <sstream>

#include "quantcheck/model/tensor_data.hpp"

namespace quantcheck::model {

std::string builtin_name(OpKind kind) {
  switch (kind) {
    case OpKind::conv2d: return "CONV_2D";
    case OpKind::depthwise_conv2d: return "DEPTHWISE_CONV_2D";
    case OpKind::fully_connected: return "FULLY_CONNECTED";
  }
  return "?";
}

std::string op_name(const Layer& l) { return l.op_name.empty() ? builtin_name(l.kind) : l.op_name; }

namespace {

std::optional<OpKind> layer_kind(std::int32_t code) {
  switch (code) {
    case kConv2D: return OpKind::conv2d;
    case kDepthwiseConv2D: return OpKind::depthwise_conv2d;
    case kFullyConnected: return OpKind::fully_connected;
    default: return std::nullopt;
  }
}

// The constant behind tensor t: t itself when it has data, or the data input
// of the DEQUANTIZE op producing t. nullopt when t is computed at run time.
std::optional<Operand> trace_constant(const ModelFile& m, std::uint32_t sg, std::int32_t t,
                                      const std::vector<std::int32_t>& producer) {
  // A sparse constant's buffer holds only its stored values (TFLite densifies
  // it at run time): it is not read as a dense tensor, its layer is skipped
  // and listed as not audited (unaudited.hpp).
  if (m.tensor(sg, t).sparsity()) return std::nullopt;
  if (!m.tensor_data(m.tensor(sg, t)).empty() || element_count(m.tensor(sg, t)) == 0)
    return Operand{t, t, -1};
  const std::int32_t p = producer[static_cast<std::size_t>(t)];
  if (p < 0) return std::nullopt;
  const fb::Operator& op =
      *m.model().subgraphs()->Get(sg)->operators()->Get(static_cast<flatbuffers::uoffset_t>(p));
  if (m.op_code(op) != kDequantize || !op.inputs() || op.inputs()->size() < 1) return std::nullopt;
  const std::int32_t src = op.inputs()->Get(0);
  if (src < 0 || m.tensor_data(m.tensor(sg, src)).empty() || m.tensor(sg, src).sparsity())
    return std::nullopt;
  return Operand{t, src, p};
}

std::string shape_text(const std::vector<std::int64_t>& s) {
  std::ostringstream m;
  m << "[";
  for (std::size_t i = 0; i < s.size(); ++i) m << (i ? "," : "") << s[i];
  m << "]";
  return m.str();
}

}  // namespace

std::vector<Layer> find_layers(const ModelFile& m) {
  std::vector<Layer> layers;
  const auto& subgraphs = *m.model().subgraphs();
  for (std::uint32_t sg = 0; sg < subgraphs.size(); ++sg) {
    const fb::SubGraph& g = *subgraphs.Get(sg);
    if (!g.operators()) continue;
    const std::size_t n_tensors = g.tensors() ? g.tensors()->size() : 0;
    std::vector<std::int32_t> producer(n_tensors, -1);
    for (std::uint32_t o = 0; o < g.operators()->size(); ++o) {
      const fb::Operator& op = *g.operators()->Get(o);
      if (op.outputs())
        for (const std::int32_t t : *op.outputs())
          if (t >= 0) producer[static_cast<std::size_t>(t)] = static_cast<std::int32_t>(o);
    }
    for (std::uint32_t o = 0; o < g.operators()->size(); ++o) {
      const fb::Operator& op = *g.operators()->Get(o);
      const auto kind = layer_kind(m.op_code(op));
      if (!kind) continue;
      const std::string where = "subgraph " + std::to_string(sg) + " operator " +
                                std::to_string(o) + " (" + builtin_name(*kind) + ")";
      if (!op.inputs() || op.inputs()->size() < 2 || op.inputs()->Get(1) < 0)
        m.fail(where + ": no filter input");
      Layer l;
      l.subgraph = sg;
      l.op_index = o;
      l.kind = *kind;
      l.input = op.inputs()->Get(0);
      const auto filter = trace_constant(m, sg, op.inputs()->Get(1), producer);
      if (!filter) continue;  // run-time weights (e.g. a matmul of activations): nothing to audit
      l.filter = *filter;
      const fb::Tensor& ft = m.tensor(sg, l.filter.tensor);
      // Converters name the filter constant after the layer ("conv2d_39/Conv2D").
      const fb::Tensor& named = m.tensor(sg, l.filter.data_tensor);
      l.name = named.name() ? named.name()->str() : where;
      l.filter_shape = shape_of(ft);
      const std::size_t rank = *kind == OpKind::fully_connected ? 2 : 4;
      if (l.filter_shape.size() != rank)
        m.fail(where + ": filter '" + l.name + "' has shape " + shape_text(l.filter_shape) +
               ", expected rank " + std::to_string(rank));
      const fb::Tensor& dt = m.tensor(sg, l.filter.data_tensor);
      if (shape_of(dt) != l.filter_shape)
        m.fail(where + ": DEQUANTIZE input of filter '" + l.name + "' has shape " +
               shape_text(shape_of(dt)) + ", its output " + shape_text(l.filter_shape));
      l.channel_axis = default_channel_axis(*kind);
      if (op.inputs()->size() > 2 && op.inputs()->Get(2) >= 0) {
        const auto bias = trace_constant(m, sg, op.inputs()->Get(2), producer);
        if (!bias && m.tensor(sg, op.inputs()->Get(2)).sparsity()) continue;  // listed unaudited
        if (!bias) m.fail(where + ": bias of '" + l.name + "' is not a constant");
        const fb::Tensor& bt = m.tensor(sg, bias->data_tensor);
        if (element_count(bt) != l.filter_shape[static_cast<std::size_t>(l.channel_axis)] ||
            element_count(m.tensor(sg, bias->tensor)) != element_count(bt))
          m.fail(where + ": bias of '" + l.name + "' has " + std::to_string(element_count(bt)) +
                 " values for " +
                 std::to_string(l.filter_shape[static_cast<std::size_t>(l.channel_axis)]) +
                 " output channels");
        l.bias = *bias;
      }
      layers.push_back(std::move(l));
    }
  }
  return layers;
}

std::vector<float> filter_values(const ModelFile& m, const Layer& l) {
  return read_floats(m, m.tensor(l.subgraph, l.filter.data_tensor), "filter");
}

std::vector<float> bias_values(const ModelFile& m, const Layer& l) {
  if (!l.bias) return {};
  return read_floats(m, m.tensor(l.subgraph, l.bias->data_tensor), "bias");
}

}  // namespace quantcheck::model
