// run_property: rc::detail::checkTestable with explicit TestParams and a
// silent listener. The last failing case the testable sees is the shrunk
// counterexample: RapidCheck only accepts a shrink that still fails, and stops
// when no smaller case fails.
#include "quantcheck/property_runner.hpp"

#include <algorithm>
#include <iostream>
#include <sstream>

#include "quantcheck/generators.hpp"

namespace quantcheck {
namespace {

class QuietListener : public rc::detail::TestListener {
 public:
  int accepted_shrinks = 0;
  void onTestCaseFinished(const rc::detail::CaseDescription&) override {}
  void onShrinkTried(const rc::detail::CaseDescription&, bool accepted) override {
    if (accepted) ++accepted_shrinks;
  }
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}
};

}  // namespace

rc::Gen<Case> generator_for(const Property& p, const Contract& k) {
  gen::CaseOptions o;
  o.input_scale_floor = k.scale_floor;
  return p.input == PropertyInput::non_finite ? gen::non_finite_case(o) : gen::adversarial_case(o);
}

void load_rapidcheck_configuration_quietly() {
  std::ostringstream sink;
  std::streambuf* old = std::cerr.rdbuf(sink.rdbuf());
  try {
    (void)rc::detail::configuration();
  } catch (...) {
    std::cerr.rdbuf(old);
    throw;
  }
  std::cerr.rdbuf(old);
}

PropertyOutcome run_property(const Property& p, const QuantizerUnderTest& q, const RunConfig& cfg) {
  return run_property_with(p, q, generator_for(p, q.contract()), cfg);
}

PropertyOutcome run_property_with(const Property& p, const QuantizerUnderTest& q,
                                  const rc::Gen<Case>& cases, const RunConfig& cfg) {
  return run_verdicts(
      std::string(p.name) + "/" + q.name(), [&](const Case& c) { return p.check(q, c); }, cases,
      cfg);
}

PropertyOutcome run_verdicts(const std::string& id,
                             const std::function<Verdict(const Case&)>& check,
                             const rc::Gen<Case>& cases, const RunConfig& cfg) {
  PropertyOutcome out;
  bool failing_seen = false;
  int rejected = 0;
  auto testable = [&] {
    const Case c = *cases;
    const Verdict v = check(c);
    if (v.kind == Verdict::Kind::rejected && !failing_seen) ++rejected;
    if (v.failed()) {
      failing_seen = true;
      out.counterexample = c;
      out.message = v.message;
      RC_FAIL(v.message);
    }
  };
  rc::detail::TestParams params;
  params.seed = cfg.seed;
  params.maxSuccess = std::max(1, cfg.cases);
  params.maxSize = std::clamp(cfg.max_size, 0, 100);
  params.disableShrinking = !cfg.shrink;
  rc::detail::TestMetadata metadata;
  metadata.id = id;
  metadata.description = metadata.id;
  QuietListener listener;
  const rc::detail::TestResult result =
      rc::detail::checkTestable(testable, metadata, params, listener);
  out.shrinks = listener.accepted_shrinks;
  out.rejected = rejected;
  rc::detail::FailureResult failure;
  rc::detail::SuccessResult success;
  rc::detail::GaveUpResult gave_up;
  rc::detail::Error error;
  if (result.match(failure)) {
    out.found = true;
    out.cases_run = failure.numSuccess + 1;
  } else if (result.match(success)) {
    out.cases_run = success.numSuccess;
  } else if (result.match(gave_up)) {
    out.error = "RapidCheck gave up: " + gave_up.description;
  } else if (result.match(error)) {
    out.error = "RapidCheck error: " + error.description;
  }
  return out;
}

}  // namespace quantcheck
