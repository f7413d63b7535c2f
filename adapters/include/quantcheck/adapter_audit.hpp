// External adapters in `quantcheck audit`: one row of the matrix per mode an
// adapter offers, filled by the same property runner as the preset rows, so
// the text, markdown and JSON outputs show them side by side. A protocol
// failure during a property (crash, hang, bad JSON) makes that cell an error
// naming the adapter's report and the case, not a counterexample.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "quantcheck/audit.hpp"
#include "quantcheck/external_adapter.hpp"
#include "quantcheck/quantizer_under_test.hpp"

namespace quantcheck {

// Appends the rows of each adapter (a bundled name such as "pytorch", or a
// command line) to report, for report.properties, with cfg. An adapter that
// cannot start gets one row whose cells are errors carrying the reason.
// progress(done, total) counts these rows' cells. After three adapter
// failures within one property the adapter is not restarted for that property.
void append_adapter_rows(AuditReport& report, const std::vector<std::string>& adapters,
                         const RunConfig& cfg, const std::function<void(int, int)>& progress = {},
                         const AdapterOptions& options = {});

// Every mode of every adapter (bundled names or commands), each its own
// quantizer, for `quantcheck audit --plot`. Throws AdapterError when one
// cannot start.
std::vector<std::shared_ptr<const QuantizerUnderTest>> adapter_quantizers(
    const std::vector<std::string>& adapters, const AdapterOptions& options = {});

// The quantizer named `name` for `quantcheck audit --replay`: a preset, or a
// mode of one of the adapters ("pytorch:int8-channel"). Throws UsageError
// naming what exists.
std::shared_ptr<const QuantizerUnderTest> quantizer_for_replay(
    const std::string& name, const std::vector<std::string>& adapters,
    const AdapterOptions& options = {});

}  // namespace quantcheck
