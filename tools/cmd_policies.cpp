// `quantcheck policies`: the presets, as a table or JSON with every knob.
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "quantcheck/case_json.hpp"
#include "quantcheck/presets.hpp"

namespace quantcheck::cli {

namespace {

std::string short_float(float v) {
  if (v == 0) return "-";
  std::ostringstream s;
  s << std::setprecision(9) << v;
  return s.str();
}

void print_table(std::ostream& out) {
  out << std::left << std::setw(24) << "policy" << std::setw(7) << "type" << std::setw(6) << "bias"
      << std::setw(16) << "floor" << std::setw(20) << "bias fit"
      << "guarantees\n";
  for (const Policy& p : presets()) {
    std::string g;
    for (const auto& name : declared_guarantees(p.guarantees)) g += (g.empty() ? "" : ",") + name;
    out << std::left << std::setw(24) << p.name << std::setw(7) << to_string(p.weight_type)
        << std::setw(6) << to_string(p.bias_type) << std::setw(16) << short_float(p.scale_floor)
        << std::setw(20) << to_string(p.bias_fit) << (g.empty() ? "(none)" : g) << "\n";
  }
}

}  // namespace

namespace {

void add_policies_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("policies", "List the scale-policy presets and their knobs");
  auto json_out = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json_out, "Print every preset as JSON: name, origin, knobs, guarantees");
  cmd->callback([json_out, &exit_code] {
    if (*json_out) {
      nlohmann::json all = nlohmann::json::array();
      for (const Policy& p : presets()) all.push_back(policy_to_json(p));
      std::cout << all.dump(2) << "\n";
    } else {
      print_table(std::cout);
    }
    exit_code = 0;
  });
}

}  // namespace

QUANTCHECK_COMMAND(10, add_policies_command);

}  // namespace quantcheck::cli
