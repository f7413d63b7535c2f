// Input checks: every case is validated before any arithmetic, so NaN, Inf,
// empty or mis-shaped tensors become an InputError that names the place.
#include <cmath>
#include <sstream>

#include "quantcheck/error.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck {

std::string to_string(OpKind op) {
  switch (op) {
    case OpKind::conv2d: return "conv2d";
    case OpKind::depthwise_conv2d: return "depthwise_conv2d";
    case OpKind::fully_connected: return "fully_connected";
  }
  return "?";
}

OpKind op_kind_from_string(const std::string& s) {
  if (s == "conv2d") return OpKind::conv2d;
  if (s == "depthwise_conv2d") return OpKind::depthwise_conv2d;
  if (s == "fully_connected") return OpKind::fully_connected;
  throw UsageError("unknown op '" + s + "' (known: conv2d, depthwise_conv2d, fully_connected)");
}

int default_channel_axis(OpKind op) { return op == OpKind::depthwise_conv2d ? 3 : 0; }

namespace {

std::string describe_value(float v) {
  if (std::isnan(v)) return "NaN";
  return v > 0 ? "+Inf" : "-Inf";
}

}  // namespace

Layout validate(const Case& c) {
  if (!std::isfinite(c.input_scale) || !(c.input_scale > 0)) {
    std::ostringstream m;
    m << "input_scale: must be finite and > 0, got " << c.input_scale;
    throw InputError(m.str());
  }
  const std::size_t rank = c.weight_shape.size();
  const std::size_t want_rank = c.op == OpKind::fully_connected ? 2 : 4;
  if (rank != want_rank) {
    std::ostringstream m;
    m << "weights: " << to_string(c.op) << " needs a rank-" << want_rank << " filter, got rank "
      << rank;
    throw InputError(m.str());
  }
  std::int64_t total = 1;
  for (std::size_t d = 0; d < rank; ++d) {
    const std::int64_t dim = c.weight_shape[d];
    if (dim <= 0 || dim > (std::int64_t{1} << 31)) {
      std::ostringstream m;
      m << "weights: shape dimension " << d << " is " << dim << " (must be 1 to 2^31)";
      throw InputError(m.str());
    }
    total *= dim;
    if (total > (std::int64_t{1} << 34)) throw InputError("weights: more than 2^34 elements");
  }
  if (static_cast<std::int64_t>(c.weights.size()) != total) {
    std::ostringstream m;
    m << "weights: shape holds " << total << " elements but data has " << c.weights.size();
    throw InputError(m.str());
  }
  Layout l;
  l.axis = c.channel_axis.value_or(default_channel_axis(c.op));
  if (l.axis < 0 || static_cast<std::size_t>(l.axis) >= rank) {
    std::ostringstream m;
    m << "weights: channel axis " << l.axis << " outside rank " << rank;
    throw InputError(m.str());
  }
  l.channels = c.weight_shape[l.axis];
  for (std::size_t d = l.axis + 1; d < rank; ++d) l.inner *= c.weight_shape[d];
  l.per_channel = total / l.channels;

  if (!c.bias.empty() && static_cast<std::int64_t>(c.bias.size()) != l.channels) {
    std::ostringstream m;
    m << "bias: " << c.bias.size() << " values for " << l.channels << " output channels";
    throw InputError(m.str());
  }
  for (std::size_t i = 0; i < c.weights.size(); ++i) {
    if (!std::isfinite(c.weights[i])) {
      const std::int64_t channel = (static_cast<std::int64_t>(i) / l.inner) % l.channels;
      std::ostringstream m;
      m << "weights: " << describe_value(c.weights[i]) << " at element " << i << " (channel "
        << channel << ")";
      throw InputError(m.str());
    }
  }
  for (std::size_t i = 0; i < c.bias.size(); ++i) {
    if (!std::isfinite(c.bias[i])) {
      std::ostringstream m;
      m << "bias: " << describe_value(c.bias[i]) << " at element " << i << " (channel " << i << ")";
      throw InputError(m.str());
    }
  }
  return l;
}

}  // namespace quantcheck
