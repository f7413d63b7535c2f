// `quantcheck audit`'s engine: every property against every chosen policy,
// and the report as a text table, markdown or JSON. A cell is
//   holds   the property held on every generated case,
//   FAIL    it failed and the policy declares the guarantee it checks,
//   hazard  it failed but the policy does not declare that guarantee
//           (reported, not a failure of the audit).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "quantcheck/policy.hpp"
#include "quantcheck/property_runner.hpp"

namespace quantcheck {

struct AuditCell {
  std::string policy;
  std::string adapter;  // the --adapter argument whose mode this row is; empty for a preset
  const Property* property = nullptr;
  bool declared = false;
  PropertyOutcome outcome;

  bool failed() const { return declared && outcome.found; }
  bool hazard() const { return !declared && outcome.found; }
  const char* status() const;  // "holds", "FAIL", "hazard", "error"
};

struct AuditReport {
  RunConfig config;
  std::vector<std::string> policies;
  std::vector<const Property*> properties;
  std::vector<AuditCell> cells;  // policy-major
  int failures() const;
  int hazards() const;
  int errors() const;
};

// progress(done, total) is called after each cell.
AuditReport run_audit(const std::vector<Policy>& policies,
                      const std::vector<const Property*>& props, const RunConfig& cfg,
                      const std::function<void(int, int)>& progress = {});

std::string audit_text(const AuditReport& r);
std::string audit_markdown(const AuditReport& r);
nlohmann::json audit_json(const AuditReport& r);

// The one-line command that replays a cell's counterexample.
std::string replay_command(const AuditCell& cell);

}  // namespace quantcheck
