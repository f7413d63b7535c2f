// `quantcheck audit`'s engine: every property against every chosen policy,
// and the report as a text table, markdown or JSON. A cell is
//   holds   the property held on every generated case,
//   FAIL    it failed and the policy declares the guarantee it checks,
//   hazard  it failed but the policy does not declare that guarantee
//           (reported, not a failure of the audit).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "quantcheck/policy.hpp"
#include "quantcheck/property_runner.hpp"

namespace quantcheck {

struct AuditCell {
  std::string policy;
  std::string adapter;  // the --adapter argument whose mode this row is; empty for a preset
  std::string runtime;  // the runtime profile of a runtime property's cell; empty otherwise
  // The harm of a counterexample: its largest output error on the runtime
  // (the pair's, or the policy's first natural runtime), in output LSBs.
  std::optional<double> severity_lsb;
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
  // The runtime properties over (policy, runtime) rows, row-major.
  std::vector<const Property*> runtime_properties;
  std::vector<std::pair<std::string, std::string>> runtime_rows;  // (policy, runtime)
  std::vector<AuditCell> runtime_cells;
  int failures() const;
  int hazards() const;
  int errors() const;
};

// progress(done, total) is called after each cell.
AuditReport run_audit(const std::vector<Policy>& policies,
                      const std::vector<const Property*>& props, const RunConfig& cfg,
                      const std::function<void(int, int)>& progress = {});

// Appends the runtime properties (props) over (policy, runtime) rows: each
// policy with every runtime named in `runtimes`, or with its natural runtimes
// (profiles.hpp) when it is empty. Pairs without a datapath for the
// policy's types are skipped.
void append_runtime_rows(AuditReport& r, const std::vector<Policy>& policies,
                         const std::vector<const Property*>& props,
                         const std::vector<std::string>& runtimes, const RunConfig& cfg,
                         const std::function<void(int, int)>& progress = {});

// Rates every failure and hazard of the preset rows in output LSBs
// (severity_lsb): a runtime cell on its runtime, a quantizer cell on the
// policy's first natural runtime. Cells of adapters stay unrated.
void rate_severity(AuditReport& r, const std::vector<Policy>& policies);

std::string audit_text(const AuditReport& r);
std::string audit_markdown(const AuditReport& r);
nlohmann::json audit_json(const AuditReport& r);

// The one-line command that replays a cell's counterexample.
std::string replay_command(const AuditCell& cell);

}  // namespace quantcheck
