#include "quantcheck/adapter_audit.hpp"

#include <algorithm>

#include "quantcheck/bundled_adapters.hpp"
#include "quantcheck/error.hpp"
#include "quantcheck/external_quantizer.hpp"
#include "quantcheck/presets.hpp"

namespace quantcheck {
namespace {

// A row named after the command, for an adapter that never started.
void append_error_row(AuditReport& report, const std::string& command, const std::string& why) {
  const std::string name = "adapter '" + command + "'";
  report.policies.push_back(name);
  for (const Property* prop : report.properties) {
    AuditCell cell;
    cell.policy = name;
    cell.property = prop;
    cell.outcome.error = why;
    report.cells.push_back(std::move(cell));
  }
}

}  // namespace

void append_adapter_rows(AuditReport& report, const std::vector<std::string>& adapters,
                         const RunConfig& cfg, const std::function<void(int, int)>& progress,
                         const AdapterOptions& options) {
  // Within one property, three failures settle the cell (an error): do not
  // restart the adapter for every shrink step after that.
  AdapterOptions o = options;
  o.max_total_failures = std::min(o.max_total_failures, 3);
  int done = 0;
  for (const std::string& arg : adapters) {
    const std::string command = resolve_adapter_command(arg);
    std::shared_ptr<ExternalAdapter> adapter;
    try {
      adapter = std::make_shared<ExternalAdapter>(command, o);
    } catch (const AdapterError& e) {
      append_error_row(report, command, e.what());
      continue;
    }
    const auto quantizers = external_quantizers(adapter);
    const int total = static_cast<int>(quantizers.size() * report.properties.size());
    for (const auto& q : quantizers) {
      report.policies.push_back(q->name());
      for (const Property* prop : report.properties) {
        adapter->reset_failure_counts();
        const std::size_t before = adapter->incidents().size();
        AuditCell cell;
        cell.policy = q->name();
        cell.adapter = arg;
        cell.property = prop;
        cell.declared = is_declared(*prop, q->guarantees());
        cell.outcome = run_property(*prop, *q, cfg);
        const auto& incidents = adapter->incidents();
        if (incidents.size() > before) {
          // The adapter failed while this property ran: the verdict is about
          // the adapter, not the quantizer. Report its first failure and case.
          const AdapterIncident& first = incidents[before];
          cell.outcome.found = false;  // no counterexample of the quantizer's own
          cell.outcome.error = "adapter failure (" + std::to_string(incidents.size() - before) +
                               " during this property), first: " + to_string(first.kind) + ": " +
                               first.message +
                               (first.exit.empty() ? "" : " [process " + first.exit + "]") +
                               "; case: " + first.request;
        }
        report.cells.push_back(std::move(cell));
        if (progress) progress(++done, total);
      }
    }
  }
}

std::vector<std::shared_ptr<const QuantizerUnderTest>> adapter_quantizers(
    const std::vector<std::string>& adapters, const AdapterOptions& options) {
  std::vector<std::shared_ptr<const QuantizerUnderTest>> out;
  for (const std::string& arg : adapters) {
    auto adapter = std::make_shared<ExternalAdapter>(resolve_adapter_command(arg), options);
    for (auto& q : external_quantizers(adapter)) out.push_back(std::move(q));
  }
  return out;
}

std::shared_ptr<const QuantizerUnderTest> quantizer_for_replay(
    const std::string& name, const std::vector<std::string>& adapters,
    const AdapterOptions& options) {
  std::string known;
  for (const std::string& arg : adapters) {
    auto adapter = std::make_shared<ExternalAdapter>(resolve_adapter_command(arg), options);
    for (auto& q : external_quantizers(adapter)) {
      if (q->name() == name) return std::shared_ptr<const QuantizerUnderTest>(std::move(q));
      known += (known.empty() ? "" : ", ") + q->name();
    }
  }
  try {
    return std::make_shared<PolicyQuantizer>(find_preset(name));
  } catch (const UsageError& e) {
    if (known.empty()) throw;
    throw UsageError(std::string(e.what()) + "; adapter modes: " + known);
  }
}

}  // namespace quantcheck
