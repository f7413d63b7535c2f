// Text, JSON and Markdown forms of a VerifyReport.
#include <iomanip>
#include <sstream>

#include "quantcheck/model/report.hpp"
#include "text_format.hpp"
#include "verify_runtime_report.hpp"

namespace quantcheck::model {
namespace {

std::string g(double v, int precision = 6) { return significant(v, precision); }

}  // namespace

nlohmann::json to_json(const VerifyReport& r) {
  nlohmann::json j;
  j["model"] = r.path;
  j["format"] = to_string(r.format);
  if (!r.float_path.empty()) j["float_model"] = r.float_path;
  j["quantized_layers"] = r.quantized_layers;
  j["float_layers"] = r.float_layers;
  j["channels"] = r.channels;
  j["dead_channels"] = r.dead_channels;
  // Without a quantized layer these statistics do not exist: null, not 0.
  j["max_abs_bias"] = r.quantized_layers ? nlohmann::json(r.max_abs_bias) : nlohmann::json();
  j["min_weight_scale"] =
      r.quantized_layers ? nlohmann::json(r.min_weight_scale) : nlohmann::json();
  j["warnings"] = r.warnings;
  auto& un = j["not_audited"] = nlohmann::json::array();
  for (const UnauditedTensor& t : r.unaudited.tensors)
    un.push_back({{"op", t.op},
                  {"operator", t.op_index},
                  {"tensor", t.tensor},
                  {"type", t.type},
                  {"why", t.why}});
  j["custom_ops"] = r.unaudited.custom_ops;
  auto& f = j["findings"] = nlohmann::json::array();
  for (const VerifyFinding& x : r.findings)
    f.push_back({{"kind", x.kind},
                 {"layer", x.layer},
                 {"operator", x.op_index},
                 {"channel", x.channel},
                 {"message", x.message}});
  auto& layers = j["layers"] = nlohmann::json::array();
  for (const VerifyLayer& v : r.layers) {
    nlohmann::json lj{{"subgraph", v.layer.subgraph},
                      {"operator", v.layer.op_index},
                      {"op", op_name(v.layer)},
                      {"name", v.layer.name},
                      {"filter_shape", v.layer.filter_shape},
                      {"quantized", v.quantized},
                      {"channels", v.channels}};
    if (v.quantized) {
      lj["weight_type"] = v.weight_type;
      lj["bias_type"] = v.bias_type;
      lj["input_type"] = v.input_type;
      lj["per_channel"] = v.per_channel;
      lj["input_scale"] = v.input_scale;
      lj["input_zero_point"] = v.input_zero_point;
      lj["min_weight_scale"] = v.min_weight_scale;
      lj["max_abs_bias"] = v.max_abs_bias;
      lj["headroom"] = v.headroom;
      lj["zero_channels"] = v.zero_channels;
      auto& dead = lj["dead_channels"] = nlohmann::json::array();
      for (const DeadChannel& d : v.dead)
        dead.push_back({{"channel", d.channel},
                        {"weight_scale", d.weight_scale},
                        {"bias_q", d.bias_q},
                        {"bias_dequantized", d.bias_dequantized}});
      if (v.max_weight_error) lj["max_weight_error"] = *v.max_weight_error;
      if (v.max_bias_error) lj["max_bias_error"] = *v.max_bias_error;
    } else {
      lj["zero_channels"] = v.zero_channels;
    }
    layers.push_back(std::move(lj));
  }
  if (r.runtime) j["runtime"] = runtime_json(r);
  return j;
}

namespace {

// What was not audited, one line per operator: "PRELU (operator 12): 1 INT8
// constant: alpha".
void unaudited_lines(std::ostringstream& o, const VerifyReport& r, const char* bullet) {
  for (std::size_t i = 0; i < r.unaudited.tensors.size();) {
    const UnauditedTensor& first = r.unaudited.tensors[i];
    std::size_t j = i;
    std::string names;
    while (j < r.unaudited.tensors.size() && r.unaudited.tensors[j].op_index == first.op_index &&
           r.unaudited.tensors[j].op == first.op && r.unaudited.tensors[j].why == first.why) {
      names += (names.empty() ? "" : ", ") + r.unaudited.tensors[j].tensor + " (" +
               r.unaudited.tensors[j].type + ")";
      ++j;
    }
    o << bullet << first.op << " (operator " << first.op_index << "): " << (j - i) << " "
      << first.why << ": " << names << "\n";
    i = j;
  }
}

std::string or_dash(bool present, const std::string& v) { return present ? v : "-"; }

}  // namespace

std::string to_text(const VerifyReport& r) {
  std::ostringstream o;
  for (const std::string& w : r.warnings) o << "warning: " << w << "\n";
  o << r.path << " (" << identifier(r.format) << "): " << r.quantized_layers
    << " quantized layers, " << r.float_layers << " float layers, " << r.channels << " channels\n";
  const bool q = r.quantized_layers > 0;
  o << "dead channels " << or_dash(q, std::to_string(r.dead_channels)) << ", largest |bias| "
    << or_dash(q, std::to_string(r.max_abs_bias)) << ", smallest weight scale "
    << or_dash(q, g(r.min_weight_scale)) << "\n";
  o << "\n"
    << std::left << std::setw(6) << "op" << std::setw(18) << "kind" << std::setw(7) << "type"
    << std::right << std::setw(9) << "channels" << std::setw(6) << "dead" << std::setw(6) << "zero"
    << std::setw(13) << "max|bias|" << std::setw(13) << "min s_w" << std::setw(14) << "headroom"
    << std::setw(12) << "w err" << std::setw(12) << "b err"
    << "  name\n";
  for (const VerifyLayer& v : r.layers) {
    o << std::left << std::setw(6) << v.layer.op_index << std::setw(18) << op_name(v.layer)
      << std::setw(7) << (v.quantized ? v.weight_type : "float") << std::right << std::setw(9)
      << v.channels << std::setw(6) << or_dash(v.quantized, std::to_string(v.dead.size()))
      << std::setw(6) << v.zero_channels << std::setw(13)
      << or_dash(v.quantized, std::to_string(v.max_abs_bias)) << std::setw(13)
      << or_dash(v.quantized, g(v.min_weight_scale, 4)) << std::setw(14)
      << or_dash(v.quantized, g(v.headroom, 4)) << std::setw(12)
      << (v.max_weight_error ? g(*v.max_weight_error, 3) : "-") << std::setw(12)
      << (v.max_bias_error ? g(*v.max_bias_error, 3) : "-") << "  " << v.layer.name << "\n";
  }
  o << "(dead: per-channel quantized channels whose weights are all the zero point; zero: "
       "all-zero float channels, or all at a per-tensor zero point)\n";
  if (r.runtime) runtime_text(o, r);
  o << "\n";
  for (const VerifyLayer& v : r.layers)
    for (const DeadChannel& d : v.dead)
      o << "dead channel: layer " << v.layer.op_index << " ch " << d.channel << " (s_w "
        << g(d.weight_scale) << ", bias " << d.bias_q << " = " << g(d.bias_dequantized, 17)
        << ")\n";
  for (const VerifyFinding& f : r.findings)
    o << "finding " << f.kind << ": layer " << f.op_index << " " << f.layer
      << (f.channel >= 0 ? " ch " + std::to_string(f.channel) : std::string()) << ": " << f.message
      << "\n";
  if (!r.unaudited.tensors.empty()) {
    o << "not audited:\n";
    unaudited_lines(o, r, "  ");
  }
  o << r.findings.size() << " findings\n";
  return o.str();
}

std::string to_markdown(const VerifyReport& r) {
  std::ostringstream o;
  o << "# quantcheck verify: `" << r.path << "`\n\n";
  for (const std::string& w : r.warnings) o << "> **Warning:** " << w << "\n\n";
  const bool q = r.quantized_layers > 0;
  o << r.quantized_layers << " quantized layers, " << r.float_layers << " float layers, "
    << r.channels << " channels, " << or_dash(q, std::to_string(r.dead_channels))
    << " dead channels, largest |bias| " << or_dash(q, std::to_string(r.max_abs_bias)) << ".\n\n"
    << "| op | kind | type | channels | dead | zero | max abs bias | min weight scale | headroom | "
       "weight error | bias error | name |\n"
    << "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n";
  for (const VerifyLayer& v : r.layers)
    o << "| " << v.layer.op_index << " | " << op_name(v.layer) << " | "
      << (v.quantized ? v.weight_type : "float") << " | " << v.channels << " | " << v.dead.size()
      << " | " << v.zero_channels << " | " << or_dash(v.quantized, std::to_string(v.max_abs_bias))
      << " | " << or_dash(v.quantized, g(v.min_weight_scale, 4)) << " | "
      << or_dash(v.quantized, g(v.headroom, 4)) << " | "
      << (v.max_weight_error ? g(*v.max_weight_error, 3) : "") << " | "
      << (v.max_bias_error ? g(*v.max_bias_error, 3) : "") << " | `" << v.layer.name << "` |\n";
  if (!r.unaudited.tensors.empty()) {
    o << "\n## Not audited\n\n";
    unaudited_lines(o, r, "- ");
  }
  if (r.runtime) runtime_markdown(o, r);
  o << "\n## Findings (" << r.findings.size() << ")\n\n";
  for (const VerifyFinding& f : r.findings)
    o << "- **" << f.kind << "** layer " << f.op_index << " `" << f.layer << "`"
      << (f.channel >= 0 ? " channel " + std::to_string(f.channel) : std::string()) << ": "
      << f.message << "\n";
  return o.str();
}

}  // namespace quantcheck::model
