// `quantcheck verify --runtime`: the runtime checks on real and synthetic
// models. The expected values of the real models are computed here, from
// the raw flatbuffer fields and stored bytes, with the formulas of
// RUNTIMES.md 1.1 / 1.4 and docs/runtimes.md written out again, not taken
// from quantcheck's runtime library or its output.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "model_test_support.hpp"
#include "quantcheck/model/model_file.hpp"
#include "quantcheck/model/quantized_layer_model.hpp"
#include "quantcheck/model/verify.hpp"
#include "quantcheck/model/verify_runtime.hpp"
#include "quantcheck/runtime/profiles.hpp"

namespace quantcheck::model {
namespace {

using testing::run_cli;

// The figures of an int8 CONV_2D / DEPTHWISE_CONV_2D model on a TFLite
// int8 path (int32 accumulator, Q31 of the double per-channel product),
// computed from the file's raw fields.
struct Facts {
  int layers = 0;
  std::int64_t channels = 0;
  double min_m = INFINITY, max_m = 0;
  std::int64_t min_m_op = -1, max_m_op = -1;
  std::int64_t min_margin = std::numeric_limits<std::int64_t>::max();
  std::int64_t min_margin_op = -1, min_margin_ch = -1;
  std::int64_t flushed = 0, overflows = 0;
  double max_bound_lsb = 0;
};

Facts independent_int8_facts(const std::string& path, double eps_m, int r_lsb) {
  const ModelFile m = ModelFile::open(path);
  const fb::SubGraph& g = *m.model().subgraphs()->Get(0);
  Facts f;
  auto scale = [&](std::int32_t t, std::size_t k) {
    return g.tensors()
        ->Get(static_cast<flatbuffers::uoffset_t>(t))
        ->quantization()
        ->scale()
        ->Get(static_cast<flatbuffers::uoffset_t>(k));
  };
  auto zp = [&](std::int32_t t) {
    return g.tensors()
        ->Get(static_cast<flatbuffers::uoffset_t>(t))
        ->quantization()
        ->zero_point()
        ->Get(0);
  };
  for (std::uint32_t o = 0; o < g.operators()->size(); ++o) {
    const fb::Operator& op = *g.operators()->Get(o);
    const std::int32_t code = m.op_code(op);
    if (code != 3 && code != 4) continue;  // CONV_2D, DEPTHWISE_CONV_2D
    ++f.layers;
    const std::int32_t in = op.inputs()->Get(0), w = op.inputs()->Get(1), b = op.inputs()->Get(2),
                       out = op.outputs()->Get(0);
    const fb::Tensor& wt = *g.tensors()->Get(static_cast<flatbuffers::uoffset_t>(w));
    std::vector<std::int64_t> shape(wt.shape()->begin(), wt.shape()->end());
    const bool dw = code == 4;
    const std::int64_t C = dw ? shape[3] : shape[0];
    const auto wbytes = m.tensor_data(wt);
    const auto bbytes = m.tensor_data(*g.tensors()->Get(static_cast<flatbuffers::uoffset_t>(b)));
    std::vector<std::int64_t> pos(static_cast<std::size_t>(C)), neg(pos), abs_sum(pos), n(pos);
    for (std::size_t i = 0; i < wbytes.size(); ++i) {
      const auto c = static_cast<std::size_t>(dw ? static_cast<std::int64_t>(i) % C
                                                 : static_cast<std::int64_t>(i) /
                                                       (shape[1] * shape[2] * shape[3]));
      const std::int64_t q = static_cast<std::int8_t>(wbytes[i]);
      (q > 0 ? pos[c] : neg[c]) += q;
      abs_sum[c] += std::abs(q);
      ++n[c];
    }
    const double s_in = scale(in, 0), s_out = scale(out, 0);
    const std::int64_t zp_in = zp(in);
    const std::int64_t up = 127 - zp_in, down = -128 - zp_in;
    for (std::int64_t c = 0; c < C; ++c) {
      const auto k = static_cast<std::size_t>(c);
      ++f.channels;
      const double s_w = scale(w, wt.quantization()->scale()->size() == 1 ? 0 : k);
      const double M = s_in * s_w / s_out;
      // QuantizeMultiplier flushes when the exponent after the fix-up is < -31.
      int e = 0;
      const double frac = std::frexp(M, &e);
      if (std::round(frac * 2147483648.0) == 2147483648.0) ++e;
      f.flushed += e < -31;
      if (M < f.min_m) f.min_m = M, f.min_m_op = o;
      if (M > f.max_m) f.max_m = M, f.max_m_op = o;
      std::int32_t bias = 0;
      std::memcpy(&bias, bbytes.data() + 4 * k, 4);
      const std::int64_t hi = pos[k] * up + neg[k] * down, lo = pos[k] * down + neg[k] * up;
      const std::int64_t top = std::max(hi, hi + bias), bottom = std::min(lo, lo + bias);
      const std::int64_t imax = std::numeric_limits<std::int32_t>::max();
      const std::int64_t margin = std::min(imax - top, bottom + imax + 1);
      f.overflows += margin < 0;
      if (margin < f.min_margin) f.min_margin = margin, f.min_margin_op = o, f.min_margin_ch = c;
      // docs/runtimes.md's bound at its worst input.
      const long double ex = s_in / 2, ew = s_w / 2, taps = static_cast<long double>(n[k]);
      const long double x_abs = static_cast<long double>(std::max(up, -down));
      const long double s_b = scale(b, wt.quantization()->scale()->size() == 1 ? 0 : k);
      const long double acc = static_cast<long double>(std::max(hi + bias, -(lo + bias)));
      const long double bound = ex * (s_w * static_cast<long double>(abs_sum[k]) + taps * ew) +
                                ew * (taps * (s_in * x_abs + ex) + taps * ex) + s_b / 2 +
                                std::fabs(static_cast<long double>(bias)) *
                                    std::fabs(s_b - static_cast<long double>(s_in) * s_w) +
                                acc * eps_m * s_in * s_w + s_out * (0.5L + r_lsb);
      f.max_bound_lsb = std::max(f.max_bound_lsb, static_cast<double>(bound / s_out));
    }
  }
  return f;
}

// TFLite's int8 path: the double per-channel product (2^-52) and its FULLY_CONNECTED
// exception, the float product (2^-24 + 2^-52), give one bound for the path; Q31 adds 2^-31.
const double kTfliteInt8Eps = [] {
  const double computed = std::ldexp(1.0, -24) + std::ldexp(1.0, -52);
  const double encoded = std::ldexp(1.0, -31);
  return computed + encoded + computed * encoded;
}();

void expect_facts(const RuntimeSummary& s, const Facts& f) {
  EXPECT_EQ(s.layers_checked, f.layers);
  EXPECT_EQ(s.layers_skipped, 0);
  EXPECT_EQ(s.channels_checked, f.channels);
  EXPECT_EQ(s.min_multiplier, f.min_m);
  EXPECT_EQ(s.min_multiplier_layer, f.min_m_op);
  EXPECT_EQ(s.max_multiplier, f.max_m);
  EXPECT_EQ(s.max_multiplier_layer, f.max_m_op);
  EXPECT_TRUE(s.min_margin == f.min_margin);
  EXPECT_EQ(s.min_margin_layer, f.min_margin_op);
  EXPECT_EQ(s.min_margin_channel, f.min_margin_ch);
  EXPECT_EQ(s.flushed, f.flushed);
  EXPECT_EQ(s.overflow_findings, f.overflows);
  EXPECT_NEAR(s.max_bound_lsb, f.max_bound_lsb, 1e-9 * f.max_bound_lsb);
}

TEST(VerifyRuntime, MobilenetPtqOnTfliteX86MatchesAnIndependentComputation) {
  QC_REQUIRE_MODEL(path, "tf2_mobilenet_v2_1.0_224_ptq.tflite");
  const Facts f = independent_int8_facts(path, kTfliteInt8Eps, 1);
  // The facts themselves, as the independent computation above finds them.
  EXPECT_EQ(f.layers, 53);
  EXPECT_EQ(f.channels, 18057);
  EXPECT_EQ(f.flushed, 0);
  EXPECT_EQ(f.overflows, 0);
  const ModelFile m = ModelFile::open(path);
  VerifyReport r = verify_model(m, nullptr);
  std::string why;
  EXPECT_EQ(natural_runtime(m, r, &why), "tflite-x86") << why;
  const std::size_t before = r.findings.size();
  verify_runtime(m, find_runtime("tflite-x86"), r, why);
  ASSERT_TRUE(r.runtime);
  expect_facts(*r.runtime, f);
  EXPECT_EQ(r.findings.size(), before);  // no runtime finding
  for (const LayerRuntime& lr : r.runtime->layers) {
    EXPECT_TRUE(lr.kernel_confirmed);
    EXPECT_EQ(lr.activation, "int8");
    EXPECT_EQ(lr.accumulator, "int32");
  }
}

TEST(VerifyRuntime, MobilenetPtqOnTfliteReferenceHasTheSameFigures) {
  QC_REQUIRE_MODEL(path, "tf2_mobilenet_v2_1.0_224_ptq.tflite");
  // Same accumulator, same multipliers, double rounding (1 LSB) like ruy x86.
  const Facts f = independent_int8_facts(path, kTfliteInt8Eps, 1);
  const ModelFile m = ModelFile::open(path);
  VerifyReport r = verify_model(m, nullptr);
  verify_runtime(m, find_runtime("tflite-reference"), r, "--runtime");
  ASSERT_TRUE(r.runtime);
  expect_facts(*r.runtime, f);
  // Through the CLI: exit 0 and the runtime named in the JSON.
  const auto cli = run_cli({"verify", path, "--runtime", "tflite-reference", "--json"});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  const auto j = nlohmann::json::parse(cli.out);
  EXPECT_EQ(j["runtime"]["name"], "tflite-reference");
  EXPECT_EQ(j["runtime"]["channels_checked"], 18057);
  EXPECT_EQ(j["runtime"]["min_accumulator_margin"]["value"], f.min_margin);
  EXPECT_EQ(j["runtime"]["layers"][0]["channels"]["multiplier"].size(), 32u);
}

TEST(VerifyRuntime, CircleCopyOfMobilenetRunsOnLuci) {
  QC_REQUIRE_MODEL(path, "tf2_mobilenet_v2_1.0_224_ptq.tflite");
  // The same bytes as a circle file (the schemas share the wire format).
  std::vector<std::uint8_t> bytes = testing::read_all(path);
  std::memcpy(bytes.data() + 4, "CIR0", 4);
  const std::string circle = testing::write_temp("ptq.circle", bytes);
  const auto cli = run_cli({"verify", circle, "--json"});
  EXPECT_EQ(cli.exit_code, 0) << cli.out;
  const auto j = nlohmann::json::parse(cli.out);
  EXPECT_EQ(j["format"], "circle");
  EXPECT_EQ(j["runtime"]["name"], "luci-interpreter");
  // luci takes the float product s_in * s_w (2^-24 + 2^-52), Q31 (2^-31); same accumulator.
  const Facts f = independent_int8_facts(path, kTfliteInt8Eps, 1);
  EXPECT_EQ(j["runtime"]["channels_checked"], f.channels);
  EXPECT_EQ(j["runtime"]["overflow_findings"], 0);
  EXPECT_EQ(j["runtime"]["min_accumulator_margin"]["value"], f.min_margin);
}

TEST(VerifyRuntime, Uint8QatModelGoesToGemmlowp) {
  QC_REQUIRE_MODEL(path, "mobilenet_v2_1.0_224_quant.tflite");
  const ModelFile m = ModelFile::open(path);
  VerifyReport r = verify_model(m, nullptr);
  EXPECT_EQ(natural_runtime(m, r), "gemmlowp");
  verify_runtime(m, find_runtime("gemmlowp"), r, "natural");
  ASSERT_TRUE(r.runtime);
  EXPECT_EQ(r.runtime->layers_checked, 53);
  EXPECT_EQ(r.runtime->channels_checked, 18057);
  EXPECT_EQ(r.runtime->overflow_findings, 0);
  EXPECT_TRUE(r.findings.empty());
  for (const LayerRuntime& lr : r.runtime->layers) {
    EXPECT_EQ(lr.activation, "uint8");
    EXPECT_TRUE(lr.kernel_confirmed);
  }
}

TEST(VerifyRuntime, UnknownRuntimeIsOneLineAndExit2) {
  QC_REQUIRE_MODEL(path, "tf2_mobilenet_v2_1.0_224_ptq.tflite");
  const auto cli = run_cli({"verify", path, "--runtime", "no-such-runtime"});
  EXPECT_EQ(cli.exit_code, 2);
  EXPECT_TRUE(cli.out.empty());
  EXPECT_EQ(std::count(cli.err.begin(), cli.err.end(), '\n'), 1) << cli.err;
  EXPECT_NE(cli.err.find("no-such-runtime"), std::string::npos);
}

// One FULLY_CONNECTED layer [1, K] written from its integers.
QuantizedLayerModel fc_model(std::int64_t k, std::int8_t w, std::int64_t bias) {
  QuantizedLayerModel q;
  q.kind = OpKind::fully_connected;
  q.input_shape = {1, static_cast<std::int32_t>(k)};
  q.filter_shape = {1, static_cast<std::int32_t>(k)};
  q.weights.assign(static_cast<std::size_t>(k), w);
  q.weight_scales = {0.01f};
  q.bias = {bias};
  q.input_scale = 0.02f;
  q.input_zero_point = -128;
  q.output_scale = 0.5f;
  q.output_zero_point = 0;
  return q;
}

std::vector<std::string> kinds(const nlohmann::json& j) {
  std::vector<std::string> out;
  for (const auto& f : j["findings"]) out.push_back(f["kind"]);
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& k) {
  return std::find(v.begin(), v.end(), k) != v.end();
}

TEST(VerifyRuntime, AccumulatorOverflowIsAFinding) {
  // x - zp_x in [0, 255], 64 weights 127: the taps reach 64 * 127 * 255 =
  // 2,072,640; with a bias of 2^31 - 1000 the sum passes INT32_MAX.
  const std::int64_t bias = 2147483648LL - 1000;
  const std::string path =
      testing::write_temp("overflow.tflite", build_quantized_layer_model(fc_model(64, 127, bias)));
  const auto cli = run_cli({"verify", path, "--json"});
  EXPECT_EQ(cli.exit_code, 1) << cli.out;
  const auto j = nlohmann::json::parse(cli.out);
  EXPECT_EQ(j["runtime"]["name"], "tflite-x86");
  EXPECT_TRUE(has(kinds(j), "accumulator_overflow")) << cli.out;
  EXPECT_EQ(j["runtime"]["overflow_findings"], 1);
  EXPECT_EQ(j["runtime"]["layers"][0]["channels"]["acc_max"][0], bias + 64 * 127 * 255);
  // The exact range is one-sided: with a bias of -(2^31 - 1000) the same taps
  // keep the sum inside int32 (an |acc| bound of |b| + 255 sum|w| would not).
  const std::string safe = testing::write_temp(
      "no_overflow.tflite", build_quantized_layer_model(fc_model(64, 127, -bias)));
  const auto ok = run_cli({"verify", safe, "--json"});
  const auto k = nlohmann::json::parse(ok.out);
  EXPECT_FALSE(has(kinds(k), "accumulator_overflow")) << ok.out;
  EXPECT_EQ(k["runtime"]["overflow_findings"], 0);
  EXPECT_EQ(k["runtime"]["min_accumulator_margin"]["value"], 1000);
}

TEST(VerifyRuntime, VisiblyFlushedMultiplierIsAFinding) {
  // 16x8 with an int64 bias of 2^40: M = 2^-20 2^-10 / 2^4 = 2^-34 < 2^-32 is
  // flushed, but |acc| M reaches 2^6 = 64 output steps.
  QuantizedLayerModel q;
  q.kind = OpKind::fully_connected;
  q.int16_activations = true;
  q.input_shape = {1, 2};
  q.filter_shape = {1, 2};
  q.weights = {1, -1};
  q.weight_scales = {std::ldexp(1.0f, -10)};
  q.bias = {std::int64_t{1} << 40};
  q.bias_int64 = true;
  q.input_scale = std::ldexp(1.0f, -20);
  q.output_scale = 16.0f;
  const std::string path = testing::write_temp("flush.tflite", build_quantized_layer_model(q));
  const auto cli = run_cli({"verify", path, "--json"});
  EXPECT_EQ(cli.exit_code, 1) << cli.out;
  const auto j = nlohmann::json::parse(cli.out);
  EXPECT_EQ(j["runtime"]["name"], "tflite-16x8");
  EXPECT_TRUE(has(kinds(j), "multiplier_flushed")) << cli.out;
  EXPECT_EQ(j["runtime"]["flush_findings"], 1);
  EXPECT_EQ(j["runtime"]["layers"][0]["accumulator"], "int64");
  // The bound counts the flushed multiplier's whole |acc| M (64 steps), not eps_M.
  EXPECT_GT(j["runtime"]["max_bound_lsb"]["value"].get<double>(), 64.0);
  // A bias of 2^20 leaves |acc| M below half a step: flushed, but no output changes.
  q.bias = {std::int64_t{1} << 20};
  const std::string quiet =
      testing::write_temp("flush_quiet.tflite", build_quantized_layer_model(q));
  const auto k = nlohmann::json::parse(run_cli({"verify", quiet, "--json"}).out);
  EXPECT_FALSE(has(kinds(k), "multiplier_flushed"));
  EXPECT_EQ(k["runtime"]["flushed_multipliers"], 1);
}

TEST(VerifyRuntime, PrepareRejectionIsAFinding) {
  // XNNPACK refuses a requantization scale >= 256: M = 0.02 * 0.01 / 2^-20 = 209.7
  // is under it; / 2^-21 = 419.4 is over it.
  QuantizedLayerModel q = fc_model(4, 1, 0);
  q.output_scale = std::ldexp(1.0f, -21);
  const std::string path = testing::write_temp("big_m.tflite", build_quantized_layer_model(q));
  const auto cli = run_cli({"verify", path, "--runtime", "xnnpack-fp32", "--json"});
  EXPECT_EQ(cli.exit_code, 1) << cli.out;
  EXPECT_TRUE(has(kinds(nlohmann::json::parse(cli.out)), "runtime_rejects")) << cli.out;
  q.output_scale = std::ldexp(1.0f, -20);
  const std::string ok = testing::write_temp("ok_m.tflite", build_quantized_layer_model(q));
  const auto k = run_cli({"verify", ok, "--runtime", "xnnpack-fp32", "--json"});
  EXPECT_FALSE(has(kinds(nlohmann::json::parse(k.out)), "runtime_rejects")) << k.out;
}

}  // namespace
}  // namespace quantcheck::model
