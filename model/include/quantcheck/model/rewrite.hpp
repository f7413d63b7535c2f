// Writes a modified copy of a model without understanding all of it.
//
// How: flatbuffer offsets are relative, so the original file's bytes stay
// valid when embedded whole, 16-byte aligned, in a new flatbuffer. New tables
// (Model, the changed SubGraphs, Tensors and Buffers) are built in front of it
// and point into it for everything that did not change: operator options this
// subset does not know, metadata, signatures, names. External buffers
// (offset > 1) are re-pointed at the embedded copy.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "quantcheck/model/model_file.hpp"
#include "quantcheck/model/tensor_data.hpp"

namespace quantcheck::model {

struct TensorEdit {
  std::optional<std::int8_t> type;                // new TensorType
  std::optional<std::vector<std::uint8_t>> data;  // new constant bytes (a new buffer)
  std::optional<Quantization> quantization;       // new parameters (empty: none)
  std::optional<std::string> name;                // new name
};

// A tensor added at the end of a subgraph's tensors: a copy of `like` (shape,
// name, ...) with `edit` applied. Its index is the subgraph's tensor count
// plus its position among the subgraph's added tensors.
struct AddedTensor {
  std::int32_t like = -1;
  TensorEdit edit;
};

struct ModelEdits {
  std::map<std::pair<std::uint32_t, std::int32_t>, TensorEdit> tensors;  // (subgraph, tensor)
  std::set<std::pair<std::uint32_t, std::uint32_t>> removed_ops;         // (subgraph, op)
  std::map<std::uint32_t, std::vector<AddedTensor>> added_tensors;       // per subgraph
  // New input lists of operators (subgraph, op); the rest of the op is kept.
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::vector<std::int32_t>> op_inputs;
};

// The bytes of the edited model, with the identifier of `format`.
std::vector<std::uint8_t> rewrite_model(const ModelFile& m, const ModelEdits& edits, Format format);
// The same, freeing each edit's data once it is in the new model (peak
// memory: about the output plus the mapped input).
std::vector<std::uint8_t> rewrite_model(const ModelFile& m, ModelEdits&& edits, Format format);

template <typename T>
std::vector<std::uint8_t> to_bytes(const std::vector<T>& v) {
  std::vector<std::uint8_t> out(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(out.data(), v.data(), out.size());
  return out;
}

}  // namespace quantcheck::model
