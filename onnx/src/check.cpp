// check_model for ONNX: the layers' canonical cases through model::check_layers.
#include <map>

#include "quantcheck/onnx/check.hpp"
#include "quantcheck/onnx/layers.hpp"

namespace quantcheck::onnx {

model::CheckReport check_model(const OnnxFile& f, const model::CheckOptions& options) {
  const auto layers = find_layers(f);
  std::vector<model::Layer> plain;
  std::map<std::pair<std::uint32_t, std::uint32_t>, const OnnxLayer*> by_node;
  for (const OnnxLayer& l : layers) {
    plain.push_back(l.layer);
    by_node[{l.layer.subgraph, l.layer.op_index}] = &l;
  }
  return model::check_layers(
      f.path(), model::Format::onnx, plain,
      [&](const model::Layer& layer, Case& c) {
        c = float_case(f, *by_node.at({layer.subgraph, layer.op_index}));
      },
      options);
}

}  // namespace quantcheck::onnx
