// The layer kernel against an independent convolution written here from the
// TFLite definitions (output size, SAME padding split, dilation, depth
// multiplier), and the exact side against hand-computed rationals.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "quantcheck/runtime/layer.hpp"
#include "quantcheck/runtime/profiles.hpp"

namespace quantcheck {
namespace {

struct Spec {
  OpKind op;
  int in_h, in_w, in_c, kh, kw, out_c, stride, dilation, dm;
  Padding pad;
};

IntegerLayer make(const Spec& s, std::mt19937& rng, ActivationType a, WeightType wt) {
  IntegerLayer l;
  LayerGeometry& g = l.geometry;
  g.op = s.op;
  g.in_h = s.in_h, g.in_w = s.in_w, g.in_c = s.in_c;
  g.kernel_h = s.kh, g.kernel_w = s.kw, g.out_c = s.out_c;
  g.stride_h = g.stride_w = s.stride;
  g.dilation_h = g.dilation_w = s.dilation;
  g.depth_multiplier = s.dm;
  g.padding = s.pad;
  l.activation = a;
  l.weight_type = wt;
  l.input_scale = 0.02f;
  l.input_zero_point = a == ActivationType::int8 ? -5 : (a == ActivationType::uint8 ? 100 : 0);
  l.output_scale = 0.37f;
  l.output_zero_point = a == ActivationType::int8 ? 3 : (a == ActivationType::uint8 ? 120 : 0);
  const int wlo = wt == WeightType::uint8 ? 0 : -127, whi = wt == WeightType::uint8 ? 255 : 127;
  std::uniform_int_distribution<int> w(wlo, whi);
  for (std::int64_t i = 0; i < g.filter_size(); ++i) l.weights.push_back(w(rng));
  for (int c = 0; c < s.out_c; ++c) {
    l.weight_scales.push_back(0.001f * static_cast<float>(c + 1));
    l.weight_zero_points.push_back(wt == WeightType::uint8 ? 128 + c : 0);
    l.bias.push_back(static_cast<std::int64_t>(c * 1000) - 1500);
  }
  l.bias_type = a == ActivationType::int16 ? BiasType::int64 : BiasType::int32;
  return l;
}

// Independent: TFLite's formulas, written out again.
TEST(Layer, AccumulatorsMatchAnIndependentConvolution) {
  const Spec specs[] = {
      {OpKind::conv2d, 7, 6, 3, 3, 3, 4, 2, 1, 1, Padding::same},
      {OpKind::conv2d, 9, 8, 2, 3, 2, 3, 1, 2, 1, Padding::valid},
      {OpKind::conv2d, 5, 5, 2, 2, 2, 2, 3, 2, 1, Padding::same},
      {OpKind::depthwise_conv2d, 6, 7, 3, 3, 3, 6, 2, 1, 2, Padding::same},
      {OpKind::depthwise_conv2d, 8, 8, 2, 2, 3, 2, 1, 3, 1, Padding::valid},
      {OpKind::fully_connected, 1, 1, 17, 1, 1, 5, 1, 1, 1, Padding::valid},
  };
  std::mt19937 rng(3);
  for (const Spec& s : specs) {
    for (ActivationType a : {ActivationType::int8, ActivationType::uint8, ActivationType::int16}) {
      const WeightType wt = a == ActivationType::uint8 ? WeightType::uint8 : WeightType::int8;
      const IntegerLayer l = make(s, rng, a, wt);
      const RuntimeProfile& p = find_runtime("gemmlowp");  // applies every zero point
      RuntimeProfile wide = find_runtime("tflite-reference");
      const RuntimeProfile& prof = a == ActivationType::int16 ? wide : p;
      const PreparedLayer prep = prepare_layer(prof, l);
      ASSERT_EQ(prep.rejected, "");
      std::uniform_int_distribution<int> xd(activation_min(a), activation_max(a));
      std::vector<std::int32_t> x(static_cast<std::size_t>(l.geometry.input_size()));
      for (auto& v : x) v = xd(rng);
      const LayerRun run = run_layer(prof, l, prep, x);

      // TFLite: out = ceil(in / stride) for SAME, ceil((in - eff + 1) / stride) for VALID.
      const int eh = (s.kh - 1) * s.dilation + 1, ew = (s.kw - 1) * s.dilation + 1;
      const int oh = s.op == OpKind::fully_connected ? 1
                     : s.pad == Padding::same        ? (s.in_h + s.stride - 1) / s.stride
                                                     : (s.in_h - eh + s.stride) / s.stride;
      const int ow = s.op == OpKind::fully_connected ? 1
                     : s.pad == Padding::same        ? (s.in_w + s.stride - 1) / s.stride
                                                     : (s.in_w - ew + s.stride) / s.stride;
      const int pt =
          s.pad == Padding::same ? std::max((oh - 1) * s.stride + eh - s.in_h, 0) / 2 : 0;
      const int pl =
          s.pad == Padding::same ? std::max((ow - 1) * s.stride + ew - s.in_w, 0) / 2 : 0;
      ASSERT_EQ(run.output.size(), static_cast<std::size_t>(oh * ow * s.out_c));
      for (int y = 0; y < oh; ++y)
        for (int xo = 0; xo < ow; ++xo)
          for (int o = 0; o < s.out_c; ++o) {
            long long acc = l.bias[static_cast<std::size_t>(o)];
            for (int ky = 0; ky < s.kh; ++ky)
              for (int kx = 0; kx < s.kw; ++kx) {
                const int iy = y * s.stride - pt + ky * s.dilation;
                const int ix = xo * s.stride - pl + kx * s.dilation;
                if (iy < 0 || iy >= s.in_h || ix < 0 || ix >= s.in_w) continue;
                if (s.op == OpKind::depthwise_conv2d) {
                  const int ic = o / s.dm;
                  const long long xv =
                      x[static_cast<std::size_t>((iy * s.in_w + ix) * s.in_c + ic)];
                  const long long wv =
                      l.weights[static_cast<std::size_t>((ky * s.kw + kx) * s.out_c + o)];
                  acc += (xv - l.input_zero_point) *
                         (wv - l.weight_zero_points[static_cast<std::size_t>(o)]);
                } else {
                  for (int ic = 0; ic < s.in_c; ++ic) {
                    const long long xv =
                        x[static_cast<std::size_t>((iy * s.in_w + ix) * s.in_c + ic)];
                    const long long wv = l.weights[static_cast<std::size_t>(
                        ((o * s.kh + ky) * s.kw + kx) * s.in_c + ic)];
                    acc += (xv - l.input_zero_point) *
                           (wv - l.weight_zero_points[static_cast<std::size_t>(o)]);
                  }
                }
              }
            const std::size_t at = static_cast<std::size_t>((y * ow + xo) * s.out_c + o);
            ASSERT_EQ(static_cast<long long>(run.trace[at].acc_exact), acc)
                << to_string(s.op) << " " << to_string(a) << " at " << y << "," << xo << "," << o;
            // Requantized with the primitive the profile names, + zp, clamped.
            const ChannelMultiplier& m = prep.channels[static_cast<std::size_t>(o)];
            long long want =
                a == ActivationType::int16
                    ? rq::mbqm_int64(acc, m.q31.q, m.q31.e).value
                    : rq::mbqm_double(static_cast<std::int32_t>(acc), m.q31.q, m.q31.e) +
                          l.output_zero_point;
            want = std::clamp<long long>(want, prep.out_min, prep.out_max);
            ASSERT_EQ(run.output[at], want);
          }
    }
  }
}

// The TFLite int8 conv reference never reads a signed filter's zero point.
TEST(Layer, Int8ConvReferenceIgnoresFilterZeroPoint) {
  IntegerLayer l;
  l.geometry.op = OpKind::conv2d;
  l.geometry.in_c = 2;
  l.activation = ActivationType::int8;
  l.input_scale = l.output_scale = 1.0f;
  l.weights = {3, 4};
  l.weight_scales = {1.0f};
  l.weight_zero_points = {1};
  const RuntimeProfile& p = find_runtime("tflite-reference");
  EXPECT_EQ(run_layer(p, l, prepare_layer(p, l), {2, 5}).trace[0].acc, 2 * 3 + 5 * 4);
  const RuntimeProfile& g = find_runtime("gemmlowp");
  EXPECT_EQ(run_layer(g, l, prepare_layer(g, l), {2, 5}).trace[0].acc, 2 * 2 + 5 * 3);
}

// The exact multiplier of float scales, and its rounding, by hand.
TEST(Layer, ExactMultiplierRounding) {
  // 0.5 * 0.5 / 0.125 = 2 exactly
  ExactMultiplier m = exact_multiplier(0.5f, 0.5f, 0.125f);
  EXPECT_EQ(*round_exact_half_up(3, m), 6);
  // 1 * 1 / 3: acc = 7 -> 2.333 -> 2; acc = -5 -> -1.666 -> -2; acc = 3 -> 1; 9/2 ties...
  m = exact_multiplier(1.0f, 1.0f, 3.0f);
  EXPECT_EQ(*round_exact_half_up(7, m), 2);
  EXPECT_EQ(*round_exact_half_up(-5, m), -2);
  // 0.1f is 13421773 * 2^-27: 10 * 0.1f / 1 = 1.0000000149 -> 1
  m = exact_multiplier(0.1f, 1.0f, 1.0f);
  EXPECT_EQ(*round_exact_half_up(10, m), 1);
  EXPECT_EQ(*round_exact_half_up(5, m), 1);    // 0.50000000745 -> 1
  EXPECT_EQ(*round_exact_half_up(-5, m), -1);  // -0.50000000745 -> -1 (below the tie)
  // 2^-100 scales: tiny products round to 0 (both signs)
  m = exact_multiplier(0x1p-100f, 0x1p-20f, 1.0f);
  EXPECT_EQ(*round_exact_half_up(int128{1} << 70, m), 0);
  m = exact_multiplier(0x1p-51f, 0x1p-20f, 1.0f);             // 2^-71
  EXPECT_EQ(*round_exact_half_up(int128{1} << 70, m), 1);     // 1/2: half up
  EXPECT_EQ(*round_exact_half_up(-(int128{1} << 70), m), 0);  // -1/2: half up
  EXPECT_EQ(*round_exact_half_up(int128{1} << 69, m), 0);
  EXPECT_FALSE(
      round_exact_half_up(int128{1} << 100, m).has_value());  // beyond the 78-bit accumulator
}

TEST(Layer, DyadicRounding) {
  EXPECT_EQ(*round_dyadic(5, 1, -1, false), 3);    // 2.5 -> 3
  EXPECT_EQ(*round_dyadic(5, 1, -1, true), 2);     // 2.5 -> 2
  EXPECT_EQ(*round_dyadic(-5, 1, -1, false), -2);  // -2.5 -> -2
  EXPECT_EQ(*round_dyadic(-5, 1, -1, true), -2);
  EXPECT_EQ(*round_dyadic(7, 3, 2, false), 84);
  EXPECT_FALSE(round_dyadic(int128{1} << 70, 1 << 30, 40, false).has_value());
}

}  // namespace
}  // namespace quantcheck
