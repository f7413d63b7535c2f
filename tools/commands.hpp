// The subcommands of `quantcheck`, one file each (cmd_<name>.cpp). Each adds
// itself to the app; its callback stores the process exit code:
// 0 ok, 1 a finding (a declared guarantee broken), 2 usage or input error.
#pragma once

#include <CLI/CLI.hpp>

namespace quantcheck::cli {

void add_policies_command(CLI::App& app, int& exit_code);
void add_quantize_command(CLI::App& app, int& exit_code);

}  // namespace quantcheck::cli
