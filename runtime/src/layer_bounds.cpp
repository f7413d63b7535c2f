// Closed-form worst cases of a layer on a runtime (layer_bounds.hpp).
#include "quantcheck/runtime/layer_bounds.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace quantcheck {
namespace {

std::int64_t applied_weight_zp(const RuntimePath& path, const IntegerLayer& l, std::int64_t c) {
  // As run_layer: every runtime subtracts a uint8 filter's zero point; the
  // TFLite int8 conv reference never reads a signed filter's.
  if (!(path.apply_weight_zero_point || l.weight_type == WeightType::uint8)) return 0;
  if (l.weight_zero_points.empty()) return 0;
  return l.weight_zero_points.size() == 1 ? l.weight_zero_points[0]
                                          : l.weight_zero_points[static_cast<std::size_t>(c)];
}

}  // namespace

int128 accumulator_min(AccumulatorType t) {
  return t == AccumulatorType::int32 ? int128{std::numeric_limits<std::int32_t>::min()}
                                     : int128{std::numeric_limits<std::int64_t>::min()};
}

int128 accumulator_max(AccumulatorType t) {
  return t == AccumulatorType::int32 ? int128{std::numeric_limits<std::int32_t>::max()}
                                     : int128{std::numeric_limits<std::int64_t>::max()};
}

AccumulatorRange accumulator_range(const RuntimeProfile& p, const IntegerLayer& l,
                                   std::int64_t channel) {
  const LayerGeometry& g = l.geometry;
  const RuntimePath& path = path_for(p, l.activation);
  AccumulatorRange r;
  const std::int64_t zp_x = l.input_zero_point;
  const std::int64_t up = activation_max(l.activation) - zp_x;    // largest x - zp_x
  const std::int64_t down = activation_min(l.activation) - zp_x;  // smallest x - zp_x
  r.input_abs_max = std::max(up, -down);
  r.weight_zero_point = applied_weight_zp(path, l, channel);
  r.pairs = path.int16_pair_saturation && l.activation == ActivationType::uint8 &&
            l.weight_type == WeightType::int8 && g.op != OpKind::depthwise_conv2d;
  // Sums of the positive and of the negative (w - zp_w): each tap's extreme
  // contribution is independent of the others.
  int128 positive = 0, negative = 0;
  std::int64_t open_lo = 0, open_hi = 0;  // the raw pair being summed
  int in_pair = 0;
  const std::int64_t taps_c = g.op == OpKind::depthwise_conv2d ? 1 : g.in_c;
  for (std::int64_t ky = 0; ky < g.kernel_h; ++ky)
    for (std::int64_t kx = 0; kx < g.kernel_w; ++kx)
      for (std::int64_t i = 0; i < taps_c; ++i) {
        const std::int64_t ic = g.op == OpKind::depthwise_conv2d ? channel / g.depth_multiplier : i;
        const std::int64_t raw =
            l.weights[static_cast<std::size_t>(filter_index(g, channel, ky, kx, ic))];
        const std::int64_t w = raw - r.weight_zero_point;
        (w > 0 ? positive : negative) += w;
        r.sum_abs_weights += w < 0 ? -w : w;
        ++r.taps;
        if (r.pairs) {
          // VPMADDUBSW: raw uint8 x in [0, 255] times raw int8 w.
          open_hi += 255 * std::max<std::int64_t>(raw, 0);
          open_lo += 255 * std::min<std::int64_t>(raw, 0);
          if (++in_pair == 2) {
            r.pair_max = std::max(r.pair_max, open_hi);
            r.pair_min = std::min(r.pair_min, open_lo);
            open_hi = open_lo = 0;
            in_pair = 0;
          }
        }
      }
  r.taps_max = positive * up + negative * down;
  r.taps_min = positive * down + negative * up;
  const int128 b = l.bias.empty() ? 0 : int128{l.bias[static_cast<std::size_t>(channel)]};
  r.acc_max = r.taps_max + b;
  r.acc_min = r.taps_min + b;
  r.hi = std::max(r.taps_max, r.acc_max);
  r.lo = std::min(r.taps_min, r.acc_min);
  return r;
}

long double output_error_bound(const OutputBoundTerms& t) {
  const long double e_x = t.s_in / 2, e_w = t.s_w / 2;
  long double bound = e_x * t.sum_abs_w + e_w * (t.sum_abs_x + t.taps * e_x);
  if (t.has_bias_integer)
    bound += t.s_b / 2 + std::fabs(t.q_b) * std::fabs(t.s_b - t.s_in * t.s_w);
  else
    bound += std::fabs(t.bias_real);
  bound += t.abs_acc * t.eps_m * t.s_in * t.s_w + t.s_out * (0.5L + t.r);
  return bound;
}

long double worst_output_error_bound(const RuntimeProfile& p, const IntegerLayer& l,
                                     std::int64_t channel, const AccumulatorRange& range,
                                     float bias_scale) {
  const RuntimePath& path = path_for(p, l.activation);
  RuntimePath op_path = path;
  op_path.rounding = rounding_for(path, l.geometry.op);
  OutputBoundTerms t;
  t.s_in = l.input_scale;
  t.s_w = l.weight_scales.size() == 1 ? l.weight_scales[0]
                                      : l.weight_scales[static_cast<std::size_t>(channel)];
  t.s_out = l.output_scale;
  t.taps = static_cast<long double>(range.taps);
  t.sum_abs_w = t.s_w * static_cast<long double>(range.sum_abs_weights) + t.taps * t.s_w / 2;
  t.sum_abs_x = t.taps * (t.s_in * static_cast<long double>(range.input_abs_max) + t.s_in / 2);
  t.has_bias_integer = !l.bias.empty();
  if (t.has_bias_integer) {
    t.s_b = bias_scale;
    t.q_b = static_cast<long double>(l.bias[static_cast<std::size_t>(channel)]);
  }
  const int128 worst = std::max(range.acc_max, -range.acc_min);
  t.abs_acc = static_cast<long double>(worst);
  t.eps_m = multiplier_relative_bound(path);
  t.r = requantization_bound_lsb(op_path);
  return output_error_bound(t);
}

IntegerLayer channel_layer(const IntegerLayer& l, std::int64_t channel) {
  const LayerGeometry& g = l.geometry;
  IntegerLayer one = l;
  LayerGeometry& h = one.geometry;
  h.batch = 1;
  h.padding = Padding::valid;
  h.stride_h = h.stride_w = 1;
  h.out_c = 1;
  h.depth_multiplier = 1;
  if (g.op != OpKind::fully_connected) {
    h.in_h = (g.kernel_h - 1) * g.dilation_h + 1;
    h.in_w = (g.kernel_w - 1) * g.dilation_w + 1;
  }
  if (g.op == OpKind::depthwise_conv2d) h.in_c = 1;
  one.weights.assign(static_cast<std::size_t>(h.filter_size()), 0);
  const std::int64_t taps_c = g.op == OpKind::depthwise_conv2d ? 1 : g.in_c;
  for (std::int64_t ky = 0; ky < g.kernel_h; ++ky)
    for (std::int64_t kx = 0; kx < g.kernel_w; ++kx)
      for (std::int64_t i = 0; i < taps_c; ++i) {
        const std::int64_t ic = g.op == OpKind::depthwise_conv2d ? channel / g.depth_multiplier : i;
        one.weights[static_cast<std::size_t>(filter_index(h, 0, ky, kx, i))] =
            l.weights[static_cast<std::size_t>(filter_index(g, channel, ky, kx, ic))];
      }
  const auto c = static_cast<std::size_t>(channel);
  if (l.weight_scales.size() > 1) one.weight_scales = {l.weight_scales[c]};
  if (l.weight_zero_points.size() > 1) one.weight_zero_points = {l.weight_zero_points[c]};
  if (!l.bias.empty()) one.bias = {l.bias[c]};
  return one;
}

}  // namespace quantcheck
