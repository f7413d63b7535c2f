// The smallest input scale at which a channel's bias fits its type, so a
// check's verdict does not hang on one assumed calibration.
//
// fits(s) = "round(b / float32(s * s_w)) fits the bias type", evaluated with
// the quantizer's exact test (quantize_bias_value). It is monotone in s for a
// fixed s_w; policies that raise s_w for the bias (bias fit, bias-scale floor)
// make s_w a function of s, so there each probe recomputes the channel's scale
// from its own weights. The search is a bisection over float32 bit patterns
// (positive floats order like their bits), started near the analytic answer
// |b| / ((max + 1/2) s_w) when s_w is fixed, so most channels take a few probes.
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>

#include "quantcheck/model/check.hpp"

namespace quantcheck::model {
namespace {

bool depends_on_input(const Policy& p) {
  return p.bias_fit != BiasFit::none || p.bias_scale_floor > 0.0f;
}

std::uint32_t bits_of(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

float float_of(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Least s in (bad, good] with ok(s), given !ok(bad) and ok(good).
template <typename Ok>
float bisect(float bad, float good, Ok ok) {
  std::uint32_t b = bits_of(bad), g = bits_of(good);
  while (g - b > 1) {
    const std::uint32_t mid = b + (g - b) / 2;
    (ok(float_of(mid)) ? g : b) = mid;
  }
  return float_of(g);
}

template <typename Ok>
double least_fitting(float lo, float hi, float guess, Ok ok) {
  if (ok(lo)) return lo;
  if (!ok(hi)) return std::numeric_limits<double>::infinity();
  if (!(guess > lo && guess < hi)) return bisect(lo, hi, ok);
  // Walk a few float steps from the guess; bisect what is left.
  float f = guess;
  if (ok(f)) {
    for (int i = 0; i < 8; ++i) {
      const float down = std::nextafter(f, 0.0f);
      if (down <= lo || !ok(down)) return down <= lo ? bisect(lo, f, ok) : f;
      f = down;
    }
    return bisect(lo, f, ok);
  }
  for (int i = 0; i < 8; ++i) {
    const float up = std::nextafter(f, FLT_MAX);
    if (up >= hi) return bisect(f, hi, ok);
    if (ok(up)) return up;
    f = up;
  }
  return bisect(f, hi, ok);
}

bool bias_fits(const Policy& p, float b, float s_in, float s_w) {
  bool saturated = false;
  quantize_bias_value(p, b, s_in * s_w, &saturated);
  return !saturated;
}

}  // namespace

double min_input_scale(const Policy& p, const Case& c, const Layout& l, std::int64_t channel,
                       float weight_scale) {
  const float b = c.bias.empty() ? 0.0f : c.bias[static_cast<std::size_t>(channel)];
  const float lo = static_cast<float>(kLeastInputScale);
  const float hi = static_cast<float>(kGreatestInputScale);
  if (b == 0.0f) return kLeastInputScale;

  if (!depends_on_input(p)) {
    // No guess for a zero or non-finite scale (the search then bisects).
    const bool usable = weight_scale > 0 && std::isfinite(weight_scale);
    const double guess = usable ? std::fabs(double(b)) /
                                      ((double(bias_max(p.bias_type)) + 0.5) * double(weight_scale))
                                : double(hi);
    const float g = std::isfinite(guess) && guess < hi ? static_cast<float>(guess) : hi;
    return least_fitting(lo, hi, g, [&](float s) { return bias_fits(p, b, s, weight_scale); });
  }

  // The channel alone, as a one-output FULLY_CONNECTED case with the same K:
  // a per-channel policy computes its scale from these values and this bias.
  // Its storage and the parameters' are kept from channel to channel (a model
  // check asks for every channel of every layer; an allocation per channel and
  // per probe was most of this function's time).
  thread_local Case channel_case;
  thread_local std::vector<ChannelParams> params;
  Case whole;
  Case* one = &channel_case;
  Layout ol;
  if (p.granularity == Granularity::per_channel) {
    Case& o = channel_case;
    o.op = OpKind::fully_connected;
    o.input_scale = 0.0f;
    o.weight_shape.assign({1, l.per_channel});
    o.weights.clear();
    o.weights.reserve(static_cast<std::size_t>(l.per_channel));
    // Element i belongs to channel (i / inner) % channels: walk only those.
    const std::int64_t outer = static_cast<std::int64_t>(c.weights.size()) / (l.channels * l.inner);
    for (std::int64_t k = 0; k < outer; ++k)
      for (std::int64_t j = 0; j < l.inner; ++j)
        o.weights.push_back(
            c.weights[static_cast<std::size_t>((k * l.channels + channel) * l.inner + j)]);
    o.bias.assign(1, b);
    o.channel_axis.reset();
    ol = {0, 1, l.per_channel, l.per_channel};
  } else {
    whole = c;
    one = &whole;
    ol = l;
  }
  auto ok = [&](float s) {
    one->input_scale = s;
    // As the throwing compute_weight_params(p, case, layout), into kept storage.
    if (const Refusal why = compute_weight_params(p, *one, ol, params))
      throw InputError(describe(why, p, *one, ol));
    return bias_fits(p, b, s, params[0].scale);
  };
  return least_fitting(lo, hi, hi, ok);
}

}  // namespace quantcheck::model
