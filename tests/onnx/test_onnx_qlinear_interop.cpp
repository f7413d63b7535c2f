// quantcheck's `onnxruntime-mlas` profile against the real ONNX Runtime 1.30
// (npm onnxruntime-node, ci/fetch-onnxruntime.sh) on one-layer QLinearConv
// and QLinearMatMul models written here with the ONNX protobuf types: every
// output integer ORT computes must equal the profile's (runtime/src/layer.cpp
// run_layer), bit for bit, over >= 10,000 outputs. The cases cover uint8 and
// int8 activations with uint8/int8 weights (the pairs ORT's CPU kernels
// take), random multipliers, tiny ones, ones near 1 and above, exact ties
// (power-of-two scales), per-tensor and per-channel weight scales, non-zero
// zero points, and accumulators driven near the int32 limit (large biases,
// K = 65,536 with extreme inputs). The count of outputs where the
// `onnx-reference` profile differs from ORT is printed beside it.
// Skips with a message when node or the runtime is absent.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "model_test_support.hpp"
#include "onnx_builder.hpp"
#include "quantcheck/runtime/layer.hpp"
#include "quantcheck/runtime/profiles.hpp"

namespace quantcheck::onnx {
namespace {

namespace fs = std::filesystem;
using model::testing::temp_path;
using namespace testing;
using T = pb::TensorProto;

std::string ort_dir() {
  if (const char* e = std::getenv("QUANTCHECK_ORT_DIR")) return e;
  return QUANTCHECK_ORT_DIR;
}

enum class Multiplier { random, tiny, near_one, above_one, tie, big_accumulator };

struct QCase {
  std::string name;
  IntegerLayer layer;               // the runtime kernel's view (NHWC)
  std::vector<std::int32_t> input;  // NHWC
  std::int64_t group_inputs = 1;    // inputs run, concatenated in `input` (batch)
};

std::int32_t type_min(ActivationType a) { return a == ActivationType::uint8 ? 0 : -128; }
std::int32_t type_max(ActivationType a) { return a == ActivationType::uint8 ? 255 : 127; }
std::int32_t type_min(WeightType w) { return w == WeightType::uint8 ? 0 : -128; }
std::int32_t type_max(WeightType w) { return w == WeightType::uint8 ? 255 : 127; }

// Scales x, w[c], y giving the multiplier kind (x w / y as float32 products).
void choose_scales(IntegerLayer& l, Multiplier kind, bool per_channel, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(0, 1);
  const std::int64_t n = per_channel ? l.geometry.out_c : 1;
  l.weight_scales.clear();
  if (kind == Multiplier::tie) {
    // Powers of two: x w / y is exactly 2^-k, so acc * M lands on .5 often.
    l.input_scale = std::ldexp(1.0f, -3 - static_cast<int>(rng() % 4));
    for (std::int64_t c = 0; c < n; ++c)
      l.weight_scales.push_back(std::ldexp(1.0f, -5 - static_cast<int>(rng() % 3)));
    l.output_scale = l.input_scale * l.weight_scales[0] * float(1 << (1 + rng() % 3));
    return;
  }
  l.input_scale = 0.001f + 0.1f * u(rng);
  for (std::int64_t c = 0; c < n; ++c) l.weight_scales.push_back(0.0005f + 0.05f * u(rng));
  const float xw = l.input_scale * l.weight_scales[0];
  float m = 0;
  switch (kind) {
    case Multiplier::random: m = std::pow(10.0f, -4.0f + 3.5f * u(rng)); break;
    case Multiplier::tiny: m = std::pow(10.0f, -10.0f + 2.0f * u(rng)); break;
    case Multiplier::near_one: m = 1.0f + (u(rng) - 0.5f) * 2e-6f; break;
    case Multiplier::above_one: m = 1.0f + 7.0f * u(rng); break;
    case Multiplier::big_accumulator: m = std::pow(2.0f, -24.0f - 3.0f * u(rng)); break;
    case Multiplier::tie: break;
  }
  l.output_scale = xw / m;
}

// Fills weights and biases; equal weight zero points across channels (ORT
// requires it), int8 weights mostly symmetric.
void choose_weights(IntegerLayer& l, Multiplier kind, std::mt19937& rng) {
  const std::int32_t wmin = type_min(l.weight_type), wmax = type_max(l.weight_type);
  std::uniform_int_distribution<std::int32_t> w(wmin, wmax);
  std::int32_t zp = 0;
  if (l.weight_type == WeightType::uint8)
    zp = 100 + static_cast<std::int32_t>(rng() % 56);
  else if (rng() % 4 == 0)
    zp = static_cast<std::int32_t>(rng() % 21) - 10;
  l.weight_zero_points.assign(l.weight_scales.size(), zp);
  l.weights.resize(static_cast<std::size_t>(l.geometry.filter_size()));
  for (auto& v : l.weights) v = w(rng);
  // Some channels all at one extreme: the largest accumulators.
  if (l.geometry.out_c > 2) {
    const std::int64_t per = l.geometry.filter_size() / l.geometry.out_c;
    for (std::int64_t i = 0; i < per; ++i) {
      l.weights[static_cast<std::size_t>(i)] = wmax;
      l.weights[static_cast<std::size_t>(per + i)] = wmin;
    }
  }
  l.bias.clear();
  if (l.geometry.op == OpKind::fully_connected) return;  // QLinearMatMul has no bias
  const std::int64_t K = l.geometry.products_per_output();
  const std::int64_t reach = K * 255 * 256;  // bound on |sum (x - zx)(w - zw)|
  for (std::int64_t c = 0; c < l.geometry.out_c; ++c) {
    std::int64_t b = static_cast<std::int64_t>(rng() % 20001) - 10000;
    if (kind == Multiplier::big_accumulator || kind == Multiplier::tiny) {
      // As close to the int32 limit as the taps allow without wrapping.
      const std::int64_t lim = std::int64_t{INT32_MAX} - reach;
      b = (c % 2 ? -lim : lim) + static_cast<std::int64_t>(rng() % 1000);
      b = std::clamp<std::int64_t>(b, -lim, lim);
    }
    l.bias.push_back(b);
  }
}

void choose_input(QCase& q, std::mt19937& rng) {
  const IntegerLayer& l = q.layer;
  const std::int32_t lo = type_min(l.activation), hi = type_max(l.activation);
  std::uniform_int_distribution<std::int32_t> x(lo, hi);
  q.input.resize(static_cast<std::size_t>(l.geometry.input_size()));
  for (auto& v : q.input) v = x(rng);
  // The first batch row / the top-left corner at the extremes.
  const std::size_t n =
      std::min<std::size_t>(q.input.size(), static_cast<std::size_t>(l.geometry.in_c * 3));
  for (std::size_t i = 0; i < n; ++i) q.input[i] = (i % 3 == 2) ? lo : hi;
}

QCase conv_case(const std::string& name, ActivationType a, WeightType w, Multiplier kind,
                bool per_channel, std::mt19937& rng) {
  QCase q;
  q.name = name;
  IntegerLayer& l = q.layer;
  l.activation = a;
  l.weight_type = w;
  LayerGeometry& g = l.geometry;
  g.op = OpKind::conv2d;
  g.in_c = 3 + static_cast<std::int64_t>(rng() % 14);
  g.in_h = 6 + static_cast<std::int64_t>(rng() % 6);
  g.in_w = 6 + static_cast<std::int64_t>(rng() % 6);
  g.kernel_h = 1 + static_cast<std::int64_t>(rng() % 3);
  g.kernel_w = 1 + static_cast<std::int64_t>(rng() % 3);
  g.out_c = 4 + static_cast<std::int64_t>(rng() % 9);
  g.stride_h = g.stride_w = 1 + static_cast<int>(rng() % 2);
  g.padding = Padding::valid;
  choose_scales(l, kind, per_channel, rng);
  l.input_zero_point = a == ActivationType::uint8 ? 128 + static_cast<std::int32_t>(rng() % 9) - 4
                                                  : static_cast<std::int32_t>(rng() % 9) - 4;
  l.output_zero_point = a == ActivationType::uint8 ? static_cast<std::int32_t>(rng() % 256)
                                                   : static_cast<std::int32_t>(rng() % 256) - 128;
  choose_weights(l, kind, rng);
  choose_input(q, rng);
  return q;
}

QCase matmul_case(const std::string& name, ActivationType a, WeightType w, Multiplier kind,
                  std::int64_t K, std::mt19937& rng) {
  QCase q;
  q.name = name;
  IntegerLayer& l = q.layer;
  l.activation = a;
  l.weight_type = w;
  LayerGeometry& g = l.geometry;
  g.op = OpKind::fully_connected;
  g.batch = K > 4096 ? 2 : 16 + static_cast<std::int64_t>(rng() % 17);
  g.in_c = K;
  g.out_c = 4 + static_cast<std::int64_t>(rng() % 13);
  choose_scales(l, kind, false, rng);  // QLinearMatMul-10/13: per-tensor b_scale
  l.input_zero_point = a == ActivationType::uint8 ? static_cast<std::int32_t>(rng() % 3)
                                                  : static_cast<std::int32_t>(rng() % 3) - 1;
  l.output_zero_point = a == ActivationType::uint8 ? static_cast<std::int32_t>(rng() % 256)
                                                   : static_cast<std::int32_t>(rng() % 256) - 128;
  choose_weights(l, kind, rng);
  choose_input(q, rng);
  if (K > 4096) {
    // Weight zero point 128 (uint8) or 0 (int8): |w - zp| <= 128, so
    // 65,536 x 255 x 128 stays under 2^31.
    l.weight_zero_points.assign(1, l.weight_type == WeightType::uint8 ? 128 : 0);
    // Row 0 drives channel 0 (all wmax) to its largest accumulator.
    for (std::int64_t k = 0; k < K; ++k) q.input[static_cast<std::size_t>(k)] = type_max(a);
  }
  return q;
}

std::int32_t onnx_type(ActivationType a) { return a == ActivationType::uint8 ? T::UINT8 : T::INT8; }
std::int32_t onnx_type(WeightType w) { return w == WeightType::uint8 ? T::UINT8 : T::INT8; }

pb::ValueInfoProto value_info(const std::string& name, std::int32_t type,
                              const std::vector<std::int64_t>& dims) {
  pb::ValueInfoProto v;
  v.set_name(name);
  auto* t = v.mutable_type()->mutable_tensor_type();
  t->set_elem_type(type);
  for (const std::int64_t d : dims) t->mutable_shape()->add_dim()->set_dim_value(d);
  return v;
}

std::vector<std::int64_t> as64(const std::vector<std::int32_t>& v) { return {v.begin(), v.end()}; }

// The ONNX model of q (NCHW / [K, N] as ONNX lays them out) and its input dims.
pb::ModelProto onnx_model(const QCase& q, std::vector<std::int64_t>& in_dims) {
  const IntegerLayer& l = q.layer;
  const LayerGeometry& g = l.geometry;
  const std::int32_t at = onnx_type(l.activation), wt = onnx_type(l.weight_type);
  const bool conv = g.op == OpKind::conv2d;
  pb::GraphProto gr;
  const std::vector<std::int64_t> sdims =
      l.weight_scales.size() > 1 ? std::vector<std::int64_t>{g.out_c} : std::vector<std::int64_t>{};
  std::vector<std::int64_t> w_onnx;
  std::vector<std::int64_t> w_dims;
  if (conv) {
    w_dims = {g.out_c, g.in_c, g.kernel_h, g.kernel_w};
    for (std::int64_t o = 0; o < g.out_c; ++o)
      for (std::int64_t i = 0; i < g.in_c; ++i)
        for (std::int64_t kh = 0; kh < g.kernel_h; ++kh)
          for (std::int64_t kw = 0; kw < g.kernel_w; ++kw)
            w_onnx.push_back(l.weights[static_cast<std::size_t>(filter_index(g, o, kh, kw, i))]);
    in_dims = {1, g.in_c, g.in_h, g.in_w};
  } else {
    w_dims = {g.in_c, g.out_c};
    for (std::int64_t k = 0; k < g.in_c; ++k)
      for (std::int64_t o = 0; o < g.out_c; ++o)
        w_onnx.push_back(l.weights[static_cast<std::size_t>(filter_index(g, o, 0, 0, k))]);
    in_dims = {g.batch, g.in_c};
  }
  *gr.add_initializer() = float_tensor("x_scale", {}, {l.input_scale});
  *gr.add_initializer() = int_tensor("x_zero_point", at, {}, {l.input_zero_point});
  *gr.add_initializer() = int_tensor("w", wt, w_dims, w_onnx);
  *gr.add_initializer() = float_tensor("w_scale", sdims, l.weight_scales);
  *gr.add_initializer() = int_tensor("w_zero_point", wt, sdims, as64(l.weight_zero_points));
  *gr.add_initializer() = float_tensor("y_scale", {}, {l.output_scale});
  *gr.add_initializer() = int_tensor("y_zero_point", at, {}, {l.output_zero_point});
  std::vector<std::string> inputs{"x",       "x_scale",      "x_zero_point", "w",
                                  "w_scale", "w_zero_point", "y_scale",      "y_zero_point"};
  std::vector<std::pair<std::string, std::int64_t>> attrs;
  if (conv) {
    attrs = {{"group", 1}};
    if (!l.bias.empty()) {
      *gr.add_initializer() = int_tensor("bias", T::INT32, {g.out_c}, l.bias);
      inputs.push_back("bias");
    }
  }
  pb::NodeProto n = node(conv ? "QLinearConv" : "QLinearMatMul", inputs, {"y"}, attrs);
  if (conv) {
    auto* s = n.add_attribute();
    s->set_name("strides");
    s->set_type(pb::AttributeProto::INTS);
    s->add_ints(g.stride_h);
    s->add_ints(g.stride_w);
  }
  *gr.add_node() = n;
  *gr.add_input() = value_info("x", at, in_dims);
  std::vector<std::int64_t> out_dims =
      conv ? std::vector<std::int64_t>{1, g.out_c, g.out_h(), g.out_w()}
           : std::vector<std::int64_t>{g.batch, g.out_c};
  *gr.add_output() = value_info("y", at, out_dims);
  return make_model(gr, 13);
}

// NHWC -> NCHW (batch 1) for conv; [N, K] as it is for matmul.
std::vector<std::int8_t> onnx_input_bytes(const QCase& q) {
  const LayerGeometry& g = q.layer.geometry;
  std::vector<std::int8_t> out;
  if (g.op == OpKind::fully_connected) {
    for (const std::int32_t v : q.input) out.push_back(static_cast<std::int8_t>(v));
    return out;
  }
  for (std::int64_t c = 0; c < g.in_c; ++c)
    for (std::int64_t h = 0; h < g.in_h; ++h)
      for (std::int64_t w = 0; w < g.in_w; ++w)
        out.push_back(static_cast<std::int8_t>(
            q.input[static_cast<std::size_t>((h * g.in_w + w) * g.in_c + c)]));
  return out;
}

// ORT's output (NCHW for conv) in the kernel's NHWC order, as integers.
std::vector<std::int32_t> from_onnx_output(const QCase& q, const std::string& bytes) {
  const LayerGeometry& g = q.layer.geometry;
  auto at = [&](std::size_t i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    return q.layer.activation == ActivationType::uint8 ? std::int32_t{b}
                                                       : std::int32_t{static_cast<std::int8_t>(b)};
  };
  std::vector<std::int32_t> y(bytes.size());
  if (g.op == OpKind::fully_connected) {
    for (std::size_t i = 0; i < bytes.size(); ++i) y[i] = at(i);
    return y;
  }
  const std::int64_t oh = g.out_h(), ow = g.out_w();
  for (std::int64_t c = 0; c < g.out_c; ++c)
    for (std::int64_t h = 0; h < oh; ++h)
      for (std::int64_t w = 0; w < ow; ++w)
        y[static_cast<std::size_t>((h * ow + w) * g.out_c + c)] =
            at(static_cast<std::size_t>((c * oh + h) * ow + w));
  return y;
}

// Accumulators where float32 and float64 requantization part: M = 2^-e
// exactly (power-of-two scales) and acc = 2^(e+7) + 2^(e-1) + r, so acc M =
// 128.5 + r 2^-e; float32(acc) drops r below its ulp (2^(e+7-23)), making an
// exact tie that rounds to even (128), while the exact product rounds up (129).
// Weights at the zero point except a few, so acc is mostly the bias.
QCase float_rounding_case(const std::string& name, ActivationType a, WeightType w, int e,
                          std::mt19937& rng) {
  QCase q;
  q.name = name;
  IntegerLayer& l = q.layer;
  l.activation = a;
  l.weight_type = w;
  LayerGeometry& g = l.geometry;
  g.op = OpKind::conv2d;
  g.in_c = 3;
  g.in_h = g.in_w = 6;
  g.out_c = 16;
  l.input_scale = 0.0625f;                    // 2^-4
  l.weight_scales = {0.015625f};              // 2^-6
  l.output_scale = std::ldexp(1.0f, e - 10);  // M = 2^-10 / 2^(e-10) = 2^-e
  l.input_zero_point = a == ActivationType::uint8 ? 128 : 0;
  l.output_zero_point = a == ActivationType::uint8 ? 0 : -128;
  const std::int32_t zp = w == WeightType::uint8 ? 128 : 0;
  l.weight_zero_points = {zp};
  l.weights.assign(static_cast<std::size_t>(g.filter_size()), zp);
  for (std::int64_t c = 0; c < g.out_c; c += 4)  // every fourth channel: small taps
    for (std::int64_t i = 0; i < g.in_c; ++i)
      l.weights[static_cast<std::size_t>(filter_index(g, c, 0, 0, i))] =
          zp + static_cast<std::int32_t>(rng() % 3) - 1;
  const std::int64_t tie = (std::int64_t{1} << (e + 7)) + (std::int64_t{1} << (e - 1));
  for (std::int64_t c = 0; c < g.out_c; ++c) l.bias.push_back(tie + c - 3);
  choose_input(q, rng);
  return q;
}

std::vector<QCase> all_cases() {
  std::mt19937 rng(20261201);
  std::vector<QCase> cases;
  const Multiplier kinds[] = {Multiplier::random,    Multiplier::tiny, Multiplier::near_one,
                              Multiplier::above_one, Multiplier::tie,  Multiplier::big_accumulator};
  const char* kind_names[] = {"random", "tiny", "near_one", "above_one", "tie", "big_acc"};
  struct Types {
    ActivationType a;
    WeightType w;
    const char* name;
  };
  const Types types[] = {{ActivationType::uint8, WeightType::uint8, "u8u8"},
                         {ActivationType::uint8, WeightType::int8, "u8s8"},
                         {ActivationType::int8, WeightType::int8, "s8s8"}};
  for (const Types& t : types)
    for (std::size_t k = 0; k < std::size(kinds); ++k) {
      for (const bool pc : {false, true})
        cases.push_back(conv_case(std::string("conv_") + t.name + "_" + kind_names[k] +
                                      (pc ? "_per_channel" : "_per_tensor"),
                                  t.a, t.w, kinds[k], pc, rng));
      cases.push_back(matmul_case(std::string("matmul_") + t.name + "_" + kind_names[k], t.a, t.w,
                                  kinds[k], 8 + static_cast<std::int64_t>(rng() % 200), rng));
    }
  for (const Types& t : types)
    for (const int e : {18, 23})
      cases.push_back(float_rounding_case(
          std::string("conv_") + t.name + "_float32_rounding_2^-" + std::to_string(e), t.a, t.w, e,
          rng));
  // K = 65,536: 65,536 x 255 x 127 ~ 2.12e9, just under 2^31, in one accumulator.
  for (const Types& t : types)
    cases.push_back(matmul_case(std::string("matmul_") + t.name + "_k65536", t.a, t.w,
                                Multiplier::big_accumulator, 65536, rng));
  return cases;
}

TEST(OnnxQLinearInterop, OnnxRuntimeMlasProfileIsBitExactWithOnnxRuntime) {
  if (std::system("node --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "node not found";
  if (!fs::exists(ort_dir() + "/bin/napi-v6/linux/x64/libonnxruntime.so.1"))
    GTEST_SKIP() << "ONNX Runtime not found at " << ort_dir() << " (bash ci/fetch-onnxruntime.sh)";
  const std::vector<QCase> cases = all_cases();
  const std::string manifest = temp_path("qlinear_manifest.txt");
  {
    std::ofstream m(manifest);
    for (const QCase& q : cases) {
      std::vector<std::int64_t> dims;
      const std::string model = write_model("qlinear_" + q.name + ".onnx", onnx_model(q, dims));
      const std::string in = temp_path("qlinear_" + q.name + ".in");
      const auto bytes = onnx_input_bytes(q);
      std::ofstream(in, std::ios::binary)
          .write(reinterpret_cast<const char*>(bytes.data()),
                 static_cast<std::streamsize>(bytes.size()));
      std::string d;
      for (std::size_t i = 0; i < dims.size(); ++i) d += (i ? "," : "") + std::to_string(dims[i]);
      const std::string out = temp_path("qlinear_" + q.name + ".out");
      fs::remove(out);
      fs::remove(out + ".err");
      m << model << " " << in << " "
        << (q.layer.activation == ActivationType::uint8 ? "uint8" : "int8") << " " << d << " "
        << out << "\n";
    }
  }
  const std::string cmd =
      "node '" QUANTCHECK_ORT_QLINEAR_JS "' '" + ort_dir() + "' '" + manifest + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

  const RuntimeProfile& mlas = find_runtime("onnxruntime-mlas");
  const RuntimeProfile& reference = find_runtime("onnx-reference");
  std::int64_t compared = 0, differ = 0, reference_differ = 0, near_limit = 0;
  for (const QCase& q : cases) {
    const std::string out = temp_path("qlinear_" + q.name + ".out");
    if (fs::exists(out + ".err")) {
      std::ifstream e(out + ".err");
      ADD_FAILURE() << q.name << ": ONNX Runtime refused it: " << e.rdbuf();
      continue;
    }
    std::ifstream o(out, std::ios::binary);
    const std::string bytes(std::istreambuf_iterator<char>(o), {});
    const std::vector<std::int32_t> ort = from_onnx_output(q, bytes);
    const PreparedLayer prep = prepare_layer(mlas, q.layer);
    ASSERT_TRUE(prep.rejected.empty()) << q.name << ": " << prep.rejected;
    const LayerRun run = run_layer(mlas, q.layer, prep, q.input);
    ASSERT_EQ(ort.size(), run.output.size()) << q.name;
    const PreparedLayer rprep = prepare_layer(reference, q.layer);
    const LayerRun rrun =
        rprep.rejected.empty() ? run_layer(reference, q.layer, rprep, q.input) : LayerRun{};
    std::int64_t case_differ = 0;
    for (std::size_t i = 0; i < ort.size(); ++i) {
      ++compared;
      const OutputTrace& t = run.trace[i];
      EXPECT_FALSE(t.acc_overflow) << q.name << " output " << i;
      const int128 a = t.acc_exact < 0 ? -t.acc_exact : t.acc_exact;
      if (a > (int128{1} << 30)) ++near_limit;
      if (ort[i] != run.output[i]) {
        if (++case_differ <= 3)
          ADD_FAILURE() << q.name << " output " << i << ": ORT " << ort[i] << ", onnxruntime-mlas "
                        << run.output[i] << " (acc " << static_cast<long long>(t.acc) << ")";
      }
      if (rrun.output.size() == ort.size() && rrun.output[i] != ort[i]) ++reference_differ;
    }
    differ += case_differ;
  }
  std::cout << "[ qlinear ] " << cases.size() << " models, " << compared
            << " outputs compared with ONNX Runtime 1.30: " << differ
            << " differ under onnxruntime-mlas, " << reference_differ << " under onnx-reference; "
            << near_limit << " accumulators beyond 2^30\n";
  EXPECT_GE(compared, 10000);
  EXPECT_EQ(differ, 0);
  EXPECT_GT(near_limit, 0);
  // The float32_rounding cases set the two ONNX profiles apart: the test can
  // tell float32 from float64 requantization.
  EXPECT_GT(reference_differ, 0);
}

}  // namespace
}  // namespace quantcheck::onnx
