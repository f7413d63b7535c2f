// Adapter rows in the audit matrix: the real PyTorch row with its shrunk
// bias-saturation hazard, and broken adapters reported as error cells.
#include <gtest/gtest.h>

#include <cmath>

#include "adapter_test_support.hpp"
#include "quantcheck/adapter_audit.hpp"
#include "quantcheck/bias_error_plot.hpp"
#include "quantcheck/error.hpp"
#include "quantcheck/presets.hpp"

namespace quantcheck {
namespace {

using namespace std::chrono_literals;

AuditReport one_property(const char* name) {
  AuditReport r;
  r.properties = {&find_property(name)};
  return r;
}

TEST(AdapterAudit, PytorchRowsShowTheShrunkBiasSaturation) {
  QUANTCHECK_REQUIRE_TORCH();
  AuditReport r = run_audit({find_preset("pytorch-int8-symmetric")},
                            {&find_property("bias_no_saturation")}, RunConfig{});
  append_adapter_rows(r, {"pytorch"}, RunConfig{});
  ASSERT_EQ(r.policies.size(), 5u);  // the preset and four PyTorch modes
  EXPECT_EQ(r.policies[1], "pytorch:int8-channel");
  ASSERT_EQ(r.cells.size(), 5u);
  for (const AuditCell& c : r.cells) {
    SCOPED_TRACE(c.policy);
    EXPECT_TRUE(c.outcome.error.empty()) << c.outcome.error;
    EXPECT_TRUE(c.hazard()) << c.status();                // found, and PyTorch does not declare it
    EXPECT_EQ(c.outcome.counterexample.bias.size(), 1u);  // shrunk to one channel
    EXPECT_GT(c.outcome.shrinks, 0);
  }
  const std::string text = audit_text(r);
  EXPECT_NE(text.find("[hazard] pytorch:int8-channel / bias_no_saturation"), std::string::npos)
      << text;
  EXPECT_EQ(audit_json(r)["cells"].size(), 5u);
}

TEST(AdapterAudit, CrashingAdapterIsAnErrorCellWithTheCase) {
  const test::ChildWatch watch;
  AdapterOptions o;
  o.case_timeout = 2s;
  AuditReport r = one_property("zero_point_in_range");
  append_adapter_rows(r, {test::broken_adapter("crash-third")}, RunConfig{}, {}, o);
  ASSERT_EQ(r.cells.size(), 1u);
  const AuditCell& c = r.cells[0];
  EXPECT_STREQ(c.status(), "error");
  EXPECT_NE(c.outcome.error.find("died"), std::string::npos) << c.outcome.error;
  EXPECT_NE(c.outcome.error.find("killed by signal 11"), std::string::npos) << c.outcome.error;
  EXPECT_NE(c.outcome.error.find("case: {\"id\":3,"), std::string::npos) << c.outcome.error;
  EXPECT_EQ(r.errors(), 1);
  EXPECT_TRUE(watch.no_new_children());
}

TEST(AdapterAudit, HangingAdapterEndsInBoundedTime) {
  const test::ChildWatch watch;
  AdapterOptions o;
  o.case_timeout = 100ms;
  o.max_total_failures = 3;
  AuditReport r = one_property("zero_point_in_range");
  const auto start = std::chrono::steady_clock::now();
  append_adapter_rows(r, {test::broken_adapter("hang-third")}, RunConfig{}, {}, o);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
  ASSERT_EQ(r.cells.size(), 1u);
  EXPECT_NE(r.cells[0].outcome.error.find("timeout"), std::string::npos)
      << r.cells[0].outcome.error;
  EXPECT_TRUE(watch.no_new_children());
}

TEST(AdapterAudit, AdapterThatCannotStartIsOneErrorRow) {
  AuditReport r = one_property("zero_point_in_range");
  append_adapter_rows(r, {"/nonexistent/adapter"}, RunConfig{});
  ASSERT_EQ(r.policies.size(), 1u);
  EXPECT_NE(r.cells[0].outcome.error.find("exit status 127"), std::string::npos)
      << r.cells[0].outcome.error;
}

TEST(AdapterAudit, ReplayFindsAdapterModesAndPresets) {
  EXPECT_EQ(quantizer_for_replay("reference", {})->name(), "reference");
  EXPECT_THROW(quantizer_for_replay("nope", {test::broken_adapter("ok")}), UsageError);
  EXPECT_EQ(quantizer_for_replay("broken-ok:int8", {test::broken_adapter("ok")})->name(),
            "broken-ok:int8");
}

// --plot with --adapter: every adapter mode is a series beside the presets,
// and the real PyTorch curve shows the bias cliff (int32 saturation at tiny
// max|w|) that reference-int16's curve does not.
TEST(AdapterAudit, PlotDrawsAdapterModesBesideThePresets) {
  QUANTCHECK_REQUIRE_TORCH();
  const auto modes = adapter_quantizers({"pytorch"});
  ASSERT_EQ(modes.size(), 4u);
  std::vector<std::shared_ptr<const QuantizerUnderTest>> qs = {
      std::make_shared<PolicyQuantizer>(find_preset("reference-int16"))};
  qs.insert(qs.end(), modes.begin(), modes.end());
  const std::string svg = bias_error_plot_svg(qs, -1.2156529426574707f, 0.0001525924017187208f, 41);
  for (const auto& q : qs)
    EXPECT_NE(svg.find("data-policy=\"" + q->name() + "\""), std::string::npos) << q->name();

  double worst_pytorch = 0, worst_reference = 0;
  for (const PlotPoint& p :
       bias_error_curve(*modes[0], -1.2156529426574707f, 0.0001525924017187208f, 41))
    if (!std::isnan(p.relative_error)) worst_pytorch = std::max(worst_pytorch, p.relative_error);
  for (const PlotPoint& p :
       bias_error_curve(*qs[0], -1.2156529426574707f, 0.0001525924017187208f, 41))
    if (!std::isnan(p.relative_error))
      worst_reference = std::max(worst_reference, p.relative_error);
  EXPECT_GT(worst_pytorch, 0.5) << modes[0]->name() << " keeps the bias at every max|w|?";
  EXPECT_LT(worst_reference, 1e-3);
}

TEST(AdapterAudit, PlotRefusesAnAdapterThatDoesNotStart) {
  EXPECT_THROW(adapter_quantizers({"false"}), AdapterError);
}

}  // namespace
}  // namespace quantcheck
