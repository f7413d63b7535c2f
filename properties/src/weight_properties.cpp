// Properties of the weight scales, zero points and integers.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <numeric>

#include "checks.hpp"
#include "property_support.hpp"

namespace quantcheck::check {

Verdict scales_valid(const QuantizerUnderTest& q, const Case& c) {
  return with_result(q, c, [&](const Contract& k, const Result& r) {
    for (std::size_t g = 0; g < r.weights.channels.size(); ++g) {
      const float s = r.weights.channels[g].scale;
      if (!std::isfinite(s) || !(s >= FLT_MIN))
        return Verdict::fail(channel_prefix(static_cast<std::int64_t>(g)) + "weight scale " +
                             exact(s) + " is not a finite normal float");
      if (s < k.scale_floor)
        return Verdict::fail(channel_prefix(static_cast<std::int64_t>(g)) + "weight scale " +
                             exact(s) + " is below the declared floor " + exact(k.scale_floor));
    }
    for (std::size_t ch = 0; ch < c.bias.size(); ++ch) {
      const float s_b = r.bias.scale[ch];
      if (!std::isfinite(s_b) || !(s_b >= FLT_MIN))
        return Verdict::fail(channel_prefix(static_cast<std::int64_t>(ch)) + "bias scale " +
                             exact(s_b) + " is not a finite normal float");
    }
    return Verdict::ok();
  });
}

Verdict zero_point_in_range(const QuantizerUnderTest& q, const Case& c) {
  return with_result(q, c, [&](const Contract& k, const Result& r) {
    for (std::size_t g = 0; g < r.weights.channels.size(); ++g) {
      const std::int32_t zp = r.weights.channels[g].zero_point;
      const auto ch = static_cast<std::int64_t>(g);
      if (k.scheme == Scheme::symmetric && zp != 0)
        return Verdict::fail(channel_prefix(ch) + "symmetric zero point is " + std::to_string(zp));
      if (zp < k.qmin || zp > k.qmax)
        return Verdict::fail(channel_prefix(ch) + "zero point " + std::to_string(zp) +
                             " outside [" + std::to_string(k.qmin) + ", " + std::to_string(k.qmax) +
                             "]");
    }
    return Verdict::ok();
  });
}

Verdict zero_exact(const QuantizerUnderTest& q, const Case& c) {
  return with_result(q, c, [&](const Contract&, const Result& r) {
    const Placement pl = placement_of(c);
    for (std::size_t i = 0; i < c.weights.size(); ++i) {
      if (c.weights[i] != 0) continue;
      const auto ch = pl.channel_of(static_cast<std::int64_t>(i));
      const std::int32_t zp = params_of(r, ch).zero_point;
      if (r.weights.q[i] != zp)
        return Verdict::fail(channel_prefix(ch) + "weights[" + std::to_string(i) +
                             "] = " + exact(c.weights[i]) + " quantized to " +
                             std::to_string(r.weights.q[i]) + ", not the zero point " +
                             std::to_string(zp));
    }
    return Verdict::ok();
  });
}

Verdict weight_round_trip(const QuantizerUnderTest& q, const Case& c) {
  return with_result(q, c, [&](const Contract& k, const Result& r) {
    const Placement pl = placement_of(c);
    for (std::size_t i = 0; i < c.weights.size(); ++i) {
      const auto ch = pl.channel_of(static_cast<std::int64_t>(i));
      const ChannelParams& cp = params_of(r, ch);
      const float x = c.weights[i];
      const std::int32_t qi = r.weights.q[i];
      const std::string where = channel_prefix(ch) + "weights[" + std::to_string(i) +
                                "] = " + exact(x) + " at scale " + exact(cp.scale) +
                                ", zero point " + std::to_string(cp.zero_point) + ": ";
      if (qi < k.qmin || qi > k.qmax)
        return Verdict::fail(where + "q = " + std::to_string(qi) + " outside the integer range");
      if (!positive_finite(cp.scale)) {
        if (x == 0 && qi == cp.zero_point) continue;
        return Verdict::fail(
            where + "q = " + std::to_string(qi) +
            ", but the scale is not a positive finite float: no value but 0 can be "
            "within half a step");
      }
      // The nudged range: exact in double (a 17-bit integer times a float).
      const double nmin = (double(k.qmin) - cp.zero_point) * double(cp.scale);
      const double nmax = (double(k.qmax) - cp.zero_point) * double(cp.scale);
      if (double(x) < nmin) {
        if (qi != k.qmin)
          return Verdict::fail(where + "below the nudged range but q = " + std::to_string(qi));
        continue;
      }
      if (double(x) > nmax) {
        if (qi != k.qmax)
          return Verdict::fail(where + "above the nudged range but q = " + std::to_string(qi));
        continue;
      }
      if (!within_half_step_of(std::int64_t{qi} - cp.zero_point, x, cp.scale)) {
        // By how much: the error in steps, against the bound of 1/2 (double
        // is enough to show it; the verdict above is exact).
        const double deq = (double(qi) - cp.zero_point) * double(cp.scale);
        const double steps = std::fabs(deq - double(x)) / double(cp.scale);
        return Verdict::fail(where + "q = " + std::to_string(qi) + " dequantizes to " + exact(deq) +
                             ", " + exact(steps) + " steps away (bound 0.5, exceeded by " +
                             exact(steps - 0.5) + " steps)");
      }
    }
    return Verdict::ok();
  });
}

Verdict weight_idempotent(const QuantizerUnderTest& q, const Case& c) {
  const Contract k = q.contract();
  Run first = run(q, c, k);
  if (first.stop) return *first.stop;
  const Result& r = first.result;
  const Placement pl = placement_of(c);
  // Each channel keeps its smallest and largest weight, so its range (and so
  // its scale and zero point) cannot move; every other weight becomes its
  // dequantized value, kept inside [min, max].
  std::vector<float> lo(static_cast<std::size_t>(pl.channels), INFINITY);
  std::vector<float> hi(static_cast<std::size_t>(pl.channels), -INFINITY);
  std::vector<std::size_t> lo_at(lo.size()), hi_at(lo.size());
  for (std::size_t i = 0; i < c.weights.size(); ++i) {
    const auto ch = static_cast<std::size_t>(pl.channel_of(static_cast<std::int64_t>(i)));
    if (c.weights[i] < lo[ch]) lo[ch] = c.weights[i], lo_at[ch] = i;
    if (c.weights[i] > hi[ch]) hi[ch] = c.weights[i], hi_at[ch] = i;
  }
  Case again = c;
  for (std::size_t i = 0; i < c.weights.size(); ++i) {
    const auto ch = static_cast<std::size_t>(pl.channel_of(static_cast<std::int64_t>(i)));
    if (i == lo_at[ch] || i == hi_at[ch]) continue;
    const ChannelParams& cp = params_of(r, static_cast<std::int64_t>(ch));
    if (!positive_finite(cp.scale)) return Verdict::ok();  // no grid (scales_valid's failure)
    const double deq = (double(r.weights.q[i]) - cp.zero_point) * double(cp.scale);
    again.weights[i] = static_cast<float>(std::clamp(deq, double(lo[ch]), double(hi[ch])));
  }
  Run second = run(q, again, k);
  if (second.stop) {
    if (second.stop->kind == Verdict::Kind::rejected)
      return Verdict::fail("rejected its own dequantized weights: " + second.stop->message);
    return *second.stop;
  }
  for (std::size_t i = 0; i < c.weights.size(); ++i) {
    if (second.result.weights.q[i] != r.weights.q[i]) {
      const auto ch = pl.channel_of(static_cast<std::int64_t>(i));
      return Verdict::fail(
          channel_prefix(ch) + "weights[" + std::to_string(i) + "] = " + exact(c.weights[i]) +
          " gave q = " + std::to_string(r.weights.q[i]) + "; its dequantized value " +
          exact(again.weights[i]) + " re-quantizes to " +
          std::to_string(second.result.weights.q[i]) + " (scale " + exact(params_of(r, ch).scale) +
          " then " + exact(params_of(second.result, ch).scale) + ")");
    }
  }
  return Verdict::ok();
}

Verdict weight_monotone(const QuantizerUnderTest& q, const Case& c) {
  return with_result(q, c, [&](const Contract&, const Result& r) {
    const Placement pl = placement_of(c);
    for (std::int64_t ch = 0; ch < pl.channels; ++ch) {
      std::vector<std::size_t> idx;
      for (std::size_t i = 0; i < c.weights.size(); ++i)
        if (pl.channel_of(static_cast<std::int64_t>(i)) == ch) idx.push_back(i);
      std::stable_sort(idx.begin(), idx.end(),
                       [&](std::size_t a, std::size_t b) { return c.weights[a] < c.weights[b]; });
      for (std::size_t j = 1; j < idx.size(); ++j) {
        const std::size_t a = idx[j - 1], b = idx[j];
        const bool equal = c.weights[a] == c.weights[b];
        if (r.weights.q[a] > r.weights.q[b] || (equal && r.weights.q[a] != r.weights.q[b]))
          return Verdict::fail(
              channel_prefix(ch) + "weights[" + std::to_string(a) + "] = " + exact(c.weights[a]) +
              " -> " + std::to_string(r.weights.q[a]) + " but weights[" + std::to_string(b) +
              "] = " + exact(c.weights[b]) + " -> " + std::to_string(r.weights.q[b]));
      }
    }
    return Verdict::ok();
  });
}

}  // namespace quantcheck::check
