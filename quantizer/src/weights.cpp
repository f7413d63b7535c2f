// Weight quantization: q = clamp(round(x / s) + zp, qmin, qmax), in the
// arithmetic the policy names. Written as plain loops over one channel's
// elements; the findings check runs in the same pass and only a channel that
// shows one is scanned again to record where.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "quantcheck/quantize.hpp"
#include "simd_kernels.hpp"

namespace quantcheck {
namespace {

constexpr double kInt32Min = -2147483648.0;
constexpr double kInt32Max = 2147483647.0;

// The cast of an already-rounded value to int32 as the policy's code does it
// (the clamp to [qmin, qmax] follows). x86-64's cvtt* give the "integer
// indefinite" value INT_MIN for NaN and anything out of range.
inline std::int32_t cast_to_int32(double r, OutOfRange rule, WeightType type) {
  constexpr std::int32_t kMin = std::numeric_limits<std::int32_t>::min();
  constexpr std::int32_t kMax = std::numeric_limits<std::int32_t>::max();
  const bool nan = std::isnan(r);
  const bool out = !nan && (r < kInt32Min || r > kInt32Max);
  switch (rule) {
    case OutOfRange::x86_cast: return nan || out ? kMin : static_cast<std::int32_t>(r);
    case OutOfRange::x86_int64_then_clamp:
      // PyTorch: int64 first; beyond int64 (or NaN) is INT64_MIN, below any qmin.
      if (nan || !(r > -0x1p63 && r < 0x1p63)) return kMin;
      break;
    case OutOfRange::x86_int32_narrowed: {
      // TFLite: (int32) round(v), then std::max<int8_t>(-127, q) narrows it
      // (two's complement, the low bits) before the clamp.
      const std::int32_t v = nan || out ? kMin : static_cast<std::int32_t>(r);
      const auto low = static_cast<std::uint32_t>(v);
      switch (type) {
        case WeightType::int8: return static_cast<std::int8_t>(low & 0xffu);
        case WeightType::uint8: return static_cast<std::uint8_t>(low & 0xffu);
        case WeightType::int16: return static_cast<std::int16_t>(low & 0xffffu);
      }
      return v;
    }
    case OutOfRange::saturate:
    case OutOfRange::saturate_symmetric:
    case OutOfRange::clip_then_x86_cast: break;
  }
  if (nan) return rule == OutOfRange::clip_then_x86_cast ? kMin : 0;
  if (out) return r < 0 ? kMin : kMax;
  return static_cast<std::int32_t>(r);
}

// std::round and std::nearbyint without the libm call (baseline x86-64 has
// no rounding instruction), same results for every finite value. |v| >= 2^52
// (2^23 for float) is already an integer. Half away from zero: truncate by
// casting, then step away when the dropped fraction (exact by Sterbenz) is at
// least 1/2. Half to even: adding and subtracting 2^52 (2^23) rounds in the
// current rounding mode, as std::nearbyint does.
template <typename T>
inline T round_half_away(T v) {
  constexpr T big = sizeof(T) == 4 ? T(0x1p23) : T(0x1p52);
  if (!(std::fabs(v) < big)) return v;
  const T t = static_cast<T>(static_cast<std::int64_t>(v));
  // Without a branch: the direction is a coin toss on real weights.
  const T away = static_cast<T>(std::fabs(v - t) >= T(0.5));
  return t + std::copysign(away, v);
}
template <typename T>
inline T round_half_even(T v) {
  constexpr T big = sizeof(T) == 4 ? T(0x1p23) : T(0x1p52);
  if (!(std::fabs(v) < big)) return v;
  const T c = std::copysign(big, v);
  return (v + c) - c;
}

// Per-channel constants of the quantize loop.
struct Step {
  float scale;
  float inv;  // the float32 inverse the policy uses
  double scale_d;
  std::int32_t zp;
  float nmin_f, nmax_f;  // luci's float32 nudged range
  double nmin, nmax;
};

Step make_step(const Policy& p, const ChannelParams& cp) {
  Step st{};
  st.scale = cp.scale;
  st.scale_d = cp.scale;
  st.zp = cp.zero_point;
  st.nmin = cp.nudged_min;
  st.nmax = cp.nudged_max;
  if (cp.scale_f64 > 0) {  // luci uint8: (q - zp) * scale in float64, stored as float32
    st.nmin_f = static_cast<float>((double(p.qmin) - cp.zero_point) * cp.scale_f64);
    st.nmax_f = static_cast<float>((double(p.qmax) - cp.zero_point) * cp.scale_f64);
  } else {
    st.nmin_f = static_cast<float>(p.qmin - cp.zero_point) * cp.scale;
    st.nmax_f = static_cast<float>(p.qmax - cp.zero_point) * cp.scale;
  }
  if (p.weight_arithmetic == WeightArithmetic::float32_range_inverse) {
    // TFLite: inv = divisor / half_range, 0 for a zero range.
    const float range =
        std::max(std::fabs(std::min(0.0f, cp.range_min)), std::fabs(std::max(0.0f, cp.range_max)));
    const float r = cp.fitted_range > 0 ? cp.fitted_range : range;
    st.inv = r == 0 ? 0.0f : static_cast<float>(p.scale_divisor) / r;
  } else {
    // inf for a zero scale, as luci computes it, without the division by zero
    // (UBSan's float-divide-by-zero; found by fuzz_case_bytes_unexcused).
    st.inv = cp.scale == 0 ? std::numeric_limits<float>::infinity() : 1.0f / cp.scale;
  }
  return st;
}

// One weight to its stored integer.
template <WeightArithmetic A, Rounding R, bool OffsetForm>
inline std::int32_t quantize_one(const Policy& p, const Step& st, float x) {
  double rounded;
  if constexpr (A == WeightArithmetic::float32_divide) {
    // ONNX Runtime: float32 x / s (x / 0 written as x * inf: same value, no
    // division by zero for UBSan).
    const float v = st.scale == 0 ? x * std::numeric_limits<float>::infinity() : x / st.scale;
    rounded = R == Rounding::half_to_even ? round_half_even(v) : round_half_away(v);
  } else if constexpr (A == WeightArithmetic::float32_inverse ||
                       A == WeightArithmetic::float32_range_inverse) {
    float v;
    if constexpr (OffsetForm) {
      v = (std::clamp(x, st.nmin_f, st.nmax_f) - st.nmin_f) * st.inv;
    } else {
      v = x * st.inv;
    }
    rounded = R == Rounding::half_to_even ? round_half_even(v) : round_half_away(v);
  } else {
    // exact and float64: a double quotient of two floats is rounded correctly
    // and ties are exact (x/s = k + 1/2 is representable), so round(x / s)
    // equals the exact rounding.
    const double v = static_cast<double>(x) / st.scale_d;
    rounded = R == Rounding::half_to_even ? round_half_even(v) : round_half_away(v);
  }
  std::int64_t q = cast_to_int32(rounded, p.weight_out_of_range, p.weight_type);
  if constexpr (!OffsetForm) q += st.zp;
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(q, p.qmin, p.qmax));
}

// round_half_even / round_half_away for |v| < 2^31, as selects rather than
// branches (the int32 cast is defined there; for |v| >= 2^23, resp. 2^52, v is
// already an integer and both forms return it).
template <Rounding R, typename T>
inline T round_branch_free(T v) {
  if constexpr (R == Rounding::half_to_even) {
    constexpr T big = sizeof(T) == 4 ? T(0x1p23) : T(0x1p52);
    const T c = std::copysign(big, v);
    const T even = (v + c) - c;  // computed always: a select, not a branch
    return std::fabs(v) < big ? even : v;
  } else {
    const T t = static_cast<T>(static_cast<std::int32_t>(v));
    return t + std::copysign(static_cast<T>(std::fabs(v - t) >= T(0.5)), v);
  }
}

// The fast path of quantize_one for a channel whose values cannot leave the
// int32 range on the way (see fits_fast_path): the same arithmetic, rounding
// and clamp, without branches, so the compiler can vectorise the loop.
// Clamping the rounded value to [qmin - zp, qmax - zp] before adding zp is the
// clamp of the sum (the ends are integers).
template <WeightArithmetic A, Rounding R, bool OffsetForm>
void quantize_run_fast(const Policy& p, const Step& st, const float* x, std::int32_t* q,
                       std::int64_t count) {
  constexpr bool in_float32 = A == WeightArithmetic::float32_inverse ||
                              A == WeightArithmetic::float32_range_inverse ||
                              A == WeightArithmetic::float32_divide;
  using T = std::conditional_t<in_float32, float, double>;
  const std::int32_t zp = OffsetForm ? 0 : st.zp;
  const T lo = static_cast<T>(p.qmin - zp), hi = static_cast<T>(p.qmax - zp);
  const float inv = st.inv, nmin = st.nmin_f, nmax = st.nmax_f;
  const double scale = st.scale_d;
  const float scale_f = st.scale;
  for (std::int64_t j = 0; j < count; ++j) {
    T v;
    if constexpr (A == WeightArithmetic::float32_divide) {
      v = x[j] / scale_f;
    } else if constexpr (!in_float32) {
      v = static_cast<double>(x[j]) / scale;
    } else if constexpr (OffsetForm) {
      v = ((x[j] < nmin ? nmin : (x[j] > nmax ? nmax : x[j])) - nmin) * inv;
    } else {
      v = x[j] * inv;
    }
    T r = round_branch_free<R>(v);
    r = r < lo ? lo : (r > hi ? hi : r);
    q[j] = static_cast<std::int32_t>(r) + zp;
  }
}

// Whether every |v| of the channel stays below 2^30 (so the int32 casts of the
// fast path are defined and quantize_one's out-of-range rules never apply).
// The float32 roundings on the way add at most a factor 1 + 2^-22.
// limit is 2^30, or for a rule that narrows the int32 to the weight type,
// just under the type's largest value + 1/2 (a rounding beyond it would
// wrap; the float32 product may exceed the double bound by 2^-23).
template <WeightArithmetic A, bool OffsetForm>
bool fits_fast_path(const Step& st, const ChannelParams& cp, double limit) {
  const double max_abs =
      std::max(std::fabs(static_cast<double>(cp.range_min)), std::fabs(double(cp.range_max)));
  double bound;
  if constexpr (A == WeightArithmetic::float32_divide) {
    // float32 x / s is within a factor 1 + 2^-24 of the exact quotient.
    if (!(st.scale > 0) || !std::isfinite(st.scale)) return false;
    bound = max_abs / st.scale_d;
  } else if constexpr (A == WeightArithmetic::float32_inverse ||
                       A == WeightArithmetic::float32_range_inverse) {
    if (!std::isfinite(st.inv)) return false;
    // luci: the float32 offset x - nmin overflows for ranges near +-FLT_MAX.
    if (OffsetForm && !std::isfinite(st.nmax_f - st.nmin_f)) return false;
    bound = OffsetForm ? (double(st.nmax_f) - double(st.nmin_f)) * st.inv : max_abs * st.inv;
  } else {
    if (!(st.scale_d > 0)) return false;
    bound = max_abs / st.scale_d;
  }
  return bound < limit;
}

double fast_path_limit(const Policy& p) {
  if (p.weight_out_of_range != OutOfRange::x86_int32_narrowed) return 0x1p30;
  switch (p.weight_type) {
    case WeightType::int8: return 127.5 * (1 - 0x1p-20);
    case WeightType::int16: return 32767.5 * (1 - 0x1p-20);
    case WeightType::uint8: return 0.0;  // a negative value would wrap: never fast
  }
  return 0.0;
}

// Whether an element may show a finding: the conditions of weight_finding, joined
// without branches (a sign flip as x * deq < 0; neither product underflows in
// double). Only elements where it holds are checked one by one.
inline bool may_show_finding(const Step& st, float x, std::int32_t q) {
  const double deq = (static_cast<double>(q) - st.zp) * st.scale_d;
  const double xd = x;
  return (xd < st.nmin) | (xd > st.nmax) | (xd * deq < 0) |
         (std::fabs(deq - xd) > 0.5 * st.scale_d);
}

// Whether any element of a run may show a finding: may_show_finding on locals,
// without an early exit (no branch to mispredict). It runs over every weight
// of every policy without exact arithmetic; GCC vectorises it (float and int32
// to double) only with AVX2, so it is cloned per target and picked at load
// time (half the CPU of `check --policy tflite-int8` on MobileNetV2 before).
__attribute__((target_clones("avx512f", "avx2", "default"))) bool any_may_show_finding(
    const Step& st, const float* x, const std::int32_t* q, std::int64_t count) {
  const double zp = st.zp, scale = st.scale_d, half_step = 0.5 * st.scale_d;
  const double nmin = st.nmin, nmax = st.nmax;
  int any = 0;
  for (std::int64_t j = 0; j < count; ++j) {
    const double deq = (static_cast<double>(q[j]) - zp) * scale;
    const double xd = x[j];
    any |= (xd < nmin) | (xd > nmax) | (xd * deq < 0) | (std::fabs(deq - xd) > half_step);
  }
  return any != 0;
}

// The exact, half-away-from-zero path of the reference policy, fast: the
// double estimate v = x * (1/s) is within 2^-51 |v| of x/s (two roundings of
// 2^-53), so its rounding is the exact one unless v lies that close to a
// tie. Elements near a tie (about one in 10^10) are redone exactly with a
// double division, whose rounding is exact for two floats (see quantize_one).
// Returns false when the run had any.
inline bool quantize_run_exact(const Policy& p, const Step& st, const float* x, std::int32_t* q,
                               std::int64_t count) {
  const double inv = 1.0 / st.scale_d;
  const double lo = static_cast<double>(p.qmin) - st.zp - 1;
  const double hi = static_cast<double>(p.qmax) - st.zp + 1;
  const double window = (static_cast<double>(p.qmax) - p.qmin + 2) * 0x1p-50;
  const std::int32_t zp = st.zp, qmin = p.qmin, qmax = p.qmax;
  int near_tie = 0;
  for (std::int64_t j = 0; j < count; ++j) {
    double v = static_cast<double>(x[j]) * inv;
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    const std::int32_t t = static_cast<std::int32_t>(v);  // in range after the clamp
    const double f = v - static_cast<double>(t);
    const double af = f < 0 ? -f : f;
    const std::int32_t away = v > 0 ? 1 : -1;
    std::int32_t r = t + (af >= 0.5 ? away : 0) + zp;
    r = r < qmin ? qmin : r;
    r = r > qmax ? qmax : r;
    q[j] = r;
    const double d = af - 0.5;
    near_tie |= (d < window) & (d > -window);
  }
  return near_tie == 0;
}

template <WeightArithmetic A, Rounding R, bool OffsetForm>
void run(const Policy& p, const Case& c, const Layout& l, const std::vector<ChannelParams>& params,
         WeightResult& out, std::vector<Finding>* findings) {
  const bool per_tensor = params.size() == 1 && l.channels != 1;
  thread_local std::vector<Step> steps;  // capacity kept from call to call
  steps.clear();
  for (const auto& cp : params) steps.push_back(make_step(p, cp));

  const float* x = c.weights.data();
  std::int32_t* q = out.q.data();
  const std::int64_t n = static_cast<std::int64_t>(c.weights.size());
  const std::int64_t inner = l.inner;
  const std::int64_t channels = l.channels;
  const double fast_limit = fast_path_limit(p);

  // The findings of one channel's run [begin, end), in pieces of 64 that the
  // vector test passes over when none of their elements may show one (most
  // pieces, even where findings are common: 25,530 of MobileNetV2's 3.47 M
  // weights under onnxruntime-uint8, most runs having one).
  auto record = [&](std::int64_t begin, std::int64_t end, std::int64_t ch) {
    const Step& st = steps[per_tensor ? 0 : ch];
    const ChannelParams& cp = params[per_tensor ? 0 : ch];
    for (std::int64_t piece = begin; piece < end; piece += 64) {
      const std::int64_t piece_end = std::min<std::int64_t>(end, piece + 64);
      if (!any_may_show_finding(st, x + piece, q + piece, piece_end - piece)) continue;
      for (std::int64_t i = piece; i < piece_end; ++i) {
        if (!may_show_finding(st, x[i], q[i])) continue;
        double deq;
        if (const auto kind = weight_finding(cp, x[i], q[i], &deq))
          findings->push_back({*kind, "weights", ch, i, x[i], deq, ""});
      }
    }
  };

  // Elements of one channel are runs of `inner` consecutive values, one run
  // every channels * inner elements.
  for (std::int64_t base = 0; base < n; base += channels * inner) {
    for (std::int64_t ch = 0; ch < channels; ++ch) {
      const Step& st = steps[per_tensor ? 0 : ch];
      const std::int64_t begin = base + ch * inner;
      if constexpr (A == WeightArithmetic::exact && R == Rounding::half_away_from_zero &&
                    !OffsetForm) {
        if (detail::exact_round_run_simd(x + begin, q + begin, inner, st.scale, st.zp, p.qmin,
                                         p.qmax)) {
          // done, exactly
        } else
          for (std::int64_t j = begin; j < begin + inner; j += 64) {
            const std::int64_t len = std::min<std::int64_t>(64, begin + inner - j);
            if (!quantize_run_exact(p, st, x + j, q + j, len))
              for (std::int64_t k = j; k < j + len; ++k)
                q[k] = quantize_one<A, R, OffsetForm>(p, st, x[k]);
          }
        // Exact rounding keeps every element inside the nudged range within
        // half a step, with the sign of x; only clipping can show.
        const ChannelParams& cp = params[per_tensor ? 0 : ch];
        if (findings && (cp.range_min < st.nmin || cp.range_max > st.nmax))
          record(begin, begin + inner, ch);
        continue;
      }
      if (detail::simd_enabled() &&
          fits_fast_path<A, OffsetForm>(st, params[per_tensor ? 0 : ch], fast_limit))
        quantize_run_fast<A, R, OffsetForm>(p, st, x + begin, q + begin, inner);
      else
        for (std::int64_t j = begin; j < begin + inner; ++j)
          q[j] = quantize_one<A, R, OffsetForm>(p, st, x[j]);
      if (findings && any_may_show_finding(st, x + begin, q + begin, inner))
        record(begin, begin + inner, ch);
    }
  }
}

template <WeightArithmetic A>
void dispatch_form(const Policy& p, const Case& c, const Layout& l,
                   const std::vector<ChannelParams>& params, WeightResult& out,
                   std::vector<Finding>* f) {
  const bool offset =
      p.scheme == Scheme::asymmetric && p.asymmetric_form == AsymmetricForm::offset_from_nmin;
  if (p.rounding == Rounding::half_to_even) {
    offset ? run<A, Rounding::half_to_even, true>(p, c, l, params, out, f)
           : run<A, Rounding::half_to_even, false>(p, c, l, params, out, f);
  } else {
    offset ? run<A, Rounding::half_away_from_zero, true>(p, c, l, params, out, f)
           : run<A, Rounding::half_away_from_zero, false>(p, c, l, params, out, f);
  }
}

}  // namespace

void set_simd_enabled(bool enabled) { detail::set_simd_enabled(enabled); }

void quantize_weights(const Policy& p, const Case& c, const Layout& l,
                      const std::vector<ChannelParams>& params, WeightResult& out,
                      std::vector<Finding>* findings) {
  if (&out.channels != &params) out.channels = params;
  out.q.resize(c.weights.size());
  switch (p.weight_arithmetic) {
    case WeightArithmetic::float32_inverse:
      dispatch_form<WeightArithmetic::float32_inverse>(p, c, l, params, out, findings);
      break;
    case WeightArithmetic::float32_range_inverse:
      dispatch_form<WeightArithmetic::float32_range_inverse>(p, c, l, params, out, findings);
      break;
    case WeightArithmetic::float64_divide:
      dispatch_form<WeightArithmetic::float64_divide>(p, c, l, params, out, findings);
      break;
    case WeightArithmetic::float32_divide:
      dispatch_form<WeightArithmetic::float32_divide>(p, c, l, params, out, findings);
      break;
    case WeightArithmetic::exact:
      dispatch_form<WeightArithmetic::exact>(p, c, l, params, out, findings);
      break;
  }
}

}  // namespace quantcheck
