// build_synthetic_model: a minimal, runnable float model of independent layers.
#include "quantcheck/model/synthetic.hpp"

#include <flatbuffers/flatbuffers.h>

#include <cstring>

#include "quantcheck/model/layers.hpp"
#include "quantcheck/model/rewrite.hpp"

namespace quantcheck::model {

std::uint16_t float_to_half(float f) {
  std::uint32_t x;
  std::memcpy(&x, &f, 4);
  const std::uint16_t sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  const std::uint32_t exp = (x >> 23) & 0xffu;
  std::uint32_t mant = x & 0x7fffffu;
  if (exp == 0xff) return sign | 0x7c00u | (mant ? 0x200u | (mant >> 13) : 0u);
  const int e = static_cast<int>(exp) - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00u;  // overflow: infinity
  if (e <= 0) {                          // half subnormal (or zero)
    if (e < -10) return sign;
    mant |= 0x800000u;
    const int shift = 14 - e;
    std::uint32_t h = mant >> shift;
    const std::uint32_t rem = mant & ((1u << shift) - 1);
    const std::uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1u))) ++h;
    return static_cast<std::uint16_t>(sign | h);
  }
  std::uint32_t h = (static_cast<std::uint32_t>(e) << 10) | (mant >> 13);
  const std::uint32_t rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;  // a carry may reach infinity: correct
  return static_cast<std::uint16_t>(sign | h);
}

namespace {

using flatbuffers::Offset;

struct Writer {
  flatbuffers::FlatBufferBuilder b{1u << 16};
  const SyntheticOptions& opt;
  std::vector<Offset<fb::Buffer>> buffers;
  std::vector<std::vector<std::uint8_t>> external_data;  // by buffer index - 1 when external
  std::vector<Offset<fb::Tensor>> tensors;
  std::vector<Offset<fb::Operator>> ops;
  std::vector<std::int32_t> inputs, outputs;

  explicit Writer(const SyntheticOptions& o) : opt(o) { buffers.push_back(fb::CreateBuffer(b)); }

  std::uint32_t add_buffer(std::vector<std::uint8_t> data) {
    if (opt.external_data) {
      // offset 2 is a placeholder (> 1 so the field is written); fixed after Finish.
      buffers.push_back(fb::CreateBuffer(b, 0, 2, data.size()));
      external_data.push_back(std::move(data));
    } else {
      b.ForceVectorAlignment(data.size(), 1, 16);
      buffers.push_back(fb::CreateBuffer(b, b.CreateVector(data)));
      external_data.emplace_back();
    }
    return static_cast<std::uint32_t>(buffers.size() - 1);
  }

  std::int32_t add_tensor(const std::vector<std::int64_t>& shape, fb::TensorType type,
                          std::uint32_t buffer, const std::string& name) {
    std::vector<std::int32_t> s(shape.begin(), shape.end());
    tensors.push_back(fb::CreateTensor(b, b.CreateVector(s), type, buffer, b.CreateString(name)));
    return static_cast<std::int32_t>(tensors.size() - 1);
  }

  // A constant the op reads as FLOAT32: stored directly, or as FLOAT16 that a
  // DEQUANTIZE op turns into the returned tensor.
  std::int32_t add_constant(const std::vector<std::int64_t>& shape, const std::vector<float>& v,
                            const std::string& name) {
    if (!opt.float16_through_dequantize)
      return add_tensor(shape, fb::TensorType_FLOAT32, add_buffer(to_bytes(v)), name);
    std::vector<std::uint16_t> h(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) h[i] = float_to_half(v[i]);
    const std::int32_t src =
        add_tensor(shape, fb::TensorType_FLOAT16, add_buffer(to_bytes(h)), name + "_fp16");
    const std::int32_t out = add_tensor(shape, fb::TensorType_FLOAT32, 0, name);
    ops.push_back(fb::CreateOperator(b, 3, b.CreateVector(std::vector<std::int32_t>{src}),
                                     b.CreateVector(std::vector<std::int32_t>{out})));
    return out;
  }
};

}  // namespace

std::vector<std::uint8_t> build_synthetic_model(const std::vector<SyntheticLayer>& layers,
                                                const SyntheticOptions& options) {
  Writer w(options);
  auto& b = w.b;
  for (std::size_t li = 0; li < layers.size(); ++li) {
    const SyntheticLayer& l = layers[li];
    const std::string name = "layer" + std::to_string(li);
    const auto& f = l.filter_shape;
    std::vector<std::int64_t> in_shape, out_shape;
    std::int64_t channels = 0;
    switch (l.kind) {
      case OpKind::fully_connected:
        in_shape = {1, f.at(1)};
        out_shape = {1, f.at(0)};
        channels = f.at(0);
        break;
      case OpKind::conv2d:
        in_shape = {1, 8, 8, f.at(3)};
        out_shape = {1, 8, 8, f.at(0)};
        channels = f.at(0);
        break;
      case OpKind::depthwise_conv2d:
        in_shape = {1, 8, 8, f.at(3)};
        out_shape = {1, 8, 8, f.at(3)};
        channels = f.at(3);
        break;
    }
    const std::int32_t in = w.add_tensor(in_shape, fb::TensorType_FLOAT32, 0, name + "/input");
    const std::int32_t filter = w.add_constant(f, l.weights, name + "/weights");
    const std::int32_t bias =
        l.bias.empty() ? -1 : w.add_constant({channels}, l.bias, name + "/bias");
    const std::int32_t out = w.add_tensor(out_shape, fb::TensorType_FLOAT32, 0, name + "/output");
    const auto op_in = b.CreateVector(std::vector<std::int32_t>{in, filter, bias});
    const auto op_out = b.CreateVector(std::vector<std::int32_t>{out});
    switch (l.kind) {
      case OpKind::fully_connected:
        w.ops.push_back(fb::CreateOperator(b, 2, op_in, op_out,
                                           fb::BuiltinOptions_FullyConnectedOptions,
                                           fb::CreateFullyConnectedOptions(b).Union()));
        break;
      case OpKind::conv2d:
        w.ops.push_back(fb::CreateOperator(b, 0, op_in, op_out, fb::BuiltinOptions_Conv2DOptions,
                                           fb::CreateConv2DOptions(b, 0, 1, 1).Union()));
        break;
      case OpKind::depthwise_conv2d:
        w.ops.push_back(
            fb::CreateOperator(b, 1, op_in, op_out, fb::BuiltinOptions_DepthwiseConv2DOptions,
                               fb::CreateDepthwiseConv2DOptions(b, 0, 1, 1, 1).Union()));
        break;
    }
    w.inputs.push_back(in);
    w.outputs.push_back(out);
  }
  // Operator codes: 0 CONV_2D, 1 DEPTHWISE_CONV_2D, 2 FULLY_CONNECTED, 3 DEQUANTIZE.
  std::vector<Offset<fb::OperatorCode>> codes;
  for (const std::int32_t c : {kConv2D, kDepthwiseConv2D, kFullyConnected, kDequantize})
    codes.push_back(fb::CreateOperatorCode(b, static_cast<std::int8_t>(c), 0, 1, c));
  const auto subgraph =
      fb::CreateSubGraph(b, b.CreateVector(w.tensors), b.CreateVector(w.inputs),
                         b.CreateVector(w.outputs), b.CreateVector(w.ops), b.CreateString("main"));
  const auto model = fb::CreateModel(
      b, 3, b.CreateVector(codes), b.CreateVector(std::vector<Offset<fb::SubGraph>>{subgraph}),
      b.CreateString("quantcheck synthetic model"), b.CreateVector(w.buffers));
  b.Finish(model, identifier(options.format));

  std::vector<std::uint8_t> out(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
  if (options.external_data) {
    fb::Model* root = fb::GetMutableModel(out.data());
    for (std::size_t i = 0; i < w.external_data.size(); ++i) {
      const auto& data = w.external_data[i];
      out.resize((out.size() + 15) / 16 * 16, 0);  // 16-byte aligned, like the converter
      root = fb::GetMutableModel(out.data());      // resize may move the bytes
      root->mutable_buffers()
          ->GetMutableObject(static_cast<flatbuffers::uoffset_t>(i + 1))
          ->mutate_offset(out.size());
      out.insert(out.end(), data.begin(), data.end());
    }
  }
  return out;
}

std::vector<SyntheticLayer> synthetic_fc_layers(int layers, std::int64_t out, std::int64_t in,
                                                std::uint32_t seed) {
  std::uint32_t state = seed;
  auto next = [&state] {  // Numerical Recipes LCG: deterministic on every platform
    state = state * 1664525u + 1013904223u;
    return static_cast<float>(state >> 8) / static_cast<float>(1u << 24);  // [0, 1)
  };
  std::vector<SyntheticLayer> result;
  for (int l = 0; l < layers; ++l) {
    SyntheticLayer s;
    s.kind = OpKind::fully_connected;
    s.filter_shape = {out, in};
    s.weights.resize(static_cast<std::size_t>(out * in));
    for (float& x : s.weights) x = (next() - 0.5f) * 0.2f;
    s.bias.resize(static_cast<std::size_t>(out));
    for (float& x : s.bias) x = next() - 0.5f;
    result.push_back(std::move(s));
  }
  return result;
}

}  // namespace quantcheck::model
