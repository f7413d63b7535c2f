// Models written by build_synthetic_model: every way weights are stored
// (FLOAT32, FLOAT16 through DEQUANTIZE, external Buffer.offset/size, circle)
// reads back exactly; rewrite_model keeps what it does not change; and the
// per-channel "smallest input scale" is the exact boundary.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "model_test_support.hpp"
#include "quantcheck/model/check.hpp"
#include "quantcheck/model/layers.hpp"
#include "quantcheck/model/rewrite.hpp"
#include "quantcheck/model/synthetic.hpp"
#include "quantcheck/model/tensor_data.hpp"
#include "quantcheck/presets.hpp"

namespace quantcheck::model {
namespace {

using testing::write_temp;

std::vector<SyntheticLayer> three_layers() {
  std::vector<SyntheticLayer> v(3);
  v[0].kind = OpKind::conv2d;
  v[0].filter_shape = {4, 3, 3, 2};
  v[1].kind = OpKind::depthwise_conv2d;
  v[1].filter_shape = {1, 3, 3, 5};
  v[2].kind = OpKind::fully_connected;
  v[2].filter_shape = {6, 7};
  for (auto& l : v) {
    std::int64_t n = 1;
    for (auto d : l.filter_shape) n *= d;
    for (std::int64_t i = 0; i < n; ++i) l.weights.push_back(0.01f * float(i % 17) - 0.07f);
    const std::int64_t channels =
        l.kind == OpKind::depthwise_conv2d ? l.filter_shape[3] : l.filter_shape[0];
    for (std::int64_t c = 0; c < channels; ++c) l.bias.push_back(0.5f - 0.25f * float(c));
  }
  return v;
}

void expect_reads_back(const ModelFile& m, const std::vector<SyntheticLayer>& want,
                       bool through_half) {
  const auto layers = find_layers(m);
  ASSERT_EQ(layers.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(layers[i].kind, want[i].kind);
    EXPECT_EQ(layers[i].filter_shape, want[i].filter_shape);
    EXPECT_EQ(layers[i].filter.dequantize_op >= 0, through_half);
    EXPECT_EQ(layers[i].channel_axis, want[i].kind == OpKind::depthwise_conv2d ? 3 : 0);
    const auto w = filter_values(m, layers[i]);
    const auto b = bias_values(m, layers[i]);
    ASSERT_EQ(w.size(), want[i].weights.size());
    ASSERT_EQ(b.size(), want[i].bias.size());
    for (std::size_t k = 0; k < w.size(); ++k)
      EXPECT_EQ(w[k], through_half ? half_to_float(float_to_half(want[i].weights[k]))
                                   : want[i].weights[k]);
    for (std::size_t k = 0; k < b.size(); ++k)
      EXPECT_EQ(b[k],
                through_half ? half_to_float(float_to_half(want[i].bias[k])) : want[i].bias[k]);
  }
}

TEST(SyntheticModel, Float32ConstantsReadBack) {
  const auto layers = three_layers();
  const auto m = ModelFile::open(write_temp("f32.tflite", build_synthetic_model(layers)));
  EXPECT_EQ(m.format(), Format::tflite);
  expect_reads_back(m, layers, false);
}

TEST(SyntheticModel, Float16ThroughDequantizeReadsBackExactly) {
  const auto layers = three_layers();
  SyntheticOptions o;
  o.float16_through_dequantize = true;
  const auto m = ModelFile::open(write_temp("f16.tflite", build_synthetic_model(layers, o)));
  expect_reads_back(m, layers, true);
}

TEST(SyntheticModel, ExternalBufferDataReadsBack) {
  const auto layers = three_layers();
  SyntheticOptions o;
  o.external_data = true;
  const auto bytes = build_synthetic_model(layers, o);
  const auto m = ModelFile::open(write_temp("external.tflite", bytes));
  // The constants really are outside the flatbuffer: some buffer has offset > 1.
  bool external = false;
  for (const fb::Buffer* b : *m.model().buffers()) external |= b->offset() > 1;
  EXPECT_TRUE(external);
  expect_reads_back(m, layers, false);
}

TEST(SyntheticModel, CircleIdentifierIsRecognised) {
  const auto layers = three_layers();
  SyntheticOptions o;
  o.format = Format::circle;
  const auto bytes = build_synthetic_model(layers, o);
  EXPECT_EQ(std::string(bytes.begin() + 4, bytes.begin() + 8), "CIR0");
  const auto m = ModelFile::open(write_temp("model.circle", bytes));
  EXPECT_EQ(m.format(), Format::circle);
  expect_reads_back(m, layers, false);
}

TEST(Rewrite, NoEditsKeepsEveryLayerAndCanChangeTheIdentifier) {
  const auto layers = three_layers();
  for (const bool half : {false, true})
    for (const bool external : {false, true}) {
      SyntheticOptions o;
      o.float16_through_dequantize = half;
      o.external_data = external;
      const auto m = ModelFile::open(write_temp("orig.tflite", build_synthetic_model(layers, o)));
      const auto copy = rewrite_model(m, {}, Format::circle);
      const auto c = ModelFile::open(write_temp("copy.circle", copy));
      EXPECT_EQ(c.format(), Format::circle);
      expect_reads_back(c, layers, half);
    }
}

TEST(Rewrite, EditedTensorGetsNewDataTypeAndQuantization) {
  const auto layers = three_layers();
  SyntheticOptions o;
  o.float16_through_dequantize = true;
  o.external_data = true;  // external buffers must be re-pointed into the embedded copy
  const auto m = ModelFile::open(write_temp("edit.tflite", build_synthetic_model(layers, o)));
  const auto found = find_layers(m);
  ModelEdits edits;
  std::vector<std::int8_t> q(found[2].filter_shape[0] * found[2].filter_shape[1], -3);
  TensorEdit e;
  e.type = fb::TensorType_INT8;
  e.data = to_bytes(q);
  Quantization qp;
  qp.scale.assign(6, 0.5f);
  qp.zero_point.assign(6, 0);
  e.quantization = qp;
  edits.tensors[{0, found[2].filter.tensor}] = e;
  edits.removed_ops.insert({0, static_cast<std::uint32_t>(found[2].filter.dequantize_op)});
  const auto out =
      ModelFile::open(write_temp("edited.tflite", rewrite_model(m, edits, Format::tflite)));
  const auto after = find_layers(out);
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[2].filter.dequantize_op, -1);  // reads the constant directly now
  const auto w = filter_values(out, after[2]);
  for (const float x : w) EXPECT_EQ(x, -1.5f);  // 0.5 * (-3 - 0)
  // The untouched layers still read their FLOAT16 data through DEQUANTIZE.
  EXPECT_GE(after[0].filter.dequantize_op, 0);
  EXPECT_EQ(filter_values(out, after[0]), filter_values(m, found[0]));
  EXPECT_EQ(out.model().subgraphs()->Get(0)->operators()->size(),
            m.model().subgraphs()->Get(0)->operators()->size() - 1);
}

// A FULLY_CONNECTED layer whose tiny weights make a PyTorch int8 bias overflow
// int32 at s_in = 1/127: s_w = FLT_EPSILON (the eps floor), s_b ~ 9.4e-10,
// 10 / s_b ~ 1.1e10 > 2^31.
TEST(Check, SmallestInputScaleIsTheExactBoundary) {
  SyntheticLayer l;
  l.kind = OpKind::fully_connected;
  l.filter_shape = {2, 4};
  l.weights = {1e-7f, -1e-7f, 2e-8f, 0, 0.5f, -0.25f, 0.125f, 0};
  l.bias = {10.0f, 0.75f};
  const auto m = ModelFile::open(write_temp("tiny.tflite", build_synthetic_model({l})));
  const Policy& p = find_preset("pytorch-int8-symmetric");
  CheckOptions o;
  o.policies = {p, find_preset("reference")};
  const CheckReport r = check_model(m, o);
  ASSERT_EQ(r.layers.size(), 1u);
  const LayerPolicyResult& py = r.layers[0].results[0];
  EXPECT_EQ(py.saturated_biases, 1);
  ASSERT_FALSE(py.channels.empty());
  const ChannelNote& n = py.channels[0];
  EXPECT_EQ(n.channel, 0);
  EXPECT_NE(std::find(n.findings.begin(), n.findings.end(), "bias_saturated"), n.findings.end());
  // Exact boundary, checked with the quantizer itself: fits at s, not one float below.
  const auto s = static_cast<float>(n.min_input_scale);
  bool sat = true;
  quantize_bias_value(p, 10.0f, s * n.weight_scale, &sat);
  EXPECT_FALSE(sat);
  quantize_bias_value(p, 10.0f, std::nextafter(s, 0.0f) * n.weight_scale, &sat);
  EXPECT_TRUE(sat);
  EXPECT_NEAR(s, 10.0 / (2147483647.5 * FLT_EPSILON), 1e-6);
  // The layer's answer is its worst channel's.
  EXPECT_EQ(py.min_input_scale, n.min_input_scale);
  EXPECT_EQ(py.min_input_scale_channel, 0);
  // The reference policy fits its bias at every input scale searched.
  EXPECT_EQ(r.layers[0].results[1].saturated_biases, 0);
  EXPECT_EQ(r.layers[0].results[1].min_input_scale, kLeastInputScale);
}

// A DEPTHWISE_CONV_2D [1, 3, 3, 3] (H * W = 9: each channel's values are
// strided, one every 3 elements) under input-dependent policies. ONE #7017
// raises s_w so that s_in * s_w >= 1e-15, so s_w depends on the input scale;
// above that the luci int16 scale is float32(M) / 32767 and the int64 bias
// fits once |b| / float32(s_in * s_w) <= INT64_MAX + 1/2. The expected least
// input scale is computed here from that rule alone, by stepping float32
// input scales. Each channel has its own max|w|, so reading another
// channel's values gives another answer; channel 2's is its minimum, so a
// search that saw only the maximum would too.
TEST(Check, SmallestInputScaleOnADepthwiseLayerUnderInputDependentPolicies) {
  const float m[3] = {1e-3f, 2e-3f, 5e-4f};
  const float bias[3] = {1e5f, 0.5f, -3e5f};
  SyntheticLayer l;
  l.kind = OpKind::depthwise_conv2d;
  l.filter_shape = {1, 3, 3, 3};
  for (int hw = 0; hw < 9; ++hw)
    for (int c = 0; c < 3; ++c)  // max|w| at hw == 4 (channel 2: the minimum), smaller elsewhere
      l.weights.push_back(hw == 4 ? (c == 2 ? -m[c] : m[c])
                                  : m[c] * 0.125f * float(hw % 4) * (hw % 2 ? -1.0f : 1.0f));
  l.bias.assign(bias, bias + 3);
  const auto file = ModelFile::open(write_temp("depthwise.tflite", build_synthetic_model({l})));
  const Policy& p7017 = find_preset("luci-int16-7017");
  // Independent: the least float32 s at which round(b / float(s * float(M / 32767)))
  // (half away from zero) fits int64: |b| / s_b < 2^63 - 1/2 for b > 0, <= 2^63 for
  // b < 0 (long double: 64-bit mantissa), s_w not raised there.
  auto expected = [&](int c) -> double {
    const float s_w = m[c] / 32767.0f;
    auto fits = [&](float s) {
      const float s_b = std::max(s * s_w, 1e-15f);
      const long double q = std::fabs((long double)bias[c]) / (long double)s_b;
      return bias[c] > 0 ? q < 9223372036854775807.5L : q <= 9223372036854775808.0L;
    };
    if (fits(static_cast<float>(kLeastInputScale))) return kLeastInputScale;
    float s = static_cast<float>(std::fabs((double)bias[c]) / (9223372036854775807.5 * s_w));
    while (!fits(s)) s = std::nextafter(s, FLT_MAX);
    while (fits(std::nextafter(s, 0.0f))) s = std::nextafter(s, 0.0f);
    return s;
  };
  const double want[3] = {expected(0), expected(1), expected(2)};
  EXPECT_EQ(want[1], kLeastInputScale);  // 0.5 fits at s_b = 1e-15
  EXPECT_GT(want[2], want[0]);
  EXPECT_NEAR(want[0], 1e5 * 32767 / (1e-3 * 9223372036854775808.0), 1e-12);

  // The search itself, channel by channel, on the case read from the model.
  const auto layers = find_layers(file);
  ASSERT_EQ(layers.size(), 1u);
  Case c;
  c.op = OpKind::depthwise_conv2d;
  c.input_scale = 1.0f / 127.0f;
  c.weight_shape = {1, 3, 3, 3};
  c.weights = filter_values(file, layers[0]);
  c.bias.assign(bias, bias + 3);
  const Layout lay = validate(c);
  const Result r = quantize(p7017, c);
  for (int ch = 0; ch < 3; ++ch)
    EXPECT_EQ(min_input_scale(p7017, c, lay, ch, r.weights.channels[ch]), want[ch])
        << "channel " << ch;

  // The whole check: the layer's answer is its worst channel's.
  CheckOptions o;
  o.policies = {p7017, find_preset("tflite-int8")};
  const CheckReport rep = check_model(file, o);
  ASSERT_EQ(rep.layers.size(), 1u);
  EXPECT_EQ(rep.layers[0].results[0].min_input_scale, want[2]);
  EXPECT_EQ(rep.layers[0].results[0].min_input_scale_channel, 2);
  // TFLite's guard widens s_w until |q_b| = 2^30 at every input scale: every
  // bias fits at the least input scale searched.
  EXPECT_EQ(rep.layers[0].results[1].min_input_scale, kLeastInputScale);
  EXPECT_EQ(rep.layers[0].results[1].saturated_biases, 0);
}

}  // namespace
}  // namespace quantcheck::model
