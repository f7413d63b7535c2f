// Text, JSON and Markdown forms of verify's runtime checks (RuntimeSummary).
#include "verify_runtime_report.hpp"
#include "quantcheck/exact.hpp"
#include "text_format.hpp"

#include <iomanip>
#include <limits>

namespace quantcheck::model {
namespace {

std::string g(double v, int precision = 6) { return significant(v, precision); }

// An exact integer as a JSON number when it fits int64, else a decimal string.
nlohmann::json exact(int128 v) {
  if (v >= std::numeric_limits<std::int64_t>::min() &&
      v <= std::numeric_limits<std::int64_t>::max())
    return static_cast<std::int64_t>(v);
  return to_decimal(v);
}

std::string where(std::int64_t layer, std::int64_t channel) {
  return "layer " + std::to_string(layer) + " ch " + std::to_string(channel);
}

}  // namespace

nlohmann::json runtime_json(const VerifyReport& r) {
  const RuntimeSummary& s = *r.runtime;
  nlohmann::json j{{"name", s.runtime},
                   {"chosen_because", s.chosen_because},
                   {"layers_checked", s.layers_checked},
                   {"layers_skipped", s.layers_skipped},
                   {"channels_checked", s.channels_checked},
                   {"rejected_layers", s.rejected_layers},
                   {"flushed_multipliers", s.flushed},
                   {"flush_findings", s.flush_findings},
                   {"overflow_findings", s.overflow_findings}};
  if (s.channels_checked) {
    j["min_multiplier"] = {{"value", s.min_multiplier},
                           {"operator", s.min_multiplier_layer},
                           {"channel", s.min_multiplier_channel}};
    j["max_multiplier"] = {{"value", s.max_multiplier},
                           {"operator", s.max_multiplier_layer},
                           {"channel", s.max_multiplier_channel}};
    j["min_accumulator_margin"] = {{"value", exact(s.min_margin)},
                                   {"operator", s.min_margin_layer},
                                   {"channel", s.min_margin_channel}};
    j["max_accumulator_fraction"] = s.max_accumulator_fraction;
    j["max_bound_lsb"] = {{"value", s.max_bound_lsb},
                          {"operator", s.max_bound_layer},
                          {"channel", s.max_bound_channel}};
  }
  auto& layers = j["layers"] = nlohmann::json::array();
  for (std::size_t i = 0; i < s.layers.size(); ++i) {
    const LayerRuntime& lr = s.layers[i];
    nlohmann::json lj{{"operator", r.layers[i].layer.op_index}, {"checked", lr.checked}};
    if (!lr.skipped.empty()) lj["skipped"] = lr.skipped;
    if (!lr.rejected.empty()) lj["rejected"] = lr.rejected;
    if (lr.checked && lr.rejected.empty()) {
      lj["activation"] = lr.activation;
      lj["accumulator"] = lr.accumulator;
      lj["output_scale"] = lr.output_scale;
      lj["output_zero_point"] = lr.output_zero_point;
      lj["narrowest_channel"] = lr.narrowest_channel;
      lj["kernel_confirmed"] = lr.kernel_confirmed;
      lj["max_bound_lsb"] = lr.max_bound_lsb;
      lj["max_bound"] = lr.max_bound;
      lj["min_multiplier"] = lr.min_multiplier;
      lj["max_multiplier"] = lr.max_multiplier;
      lj["max_accumulator_fraction"] = lr.max_accumulator_fraction;
      lj["min_accumulator_margin"] = exact(lr.min_margin);
      // One array per quantity, indexed by channel (compact for 1,000s of channels).
      nlohmann::json m = nlohmann::json::array(), q = m, e = m, rel = m, lo = m, hi = m, mn = m,
                     mx = m, b = m, bl = m, fl = m, ov = m;
      for (const ChannelRuntime& c : lr.channels) {
        m.push_back(c.multiplier);
        q.push_back(c.q);
        e.push_back(c.e);
        rel.push_back(c.relative_error);
        mn.push_back(exact(c.acc_min));
        mx.push_back(exact(c.acc_max));
        lo.push_back(exact(c.acc_lo));
        hi.push_back(exact(c.acc_hi));
        b.push_back(c.bound);
        bl.push_back(c.bound_lsb);
        fl.push_back(c.flushed);
        ov.push_back(c.overflow);
      }
      if (!lr.channels.empty())
        lj["channels"] = {{"multiplier", m},       {"q", q},        {"e", e},
                          {"relative_error", rel}, {"acc_min", mn}, {"acc_max", mx},
                          {"acc_lo", lo},          {"acc_hi", hi},  {"bound", b},
                          {"bound_lsb", bl},       {"flushed", fl}, {"overflow", ov}};
    }
    layers.push_back(std::move(lj));
  }
  return j;
}

void runtime_text(std::ostringstream& o, const VerifyReport& r) {
  const RuntimeSummary& s = *r.runtime;
  o << "\nruntime " << s.runtime << " (" << s.chosen_because << "): " << s.layers_checked
    << " layers, " << s.channels_checked << " channels checked, " << s.layers_skipped
    << " layers skipped\n";
  if (s.channels_checked) {
    o << "  multiplier M = s_in s_w / s_out: smallest " << g(s.min_multiplier) << " ("
      << where(s.min_multiplier_layer, s.min_multiplier_channel) << "), largest "
      << g(s.max_multiplier) << " (" << where(s.max_multiplier_layer, s.max_multiplier_channel)
      << "); " << s.flushed << " flushed (" << s.flush_findings << " visible), "
      << s.rejected_layers << " layers rejected\n"
      << "  accumulator: worst case " << g(100 * s.max_accumulator_fraction, 4)
      << "% of its limit, least margin " << to_decimal(s.min_margin) << " ("
      << where(s.min_margin_layer, s.min_margin_channel) << "); " << s.overflow_findings
      << " overflows\n"
      << "  output error bound (docs/runtimes.md, worst input): up to " << g(s.max_bound_lsb, 4)
      << " LSB (" << where(s.max_bound_layer, s.max_bound_channel) << ")\n";
  }
  o << std::left << std::setw(6) << "op" << std::setw(7) << "act" << std::setw(7) << "acc"
    << std::right << std::setw(12) << "min M" << std::setw(12) << "max M" << std::setw(10)
    << "|acc|max" << std::setw(14) << "margin" << std::setw(11) << "bound LSB" << std::setw(12)
    << "bound"
    << "  kernel\n";
  for (std::size_t i = 0; i < s.layers.size(); ++i) {
    const LayerRuntime& lr = s.layers[i];
    o << std::left << std::setw(6) << r.layers[i].layer.op_index;
    if (!lr.checked || !lr.rejected.empty()) {
      o << (lr.rejected.empty() ? "skipped: " + lr.skipped : "rejected: " + lr.rejected) << "\n";
      continue;
    }
    o << std::setw(7) << lr.activation << std::setw(7) << lr.accumulator << std::right
      << std::setw(12) << g(lr.min_multiplier, 4) << std::setw(12) << g(lr.max_multiplier, 4)
      << std::setw(9) << g(100 * lr.max_accumulator_fraction, 3) << "%" << std::setw(14)
      << to_decimal(lr.min_margin) << std::setw(11) << g(lr.max_bound_lsb, 4) << std::setw(12)
      << g(lr.max_bound, 4) << "  " << (lr.kernel_confirmed ? "ok" : "differs") << "\n";
  }
  o << "(|acc|max: the exact worst-case accumulator over every legal input, as a share of the "
       "accumulator's limit; kernel: the closed form agrees with the kernel run on the extreme "
       "inputs of the narrowest channel)\n";
}

void runtime_markdown(std::ostringstream& o, const VerifyReport& r) {
  const RuntimeSummary& s = *r.runtime;
  o << "\n## Runtime `" << s.runtime << "`\n\n"
    << s.chosen_because << ". " << s.layers_checked << " layers and " << s.channels_checked
    << " channels checked, " << s.layers_skipped << " layers skipped.\n\n";
  if (s.channels_checked)
    o << "- multiplier: smallest " << g(s.min_multiplier) << " ("
      << where(s.min_multiplier_layer, s.min_multiplier_channel) << "), largest "
      << g(s.max_multiplier) << " (" << where(s.max_multiplier_layer, s.max_multiplier_channel)
      << "); " << s.flushed << " flushed, " << s.flush_findings << " visibly\n"
      << "- accumulator: worst case " << g(100 * s.max_accumulator_fraction, 4)
      << "% of its limit, least margin " << to_decimal(s.min_margin) << " ("
      << where(s.min_margin_layer, s.min_margin_channel) << "); " << s.overflow_findings
      << " overflows\n"
      << "- output error bound: up to " << g(s.max_bound_lsb, 4) << " LSB ("
      << where(s.max_bound_layer, s.max_bound_channel) << ")\n\n";
  o << "| op | activation | accumulator | min M | max M | max abs acc / limit | margin | bound "
       "(LSB) | bound | kernel |\n|---:|---|---|---:|---:|---:|---:|---:|---:|---|\n";
  for (std::size_t i = 0; i < s.layers.size(); ++i) {
    const LayerRuntime& lr = s.layers[i];
    o << "| " << r.layers[i].layer.op_index << " | ";
    if (!lr.checked || !lr.rejected.empty()) {
      o << (lr.rejected.empty() ? "skipped: " + lr.skipped : "rejected: " + lr.rejected)
        << " | | | | | | | | |\n";
      continue;
    }
    o << lr.activation << " | " << lr.accumulator << " | " << g(lr.min_multiplier, 4) << " | "
      << g(lr.max_multiplier, 4) << " | " << g(100 * lr.max_accumulator_fraction, 3) << "% | "
      << to_decimal(lr.min_margin) << " | " << g(lr.max_bound_lsb, 4) << " | " << g(lr.max_bound, 4)
      << " | " << (lr.kernel_confirmed ? "ok" : "differs") << " |\n";
  }
}

}  // namespace quantcheck::model
