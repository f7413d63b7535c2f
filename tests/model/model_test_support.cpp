#include "model_test_support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace quantcheck::model::testing {

std::string real_model(const std::string& name) {
  const std::filesystem::path p = std::filesystem::path(QUANTCHECK_MODELS_DIR) / name;
  return std::filesystem::exists(p) ? p.string() : std::string();
}

std::string temp_path(const std::string& name) {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() /
             ("quantcheck-model-tests-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return (dir / name).string();
}

std::string write_temp(const std::string& name, const std::vector<std::uint8_t>& bytes) {
  const std::string p = temp_path(name);
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return p;
}

std::vector<std::uint8_t> read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

CliResult run_cli(const std::vector<std::string>& args) {
  static int counter = 0;
  const std::string out = temp_path("cli" + std::to_string(++counter) + ".out");
  const std::string err = out + ".err";
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> argv;
    std::string exe = QUANTCHECK_CLI;
    argv.push_back(exe.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (!std::freopen(out.c_str(), "w", stdout) || !std::freopen(err.c_str(), "w", stderr))
      ::_exit(127);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  auto slurp = [](const std::string& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  };
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

}  // namespace quantcheck::model::testing
