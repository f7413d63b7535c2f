// The subcommands of `quantcheck`, one file each (cmd_<name>.cpp). A file
// registers its command with QUANTCHECK_COMMAND(order, function); main() adds
// them in that order. A command's callback stores the process exit code:
// 0 ok, 1 a finding (a declared guarantee broken), 2 usage or input error
// (thrown as quantcheck::InputError / UsageError and mapped by main()).
#pragma once

#include <CLI/CLI.hpp>

namespace quantcheck::cli {

using CommandAdder = void (*)(CLI::App& app, int& exit_code);

// Called from static initialisers; returns a dummy value.
int register_command(int order, CommandAdder add);

// Adds every registered command to app, in order.
void add_registered_commands(CLI::App& app, int& exit_code);

}  // namespace quantcheck::cli

#define QUANTCHECK_COMMAND(order, fn) \
  static const int quantcheck_registered_##fn = ::quantcheck::cli::register_command(order, fn)
