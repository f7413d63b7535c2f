// run_property: rc::detail::checkTestable with explicit TestParams and a
// silent listener. The last failing case the testable sees is the shrunk
// counterexample: RapidCheck only accepts a shrink that still fails, and stops
// when no smaller case fails. Its shrinks move one choice at a time, so a
// tiny magnitude can stop binades below the cliff (luci-int16-2021 stopped
// at max|w| = 2^-49 with the cliff between 2^-42 and 2^-41): climb_to_cliff
// then searches the failing magnitude upward.
#include "quantcheck/property_runner.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <iostream>
#include <optional>
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

// The case with every weight multiplied by factor (in double, rounded to
// float32), or nullopt when a weight would leave the finite floats.
std::optional<Case> scaled(const Case& c, double factor) {
  Case out = c;
  for (float& w : out.weights) {
    const double v = double(w) * factor;
    if (!(std::fabs(v) <= double(FLT_MAX))) return std::nullopt;
    w = static_cast<float>(v);
  }
  return out;
}

float max_abs_weight(const Case& c) {
  float m = 0;
  for (float w : c.weights) m = std::max(m, std::fabs(w));
  return m;
}

}  // namespace

Case climb_to_cliff(const Property& p, const QuantizerUnderTest& q, const Case& c, int* steps) {
  return climb_to_cliff([&](const Case& k) { return p.check(q, k); }, c, steps);
}

Case climb_to_cliff(const std::function<Verdict(const Case&)>& check, const Case& c, int* steps) {
  const float m = max_abs_weight(c);
  // Only a counterexample below the shrink target (magnitude 1) is climbed:
  // its smallness is what RapidCheck may have left too far from the cliff.
  if (!(m > 0) || !(m < 1.0f)) return c;
  auto fails = [&](const Case& k) { return check(k).failed(); };
  Case best = c;
  int accepted = 0;
  // 1. The exponent: the largest k with max|w| * 2^k <= 1 that still fails,
  // by galloping (1, 2, 4, ...) then bisecting between a failing and a
  // holding exponent. Power-of-two scaling keeps every weight's mantissa
  // (exact unless a weight is subnormal).
  int top = 0;  // largest k with m * 2^k <= 1
  while (top < 300 && std::ldexp(double(m), top + 1) <= 1.0) ++top;
  int lo = 0, hi = top + 1;  // lo fails; hi holds or is out of bounds
  for (int step = 1; lo + step <= top; step *= 2) {
    const auto k = scaled(c, std::ldexp(1.0, lo + step));
    if (!k || !fails(*k)) {
      hi = lo + step;
      break;
    }
    lo += step;
    best = *k;
    ++accepted;
  }
  while (hi - lo > 1) {
    const int mid = lo + (hi - lo) / 2;
    const auto k = scaled(c, std::ldexp(1.0, mid));
    if (k && fails(*k)) {
      lo = mid;
      best = *k;
      ++accepted;
    } else {
      hi = mid;
    }
  }
  // 2. The mantissa: the largest float32 max|w| in [M, 2M) (M = max|w| of
  // best, kept <= 1) that still fails, bisecting over its bit patterns; the
  // other weights are scaled by the same factor.
  const float base = max_abs_weight(best);
  auto bits = [](float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
  };
  auto value = [](std::uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  };
  const float ceiling = std::min(1.0f, static_cast<float>(2.0 * double(base)));
  std::uint32_t good = bits(base), bad = bits(ceiling) + (ceiling == 1.0f ? 1 : 0);
  const Case at_base = best;
  while (bad - good > 1) {
    const std::uint32_t mid = good + (bad - good) / 2;
    const auto k = scaled(at_base, double(value(mid)) / double(base));
    if (k && fails(*k)) {
      good = mid;
      best = *k;
      ++accepted;
    } else {
      bad = mid;
    }
  }
  if (steps) *steps = accepted;
  return best;
}

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
    if (cfg.shrink) {
      int climbed = 0;
      out.counterexample = climb_to_cliff(check, out.counterexample, &climbed);
      if (climbed > 0) {
        out.shrinks += climbed;
        out.message = check(out.counterexample).message;
      }
    }
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
