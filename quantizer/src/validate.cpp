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

namespace {

// Checks c and fills l. On bad input returns false and, when why is not
// null, the message that names the place (built only then: fuzzing meets
// bad input on most runs, and the caller that throws wants the text).
bool check_case(const Case& c, Layout& l, std::string* why) {
  auto bad = [why](const auto&... parts) {
    if (why != nullptr) {
      std::ostringstream m;
      (m << ... << parts);
      *why = m.str();
    }
    return false;
  };
  if (!std::isfinite(c.input_scale) || !(c.input_scale > 0))
    return bad("input_scale: must be finite and > 0, got ", c.input_scale);
  const std::size_t rank = c.weight_shape.size();
  const std::size_t want_rank = c.op == OpKind::fully_connected ? 2 : 4;
  if (rank != want_rank)
    return bad("weights: ", to_string(c.op), " needs a rank-", want_rank, " filter, got rank ",
               rank);
  std::int64_t total = 1;
  for (std::size_t d = 0; d < rank; ++d) {
    const std::int64_t dim = c.weight_shape[d];
    if (dim <= 0 || dim > (std::int64_t{1} << 31))
      return bad("weights: shape dimension ", d, " is ", dim, " (must be 1 to 2^31)");
    total *= dim;
    if (total > (std::int64_t{1} << 34)) return bad("weights: more than 2^34 elements");
  }
  if (static_cast<std::int64_t>(c.weights.size()) != total)
    return bad("weights: shape holds ", total, " elements but data has ", c.weights.size());
  l = Layout{};
  l.axis = c.channel_axis.value_or(default_channel_axis(c.op));
  if (l.axis < 0 || static_cast<std::size_t>(l.axis) >= rank)
    return bad("weights: channel axis ", l.axis, " outside rank ", rank);
  l.channels = c.weight_shape[l.axis];
  for (std::size_t d = l.axis + 1; d < rank; ++d) l.inner *= c.weight_shape[d];
  l.per_channel = total / l.channels;

  if (!c.bias.empty() && static_cast<std::int64_t>(c.bias.size()) != l.channels)
    return bad("bias: ", c.bias.size(), " values for ", l.channels, " output channels");
  for (std::size_t i = 0; i < c.weights.size(); ++i) {
    if (!std::isfinite(c.weights[i])) {
      const std::int64_t channel = (static_cast<std::int64_t>(i) / l.inner) % l.channels;
      return bad("weights: ", describe_value(c.weights[i]), " at element ", i, " (channel ",
                 channel, ")");
    }
  }
  for (std::size_t i = 0; i < c.bias.size(); ++i)
    if (!std::isfinite(c.bias[i]))
      return bad("bias: ", describe_value(c.bias[i]), " at element ", i, " (channel ", i, ")");
  return true;
}

}  // namespace

Layout validate(const Case& c) {
  Layout l;
  std::string why;
  if (!check_case(c, l, &why)) throw InputError(why);
  return l;
}

std::optional<Layout> layout_if_valid(const Case& c) {
  Layout l;
  if (!check_case(c, l, nullptr)) return std::nullopt;
  return l;
}

}  // namespace quantcheck
