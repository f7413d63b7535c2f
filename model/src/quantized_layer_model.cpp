// build_quantized_layer_model: one quantized operator with constant filter and bias.
#include "quantcheck/model/quantized_layer_model.hpp"

#include <flatbuffers/flatbuffers.h>

#include <string>

#include "quantcheck/model/layers.hpp"
#include "quantcheck/model/rewrite.hpp"

namespace quantcheck::model {

namespace {

// TFLite's ComputeOutSize (kernels/padding.h).
std::int32_t out_size(LayerPadding p, std::int32_t image, std::int32_t filter, std::int32_t stride,
                      std::int32_t dilation) {
  const std::int32_t effective = (filter - 1) * dilation + 1;
  return p == LayerPadding::same ? (image + stride - 1) / stride
                                 : (image + stride - effective) / stride;
}

}  // namespace

std::vector<std::int32_t> output_shape(const QuantizedLayerModel& m) {
  const auto& in = m.input_shape;
  const auto& f = m.filter_shape;
  switch (m.kind) {
    case OpKind::fully_connected: return {in.at(0), f.at(0)};
    case OpKind::conv2d:
    case OpKind::depthwise_conv2d: break;
  }
  const std::int32_t channels = m.kind == OpKind::conv2d ? f.at(0) : f.at(3);
  return {in.at(0), out_size(m.padding, in.at(1), f.at(1), m.stride_h, m.dilation_h),
          out_size(m.padding, in.at(2), f.at(2), m.stride_w, m.dilation_w), channels};
}

std::vector<std::uint8_t> build_quantized_layer_model(const QuantizedLayerModel& m) {
  flatbuffers::FlatBufferBuilder b(1u << 16);
  using flatbuffers::Offset;
  std::vector<Offset<fb::Buffer>> buffers{fb::CreateBuffer(b)};
  auto add_buffer = [&](const std::vector<std::uint8_t>& data) {
    b.ForceVectorAlignment(data.size(), 1, 16);
    buffers.push_back(fb::CreateBuffer(b, b.CreateVector(data)));
    return static_cast<std::uint32_t>(buffers.size() - 1);
  };
  std::vector<Offset<fb::Tensor>> tensors;
  auto add_tensor = [&](const std::vector<std::int32_t>& shape, fb::TensorType type,
                        std::uint32_t buffer, const char* name, const std::vector<float>& scales,
                        const std::vector<std::int64_t>& zero_points, std::int32_t axis) {
    const auto q = fb::CreateQuantizationParameters(b, 0, 0, b.CreateVector(scales),
                                                    b.CreateVector(zero_points),
                                                    fb::QuantizationDetails_NONE, 0, axis);
    tensors.push_back(
        fb::CreateTensor(b, b.CreateVector(shape), type, buffer, b.CreateString(name), q));
    return static_cast<std::int32_t>(tensors.size() - 1);
  };

  const fb::TensorType act = m.int16_activations ? fb::TensorType_INT16 : fb::TensorType_INT8;
  const std::vector<std::int32_t> out_shape = output_shape(m);
  const std::int32_t channels = out_shape.back();
  // Per-channel scales run along the output channels: dim 0, or 3 for depthwise.
  const std::int32_t filter_axis = m.kind == OpKind::depthwise_conv2d ? 3 : 0;

  const std::int32_t input =
      add_tensor(m.input_shape, act, 0, "input", {m.input_scale}, {m.input_zero_point}, 0);
  std::vector<std::uint8_t> wbytes(m.weights.size());
  for (std::size_t i = 0; i < wbytes.size(); ++i)
    wbytes[i] = static_cast<std::uint8_t>(m.weights[i]);
  const std::int32_t filter =
      add_tensor(m.filter_shape, fb::TensorType_INT8, add_buffer(wbytes), "filter", m.weight_scales,
                 std::vector<std::int64_t>(m.weight_scales.size(), 0), filter_axis);
  std::int32_t bias = -1;
  if (!m.bias.empty()) {
    // Bias scale s_in * s_w[c], zero point 0 (what TFLite's converter writes).
    std::vector<float> bscales;
    for (float s : m.weight_scales) bscales.push_back(m.input_scale * s);
    std::vector<std::uint8_t> bytes;
    if (m.bias_int64) {
      bytes = to_bytes(m.bias);
    } else {
      std::vector<std::int32_t> b32(m.bias.begin(), m.bias.end());
      bytes = to_bytes(b32);
    }
    bias = add_tensor({channels}, m.bias_int64 ? fb::TensorType_INT64 : fb::TensorType_INT32,
                      add_buffer(bytes), "bias", bscales,
                      std::vector<std::int64_t>(bscales.size(), 0), 0);
  }
  const std::int32_t output =
      add_tensor(out_shape, act, 0, "output", {m.output_scale}, {m.output_zero_point}, 0);

  const auto op_in = b.CreateVector(std::vector<std::int32_t>{input, filter, bias});
  const auto op_out = b.CreateVector(std::vector<std::int32_t>{output});
  const std::int8_t padding = m.padding == LayerPadding::same ? 0 : 1;
  Offset<fb::Operator> op;
  switch (m.kind) {
    case OpKind::fully_connected:
      op = fb::CreateOperator(b, 0, op_in, op_out, fb::BuiltinOptions_FullyConnectedOptions,
                              fb::CreateFullyConnectedOptions(b).Union());
      break;
    case OpKind::conv2d:
      op = fb::CreateOperator(
          b, 0, op_in, op_out, fb::BuiltinOptions_Conv2DOptions,
          fb::CreateConv2DOptions(b, padding, m.stride_w, m.stride_h, 0, m.dilation_w, m.dilation_h)
              .Union());
      break;
    case OpKind::depthwise_conv2d:
      op = fb::CreateOperator(
          b, 0, op_in, op_out, fb::BuiltinOptions_DepthwiseConv2DOptions,
          fb::CreateDepthwiseConv2DOptions(b, padding, m.stride_w, m.stride_h, m.depth_multiplier,
                                           0, m.dilation_w, m.dilation_h)
              .Union());
      break;
  }
  const std::int32_t code = m.kind == OpKind::fully_connected ? kFullyConnected
                            : m.kind == OpKind::conv2d        ? kConv2D
                                                              : kDepthwiseConv2D;
  // Version: what the converter writes for these types (int8 per-channel
  // conv 3, 16x8 conv 4, int8 FC 4, 16x8 FC 7, depthwise int8 3 / 16x8 5):
  // the runtime only checks that it registers the version.
  std::int32_t version = 1;
  switch (m.kind) {
    case OpKind::conv2d: version = m.int16_activations ? 4 : 3; break;
    case OpKind::depthwise_conv2d: version = m.int16_activations ? 5 : 3; break;
    case OpKind::fully_connected: version = m.int16_activations ? 7 : 4; break;
  }
  const auto codes = b.CreateVector(std::vector<Offset<fb::OperatorCode>>{
      fb::CreateOperatorCode(b, static_cast<std::int8_t>(code), 0, version, code)});
  const auto subgraph = fb::CreateSubGraph(
      b, b.CreateVector(tensors), b.CreateVector(std::vector<std::int32_t>{input}),
      b.CreateVector(std::vector<std::int32_t>{output}),
      b.CreateVector(std::vector<Offset<fb::Operator>>{op}), b.CreateString("main"));
  const auto model =
      fb::CreateModel(b, 3, codes, b.CreateVector(std::vector<Offset<fb::SubGraph>>{subgraph}),
                      b.CreateString("quantcheck quantized layer"), b.CreateVector(buffers));
  b.Finish(model, identifier(Format::tflite));
  return {b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize()};
}

}  // namespace quantcheck::model
