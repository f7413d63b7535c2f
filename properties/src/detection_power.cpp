// The known hazards (issue 3's five, and four AFL++ found at the ends of the
// float range) and the cases-to-first-counterexample measure.
#include "quantcheck/detection_power.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <sstream>

#include "quantcheck/exact.hpp"
#include "quantcheck/generators.hpp"
#include "quantcheck/presets.hpp"
#include "quantcheck/properties.hpp"

namespace quantcheck {
namespace {

float channel_max_abs(const Case& c, std::int64_t ch) {
  const check::Placement pl = check::placement_of(c);
  float m = 0;
  for (std::size_t i = 0; i < c.weights.size(); ++i)
    if (pl.channel_of(static_cast<std::int64_t>(i)) == ch) m = std::max(m, std::fabs(c.weights[i]));
  return m;
}

// ONE #6970: a non-zero bias stored as INT64_MIN at a tiny bias scale: a tiny
// filter (max|w| below 2^-20), or, since the input scales reach subnormals,
// an input scale below 2^-40 (s_b = s_in * s_w is just as tiny).
std::optional<std::string> shows_6970(const Case& c, const Result& r) {
  for (std::size_t ch = 0; ch < c.bias.size(); ++ch)
    if (c.bias[ch] != 0 && r.bias.q[ch] == std::numeric_limits<std::int64_t>::min() &&
        (channel_max_abs(c, static_cast<std::int64_t>(ch)) < std::ldexp(1.0f, -20) ||
         c.input_scale < std::ldexp(1.0f, -40)))
      return std::nullopt;
  return "no tiny channel or tiny input scale whose bias became INT64_MIN";
}

// luci uint8: a positive bias stored as INT32_MIN.
std::optional<std::string> shows_luci_uint8_flip(const Case& c, const Result& r) {
  for (std::size_t ch = 0; ch < c.bias.size(); ++ch)
    if (c.bias[ch] > 0 && r.bias.q[ch] == std::numeric_limits<std::int32_t>::min())
      return std::nullopt;
  return "no positive bias stored as INT32_MIN";
}

// TFLite: an all-zero channel with weight scale 0, its bias (if any) stored as 0.
std::optional<std::string> shows_tflite_zero_scale(const Case& c, const Result& r) {
  for (std::int64_t ch = 0; ch < check::placement_of(c).channels; ++ch) {
    if (channel_max_abs(c, ch) != 0 || r.weights.channels[static_cast<std::size_t>(ch)].scale != 0)
      continue;
    if (c.bias.empty() || r.bias.q[static_cast<std::size_t>(ch)] == 0) return std::nullopt;
  }
  return "no all-zero channel with scale 0 and bias 0";
}

// The exact |b / s_b| exceeds the int32 range.
bool exceeds_int32(float b, float s_b) {
  if (!(s_b > 0) || !std::isfinite(s_b)) return b != 0;
  const auto d = divide_exact(std::fabs(b), s_b);
  return !d || d->floor >= int128{std::numeric_limits<std::int32_t>::max()};
}

// PyTorch int8: a bias beyond int32 clamped to INT32_MAX or INT32_MIN.
std::optional<std::string> shows_pytorch_overflow(const Case& c, const Result& r) {
  for (std::size_t ch = 0; ch < c.bias.size(); ++ch) {
    const std::int64_t q = r.bias.q[ch];
    if ((q == std::numeric_limits<std::int32_t>::max() ||
         q == std::numeric_limits<std::int32_t>::min()) &&
        exceeds_int32(c.bias[ch], c.input_scale * r.weights.channels[ch].scale))
      return std::nullopt;
  }
  return "no bias clamped at the int32 limit";
}

// ONNX Runtime int8: the bias fits int32 but leaves less than K * 255 * 127 of room.
std::optional<std::string> shows_ort_headroom(const Case& c, const Result& r) {
  const std::int64_t k = check::placement_of(c).per_channel;
  for (std::size_t ch = 0; ch < c.bias.size(); ++ch) {
    const std::int64_t q = r.bias.q[ch];
    const float s_b = c.input_scale * r.weights.channels[ch].scale;
    if (!exceeds_int32(c.bias[ch], s_b) &&
        int128{q < 0 ? -q : q} + int128{k} * 255 * 127 > std::numeric_limits<std::int32_t>::max())
      return std::nullopt;
  }
  return "no in-range bias without accumulator headroom";
}

// luci int16 floors / PyTorch eps: every weight scale normal, but a bias
// scale s_in * s_w below FLT_MIN (a subnormal or tiny input scale).
std::optional<std::string> shows_subnormal_bias_scale(const Case& c, const Result& r) {
  for (const ChannelParams& cp : r.weights.channels)
    if (!(cp.scale >= FLT_MIN) || !std::isfinite(cp.scale))
      return "a weight scale is not normal: " + std::to_string(cp.scale);
  for (std::size_t ch = 0; ch < c.bias.size(); ++ch)
    if (c.input_scale * r.weights.channels[ch].scale < FLT_MIN) return std::nullopt;
  return "no bias scale below FLT_MIN";
}

// ONE #7017 at a huge input scale (2^76 and above, where 1e-15 / s_in nears
// FLT_MIN): a subnormal weight scale that meets the 1e-15 bias-scale floor,
// or (what shrinking toward magnitude-1 weights reaches first) a bias scale
// s_in * s_w that overflows to inf.
std::optional<std::string> shows_7017_huge_input_scale(const Case& c, const Result& r) {
  if (!(c.input_scale >= 0x1p76f)) return "input scale below 2^76";
  for (std::size_t g = 0; g < r.weights.channels.size(); ++g) {
    const float s = r.weights.channels[g].scale;
    if (s < FLT_MIN && c.input_scale * s >= 1e-15f) return std::nullopt;
    if (g < c.bias.size() && std::isinf(c.input_scale * s)) return std::nullopt;
  }
  return "no subnormal weight scale meeting the floor and no infinite bias scale";
}

// TFLite: a non-zero bias whose bias scale s_in * s_w is 0, stored as 0.
std::optional<std::string> shows_tflite_bias_lost(const Case& c, const Result& r) {
  for (std::size_t ch = 0; ch < c.bias.size(); ++ch)
    if (c.bias[ch] != 0 && c.input_scale * r.weights.channels[ch].scale == 0 && r.bias.q[ch] == 0)
      return std::nullopt;
  return "no non-zero bias lost to a zero bias scale";
}

}  // namespace

const std::vector<KnownHazard>& known_hazards() {
  static const std::vector<KnownHazard> all = {
      {"one-6970-int16-bias-saturation", "luci-int16-2021", "bias_no_saturation",
       "a tiny filter (or tiny input scale) whose bias is stored as INT64_MIN", &shows_6970},
      {"luci-uint8-int32-overflow-sign-flip", "luci-uint8", "bias_sign_preserved",
       "a positive bias stored as INT32_MIN", &shows_luci_uint8_flip},
      {"tflite-zero-scale-dead-channel", "tflite-int8", "scales_valid",
       "an all-zero channel with weight scale 0 and bias 0", &shows_tflite_zero_scale},
      {"pytorch-int8-bias-overflow", "pytorch-int8-symmetric", "bias_no_saturation",
       "a bias beyond int32 clamped to the int32 limit", &shows_pytorch_overflow},
      {"onnxruntime-1.0001-no-headroom", "onnxruntime-int8", "accumulator_headroom",
       "an int32 bias that fits but leaves no room for K products", &shows_ort_headroom},
      // Found by AFL++ outside the input scales the generators used to make.
      {"luci-int16-subnormal-bias-scale", "luci-int16", "scales_valid",
       "normal weight scales (floor 1e-8) with a bias scale s_in * s_w below FLT_MIN",
       &shows_subnormal_bias_scale},
      {"pytorch-int8-subnormal-bias-scale", "pytorch-int8-symmetric", "scales_valid",
       "normal weight scales (eps floor) with a bias scale s_in * s_w below FLT_MIN",
       &shows_subnormal_bias_scale},
      {"one-7017-huge-input-scale", "luci-int16-7017", "scales_valid",
       "at s_in >= 2^76, a subnormal weight scale meeting s_in * s_w >= 1e-15 or an infinite "
       "bias scale",
       &shows_7017_huge_input_scale},
      {"tflite-bias-scale-zero-bias-lost", "tflite-int8", "bias_no_saturation",
       "a non-zero bias whose bias scale s_in * s_w is 0, stored as 0", &shows_tflite_bias_lost},
  };
  return all;
}

std::vector<PowerRow> measure_detection_power(int seeds, int cap,
                                              const std::function<void(int, int)>& progress) {
  std::vector<PowerRow> rows;
  const int total = static_cast<int>(known_hazards().size()) * seeds;
  int done = 0;
  for (const KnownHazard& h : known_hazards()) {
    PowerRow row;
    row.hazard = h.name;
    row.cap = cap;
    const PolicyQuantizer q(find_preset(h.policy));
    const Property& p = find_property(h.property);
    for (int s = 1; s <= seeds; ++s) {
      RunConfig cfg;
      cfg.seed = static_cast<std::uint64_t>(s);
      cfg.cases = cap;
      cfg.shrink = false;
      const PropertyOutcome ours = run_property(p, q, cfg);
      row.ours.push_back(ours.found ? ours.cases_run : cap + 1);
      const PropertyOutcome naive = run_property_with(p, q, gen::arbitrary_float_case(), cfg);
      row.arbitrary.push_back(naive.found ? naive.cases_run : cap + 1);
      if (progress) progress(++done, total);
    }
    rows.push_back(row);
  }
  return rows;
}

int median_of(std::vector<int> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int worst_of(const std::vector<int>& v) {
  return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

namespace {

std::string figure(int v, int cap) {
  return v > cap ? ">" + std::to_string(cap) : std::to_string(v);
}

int found_count(const std::vector<int>& v, int cap) {
  return static_cast<int>(std::count_if(v.begin(), v.end(), [cap](int x) { return x <= cap; }));
}

}  // namespace

std::string detection_power_text(const std::vector<PowerRow>& rows) {
  std::ostringstream s;
  s << "cases to the first counterexample (no shrinking), over "
    << (rows.empty() ? 0 : rows[0].ours.size()) << " seeds; target median <= 10, worst <= 100\n\n";
  s << "hazard                                 ours: median  worst  found   "
       "arbitrary<float>: median  worst  found\n";
  for (const PowerRow& r : rows) {
    char line[256];
    std::snprintf(line, sizeof line, "%-38s %12s %6s %6d   %24s %6s %6d\n", r.hazard.c_str(),
                  figure(median_of(r.ours), r.cap).c_str(), figure(worst_of(r.ours), r.cap).c_str(),
                  found_count(r.ours, r.cap), figure(median_of(r.arbitrary), r.cap).c_str(),
                  figure(worst_of(r.arbitrary), r.cap).c_str(), found_count(r.arbitrary, r.cap));
    s << line;
  }
  return s.str();
}

nlohmann::json detection_power_json(const std::vector<PowerRow>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const PowerRow& r : rows)
    out.push_back({{"hazard", r.hazard},
                   {"cap", r.cap},
                   {"seeds", r.ours.size()},
                   {"ours",
                    {{"median", median_of(r.ours)},
                     {"worst", worst_of(r.ours)},
                     {"found", found_count(r.ours, r.cap)}}},
                   {"arbitrary_float",
                    {{"median", median_of(r.arbitrary)},
                     {"worst", worst_of(r.arbitrary)},
                     {"found", found_count(r.arbitrary, r.cap)}}}});
  return out;
}

}  // namespace quantcheck
