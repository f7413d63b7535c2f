// Shared by the adapter tests: where the adapters are, and whether any child
// process is left behind.
#pragma once

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <cerrno>
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

// True when this process has no child at all, running or zombie: waitpid
// says ECHILD. (The tests start no processes other than adapters.)
inline bool no_children_left() {
  int status = 0;
  const pid_t r = ::waitpid(-1, &status, WNOHANG);
  return r == -1 && errno == ECHILD;
}

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
