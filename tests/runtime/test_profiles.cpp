// Each profile through a whole layer reproduces the measured rows and the
// section-8 bugs of ../shared/reference/RUNTIMES.md; the golden values are
// the document's, or computed independently here.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "quantcheck/presets.hpp"
#include "quantcheck/runtime/layer.hpp"
#include "quantcheck/runtime/profiles.hpp"

namespace quantcheck {
namespace {

// A 1x1 CONV_2D over a 1 x 1 x 13 input (one channel, acc = x): s_in = 1,
// s_w = M, s_out = 1, so the multiplier is exactly M.
IntegerLayer one_by_one(ActivationType a, float M) {
  IntegerLayer l;
  l.geometry.op = OpKind::conv2d;
  l.geometry.in_h = 1;
  l.geometry.in_w = 13;
  l.geometry.in_c = 1;
  l.geometry.out_c = 1;
  l.activation = a;
  l.input_scale = 1.0f;
  l.output_scale = 1.0f;
  l.weights = {1};
  l.weight_scales = {M};
  l.weight_zero_points = {0};
  l.bias_type = a == ActivationType::int16 ? BiasType::int64 : BiasType::int32;
  l.bias = {0};
  return l;
}

std::vector<std::int32_t> run_row(const std::string& runtime, ActivationType a, float M) {
  const RuntimeProfile& p = find_runtime(runtime);
  const IntegerLayer l = one_by_one(a, M);
  const PreparedLayer prep = prepare_layer(p, l);
  EXPECT_TRUE(prep.rejected.empty()) << prep.rejected;
  std::vector<std::int32_t> x;
  for (int v = -6; v <= 6; ++v) x.push_back(v);
  return run_layer(p, l, prep, x).output;
}

TEST(Profiles, EveryNamedProfileIsPresentWithSources) {
  std::set<std::string> names;
  for (const RuntimeProfile& p : runtime_profiles()) {
    names.insert(p.name);
    EXPECT_FALSE(p.sources.empty()) << p.name;
    EXPECT_FALSE(p.origin.empty()) << p.name;
  }
  for (const char* n : {"tflite-reference", "tflite-x86", "tflite-single-rounding", "tflite-16x8",
                        "tflite-16x8-int32-acc", "onnx-reference", "onnxruntime-mlas",
                        "onnxruntime-mlas-avx2", "xnnpack-fp32", "gemmlowp", "luci-interpreter"})
    EXPECT_TRUE(names.count(n)) << n;
  EXPECT_THROW(find_runtime("no-such-runtime"), std::invalid_argument);
}

// RUNTIMES.md 1.3 measured rows, through the layer.
TEST(Profiles, QuarterRowsThroughTheLayer) {
  const std::vector<std::int32_t> reference{-2, -1, -1, -1, -1, 0, 0, 1, 1, 1, 1, 2, 2};
  const std::vector<std::int32_t> ruy{-1, -1, -1, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2};
  const std::vector<std::int32_t> single{-1, -1, -1, -1, 0, 0, 0, 0, 1, 1, 1, 1, 2};
  EXPECT_EQ(run_row("tflite-reference", ActivationType::int8, 0.25f), reference);
  EXPECT_EQ(run_row("gemmlowp", ActivationType::int8, 0.25f), reference);
  EXPECT_EQ(run_row("tflite-x86", ActivationType::int8, 0.25f), ruy);
  EXPECT_EQ(run_row("tflite-single-rounding", ActivationType::int8, 0.25f), single);
  EXPECT_EQ(run_row("tflite-16x8", ActivationType::int16, 0.25f), single);
  EXPECT_EQ(run_row("tflite-x86", ActivationType::int16, 0.25f), single);
  // M = 0.75 (e = 0): RHU on the 2.9 .so.
  EXPECT_EQ(run_row("tflite-x86", ActivationType::int8, 0.75f),
            (std::vector<std::int32_t>{-4, -4, -3, -2, -1, -1, 0, 1, 2, 2, 3, 4, 5}));
  // Float paths: ties to even (0.5 * -5 = -2.5 -> -2, * -3 -> -2, * 1 -> 0 ...).
  EXPECT_EQ(run_row("xnnpack-fp32", ActivationType::int8, 0.5f),
            (std::vector<std::int32_t>{-3, -2, -2, -2, -1, 0, 0, 0, 1, 2, 2, 2, 3}));
}

// RUNTIMES.md 1.1 step 4 and 8: M < 2^-32 is flushed; with the int64 16x8
// accumulator a non-zero result becomes zp_out (0). Here M = 2^-33 and the
// bias 2^40 give acc * M = 128.
TEST(Profiles, TinyMultiplierFlushZeroesTheInt64Path) {
  IntegerLayer l = one_by_one(ActivationType::int16, 0x1p-20f);
  l.input_scale = 0x1p-20f;
  l.output_scale = 0x1p-7f;
  l.bias = {std::int64_t{1} << 40};
  l.geometry.in_w = 1;
  const RuntimeProfile& p = find_runtime("tflite-16x8");
  const PreparedLayer prep = prepare_layer(p, l);
  ASSERT_TRUE(prep.channels[0].flushed);
  EXPECT_EQ(run_layer(p, l, prep, {0}).output[0], 0);
  // The mutated profile without the flush computes 2^40 * 2^-33 = 128.
  RuntimeProfile unflushed = p;
  unflushed.sixteen_bit.flush_tiny_multiplier = false;
  const PreparedLayer prep2 = prepare_layer(unflushed, l);
  EXPECT_EQ(run_layer(unflushed, l, prep2, {0}).output[0], 128);
}

// RUNTIMES.md 8, tensorflow#53763 / tflite-micro #3597: the int32 accumulator
// of the 16x8 fallback overflows where the int64 one does not.
TEST(Profiles, Int32AccumulatorFallbackOverflows) {
  IntegerLayer l = one_by_one(ActivationType::int16, 1e-6f);
  l.geometry.in_w = 1;
  l.geometry.in_c = 1024;
  l.weights.assign(1024, 127);
  l.bias = {0};
  const std::vector<std::int32_t> x(1024, 32767);  // acc = 1024 * 32767 * 127 > 2^31
  const RuntimeProfile& wide = find_runtime("tflite-16x8");
  const RuntimeProfile& narrow = find_runtime("tflite-16x8-int32-acc");
  const LayerRun a = run_layer(wide, l, prepare_layer(wide, l), x);
  const LayerRun b = run_layer(narrow, l, prepare_layer(narrow, l), x);
  EXPECT_FALSE(a.trace[0].acc_overflow);
  EXPECT_TRUE(b.trace[0].acc_overflow);
  // Independent: 1024 * 32767 * 127 * 1e-6 = 4261.2 -> 4261 (single RHU of the int64 path).
  EXPECT_EQ(a.output[0], 4261);
  EXPECT_NE(b.output[0], a.output[0]);
}

// RUNTIMES.md 8, onnxruntime#16105: x = [210, 198, 234], w = [-81, -80, 127]:
// the pair sum -32850 saturates to -32768 on AVX2 without VNNI.
TEST(Profiles, OrtU8S8PairSaturation) {
  IntegerLayer l;
  l.geometry.op = OpKind::fully_connected;
  l.geometry.in_c = 3;
  l.geometry.out_c = 1;
  l.activation = ActivationType::uint8;
  l.input_scale = 1.0f;
  l.output_scale = 1.0f;
  l.weights = {-81, -80, 127};
  l.weight_scales = {1.0f};
  l.weight_zero_points = {0};
  const std::vector<std::int32_t> x{210, 198, 234};
  const RuntimeProfile& vnni = find_runtime("onnxruntime-mlas");
  const RuntimeProfile& avx2 = find_runtime("onnxruntime-mlas-avx2");
  const LayerRun good = run_layer(vnni, l, prepare_layer(vnni, l), x);
  const LayerRun bad = run_layer(avx2, l, prepare_layer(avx2, l), x);
  EXPECT_EQ(good.trace[0].acc, 210 * -81 + 198 * -80 + 234 * 127);
  EXPECT_EQ(bad.trace[0].acc, -32768 + 234 * 127);
  EXPECT_TRUE(bad.trace[0].pair_saturated);
  EXPECT_TRUE(bad.trace[0].acc_overflow);
}

// RUNTIMES.md 6: luci clamps S8 at -127; 5: XNNPACK rejects a scale >= 256;
// 4: ORT rejects unequal per-channel weight zero points; 1.4: 16x8 zp must be 0.
TEST(Profiles, ClampsAndPrepareRejections) {
  IntegerLayer l = one_by_one(ActivationType::int8, 1.0f);
  l.geometry.in_w = 1;
  const RuntimeProfile& luci = find_runtime("luci-interpreter");
  EXPECT_EQ(run_layer(luci, l, prepare_layer(luci, l), {-128}).output[0], -127);
  const RuntimeProfile& tfl = find_runtime("tflite-reference");
  EXPECT_EQ(run_layer(tfl, l, prepare_layer(tfl, l), {-128}).output[0], -128);

  IntegerLayer big = l;
  big.weight_scales = {256.0f};
  EXPECT_NE(prepare_layer(find_runtime("xnnpack-fp32"), big).rejected, "");
  big.weight_scales = {255.0f};
  EXPECT_EQ(prepare_layer(find_runtime("xnnpack-fp32"), big).rejected, "");

  IntegerLayer two = l;
  two.geometry.out_c = 2;
  two.weights = {1, 1};
  two.weight_type = WeightType::uint8;
  two.activation = ActivationType::uint8;
  two.weight_scales = {1.0f, 1.0f};
  two.weight_zero_points = {3, 4};
  two.bias = {0, 0};
  EXPECT_NE(prepare_layer(find_runtime("onnxruntime-mlas"), two).rejected, "");
  EXPECT_EQ(prepare_layer(find_runtime("tflite-reference"), two).rejected, "");

  IntegerLayer s16 = one_by_one(ActivationType::int16, 0.5f);
  s16.input_zero_point = 1;
  EXPECT_NE(prepare_layer(find_runtime("tflite-16x8"), s16).rejected, "");
  EXPECT_NE(prepare_layer(find_runtime("onnx-reference"), one_by_one(ActivationType::int16, 0.5f))
                .rejected,
            "");
}

TEST(Profiles, NaturalRuntimes) {
  EXPECT_EQ(natural_runtimes(find_preset("luci-int16"))[0], "luci-interpreter");
  EXPECT_EQ(natural_runtimes(find_preset("tflite-int8"))[0], "tflite-x86");
  EXPECT_EQ(natural_runtimes(find_preset("tflite-int16x8"))[0], "tflite-16x8");
  EXPECT_EQ(natural_runtimes(find_preset("onnxruntime-int8"))[0], "onnxruntime-mlas");
  EXPECT_EQ(natural_runtimes(find_preset("reference")).size(), runtime_profiles().size());
}

}  // namespace
}  // namespace quantcheck
