// quantcheck: property-based verification of neural-network quantizer policies.
#include <iostream>

#include "commands.hpp"
#include "quantcheck/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"quantcheck: what holds and what breaks in a quantizer's scale policy"};
  app.require_subcommand(1);
  int exit_code = 0;
  quantcheck::cli::add_registered_commands(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
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
  return exit_code;
}
