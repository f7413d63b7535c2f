// Scales and zero points: range -> scale -> replacement -> floor -> bias fit.
//
// For one quantization channel with values in [min, max]:
//   rmin = min(0, min), rmax = max(0, max)            (0 is always representable)
//   range = max(|rmin|, |rmax|)  (symmetric)  or  rmax - rmin  (asymmetric)
//   s = range / divisor,  zp = qmin + round(-rmin / s)  (asymmetric), 0 (symmetric)
// then, in this order, the policy's tiny-scale replacement, scale floor, bias
// fit and total bias-scale floor may raise s (never lower it). The nudged range
// [(qmin - zp) s, (qmax - zp) s] is what the integers can represent.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <span>
#include <sstream>

#include "quantcheck/error.hpp"
#include "quantcheck/quantize.hpp"
#include "simd_kernels.hpp"

namespace quantcheck {
namespace {

double round_by(Rounding r, double v) {
  return r == Rounding::half_to_even ? std::nearbyint(v) : std::round(v);
}

// range / divisor as the policy computes it.
float scale_from_range(const Policy& p, double range) {
  if (p.scale_in_float64) {
    const double s = range / p.scale_divisor;
    if (s > FLT_MAX) return std::numeric_limits<float>::infinity();
    float f = static_cast<float>(s);
    if (p.round_scale_up && static_cast<double>(f) < s) f = std::nextafter(f, FLT_MAX);
    return f;
  }
  return static_cast<float>(range) / static_cast<float>(p.scale_divisor);
}

double channel_range(const Policy& p, float rmin, float rmax) {
  if (p.scheme == Scheme::symmetric) return std::max(std::fabs(rmin), std::fabs(rmax));
  // float32 subtraction where the policy works in float32 (it may overflow to inf).
  if (p.scale_in_float64) return static_cast<double>(rmax) - static_cast<double>(rmin);
  return static_cast<double>(rmax - rmin);
}

std::int32_t zero_point(const Policy& p, float rmin, float s) {
  if (p.scheme == Scheme::symmetric) return 0;
  if (s == 0) return rmin == 0 ? p.qmin : p.qmax;  // luci's provisional zero point
  const double v =
      p.scale_in_float64 ? -static_cast<double>(rmin) / s : static_cast<double>(-rmin / s);
  if (!std::isfinite(v)) return p.qmax;
  const double zp = p.qmin + round_by(p.rounding, v);
  return static_cast<std::int32_t>(std::clamp(zp, double(p.qmin), double(p.qmax)));
}

void place(const Policy& p, ChannelParams& cp, float s, std::int32_t zp) {
  cp.scale = s;
  cp.scale_f64 = 0.0;
  cp.zero_point = zp;
  cp.nudged_min = (double(p.qmin) - zp) * double(s);
  cp.nudged_max = (double(p.qmax) - zp) * double(s);
}

void set_scale(const Policy& p, ChannelParams& cp, float s) {
  const float rmin = std::min(0.0f, cp.range_min);
  const float rmax = std::max(0.0f, cp.range_max);
  place(p, cp, s, zero_point(p, rmin, s));
  if (!p.round_scale_up || p.scheme == Scheme::symmetric || !std::isfinite(s) || s == 0) return;
  // A policy that never clips (reference) must hold [rmin, rmax] inside the
  // nudged range: some integer zp in [qmin - rmin/s, qmax - rmax/s]. That
  // interval has length (qmax - qmin) - range/s, so s = range / (qmax - qmin)
  // may leave it without an integer, while s >= range / (qmax - qmin - 1)
  // always has one. Try the zero points next to the rounded one at s, then
  // at that wider scale.
  auto covers = [&](float scale) {
    const std::int32_t zp0 = zero_point(p, rmin, scale);
    for (std::int32_t zp : {zp0, zp0 + 1, zp0 - 1}) {
      if (zp < p.qmin || zp > p.qmax) continue;
      place(p, cp, scale, zp);
      if (cp.nudged_min <= rmin && cp.nudged_max >= rmax) return true;
    }
    return false;
  };
  if (covers(s)) return;
  const double wide = (double(rmax) - double(rmin)) / (double(p.qmax) - p.qmin - 1);
  float w = std::max(s, static_cast<float>(wide));
  for (int step = 0; step < 8 && w <= FLT_MAX; ++step, w = std::nextafter(w, FLT_MAX))
    if (covers(w)) return;
  place(p, cp, s, zero_point(p, rmin, s));
}

// ONE luci's compute_asym_scale_zp and ONNX Runtime's compute_scale_zp keep
// the scale in float64 until it is stored: the range (float64, or ONNX
// Runtime's float32 difference), the division, the tiny-scale test, luci's
// float64 floor and the zero point all see the unrounded value, and luci's
// nudged range is (q - zp) * scale in float64 (ChannelParams::scale_f64).
void set_scale_float64(const Policy& p, ChannelParams& cp, float rmin, float rmax) {
  double scale;
  if (p.range_in_float32) {
    // ONNX Runtime: rmax - rmin in float32 (symmetric: absmax - (-absmax)),
    // then float64 over qmax - qmin.
    const float lo = p.scheme == Scheme::symmetric ? -std::max(-rmin, rmax) : rmin;
    const float hi = p.scheme == Scheme::symmetric ? std::max(-rmin, rmax) : rmax;
    scale = static_cast<double>(hi - lo) / (double(p.qmax) - double(p.qmin));
  } else {
    scale = channel_range(p, rmin, rmax) / p.scale_divisor;
  }
  const bool symmetric = p.scheme == Scheme::symmetric;
  auto zp_at = [&](double s) -> std::int32_t {
    if (symmetric) return 0;
    const double v = round_by(p.rounding, double(p.qmin) - double(rmin) / s);
    return static_cast<std::int32_t>(std::clamp(v, double(p.qmin), double(p.qmax)));
  };
  std::int32_t zp;
  if (scale < p.tiny_scale_threshold) {  // ONNX Runtime: scale < FLT_MIN -> 1, zp 0
    scale = p.tiny_scale_replacement;
    zp = symmetric ? 0 : p.qmin;
  } else if (scale == 0) {
    // Only an all-zero channel (a float64 range of floats does not
    // underflow): luci's min >= 0 branch, zp 0.
    zp = symmetric ? 0 : p.qmin;
  } else {
    zp = zp_at(scale);
  }
  if (scale < p.float64_scale_floor) {  // luci: scale < 1e-5 (double) -> 1e-5, zp again
    scale = p.float64_scale_floor;
    zp = zp_at(scale);
  }
  const float s =
      scale > FLT_MAX ? std::numeric_limits<float>::infinity() : static_cast<float>(scale);
  place(p, cp, s, zp);
  cp.scale_f64 = scale;
}

// The least positive float32 s > lo with ok(s), by a search over the bit
// patterns (positive floats order like their bits), for a lo the caller has
// already found !ok (both callers test the current scale first). ok need only
// be monotone on [lo, hi], hi >= lo. Returns +inf when no float in (lo, hi] works.
// hint, when inside (lo, hi), is an estimate of the answer: the search
// gallops away from it (1, 2, 4, ... patterns) to bracket the answer, then
// bisects, so a hint a few patterns off costs a few calls of ok instead of
// the ~31 of a bisection over [lo, hi]. Any hint gives the same answer.
template <typename Pred>
float least_float(float lo, Pred ok, float hi = FLT_MAX, float hint = 0) {
  auto bits = [](float f) {
    std::uint32_t u = 0;
    std::memcpy(&u, &f, 4);
    return u;
  };
  auto value = [](std::uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  };
  std::uint32_t bad = bits(lo), good = bits(hi);
  if (hint > lo && hint < hi) {
    const std::uint32_t h = bits(hint);
    if (ok(hint)) {  // below hint: gallop down while ok
      good = h;
      for (std::uint32_t step = 1; good - bad > step; step *= 2) {
        if (!ok(value(good - step))) {
          bad = good - step;
          break;
        }
        good -= step;
      }
    } else {  // above hint: gallop up while not ok
      bad = h;
      for (std::uint32_t step = 1; good - bad > step; step *= 2) {
        if (ok(value(bad + step))) {
          good = bad + step;
          break;
        }
        bad += step;
      }
      if (good == bits(hi) && !ok(hi)) return std::numeric_limits<float>::infinity();
    }
  } else if (!ok(hi)) {
    return std::numeric_limits<float>::infinity();
  }
  while (good - bad > 1) {
    const std::uint32_t mid = bad + (good - bad) / 2;
    (ok(value(mid)) ? good : bad) = mid;
  }
  return value(good);
}

// The largest float32 s_w with a finite s_in * s_w (FLT_MAX when s_in <= 1).
// Above it the bias scale is infinite, so a bias fit must search below it.
float largest_finite_factor(float s_in) {
  const float max = FLT_MAX;
  if (std::isfinite(s_in * max)) return max;
  std::uint32_t finite = 0, overflow = 0;
  std::memcpy(&overflow, &max, 4);
  while (overflow - finite > 1) {
    const std::uint32_t mid = finite + (overflow - finite) / 2;
    float m;
    std::memcpy(&m, &mid, 4);
    (std::isfinite(s_in * m) ? finite : overflow) = mid;
  }
  float s;
  std::memcpy(&s, &finite, 4);
  return s;
}

// The bias a channel without a bias tensor serves (the fits test sees a 0).
constexpr float kNoBias[1] = {0.0f};

float max_abs(std::span<const float> v) {
  float m = 0;
  for (float x : v) m = std::max(m, std::fabs(x));
  return m;
}

// TFLite AdjustWeightsForBiasScale: widen the weight range so the bias sits at
// half the int32 range. The arithmetic mirrors the original's mix of double
// and float (2.0 * |b| / kScale in double, times float(127 / s_in)).
void fit_tflite(const Policy& p, ChannelParams& cp, float bias_abs, float s_in, bool per_tensor) {
  const double k_scale = std::numeric_limits<std::int32_t>::max();
  const float qmax = static_cast<float>(p.qmax);
  bool adjust;
  if (per_tensor)
    adjust = bias_abs / static_cast<float>(k_scale) >= 0.5 * s_in * cp.scale;
  else
    adjust = bias_abs >= 0.5 * s_in * cp.scale * k_scale;
  if (!adjust) return;
  const float range = static_cast<float>(2.0 * bias_abs / k_scale * (qmax / s_in));
  // The scale comes from max(|min|, |max|): |range| (a NaN range, 0 * inf for a
  // zero bias when 127 / s_in overflows, loses its sign there as in TFLite).
  const float s = scale_from_range(p, std::fabs(range));
  cp.raised_for_bias = s != cp.scale;
  cp.fitted_range = range;
  set_scale(p, cp, s);
}

// ONNX Runtime (#22020): smallest = 1.0001 * 2|b| / (2^32 - 2); when
// 0 < s_in s_w < smallest, s_w *= smallest / (s_in s_w), in float64.
void fit_onnxruntime(const Policy& p, ChannelParams& cp, float bias_abs, float s_in) {
  const double smallest = 1.0001 * 2.0 * bias_abs / (4294967296.0 - 2.0);
  const double product = double(s_in) * double(cp.scale);
  if (product > 0 && product < smallest) {
    const float s = static_cast<float>(double(cp.scale) * (smallest / product));
    cp.raised_for_bias = s != cp.scale;
    set_scale(p, cp, s);
  }
}

// AIMET: s_w >= |b| / (2^31 s_in).
void fit_aimet(const Policy& p, ChannelParams& cp, float bias_abs, float s_in) {
  const double need = double(bias_abs) / (2147483648.0 * double(s_in));
  if (double(cp.scale) < need) {
    float s = static_cast<float>(need);
    if (double(s) < need) s = std::nextafter(s, FLT_MAX);
    cp.raised_for_bias = true;
    set_scale(p, cp, s);
  }
}

}  // namespace

int128 accumulator_headroom(const Policy& p, std::int64_t products_per_output) {
  return int128{bias_max(p.bias_type)} -
         int128{products_per_output} * p.activation_abs_max * weight_abs_max(p);
}

std::string describe(const Refusal& r, const Policy& p, const Case& c, const Layout& l) {
  std::ostringstream m;
  switch (r.kind) {
    case Refusal::Kind::none: return "";
    case Refusal::Kind::no_headroom:
      m << "weights: " << l.per_channel << " products per output channel can overflow the "
        << to_string(p.bias_type) << " accumulator whatever the scales";
      break;
    case Refusal::Kind::bias_unfittable:
      m << "bias: channel " << r.channel << ": no finite float32 weight scale fits bias "
        << r.bias_abs << " at input scale " << c.input_scale;
      break;
  }
  return m.str();
}

Refusal scale_channel(const Policy& p, std::span<const float> biases, float s_in,
                      std::int64_t products_per_output, bool one_scale, std::int64_t channel,
                      ChannelParams& cp) {
  // Everything but the range is derived here, afresh on every call.
  const float range_min = cp.range_min, range_max = cp.range_max;
  cp = ChannelParams{};
  cp.range_min = range_min;
  cp.range_max = range_max;
  const bool has_bias = !biases.empty();
  const float rmin = std::min(0.0f, cp.range_min);
  const float rmax = std::max(0.0f, cp.range_max);

  // 2. Scale from the range; 3. tiny-scale replacement; 4. floor.
  if (p.zero_point_from_float64_scale) {
    set_scale_float64(p, cp, rmin, rmax);
  } else {
    float s = scale_from_range(p, channel_range(p, rmin, rmax));
    bool replaced = false;
    if (s < p.tiny_scale_threshold) {
      s = p.tiny_scale_replacement;
      replaced = true;
    }
    if (s < p.scale_floor) s = p.scale_floor;
    set_scale(p, cp, s);
    if (replaced) {  // ONNX Runtime and #6971 set zp = 0 with the replacement scale
      place(p, cp, s, p.scheme == Scheme::symmetric ? 0 : p.qmin);
    }
  }

  // 5. Bias fit.
  const float bias_abs = max_abs(biases);
  if (biases.empty()) biases = kNoBias;
  switch (p.bias_fit) {
    case BiasFit::none: break;
    case BiasFit::tflite_half_range:
      // AdjustWeightsForBiasScale picks its branch by the number of weight
      // scales: one (per tensor, or a one-channel filter) takes the per-layer test.
      // Without a bias tensor TFLite never calls it.
      if (has_bias) fit_tflite(p, cp, bias_abs, s_in, one_scale);
      break;
    case BiasFit::onnxruntime_1_0001: fit_onnxruntime(p, cp, bias_abs, s_in); break;
    case BiasFit::aimet: fit_aimet(p, cp, bias_abs, s_in); break;
    case BiasFit::reference_headroom: {
      const int128 room = accumulator_headroom(p, products_per_output);
      if (room < 0) return {Refusal::Kind::no_headroom};
      auto fits = [&](float s_w) {
        const float s_b = s_in * s_w;
        if (!std::isfinite(s_b) || s_b < FLT_MIN || s_b < p.bias_scale_floor) return false;
        for (float b : biases) {
          const auto q = round_quotient(b, s_b, p.rounding);
          if (!q || (*q < 0 ? -*q : *q) > room) return false;
        }
        return true;
      };
      // Most channels need no raise: test that before preparing the search.
      if (fits(cp.scale)) break;
      // The answer is near max(|b| / room, FLT_MIN, bias-scale floor) / s_in;
      // the exact search starts there (the rounding of |b| / s_b decides the
      // last few patterns).
      // (No hint without room or input scale: those divisions would be by zero.)
      const double need =
          room > 0 && s_in > 0
              ? std::max(double(bias_abs) / (static_cast<double>(room) * double(s_in)),
                         std::max<double>(FLT_MIN, p.bias_scale_floor) / double(s_in))
              : 0.0;
      const float hint = need <= FLT_MAX ? static_cast<float>(need) : 0.0f;
      // fits() is false again once s_in * s_w overflows (s_in > 1): search below that.
      const float raised =
          least_float(cp.scale, fits, std::max(cp.scale, largest_finite_factor(s_in)), hint);
      if (!std::isfinite(raised)) return {Refusal::Kind::bias_unfittable, channel, bias_abs};
      if (raised != cp.scale) {
        cp.raised_for_bias = true;
        set_scale(p, cp, raised);
      }
      break;
    }
  }

  // 6. Total bias-scale floor (ONE #7017): the least s_w with s_in * s_w >= floor.
  if (p.bias_scale_floor > 0 && !(s_in * cp.scale >= p.bias_scale_floor)) {
    const double need = s_in > 0 ? double(p.bias_scale_floor) / double(s_in) : 0.0;
    const float raised = least_float(
        cp.scale, [&](float s_w) { return s_in * s_w >= p.bias_scale_floor; }, FLT_MAX,
        need <= FLT_MAX ? static_cast<float>(need) : 0.0f);
    if (std::isfinite(raised)) {
      cp.raised_for_bias = true;
      set_scale(p, cp, raised);
    }
  }
  return {};
}

std::vector<ChannelParams> compute_weight_params(const Policy& p, const Case& c, const Layout& l) {
  std::vector<ChannelParams> params;
  if (const Refusal r = compute_weight_params(p, c, l, params))
    throw InputError(describe(r, p, c, l));
  return params;
}

Refusal compute_weight_params(const Policy& p, const Case& c, const Layout& l,
                              std::vector<ChannelParams>& params) {
  const bool per_tensor = p.granularity == Granularity::per_tensor;
  const std::int64_t groups = per_tensor ? 1 : l.channels;
  params.assign(static_cast<std::size_t>(groups), ChannelParams{});

  // 1. Ranges.
  for (auto& cp : params) {
    cp.range_min = std::numeric_limits<float>::infinity();
    cp.range_max = -std::numeric_limits<float>::infinity();
  }
  // A channel's elements are runs of `inner` values, one run every channels * inner.
  const std::int64_t n = static_cast<std::int64_t>(c.weights.size());
  for (std::int64_t base = 0; base < n; base += l.channels * l.inner) {
    for (std::int64_t ch = 0; ch < l.channels; ++ch) {
      ChannelParams& cp = params[per_tensor ? 0 : ch];
      const float* x = c.weights.data() + base + ch * l.inner;
      if (detail::min_max_run_simd(x, l.inner, &cp.range_min, &cp.range_max)) continue;
      for (std::int64_t j = 0; j < l.inner; ++j) {
        cp.range_min = x[j] < cp.range_min ? x[j] : cp.range_min;
        cp.range_max = x[j] > cp.range_max ? x[j] : cp.range_max;
      }
    }
  }

  for (std::int64_t g = 0; g < groups; ++g) {
    const std::span<const float> biases =
        c.bias.empty() ? std::span<const float>()
        : per_tensor   ? std::span<const float>(c.bias)
                       : std::span<const float>(c.bias).subspan(static_cast<std::size_t>(g), 1);
    if (const Refusal r =
            scale_channel(p, biases, c.input_scale, l.per_channel, groups == 1, g, params[g]))
      return r;
  }
  return {};
}

}  // namespace quantcheck
