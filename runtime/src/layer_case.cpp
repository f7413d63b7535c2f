#include "quantcheck/runtime/layer_case.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace quantcheck {
namespace {

void say(std::string* why, const std::string& text) {
  if (why) *why = text;
}

}  // namespace

ActivationType activation_for(WeightType w, std::int64_t activation_abs_max,
                              const RuntimeProfile& r) {
  if (w == WeightType::int16 || activation_abs_max > 255) return ActivationType::int16;
  if (w == WeightType::uint8) return ActivationType::uint8;
  return r.int8_weights_take_uint8_activations ? ActivationType::uint8 : ActivationType::int8;
}

std::optional<LayerCase> layer_for_case(const Case& c, const Result& r, WeightType weight_type,
                                        BiasType bias_type, ActivationType activation,
                                        std::string* why) {
  if (c.channel_axis && *c.channel_axis != default_channel_axis(c.op)) {
    say(why, "the channel axis is not the op's");
    return std::nullopt;
  }
  const auto& s = c.weight_shape;
  LayerCase lc;
  IntegerLayer& l = lc.layer;
  LayerGeometry& g = l.geometry;
  g.op = c.op;
  g.padding = Padding::same;
  switch (c.op) {
    case OpKind::conv2d:
      if (s.size() != 4) return say(why, "CONV_2D needs a 4-D filter"), std::nullopt;
      g.out_c = s[0], g.kernel_h = s[1], g.kernel_w = s[2], g.in_c = s[3];
      g.in_h = s[1] + 1, g.in_w = s[2] + 1;
      break;
    case OpKind::depthwise_conv2d:
      if (s.size() != 4 || s[0] != 1)
        return say(why, "DEPTHWISE_CONV_2D needs a [1, H, W, C] filter"), std::nullopt;
      g.kernel_h = s[1], g.kernel_w = s[2], g.in_c = s[3], g.out_c = s[3];
      g.in_h = s[1] + 1, g.in_w = s[2] + 1;
      break;
    case OpKind::fully_connected:
      if (s.size() != 2) return say(why, "FULLY_CONNECTED needs a 2-D filter"), std::nullopt;
      g.out_c = s[0], g.in_c = s[1];
      g.padding = Padding::valid;
      break;
  }
  l.activation = activation;
  l.weight_type = weight_type;
  l.bias_type = bias_type;
  l.input_scale = c.input_scale;
  l.input_zero_point = activation == ActivationType::int8 ? -128 : 0;
  l.weights = r.weights.q;
  for (const ChannelParams& cp : r.weights.channels) {
    l.weight_scales.push_back(cp.scale);
    l.weight_zero_points.push_back(cp.zero_point);
  }
  l.bias = r.bias.q;
  lc.weights = c.weights;
  lc.bias = c.bias.empty() ? std::vector<float>(static_cast<std::size_t>(g.out_c), 0.0f) : c.bias;
  lc.bias_scales = r.bias.scale;
  if (static_cast<std::int64_t>(l.weights.size()) != g.filter_size() ||
      static_cast<std::int64_t>(lc.bias.size()) != g.out_c) {
    say(why, "the result does not match the filter");
    return std::nullopt;
  }

  // The float output range over the real input range.
  const long double x_lo =
      static_cast<long double>(c.input_scale) * (activation_min(activation) - l.input_zero_point);
  const long double x_hi =
      static_cast<long double>(c.input_scale) * (activation_max(activation) - l.input_zero_point);
  long double lo = 0, hi = 0;
  const std::int64_t taps_c = g.op == OpKind::depthwise_conv2d ? 1 : g.in_c;
  for (std::int64_t oc = 0; oc < g.out_c; ++oc) {
    long double top = lc.bias[static_cast<std::size_t>(oc)];
    long double bottom = top;
    for (std::int64_t ky = 0; ky < g.kernel_h; ++ky)
      for (std::int64_t kx = 0; kx < g.kernel_w; ++kx)
        for (std::int64_t i = 0; i < taps_c; ++i) {
          const std::int64_t ic = g.op == OpKind::depthwise_conv2d ? oc : i;
          const long double w =
              lc.weights[static_cast<std::size_t>(filter_index(g, oc, ky, kx, ic))];
          top += std::max(w * x_lo, w * x_hi);
          bottom += std::min(w * x_lo, w * x_hi);
        }
    hi = std::max(hi, top);
    lo = std::min(lo, bottom);
  }
  long double s_out =
      activation == ActivationType::int16 ? std::max(-lo, hi) / 32767.0L : (hi - lo) / 255.0L;
  if (s_out == 0) s_out = 1;
  if (!std::isfinite(s_out) || s_out > FLT_MAX) {
    say(why, "the float output range has no float32 scale");
    return std::nullopt;
  }
  l.output_scale = static_cast<float>(s_out);
  if (!std::isnormal(l.output_scale)) {
    say(why, "the output scale is not a normal float32");
    return std::nullopt;
  }
  if (activation != ActivationType::int16) {
    const long double zp =
        std::round(activation_min(activation) - lo / static_cast<long double>(l.output_scale));
    l.output_zero_point = static_cast<std::int32_t>(
        std::clamp<long double>(zp, activation_min(activation), activation_max(activation)));
  }
  return lc;
}

std::vector<long double> float_layer(const LayerCase& lc, const std::vector<long double>& input) {
  const LayerGeometry& g = lc.layer.geometry;
  std::vector<long double> out(static_cast<std::size_t>(g.output_size()));
  const std::int64_t out_h = g.out_h(), out_w = g.out_w();
  const std::int64_t pad_t = g.pad_top(), pad_l = g.pad_left();
  const std::int64_t taps_c = g.op == OpKind::depthwise_conv2d ? 1 : g.in_c;
  std::size_t at = 0;
  for (std::int64_t b = 0; b < g.batch; ++b)
    for (std::int64_t oy = 0; oy < out_h; ++oy)
      for (std::int64_t ox = 0; ox < out_w; ++ox)
        for (std::int64_t oc = 0; oc < g.out_c; ++oc, ++at) {
          long double y = lc.bias[static_cast<std::size_t>(oc)];
          for (std::int64_t ky = 0; ky < g.kernel_h; ++ky)
            for (std::int64_t kx = 0; kx < g.kernel_w; ++kx) {
              const std::int64_t iy = oy * g.stride_h - pad_t + ky * g.dilation_h;
              const std::int64_t ix = ox * g.stride_w - pad_l + kx * g.dilation_w;
              if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) continue;  // padding is 0
              for (std::int64_t i = 0; i < taps_c; ++i) {
                const std::int64_t ic =
                    g.op == OpKind::depthwise_conv2d ? oc / g.depth_multiplier : i;
                y += static_cast<long double>(
                         lc.weights[static_cast<std::size_t>(filter_index(g, oc, ky, kx, ic))]) *
                     input[static_cast<std::size_t>(((b * g.in_h + iy) * g.in_w + ix) * g.in_c +
                                                    ic)];
              }
            }
          out[at] = y;
        }
  return out;
}

std::vector<long double> real_input(const IntegerLayer& l, const std::vector<std::int32_t>& xq) {
  static const long double pattern[] = {0.0L, 0.5L, -0.5L, 0.25L, -0.25L, 0.375L, -0.125L};
  std::vector<long double> x(xq.size());
  const long double s = l.input_scale;
  for (std::size_t i = 0; i < xq.size(); ++i) {
    long double f = pattern[i % 7];
    const long double steps = static_cast<long double>(xq[i]) - l.input_zero_point;
    if (xq[i] + f > activation_max(l.activation) || xq[i] + f < activation_min(l.activation)) f = 0;
    x[i] = s * (steps + f);
  }
  return x;
}

std::vector<std::vector<std::int32_t>> probe_inputs(const IntegerLayer& l, int patterned) {
  std::vector<std::vector<std::int32_t>> out;
  for (std::int64_t c = 0; c < l.geometry.out_c; ++c)
    for (int sign : {1, -1}) out.push_back(extreme_input(l, c, sign));
  std::uint64_t state = 0x9E3779B97F4A7C15ULL;
  const std::int64_t lo = activation_min(l.activation), hi = activation_max(l.activation);
  for (int k = 0; k < patterned; ++k) {
    std::vector<std::int32_t> x(static_cast<std::size_t>(l.geometry.input_size()));
    for (auto& v : x) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      v = static_cast<std::int32_t>(
          lo + static_cast<std::int64_t>((state >> 33) % static_cast<std::uint64_t>(hi - lo + 1)));
    }
    out.push_back(std::move(x));
  }
  return out;
}

}  // namespace quantcheck
