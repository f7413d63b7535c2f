// The findings a quantized result shows, element by element and channel by
// channel. One place for them: quantize() applies them to our presets'
// results and complete_result() (adapters/) to an external quantizer's, so a
// row of the audit matrix means the same thing either way.
#include <cfloat>
#include <cmath>
#include <sstream>

#include "quantcheck/exact.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck {
namespace {

bool is_valid_scale(float s, float floor) { return std::isfinite(s) && s >= FLT_MIN && s >= floor; }

std::string scale_message(const char* what, float s) {
  std::ostringstream m;
  m.precision(9);
  m << what << " " << s << " is not a finite normal float at or above the floor";
  return m.str();
}

}  // namespace

std::optional<FindingKind> weight_finding(const ChannelParams& cp, float x, std::int32_t q,
                                          double* deq_out) {
  const double deq = (static_cast<double>(q) - cp.zero_point) * double(cp.scale);
  if (deq_out) *deq_out = deq;
  const double xd = x;
  if (xd < cp.nudged_min || xd > cp.nudged_max) return FindingKind::weight_clipped;
  if ((xd > 0 && deq < 0) || (xd < 0 && deq > 0)) return FindingKind::weight_sign_flipped;
  if (std::fabs(deq - xd) > 0.5 * double(cp.scale)) return FindingKind::weight_error;
  return std::nullopt;
}

void append_weight_scale_findings(const Policy& p, const std::vector<ChannelParams>& channels,
                                  std::vector<Finding>& out) {
  for (std::size_t g = 0; g < channels.size(); ++g)
    if (!is_valid_scale(channels[g].scale, p.scale_floor))
      out.push_back({FindingKind::invalid_scale, "weight_scale", static_cast<std::int64_t>(g), -1,
                     channels[g].scale, channels[g].scale,
                     scale_message("weight scale", channels[g].scale)});
}

void append_bias_findings(const Policy& p, const BiasValue& v, const int128& room,
                          std::vector<Finding>& out) {
  const std::int64_t ch = v.channel;
  const double deq = static_cast<double>(v.q) * static_cast<double>(v.scale);
  if (!is_valid_scale(v.scale, 0.0f))
    out.push_back({FindingKind::invalid_scale, "bias_scale", ch, -1, v.scale, v.scale,
                   scale_message("bias scale", v.scale)});
  if (v.saturated)
    out.push_back({FindingKind::bias_saturated, "bias", ch, ch, v.bias, deq,
                   "b / s_b does not fit " + to_string(p.bias_type)});
  if ((v.bias > 0 && v.q < 0) || (v.bias < 0 && v.q > 0) || (v.bias == 0 && v.q != 0))
    out.push_back({FindingKind::bias_sign_flipped, "bias", ch, ch, v.bias, deq,
                   v.bias == 0 ? "quantized bias is nonzero for a zero bias"
                               : "quantized bias has the opposite sign"});
  // A non-finite bias (an adapter may quantize one) is never within half a step.
  const bool within = std::isfinite(v.bias) && v.scale > 0 && std::isfinite(v.scale)
                          ? within_half_step(v.q, v.bias, v.scale)
                          : v.bias == 0;
  if (!within)
    out.push_back(
        {FindingKind::bias_error, "bias", ch, ch, v.bias, deq, "|deq(q_b) - b| exceeds s_b / 2"});
  const int128 mag = v.q < 0 ? -int128{v.q} : int128{v.q};
  if (mag > room)
    out.push_back({FindingKind::no_headroom, "bias", ch, ch, v.bias, deq,
                   "|q_b| + K max|q_in| max|q_w| exceeds the accumulator"});
}

}  // namespace quantcheck
