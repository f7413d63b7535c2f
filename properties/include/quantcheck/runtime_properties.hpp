// The runtime properties: checks over a (quantizer, runtime profile) pair on
// a small real layer built around each generated case (layer_case.hpp).
// They are catalogue entries like the others (same Property struct, name,
// statement, guarantee "runtime_layer"), run under the same RapidCheck
// runner, audited and replayed with a runtime (`--runtime NAME`).
// docs/runtimes.md states each one and derives its bounds.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "quantcheck/property_runner.hpp"
#include "quantcheck/runtime/profile.hpp"

namespace quantcheck {

using RuntimeCheck = Verdict (*)(const QuantizerUnderTest&, const RuntimeProfile&, const Case&);

// multiplier_representable, accumulator_no_overflow, requantization_exact,
// output_error_bound. Each entry's `check` runs it on the quantizer's first
// natural runtime (profiles.hpp), so a plain run_property works too.
const std::vector<Property>& runtime_properties();

// The pair check of a runtime property; nullptr for a quantizer property.
RuntimeCheck runtime_check_of(const Property& p);
inline bool is_runtime_property(const Property& p) { return runtime_check_of(p) != nullptr; }

// The profile has a datapath for the quantizer's types (else the pair is not audited).
bool runtime_supports(const RuntimeProfile& r, const Contract& k);

// Whether the pair is held to the property: the quantizer declares every
// quantizer guarantee (as `reference` does) and the profile can hold the
// property for its types: accumulator_no_overflow needs an accumulator at
// least as wide as the bias type and no int16 pair saturation on the path.
bool runtime_declared(const Property& p, const Contract& k, const RuntimeProfile& r);

// The runtimes a quantizer is audited against by default (natural_runtimes of
// the preset of that name; tflite-reference for other quantizers).
std::vector<std::string> default_runtimes_for(const QuantizerUnderTest& q);

PropertyOutcome run_runtime_property(const Property& p, const QuantizerUnderTest& q,
                                     const RuntimeProfile& r, const RunConfig& cfg);

// How much a case hurts on a runtime: the largest |deq(y_q) - y_float| over
// the probe inputs, in output LSBs (output steps s_out). nullopt when the
// case gives no layer (rejected, or no output scale).
std::optional<double> severity_lsb(const QuantizerUnderTest& q, const RuntimeProfile& r,
                                   const Case& c);

// Counts of the last requantization_exact check (for the benchmark).
std::int64_t requantization_values_checked();

}  // namespace quantcheck
