#include <algorithm>
#include <utility>
#include <vector>

#include "commands.hpp"

namespace quantcheck::cli {
namespace {

std::vector<std::pair<int, CommandAdder>>& registry() {
  static std::vector<std::pair<int, CommandAdder>> r;
  return r;
}

}  // namespace

int register_command(int order, CommandAdder add) {
  registry().emplace_back(order, add);
  return 0;
}

void add_registered_commands(CLI::App& app, int& exit_code) {
  auto r = registry();
  std::stable_sort(r.begin(), r.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [order, add] : r) add(app, exit_code);
}

}  // namespace quantcheck::cli
