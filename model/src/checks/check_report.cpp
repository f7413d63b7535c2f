// Text, JSON and Markdown forms of a CheckReport.
#include <cmath>
#include <iomanip>
#include <sstream>

#include "quantcheck/model/report.hpp"
#include "text_format.hpp"

namespace quantcheck::model {
namespace {

// JSON has no inf/NaN: a scale that never fits is null.
nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

std::string scale_text(double s) {
  if (!std::isfinite(s)) return "never";
  if (s <= kLeastInputScale) return "any";
  std::ostringstream o;
  o << std::setprecision(4) << s;
  return o.str();
}

std::string g(double v, int precision = 3) { return significant(v, precision); }

std::string join(const std::vector<std::string>& v, const char* sep = ",") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

nlohmann::json shape_json(const std::vector<std::int64_t>& s) { return nlohmann::json(s); }

}  // namespace

nlohmann::json to_json(const CheckReport& r) {
  nlohmann::json j;
  j["model"] = r.path;
  j["format"] = to_string(r.format);
  j["input_scale"] = r.input_scale;
  j["layers_checked"] = r.layers.size();
  j["channels"] = r.channels;
  j["zero_channels"] = r.zero_channels;
  j["tiny_channels"] = r.tiny_channels;
  j["broken"] = r.broken();
  auto& pols = j["policies"] = nlohmann::json::array();
  for (const PolicySummary& s : r.summaries)
    pols.push_back({{"policy", s.policy},
                    {"layers_with_findings", s.layers_with_findings},
                    {"saturated_biases", s.saturated_biases},
                    {"sign_flipped_biases", s.sign_flipped_biases},
                    {"sign_flipped_weights", s.sign_flipped_weights},
                    {"dead_channels", s.dead_channels},
                    {"invalid_scales", s.invalid_scales},
                    {"max_weight_error", s.max_weight_error},
                    {"max_bias_error", number(s.max_bias_error)},
                    {"min_input_scale", number(s.min_input_scale)},
                    {"min_input_scale_layer", s.min_input_scale_layer},
                    {"broken_guarantees", s.broken}});
  auto& layers = j["layers"] = nlohmann::json::array();
  for (const LayerCheck& lc : r.layers) {
    nlohmann::json lj{{"subgraph", lc.layer.subgraph},
                      {"operator", lc.layer.op_index},
                      {"op", op_name(lc.layer)},
                      {"name", lc.layer.name},
                      {"filter_shape", shape_json(lc.layer.filter_shape)},
                      {"weights_through_dequantize", lc.layer.filter.dequantize_op >= 0},
                      {"channels", lc.channels},
                      {"zero_channels", lc.zero_channels},
                      {"tiny_channels", lc.tiny_channels},
                      {"smallest_max_abs_weight", lc.smallest_max_abs_weight}};
    auto& res = lj["policies"] = nlohmann::json::array();
    for (const LayerPolicyResult& p : lc.results) {
      nlohmann::json pj{{"policy", p.policy},
                        {"saturated_biases", p.saturated_biases},
                        {"sign_flipped_biases", p.sign_flipped_biases},
                        {"sign_flipped_weights", p.sign_flipped_weights},
                        {"dead_channels", p.dead_channels},
                        {"invalid_scales", p.invalid_scales},
                        {"no_headroom", p.no_headroom},
                        {"max_weight_error", p.max_weight_error},
                        {"max_bias_error", number(p.max_bias_error)},
                        {"min_input_scale", number(p.min_input_scale)},
                        {"min_input_scale_channel", p.min_input_scale_channel},
                        {"broken_guarantees", p.broken}};
      auto& chs = pj["channels"] = nlohmann::json::array();
      for (const ChannelNote& n : p.channels)
        chs.push_back({{"channel", n.channel},
                       {"max_abs_weight", n.max_abs_weight},
                       {"tiny", n.tiny},
                       {"dead", n.dead},
                       {"weight_scale", n.weight_scale},
                       {"bias", n.bias},
                       {"bias_q", n.bias_q},
                       {"bias_dequantized", number(n.bias_dequantized)},
                       {"min_input_scale", number(n.min_input_scale)},
                       {"findings", n.findings},
                       {"broken_guarantees", n.broken}});
      res.push_back(std::move(pj));
    }
    layers.push_back(std::move(lj));
  }
  return j;
}

namespace {

// The channels worth a line of text: what breaks a bias or a scale, a dead
// channel, or a broken guarantee. (Tiny channels and the rest are counted; the
// JSON form lists every noted channel.)
bool worth_a_line(const ChannelNote& n) {
  if (n.dead || !n.broken.empty()) return true;
  for (const std::string& f : n.findings)
    if (f == "bias_saturated" || f == "bias_sign_flipped" || f == "invalid_scale") return true;
  return false;
}

// Lines per layer and policy before the rest is summarised.
constexpr int kLinesPerLayerPolicy = 4;

}  // namespace

std::string to_text(const CheckReport& r) {
  std::ostringstream o;
  o << r.path << " (" << identifier(r.format) << "): " << r.layers.size() << " layers, "
    << r.channels << " channels, " << r.zero_channels << " all-zero, " << r.tiny_channels
    << " with max|w| < 1e-5; input scale " << g(r.input_scale, 9) << "\n\n";
  o << std::left << std::setw(24) << "policy" << std::right << std::setw(8) << "layers"
    << std::setw(11) << "saturated" << std::setw(12) << "sign-flips" << std::setw(7) << "dead"
    << std::setw(12) << "max w err" << std::setw(12) << "max b err" << std::setw(14) << "min s_in"
    << "  broken guarantees\n";
  for (const PolicySummary& s : r.summaries)
    o << std::left << std::setw(24) << s.policy << std::right << std::setw(8)
      << s.layers_with_findings << std::setw(11) << s.saturated_biases << std::setw(12)
      << s.sign_flipped_biases << std::setw(7) << s.dead_channels << std::setw(12)
      << g(s.max_weight_error) << std::setw(12) << g(s.max_bias_error) << std::setw(14)
      << scale_text(s.min_input_scale) << "  " << (s.broken.empty() ? "-" : join(s.broken)) << "\n";
  o << "\n(layers: with findings; min s_in: the smallest input scale at which every bias fits)\n";
  for (const LayerCheck& lc : r.layers) {
    bool header = false;
    for (const LayerPolicyResult& p : lc.results) {
      int lines = 0, more = 0;
      for (const ChannelNote& n : p.channels) {
        if (!worth_a_line(n)) continue;
        if (lines == kLinesPerLayerPolicy) {
          ++more;
          continue;
        }
        ++lines;
        if (!header) {
          o << "\nlayer " << lc.layer.op_index << " " << op_name(lc.layer) << " " << lc.layer.name
            << ": " << lc.channels << " channels, " << lc.zero_channels << " zero, "
            << lc.tiny_channels << " tiny\n";
          header = true;
        }
        o << "  " << std::left << std::setw(24) << p.policy << std::right << " ch " << n.channel
          << ": " << (n.dead ? "dead " : "") << join(n.findings) << " (max|w| "
          << g(n.max_abs_weight) << ", s_w " << g(n.weight_scale) << ", b " << g(n.bias, 6)
          << " -> q " << n.bias_q << ", fits for s_in >= " << scale_text(n.min_input_scale) << ")"
          << (n.broken.empty() ? "" : " BREAKS " + join(n.broken)) << "\n";
      }
      if (more)
        o << "  " << std::left << std::setw(24) << p.policy << std::right << " ... " << more
          << " more channels (--json lists them)\n";
    }
  }
  o << "\n"
    << (r.broken() ? "a policy broke a guarantee it declares (exit 1)\n"
                   : "no policy broke a guarantee it declares\n");
  return o.str();
}

std::string to_markdown(const CheckReport& r) {
  std::ostringstream o;
  o << "# quantcheck check: `" << r.path << "`\n\n"
    << "Format " << identifier(r.format) << ", " << r.layers.size() << " layers, " << r.channels
    << " channels (" << r.zero_channels << " all-zero, " << r.tiny_channels
    << " with max|w| < 1e-5), input scale " << g(r.input_scale, 9) << ".\n\n"
    << "| policy | layers with findings | saturated biases | sign-flipped biases | dead channels "
       "| max weight error | max bias error | min input scale | broken guarantees |\n"
    << "|---|---:|---:|---:|---:|---:|---:|---:|---|\n";
  for (const PolicySummary& s : r.summaries)
    o << "| " << s.policy << " | " << s.layers_with_findings << " | " << s.saturated_biases << " | "
      << s.sign_flipped_biases << " | " << s.dead_channels << " | " << g(s.max_weight_error)
      << " | " << g(s.max_bias_error) << " | " << scale_text(s.min_input_scale) << " | "
      << (s.broken.empty() ? "" : join(s.broken, ", ")) << " |\n";
  o << "\n## Channels with findings\n\n"
    << "| layer | policy | channel | findings | max abs w | bias | q_b | fits for s_in >= | "
       "breaks |\n|---|---|---:|---|---:|---:|---:|---:|---|\n";
  for (const LayerCheck& lc : r.layers)
    for (const LayerPolicyResult& p : lc.results)
      for (const ChannelNote& n : p.channels)
        if (worth_a_line(n))
          o << "| `" << lc.layer.name << "` | " << p.policy << " | " << n.channel << " | "
            << (n.dead ? "dead " : "") << join(n.findings, ", ") << " | " << g(n.max_abs_weight)
            << " | " << g(n.bias, 6) << " | " << n.bias_q << " | " << scale_text(n.min_input_scale)
            << " | " << join(n.broken, ", ") << " |\n";
  return o.str();
}

}  // namespace quantcheck::model
