// quantcheck: property-based verification of neural-network quantizer policies.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "huge_page_heap.hpp"
#include "quantcheck/error.hpp"

#ifndef QUANTCHECK_VERSION
#define QUANTCHECK_VERSION "unknown"
#endif

namespace {

std::string command_names(const CLI::App& app) {
  std::string names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    names += (names.empty() ? "" : ", ") + sub->get_name();
  return names;
}

// What the report went to must have taken it: a full disk or a closed
// standard output is an error (exit 2), not a silent success.
bool stdout_written() {
  std::cout.flush();
  errno = 0;
  const bool ok = std::cout.good() && std::fflush(stdout) == 0 && !std::ferror(stdout);
  if (!ok)
    std::cerr << "quantcheck: cannot write to standard output: "
              << (errno ? std::strerror(errno) : "write failed") << "\n";
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  quantcheck::cli::use_huge_page_heap();
  CLI::App app{"quantcheck: what holds and what breaks in a quantizer's scale policy"};
  app.name("quantcheck");
  app.require_subcommand(1);
  app.set_version_flag("--version", "quantcheck " QUANTCHECK_VERSION);
  int exit_code = 0;
  quantcheck::cli::add_registered_commands(app, exit_code);

  // `quantcheck help [COMMAND]` is `quantcheck [COMMAND] --help`; a first word
  // that is no command is named (CLI11 would only say one is required).
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "help") {
    args.erase(args.begin());
    if (args.size() > 1) args.resize(1);
    args.push_back("--help");
  }
  if (args.empty()) {
    std::cerr << "quantcheck: a command is required (" << command_names(app)
              << "); see quantcheck --help\n";
    return 2;
  }
  if (args[0].empty() || args[0][0] != '-') {
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
      known |= sub->get_name() == args[0];
    if (!known) {
      std::cerr << "quantcheck: unknown command '" << args[0].substr(0, 64)
                << "' (commands: " << command_names(app) << ")\n";
      return 2;
    }
  }
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 parses a reversed list
  try {
    app.parse(reversed);
  } catch (const CLI::Success& e) {  // --help, --version
    app.exit(e);
    return stdout_written() ? 0 : 2;
  } catch (const CLI::ParseError& e) {
    std::cerr << "quantcheck: " << e.what() << "\n";
    return 2;
  } catch (const quantcheck::InputError& e) {
    std::cerr << "quantcheck: " << e.what() << "\n";
    return 2;
  } catch (const quantcheck::UsageError& e) {
    std::cerr << "quantcheck: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "quantcheck: " << e.what() << "\n";
    return 2;
  }
  return stdout_written() ? exit_code : 2;
}
