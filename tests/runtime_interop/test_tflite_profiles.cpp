// The runtime profiles against the TFLite 2.9 library, bit for bit (issue 12
// item 4): one-layer int8 and 16x8 CONV_2D / DEPTHWISE_CONV_2D /
// FULLY_CONNECTED models quantcheck writes, on random and worst-case inputs,
// with multipliers near 2^-32 and near 1, accumulators near the int32 limits
// and negative ties (layer_cases.cpp). `tflite-x86` must give every output
// the library gives; how often and by how much `tflite-reference` differs is
// reported (and must be non-zero: the cases separate the two).
//
// Default: 100 cases per op, type and regime (~110k outputs, about a second).
// QUANTCHECK_INTEROP_CASES=N sets the cases per regime for longer runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "layer_cases.hpp"
#include "quantcheck/runtime/layer.hpp"
#include "quantcheck/runtime/profiles.hpp"
#include "tflite_runtime.hpp"

namespace quantcheck::interop {
namespace {

constexpr Regime kRegimes[] = {Regime::typical, Regime::near_one, Regime::near_2_pow_m32,
                               Regime::int32_limits, Regime::negative_ties};

int cases_per_regime() {
  const char* env = std::getenv("QUANTCHECK_INTEROP_CASES");
  return env && *env ? std::max(1, std::atoi(env)) : 100;
}

// The model's layer as the runtime library reads it.
IntegerLayer integer_layer(const model::QuantizedLayerModel& m) {
  IntegerLayer l;
  LayerGeometry& g = l.geometry;
  g.op = m.kind;
  g.batch = m.input_shape[0];
  if (m.kind == OpKind::fully_connected) {
    g.in_c = m.input_shape[1];
    g.out_c = m.filter_shape[0];
  } else {
    g.in_h = m.input_shape[1];
    g.in_w = m.input_shape[2];
    g.in_c = m.input_shape[3];
    g.kernel_h = m.filter_shape[1];
    g.kernel_w = m.filter_shape[2];
    g.out_c = m.kind == OpKind::conv2d ? m.filter_shape[0] : m.filter_shape[3];
    g.stride_h = m.stride_h;
    g.stride_w = m.stride_w;
    g.dilation_h = m.dilation_h;
    g.dilation_w = m.dilation_w;
    g.padding = m.padding == model::LayerPadding::same ? Padding::same : Padding::valid;
    g.depth_multiplier = m.depth_multiplier;
  }
  l.activation = m.int16_activations ? ActivationType::int16 : ActivationType::int8;
  l.weight_type = WeightType::int8;
  l.input_scale = m.input_scale;
  l.input_zero_point = m.input_zero_point;
  l.output_scale = m.output_scale;
  l.output_zero_point = m.output_zero_point;
  l.weights.assign(m.weights.begin(), m.weights.end());
  l.weight_scales = m.weight_scales;
  l.weight_zero_points.assign(m.weight_scales.size(), 0);
  l.bias_type = m.bias_int64 ? BiasType::int64 : BiasType::int32;
  l.bias = m.bias;
  return l;
}

struct Comparison {
  long outputs = 0;
  long x86_differ = 0;
  long reference_differ = 0;
  std::int64_t reference_max_lsb = 0;
  std::string first_x86_difference;
};

Comparison compare(const TfLiteLibrary& lib, OpKind op, bool int16) {
  Comparison r;
  const RuntimeProfile& x86 = find_runtime("tflite-x86");
  const RuntimeProfile& ref = find_runtime("tflite-reference");
  std::mt19937_64 rng(0xc0ffee00u + unsigned(op) * 2 + unsigned(int16));
  for (Regime regime : kRegimes)
    for (int k = 0; k < cases_per_regime(); ++k) {
      const LayerCase c = make_case(rng, op, int16, regime);
      std::string error;
      const auto got = run_quantized_layer(lib, c.layer, c.input, &error);
      EXPECT_EQ(error, "") << c.name;
      const IntegerLayer l = integer_layer(c.layer);
      const PreparedLayer px = prepare_layer(x86, l), pr = prepare_layer(ref, l);
      EXPECT_EQ(px.rejected, "") << c.name;
      EXPECT_EQ(pr.rejected, "") << c.name;
      if (!error.empty() || !px.rejected.empty() || !pr.rejected.empty()) continue;
      const auto yx = run_layer(x86, l, px, c.input, false).output;
      const auto yr = run_layer(ref, l, pr, c.input, false).output;
      EXPECT_EQ(yx.size(), got.size()) << c.name;
      if (yx.size() != got.size()) continue;
      for (std::size_t o = 0; o < got.size(); ++o) {
        ++r.outputs;
        if (yx[o] != got[o]) {
          if (r.x86_differ++ == 0)
            r.first_x86_difference = c.name + " output " + std::to_string(o) + ": tflite " +
                                     std::to_string(got[o]) + ", tflite-x86 " +
                                     std::to_string(yx[o]);
        }
        if (yr[o] != got[o]) {
          ++r.reference_differ;
          r.reference_max_lsb =
              std::max<std::int64_t>(r.reference_max_lsb, std::abs(std::int64_t{yr[o]} - got[o]));
        }
      }
    }
  std::cout << to_string(op) << (int16 ? " 16x8" : " int8") << ": " << r.outputs
            << " outputs bit-for-bit; tflite-x86 differs on " << r.x86_differ
            << ", tflite-reference on " << r.reference_differ << " (max " << r.reference_max_lsb
            << " LSB)\n";
  return r;
}

class TfLiteProfiles : public ::testing::TestWithParam<std::tuple<OpKind, bool>> {
 protected:
  void SetUp() override {
    std::string why;
    lib_ = load_tflite_library(&why);
    if (!lib_) GTEST_SKIP() << why;
  }
  const TfLiteLibrary* lib_ = nullptr;
};

TEST_P(TfLiteProfiles, X86AgreesBitForBit) {
  const auto [op, int16] = GetParam();
  const Comparison r = compare(*lib_, op, int16);
  RecordProperty("outputs", std::to_string(r.outputs));
  RecordProperty("reference_differs", std::to_string(r.reference_differ));
  RecordProperty("reference_max_lsb", std::to_string(r.reference_max_lsb));
  EXPECT_GT(r.outputs, 1000);
  EXPECT_EQ(r.x86_differ, 0) << "first: " << r.first_x86_difference;
  // Where the two profiles compute differently the cases must show it.
  if (!int16 && op != OpKind::depthwise_conv2d) {
    EXPECT_GT(r.reference_differ, 0) << "the cases no longer separate x86 from reference";
  }
}

// FULLY_CONNECTED takes its multiplier from the float product s_in*s_w (measured in
// test_tflite_rounding.cpp): cases whose output depends on it, through tflite-x86.
TEST(TfLiteProfilesFullyConnected, FloatProductMultiplier) {
  std::string why;
  const TfLiteLibrary* lib = load_tflite_library(&why);
  if (!lib) GTEST_SKIP() << why;
  std::mt19937_64 rng(78);
  int cases = 0;
  for (int attempt = 0; attempt < 20000 && cases < 40; ++attempt) {
    const auto c = fc_multiplier_case(rng);
    if (!c) continue;
    ++cases;
    std::string error;
    const auto got = run_quantized_layer(*lib, c->layer, c->input, &error);
    ASSERT_EQ(error, "");
    const IntegerLayer l = integer_layer(c->layer);
    const RuntimeProfile& p = find_runtime("tflite-x86");
    const PreparedLayer prep = prepare_layer(p, l);
    ASSERT_EQ(prep.rejected, "");
    EXPECT_EQ(run_layer(p, l, prep, c->input, false).output, got) << "bias " << c->layer.bias[0];
  }
  EXPECT_GT(cases, 10);
}

INSTANTIATE_TEST_SUITE_P(Ops, TfLiteProfiles,
                         ::testing::Combine(::testing::Values(OpKind::conv2d,
                                                              OpKind::depthwise_conv2d,
                                                              OpKind::fully_connected),
                                            ::testing::Bool()),
                         [](const auto& info) {
                           return to_string(std::get<0>(info.param)) +
                                  (std::get<1>(info.param) ? "_16x8" : "_int8");
                         });

}  // namespace
}  // namespace quantcheck::interop
