// Text, JSON and Markdown forms of an IdentifyReport.
#include <iomanip>
#include <sstream>

#include "quantcheck/model/identify.hpp"
#include "text_format.hpp"

namespace quantcheck::model {
namespace {

std::string g(double v, int precision = 9) { return significant(v, precision); }

std::string join(const std::vector<std::string>& names, const std::string& none = "none") {
  if (names.empty()) return none;
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::string describe(const IdentifyDifference& d) {
  std::ostringstream o;
  o << "channel " << d.channel << " " << d.what;
  if (d.element >= 0) o << " [" << d.element << "]";
  o << ": stored " << g(d.stored) << ", recomputed " << g(d.recomputed);
  return o.str();
}

// The tried preset that reproduces the most channels of a layer it does not
// reproduce (the nearest miss), or nullptr.
const PresetMatch* nearest_miss(const IdentifyLayer& l) {
  const PresetMatch* best = nullptr;
  for (const PresetMatch& p : l.presets)
    if (p.not_applicable.empty() && !p.reproduced() &&
        (!best || p.channels_matched > best->channels_matched))
      best = &p;
  return best;
}

std::string share(const PresetMatch& p) {
  return std::to_string(p.channels_matched) + "/" + std::to_string(p.channels);
}

}  // namespace

nlohmann::json to_json(const IdentifyReport& r) {
  nlohmann::json j;
  j["model"] = r.path;
  j["format"] = to_string(r.format);
  j["quantized_layers"] = r.layers.size();
  j["float_layers"] = r.float_layers;
  j["channels"] = r.channels;
  j["reproduced_by"] = r.reproduced_by_all();
  auto& summary = j["summary"] = nlohmann::json::array();
  for (const PresetSummary& s : r.summary)
    summary.push_back({{"preset", s.preset},
                       {"layers_reproduced", s.layers_reproduced},
                       {"layers", r.layers.size()},
                       {"channels_matched", s.channels_matched},
                       {"channels", r.channels}});
  auto& layers = j["layers"] = nlohmann::json::array();
  for (const IdentifyLayer& l : r.layers) {
    nlohmann::json lj{{"subgraph", l.layer.subgraph},
                      {"operator", l.layer.op_index},
                      {"op", op_name(l.layer)},
                      {"name", l.layer.name},
                      {"filter_shape", l.layer.filter_shape},
                      {"weight_type", l.weight_type},
                      {"bias_type", l.bias_type},
                      {"per_channel", l.per_channel},
                      {"channels", l.channels},
                      {"input_scale", l.input_scale},
                      {"reproduced_by", l.reproduced_by()}};
    auto& presets = lj["presets"] = nlohmann::json::array();
    for (const PresetMatch& p : l.presets) {
      nlohmann::json pj{{"preset", p.preset}, {"reproduced", p.reproduced()}};
      if (!p.not_applicable.empty()) {
        pj["not_applicable"] = p.not_applicable;
      } else {
        pj["channels_matched"] = p.channels_matched;
        pj["channels"] = p.channels;
      }
      if (p.first_difference) {
        const IdentifyDifference& d = *p.first_difference;
        pj["first_difference"] = {{"what", d.what},
                                  {"channel", d.channel},
                                  {"element", d.element},
                                  {"stored", d.stored},
                                  {"recomputed", d.recomputed}};
      }
      presets.push_back(std::move(pj));
    }
    layers.push_back(std::move(lj));
  }
  return j;
}

std::string to_text(const IdentifyReport& r) {
  std::ostringstream o;
  o << r.path << " (" << identifier(r.format) << "): " << r.layers.size() << " quantized layers, "
    << r.float_layers << " float layers, " << r.channels << " channels\n\n";
  for (const IdentifyLayer& l : r.layers) {
    o << "op " << l.layer.op_index << " " << op_name(l.layer) << " " << l.weight_type
      << (l.per_channel ? " per-channel" : " per-tensor") << ", bias " << l.bias_type << ", s_in "
      << g(l.input_scale) << ", " << l.channels << " channels  " << l.layer.name
      << "\n  reproduced by: " << join(l.reproduced_by()) << "\n";
    if (const PresetMatch* miss = nearest_miss(l))
      o << "  nearest miss: " << miss->preset << " " << share(*miss) << " channels; first "
        << describe(*miss->first_difference) << "\n";
  }
  o << "\nsummary (layers reproduced / " << r.layers.size() << ", channels matched / " << r.channels
    << "):\n";
  for (const PresetSummary& s : r.summary)
    o << "  " << std::left << std::setw(24) << s.preset << std::right << std::setw(6)
      << s.layers_reproduced << std::setw(10) << s.channels_matched << "\n";
  o << "reproduced by: " << join(r.reproduced_by_all(), "no preset") << "\n";
  return o.str();
}

std::string to_markdown(const IdentifyReport& r) {
  std::ostringstream o;
  o << "# quantcheck identify: `" << r.path << "`\n\n"
    << r.layers.size() << " quantized layers, " << r.float_layers << " float layers, " << r.channels
    << " channels. Reproduced by: **" << join(r.reproduced_by_all(), "no preset") << "**.\n\n"
    << "| preset | layers reproduced | channels matched |\n|---|---:|---:|\n";
  for (const PresetSummary& s : r.summary)
    o << "| " << s.preset << " | " << s.layers_reproduced << "/" << r.layers.size() << " | "
      << s.channels_matched << "/" << r.channels << " |\n";
  o << "\n| op | kind | type | channels | reproduced by | nearest miss | first difference | name "
       "|\n|---:|---|---|---:|---|---|---|---|\n";
  for (const IdentifyLayer& l : r.layers) {
    const PresetMatch* miss = nearest_miss(l);
    o << "| " << l.layer.op_index << " | " << op_name(l.layer) << " | " << l.weight_type << " | "
      << l.channels << " | " << join(l.reproduced_by()) << " | "
      << (miss ? miss->preset + " " + share(*miss) : "") << " | "
      << (miss ? describe(*miss->first_difference) : "") << " | `" << l.layer.name << "` |\n";
  }
  return o.str();
}

}  // namespace quantcheck::model
