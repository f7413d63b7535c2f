#include "layer_cases.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "quantcheck/exact.hpp"

namespace quantcheck::interop {

using model::LayerPadding;
using model::QuantizedLayerModel;

const char* to_string(Regime r) {
  switch (r) {
    case Regime::typical: return "typical";
    case Regime::near_one: return "near-1";
    case Regime::near_2_pow_m32: return "near-2^-32";
    case Regime::int32_limits: return "int32-limits";
    case Regime::negative_ties: return "negative-ties";
  }
  return "?";
}

namespace {

template <typename T>
T uniform(std::mt19937_64& rng, T lo, T hi) {  // inclusive
  if constexpr (std::is_integral_v<T>)
    return std::uniform_int_distribution<T>(lo, hi)(rng);
  else
    return std::uniform_real_distribution<T>(lo, hi)(rng);
}

double log_uniform(std::mt19937_64& rng, double lo, double hi) {
  return std::exp2(uniform(rng, std::log2(lo), std::log2(hi)));
}

// TFLite's ComputePaddingHeightWidth: the leading pad of one dimension.
std::int32_t leading_pad(const QuantizedLayerModel& m, std::int32_t in, std::int32_t k,
                         std::int32_t stride, std::int32_t dilation, std::int32_t out) {
  if (m.padding == LayerPadding::valid) return 0;
  const std::int32_t effective = (k - 1) * dilation + 1;
  return std::max((out - 1) * stride + effective - in, 0) / 2;
}

}  // namespace

LayerCase make_case(std::mt19937_64& rng, OpKind op, bool int16, Regime regime) {
  LayerCase c;
  QuantizedLayerModel& m = c.layer;
  m.kind = op;
  m.int16_activations = int16;
  m.bias_int64 = int16;
  const std::int32_t qmin = int16 ? -32768 : -128, qmax = int16 ? 32767 : 127;
  std::int32_t channels = 0;
  switch (op) {
    case OpKind::fully_connected: {
      const std::int32_t in = uniform(rng, 1, 32);
      channels = uniform(rng, 1, 8);
      m.input_shape = {uniform(rng, 1, 3), in};
      m.filter_shape = {channels, in};
      break;
    }
    case OpKind::conv2d:
    case OpKind::depthwise_conv2d: {
      const std::int32_t h = uniform(rng, 1, 6), w = uniform(rng, 1, 6);
      const std::int32_t kh = uniform(rng, 1, 3), kw = uniform(rng, 1, 3);
      m.stride_h = uniform(rng, 1, 2);
      m.stride_w = uniform(rng, 1, 2);
      m.dilation_h = uniform(rng, 1, 2);
      m.dilation_w = uniform(rng, 1, 2);
      const bool fits = (kh - 1) * m.dilation_h + 1 <= h && (kw - 1) * m.dilation_w + 1 <= w;
      m.padding = fits && uniform(rng, 0, 1) ? LayerPadding::valid : LayerPadding::same;
      const std::int32_t cin = uniform(rng, 1, 6);
      m.input_shape = {uniform(rng, 1, 2), h, w, cin};
      if (op == OpKind::conv2d) {
        channels = uniform(rng, 1, 6);
        m.filter_shape = {channels, kh, kw, cin};
      } else {
        m.depth_multiplier = uniform(rng, 1, 3);
        channels = cin * m.depth_multiplier;
        m.filter_shape = {1, kh, kw, channels};
      }
      break;
    }
  }

  // Scales: realistic activation scales, weight scales that put each
  // channel's multiplier where the regime wants it. Ties need exact powers of two.
  const bool ties = regime == Regime::negative_ties;
  m.input_scale = ties ? std::ldexp(1.0f, -uniform(rng, 4, 10))
                       : static_cast<float>(log_uniform(rng, 1e-3, 1e-1));
  m.output_scale = ties ? std::ldexp(1.0f, -uniform(rng, 4, 10))
                        : static_cast<float>(log_uniform(rng, 1e-3, 1e-1));
  if (!int16) {
    m.input_zero_point = uniform(rng, -20, 20);
    m.output_zero_point = uniform(rng, -20, 20);
  }
  const std::size_t scale_count = op == OpKind::fully_connected ? 1 : std::size_t(channels);
  for (std::size_t i = 0; i < scale_count; ++i) {
    double M = 0;
    switch (regime) {
      case Regime::typical: M = log_uniform(rng, std::ldexp(1.0, -12), 0.5); break;
      case Regime::near_one: M = uniform(rng, 0.75, 1.5); break;
      case Regime::near_2_pow_m32: M = std::ldexp(uniform(rng, 0.5, 4.0), -32); break;
      case Regime::int32_limits:
        M = int16 ? log_uniform(rng, std::ldexp(1.0, -33), std::ldexp(1.0, -17))
                  : log_uniform(rng, std::ldexp(1.0, -25), std::ldexp(1.0, -23));
        break;
      case Regime::negative_ties: M = std::ldexp(1.0, -uniform(rng, 1, 6)); break;
    }
    m.weight_scales.push_back(static_cast<float>(M * m.output_scale / m.input_scale));
  }

  // Weights: small where the multiplier is near 1 (so not every output clamps).
  const std::int32_t wmax = regime == Regime::near_one        ? 2
                            : regime == Regime::negative_ties ? 3
                                                              : 127;
  std::size_t wcount = 1;
  for (std::int32_t d : m.filter_shape) wcount *= std::size_t(d);
  for (std::size_t i = 0; i < wcount; ++i)
    m.weights.push_back(static_cast<std::int8_t>(uniform(rng, -wmax, wmax)));

  // Bias: near the int32 limits (or the int64 acc's 2^47) where the regime wants it.
  for (std::int32_t o = 0; o < channels; ++o) {
    std::int64_t b = 0;
    const std::int64_t sign = uniform(rng, 0, 1) ? 1 : -1;
    switch (regime) {
      case Regime::typical: b = uniform<std::int64_t>(rng, -(1 << 14), 1 << 14); break;
      case Regime::near_one:
      case Regime::negative_ties: b = uniform<std::int64_t>(rng, -40, 40); break;
      case Regime::near_2_pow_m32:
        b = int16
                ? sign * uniform<std::int64_t>(rng, std::int64_t{1} << 40, (std::int64_t{1} << 46))
                : sign * (std::int64_t{std::numeric_limits<std::int32_t>::max()} -
                          uniform<std::int64_t>(rng, 0, 1 << 22));
        break;
      case Regime::int32_limits:
        b = int16 ? sign * uniform<std::int64_t>(rng, std::int64_t{1} << 30, std::int64_t{1} << 46)
                  : sign * (std::int64_t{std::numeric_limits<std::int32_t>::max()} -
                            uniform<std::int64_t>(rng, 0, 1 << 24));
        break;
    }
    m.bias.push_back(b);
  }

  // Inputs: random, or worst case (all at one end of the range) half the time
  // in the large-accumulator regimes.
  std::size_t icount = 1;
  for (std::int32_t d : m.input_shape) icount *= std::size_t(d);
  const bool extreme =
      (regime == Regime::int32_limits || regime == Regime::near_2_pow_m32) && uniform(rng, 0, 1);
  const std::int32_t end = uniform(rng, 0, 1) ? qmax : qmin;
  std::int32_t lo = qmin, hi = qmax;
  if (regime == Regime::near_one || regime == Regime::negative_ties) {
    lo = std::max(qmin, m.input_zero_point - 40);
    hi = std::min(qmax, m.input_zero_point + 40);
  }
  for (std::size_t i = 0; i < icount; ++i) c.input.push_back(extreme ? end : uniform(rng, lo, hi));
  c.name = to_string(op) + std::string(int16 ? " 16x8 " : " int8 ") + to_string(regime);
  return c;
}

std::optional<LayerCase> fc_multiplier_case(std::mt19937_64& rng) {
  const auto s_in = static_cast<float>(std::exp2(uniform(rng, -12.0, -4.0)));
  const auto s_out = static_cast<float>(std::exp2(uniform(rng, -8.0, -2.0)));
  const auto s_w = static_cast<float>(std::exp2(uniform(rng, -14.0, -6.0)));
  const double m_double = double(s_in) * double(s_w) / double(s_out);
  const QuantizedMultiplier qd = quantize_multiplier(m_double);
  const QuantizedMultiplier qf = quantize_multiplier(double(s_in * s_w) / double(s_out));
  if (qd.q == qf.q || qd.e != qf.e || qd.e >= 0) return std::nullopt;
  // Near each rounding boundary (k + 1/2) / M, |k| < 100, a bias that separates them.
  for (std::int64_t k = 1; k < 100; ++k)
    for (std::int64_t sign : {1, -1})
      for (std::int64_t d = -2; d <= 2; ++d) {
        const std::int64_t b = static_cast<std::int64_t>(sign * (double(k) + 0.5) / m_double) + d;
        if (b > std::numeric_limits<std::int32_t>::max() ||
            b < std::numeric_limits<std::int32_t>::min())
          continue;
        const auto b32 = static_cast<std::int32_t>(b);
        if (requant_ruy_x86(b32, qd) == requant_ruy_x86(b32, qf)) continue;
        LayerCase c;
        QuantizedLayerModel& m = c.layer;
        m.kind = OpKind::fully_connected;
        m.input_shape = {1, 1};
        m.filter_shape = {1, 1};
        m.weights = {1};
        m.weight_scales = {s_w};
        m.bias = {b};
        m.input_scale = s_in;
        m.output_scale = s_out;
        c.input = {0};
        c.name = "fully_connected int8 float-product multiplier";
        return c;
      }
  return std::nullopt;
}

Accumulators accumulate(const QuantizedLayerModel& m, const std::vector<std::int32_t>& input) {
  Accumulators a;
  const auto& f = m.filter_shape;
  const auto out = model::output_shape(m);
  const std::int64_t zp = m.input_zero_point;
  auto bias = [&](std::int32_t c) { return m.bias.empty() ? 0 : m.bias[std::size_t(c)]; };
  if (m.kind == OpKind::fully_connected) {
    const std::int32_t n_in = f[1];
    for (std::int32_t n = 0; n < out[0]; ++n)
      for (std::int32_t o = 0; o < out[1]; ++o) {
        std::int64_t acc = bias(o);
        for (std::int32_t i = 0; i < n_in; ++i)
          acc += std::int64_t{m.weights[std::size_t(o * n_in + i)]} *
                 (input[std::size_t(n * n_in + i)] - zp);
        a.acc.push_back(acc);
        a.channel.push_back(o);
      }
    return a;
  }
  const std::int32_t H = m.input_shape[1], W = m.input_shape[2], C = m.input_shape[3];
  const std::int32_t KH = f[1], KW = f[2];
  const std::int32_t pad_h = leading_pad(m, H, KH, m.stride_h, m.dilation_h, out[1]);
  const std::int32_t pad_w = leading_pad(m, W, KW, m.stride_w, m.dilation_w, out[2]);
  auto x = [&](std::int32_t n, std::int32_t y, std::int32_t xx, std::int32_t c) {
    return input[std::size_t(((n * H + y) * W + xx) * C + c)] - zp;
  };
  for (std::int32_t n = 0; n < out[0]; ++n)
    for (std::int32_t oy = 0; oy < out[1]; ++oy)
      for (std::int32_t ox = 0; ox < out[2]; ++ox)
        for (std::int32_t oc = 0; oc < out[3]; ++oc) {
          std::int64_t acc = bias(oc);
          for (std::int32_t ky = 0; ky < KH; ++ky)
            for (std::int32_t kx = 0; kx < KW; ++kx) {
              const std::int32_t iy = oy * m.stride_h - pad_h + ky * m.dilation_h;
              const std::int32_t ix = ox * m.stride_w - pad_w + kx * m.dilation_w;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;  // padding adds 0
              if (m.kind == OpKind::conv2d) {
                for (std::int32_t ic = 0; ic < C; ++ic)
                  acc += std::int64_t{m.weights[std::size_t(((oc * KH + ky) * KW + kx) * C + ic)]} *
                         x(n, iy, ix, ic);
              } else {
                const std::int32_t ic = oc / m.depth_multiplier;
                acc += std::int64_t{m.weights[std::size_t((ky * KW + kx) * out[3] + oc)]} *
                       x(n, iy, ix, ic);
              }
            }
          a.acc.push_back(acc);
          a.channel.push_back(oc);
        }
  return a;
}

double effective_multiplier(const QuantizedLayerModel& m, std::size_t c) {
  const float s_w = m.weight_scales.size() == 1 ? m.weight_scales[0] : m.weight_scales[c];
  if (m.kind == OpKind::fully_connected)
    return static_cast<double>(m.input_scale * s_w) / static_cast<double>(m.output_scale);
  return static_cast<double>(m.input_scale) * static_cast<double>(s_w) /
         static_cast<double>(m.output_scale);
}

QuantizedMultiplier quantize_multiplier(double M) {
  if (M == 0) return {};
  int e = 0;
  const double f = std::frexp(M, &e);
  auto q = static_cast<std::int64_t>(std::round(f * double(std::int64_t{1} << 31)));
  if (q == (std::int64_t{1} << 31)) {
    q /= 2;
    ++e;
  }
  if (e < -31) return {};
  return {static_cast<std::int32_t>(q), e};
}

namespace {

std::int32_t shift_left_wrapping(std::int32_t x, int l) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(x) << l);
}

}  // namespace

std::int32_t requant_reference(std::int32_t x, QuantizedMultiplier m) {
  const int l = std::max(m.e, 0), r = std::max(-m.e, 0);
  const std::int32_t a = shift_left_wrapping(x, l);
  std::int32_t y;
  if (a == std::numeric_limits<std::int32_t>::min() && m.q == a) {
    y = std::numeric_limits<std::int32_t>::max();
  } else {  // SRDHM: floor((a*q + 2^30) / 2^31)
    const std::int64_t p = std::int64_t{a} * m.q;
    y = static_cast<std::int32_t>((p + (std::int64_t{1} << 30)) >> 31);
  }
  if (r == 0) return y;
  // RDBPOT: round half away from zero.
  const std::int32_t mask = static_cast<std::int32_t>((std::int64_t{1} << r) - 1);
  const std::int32_t rem = y & mask;
  const std::int32_t th = (mask >> 1) + (y < 0 ? 1 : 0);
  return (y >> r) + (rem > th ? 1 : 0);
}

std::int32_t requant_ruy_x86(std::int32_t x, QuantizedMultiplier m) {
  const int l = std::max(m.e, 0), r = std::max(-m.e, 0);
  const std::int64_t p = std::int64_t{shift_left_wrapping(x, l)} * m.q;
  const auto y = static_cast<std::int32_t>((p + (std::int64_t{1} << 30)) >> 31);
  if (r == 0) return y;
  const std::int32_t nudge = static_cast<std::int32_t>(std::int64_t{1} << (r - 1));
  if (y > std::numeric_limits<std::int32_t>::max() - nudge)
    return static_cast<std::int32_t>(std::int64_t{1} << (31 - r));
  return (y + nudge) >> r;
}

std::int32_t requant_single(std::int32_t x, QuantizedMultiplier m) {
  const int ts = 31 - m.e;
  const int128 p = static_cast<int128>(x) * m.q;
  if (ts <= 0) return static_cast<std::int32_t>(p << -ts);
  return static_cast<std::int32_t>((p + (static_cast<int128>(1) << (ts - 1))) >> ts);
}

std::int32_t requant_int64(std::int64_t x, QuantizedMultiplier m) {
  const std::int64_t qr = m.q < 0x7FFF0000 ? (std::int64_t{m.q} + (1 << 15)) >> 16 : 0x7FFF;
  const int ts = 15 - m.e;
  const std::int64_t res = (x * qr + (std::int64_t{1} << (ts - 1))) >> ts;
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(static_cast<std::uint64_t>(res)));
}

}  // namespace quantcheck::interop
