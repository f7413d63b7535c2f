// Properties that compare several runs: one channel alone, a channel rescaled
// by a power of two, the biases set to 0, and input holding NaN or Inf.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "checks.hpp"
#include "property_support.hpp"

namespace quantcheck::check {
namespace {

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// True when nothing but the range decided this channel's scale: it is a
// normal float at least twice every floor the quantizer declares, so is its
// bias scale s_in * s_w, and the range spans at least a quarter of the integer range in
// steps of s (a floor, a tiny-scale replacement or a bias fit that raised s
// leaves the range only a few steps wide).
bool unconstrained(const Contract& k, float s_in, float s, double range) {
  const float s_b = s_in * s;
  // At least twice each floor: a floor that raised a scale leaves it (or
  // s_in * s) within a rounding of the floor, not twice above it.
  return std::isfinite(s) && s >= FLT_MIN && double(s) >= 2.0 * k.scale_floor &&
         std::isfinite(s_b) && s_b >= FLT_MIN && double(s_b) >= 2.0 * k.bias_scale_floor &&
         range / double(s) >= (double(k.qmax) - double(k.qmin)) / 4;
}

// The span a channel's scale has to cover: max|x| (symmetric) or
// max(0, max) - min(0, min) (asymmetric), in double.
double channel_range(const Contract& k, const Case& c, const Placement& pl, std::int64_t ch) {
  double lo = 0, hi = 0;
  for (std::size_t i = 0; i < c.weights.size(); ++i) {
    if (pl.channel_of(static_cast<std::int64_t>(i)) != ch) continue;
    lo = std::min(lo, double(c.weights[i]));
    hi = std::max(hi, double(c.weights[i]));
  }
  return k.scheme == Scheme::symmetric ? std::max(-lo, hi) : hi - lo;
}

// A one-channel case with its channel twice (shape[axis] = 2, the bias
// twice). The channel is compared there rather than alone: a quantizer may
// rightly treat a one-channel filter as per-layer (TFLite's
// AdjustWeightsForBiasScale takes its per-layer test then), which is not one
// channel moving another's grid.
Case beside_its_copy(const Case& one) {
  const Placement pl = placement_of(one);
  Case two = one;
  two.weight_shape[static_cast<std::size_t>(pl.axis)] = 2;
  two.weights.clear();
  for (std::size_t base = 0; base < one.weights.size(); base += static_cast<std::size_t>(pl.inner))
    for (int copy = 0; copy < 2; ++copy)
      two.weights.insert(two.weights.end(), one.weights.begin() + static_cast<std::ptrdiff_t>(base),
                         one.weights.begin() + static_cast<std::ptrdiff_t>(base) + pl.inner);
  if (!one.bias.empty()) two.bias = {one.bias[0], one.bias[0]};
  return two;
}

}  // namespace

Verdict channel_independent(const QuantizerUnderTest& q, const Case& c) {
  const Contract k = q.contract();
  if (k.granularity == Granularity::per_tensor) return Verdict::ok();  // one scale for all
  Run whole = run(q, c, k);
  if (whole.stop) return *whole.stop;
  const Result& r = whole.result;
  const Placement pl = placement_of(c);
  if (pl.channels < 2) return Verdict::ok();
  for (std::int64_t ch = 0; ch < pl.channels; ++ch) {
    const Case one = beside_its_copy(single_channel(c, ch));
    Run alone = run(q, one, k);
    if (alone.stop) {
      if (alone.stop->kind == Verdict::Kind::rejected)
        return Verdict::fail(channel_prefix(ch) +
                             "accepted with the other channels but rejected "
                             "beside a copy of itself: " +
                             alone.stop->message);
      return *alone.stop;
    }
    const ChannelParams& a = params_of(r, ch);
    const ChannelParams& b = alone.result.weights.channels[0];
    const std::string pre = channel_prefix(ch) + "quantized beside a copy of itself, ";
    if (!same_bits(a.scale, b.scale) || a.zero_point != b.zero_point)
      return Verdict::fail(pre + "its scale/zero point is " + exact(b.scale) + "/" +
                           std::to_string(b.zero_point) + " instead of " + exact(a.scale) + "/" +
                           std::to_string(a.zero_point));
    std::size_t j = 0;
    const auto inner = static_cast<std::size_t>(pl.inner);
    for (std::size_t i = 0; i < c.weights.size(); ++i) {
      if (pl.channel_of(static_cast<std::int64_t>(i)) != ch) continue;
      // Element j of channel 0 in the pair: run j / inner, each run followed by its copy.
      const std::size_t at = (j / inner) * 2 * inner + j % inner;
      if (r.weights.q[i] != alone.result.weights.q[at])
        return Verdict::fail(pre + "weights[" + std::to_string(i) +
                             "] gives q = " + std::to_string(alone.result.weights.q[at]) +
                             " instead of " + std::to_string(r.weights.q[i]));
      ++j;
    }
    if (!c.bias.empty()) {
      const std::size_t i = static_cast<std::size_t>(ch);
      if (!same_bits(r.bias.scale[i], alone.result.bias.scale[0]) ||
          r.bias.q[i] != alone.result.bias.q[0])
        return Verdict::fail(pre + "its bias is " + std::to_string(alone.result.bias.q[0]) +
                             " at " + exact(alone.result.bias.scale[0]) + " instead of " +
                             std::to_string(r.bias.q[i]) + " at " + exact(r.bias.scale[i]));
    }
  }
  return Verdict::ok();
}

Verdict power_of_two_rescaling(const QuantizerUnderTest& q, const Case& c) {
  const Contract k = q.contract();
  if (k.granularity == Granularity::per_tensor) return Verdict::ok();
  // Zero biases, so that no bias fit moves a scale.
  Case base = c;
  for (auto& b : base.bias) b = 0.0f;
  Run first = run(q, base, k);
  if (first.stop) return *first.stop;
  const Result& r = first.result;
  const Placement pl = placement_of(c);
  static const int shifts[] = {1, -3, 9};
  for (std::int64_t ch = 0; ch < pl.channels; ++ch) {
    const ChannelParams& before = params_of(r, ch);
    const double range = channel_range(k, c, pl, ch);
    if (range == 0) continue;  // an all-zero channel does not change
    if (!unconstrained(k, c.input_scale, before.scale, range)) continue;
    for (int shift : shifts) {
      Case scaled = base;
      bool exact_scaling = true;
      for (std::size_t i = 0; i < c.weights.size(); ++i) {
        if (pl.channel_of(static_cast<std::int64_t>(i)) != ch) continue;
        const float y = std::ldexp(c.weights[i], shift);
        exact_scaling &= std::isfinite(y) && std::ldexp(y, -shift) == c.weights[i];
        scaled.weights[i] = y;
      }
      if (!exact_scaling) continue;
      Run second = run(q, scaled, k);
      if (second.stop) {
        if (second.stop->kind == Verdict::Kind::rejected) continue;
        return *second.stop;
      }
      const ChannelParams& after = params_of(second.result, ch);
      if (!unconstrained(k, c.input_scale, after.scale, std::ldexp(range, shift))) continue;
      const std::string pre =
          channel_prefix(ch) + "weights times 2^" + std::to_string(shift) + ": ";
      const float want = std::ldexp(before.scale, shift);
      if (!same_bits(after.scale, want) || after.zero_point != before.zero_point)
        return Verdict::fail(pre + "scale/zero point " + exact(after.scale) + "/" +
                             std::to_string(after.zero_point) + ", expected " + exact(want) + "/" +
                             std::to_string(before.zero_point));
      for (std::size_t i = 0; i < c.weights.size(); ++i) {
        if (pl.channel_of(static_cast<std::int64_t>(i)) != ch) continue;
        if (second.result.weights.q[i] != r.weights.q[i])
          return Verdict::fail(pre + "weights[" + std::to_string(i) + "] = " + exact(c.weights[i]) +
                               " gave q = " + std::to_string(r.weights.q[i]) +
                               ", rescaled q = " + std::to_string(second.result.weights.q[i]));
      }
    }
  }
  return Verdict::ok();
}

Verdict bias_never_lowers_scale(const QuantizerUnderTest& q, const Case& c) {
  if (c.bias.empty()) return Verdict::ok();
  const Contract k = q.contract();
  Run with_bias = run(q, c, k);
  if (with_bias.stop) return *with_bias.stop;
  Case zero = c;
  for (auto& b : zero.bias) b = 0.0f;
  Run without = run(q, zero, k);
  if (without.stop) {
    if (without.stop->kind == Verdict::Kind::rejected) return Verdict::ok();  // nothing to compare
    return *without.stop;
  }
  for (std::size_t g = 0; g < with_bias.result.weights.channels.size(); ++g) {
    const float a = with_bias.result.weights.channels[g].scale;
    const float z = without.result.weights.channels[g].scale;
    // A NaN scale without the bias is scales_valid's failure: nothing to compare.
    if (std::isnan(z)) continue;
    if (!(a >= z))
      return Verdict::fail(channel_prefix(static_cast<std::int64_t>(g)) + "weight scale " +
                           exact(a) + " with the bias is below " + exact(z) +
                           ", its scale with every bias 0: the bias fit lowered it");
  }
  return Verdict::ok();
}

Verdict non_finite_rejected(const QuantizerUnderTest& q, const Case& c) {
  try {
    const Result r = q.quantize(c);
  } catch (const InputError&) {
    return Verdict::ok();
  } catch (const std::exception& e) {
    return Verdict::fail(std::string("threw an exception other than InputError: ") + e.what());
  }
  std::string where = "input_scale = " + exact(c.input_scale);
  for (std::size_t i = 0; i < c.weights.size(); ++i)
    if (!std::isfinite(c.weights[i]))
      where = "weights[" + std::to_string(i) + "] = " + exact(c.weights[i]);
  for (std::size_t i = 0; i < c.bias.size(); ++i)
    if (!std::isfinite(c.bias[i])) where = "bias[" + std::to_string(i) + "] = " + exact(c.bias[i]);
  return Verdict::fail("quantized a case holding " + where + " instead of rejecting it");
}

}  // namespace quantcheck::check
