// The audit engine: a policy that claims what it does not deliver is a FAIL
// (the CLI's exit 1) with a replayable counterexample; the shipped presets
// meet what they declare.
#include <gtest/gtest.h>

#include "quantcheck/audit.hpp"
#include "quantcheck/case_json.hpp"
#include "quantcheck/presets.hpp"
#include "rc_config.hpp"

namespace quantcheck {
namespace {

std::vector<const Property*> all_properties() {
  std::vector<const Property*> v;
  for (const Property& p : properties()) v.push_back(&p);
  return v;
}

TEST(Audit, a_false_claim_is_a_failure_with_a_replayable_case) {
  Policy liar = find_preset("luci-int16-2021");
  liar.name = "luci-int16-2021-claiming-everything";
  liar.guarantees = {true, true, true, true, true, true};
  const AuditReport r =
      run_audit({liar}, {&find_property("bias_no_saturation")}, test::detection_config());
  ASSERT_EQ(r.cells.size(), 1u);
  const AuditCell& cell = r.cells[0];
  EXPECT_TRUE(cell.failed());
  EXPECT_EQ(r.failures(), 1);
  EXPECT_NE(audit_text(r).find("[FAIL] luci-int16-2021-claiming-everything / bias_no_saturation"),
            std::string::npos);
  EXPECT_NE(audit_markdown(r).find("**FAIL**"), std::string::npos);
  EXPECT_EQ(audit_json(r)["failures"], 1);
  // The replay command carries the case exactly.
  const std::string cmd = replay_command(cell);
  const auto open = cmd.find('\''), close = cmd.rfind('\'');
  const Case back = case_from_json(nlohmann::json::parse(cmd.substr(open + 1, close - open - 1)));
  EXPECT_EQ(case_to_json(back), case_to_json(cell.outcome.counterexample));
  EXPECT_TRUE(find_property("bias_no_saturation").check(PolicyQuantizer(liar), back).failed());
}

TEST(Audit, shipped_presets_meet_what_they_declare) {
  const AuditReport r = run_audit(presets(), all_properties(), test::detection_config());
  EXPECT_EQ(r.failures(), 0) << audit_text(r);
  EXPECT_EQ(r.errors(), 0);
  EXPECT_GT(r.hazards(), 0);  // and the hazards are reported
  for (const AuditCell& c : r.cells) {
    if (c.policy.rfind("reference", 0) == 0) {
      EXPECT_STREQ(c.status(), "holds") << c.policy;
    }
  }
}

}  // namespace
}  // namespace quantcheck
