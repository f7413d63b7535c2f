// `quantcheck runtimes`: the runtime profiles, as a table or JSON with every
// knob and source (docs/runtimes.md).
#include <iomanip>
#include <iostream>

#include "commands.hpp"
#include "quantcheck/runtime/profiles.hpp"
#include "quantcheck/runtime/runtime_json.hpp"

namespace quantcheck::cli {
namespace {

std::string path_summary(const RuntimePath& p) {
  if (!p.supported) return "-";
  return to_string(p.accumulator) + " " + to_string(p.rounding);
}

void print_table(std::ostream& out) {
  out << std::left << std::setw(24) << "runtime" << std::setw(44) << "8-bit path"
      << "16-bit path\n";
  for (const RuntimeProfile& r : runtime_profiles())
    out << std::left << std::setw(24) << r.name << std::setw(44) << path_summary(r.eight_bit)
        << path_summary(r.sixteen_bit) << "\n";
}

void add_runtimes_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("runtimes", "List the runtime profiles and their knobs");
  auto json_out = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json_out, "Print every profile as JSON: name, origin, sources, knobs");
  cmd->callback([json_out, &exit_code] {
    if (*json_out) {
      nlohmann::json all = nlohmann::json::array();
      for (const RuntimeProfile& r : runtime_profiles()) all.push_back(runtime_to_json(r));
      std::cout << all.dump(2) << "\n";
    } else {
      print_table(std::cout);
    }
    exit_code = 0;
  });
}

}  // namespace

QUANTCHECK_COMMAND(12, add_runtimes_command);

}  // namespace quantcheck::cli
