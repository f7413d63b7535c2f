// The checks quantize() applies to a preset's result, applied to a result an
// external adapter sent: the same findings, from the same exact arithmetic
// (round_quotient / within_half_step), so a row of the audit matrix means the
// same thing whether the quantizer is linked in or runs in another process.
#include <cfloat>
#include <cmath>
#include <cstdio>

#include "quantcheck/external_adapter.hpp"

namespace quantcheck {
namespace {

bool valid_scale(float s, float floor) { return std::isfinite(s) && s >= FLT_MIN && s >= floor; }

std::string scale_message(const char* what, float s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(s));
  return std::string(what) + " " + buf + " is not a finite normal float at or above the floor";
}

}  // namespace

void complete_result(const Policy& p, const Case& c, Result& r) {
  r.policy = p.name;
  r.findings.clear();
  const Layout& l = r.layout;
  auto& channels = r.weights.channels;
  const bool per_tensor = channels.size() == 1 && l.channels != 1;
  for (ChannelParams& cp : channels) {
    cp.nudged_min = (double(p.qmin) - cp.zero_point) * double(cp.scale);
    cp.nudged_max = (double(p.qmax) - cp.zero_point) * double(cp.scale);
  }

  // Weights: the element checks of quantize_weights (weights.cpp, check_one).
  r.weights.dequantized.resize(c.weights.size());
  for (std::size_t i = 0; i < c.weights.size(); ++i) {
    const std::int64_t ch = (static_cast<std::int64_t>(i) / l.inner) % l.channels;
    const ChannelParams& cp = channels[per_tensor ? 0 : ch];
    const double s = cp.scale;
    const double deq = (static_cast<double>(r.weights.q[i]) - cp.zero_point) * s;
    r.weights.dequantized[i] = deq;
    const double x = c.weights[i];
    const auto element = static_cast<std::int64_t>(i);
    if (x < cp.nudged_min || x > cp.nudged_max)
      r.findings.push_back({FindingKind::weight_clipped, "weights", ch, element, x, deq, ""});
    else if ((x > 0 && deq < 0) || (x < 0 && deq > 0))
      r.findings.push_back({FindingKind::weight_sign_flipped, "weights", ch, element, x, deq, ""});
    else if (std::fabs(deq - x) > 0.5 * s)
      r.findings.push_back({FindingKind::weight_error, "weights", ch, element, x, deq, ""});
  }
  for (std::size_t g = 0; g < channels.size(); ++g)
    if (!valid_scale(channels[g].scale, p.scale_floor))
      r.findings.push_back({FindingKind::invalid_scale, "weight_scale",
                            static_cast<std::int64_t>(g), -1, channels[g].scale, channels[g].scale,
                            scale_message("weight scale", channels[g].scale)});

  // Bias: the checks of quantize() at the bias scale the adapter used.
  const int128 room = accumulator_headroom(p, l.per_channel);
  BiasResult& b = r.bias;
  b.dequantized.assign(b.q.size(), 0.0);
  b.saturated.assign(b.q.size(), false);
  for (std::size_t i = 0; i < b.q.size(); ++i) {
    const auto ch = static_cast<std::int64_t>(i);
    const float s_b = b.scale[i];
    const float bias = c.bias[i];
    const std::int64_t q = b.q[i];
    const double deq = static_cast<double>(q) * static_cast<double>(s_b);
    b.dequantized[i] = deq;
    bool fits;
    if (!std::isfinite(bias)) {  // a quantized NaN or Inf bias is never a faithful integer
      fits = false;
    } else if (!(s_b > 0) || !std::isfinite(s_b)) {
      fits = bias == 0 || std::isinf(s_b);
    } else {
      const auto exact = round_quotient(bias, s_b, p.rounding);
      fits = exact && *exact >= bias_min(p.bias_type) && *exact <= bias_max(p.bias_type);
    }
    b.saturated[i] = !fits;
    if (!valid_scale(s_b, 0.0f))
      r.findings.push_back({FindingKind::invalid_scale, "bias_scale", ch, -1, s_b, s_b,
                            scale_message("bias scale", s_b)});
    if (!fits)
      r.findings.push_back({FindingKind::bias_saturated, "bias", ch, ch, bias, deq,
                            "b / s_b does not fit " + to_string(p.bias_type)});
    if ((bias > 0 && q < 0) || (bias < 0 && q > 0) || (bias == 0 && q != 0))
      r.findings.push_back({FindingKind::bias_sign_flipped, "bias", ch, ch, bias, deq,
                            "quantized bias has the opposite sign"});
    const bool within = std::isfinite(bias) && s_b > 0 && std::isfinite(s_b)
                            ? within_half_step(q, bias, s_b)
                            : bias == 0;
    if (!within)
      r.findings.push_back(
          {FindingKind::bias_error, "bias", ch, ch, bias, deq, "|deq(q_b) - b| exceeds s_b / 2"});
    const int128 mag = q < 0 ? -int128{q} : int128{q};
    if (mag > room)
      r.findings.push_back({FindingKind::no_headroom, "bias", ch, ch, bias, deq,
                            "|q_b| + K max|q_in| max|q_w| exceeds the accumulator"});
  }
}

}  // namespace quantcheck
