// The integer layer kernel (layer.hpp): geometry as TFLite computes it, then
// one plain loop per output element that reads like reference/integer_ops/
// conv.h: accumulate (x - zp_x)(w - zp_w), add the bias, requantize as the
// profile says, add zp_out, clamp.
#include "quantcheck/runtime/layer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "quantcheck/error.hpp"

namespace quantcheck {
namespace {

std::int64_t effective_kernel(std::int64_t k, int dilation) { return (k - 1) * dilation + 1; }

// TFLite ComputeOutSize.
std::int64_t out_size(Padding p, std::int64_t in, std::int64_t k, int stride, int dilation) {
  const std::int64_t ek = effective_kernel(k, dilation);
  if (p == Padding::same) return (in + stride - 1) / stride;
  return in >= ek ? (in + stride - ek) / stride : 0;
}

// TFLite ComputePaddingWithOffset: the total padding, the smaller half first.
std::int64_t pad_before(std::int64_t in, std::int64_t out, std::int64_t k, int stride,
                        int dilation) {
  const std::int64_t total = (out - 1) * stride + effective_kernel(k, dilation) - in;
  return std::max<std::int64_t>(total, 0) / 2;
}

bool is_16(ActivationType a) { return a == ActivationType::int16; }

int128 type_min(AccumulatorType t) {
  return t == AccumulatorType::int32 ? int128{std::numeric_limits<std::int32_t>::min()}
                                     : int128{std::numeric_limits<std::int64_t>::min()};
}
int128 type_max(AccumulatorType t) {
  return t == AccumulatorType::int32 ? int128{std::numeric_limits<std::int32_t>::max()}
                                     : int128{std::numeric_limits<std::int64_t>::max()};
}

// Two's-complement wrap of v to the accumulator type.
std::int64_t wrap_to(AccumulatorType t, int128 v) {
  return t == AccumulatorType::int32 ? std::int64_t{static_cast<std::int32_t>(v)}
                                     : static_cast<std::int64_t>(v);
}

// A float32 as num 2^exp2 (num has at most 24 bits).
void float_as_dyadic(float s, std::int64_t& num, int& exp2) {
  int e = 0;
  const double f = std::frexp(static_cast<double>(s), &e);
  num = static_cast<std::int64_t>(std::ldexp(f, 24));
  exp2 = e - 24;
  if (num == 0) exp2 = 0;
}

std::int64_t weight_zp(const IntegerLayer& l, std::int64_t channel) {
  if (l.weight_zero_points.empty()) return 0;
  return l.weight_zero_points.size() == 1 ? l.weight_zero_points[0]
                                          : l.weight_zero_points[static_cast<std::size_t>(channel)];
}

float weight_scale(const IntegerLayer& l, std::int64_t channel) {
  return l.weight_scales.size() == 1 ? l.weight_scales[0]
                                     : l.weight_scales[static_cast<std::size_t>(channel)];
}

void validate_layer(const IntegerLayer& l) {
  const LayerGeometry& g = l.geometry;
  if (g.batch < 1 || g.in_h < 1 || g.in_w < 1 || g.in_c < 1 || g.kernel_h < 1 || g.kernel_w < 1 ||
      g.out_c < 1 || g.stride_h < 1 || g.stride_w < 1 || g.dilation_h < 1 || g.dilation_w < 1 ||
      g.depth_multiplier < 1)
    throw InputError("layer: every dimension, stride and dilation must be >= 1");
  if (g.op == OpKind::depthwise_conv2d && g.out_c != g.in_c * g.depth_multiplier)
    throw InputError("layer: depthwise output channels must be in_c * depth_multiplier");
  if (g.op == OpKind::fully_connected &&
      (g.kernel_h != 1 || g.kernel_w != 1 || g.in_h != 1 || g.in_w != 1))
    throw InputError("layer: fully_connected has no spatial dimensions");
  if (static_cast<std::int64_t>(l.weights.size()) != g.filter_size())
    throw InputError("layer: " + std::to_string(l.weights.size()) + " weights for a filter of " +
                     std::to_string(g.filter_size()));
  const auto ns = static_cast<std::int64_t>(l.weight_scales.size());
  if (ns != 1 && ns != g.out_c) throw InputError("layer: weight scales must number 1 or out_c");
  if (!l.weight_zero_points.empty() && l.weight_zero_points.size() != l.weight_scales.size())
    throw InputError("layer: weight zero points must number as the weight scales");
  if (!l.bias.empty() && static_cast<std::int64_t>(l.bias.size()) != g.out_c)
    throw InputError("layer: bias must have out_c values or none");
  if (g.out_h() < 1 || g.out_w() < 1)
    throw InputError("layer: the kernel is larger than the input");
}

// The multiplier the path computes from the float32 scales.
double computed_multiplier(ScaleComputation s, float s_in, float s_w, float s_out) {
  // A zero output scale has no multiplier (Prepare rejects the NaN); dividing
  // by it would be a float division by zero (found by fuzz_requantize).
  if (s_out == 0) return std::numeric_limits<double>::quiet_NaN();
  switch (s) {
    case ScaleComputation::double_per_channel:
      return static_cast<double>(s_in) * static_cast<double>(s_w) / static_cast<double>(s_out);
    case ScaleComputation::float_product_then_double: {
      const float product = s_in * s_w;
      return static_cast<double>(product) / static_cast<double>(s_out);
    }
    case ScaleComputation::float32: {
      const float product = s_in * s_w;
      const float quotient = product / s_out;
      return static_cast<double>(quotient);
    }
  }
  return 0;
}

bool is_q31(MultiplierForm f) {
  return f == MultiplierForm::q31 || f == MultiplierForm::q31_reduced15;
}

}  // namespace

std::int64_t LayerGeometry::out_h() const {
  if (op == OpKind::fully_connected) return 1;
  return out_size(padding, in_h, kernel_h, stride_h, dilation_h);
}
std::int64_t LayerGeometry::out_w() const {
  if (op == OpKind::fully_connected) return 1;
  return out_size(padding, in_w, kernel_w, stride_w, dilation_w);
}
std::int64_t LayerGeometry::pad_top() const {
  if (op == OpKind::fully_connected || padding == Padding::valid) return 0;
  return pad_before(in_h, out_h(), kernel_h, stride_h, dilation_h);
}
std::int64_t LayerGeometry::pad_left() const {
  if (op == OpKind::fully_connected || padding == Padding::valid) return 0;
  return pad_before(in_w, out_w(), kernel_w, stride_w, dilation_w);
}
std::int64_t LayerGeometry::products_per_output() const {
  return kernel_h * kernel_w * (op == OpKind::depthwise_conv2d ? 1 : in_c);
}
std::int64_t LayerGeometry::input_size() const { return batch * in_h * in_w * in_c; }
std::int64_t LayerGeometry::output_size() const { return batch * out_h() * out_w() * out_c; }
std::int64_t LayerGeometry::filter_size() const {
  switch (op) {
    case OpKind::conv2d: return out_c * kernel_h * kernel_w * in_c;
    case OpKind::depthwise_conv2d: return kernel_h * kernel_w * out_c;
    case OpKind::fully_connected: return out_c * in_c;
  }
  return 0;
}

std::int64_t filter_index(const LayerGeometry& g, std::int64_t o, std::int64_t kh, std::int64_t kw,
                          std::int64_t i) {
  switch (g.op) {
    case OpKind::conv2d: return ((o * g.kernel_h + kh) * g.kernel_w + kw) * g.in_c + i;
    case OpKind::depthwise_conv2d: return (kh * g.kernel_w + kw) * g.out_c + o;
    case OpKind::fully_connected: return o * g.in_c + i;
  }
  return 0;
}

PreparedLayer prepare_layer(const RuntimeProfile& p, const IntegerLayer& l) {
  PreparedLayer out;
  prepare_layer(p, l, out);
  return out;
}

void prepare_layer(const RuntimeProfile& p, const IntegerLayer& l, PreparedLayer& out) {
  validate_layer(l);
  out.rejected.clear();
  out.channels.clear();
  const RuntimePath& path = path_for(p, l.activation);
  const std::int32_t qmin = activation_min(l.activation);
  const std::int32_t qmax = activation_max(l.activation);
  out.out_min = path.clamp == OutputClamp::symmetric && qmin < 0 ? -qmax : qmin;
  out.out_max = qmax;
  auto reject = [&](const std::string& why) {
    out.rejected.assign(p.name).append(": ").append(why);
  };
  if (!path.supported) return reject("no " + to_string(l.activation) + " activation path");
  if (l.weight_type == WeightType::int16 && !path.int16_weights)
    return reject("int16 weights are not supported");
  if (l.input_zero_point < qmin || l.input_zero_point > qmax || l.output_zero_point < qmin ||
      l.output_zero_point > qmax)
    return reject("a zero point is outside the activation type");
  if (is_16(l.activation) && p.prepare.require_zero_io_zero_points_16 &&
      (l.input_zero_point != 0 || l.output_zero_point != 0))
    return reject("16-bit input and output zero points must be 0");
  for (std::size_t i = 0; i < l.weight_zero_points.size(); ++i) {
    if (p.prepare.require_equal_weight_zero_points &&
        l.weight_zero_points[i] != l.weight_zero_points[0])
      return reject("filter zero point must be constant");
    if (p.prepare.require_zero_weight_zero_point && l.weight_type != WeightType::uint8 &&
        l.weight_zero_points[i] != 0)
      return reject("unsupported zero-point value " + std::to_string(l.weight_zero_points[i]) +
                    " in channel " + std::to_string(i));
  }
  auto normal = [](float s) { return std::isnormal(s) && s > 0; };
  if (p.prepare.reject_non_normal_scale) {
    if (!normal(l.input_scale) || !normal(l.output_scale))
      return reject("scale must be finite, normalized, and positive");
    for (float s : l.weight_scales)
      if (!normal(s)) return reject("scale must be finite, normalized, and positive");
  }
  out.channels.resize(static_cast<std::size_t>(l.geometry.out_c));
  for (std::int64_t c = 0; c < l.geometry.out_c; ++c) {
    ChannelMultiplier& m = out.channels[static_cast<std::size_t>(c)];
    m.real = computed_multiplier(scale_for(path, l.geometry.op), l.input_scale, weight_scale(l, c),
                                 l.output_scale);
    if (!std::isfinite(m.real) || m.real < 0)
      return reject("channel " + std::to_string(c) + ": the multiplier is not a finite value >= 0");
    if (p.prepare.reject_multiplier_at_least > 0 && m.real >= p.prepare.reject_multiplier_at_least)
      return reject("requantization scale " + std::to_string(m.real) + " is greater or equal to " +
                    std::to_string(p.prepare.reject_multiplier_at_least));
    if (is_q31(path.multiplier)) {
      const rq::QuantizedMultiplier plain = rq::quantize_multiplier(m.real, false, false);
      m.q31 =
          rq::quantize_multiplier(m.real, path.flush_tiny_multiplier, path.single_rounding_clamp);
      m.flushed = m.q31.flushed;
      m.clamped = m.q31.clamped;
      if (path.multiplier == MultiplierForm::q31) {
        m.repr_num = plain.q;
        m.repr_exp2 = plain.e - 31;
      } else {
        m.repr_num = rq::reduced15(plain.q);
        m.repr_exp2 = plain.e - 15;
      }
    } else {
      m.scale32 = static_cast<float>(m.real);
      float_as_dyadic(m.scale32, m.repr_num, m.repr_exp2);
    }
  }
}

LayerRun run_layer(const RuntimeProfile& p, const IntegerLayer& l, const PreparedLayer& prep,
                   const std::vector<std::int32_t>& input, bool trace) {
  LayerRun run;
  run_layer(p, l, prep, input, run, trace);
  return run;
}

void run_layer(const RuntimeProfile& p, const IntegerLayer& l, const PreparedLayer& prep,
               const std::vector<std::int32_t>& input, LayerRun& run, bool trace) {
  const LayerGeometry& g = l.geometry;
  if (static_cast<std::int64_t>(input.size()) != g.input_size())
    throw InputError("input has " + std::to_string(input.size()) + " values, the layer takes " +
                     std::to_string(g.input_size()));
  if (!prep.rejected.empty()) throw InputError("prepare rejected the layer: " + prep.rejected);
  const RuntimePath& path = path_for(p, l.activation);
  // The op's own rounding where the profile gives one (tflite-x86 depthwise).
  RuntimePath op_path = path;
  op_path.rounding = rounding_for(path, l.geometry.op);
  const AccumulatorType acc_type = path.accumulator;
  const bool pairs = path.int16_pair_saturation && l.activation == ActivationType::uint8 &&
                     l.weight_type == WeightType::int8 && g.op != OpKind::depthwise_conv2d;
  const std::int64_t out_h = g.out_h(), out_w = g.out_w();
  const std::int64_t pad_t = g.pad_top(), pad_l = g.pad_left();
  const std::int64_t taps_c = g.op == OpKind::depthwise_conv2d ? 1 : g.in_c;
  const std::int32_t zp_out = l.output_zero_point;

  run.output.resize(static_cast<std::size_t>(g.output_size()));
  run.trace.resize(trace ? run.output.size() : 0);
  std::size_t at = 0;
  for (std::int64_t b = 0; b < g.batch; ++b) {
    for (std::int64_t oy = 0; oy < out_h; ++oy) {
      for (std::int64_t ox = 0; ox < out_w; ++ox) {
        for (std::int64_t oc = 0; oc < g.out_c; ++oc, ++at) {
          OutputTrace t;
          // Every runtime subtracts a uint8 filter's zero point; the TFLite int8
          // conv reference never reads a signed filter's.
          const std::int64_t zp_w =
              path.apply_weight_zero_point || l.weight_type == WeightType::uint8 ? weight_zp(l, oc)
                                                                                 : 0;
          const std::int64_t zp_x = l.input_zero_point;
          // The taps' sum in int64 (|products| < 2^31, at most 2^31 of them: exact);
          // the bias joins in 128 bits below.
          std::int64_t taps = 0;
          const bool narrow = acc_type == AccumulatorType::int32;
          int128 pair_loss = 0;  // what the int16 pair saturation removed
          bool partial_overflow = false;
          std::int64_t pair_raw = 0;  // raw u8 x s8 product of the open pair
          int in_pair = 0;
          for (std::int64_t ky = 0; ky < g.kernel_h; ++ky) {
            for (std::int64_t kx = 0; kx < g.kernel_w; ++kx) {
              const std::int64_t iy = oy * g.stride_h - pad_t + ky * g.dilation_h;
              const std::int64_t ix = ox * g.stride_w - pad_l + kx * g.dilation_w;
              const bool inside = iy >= 0 && iy < g.in_h && ix >= 0 && ix < g.in_w;
              for (std::int64_t i = 0; i < taps_c; ++i) {
                const std::int64_t ic =
                    g.op == OpKind::depthwise_conv2d ? oc / g.depth_multiplier : i;
                // Padding reads as the input zero point: the product is 0.
                const std::int64_t x = inside
                                           ? input[static_cast<std::size_t>(
                                                 ((b * g.in_h + iy) * g.in_w + ix) * g.in_c + ic)]
                                           : zp_x;
                const std::int64_t w =
                    l.weights[static_cast<std::size_t>(filter_index(g, oc, ky, kx, ic))];
                taps += (x - zp_x) * (w - zp_w);
                if (narrow && (taps < std::numeric_limits<std::int32_t>::min() ||
                               taps > std::numeric_limits<std::int32_t>::max()))
                  partial_overflow = true;
                if (pairs) {
                  // VPMADDUBSW: raw uint8 x times raw int8 w, pairs summed into int16.
                  pair_raw += x * w;
                  if (++in_pair == 2) {
                    const std::int64_t sat = std::clamp<std::int64_t>(pair_raw, -32768, 32767);
                    if (sat != pair_raw) t.pair_saturated = true;
                    pair_loss += pair_raw - sat;
                    pair_raw = 0;
                    in_pair = 0;
                  }
                }
              }
            }
          }
          int128 acc = taps;
          if (!l.bias.empty()) {
            std::int64_t bias = l.bias[static_cast<std::size_t>(oc)];
            if (acc_type == AccumulatorType::int32 &&
                (bias < std::numeric_limits<std::int32_t>::min() ||
                 bias > std::numeric_limits<std::int32_t>::max())) {
              partial_overflow = true;  // an int64 bias read into an int32 accumulator
              bias = static_cast<std::int32_t>(bias);
            }
            acc += bias;
            if (acc < type_min(acc_type) || acc > type_max(acc_type)) partial_overflow = true;
          }
          t.acc_exact = acc;
          const int128 profile_sum = acc - pair_loss;
          t.acc = wrap_to(acc_type, profile_sum);
          t.acc_overflow = partial_overflow || t.pair_saturated || profile_sum != int128{t.acc};

          const Requantized rq = requantize(op_path, prep.channels[static_cast<std::size_t>(oc)],
                                            t.acc, zp_out, prep.out_min, prep.out_max);
          t.requant_overflow = rq.overflow;
          t.y = rq.y;
          run.output[at] = t.y;
          if (trace) run.trace[at] = t;
        }
      }
    }
  }
}

Requantized requantize(const RuntimePath& path, const ChannelMultiplier& m, std::int64_t acc,
                       std::int32_t zp_out, std::int32_t out_min, std::int32_t out_max) {
  Requantized out;
  const auto acc32 = static_cast<std::int32_t>(acc);  // the int32 paths hold an int32
  std::int64_t y = 0;
  switch (path.rounding) {
    case RequantRounding::srdhm_rhu_then_rdbpot_rhafz:
      y = rq::mbqm_double(acc32, m.q31.q, m.q31.e);
      break;
    case RequantRounding::ruy_x86_rhu_then_rhu: y = rq::ruy_x86(acc32, m.q31.q, m.q31.e); break;
    case RequantRounding::single_rhu: y = rq::mbqm_single(acc32, m.q31.q, m.q31.e); break;
    case RequantRounding::int64_reduced_single_rhu: {
      const rq::Checked c = rq::mbqm_int64(acc, m.q31.q, m.q31.e);
      y = c.value;
      out.overflow = c.overflow;
      break;
    }
    case RequantRounding::float32_rne:
      // MLAS / XNNPACK clamp to [min - zp, max - zp] in float before rounding.
      y = rq::float32_rne(acc32, m.scale32, static_cast<float>(out_min - zp_out),
                          static_cast<float>(out_max - zp_out));
      break;
    case RequantRounding::float64_rne: y = rq::float64_rne(acc, m.scale32); break;
    case RequantRounding::mantissa24_rhu: y = rq::mantissa24_rhu(acc, m.scale32); break;
  }
  if (path.add_output_zero_point) y += zp_out;
  out.y = static_cast<std::int32_t>(std::clamp<std::int64_t>(y, out_min, out_max));
  return out;
}

std::optional<std::int64_t> requantize_exact(const RuntimePath& path, const ChannelMultiplier& m,
                                             int128 acc, std::int32_t zp_out, std::int32_t out_min,
                                             std::int32_t out_max) {
  const bool even = path.rounding == RequantRounding::float32_rne ||
                    path.rounding == RequantRounding::float64_rne;
  const std::optional<std::int64_t> r = round_dyadic(acc, m.repr_num, m.repr_exp2, even);
  if (!r) return std::nullopt;
  const std::int64_t y = *r + (path.add_output_zero_point ? zp_out : 0);
  return std::clamp<std::int64_t>(y, out_min, out_max);
}

ExactMultiplier exact_multiplier(float s_in, float s_w, float s_out) {
  std::int64_t n_in = 0, n_w = 0, n_out = 0;
  int e_in = 0, e_w = 0, e_out = 0;
  float_as_dyadic(s_in, n_in, e_in);
  float_as_dyadic(s_w, n_w, e_w);
  float_as_dyadic(s_out, n_out, e_out);
  ExactMultiplier m;
  m.num = static_cast<std::uint64_t>(n_in) * static_cast<std::uint64_t>(n_w);
  m.den = n_out > 0 ? static_cast<std::uint64_t>(n_out) : 1;
  m.exp2 = e_in + e_w - e_out;
  return m;
}

namespace {

int bit_length(int128 v) {
  uint128 u = v < 0 ? static_cast<uint128>(-v) : static_cast<uint128>(v);
  int n = 0;
  while (u != 0) {
    u >>= 1;
    ++n;
  }
  return n;
}

// floor(a / b) for b > 0.
int128 floor_div(int128 a, int128 b) {
  int128 q = a / b;
  if ((a % b != 0) && (a < 0)) --q;
  return q;
}

std::optional<std::int64_t> fits62(int128 v) {
  const int128 lim = int128{1} << 62;
  if (v >= lim || v <= -lim) return std::nullopt;
  return static_cast<std::int64_t>(v);
}

}  // namespace

std::optional<std::int64_t> round_exact_half_up(int128 a, const ExactMultiplier& m) {
  if (bit_length(a) > 78) return std::nullopt;
  const int128 n = a * static_cast<int128>(m.num);  // < 2^126
  const auto den = static_cast<int128>(m.den);
  if (m.exp2 >= 0) {
    if (bit_length(n) + m.exp2 > 125) return std::nullopt;
    // floor(n 2^k / den + 1/2) = floor((2 n 2^k + den) / (2 den))
    return fits62(floor_div((n << m.exp2) * 2 + den, 2 * den));
  }
  // value = (n / den) 2^-s; with Q = floor(n / den), floor(value + 1/2) =
  // floor((Q + 2^(s-1)) / 2^s) (the dropped fraction of n / den cannot carry).
  const int s = -m.exp2;
  const int128 q = floor_div(n, den);
  if (s > 125) return 0;
  return fits62(floor_div(q + (int128{1} << (s - 1)), int128{1} << s));
}

std::optional<std::int64_t> round_dyadic(int128 a, std::int64_t num, int exp2, bool ties_to_even) {
  if (bit_length(a) > 78 || num < 0) return std::nullopt;
  const int128 n = a * num;
  if (exp2 >= 0) {
    if (bit_length(n) + exp2 > 125) return std::nullopt;
    return fits62(n << exp2);
  }
  const int s = -exp2;
  if (s > 125) return 0;
  const int128 fl = n >> s;  // floor
  const int128 rem = n - (fl << s);
  const int128 half = int128{1} << (s - 1);
  int128 r = fl;
  if (rem > half || (rem == half && (!ties_to_even || (fl & 1) != 0))) r = fl + 1;
  return fits62(r);
}

int128 worst_case_accumulator(const IntegerLayer& l, std::int64_t channel) {
  const LayerGeometry& g = l.geometry;
  const std::int64_t zp_x = l.input_zero_point;
  const std::int64_t x_abs = std::max<std::int64_t>(activation_max(l.activation) - zp_x,
                                                    zp_x - activation_min(l.activation));
  const std::int64_t zp_w = weight_zp(l, channel);
  int128 sum = l.bias.empty() ? 0 : int128{l.bias[static_cast<std::size_t>(channel)]};
  sum = sum < 0 ? -sum : sum;
  const std::int64_t taps_c = g.op == OpKind::depthwise_conv2d ? 1 : g.in_c;
  for (std::int64_t ky = 0; ky < g.kernel_h; ++ky)
    for (std::int64_t kx = 0; kx < g.kernel_w; ++kx)
      for (std::int64_t i = 0; i < taps_c; ++i) {
        const std::int64_t ic = g.op == OpKind::depthwise_conv2d ? channel / g.depth_multiplier : i;
        const std::int64_t w =
            l.weights[static_cast<std::size_t>(filter_index(g, channel, ky, kx, ic))] - zp_w;
        sum += int128{x_abs} * (w < 0 ? -w : w);
      }
  return sum;
}

std::vector<std::int32_t> extreme_input(const IntegerLayer& l, std::int64_t channel, int sign) {
  const LayerGeometry& g = l.geometry;
  std::vector<std::int32_t> x(static_cast<std::size_t>(g.input_size()), l.input_zero_point);
  // An output position whose receptive field lies wholly inside the input.
  std::int64_t oy0 = 0, ox0 = 0;
  const std::int64_t pad_t = g.pad_top(), pad_l = g.pad_left();
  auto inside_y = [&](std::int64_t oy) {
    const std::int64_t top = oy * g.stride_h - pad_t;
    return top >= 0 && top + (g.kernel_h - 1) * g.dilation_h < g.in_h;
  };
  auto inside_x = [&](std::int64_t ox) {
    const std::int64_t left = ox * g.stride_w - pad_l;
    return left >= 0 && left + (g.kernel_w - 1) * g.dilation_w < g.in_w;
  };
  for (std::int64_t oy = 0; oy < g.out_h(); ++oy)
    if (inside_y(oy)) {
      oy0 = oy;
      break;
    }
  for (std::int64_t ox = 0; ox < g.out_w(); ++ox)
    if (inside_x(ox)) {
      ox0 = ox;
      break;
    }
  const std::int64_t zp_w = weight_zp(l, channel);
  const std::int64_t taps_c = g.op == OpKind::depthwise_conv2d ? 1 : g.in_c;
  for (std::int64_t ky = 0; ky < g.kernel_h; ++ky)
    for (std::int64_t kx = 0; kx < g.kernel_w; ++kx) {
      const std::int64_t iy = oy0 * g.stride_h - pad_t + ky * g.dilation_h;
      const std::int64_t ix = ox0 * g.stride_w - pad_l + kx * g.dilation_w;
      if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) continue;
      for (std::int64_t i = 0; i < taps_c; ++i) {
        const std::int64_t ic = g.op == OpKind::depthwise_conv2d ? channel / g.depth_multiplier : i;
        const std::int64_t w =
            l.weights[static_cast<std::size_t>(filter_index(g, channel, ky, kx, ic))] - zp_w;
        const bool high = sign * w > 0;
        x[static_cast<std::size_t>((iy * g.in_w + ix) * g.in_c + ic)] =
            w == 0 ? l.input_zero_point
                   : (high ? activation_max(l.activation) : activation_min(l.activation));
      }
    }
  return x;
}

}  // namespace quantcheck
