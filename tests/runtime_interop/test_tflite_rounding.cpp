// What the TFLite 2.9 library computes, measured against the requantization
// formulas of RUNTIMES.md written independently in layer_cases.cpp: per op
// and activation type, how many outputs each formula gets wrong. This is the
// measurement behind the tflite-x86 profile's per-op knobs (RUNTIMES.md had
// not established DEPTHWISE_CONV_2D); the expectations below pin it.
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <iostream>

#include "layer_cases.hpp"
#include "tflite_runtime.hpp"

namespace quantcheck::interop {
namespace {

constexpr Regime kRegimes[] = {Regime::typical, Regime::near_one, Regime::near_2_pow_m32,
                               Regime::int32_limits, Regime::negative_ties};

struct Tally {
  long outputs = 0;
  long reference = 0, ruy_x86 = 0, single = 0, int64 = 0;  // mismatches per formula
};

std::int32_t clamp_output(std::int64_t v, bool int16) {
  const std::int64_t lo = int16 ? -32768 : -128, hi = int16 ? 32767 : 127;
  return static_cast<std::int32_t>(std::clamp(v, lo, hi));
}

int cases_per_regime() {
  const char* env = std::getenv("QUANTCHECK_INTEROP_CASES");
  return env && *env ? std::max(1, std::atoi(env)) : 40;
}

Tally measure(const TfLiteLibrary& lib, OpKind op, bool int16) {
  Tally t;
  std::mt19937_64 rng(0x5eed0000u + unsigned(op) * 2 + unsigned(int16));
  for (Regime regime : kRegimes)
    for (int k = 0; k < cases_per_regime(); ++k) {
      const LayerCase c = make_case(rng, op, int16, regime);
      std::string error;
      const auto got_all = run_quantized_layer(lib, c.layer, c.input, &error);
      EXPECT_EQ(error, "") << c.name;
      const Accumulators a = accumulate(c.layer, c.input);
      EXPECT_EQ(a.acc.size(), got_all.size()) << c.name;
      if (a.acc.size() != got_all.size()) continue;
      for (std::size_t o = 0; o < a.acc.size(); ++o) {
        const std::int32_t got = got_all[o];
        const QuantizedMultiplier qm =
            quantize_multiplier(effective_multiplier(c.layer, std::size_t(a.channel[o])));
        const auto acc32 = static_cast<std::int32_t>(static_cast<std::uint32_t>(a.acc[o]));
        const std::int64_t zp = c.layer.output_zero_point;
        ++t.outputs;
        t.reference += got != clamp_output(requant_reference(acc32, qm) + zp, int16);
        t.ruy_x86 += got != clamp_output(requant_ruy_x86(acc32, qm) + zp, int16);
        t.single += got != clamp_output(requant_single(acc32, qm) + zp, int16);
        t.int64 += got != clamp_output(requant_int64(a.acc[o], qm) + zp, int16);
      }
    }
  std::cout << to_string(op) << (int16 ? " 16x8" : " int8") << ": " << t.outputs
            << " outputs; mismatches: reference " << t.reference << ", ruy-x86 " << t.ruy_x86
            << ", single-RHU " << t.single << ", int64-15bit " << t.int64 << "\n";
  return t;
}

class TfLiteRounding : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    lib_ = load_tflite_library(&why);
    if (!lib_) GTEST_SKIP() << why;
  }
  const TfLiteLibrary* lib_ = nullptr;
};

// RUNTIMES.md 1.3 measured ruy-x86 for int8 CONV_2D and FULLY_CONNECTED.
TEST_F(TfLiteRounding, Int8ConvIsRuyX86) {
  const Tally t = measure(*lib_, OpKind::conv2d, false);
  EXPECT_EQ(t.ruy_x86, 0);
  EXPECT_GT(t.reference, 0) << "the cases no longer separate the formulas";
}

TEST_F(TfLiteRounding, Int8FullyConnectedIsRuyX86) {
  const Tally t = measure(*lib_, OpKind::fully_connected, false);
  EXPECT_EQ(t.ruy_x86, 0);
  EXPECT_GT(t.reference, 0) << "the cases no longer separate the formulas";
}

// Measured here: the optimized int8 DEPTHWISE_CONV_2D of the x86 2.9 library
// (its own kernels, not ruy) rounds like the reference kernel (SRDHM RHU then
// RDBPOT RHAFZ), unlike CONV_2D and FULLY_CONNECTED in the same library.
TEST_F(TfLiteRounding, Int8DepthwiseIsReferenceDoubleRounding) {
  const Tally t = measure(*lib_, OpKind::depthwise_conv2d, false);
  EXPECT_EQ(t.reference, 0);
  EXPECT_GT(t.ruy_x86, 0) << "the cases no longer separate the formulas";
}

TEST_F(TfLiteRounding, Int16ConvIsInt64Path) {
  const Tally t = measure(*lib_, OpKind::conv2d, true);
  EXPECT_EQ(t.int64, 0);
}

TEST_F(TfLiteRounding, Int16DepthwiseIsInt64Path) {
  const Tally t = measure(*lib_, OpKind::depthwise_conv2d, true);
  EXPECT_EQ(t.int64, 0);
}

TEST_F(TfLiteRounding, Int16FullyConnectedIsInt64Path) {
  const Tally t = measure(*lib_, OpKind::fully_connected, true);
  EXPECT_EQ(t.int64, 0);
}

// RUNTIMES.md 1.4: FULLY_CONNECTED (per tensor, GetQuantizedConvolutionMultipler)
// takes M = (double)(float)(s_in * s_w) / (double)s_out, a float product, where
// the per-channel convolutions multiply in double. Cases where the two
// multipliers encode differently and an accumulator (the bias of a 1-tap
// layer) sits between their rounding boundaries tell which one the library uses.
TEST_F(TfLiteRounding, Int8FullyConnectedMultiplierIsFloatProduct) {
  std::mt19937_64 rng(77);
  int float_product = 0, double_product = 0, cases = 0;
  for (int attempt = 0; attempt < 20000 && cases < 40; ++attempt) {
    const auto c = fc_multiplier_case(rng);
    if (!c) continue;
    ++cases;
    const model::QuantizedLayerModel& m = c->layer;
    std::string error;
    const auto y = run_quantized_layer(*lib_, m, c->input, &error);
    ASSERT_EQ(error, "");
    ASSERT_EQ(y.size(), 1u);
    const auto b32 = static_cast<std::int32_t>(m.bias[0]);
    const float s_w = m.weight_scales[0];
    const QuantizedMultiplier qd =
        quantize_multiplier(double(m.input_scale) * double(s_w) / double(m.output_scale));
    const QuantizedMultiplier qf =
        quantize_multiplier(double(m.input_scale * s_w) / double(m.output_scale));
    float_product += y[0] == std::clamp(requant_ruy_x86(b32, qf), -128, 127);
    double_product += y[0] == std::clamp(requant_ruy_x86(b32, qd), -128, 127);
  }
  std::cout << "FULLY_CONNECTED multiplier: " << cases
            << " separating cases; float product matches " << float_product << ", double product "
            << double_product << "\n";
  ASSERT_GT(cases, 10);
  EXPECT_EQ(float_product, cases);
  EXPECT_EQ(double_product, 0);
}

}  // namespace
}  // namespace quantcheck::interop
