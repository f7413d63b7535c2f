// The smallest input scale at which a channel's bias fits its type, so a
// check's verdict does not hang on one assumed calibration.
//
// fits(s) = "round(b / float32(s * s_w)) fits the bias type", evaluated with
// the quantizer's exact test (quantize_bias_value). It is monotone in s for a
// fixed s_w; policies that raise s_w for the bias (bias fit, bias-scale floor)
// make s_w a function of s, so there each probe recomputes the channel's scale
// from its range. The search is a bisection over float32 bit patterns
// (positive floats order like their bits), started near the analytic answer
// |b| / ((max + 1/2) s_w) when s_w is fixed, so most channels take a few probes.
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <span>

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
                       const ChannelParams& layer_params) {
  const float b = c.bias.empty() ? 0.0f : c.bias[static_cast<std::size_t>(channel)];
  const float lo = static_cast<float>(kLeastInputScale);
  const float hi = static_cast<float>(kGreatestInputScale);
  if (b == 0.0f) return kLeastInputScale;

  if (!depends_on_input(p)) {
    const float weight_scale = layer_params.scale;
    // No guess for a zero or non-finite scale (the search then bisects).
    const bool usable = weight_scale > 0 && std::isfinite(weight_scale);
    const double guess = usable ? std::fabs(double(b)) /
                                      ((double(bias_max(p.bias_type)) + 0.5) * double(weight_scale))
                                : double(hi);
    const float g = std::isfinite(guess) && guess < hi ? static_cast<float>(guess) : hi;
    return least_fitting(lo, hi, g, [&](float s) { return bias_fits(p, b, s, weight_scale); });
  }

  // The scale is a function of s: each probe recomputes it from the channel's
  // range (per tensor: the layer's), the biases it serves and K, which is all
  // a scale depends on (quantcheck::scale_channel), instead of from every
  // weight again. The test is the one a one-output FULLY_CONNECTED layer of
  // this channel's weights and bias takes: one scale in all.
  const bool per_tensor = p.granularity == Granularity::per_tensor;
  const std::span<const float> biases =
      per_tensor ? std::span<const float>(c.bias)
                 : std::span<const float>(c.bias).subspan(static_cast<std::size_t>(channel), 1);
  ChannelParams cp;
  auto ok = [&](float s) {
    cp.range_min = layer_params.range_min;
    cp.range_max = layer_params.range_max;
    if (const Refusal why = scale_channel(p, biases, s, l.per_channel, true, 0, cp)) {
      Case at = {};
      at.input_scale = s;
      throw InputError(describe(why, p, at, l));
    }
    return bias_fits(p, b, s, cp.scale);
  };
  return least_fitting(lo, hi, hi, ok);
}

}  // namespace quantcheck::model
