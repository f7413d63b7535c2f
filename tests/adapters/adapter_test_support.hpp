// Shared by the adapter tests: where the adapters are, and whether any child
// process is left behind.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "quantcheck/bundled_adapters.hpp"
#include "quantcheck/external_adapter.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck {
inline void PrintTo(AdapterFailure f, std::ostream* os) { *os << to_string(f); }
}  // namespace quantcheck

namespace quantcheck::test {

inline std::string broken_adapter(const std::string& fault) {
  return "'" + python3() + "' '" + adapters_source_dir() + "/testing/broken_adapter.py' " + fault;
}

// The processes whose parent is this one, running or zombie (from /proc).
// A test compares the set before and after: an adapter left running or
// unreaped shows up as a new pid.
inline std::set<pid_t> child_pids() {
  std::set<pid_t> out;
  const pid_t self = ::getpid();
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // pid (comm) state ppid ...: comm may hold spaces, so parse after the last ')'.
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 1));
    std::string state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == self) out.insert(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

// Records the children at construction; no_new_children() is true when no
// child started since is still there (running or zombie).
class ChildWatch {
 public:
  ChildWatch() : before_(child_pids()) {}
  bool no_new_children() const { return child_pids() == before_; }

 private:
  std::set<pid_t> before_;
};

// A small valid case: a conv2d of `channels` output channels, 2x1x1x2 values each.
inline Case small_case(int channels = 2, float scale = 0.5f) {
  Case c;
  c.op = OpKind::conv2d;
  c.input_scale = scale;
  c.weight_shape = {channels, 1, 1, 2};
  for (int i = 0; i < 2 * channels; ++i) c.weights.push_back(0.25f * static_cast<float>(i - 1));
  for (int i = 0; i < channels; ++i) c.bias.push_back(0.5f * static_cast<float>(i));
  return c;
}

}  // namespace quantcheck::test

// Skips the calling test unless python3-torch is installed.
#define QUANTCHECK_REQUIRE_TORCH()                                                       \
  do {                                                                                   \
    if (::quantcheck::torch_python().empty())                                            \
      GTEST_SKIP() << "python3-torch is not installed (no python3 here imports torch): " \
                      "the real PyTorch adapter cannot run";                             \
  } while (0)
