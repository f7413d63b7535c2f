// Shared pieces of the property checks: exact half-step test, where elements
// belong, single-channel cases, exact printing.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "quantcheck/exact.hpp"
#include "quantcheck/properties.hpp"
#include "quantcheck/quantizer_under_test.hpp"

namespace quantcheck {

Contract contract_of(const Policy& p) {
  Contract c;
  c.name = p.name;
  c.weight_type = p.weight_type;
  c.scheme = p.scheme;
  c.granularity = p.granularity;
  c.qmin = p.qmin;
  c.qmax = p.qmax;
  c.bias_type = p.bias_type;
  c.activation_abs_max = p.activation_abs_max;
  c.scale_floor = std::max(p.scale_floor, p.tiny_scale_threshold);
  c.bias_scale_floor = p.bias_scale_floor;
  c.guarantees = p.guarantees;
  return c;
}

namespace check {

bool within_half_step_of(std::int64_t q_minus_zp, float x, float s) {
  if (!(s > 0) || !std::isfinite(s)) return x == 0 && q_minus_zp == 0;
  // x / s = floor + f exactly; the nearest integers are floor and floor + 1.
  const auto d = divide_exact(x, s);
  if (!d) return false;  // |x / s| >= 2^64: no stored integer is within half a step
  const int128 q = q_minus_zp;
  if (q == d->floor) return d->exact || d->half_cmp <= 0;
  if (q == d->floor + 1) return !d->exact && d->half_cmp >= 0;
  return false;
}

Placement placement_of(const Case& c) {
  Placement p;
  p.axis = c.channel_axis.value_or(default_channel_axis(c.op));
  std::int64_t total = 1;
  for (auto d : c.weight_shape) total *= d;
  p.channels = c.weight_shape.at(static_cast<std::size_t>(p.axis));
  for (std::size_t d = static_cast<std::size_t>(p.axis) + 1; d < c.weight_shape.size(); ++d)
    p.inner *= c.weight_shape[d];
  p.per_channel = p.channels > 0 ? total / p.channels : 0;
  return p;
}

Case single_channel(const Case& c, std::int64_t channel) {
  const Placement pl = placement_of(c);
  Case one = c;
  one.weight_shape[static_cast<std::size_t>(pl.axis)] = 1;
  one.weights.clear();
  for (std::size_t i = 0; i < c.weights.size(); ++i)
    if (pl.channel_of(static_cast<std::int64_t>(i)) == channel) one.weights.push_back(c.weights[i]);
  if (!c.bias.empty()) one.bias = {c.bias[static_cast<std::size_t>(channel)]};
  return one;
}

std::string exact(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g (%a)", v, v);
  return buf;
}

std::string exact(float v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g (%a)", static_cast<double>(v), static_cast<double>(v));
  return buf;
}

}  // namespace check
}  // namespace quantcheck
