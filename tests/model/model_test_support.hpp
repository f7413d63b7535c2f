// Shared helpers of the model tests: where the real models are, temporary
// files, running the CLI.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace quantcheck::model::testing {

// <models dir>/<name>, or "" when the models directory is absent.
std::string real_model(const std::string& name);

// Skips the current test with a message when the real models are absent.
#define QC_REQUIRE_MODEL(var, name)                                       \
  const std::string var = ::quantcheck::model::testing::real_model(name); \
  if (var.empty())                                                        \
  GTEST_SKIP() << "real models not found at " QUANTCHECK_MODELS_DIR " (../shared/models)"

// A fresh path in this test binary's temporary directory.
std::string temp_path(const std::string& name);
std::string write_temp(const std::string& name, const std::vector<std::uint8_t>& bytes);
std::vector<std::uint8_t> read_all(const std::string& path);

struct CliResult {
  int exit_code = -1;
  std::string out, err;
};
// Runs the quantcheck CLI with these arguments (no shell quoting needed).
CliResult run_cli(const std::vector<std::string>& args);

}  // namespace quantcheck::model::testing
