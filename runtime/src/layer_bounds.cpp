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
  // contribution is independent of the others. |w - zp_w| < 2^17 and a
  // channel has < 2^31 taps: int64 holds the sums. The channel's taps in the
  // kernel's (ky, kx, i) order: contiguous for CONV_2D [O, KH, KW, I] and
  // FULLY_CONNECTED [O, K], every out_c-th value for DEPTHWISE_CONV_2D
  // [1, KH, KW, C] (filter_index unrolled, branch-free: this runs over every
  // weight of a model in `verify --runtime`).
  const bool dw = g.op == OpKind::depthwise_conv2d;
  const std::int64_t n = g.kernel_h * g.kernel_w * (dw ? 1 : g.in_c);
  const std::int64_t stride = dw ? g.out_c : 1;
  const std::int32_t* w_at = l.weights.data() + (dw ? channel : channel * n);
  const std::int64_t zp_w = r.weight_zero_point;
  // sum w and sum |w| (two plain sums the compiler vectorizes); then
  // positive = (sum|w| + sum w) / 2, negative = (sum w - sum|w|) / 2.
  std::int64_t sum = 0, sum_abs = 0;
  if (stride == 1) {
    for (std::int64_t k = 0; k < n; ++k) {
      const std::int64_t w = w_at[k] - zp_w;
      sum += w;
      sum_abs += w < 0 ? -w : w;
    }
  } else {
    for (std::int64_t k = 0; k < n; ++k) {
      const std::int64_t w = w_at[k * stride] - zp_w;
      sum += w;
      sum_abs += w < 0 ? -w : w;
    }
  }
  const std::int64_t positive = (sum_abs + sum) / 2, negative = (sum - sum_abs) / 2;
  r.sum_abs_weights = positive - negative;
  r.taps = n;
  if (r.pairs) {
    // VPMADDUBSW: raw uint8 x in [0, 255] times raw int8 w, pairs in tap order.
    for (std::int64_t k = 0; k + 1 < n; k += 2) {
      const std::int64_t a = w_at[k * stride], b = w_at[(k + 1) * stride];
      r.pair_max =
          std::max(r.pair_max, 255 * (std::max<std::int64_t>(a, 0) + std::max<std::int64_t>(b, 0)));
      r.pair_min =
          std::min(r.pair_min, 255 * (std::min<std::int64_t>(a, 0) + std::min<std::int64_t>(b, 0)));
    }
  }
  r.taps_max = int128{positive} * up + int128{negative} * down;
  r.taps_min = int128{positive} * down + int128{negative} * up;
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
                                     float bias_scale, bool flushed) {
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
  t.eps_m = flushed ? 1.0L : multiplier_relative_bound(path);
  t.r = requantization_bound_lsb(op_path);
  return output_error_bound(t);
}

}  // namespace quantcheck
