// Properties of the bias: its scale, range, sign, error and the accumulator.
#include <cmath>
#include <cstring>
#include <limits>

#include "checks.hpp"
#include "property_support.hpp"
#include "quantcheck/exact.hpp"

namespace quantcheck::check {
namespace {

std::string int128_string(int128 v) {
  if (v == 0) return "0";
  const bool negative = v < 0;
  uint128 u = negative ? uint128(0) - static_cast<uint128>(v) : static_cast<uint128>(v);
  std::string s;
  while (u > 0) {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  return negative ? "-" + s : s;
}

int128 type_min(BiasType t) {
  return t == BiasType::int32 ? int128{std::numeric_limits<std::int32_t>::min()}
                              : int128{std::numeric_limits<std::int64_t>::min()};
}
int128 type_max(BiasType t) {
  return t == BiasType::int32 ? int128{std::numeric_limits<std::int32_t>::max()}
                              : int128{std::numeric_limits<std::int64_t>::max()};
}

std::string bias_where(const Case& c, std::int64_t ch, float s_b, std::int64_t q) {
  return channel_prefix(ch) + "b = " + exact(c.bias[static_cast<std::size_t>(ch)]) +
         ", s_b = s_in * s_w = " + exact(s_b) + ", q_b = " + std::to_string(q) + ": ";
}

}  // namespace

Verdict bias_scale_product(const QuantizerUnderTest& q, const Case& c) {
  return with_result(q, c, [&](const Contract&, const Result& r) {
    for (std::size_t ch = 0; ch < c.bias.size(); ++ch) {
      const float want = bias_scale_of(c, r, static_cast<std::int64_t>(ch));  // float32 product
      const float got = r.bias.scale[ch];
      if (std::memcmp(&want, &got, sizeof want) != 0)
        return Verdict::fail(channel_prefix(static_cast<std::int64_t>(ch)) + "bias scale " +
                             exact(got) + " is not float32(s_in * s_w) = " + exact(want));
    }
    return Verdict::ok();
  });
}

Verdict bias_no_saturation(const QuantizerUnderTest& q, const Case& c) {
  return with_result(q, c, [&](const Contract& k, const Result& r) {
    for (std::size_t i = 0; i < c.bias.size(); ++i) {
      const auto ch = static_cast<std::int64_t>(i);
      const float s_b = bias_scale_of(c, r, ch);
      const float b = c.bias[i];
      // A positive weight scale whose product with s_in underflows to 0
      // leaves no integer for b != 0: b / 0 is unbounded (TFLite's guard on a
      // dead channel with a subnormal bias, found by AFL++). A weight scale
      // of 0 (or inf, NaN) is scales_valid's failure, not this one's.
      if (s_b == 0 && b != 0 && params_of(r, ch).scale > 0)
        return Verdict::fail(bias_where(c, ch, s_b, r.bias.q[i]) +
                             "s_in * s_w underflows to 0 and b / s_b is unbounded: the bias is "
                             "lost");
      if (!positive_finite(s_b)) continue;
      const auto d = divide_exact(b, s_b);
      std::string why;
      if (!d) {
        why = "|b / s_b| >= 2^64";
      } else {
        // The nearest integer to b / s_b (ties away from zero).
        int128 nearest = d->floor;
        if (!d->exact && (d->half_cmp > 0 || (d->half_cmp == 0 && d->floor >= 0))) nearest += 1;
        if (nearest < type_min(k.bias_type) || nearest > type_max(k.bias_type))
          why = "round(b / s_b) = " + int128_string(nearest);
      }
      if (!why.empty())
        return Verdict::fail(bias_where(c, ch, s_b, r.bias.q[i]) + why + " does not fit " +
                             to_string(k.bias_type) + ": the bias saturates");
    }
    return Verdict::ok();
  });
}

Verdict bias_sign_preserved(const QuantizerUnderTest& q, const Case& c) {
  return with_result(q, c, [&](const Contract&, const Result& r) {
    for (std::size_t i = 0; i < c.bias.size(); ++i) {
      const float b = c.bias[i];
      const std::int64_t qb = r.bias.q[i];
      if ((b > 0 && qb < 0) || (b < 0 && qb > 0) || (b == 0 && qb != 0)) {
        const auto ch = static_cast<std::int64_t>(i);
        return Verdict::fail(bias_where(c, ch, bias_scale_of(c, r, ch), qb) +
                             (b == 0 ? "the stored bias is nonzero for a zero bias"
                                     : "the stored bias has the opposite sign"));
      }
    }
    return Verdict::ok();
  });
}

Verdict bias_round_trip(const QuantizerUnderTest& q, const Case& c) {
  return with_result(q, c, [&](const Contract&, const Result& r) {
    for (std::size_t i = 0; i < c.bias.size(); ++i) {
      const auto ch = static_cast<std::int64_t>(i);
      const float s_b = bias_scale_of(c, r, ch);
      if (!within_half_step_of(r.bias.q[i], c.bias[i], s_b))
        return Verdict::fail(bias_where(c, ch, s_b, r.bias.q[i]) +
                             "q_b * s_b = " + exact(double(r.bias.q[i]) * double(s_b)) +
                             " is more than s_b / 2 from b");
    }
    return Verdict::ok();
  });
}

Verdict accumulator_headroom(const QuantizerUnderTest& q, const Case& c) {
  return with_result(q, c, [&](const Contract& k, const Result& r) {
    const Placement pl = placement_of(c);
    const int128 w_max = k.scheme == Scheme::asymmetric ? int128{k.qmax} - k.qmin
                                                        : std::max(int128{k.qmax}, -int128{k.qmin});
    const int128 products = int128{pl.per_channel} * k.activation_abs_max * w_max;
    const int128 acc_max = type_max(k.bias_type);
    for (std::int64_t ch = 0; ch < pl.channels; ++ch) {
      const int128 qb = c.bias.empty() ? 0 : int128{r.bias.q[static_cast<std::size_t>(ch)]};
      const int128 worst = (qb < 0 ? -qb : qb) + products;
      if (worst > acc_max) {
        const std::string bias_part = c.bias.empty()
                                          ? channel_prefix(ch) + "no bias: "
                                          : bias_where(c, ch, bias_scale_of(c, r, ch),
                                                       r.bias.q[static_cast<std::size_t>(ch)]);
        return Verdict::fail(
            bias_part + "|q_b| + K * max|q_in| * max|q_w| = " + int128_string(qb < 0 ? -qb : qb) +
            " + " + std::to_string(pl.per_channel) + " * " + std::to_string(k.activation_abs_max) +
            " * " + int128_string(w_max) + " = " + int128_string(worst) + " exceeds the " +
            to_string(k.bias_type) + " accumulator maximum " + int128_string(acc_max));
      }
    }
    return Verdict::ok();
  });
}

}  // namespace quantcheck::check
