// The runtime properties over (policy, runtime) pairs: `reference` holds them
// on every profile that can hold them; the section-8 bugs of RUNTIMES.md that
// a layer reaches show up with replayable cases; mutated profiles are caught.
#include <gtest/gtest.h>

#include <cmath>

#include "quantcheck/audit.hpp"
#include "quantcheck/presets.hpp"
#include "quantcheck/runtime/profiles.hpp"
#include "quantcheck/runtime_properties.hpp"
#include "rc_config.hpp"

namespace quantcheck {
namespace {

RunConfig quick(int cases) {
  RunConfig cfg = test::detection_config();
  cfg.cases = cases;
  return cfg;
}

Verdict check(const char* property, const Policy& p, const RuntimeProfile& r, const Case& c) {
  return runtime_check_of(find_property(property))(PolicyQuantizer(p), r, c);
}

// ONE #6970's case (tests/cli/cases/one_6970.json).
Case case_6970() {
  Case c;
  c.op = OpKind::fully_connected;
  c.input_scale = 0.0001525924017187208f;
  c.weight_shape = {1, 2};
  c.weights = {1.635772e-19f, -1e-20f};
  c.bias = {-1.2156529426574707f};
  return c;
}

// onnxruntime#16105: w = [-81, -80, 127] (s_w = 1 under reference: max|w| / 127).
Case case_16105() {
  Case c;
  c.op = OpKind::fully_connected;
  c.input_scale = 1.0f / 255;
  c.weight_shape = {1, 3};
  c.weights = {-81.0f, -80.0f, 127.0f};
  c.bias = {0.5f};
  return c;
}

TEST(RuntimeProperties, CatalogueHasTheFour) {
  std::vector<std::string> names;
  for (const Property& p : runtime_properties()) names.emplace_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"multiplier_representable", "accumulator_no_overflow",
                                             "requantization_exact", "output_error_bound"}));
  for (const Property& p : runtime_properties()) EXPECT_TRUE(is_runtime_property(p));
  EXPECT_FALSE(is_runtime_property(find_property("bias_round_trip")));
}

// The reference policies hold every runtime property they are held to, on
// every profile with a datapath for their types.
TEST(RuntimeProperties, ReferenceHoldsEveryDeclaredRuntimeProperty) {
  for (const char* name : {"reference", "reference-uint8", "reference-int16"}) {
    const Policy& p = find_preset(name);
    const PolicyQuantizer q(p);
    for (const RuntimeProfile& r : runtime_profiles()) {
      if (!runtime_supports(r, q.contract())) continue;
      for (const Property& prop : runtime_properties()) {
        if (!runtime_declared(prop, q.contract(), r)) continue;
        const PropertyOutcome o = run_runtime_property(prop, q, r, quick(40));
        EXPECT_TRUE(o.error.empty()) << o.error;
        EXPECT_FALSE(o.found) << name << " @ " << r.name << " / " << prop.name << ": " << o.message;
      }
    }
  }
}

// ONE #6970 through luci-interpreter: the bias is lost; the harm is about
// |b| / s_out = 32767 output LSBs (s_out = |b| / 32767 from the output range).
TEST(RuntimeProperties, One6970IsAnOutputErrorOfThousandsOfLsb) {
  const Policy& p = find_preset("luci-int16-2021");
  const RuntimeProfile& luci = find_runtime("luci-interpreter");
  EXPECT_TRUE(check("output_error_bound", p, luci, case_6970()).failed());
  const std::optional<double> harm = severity_lsb(PolicyQuantizer(p), luci, case_6970());
  ASSERT_TRUE(harm.has_value());
  EXPECT_GT(*harm, 30000.0);
  EXPECT_LT(*harm, 33000.0);
  // The current luci policy (scale floor 1e-8) keeps the bias: within 1 LSB or so.
  const std::optional<double> fixed =
      severity_lsb(PolicyQuantizer(find_preset("luci-int16")), luci, case_6970());
  ASSERT_TRUE(fixed.has_value());
  EXPECT_LT(*fixed, 2.0);
}

// onnxruntime#16105: the u8s8 pair sum saturates on AVX2 without VNNI only.
TEST(RuntimeProperties, OrtPairSaturationIsAnAccumulatorOverflow) {
  const Policy& p = find_preset("reference");
  const Verdict bad =
      check("accumulator_no_overflow", p, find_runtime("onnxruntime-mlas-avx2"), case_16105());
  EXPECT_TRUE(bad.failed());
  EXPECT_NE(bad.message.find("pair sum saturated"), std::string::npos) << bad.message;
  EXPECT_NE(bad.message.find("input ["), std::string::npos);
  EXPECT_FALSE(
      check("accumulator_no_overflow", p, find_runtime("onnxruntime-mlas"), case_16105()).failed());
  EXPECT_FALSE(runtime_declared(find_property("accumulator_no_overflow"), contract_of(p),
                                find_runtime("onnxruntime-mlas-avx2")));
}

// tensorflow#53763 / tflite-micro #3597: a 16x8 layer whose int32 fallback
// accumulator overflows, found by the generator; the int64 profile holds.
// Also catches the mutation "int32 accumulator for tflite-16x8".
TEST(RuntimeProperties, Int32AccumulatorFor16x8IsCaught) {
  const PolicyQuantizer q(find_preset("tflite-int16x8"));
  const Property& prop = find_property("accumulator_no_overflow");
  const PropertyOutcome narrow =
      run_runtime_property(prop, q, find_runtime("tflite-16x8-int32-acc"), quick(100));
  EXPECT_TRUE(narrow.found);
  RuntimeProfile mutated = find_runtime("tflite-16x8");
  mutated.sixteen_bit.accumulator = AccumulatorType::int32;
  EXPECT_TRUE(run_runtime_property(prop, q, mutated, quick(100)).found);
  // A replay of the counterexample fails again.
  EXPECT_TRUE(
      runtime_check_of(prop)(q, find_runtime("tflite-16x8-int32-acc"), narrow.counterexample)
          .failed());
}

// The tiny-multiplier flush on the int64 path (the audit's counterexample for
// reference-int16 @ luci-interpreter): a bias-dominated layer, M = 7.8e-11 <
// 2^-32, |acc| M = 32767. The mutation "missing flush" (knob off) makes all
// three properties hold.
TEST(RuntimeProperties, FlushOnTheInt64PathIsCaughtAndItsMutationToo) {
  Case c;
  c.op = OpKind::conv2d;
  c.input_scale = 9.99999993922529e-09f;
  c.weight_shape = {1, 1, 1, 1};
  c.weights = {0.0078125f};
  c.bias = {1.0f};
  const Policy& p = find_preset("reference-int16");
  const RuntimeProfile& r = find_runtime("luci-interpreter");
  const Verdict m = check("multiplier_representable", p, r, c);
  EXPECT_TRUE(m.failed());
  EXPECT_NE(m.message.find("flushed"), std::string::npos) << m.message;
  EXPECT_TRUE(check("requantization_exact", p, r, c).failed());
  EXPECT_TRUE(check("output_error_bound", p, r, c).failed());
  RuntimeProfile unflushed = r;
  unflushed.sixteen_bit.flush_tiny_multiplier = false;
  EXPECT_FALSE(check("multiplier_representable", p, unflushed, c).failed());
  EXPECT_FALSE(check("requantization_exact", p, unflushed, c).failed());
  EXPECT_FALSE(check("output_error_bound", p, unflushed, c).failed());
}

// A policy that loses the bias fails output_error_bound where reference holds.
class BiasLoser : public QuantizerUnderTest {
 public:
  Contract contract() const override { return contract_of(find_preset("reference")); }
  std::string name() const override { return "reference-losing-bias"; }
  Result quantize(const Case& c) const override {
    Result r = quantcheck::quantize(find_preset("reference"), c);
    for (auto& b : r.bias.q) b = 0;
    return r;
  }
};

TEST(RuntimeProperties, OutputBoundCatchesALostBias) {
  Case c;
  c.op = OpKind::conv2d;
  c.input_scale = 0.02f;
  c.weight_shape = {2, 2, 2, 1};
  c.weights = {0.5f, -0.25f, 0.125f, 0.3f, -0.7f, 0.2f, 0.1f, 0.05f};
  c.bias = {0.4f, -0.6f};
  const RuntimeProfile& r = find_runtime("tflite-x86");
  const RuntimeCheck f = runtime_check_of(find_property("output_error_bound"));
  EXPECT_FALSE(f(PolicyQuantizer(find_preset("reference")), r, c).failed());
  const Verdict lost = f(BiasLoser(), r, c);
  EXPECT_TRUE(lost.failed());
  EXPECT_NE(lost.message.find("LSB"), std::string::npos);
}

// The audit: runtime rows, harm ratings, the replay command with --runtime.
TEST(RuntimeProperties, AuditRowsAndHarm) {
  std::vector<const Property*> props;
  for (const Property& p : runtime_properties()) props.push_back(&p);
  const std::vector<Policy> policies = {find_preset("luci-int16-2021")};
  AuditReport r;
  r.config = quick(60);
  append_runtime_rows(r, policies, props, {}, quick(60));
  rate_severity(r, policies);
  ASSERT_EQ(r.runtime_rows.size(), 1u);
  EXPECT_EQ(r.runtime_rows[0].second, "luci-interpreter");
  bool rated = false;
  for (const AuditCell& c : r.runtime_cells) {
    if (!c.hazard()) continue;
    EXPECT_NE(replay_command(c).find("--runtime luci-interpreter"), std::string::npos);
    rated = rated || c.severity_lsb.has_value();
  }
  EXPECT_TRUE(rated);
  EXPECT_NE(audit_text(r).find("worst harm first"), std::string::npos);
}

}  // namespace
}  // namespace quantcheck
