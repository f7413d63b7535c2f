// quantize(): validate, compute the weight parameters, quantize weights and
// bias, and collect the findings each element and channel shows.
#include "quantcheck/quantize.hpp"

#include <cmath>

#include "quantcheck/error.hpp"

namespace quantcheck {

std::string to_string(FindingKind k) {
  switch (k) {
    case FindingKind::weight_clipped: return "weight_clipped";
    case FindingKind::weight_sign_flipped: return "weight_sign_flipped";
    case FindingKind::weight_error: return "weight_error";
    case FindingKind::invalid_scale: return "invalid_scale";
    case FindingKind::bias_saturated: return "bias_saturated";
    case FindingKind::bias_sign_flipped: return "bias_sign_flipped";
    case FindingKind::bias_error: return "bias_error";
    case FindingKind::no_headroom: return "no_headroom";
  }
  return "?";
}

Result quantize(const Policy& p, const Case& c) {
  Result r;
  quantize(p, c, r);
  return r;
}

void quantize(const Policy& p, const Case& c, Result& r) {
  if (const Refusal why = quantize_unless_refused(p, c, r))
    throw InputError(describe(why, p, c, r.layout));
}

Refusal quantize_unless_refused(const Policy& p, const Case& c, Result& r) {
  return quantize_unless_refused(p, c, validate(c), r);
}

Refusal quantize_unless_refused(const Policy& p, const Case& c, const Layout& layout, Result& r) {
  return quantize_unless_refused(p, c, layout, r, WeightOutputs::all);
}

Refusal quantize_unless_refused(const Policy& p, const Case& c, const Layout& layout, Result& r,
                                WeightOutputs outputs) {
  // Reuse r's buffers: a model check quantizes every layer under every policy,
  // and fresh multi-megabyte vectors cost page faults and zeroing each time.
  r.policy = p.name;
  r.findings.clear();
  r.bias.scale.clear();
  r.bias.q.clear();
  r.bias.dequantized.clear();
  r.bias.saturated.clear();
  r.layout = layout;
  const Layout& l = r.layout;
  // The parameters are computed in place: quantize_weights' copy into
  // r.weights.channels is then a self-assignment.
  std::vector<ChannelParams>& params = r.weights.channels;
  if (const Refusal why = compute_weight_params(p, c, l, params)) return why;
  const bool per_tensor = params.size() == 1 && l.channels != 1;

  quantize_weights(p, c, l, params, r.weights, &r.findings);
  if (outputs == WeightOutputs::all) {
    r.weights.dequantized.resize(c.weights.size());
    for_each_channel_run(c, l, [&](std::int64_t ch, std::size_t begin, std::size_t end) {
      const ChannelParams& cp = params[per_tensor ? 0 : ch];
      for (std::size_t i = begin; i < end; ++i)
        r.weights.dequantized[i] =
            (static_cast<double>(r.weights.q[i]) - cp.zero_point) * double(cp.scale);
    });
  } else {
    r.weights.dequantized.clear();
  }
  append_weight_scale_findings(p, params, r.findings);

  // Bias, one per output channel, at s_b = float32(s_in * s_w).
  const int128 room = accumulator_headroom(p, l.per_channel);
  BiasResult& b = r.bias;
  for (std::int64_t ch = 0; ch < static_cast<std::int64_t>(c.bias.size()); ++ch) {
    const float s_w = params[per_tensor ? 0 : ch].scale;
    const float s_b = c.input_scale * s_w;
    const float bias = c.bias[ch];
    bool saturated = false;
    const std::int64_t q = quantize_bias_value(p, bias, s_b, &saturated);
    b.scale.push_back(s_b);
    b.q.push_back(q);
    b.dequantized.push_back(static_cast<double>(q) * static_cast<double>(s_b));
    b.saturated.push_back(saturated);
    append_bias_findings(p, {ch, bias, s_b, q, saturated}, room, r.findings);
  }
  return {};
}

}  // namespace quantcheck

namespace quantcheck {

const char* guarantee_broken_by(FindingKind kind) {
  switch (kind) {
    case FindingKind::weight_clipped: return nullptr;
    case FindingKind::weight_sign_flipped:  // inside the nudged range a flip is an error >= s
    case FindingKind::weight_error: return "weight_error_bound";
    case FindingKind::invalid_scale: return "valid_scales";
    case FindingKind::bias_saturated: return "no_bias_saturation";
    case FindingKind::bias_sign_flipped: return "bias_sign_preserved";
    case FindingKind::bias_error: return "bias_error_bound";
    case FindingKind::no_headroom: return "accumulator_headroom";
  }
  return nullptr;
}

bool breaks_declared(const Finding& f, const Guarantees& g) {
  switch (f.kind) {
    case FindingKind::weight_clipped: return false;
    case FindingKind::weight_sign_flipped:
    case FindingKind::weight_error: return g.weight_error_bound;
    case FindingKind::invalid_scale: return g.valid_scales;
    case FindingKind::bias_saturated: return g.no_bias_saturation;
    case FindingKind::bias_sign_flipped: return g.bias_sign_preserved;
    case FindingKind::bias_error: return g.bias_error_bound;
    case FindingKind::no_headroom: return g.accumulator_headroom;
  }
  return false;
}

}  // namespace quantcheck
