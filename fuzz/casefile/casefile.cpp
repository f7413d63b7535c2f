// Case files: quantcheck::Case <-> the flatbuffer of fuzz/schema/case.fbs.
#include "quantcheck/casefile.hpp"

#include <cstring>

#include "case_generated.h"
#include "quantcheck/error.hpp"

namespace quantcheck {
namespace {

fb::Op to_fb(OpKind op) {
  switch (op) {
    case OpKind::conv2d: return fb::Op::conv2d;
    case OpKind::depthwise_conv2d: return fb::Op::depthwise_conv2d;
    case OpKind::fully_connected: return fb::Op::fully_connected;
  }
  return fb::Op::conv2d;
}

std::optional<OpKind> from_fb(fb::Op op) {
  switch (op) {
    case fb::Op::conv2d: return OpKind::conv2d;
    case fb::Op::depthwise_conv2d: return OpKind::depthwise_conv2d;
    case fb::Op::fully_connected: return OpKind::fully_connected;
  }
  return std::nullopt;  // an enum value this schema version does not know
}

// The elements of a verified vector, copied byte-wise. The verifier bounds the
// vector by the buffer and aligns its 4-byte length, but not the elements of
// an 8-byte vector (flatbuffers 2.0.8): a hand-made file can put the int64
// shape at an address that is 4 mod 8, and flatbuffers' own accessors then
// load a misaligned int64 (UBSan: misaligned address, found by
// fuzz_case_flatbuffer). memcpy reads any placement; such a file decodes to
// the values it holds, like any other.
template <typename T>
void read_vector(const flatbuffers::Vector<T>& v, std::vector<T>& out) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(v.Data());
  out.resize(v.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    T x;
    std::memcpy(&x, bytes + i * sizeof(T), sizeof(T));
    out[i] = flatbuffers::EndianScalar(x);
  }
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

}  // namespace

namespace {

void build_case_file(const CaseRecord& r, flatbuffers::FlatBufferBuilder& b) {
  const auto shape = b.CreateVector(r.c.weight_shape);
  const auto data = b.CreateVector(r.c.weights);
  const auto weights = fb::CreateWeights(b, shape, data);
  const auto bias = b.CreateVector(r.c.bias);
  const auto policy = r.policy.empty() ? 0 : b.CreateString(r.policy);
  fb::CaseBuilder cb(b);
  cb.add_op(to_fb(r.c.op));
  cb.add_input_scale(r.c.input_scale);
  cb.add_weights(weights);
  cb.add_bias(bias);
  cb.add_channel_axis(r.c.channel_axis.value_or(-1));
  if (!r.policy.empty()) cb.add_policy(policy);
  fb::FinishCaseBuffer(b, cb.Finish());
}

}  // namespace

std::vector<std::uint8_t> encode_case_file(const CaseRecord& r) {
  flatbuffers::FlatBufferBuilder b(256 + 4 * (r.c.weights.size() + r.c.bias.size()));
  build_case_file(r, b);
  return {b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize()};
}

std::size_t encode_case_file(const CaseRecord& r, std::uint8_t* out, std::size_t max_size) {
  // One builder per thread, cleared (its buffer kept) for each case.
  static thread_local flatbuffers::FlatBufferBuilder b(1024);
  b.Clear();
  build_case_file(r, b);
  if (b.GetSize() > max_size) return 0;
  std::memcpy(out, b.GetBufferPointer(), b.GetSize());
  return b.GetSize();
}

bool decode_case_file(const std::uint8_t* data, std::size_t size, CaseRecord& r) {
  // The verifier bounds every offset and length by the buffer, so nothing below
  // reads outside it; depth and table limits keep hostile nesting cheap.
  if (data == nullptr || size < 8) return false;
  flatbuffers::Verifier v(data, size, /*max_depth=*/8, /*max_tables=*/16);
  if (!fb::VerifyCaseBuffer(v)) return false;
  const fb::Case* c = fb::GetCase(data);
  const auto op = from_fb(c->op());
  if (!op) return false;
  // assign() and clear() keep r's capacity: a fuzz target decodes into one record.
  r.c.op = *op;
  r.c.input_scale = c->input_scale();
  r.c.weight_shape.clear();
  r.c.weights.clear();
  r.c.bias.clear();
  if (const fb::Weights* w = c->weights()) {
    if (w->shape()) read_vector(*w->shape(), r.c.weight_shape);
    if (w->data()) read_vector(*w->data(), r.c.weights);
  }
  if (c->bias()) read_vector(*c->bias(), r.c.bias);
  r.c.channel_axis.reset();
  if (c->channel_axis() != -1) r.c.channel_axis = c->channel_axis();
  if (c->policy())
    r.policy.assign(c->policy()->c_str(), c->policy()->size());
  else
    r.policy.clear();
  return true;
}

std::optional<CaseRecord> decode_case_file(const std::uint8_t* data, std::size_t size) {
  CaseRecord r;
  if (!decode_case_file(data, size, r)) return std::nullopt;
  return r;
}

CaseRecord decode_case_file_or_throw(const std::vector<std::uint8_t>& bytes,
                                     const std::string& where) {
  auto r = decode_case_file(bytes.data(), bytes.size());
  if (!r)
    throw InputError(where + ": not a quantcheck case file (flatbuffer with identifier " +
                     kCaseFileIdentifier + ", schema fuzz/schema/case.fbs)");
  return *r;
}

bool same_case(const CaseRecord& a, const CaseRecord& b) {
  return a.policy == b.policy && a.c.op == b.c.op &&
         std::memcmp(&a.c.input_scale, &b.c.input_scale, sizeof(float)) == 0 &&
         a.c.weight_shape == b.c.weight_shape && same_bits(a.c.weights, b.c.weights) &&
         same_bits(a.c.bias, b.c.bias) && a.c.channel_axis == b.c.channel_axis;
}

}  // namespace quantcheck
