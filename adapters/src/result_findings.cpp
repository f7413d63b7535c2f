// The checks quantize() applies to a preset's result, applied to a result an
// external adapter sent: the same findings (quantizer/src/findings.cpp), from
// the same exact arithmetic, so a row of the audit matrix means the same thing
// whether the quantizer is linked in or runs in another process.
#include <cmath>

#include "quantcheck/exact.hpp"
#include "quantcheck/external_adapter.hpp"

namespace quantcheck {

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

  // Weights: every element, as quantize_weights reports them.
  r.weights.dequantized.resize(c.weights.size());
  for_each_channel_run(c, l, [&](std::int64_t ch, std::size_t begin, std::size_t end) {
    const ChannelParams& cp = channels[per_tensor ? 0 : ch];
    for (std::size_t i = begin; i < end; ++i) {
      double deq;
      const auto kind = weight_finding(cp, c.weights[i], r.weights.q[i], &deq);
      r.weights.dequantized[i] = deq;
      if (kind)
        r.findings.push_back(
            {*kind, "weights", ch, static_cast<std::int64_t>(i), c.weights[i], deq, ""});
    }
  });
  append_weight_scale_findings(p, channels, r.findings);

  // Bias: the checks of quantize() at the bias scale the adapter used; the
  // saturated flag is recomputed exactly rather than taken from the adapter.
  const int128 room = accumulator_headroom(p, l.per_channel);
  BiasResult& b = r.bias;
  b.dequantized.assign(b.q.size(), 0.0);
  b.saturated.assign(b.q.size(), false);
  for (std::size_t i = 0; i < b.q.size(); ++i) {
    const float s_b = b.scale[i];
    const float bias = c.bias[i];
    bool fits;
    if (!std::isfinite(bias)) {  // a quantized NaN or Inf bias is never a faithful integer
      fits = false;
    } else if (!(s_b > 0) || !std::isfinite(s_b)) {
      fits = bias == 0 || std::isinf(s_b);
    } else {
      const auto exact = round_quotient(bias, s_b, p.rounding);
      fits = exact && *exact >= bias_min(p.bias_type) && *exact <= bias_max(p.bias_type);
    }
    b.dequantized[i] = static_cast<double>(b.q[i]) * static_cast<double>(s_b);
    b.saturated[i] = !fits;
    append_bias_findings(p, {static_cast<std::int64_t>(i), bias, s_b, b.q[i], !fits}, room,
                         r.findings);
  }
}

}  // namespace quantcheck
