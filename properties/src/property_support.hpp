// Private helpers of the property checks: run the quantizer under test with
// its exceptions mapped to verdicts, and read its result per channel.
#pragma once

#include <optional>
#include <sstream>
#include <string>

#include "quantcheck/error.hpp"
#include "quantcheck/properties.hpp"

namespace quantcheck::check {

struct Run {
  Result result;
  std::optional<Verdict> stop;  // set when there is no result to check
};

// Quantizes c; an InputError becomes `rejected`, any other exception or a
// result of the wrong shape a failure.
inline Run run(const QuantizerUnderTest& q, const Case& c, const Contract& k) {
  Run out;
  try {
    out.result = q.quantize(c);
  } catch (const InputError& e) {
    out.stop = Verdict::reject(e.what());
    return out;
  } catch (const std::exception& e) {
    out.stop = Verdict::fail(std::string("threw an exception other than InputError: ") + e.what());
    return out;
  }
  const Placement pl = placement_of(c);
  const std::size_t groups =
      k.granularity == Granularity::per_tensor ? 1 : static_cast<std::size_t>(pl.channels);
  const Result& r = out.result;
  std::ostringstream m;
  if (r.weights.channels.size() != groups)
    m << "result has " << r.weights.channels.size() << " weight scales for " << groups
      << " channels";
  else if (r.weights.q.size() != c.weights.size())
    m << "result has " << r.weights.q.size() << " weights for " << c.weights.size();
  else if (r.bias.q.size() != c.bias.size() || r.bias.scale.size() != c.bias.size())
    m << "result has " << r.bias.q.size() << " biases / " << r.bias.scale.size()
      << " bias scales for " << c.bias.size();
  if (!m.str().empty()) out.stop = Verdict::fail("malformed result: " + m.str());
  return out;
}

// The common shape of a property: quantize c, stop on a rejection or a
// malformed result, else check(contract, result).
template <typename Check>
Verdict with_result(const QuantizerUnderTest& q, const Case& c, Check check) {
  const Contract k = q.contract();
  Run r = run(q, c, k);
  if (r.stop) return *r.stop;
  return check(k, r.result);
}

// The parameters that quantize output channel ch.
inline const ChannelParams& params_of(const Result& r, std::int64_t ch) {
  return r.weights.channels.size() == 1 ? r.weights.channels[0]
                                        : r.weights.channels[static_cast<std::size_t>(ch)];
}

// The bias scale a runtime uses: float32(s_in * s_w[ch]).
inline float bias_scale_of(const Case& c, const Result& r, std::int64_t ch) {
  return c.input_scale * params_of(r, ch).scale;
}

inline bool positive_finite(float s) { return s > 0 && std::isfinite(s); }

inline std::string channel_prefix(std::int64_t ch) {
  return "channel " + std::to_string(ch) + ": ";
}

}  // namespace quantcheck::check
