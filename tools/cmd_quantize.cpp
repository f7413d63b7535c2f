// `quantcheck quantize --policy NAME [FILE|-]`: one JSON case in, the
// quantized result with its findings out (docs/json-format.md).
#include <iostream>

#include "commands.hpp"
#include "quantcheck/atomic_file.hpp"
#include "quantcheck/case_json.hpp"
#include "quantcheck/error.hpp"
#include "quantcheck/presets.hpp"

namespace quantcheck::cli {

namespace {

void add_quantize_command(CLI::App& app, int& exit_code) {
  struct Options {
    std::string policy = "reference";
    std::string input = "-";
    std::string output;
  };
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("quantize",
                                 "Quantize one JSON case under a policy and print the result JSON");
  cmd->add_option("--policy,-p", opt->policy, "Policy preset name (see `quantcheck policies`)")
      ->capture_default_str();
  cmd->add_option("input", opt->input, "Case JSON file, or - for standard input")
      ->capture_default_str();
  cmd->add_option("-o,--output", opt->output,
                  "Write the result here (atomically) instead of stdout");
  cmd->callback([opt, &exit_code] {
    const Policy& policy = find_preset(opt->policy);
    const Case c = read_case_file(opt->input);
    const Result r = quantize(policy, c);
    const std::string out = result_to_json(r).dump() + "\n";
    if (opt->output.empty())
      std::cout << out;
    else
      write_file_atomically(opt->output, out);
    exit_code = 0;
    for (const Finding& f : r.findings)
      if (breaks_declared(f, policy.guarantees)) exit_code = 1;
  });
}

}  // namespace

QUANTCHECK_COMMAND(20, add_quantize_command);

}  // namespace quantcheck::cli
