// The adversarial generators (generators.hpp). Each choice is an integer drawn
// by int_toward/pick so that RapidCheck shrinks it toward the most ordinary
// option; the values are then built from those integers.
#include "quantcheck/generators.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>

namespace quantcheck::gen {

rc::Gen<std::int64_t> int_toward(std::int64_t lo, std::int64_t hi, std::int64_t toward) {
  return rc::Gen<std::int64_t>([=](const rc::Random& random, int) {
    rc::Random r(random);
    const std::uint64_t span = static_cast<std::uint64_t>(hi - lo) + 1;
    const std::int64_t v = lo + static_cast<std::int64_t>(span == 0 ? r.next() : r.next() % span);
    return rc::shrinkable::shrinkRecur(
        v, [=](std::int64_t x) { return rc::shrink::towards<std::int64_t>(x, toward); });
  });
}

rc::Gen<int> pick(std::vector<int> weights) {
  int total = 0;
  for (int w : weights) total += w;
  return rc::gen::map(int_toward(0, total - 1, 0), [weights](std::int64_t n) {
    int i = 0;
    for (int w : weights) {
      if (n < w) return i;
      n -= w;
      ++i;
    }
    return i - 1;
  });
}

namespace {

float from_bits(std::uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// +-2^e * (1 + mantissa / 2^23) for normal binades; a subnormal with its
// leading bit at 2^e for e < -126.
float make_binade_float(int e, std::uint32_t mantissa, bool negative) {
  std::uint32_t bits;
  if (e >= -126) {
    bits = (static_cast<std::uint32_t>(e + 127) << 23) | (mantissa & 0x7fffffu);
  } else {
    const int lead = e + 149;  // 0..22
    const std::uint32_t below = (std::uint32_t{1} << lead) - 1;
    bits = (std::uint32_t{1} << lead) | (mantissa & below);
  }
  if (negative) bits |= 0x80000000u;
  return from_bits(bits);
}

const std::vector<float>& special_values() {
  static const std::vector<float> v = {
      1.0f,
      0.0f,
      -0.0f,
      std::numeric_limits<float>::denorm_min(),
      -std::numeric_limits<float>::denorm_min(),
      FLT_MIN,
      std::nextafter(FLT_MIN, 0.0f),  // the largest subnormal
      std::nextafter(FLT_MIN, 1.0f),
      FLT_MAX,
      -FLT_MAX,
      std::nextafter(1.0f, 0.0f),
      std::nextafter(1.0f, 2.0f),
      -1.0f,
      0.5f,
      FLT_EPSILON,
      1e-20f,
      1.635772e-19f,  // max|w| of ONE #6970's channel
      -1.2156529426574707f,
  };
  return v;
}

// Clamps a double into the finite float range (for values built by multiplication).
float finite_float(double v) {
  if (std::isnan(v)) return 0.0f;
  if (v > FLT_MAX) return FLT_MAX;
  if (v < -FLT_MAX) return -FLT_MAX;
  return static_cast<float>(v);
}

}  // namespace

rc::Gen<float> binade_float(int min_exp, int max_exp, bool signed_) {
  const std::int64_t toward = std::clamp(0, min_exp, max_exp);
  return rc::gen::apply(
      [](std::int64_t e, int mantissa_kind, std::int64_t mantissa, int sign) {
        std::uint32_t m = 0;
        if (mantissa_kind == 1) m = static_cast<std::uint32_t>(mantissa);
        if (mantissa_kind == 2) m = 0x7fffffu;  // just below the next power of two
        return make_binade_float(static_cast<int>(e), m, sign == 1);
      },
      int_toward(min_exp, max_exp, toward), pick({3, 5, 1}), int_toward(0, 0x7fffff, 0),
      signed_ ? pick({1, 1}) : rc::gen::just(0));
}

rc::Gen<float> special_float() {
  const int n = static_cast<int>(special_values().size());
  return rc::gen::map(int_toward(0, n - 1, 0),
                      [](std::int64_t i) { return special_values()[static_cast<std::size_t>(i)]; });
}

rc::Gen<float> non_finite_float() {
  return rc::gen::map(pick({2, 1, 1}), [](int i) {
    if (i == 0) return std::numeric_limits<float>::quiet_NaN();
    return i == 1 ? std::numeric_limits<float>::infinity()
                  : -std::numeric_limits<float>::infinity();
  });
}

rc::Gen<float> adversarial_float(bool allow_non_finite) {
  return rc::gen::mapcat(pick({6, 3, allow_non_finite ? 1 : 0}), [](int which) {
    if (which == 0) return binade_float();
    if (which == 1) return special_float();
    return non_finite_float();
  });
}

rc::Gen<float> input_scale(float floor) {
  static const std::vector<float> typical = {
      1.0f / 127.0f,           1.0f / 255.0f, 1.0f / 32767.0f, 2.0f / 255.0f,
      0.0001525924017187208f,   // ONE #6970's int16 input scale
      0.00015259200881700963f,  // the input scale of the #7063 thread numbers
  };
  std::vector<float> floors = {1e-5f, 1e-8f, 1e-9f, FLT_EPSILON};
  if (floor > 0) floors.push_back(floor);
  // The ends of the float range, where AFL++ found what the band [2^-40, 2^-1]
  // hides: a subnormal s_in makes s_b = s_in * s_w subnormal whatever floor
  // holds s_w; a huge one lets a tiny s_w meet a bias-scale floor (#7017:
  // s_w = 2^-149 at s_in = FLT_MAX) and puts s_in * s_w near overflow.
  static const std::vector<float> ends = {std::numeric_limits<float>::denorm_min(),
                                          std::nextafter(FLT_MIN, 0.0f), FLT_MIN, FLT_MAX};
  return rc::gen::mapcat(pick({4, 2, 4, 3, 4, 1, 1}), [floors](int which) {
    switch (which) {
      case 0:
        return rc::gen::map(int_toward(0, static_cast<std::int64_t>(typical.size()) - 1, 0),
                            [](std::int64_t i) { return typical[static_cast<std::size_t>(i)]; });
      case 1:
        return rc::gen::map(
            int_toward(0, static_cast<std::int64_t>(floors.size()) - 1, 0),
            [floors](std::int64_t i) { return floors[static_cast<std::size_t>(i)]; });
      case 2: return binade_float(-40, -1, false);
      case 3: return binade_float(-149, -110, false);  // subnormal and just above
      case 4: return binade_float(76, 127, false);     // 1e-15 / s_in below FLT_MIN
      case 5:
        return rc::gen::map(int_toward(0, static_cast<std::int64_t>(ends.size()) - 1, 0),
                            [](std::int64_t i) { return ends[static_cast<std::size_t>(i)]; });
      default: return binade_float(-149, 127, false);
    }
  });
}

namespace {

// One weight of a channel of magnitude m (the channel's max |w| when the
// first choice is taken): the range end, a random fraction, a rounding tie
// for an 8-bit or 16-bit grid, the neighbour of the range end, zero, or a
// value many binades smaller.
float element_value(float m) {
  const int form = *pick({3, 4, 3, 1, 1, 2});
  const bool negative = *pick({1, 1}) == 1;
  double v = 0;
  switch (form) {
    case 0: v = m; break;
    case 1: v = double(m) * double(*int_toward(0, 1 << 24, 0)) / double(1 << 24); break;
    case 2: {
      static const double divisors[] = {127.0, 255.0, 32767.0, 127.5};
      const double d = divisors[*int_toward(0, 3, 0)];
      const auto k = *int_toward(0, static_cast<std::int64_t>(d) - 1, 0);
      v = (double(k) + 0.5) * double(m) / d;
      break;
    }
    case 3: v = std::nextafter(m, 0.0f); break;
    case 4: v = 0.0; break;
    case 5: v = std::ldexp(double(m), -static_cast<int>(*int_toward(1, 40, 1))); break;
  }
  return finite_float(negative ? -v : v);
}

// A channel's magnitude for its kind.
float channel_magnitude(ChannelKind kind) {
  if (kind == ChannelKind::tiny) return *binade_float(-149, -40, false);
  const int which = *pick({6, 3, 1});
  if (which == 0) return *binade_float(-14, 2, false);  // what trained filters hold
  if (which == 1) return *binade_float(-149, 127, false);
  return std::fabs(*special_float());
}

std::vector<float> channel_values(ChannelKind kind, float m, std::int64_t k) {
  std::vector<float> v(static_cast<std::size_t>(k), 0.0f);
  switch (kind) {
    case ChannelKind::mixed:
    case ChannelKind::tiny:
      for (auto& x : v) x = element_value(m);
      break;
    case ChannelKind::one_sided_pos:
      for (auto& x : v) x = std::fabs(element_value(m));
      break;
    case ChannelKind::one_sided_neg:
      for (auto& x : v) x = -std::fabs(element_value(m));
      break;
    case ChannelKind::constant: {
      const float x = *pick({1, 1}) == 1 ? -m : m;
      for (auto& y : v) y = x;
      break;
    }
    case ChannelKind::all_zero:
      if (*pick({4, 1}) == 1)
        for (auto& x : v) x = -0.0f;
      break;
    case ChannelKind::mixed_magnitude: {
      const auto at = *int_toward(0, k - 1, 0);
      for (std::int64_t j = 0; j < k; ++j) {
        const bool negative = *pick({1, 1}) == 1;
        const double x =
            j == at ? double(m) : std::ldexp(double(m), -static_cast<int>(*int_toward(8, 60, 8)));
        v[static_cast<std::size_t>(j)] = finite_float(negative ? -x : x);
      }
      break;
    }
  }
  return v;
}

// A bias for a channel of magnitude m at input scale s_in: typical (1e-3 to
// 10), zero, placed relative to the bias scale s_in * m / d at 2^-2 to 2^70
// (2^31 and 2^63 are where int32 and int64 end), any float, or tiny
// (subnormal to 2^-112, likelier for a dead channel).
float bias_value(ChannelKind kind, float m, float s_in) {
  const bool dead = kind == ChannelKind::all_zero;
  const int form = *pick(dead ? std::vector<int>{2, 5, 2, 1, 6} : std::vector<int>{3, 2, 5, 2, 1});
  const bool negative = *pick({1, 1}) == 1;
  float b = 0.0f;
  switch (form) {
    case 0: b = *binade_float(-10, 3, false); break;
    case 1: b = 0.0f; break;
    case 2: {
      static const double divisors[] = {127.0, 32767.0, 255.0};
      const double d = divisors[*int_toward(0, 2, 0)];
      const double magnitude = m > 0 ? double(m) : 1.0;
      const auto e = *int_toward(-2, 70, 0);
      const double frac = 1.0 + double(*int_toward(0, (1 << 20) - 1, 0)) / double(1 << 20);
      b = finite_float(std::ldexp(frac, static_cast<int>(e)) * double(s_in) * magnitude / d);
      break;
    }
    case 3: b = std::fabs(*adversarial_float(false)); break;
    // Subnormal to 2^-112: TFLite's guard widens a dead channel to 2|b| / 2^31,
    // and s_in * s_w then rounds to 0 (AFL++: b = 4.3e-39).
    case 4: b = *binade_float(-149, -112, false); break;
  }
  return negative ? -b : b;
}

}  // namespace

namespace {

// One output channel: its K weights (in channel order) and its bias.
struct ChannelSpec {
  std::vector<float> values;
  float bias = 0.0f;
};

rc::Gen<ChannelSpec> channel_spec(std::int64_t k, float s_in) {
  return rc::gen::exec([k, s_in] {
    static const ChannelKind kinds[] = {
        ChannelKind::mixed,    ChannelKind::one_sided_pos,   ChannelKind::one_sided_neg,
        ChannelKind::constant, ChannelKind::mixed_magnitude, ChannelKind::all_zero,
        ChannelKind::tiny};
    const ChannelKind kind = kinds[*pick({30, 8, 8, 8, 12, 16, 22})];
    const float m = kind == ChannelKind::all_zero ? 0.0f : channel_magnitude(kind);
    ChannelSpec spec;
    spec.values = channel_values(kind, m, k);
    spec.bias = bias_value(kind, m, s_in);
    return spec;
  });
}

}  // namespace

rc::Gen<Case> adversarial_case(const CaseOptions& o) {
  return rc::gen::exec([o] {
    Case c;
    static const OpKind ops[] = {OpKind::fully_connected, OpKind::conv2d, OpKind::depthwise_conv2d};
    c.op = ops[*pick({1, 1, 1})];
    // The filter without its channel dimension: K = kh * kw * in (FC: in).
    std::vector<std::int64_t> rest;
    if (c.op == OpKind::fully_connected) {
      rest = {*int_toward(1, 12, 1)};
    } else {
      const std::int64_t kh = *int_toward(1, 3, 1), kw = *int_toward(1, 3, 1);
      rest = {kh, kw};
      if (c.op == OpKind::conv2d) rest.push_back(*int_toward(1, 4, 1));
    }
    std::int64_t k = 1;
    for (auto d : rest) k *= d;
    c.input_scale = *input_scale(o.input_scale_floor);
    const bool has_bias = !o.allow_no_bias || *pick({9, 1}) == 0;
    // The channels as one container, so that shrinking drops whole channels.
    const auto specs = *rc::gen::resize(
        o.max_channels, rc::gen::nonEmpty(rc::gen::container<std::vector<ChannelSpec>>(
                            channel_spec(k, c.input_scale))));
    const auto channels = static_cast<std::int64_t>(specs.size());
    if (c.op == OpKind::fully_connected)
      c.weight_shape = {channels, rest[0]};
    else if (c.op == OpKind::conv2d)
      c.weight_shape = {channels, rest[0], rest[1], rest[2]};
    else
      c.weight_shape = {1, rest[0], rest[1], channels};
    const std::int64_t inner = c.op == OpKind::depthwise_conv2d ? 1 : k;
    c.weights.assign(static_cast<std::size_t>(channels * k), 0.0f);
    for (std::int64_t ch = 0; ch < channels; ++ch) {
      const ChannelSpec& spec = specs[static_cast<std::size_t>(ch)];
      // Element j of channel ch sits at flat index
      // (j / inner) * channels * inner + ch * inner + j % inner.
      for (std::int64_t j = 0; j < k; ++j)
        c.weights[static_cast<std::size_t>((j / inner) * channels * inner + ch * inner +
                                           j % inner)] = spec.values[static_cast<std::size_t>(j)];
      if (has_bias) c.bias.push_back(spec.bias);
    }
    return c;
  });
}

rc::Gen<Case> non_finite_case(const CaseOptions& o) {
  return rc::gen::exec([o] {
    Case c = *adversarial_case(o);
    const float bad = *non_finite_float();
    int where = *pick({5, 3, 2});
    if (where == 1 && c.bias.empty()) where = 0;
    if (where == 0) {
      const auto i = *int_toward(0, static_cast<std::int64_t>(c.weights.size()) - 1, 0);
      c.weights[static_cast<std::size_t>(i)] = bad;
    } else if (where == 1) {
      const auto i = *int_toward(0, static_cast<std::int64_t>(c.bias.size()) - 1, 0);
      c.bias[static_cast<std::size_t>(i)] = bad;
    } else {
      c.input_scale = bad;
    }
    return c;
  });
}

rc::Gen<Case> arbitrary_float_case() {
  return rc::gen::exec([] {
    Case c;
    static const OpKind ops[] = {OpKind::fully_connected, OpKind::conv2d, OpKind::depthwise_conv2d};
    c.op = ops[*pick({1, 1, 1})];
    const std::int64_t channels = *int_toward(1, 4, 1);
    if (c.op == OpKind::fully_connected)
      c.weight_shape = {channels, *int_toward(1, 12, 1)};
    else if (c.op == OpKind::conv2d)
      c.weight_shape = {channels, *int_toward(1, 3, 1), *int_toward(1, 3, 1), *int_toward(1, 4, 1)};
    else
      c.weight_shape = {1, *int_toward(1, 3, 1), *int_toward(1, 3, 1), channels};
    std::int64_t total = 1;
    for (auto d : c.weight_shape) total *= d;
    c.input_scale = std::fabs(*rc::gen::arbitrary<float>());
    for (std::int64_t i = 0; i < total; ++i) c.weights.push_back(*rc::gen::arbitrary<float>());
    for (std::int64_t ch = 0; ch < channels; ++ch) c.bias.push_back(*rc::gen::arbitrary<float>());
    return c;
  });
}

}  // namespace quantcheck::gen
