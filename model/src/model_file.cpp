// ModelFile::open: map, check the identifier, run the flatbuffers Verifier,
// then check what the Verifier cannot know (the meaning of the numbers).
#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <sstream>

#include "quantcheck/model/model_file.hpp"
#include "quantcheck/model/tensor_data.hpp"

namespace quantcheck::model {

std::string to_string(Format f) {
  return f == Format::tflite ? "tflite" : f == Format::circle ? "circle" : "onnx";
}
const char* identifier(Format f) {
  return f == Format::tflite ? "TFL3" : f == Format::circle ? "CIR0" : "ONNX";
}

namespace {

// Printable form of 4 identifier bytes, with escapes for the rest.
std::string printable(const std::uint8_t* p, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] >= 0x20 && p[i] < 0x7f) {
      s += static_cast<char>(p[i]);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", p[i]);
      s += hex;
    }
  }
  return s;
}

std::string tensor_label(std::uint32_t sg, std::size_t i, const fb::Tensor* t) {
  std::ostringstream m;
  m << "subgraph " << sg << " tensor " << i;
  if (t && t->name()) m << " '" << t->name()->str() << "'";
  return m.str();
}

std::string shape_text(const fb::Tensor& t) {
  std::ostringstream m;
  m << "[";
  if (t.shape())
    for (flatbuffers::uoffset_t i = 0; i < t.shape()->size(); ++i)
      m << (i ? "," : "") << t.shape()->Get(i);
  m << "]";
  return m.str();
}

// Largest element count quantcheck accepts: keeps count * 16 bytes in int64.
constexpr std::int64_t kMaxElements = std::numeric_limits<std::int64_t>::max() / 16;

}  // namespace

void ModelFile::fail(const std::string& what) const { throw ModelError(path_ + ": " + what); }

ModelFile ModelFile::open(const std::string& path) {
  ModelFile m;
  m.path_ = path;
  m.file_ = std::make_shared<MappedFile>(path);
  const auto bytes = m.file_->bytes();
  if (bytes.size() < 8)
    m.fail("truncated: " + std::to_string(bytes.size()) +
           " bytes, shorter than a flatbuffer header (8)");
  const std::uint8_t* id = bytes.data() + 4;
  if (std::memcmp(id, "TFL3", 4) == 0)
    m.format_ = Format::tflite;
  else if (std::memcmp(id, "CIR0", 4) == 0)
    m.format_ = Format::circle;
  else
    m.fail("wrong file identifier '" + printable(id, 4) +
           "' at bytes 4..7 (expected TFL3 for TFLite or CIR0 for circle)");

  // The flatbuffer part of a file lies in its first 2 GiB (larger models keep
  // their constants after it, through Buffer.offset/size).
  const std::size_t fb_size = std::min<std::size_t>(bytes.size(), FLATBUFFERS_MAX_BUFFER_SIZE - 1);
  flatbuffers::Verifier verifier(bytes.data(), fb_size, /*max_depth=*/64,
                                 /*max_tables=*/50'000'000);
  if (!verifier.VerifyBuffer<fb::Model>(nullptr))
    m.fail("not a valid " + to_string(m.format_) +
           " flatbuffer: an offset, vector length or table lies outside the file (" +
           std::to_string(bytes.size()) + " bytes) or is misaligned; truncated or corrupt");
  m.model_ = flatbuffers::GetRoot<fb::Model>(bytes.data());
  m.check_meaning();
  return m;
}

void ModelFile::check_meaning() const {
  const fb::Model& md = *model_;
  if (!md.subgraphs() || md.subgraphs()->size() == 0) fail("the model has no subgraph");
  const std::size_t n_buffers = md.buffers() ? md.buffers()->size() : 0;
  const std::size_t n_codes = md.operator_codes() ? md.operator_codes()->size() : 0;
  const std::uint64_t file_size = bytes().size();

  for (std::size_t b = 0; b < n_buffers; ++b) {
    const fb::Buffer* buf = md.buffers()->Get(static_cast<flatbuffers::uoffset_t>(b));
    if (buf->offset() > 1 && (buf->offset() > file_size || buf->size() > file_size - buf->offset()))
      fail("buffer " + std::to_string(b) + ": external data at offset " +
           std::to_string(buf->offset()) + " with size " + std::to_string(buf->size()) +
           " lies outside the file (" + std::to_string(file_size) + " bytes)");
  }

  for (std::uint32_t sg = 0; sg < md.subgraphs()->size(); ++sg) {
    const fb::SubGraph* g = md.subgraphs()->Get(sg);
    const std::size_t n_tensors = g->tensors() ? g->tensors()->size() : 0;
    const std::string where = "subgraph " + std::to_string(sg);
    for (std::size_t i = 0; i < n_tensors; ++i) {
      const fb::Tensor* t = g->tensors()->Get(static_cast<flatbuffers::uoffset_t>(i));
      const std::string label = tensor_label(sg, i, t);
      std::int64_t count = 1;
      if (t->shape())
        for (const std::int32_t d : *t->shape()) {
          if (d < 0) fail(label + ": negative dimension in shape " + shape_text(*t));
          if (d != 0 && count > kMaxElements / d)
            fail(label + ": shape " + shape_text(*t) + " has too many elements");
          count *= d;
        }
      if (t->buffer() >= n_buffers && !(t->buffer() == 0 && n_buffers == 0))
        fail(label + ": buffer index " + std::to_string(t->buffer()) + " out of range (" +
             std::to_string(n_buffers) + " buffers)");
      const auto data = tensor_data(*t);
      const int esize = element_size(static_cast<std::int8_t>(t->type()));
      // A sparse tensor (Tensor.sparsity) stores only its non-zero blocks:
      // its buffer is shorter than its dense shape, as TFLite writes it.
      if (!data.empty() && esize > 0 && !t->sparsity() &&
          static_cast<std::uint64_t>(count) * static_cast<std::uint64_t>(esize) != data.size())
        fail(label + ": buffer " + std::to_string(t->buffer()) + " holds " +
             std::to_string(data.size()) + " bytes but shape " + shape_text(*t) + " of " +
             type_name(static_cast<std::int8_t>(t->type())) + " needs " +
             std::to_string(count * esize));
      if (const fb::QuantizationParameters* q = t->quantization()) {
        const std::size_t n_scale = q->scale() ? q->scale()->size() : 0;
        const std::size_t n_zp = q->zero_point() ? q->zero_point()->size() : 0;
        const std::size_t n_min = q->min() ? q->min()->size() : 0;
        const std::size_t n_max = q->max() ? q->max()->size() : 0;
        if (n_zp != 0 && n_zp != n_scale)
          fail(label + ": quantization has " + std::to_string(n_scale) + " scales but " +
               std::to_string(n_zp) + " zero points");
        if (n_min != n_max)
          fail(label + ": quantization has " + std::to_string(n_min) + " min but " +
               std::to_string(n_max) + " max values");
        if (n_scale > 1) {
          const std::int32_t qd = q->quantized_dimension();
          const std::size_t rank = t->shape() ? t->shape()->size() : 0;
          if (qd < 0 || static_cast<std::size_t>(qd) >= rank)
            fail(label + ": quantized_dimension " + std::to_string(qd) + " outside shape " +
                 shape_text(*t));
          if (static_cast<std::size_t>(t->shape()->Get(qd)) != n_scale)
            fail(label + ": " + std::to_string(n_scale) + " scales for dimension " +
                 std::to_string(qd) + " of shape " + shape_text(*t));
        }
      }
    }
    auto check_indices = [&](const flatbuffers::Vector<std::int32_t>* v, const std::string& what,
                             bool optional_allowed) {
      if (!v) return;
      for (const std::int32_t i : *v)
        if (!((optional_allowed && i == -1) || (i >= 0 && static_cast<std::size_t>(i) < n_tensors)))
          fail(where + " " + what + ": tensor index " + std::to_string(i) + " out of range (" +
               std::to_string(n_tensors) + " tensors)");
    };
    check_indices(g->inputs(), "inputs", false);
    check_indices(g->outputs(), "outputs", false);
    const std::size_t n_ops = g->operators() ? g->operators()->size() : 0;
    for (std::size_t o = 0; o < n_ops; ++o) {
      const fb::Operator* op = g->operators()->Get(static_cast<flatbuffers::uoffset_t>(o));
      const std::string op_where = "operator " + std::to_string(o);
      if (op->opcode_index() >= n_codes)
        fail(where + " " + op_where + ": opcode_index " + std::to_string(op->opcode_index()) +
             " out of range (" + std::to_string(n_codes) + " operator codes)");
      check_indices(op->inputs(), op_where + " inputs", true);
      check_indices(op->outputs(), op_where + " outputs", true);
    }
  }
}

const fb::Tensor& ModelFile::tensor(std::uint32_t subgraph, std::int32_t index) const {
  return *model_->subgraphs()->Get(subgraph)->tensors()->Get(
      static_cast<flatbuffers::uoffset_t>(index));
}

std::span<const std::uint8_t> ModelFile::buffer_data(std::uint32_t buffer) const {
  const auto* buffers = model_->buffers();
  if (!buffers || buffer >= buffers->size()) return {};
  const fb::Buffer* b = buffers->Get(buffer);
  if (b->data() && b->data()->size() > 0) return {b->data()->data(), b->data()->size()};
  if (b->offset() > 1) return bytes().subspan(b->offset(), b->size());  // checked at open()
  return {};
}

std::span<const std::uint8_t> ModelFile::tensor_data(const fb::Tensor& t) const {
  return buffer_data(t.buffer());
}

std::int32_t ModelFile::op_code(const fb::Operator& op) const {
  const fb::OperatorCode* c = model_->operator_codes()->Get(op.opcode_index());
  return std::max<std::int32_t>(c->deprecated_builtin_code(), c->builtin_code());
}

}  // namespace quantcheck::model
