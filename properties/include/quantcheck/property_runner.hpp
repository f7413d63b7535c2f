// Runs one property against one quantizer under RapidCheck and hands back
// what happened, including the shrunk counterexample as a Case (not just
// RapidCheck's printout), so tests and `quantcheck audit` can inspect it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <rapidcheck.h>

#include "quantcheck/properties.hpp"

namespace quantcheck {

struct RunConfig {
  std::uint64_t seed = 20240611;  // fixed: the same cases every run (RC_PARAMS overrides in ctest)
  int cases = 100;                // RapidCheck max_success
  int max_size = 100;             // RapidCheck max_size (kept <= 100)
  bool shrink = true;
};

struct PropertyOutcome {
  bool found = false;   // a counterexample was found
  int cases_run = 0;    // generated cases, up to and including the first failing one
  int rejected = 0;     // of those, cases the quantizer rejected with InputError
  int shrinks = 0;      // accepted shrink steps
  Case counterexample;  // the shrunk counterexample (when found)
  std::string message;  // the property's verdict on it
  std::string error;    // RapidCheck could not run the property (gave up, error)
};

// The generator a property is checked on, for a quantizer with this contract.
rc::Gen<Case> generator_for(const Property& p, const Contract& k);

PropertyOutcome run_property(const Property& p, const QuantizerUnderTest& q, const RunConfig& cfg);

// After shrinking: the counterexample with its weights scaled up (by a power
// of two, then by a float32 mantissa step) to the largest max|w| <= 1 that
// still fails property p, found by binary search over the exponent and then
// the mantissa, so a tiny-magnitude counterexample sits at its cliff. A case
// whose max|w| is 0 or >= 1 is returned as it is. steps (if given) gets the
// number of accepted moves. Every case returned fails p.
Case climb_to_cliff(const Property& p, const QuantizerUnderTest& q, const Case& c,
                    int* steps = nullptr);
// The same for any check (run_verdicts: the runtime properties too).
Case climb_to_cliff(const std::function<Verdict(const Case&)>& check, const Case& c,
                    int* steps = nullptr);

// The same with another generator (detection-power comparison).
PropertyOutcome run_property_with(const Property& p, const QuantizerUnderTest& q,
                                  const rc::Gen<Case>& cases, const RunConfig& cfg);

// The same for any check of a case (the runtime properties run through this).
PropertyOutcome run_verdicts(const std::string& id,
                             const std::function<Verdict(const Case&)>& check,
                             const rc::Gen<Case>& cases, const RunConfig& cfg);

// Loads RapidCheck's global configuration (RC_PARAMS) without the
// "Using configuration" line it prints on stderr; for tools that pass their
// own TestParams.
void load_rapidcheck_configuration_quietly();

}  // namespace quantcheck
