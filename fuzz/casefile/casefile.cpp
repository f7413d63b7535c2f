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

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

}  // namespace

std::vector<std::uint8_t> encode_case_file(const CaseRecord& r) {
  flatbuffers::FlatBufferBuilder b(256 + 4 * (r.c.weights.size() + r.c.bias.size()));
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
  return {b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize()};
}

std::optional<CaseRecord> decode_case_file(const std::uint8_t* data, std::size_t size) {
  // The verifier bounds every offset and length by the buffer, so nothing below
  // reads outside it; depth and table limits keep hostile nesting cheap.
  if (data == nullptr || size < 8) return std::nullopt;
  flatbuffers::Verifier v(data, size, /*max_depth=*/8, /*max_tables=*/16);
  if (!fb::VerifyCaseBuffer(v)) return std::nullopt;
  const fb::Case* c = fb::GetCase(data);
  const auto op = from_fb(c->op());
  if (!op) return std::nullopt;
  CaseRecord r;
  r.c.op = *op;
  r.c.input_scale = c->input_scale();
  if (const fb::Weights* w = c->weights()) {
    if (w->shape()) r.c.weight_shape.assign(w->shape()->begin(), w->shape()->end());
    if (w->data()) r.c.weights.assign(w->data()->begin(), w->data()->end());
  }
  if (c->bias()) r.c.bias.assign(c->bias()->begin(), c->bias()->end());
  if (c->channel_axis() != -1) r.c.channel_axis = c->channel_axis();
  if (c->policy()) r.policy = c->policy()->str();
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
