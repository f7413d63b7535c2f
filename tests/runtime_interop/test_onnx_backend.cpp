// ONNX's own backend node tests for the quantized ops (Debian
// libonnx-testdata, read with libonnx's protobuf classes), every output bit
// for bit: QLinearConv and QLinearMatMul through the `onnx-reference`
// profile's layer kernel; ConvInteger and MatMulInteger through the same
// kernel's int32 accumulator; QuantizeLinear through quantcheck's exact
// quotient rounding (ties to even, exact.hpp) and DequantizeLinear through
// (x - zp) * s. Skipped with a message when the test data is absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "onnx_testdata.hpp"
#include "quantcheck/exact.hpp"
#include "quantcheck/runtime/layer.hpp"
#include "quantcheck/runtime/profiles.hpp"

namespace quantcheck::interop {
namespace {

std::vector<std::int32_t> narrow(const std::vector<std::int64_t>& v) {
  return {v.begin(), v.end()};
}

std::int64_t attribute(const OnnxNodeCase& c, const std::string& name, std::size_t i,
                       std::int64_t fallback) {
  const auto it = c.int_attributes.find(name);
  return it == c.int_attributes.end() || it->second.size() <= i ? fallback : it->second[i];
}

struct ConvOperands {
  const OnnxTensor* x;
  const OnnxTensor* w;
  float x_scale = 1, w_scale = 1, y_scale = 1;
  std::int32_t x_zp = 0, w_zp = 0, y_zp = 0;
};

// A 2-D ONNX convolution (NCHW x, OIHW w, explicit pads, group 1) as the
// kernel's NHWC layer: the pads are written into the input as x_zp (the
// value ONNX pads with in the real domain is 0), then VALID.
struct ConvRun {
  std::vector<std::int32_t> y;    // NCHW, the profile's output integers
  std::vector<std::int64_t> acc;  // NCHW, the profile's accumulators
};

ConvRun run_conv(const RuntimeProfile& p, const OnnxNodeCase& c, const ConvOperands& o) {
  const auto& xd = o.x->dims;
  const auto& wd = o.w->dims;
  EXPECT_EQ(attribute(c, "group", 0, 1), 1);
  const std::int64_t N = xd[0], C = xd[1], H = xd[2], W = xd[3];
  const std::int64_t O = wd[0], KH = wd[2], KW = wd[3];
  const std::int64_t pt = attribute(c, "pads", 0, 0), pl = attribute(c, "pads", 1, 0);
  const std::int64_t pb = attribute(c, "pads", 2, 0), pr = attribute(c, "pads", 3, 0);
  const std::int64_t PH = H + pt + pb, PW = W + pl + pr;
  IntegerLayer l;
  LayerGeometry& g = l.geometry;
  g.op = OpKind::conv2d;
  g.batch = N;
  g.in_h = PH;
  g.in_w = PW;
  g.in_c = C;
  g.kernel_h = KH;
  g.kernel_w = KW;
  g.out_c = O;
  g.stride_h = static_cast<int>(attribute(c, "strides", 0, 1));
  g.stride_w = static_cast<int>(attribute(c, "strides", 1, 1));
  g.dilation_h = static_cast<int>(attribute(c, "dilations", 0, 1));
  g.dilation_w = static_cast<int>(attribute(c, "dilations", 1, 1));
  g.padding = Padding::valid;
  l.activation = o.x->data_type == 2 ? ActivationType::uint8 : ActivationType::int8;
  l.weight_type = o.w->data_type == 2 ? WeightType::uint8 : WeightType::int8;
  l.input_scale = o.x_scale;
  l.input_zero_point = o.x_zp;
  l.output_scale = o.y_scale;
  l.output_zero_point = o.y_zp;
  l.weight_scales = {o.w_scale};
  l.weight_zero_points = {o.w_zp};
  l.bias_type = BiasType::int32;
  l.weights.resize(static_cast<std::size_t>(O * KH * KW * C));
  for (std::int64_t oc = 0; oc < O; ++oc)
    for (std::int64_t ky = 0; ky < KH; ++ky)
      for (std::int64_t kx = 0; kx < KW; ++kx)
        for (std::int64_t ic = 0; ic < C; ++ic)
          l.weights[static_cast<std::size_t>(filter_index(g, oc, ky, kx, ic))] =
              static_cast<std::int32_t>(
                  o.w->ints[static_cast<std::size_t>(((oc * C + ic) * KH + ky) * KW + kx)]);
  std::vector<std::int32_t> in(static_cast<std::size_t>(N * PH * PW * C), o.x_zp);
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t ic = 0; ic < C; ++ic)
      for (std::int64_t y = 0; y < H; ++y)
        for (std::int64_t x = 0; x < W; ++x)
          in[static_cast<std::size_t>(((n * PH + y + pt) * PW + x + pl) * C + ic)] =
              static_cast<std::int32_t>(
                  o.x->ints[static_cast<std::size_t>(((n * C + ic) * H + y) * W + x)]);
  const PreparedLayer prep = prepare_layer(p, l);
  EXPECT_EQ(prep.rejected, "");
  ConvRun r;
  if (!prep.rejected.empty()) return r;
  const LayerRun run = run_layer(p, l, prep, in, true);
  const std::int64_t OH = g.out_h(), OW = g.out_w();
  r.y.resize(run.output.size());
  r.acc.resize(run.output.size());
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t oc = 0; oc < O; ++oc)
      for (std::int64_t y = 0; y < OH; ++y)
        for (std::int64_t x = 0; x < OW; ++x) {
          const auto from = static_cast<std::size_t>(((n * OH + y) * OW + x) * O + oc);
          const auto to = static_cast<std::size_t>(((n * O + oc) * OH + y) * OW + x);
          r.y[to] = run.output[from];
          r.acc[to] = run.trace[from].acc;
        }
  return r;
}

// A 2-D matmul A [M,K] x B [K,N] (one slice of a batched one) as a
// FULLY_CONNECTED layer of batch M with weights B^T.
ConvRun run_matmul(const RuntimeProfile& p, const std::vector<std::int64_t>& a,
                   const std::vector<std::int64_t>& b, std::int64_t M, std::int64_t K,
                   std::int64_t N, const ConvOperands& o) {
  IntegerLayer l;
  LayerGeometry& g = l.geometry;
  g.op = OpKind::fully_connected;
  g.batch = M;
  g.in_c = K;
  g.out_c = N;
  l.activation = o.x->data_type == 2 ? ActivationType::uint8 : ActivationType::int8;
  l.weight_type = o.w->data_type == 2 ? WeightType::uint8 : WeightType::int8;
  l.input_scale = o.x_scale;
  l.input_zero_point = o.x_zp;
  l.output_scale = o.y_scale;
  l.output_zero_point = o.y_zp;
  l.weight_scales = {o.w_scale};
  l.weight_zero_points = {o.w_zp};
  l.bias_type = BiasType::int32;
  l.weights.resize(static_cast<std::size_t>(N * K));
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t k = 0; k < K; ++k)
      l.weights[static_cast<std::size_t>(n * K + k)] =
          static_cast<std::int32_t>(b[static_cast<std::size_t>(k * N + n)]);
  const PreparedLayer prep = prepare_layer(p, l);
  EXPECT_EQ(prep.rejected, "");
  ConvRun r;
  if (!prep.rejected.empty()) return r;
  const LayerRun run = run_layer(p, l, prep, narrow(a), true);
  r.y = run.output;
  for (const OutputTrace& t : run.trace) r.acc.push_back(t.acc);
  return r;
}

class OnnxBackend : public ::testing::Test {
 protected:
  OnnxNodeCase load(const std::string& name) {
    const std::string dir = onnx_node_test_dir();
    if (!std::filesystem::exists(std::filesystem::path(dir) / name)) {
      skipped_ = true;
      return {};
    }
    return read_onnx_node_case(dir, name);
  }
  bool skipped_ = false;
  const RuntimeProfile& onnx_ = find_runtime("onnx-reference");
};

#define QC_LOAD(var, name)                                            \
  const OnnxNodeCase var = load(name);                                \
  if (skipped_)                                                       \
  GTEST_SKIP() << name << " not found under " << onnx_node_test_dir() \
               << " (Debian libonnx-testdata; or set QUANTCHECK_ONNX_TESTDATA)"

void expect_equal(const std::vector<std::int64_t>& want, const std::vector<std::int64_t>& got,
                  const std::string& what) {
  ASSERT_EQ(want.size(), got.size()) << what;
  for (std::size_t i = 0; i < want.size(); ++i)
    EXPECT_EQ(want[i], got[i]) << what << " element " << i;
}

std::vector<std::int64_t> widen(const std::vector<std::int32_t>& v) { return {v.begin(), v.end()}; }

TEST_F(OnnxBackend, QLinearConv) {
  QC_LOAD(c, "test_qlinearconv");
  ASSERT_EQ(c.op_type, "QLinearConv");
  ASSERT_GE(c.inputs.size(), 8u);
  ConvOperands o{&c.inputs[0], &c.inputs[3]};
  o.x_scale = c.inputs[1].floats.at(0);
  o.x_zp = static_cast<std::int32_t>(c.inputs[2].ints.at(0));
  ASSERT_EQ(c.inputs[4].floats.size(), 1u);  // per-tensor in this case
  o.w_scale = c.inputs[4].floats.at(0);
  o.w_zp = static_cast<std::int32_t>(c.inputs[5].ints.at(0));
  o.y_scale = c.inputs[6].floats.at(0);
  o.y_zp = static_cast<std::int32_t>(c.inputs[7].ints.at(0));
  expect_equal(c.outputs[0].ints, widen(run_conv(onnx_, c, o).y), "QLinearConv y");
}

void qlinear_matmul(const RuntimeProfile& p, const OnnxNodeCase& c) {
  ASSERT_EQ(c.op_type, "QLinearMatMul");
  const OnnxTensor &a = c.inputs[0], &b = c.inputs[3];
  ConvOperands o{&a, &b};
  o.x_scale = c.inputs[1].floats.at(0);
  o.x_zp = static_cast<std::int32_t>(c.inputs[2].ints.at(0));
  o.w_scale = c.inputs[4].floats.at(0);
  o.w_zp = static_cast<std::int32_t>(c.inputs[5].ints.at(0));
  o.y_scale = c.inputs[6].floats.at(0);
  o.y_zp = static_cast<std::int32_t>(c.inputs[7].ints.at(0));
  const std::size_t r = a.dims.size();
  const std::int64_t M = a.dims[r - 2], K = a.dims[r - 1], N = b.dims[r - 1];
  const std::int64_t batches = static_cast<std::int64_t>(a.size()) / (M * K);
  std::vector<std::int64_t> y;
  for (std::int64_t s = 0; s < batches; ++s) {
    const auto as = a.ints.begin() + s * M * K;
    const auto bs = b.ints.begin() + s * K * N;
    const auto part = run_matmul(p, {as, as + M * K}, {bs, bs + K * N}, M, K, N, o);
    y.insert(y.end(), part.y.begin(), part.y.end());
  }
  expect_equal(c.outputs[0].ints, y, "QLinearMatMul y");
}

TEST_F(OnnxBackend, QLinearMatMul2D) {
  QC_LOAD(c, "test_qlinearmatmul_2D");
  qlinear_matmul(onnx_, c);
}

TEST_F(OnnxBackend, QLinearMatMul3D) {
  QC_LOAD(c, "test_qlinearmatmul_3D");
  qlinear_matmul(onnx_, c);
}

void conv_integer(const RuntimeProfile& p, const OnnxNodeCase& c) {
  ASSERT_EQ(c.op_type, "ConvInteger");
  ConvOperands o{&c.inputs[0], &c.inputs[1]};
  if (c.inputs.size() > 2) o.x_zp = static_cast<std::int32_t>(c.inputs[2].ints.at(0));
  if (c.inputs.size() > 3) o.w_zp = static_cast<std::int32_t>(c.inputs[3].ints.at(0));
  expect_equal(c.outputs[0].ints, run_conv(p, c, o).acc, "ConvInteger y");
}

TEST_F(OnnxBackend, ConvIntegerBasic) {
  QC_LOAD(c, "test_basic_convinteger");
  conv_integer(onnx_, c);
}

TEST_F(OnnxBackend, ConvIntegerWithPadding) {
  QC_LOAD(c, "test_convinteger_with_padding");
  conv_integer(onnx_, c);
}

TEST_F(OnnxBackend, ConvIntegerWithoutPadding) {
  QC_LOAD(c, "test_convinteger_without_padding");
  conv_integer(onnx_, c);
}

TEST_F(OnnxBackend, MatMulInteger) {
  QC_LOAD(c, "test_matmulinteger");
  ASSERT_EQ(c.op_type, "MatMulInteger");
  const OnnxTensor &a = c.inputs[0], &b = c.inputs[1];
  ConvOperands o{&a, &b};
  if (c.inputs.size() > 2) o.x_zp = static_cast<std::int32_t>(c.inputs[2].ints.at(0));
  if (c.inputs.size() > 3) o.w_zp = static_cast<std::int32_t>(c.inputs[3].ints.at(0));
  const auto r = run_matmul(onnx_, a.ints, b.ints, a.dims[0], a.dims[1], b.dims[1], o);
  expect_equal(c.outputs[0].ints, r.acc, "MatMulInteger Y");
}

// Per-axis parameters: the index along `axis` (default 1) of flat element i.
std::size_t axis_index(const OnnxTensor& x, std::int64_t axis, std::size_t i, std::size_t count) {
  if (count == 1) return 0;
  std::size_t inner = 1;
  for (std::size_t d = static_cast<std::size_t>(axis) + 1; d < x.dims.size(); ++d)
    inner *= static_cast<std::size_t>(x.dims[d]);
  return (i / inner) % count;
}

void quantize_linear(const OnnxNodeCase& c) {
  ASSERT_EQ(c.op_type, "QuantizeLinear");
  const OnnxTensor &x = c.inputs[0], &scale = c.inputs[1], &zp = c.inputs[2];
  const std::int64_t axis = attribute(c, "axis", 0, 1);
  const std::int64_t lo = zp.data_type == 2 ? 0 : -128, hi = zp.data_type == 2 ? 255 : 127;
  std::vector<std::int64_t> y;
  for (std::size_t i = 0; i < x.floats.size(); ++i) {
    const std::size_t k = axis_index(x, axis, i, scale.floats.size());
    const auto q = round_quotient(x.floats[i], scale.floats[k], Rounding::half_to_even);
    ASSERT_TRUE(q.has_value());
    y.push_back(static_cast<std::int64_t>(
        std::clamp<int128>(*q + zp.ints[std::min(k, zp.ints.size() - 1)], lo, hi)));
  }
  expect_equal(c.outputs[0].ints, y, "QuantizeLinear y");
}

TEST_F(OnnxBackend, QuantizeLinear) {
  QC_LOAD(c, "test_quantizelinear");
  quantize_linear(c);
}

TEST_F(OnnxBackend, QuantizeLinearAxis) {
  QC_LOAD(c, "test_quantizelinear_axis");
  quantize_linear(c);
}

void dequantize_linear(const OnnxNodeCase& c) {
  ASSERT_EQ(c.op_type, "DequantizeLinear");
  const OnnxTensor &x = c.inputs[0], &scale = c.inputs[1], &zp = c.inputs[2];
  const std::int64_t axis = attribute(c, "axis", 0, 1);
  ASSERT_EQ(c.outputs[0].floats.size(), x.ints.size());
  for (std::size_t i = 0; i < x.ints.size(); ++i) {
    const std::size_t k = axis_index(x, axis, i, scale.floats.size());
    // The exact (x - zp) s in double, rounded once to float32.
    const auto want = static_cast<float>(
        static_cast<double>(x.ints[i] - zp.ints[std::min(k, zp.ints.size() - 1)]) *
        static_cast<double>(scale.floats[k]));
    EXPECT_EQ(want, c.outputs[0].floats[i]) << "DequantizeLinear element " << i;
  }
}

TEST_F(OnnxBackend, DequantizeLinear) {
  QC_LOAD(c, "test_dequantizelinear");
  dequantize_linear(c);
}

TEST_F(OnnxBackend, DequantizeLinearAxis) {
  QC_LOAD(c, "test_dequantizelinear_axis");
  dequantize_linear(c);
}

}  // namespace
}  // namespace quantcheck::interop
