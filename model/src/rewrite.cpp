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

// The builder's one buffer, kept in a std::vector so the finished model is
// handed out without a copy: the bytes are moved to the front of the storage
// and the vector is returned. A copy of the finished buffer doubled
// quantize-model's peak memory for a moment (docs/model-checks.md).
class VectorAllocator : public flatbuffers::Allocator {
 public:
  std::uint8_t* allocate(std::size_t size) override {
    storage_.assign(size, 0);
    return storage_.data();
  }
  void deallocate(std::uint8_t* p, std::size_t) override {
    if (p == storage_.data()) std::vector<std::uint8_t>().swap(storage_);
  }
  std::uint8_t* reallocate_downward(std::uint8_t* old_p, std::size_t old_size, std::size_t new_size,
                                    std::size_t in_use_back, std::size_t in_use_front) override {
    std::vector<std::uint8_t> fresh(new_size);
    memcpy_downward(old_p, old_size, fresh.data(), new_size, in_use_back, in_use_front);
    storage_.swap(fresh);
    return storage_.data();
  }
  // The finished bytes [p, p + n), which lie inside the storage.
  std::vector<std::uint8_t> take(const std::uint8_t* p, std::size_t n) {
    std::memmove(storage_.data(), p, n);
    storage_.resize(n);
    return std::move(storage_);
  }

 private:
  std::vector<std::uint8_t> storage_;
};

Offset<fb::Buffer> build_data_buffer(flatbuffers::FlatBufferBuilder& b,
                                     const std::vector<std::uint8_t>& data) {
  b.ForceVectorAlignment(data.size(), 1, 16);  // TFLite reads constants in place
  const auto v = b.CreateVector(data);
  return fb::CreateBuffer(b, v);
}

}  // namespace

std::vector<std::uint8_t> rewrite_model(const ModelFile& m, const ModelEdits& edits,
                                        Format format) {
  ModelEdits copy = edits;
  return rewrite_model(m, std::move(copy), format);
}

std::vector<std::uint8_t> rewrite_model(const ModelFile& m, ModelEdits&& edits, Format format) {
  const auto bytes = m.bytes();
  const fb::Model& md = m.model();
  // Room for everything up front (the original, the new constants, tables):
  // growing the builder copies it into a buffer twice as large.
  std::size_t room = bytes.size() + (1u << 20);
  for (const auto& [key, edit] : edits.tensors)
    room += 256 + (edit.data ? edit.data->size() + 16 : 0);
  for (const auto& [sg, added] : edits.added_tensors)
    for (const AddedTensor& a : added) room += 256 + (a.edit.data ? a.edit.data->size() + 16 : 0);
  VectorAllocator allocator;
  flatbuffers::FlatBufferBuilder b(room, &allocator);

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
  for (auto& [key, edit] : edits.tensors)
    if (edit.data) {
      new_buffer[key] = static_cast<std::uint32_t>(buffers.size());
      buffers.push_back(build_data_buffer(b, *edit.data));
      std::vector<std::uint8_t>().swap(*edit.data);  // in the builder now: free it
    }
  std::map<std::pair<std::uint32_t, std::size_t>, std::uint32_t> added_buffer;
  for (auto& [sg, added] : edits.added_tensors)
    for (std::size_t k = 0; k < added.size(); ++k)
      if (added[k].edit.data) {
        added_buffer[{sg, k}] = static_cast<std::uint32_t>(buffers.size());
        buffers.push_back(build_data_buffer(b, *added[k].edit.data));
        std::vector<std::uint8_t>().swap(*added[k].edit.data);
      }

  // 3. Subgraphs: untouched ones by reference, the others rebuilt around
  // their new tensors and without the removed operators.
  std::vector<Offset<fb::SubGraph>> subgraphs;
  for (std::uint32_t sg = 0; sg < md.subgraphs()->size(); ++sg) {
    const fb::SubGraph& g = *md.subgraphs()->Get(sg);
    const auto first_edit = edits.tensors.lower_bound({sg, -1});
    const bool tensors_changed = first_edit != edits.tensors.end() && first_edit->first.first == sg;
    const auto first_removed = edits.removed_ops.lower_bound({sg, 0});
    const auto first_inputs = edits.op_inputs.lower_bound({sg, 0});
    const bool ops_changed =
        (first_removed != edits.removed_ops.end() && first_removed->first == sg) ||
        (first_inputs != edits.op_inputs.end() && first_inputs->first.first == sg);
    const auto added = edits.added_tensors.find(sg);
    const bool tensors_added = added != edits.added_tensors.end() && !added->second.empty();
    if (!tensors_changed && !ops_changed && !tensors_added) {
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
    if (tensors_added)
      for (std::size_t k = 0; k < added->second.size(); ++k) {
        const AddedTensor& a = added->second[k];
        const auto nb = added_buffer.find({sg, k});
        const fb::Tensor& like = *g.tensors()->Get(static_cast<uoffset_t>(a.like));
        tensors.push_back(build_tensor(b, e, like, a.edit,
                                       nb != added_buffer.end() ? nb->second : like.buffer()));
      }
    std::vector<Offset<fb::Operator>> ops;
    const std::uint32_t n_ops = g.operators() ? g.operators()->size() : 0;
    for (std::uint32_t o = 0; o < n_ops; ++o) {
      if (edits.removed_ops.count({sg, o})) continue;
      const fb::Operator* op = g.operators()->Get(o);
      const auto in = edits.op_inputs.find({sg, o});
      if (in == edits.op_inputs.end()) {
        ops.push_back(e.ref(op));
        continue;
      }
      // The operator again with new inputs; everything else points at the original.
      const auto inputs = b.CreateVector(in->second);
      fb::OperatorBuilder ob(b);
      ob.add_opcode_index(op->opcode_index());
      ob.add_inputs(inputs);
      ob.add_outputs(e.ref(op->outputs()));
      ob.add_builtin_options_type(op->builtin_options_type());
      ob.add_builtin_options(flatbuffers::Offset<void>(
          e.ref(static_cast<const std::uint8_t*>(op->builtin_options())).o));
      ob.add_custom_options(e.ref(op->custom_options()));
      ob.add_custom_options_format(op->custom_options_format());
      ob.add_mutating_variable_inputs(e.ref(op->mutating_variable_inputs()));
      ob.add_intermediates(e.ref(op->intermediates()));
      ob.add_large_custom_options_offset(op->large_custom_options_offset());
      ob.add_large_custom_options_size(op->large_custom_options_size());
      ops.push_back(ob.Finish());
    }
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

  const std::uint64_t finished_size = b.GetSize();
  std::vector<std::uint8_t> out = allocator.take(b.GetBufferPointer(), b.GetSize());
  // 5. External data still lies inside the embedded copy: shift its offsets by
  // where that copy now starts.
  const std::uint64_t copy_start = finished_size - e.start();
  fb::Model* root = fb::GetMutableModel(out.data());
  for (const std::uint32_t i : external) {
    fb::Buffer* buf = root->mutable_buffers()->GetMutableObject(i);
    buf->mutate_offset(buf->offset() + copy_start);
  }
  return out;
}

}  // namespace quantcheck::model
