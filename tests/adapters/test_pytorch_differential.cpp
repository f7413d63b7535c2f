// Differential test: our PyTorch presets against the real PyTorch (through the
// adapter) on thousands of generated cases, comparing every scale (bit for
// bit), zero point, quantized weight, bias scale and quantized bias. Any
// disagreement fails the test with the case.
//
// PyTorch converts the rounded float bias to int64 before clamping to int32,
// so on x86-64 a quotient outside int64 (|v| >= 2^63, +-Inf) or NaN becomes
// INT64_MIN and clamps to INT32_MIN whatever its sign. The presets reproduce
// that (issue 11's G; it used to be the documented difference "D1"); an
// independent model of the conversion here checks the adapter's answers, and
// the generator must reach it (input scales down to subnormal and up to FLT_MAX).
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>

#include "adapter_test_support.hpp"
#include "quantcheck/case_json.hpp"
#include "quantcheck/external_adapter.hpp"
#include "quantcheck/presets.hpp"

namespace quantcheck {
namespace {

// A seeded generator of cases aimed at where the arithmetic differs: exact
// rounding ties, tiny and huge channels, zero and constant channels, biases
// from 0 to far beyond int64 at the bias scale, input scales down to FLT_MIN.
class CaseGenerator {
 public:
  explicit CaseGenerator(std::uint64_t seed) : rng_(seed) {}

  Case next(WeightType type) {
    Case c;
    const int op = uniform(0, 2);
    const int channels = uniform(1, 6);
    if (op == 0) {
      c.op = OpKind::conv2d;
      const int k = uniform(0, 1) ? 3 : 1;
      c.weight_shape = {channels, k, k, uniform(1, 3)};
    } else if (op == 1) {
      c.op = OpKind::depthwise_conv2d;
      const int k = uniform(0, 1) ? 3 : 1;
      c.weight_shape = {1, k, k, channels};
    } else {
      c.op = OpKind::fully_connected;
      c.weight_shape = {channels, uniform(1, 12)};
    }
    const Layout l = case_layout(c.weights.empty() ? with_zeros(c) : c);
    c.weights.assign(static_cast<std::size_t>(l.channels * l.per_channel), 0.0f);
    std::vector<float> channel_abs_max(static_cast<std::size_t>(l.channels), 0.0f);
    for (std::int64_t ch = 0; ch < l.channels; ++ch) {
      std::vector<float> v = channel_values(type, static_cast<int>(l.per_channel));
      for (std::int64_t j = 0; j < l.per_channel; ++j) {
        // element j of channel ch: outer index j / inner, inner index j % inner
        const std::int64_t i = (j / l.inner) * l.channels * l.inner + ch * l.inner + j % l.inner;
        c.weights[static_cast<std::size_t>(i)] = v[static_cast<std::size_t>(j)];
        channel_abs_max[ch] = std::max(channel_abs_max[ch], std::fabs(v[j]));
      }
    }
    c.input_scale = input_scale();
    if (uniform(0, 9) != 0)
      for (std::int64_t ch = 0; ch < l.channels; ++ch)
        c.bias.push_back(bias(c.input_scale, channel_abs_max[ch]));
    return c;
  }

  int ties = 0;  // channels built on exact rounding ties

 private:
  static Case with_zeros(Case c) {
    std::int64_t n = 1;
    for (auto d : c.weight_shape) n *= d;
    c.weights.assign(static_cast<std::size_t>(n), 0.0f);
    return c;
  }
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  // A float in binade [2^lo, 2^(hi+1)) with a random 24-bit mantissa.
  float binade(int lo, int hi) {
    const int e = uniform(lo, hi);
    const float m = 1.0f + static_cast<float>(uniform(0, (1 << 23) - 1)) / float(1 << 23);
    const float v = std::ldexp(m, e);
    return std::isfinite(v) ? v : FLT_MAX;
  }
  float sign() { return uniform(0, 1) ? 1.0f : -1.0f; }

  std::vector<float> channel_values(WeightType type, int n) {
    std::vector<float> v(static_cast<std::size_t>(n));
    switch (uniform(0, 8)) {
      case 0:  // typical mixed
        for (float& x : v) x = sign() * binade(-12, 1);
        break;
      case 1:  // tiny, down to subnormal
        for (float& x : v) x = sign() * binade(-149, -40);
        break;
      case 2:  // dead channel
        break;
      case 3: {  // constant
        const float k = sign() * binade(-30, 3);
        for (float& x : v) x = k;
        break;
      }
      case 4:  // one-sided
      case 5: {
        const float s = uniform(0, 1) ? 1.0f : -1.0f;
        for (float& x : v) x = s * binade(-20, 0);
        break;
      }
      case 6: {  // huge magnitudes (ranges that overflow float32 when subtracted)
        for (float& x : v) x = sign() * binade(100, 127);
        break;
      }
      case 7: {  // mixed magnitude: one large value, the rest many binades smaller
        for (float& x : v) x = sign() * binade(-60, -20);
        v[static_cast<std::size_t>(uniform(0, n - 1))] = sign() * binade(-2, 2);
        break;
      }
      case 8: {  // exact ties: scale 2^e, values (k + 1/2) 2^e
        ++ties;
        const int e = uniform(-40, 5);
        const float step = std::ldexp(1.0f, e);
        if (type == WeightType::int8) {
          // max|x| = 127.5 * 2^e, so s = 127.5 * 2^e / 127.5 = 2^e exactly
          for (float& x : v) x = (static_cast<float>(uniform(-128, 126)) + 0.5f) * step;
          v[0] = (uniform(0, 1) ? 127.5f : -127.5f) * step;
        } else {
          // [min, max] = [-a, 255 - a] 2^e: s = 2^e, zp = a
          const int a = uniform(0, 255);
          for (float& x : v) x = (static_cast<float>(uniform(-a, 254 - a)) + 0.5f) * step;
          v[0] = static_cast<float>(-a) * step;
          if (n > 1) v[1] = static_cast<float>(255 - a) * step;
        }
        break;
      }
    }
    return v;
  }

  float input_scale() {
    switch (uniform(0, 6)) {
      case 0: return 1.0f / 127.0f;
      case 1: return 1.0f / 255.0f;
      case 2: return 1.0f / 32767.0f;
      case 3: return uniform(0, 3) ? binade(-40, -20) : FLT_MIN;
      case 4:  // subnormal and huge input scales (where s_b underflows or overflows)
        switch (uniform(0, 3)) {
          case 0: return binade(-149, -127);
          case 1: return binade(-126, -100);
          case 2: return binade(1, 127);
          default: return FLT_MAX;
        }
      default: return binade(-12, 0);
    }
  }

  // A bias relative to the bias scale the channel will roughly get.
  float bias(float s_in, float abs_max) {
    const float s_w = std::max(abs_max / 127.5f, FLT_EPSILON);
    switch (uniform(0, 5)) {
      case 0: return 0.0f;
      case 1: return sign() * binade(-10, 6);
      default: {
        // |b / s_b| around 2^k, k up to 70: past int32 (2^31) and int64 (2^63)
        const double b = std::ldexp(1.0 + uniform(0, 1023) / 1024.0, uniform(0, 70)) *
                         double(s_in) * double(s_w);
        if (!(b < FLT_MAX)) return sign() * FLT_MAX;
        return sign() * std::max(static_cast<float>(b), std::numeric_limits<float>::denorm_min());
      }
    }
  }

  std::mt19937_64 rng_;
};

// PyTorch's qint32 bias (quantize_val without FBGEMM, x86-64): float32
// inverse, nearbyint, int64 conversion (x86: INT64_MIN when out of range or
// NaN), clamp. Sets *outside_int64 when the conversion is out of range.
std::int64_t pytorch_bias_model(float b, float s_b, bool* outside_int64) {
  // IEEE 1 / +-0 is +-inf (PyTorch divides with no zero check); written
  // without the division so UBSan's float-divide-by-zero stays quiet.
  const float inv =
      s_b == 0 ? std::copysign(std::numeric_limits<float>::infinity(), s_b) : 1.0f / s_b;
  const float r = std::nearbyint(b * inv);
  *outside_int64 = std::isnan(r) || r >= 9223372036854775808.0f || r < -9223372036854775808.0f;
  const std::int64_t v =
      *outside_int64 ? std::numeric_limits<std::int64_t>::min() : static_cast<std::int64_t>(r);
  return std::clamp<std::int64_t>(v, std::numeric_limits<std::int32_t>::min(),
                                  std::numeric_limits<std::int32_t>::max());
}

std::uint32_t bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

struct Comparison {
  int cases = 0;
  int weights_compared = 0;
  int biases_compared = 0;
  int saturated_biases = 0;      // agreed on, beyond int32
  int beyond_int64 = 0;          // agreed on, INT32_MIN from the int64 conversion
  int extreme_input_scales = 0;  // cases with a subnormal or > 1 input scale
  std::vector<std::string> mismatches;
};

// Compares the preset (or a variant of it) with the adapter's mode on n cases.
Comparison compare(ExternalAdapter& adapter, const AdapterMode& mode, const Policy& preset, int n,
                   std::uint64_t seed, CaseGenerator* gen_out = nullptr) {
  CaseGenerator gen(seed);
  Comparison out;
  for (int k = 0; k < n; ++k) {
    const Case c = gen.next(mode.weight_type);
    const Result ours = quantize(preset, c);
    const Result real = adapter.quantize(c, mode);
    ++out.cases;
    if (c.input_scale < FLT_MIN || c.input_scale > 1.0f) ++out.extreme_input_scales;
    std::ostringstream diff;
    for (std::size_t g = 0; g < ours.weights.channels.size(); ++g) {
      const ChannelParams& a = ours.weights.channels[g];
      const ChannelParams& b = real.weights.channels[g];
      if (bits(a.scale) != bits(b.scale))
        diff << " scale[" << g << "] " << a.scale << " vs " << b.scale << ";";
      if (a.zero_point != b.zero_point)
        diff << " zero_point[" << g << "] " << a.zero_point << " vs " << b.zero_point << ";";
    }
    for (std::size_t i = 0; i < ours.weights.q.size(); ++i) {
      ++out.weights_compared;
      if (ours.weights.q[i] != real.weights.q[i])
        diff << " q[" << i << "] " << ours.weights.q[i] << " vs " << real.weights.q[i] << ";";
    }
    for (std::size_t i = 0; i < ours.bias.q.size(); ++i) {
      ++out.biases_compared;
      if (bits(ours.bias.scale[i]) != bits(real.bias.scale[i]))
        diff << " bias.scale[" << i << "] " << ours.bias.scale[i] << " vs " << real.bias.scale[i]
             << ";";
      bool outside = false;
      const std::int64_t model = pytorch_bias_model(c.bias[i], real.bias.scale[i], &outside);
      if (real.bias.q[i] != model)
        diff << " bias.q[" << i << "] PyTorch " << real.bias.q[i] << " vs model " << model << ";";
      if (ours.bias.q[i] != real.bias.q[i])
        diff << " bias.q[" << i << "] " << ours.bias.q[i] << " vs " << real.bias.q[i] << ";";
      else if (outside)
        ++out.beyond_int64;
      else if (real.bias.saturated[i])
        ++out.saturated_biases;
    }
    if (!diff.str().empty() && out.mismatches.size() < 5)
      out.mismatches.push_back(preset.name + ":" + diff.str() +
                               "\n  case: " + case_to_json(c).dump());
    else if (!diff.str().empty())
      out.mismatches.push_back("");
  }
  if (gen_out) *gen_out = gen;
  return out;
}

ExternalAdapter& pytorch() {
  static ExternalAdapter adapter(bundled_adapter_command("pytorch"));
  return adapter;
}

std::string first(const Comparison& r) { return r.mismatches.empty() ? "" : r.mismatches.front(); }

// Each PyTorch mode against the preset that restates it (per-tensor modes: the
// same preset with granularity per_tensor, the per-tensor affine uint8).
TEST(PytorchDifferential, PresetsAgreeWithTheRealPytorch) {
  QUANTCHECK_REQUIRE_TORCH();
  constexpr int kCases = 1500;
  int total_beyond = 0, total_ties = 0, total_extreme = 0;
  for (const AdapterMode& mode : pytorch().info().modes) {
    SCOPED_TRACE(mode.name);
    Policy preset = find_preset(mode.weight_type == WeightType::int8 ? "pytorch-int8-symmetric"
                                                                     : "pytorch-uint8-affine");
    ASSERT_TRUE(mode.preset.empty() || mode.preset == preset.name) << mode.preset;
    preset.granularity = mode.granularity;
    CaseGenerator gen(0);
    const Comparison r = compare(pytorch(), mode, preset, kCases, 1234, &gen);
    EXPECT_EQ(r.mismatches.size(), 0u)
        << r.mismatches.size() << " of " << r.cases << " cases differ; first: " << first(r);
    EXPECT_EQ(r.cases, kCases);
    EXPECT_GT(r.weights_compared, 20 * kCases);
    EXPECT_GT(r.saturated_biases, kCases / 10);  // int32 saturation, agreed on
    total_beyond += r.beyond_int64;
    total_extreme += r.extreme_input_scales;
    total_ties += gen.ties;
    std::cout << "[ differential ] " << mode.name << " vs " << preset.name << ": " << r.cases
              << " cases, " << r.weights_compared << " weights, " << r.biases_compared
              << " biases (" << r.saturated_biases << " saturated alike, " << r.beyond_int64
              << " beyond int64 alike), " << r.extreme_input_scales
              << " subnormal or huge input scales, " << gen.ties << " tie channels\n";
  }
  EXPECT_GT(total_ties, 400);
  EXPECT_GT(total_beyond, 0);  // the generator reaches the int64 conversion (issue 11's G)
  EXPECT_GT(total_extreme, 500);
}

// The differential test has teeth: a preset with a wrong knob disagrees.
TEST(PytorchDifferential, NoticesAWrongKnob) {
  QUANTCHECK_REQUIRE_TORCH();
  const AdapterMode& mode = *pytorch().info().find_mode(WeightType::int8);
  const Policy& right = find_preset("pytorch-int8-symmetric");
  Policy away = right;  // ties away from zero instead of nearbyint's ties to even
  away.rounding = Rounding::half_away_from_zero;
  Policy divisor = right;  // max / 127 instead of max / 127.5
  divisor.scale_divisor = 127.0;
  for (const Policy* wrong : {&away, &divisor}) {
    const Comparison r = compare(pytorch(), mode, *wrong, 300, 99);
    EXPECT_GT(r.mismatches.size(), 0u) << "a preset with a wrong knob agreed with PyTorch";
  }
}

}  // namespace
}  // namespace quantcheck

namespace quantcheck {
namespace {

// PyTorch multiplies by the float32 inverse (fbgemm's own example: s =
// 0.00214854861, x = 0.273939937: x * (1/s) = 127.5 exactly in float32, while
// x / s = 127.499995). The preset knob float32_inverse says so; a preset that
// divides gets 127 where PyTorch gets 128.
TEST(PytorchDifferential, MultipliesByTheFloat32InverseNotDivides) {
  QUANTCHECK_REQUIRE_TORCH();
  Case c;
  c.op = OpKind::fully_connected;
  c.input_scale = 1.0f / 255.0f;
  c.weight_shape = {1, 3};
  c.weights = {0.0f, 0.5478798747062683f, 0.273939937f};  // range / 255 = 0.00214854861f
  const AdapterMode& mode =
      *pytorch().info().find_mode(WeightType::uint8, Granularity::per_channel);
  const Result real = pytorch().quantize(c, mode);
  ASSERT_EQ(real.weights.channels[0].scale, 0.00214854861f);
  EXPECT_EQ(real.weights.channels[0].zero_point, 0);
  EXPECT_EQ(real.weights.q[2], 128);
  EXPECT_EQ(quantize(find_preset("pytorch-uint8-affine"), c).weights.q[2], 128);
  Policy divide = find_preset("pytorch-uint8-affine");
  divide.weight_arithmetic = WeightArithmetic::float64_divide;
  EXPECT_EQ(quantize(divide, c).weights.q[2], 127);
}

}  // namespace
}  // namespace quantcheck
