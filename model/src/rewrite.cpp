// rewrite_model: new Model/SubGraph/Tensor/Buffer tables in front of the
// original bytes, pointing into them for everything unchanged (rewrite.hpp).
#include "quantcheck/model/rewrite.hpp"

#include <flatbuffers/flatbuffers.h>

namespace quantcheck::model {
namespace {

using flatbuffers::Offset;
using flatbuffers::uoffset_t;

// Points builder offsets at objects inside the embedded original file. A
// builder Offset counts bytes from the END of the finished buffer; byte p of
// the original sits at end-distance (start - p), start being the end-distance
// of its byte 0.
class Embedded {
 public:
  Embedded(const std::uint8_t* base, uoffset_t start) : base_(base), start_(start) {}
  template <typename T>
  Offset<T> ref(const T* p) const {
    if (!p) return Offset<T>(0);  // absent field stays absent
    const auto pos = static_cast<uoffset_t>(reinterpret_cast<const std::uint8_t*>(p) - base_);
    return Offset<T>(start_ - pos);
  }
  uoffset_t start() const { return start_; }

 private:
  const std::uint8_t* base_;
  uoffset_t start_;
};

Offset<fb::QuantizationParameters> build_quantization(flatbuffers::FlatBufferBuilder& b,
                                                      const Quantization& q) {
  if (q.empty()) return 0;
  const auto scale = b.CreateVector(q.scale);
  const auto zp = b.CreateVector(q.zero_point);
  return fb::CreateQuantizationParameters(b, 0, 0, scale, zp, fb::QuantizationDetails_NONE, 0,
                                          q.quantized_dimension);
}

Offset<fb::Tensor> build_tensor(flatbuffers::FlatBufferBuilder& b, const Embedded& e,
                                const fb::Tensor& t, const TensorEdit& edit, std::uint32_t buffer) {
  const Offset<fb::QuantizationParameters> quant =
      edit.quantization ? build_quantization(b, *edit.quantization) : e.ref(t.quantization());
  const auto name = edit.name ? b.CreateString(*edit.name) : e.ref(t.name());
  fb::TensorBuilder tb(b);
  tb.add_shape(e.ref(t.shape()));
  tb.add_type(edit.type ? static_cast<fb::TensorType>(*edit.type) : t.type());
  tb.add_buffer(buffer);
  tb.add_name(name);
  tb.add_quantization(quant);
  tb.add_is_variable(t.is_variable());
  tb.add_sparsity(e.ref(t.sparsity()));
  tb.add_shape_signature(e.ref(t.shape_signature()));
  tb.add_has_rank(t.has_rank());
  tb.add_variant_tensors(e.ref(t.variant_tensors()));
  tb.add_compression_type(t.compression_type());
  return tb.Finish();
}

Offset<fb::Buffer> build_data_buffer(flatbuffers::FlatBufferBuilder& b,
                                     const std::vector<std::uint8_t>& data) {
  b.ForceVectorAlignment(data.size(), 1, 16);  // TFLite reads constants in place
  const auto v = b.CreateVector(data);
  return fb::CreateBuffer(b, v);
}

}  // namespace

std::vector<std::uint8_t> rewrite_model(const ModelFile& m, const ModelEdits& edits,
                                        Format format) {
  const auto bytes = m.bytes();
  const fb::Model& md = m.model();
  flatbuffers::FlatBufferBuilder b(bytes.size() + (1u << 20));

  // 1. The original, whole and 16-byte aligned, so its own alignment holds.
  b.ForceVectorAlignment(bytes.size(), 1, 16);
  const auto blob = b.CreateVector(bytes.data(), bytes.size());
  const Embedded e(bytes.data(), blob.o - static_cast<uoffset_t>(sizeof(uoffset_t)));

  // 2. Buffers: the original ones (external ones re-pointed after Finish),
  // then one new buffer per edited tensor that has new data.
  const std::uint32_t n_buffers = md.buffers() ? md.buffers()->size() : 0;
  std::vector<Offset<fb::Buffer>> buffers;
  std::vector<std::uint32_t> external;
  for (std::uint32_t i = 0; i < n_buffers; ++i) {
    const fb::Buffer* buf = md.buffers()->Get(i);
    if (buf->offset() > 1 && !(buf->data() && buf->data()->size() > 0)) {
      external.push_back(i);
      buffers.push_back(fb::CreateBuffer(b, 0, buf->offset(), buf->size()));
    } else {
      buffers.push_back(e.ref(buf));
    }
  }
  if (buffers.empty()) buffers.push_back(fb::CreateBuffer(b));  // the empty sentinel
  std::map<std::pair<std::uint32_t, std::int32_t>, std::uint32_t> new_buffer;
  for (const auto& [key, edit] : edits.tensors)
    if (edit.data) {
      new_buffer[key] = static_cast<std::uint32_t>(buffers.size());
      buffers.push_back(build_data_buffer(b, *edit.data));
    }

  // 3. Subgraphs: untouched ones by reference, the others rebuilt around
  // their new tensors and without the removed operators.
  std::vector<Offset<fb::SubGraph>> subgraphs;
  for (std::uint32_t sg = 0; sg < md.subgraphs()->size(); ++sg) {
    const fb::SubGraph& g = *md.subgraphs()->Get(sg);
    const auto first_edit = edits.tensors.lower_bound({sg, -1});
    const bool tensors_changed = first_edit != edits.tensors.end() && first_edit->first.first == sg;
    const auto first_removed = edits.removed_ops.lower_bound({sg, 0});
    const bool ops_changed = first_removed != edits.removed_ops.end() && first_removed->first == sg;
    if (!tensors_changed && !ops_changed) {
      subgraphs.push_back(e.ref(&g));
      continue;
    }
    std::vector<Offset<fb::Tensor>> tensors;
    const std::uint32_t n_tensors = g.tensors() ? g.tensors()->size() : 0;
    for (std::uint32_t i = 0; i < n_tensors; ++i) {
      const fb::Tensor& t = *g.tensors()->Get(i);
      const auto key = std::make_pair(sg, static_cast<std::int32_t>(i));
      const auto it = edits.tensors.find(key);
      if (it == edits.tensors.end()) {
        tensors.push_back(e.ref(&t));
        continue;
      }
      const auto nb = new_buffer.find(key);
      tensors.push_back(
          build_tensor(b, e, t, it->second, nb != new_buffer.end() ? nb->second : t.buffer()));
    }
    std::vector<Offset<fb::Operator>> ops;
    const std::uint32_t n_ops = g.operators() ? g.operators()->size() : 0;
    for (std::uint32_t o = 0; o < n_ops; ++o)
      if (!edits.removed_ops.count({sg, o})) ops.push_back(e.ref(g.operators()->Get(o)));
    const auto tv = b.CreateVector(tensors);
    const auto ov = b.CreateVector(ops);
    fb::SubGraphBuilder gb(b);
    gb.add_tensors(tv);
    gb.add_inputs(e.ref(g.inputs()));
    gb.add_outputs(e.ref(g.outputs()));
    gb.add_operators(ov);
    gb.add_name(e.ref(g.name()));
    gb.add_data_format(g.data_format());
    subgraphs.push_back(gb.Finish());
  }

  // 4. The new root.
  const auto sv = b.CreateVector(subgraphs);
  const auto bv = b.CreateVector(buffers);
  fb::ModelBuilder mb(b);
  mb.add_version(md.version());
  mb.add_operator_codes(e.ref(md.operator_codes()));
  mb.add_subgraphs(sv);
  mb.add_description(e.ref(md.description()));
  mb.add_buffers(bv);
  mb.add_metadata_buffer(e.ref(md.metadata_buffer()));
  mb.add_metadata(e.ref(md.metadata()));
  mb.add_signature_defs(e.ref(md.signature_defs()));
  b.Finish(mb.Finish(), identifier(format));

  std::vector<std::uint8_t> out(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
  // 5. External data still lies inside the embedded copy: shift its offsets by
  // where that copy now starts.
  const std::uint64_t copy_start = b.GetSize() - e.start();
  fb::Model* root = fb::GetMutableModel(out.data());
  for (const std::uint32_t i : external) {
    fb::Buffer* buf = root->mutable_buffers()->GetMutableObject(i);
    buf->mutate_offset(buf->offset() + copy_start);
  }
  return out;
}

}  // namespace quantcheck::model
