// Paths fixed at configure time (adapters/CMakeLists.txt), and where an
// installed quantcheck keeps the same files.
#include "quantcheck/bundled_adapters.hpp"

#include <unistd.h>

#include <filesystem>
#include <system_error>

namespace quantcheck {
namespace {

// A path for /bin/sh -c: single-quoted, with embedded quotes escaped.
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

// The directory of the running program ("" if unknown).
std::filesystem::path program_dir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : exe.parent_path();
}

// The first of: next to the running program as installed (<prefix>/bin/../<relative>,
// so an unpacked .deb or a relocated prefix works), the configured install
// prefix (a user's test program linking the installed library), the build tree.
std::string locate(const std::string& relative_to_prefix, const std::string& in_build_tree) {
  std::error_code ec;
  const std::filesystem::path dir = program_dir();
  if (!dir.empty()) {
    const auto p = dir.parent_path() / relative_to_prefix;
    if (std::filesystem::exists(p, ec)) return p.string();
  }
  const auto installed = std::filesystem::path(QUANTCHECK_INSTALL_PREFIX) / relative_to_prefix;
  if (std::filesystem::exists(installed, ec)) return installed.string();
  return in_build_tree;
}

}  // namespace

std::vector<std::string> bundled_adapter_names() { return {"pytorch", "echo"}; }

std::string adapters_source_dir() { return QUANTCHECK_ADAPTERS_DIR; }
std::string torch_python() { return QUANTCHECK_TORCH_PYTHON; }
std::string python3() { return QUANTCHECK_PYTHON3; }

std::string bundled_adapter_command(const std::string& name) {
  if (name == "echo")
    return quoted(locate(QUANTCHECK_INSTALLED_ECHO_ADAPTER, QUANTCHECK_ECHO_ADAPTER));
  if (name == "pytorch") {
    // Without python3-torch the adapter still starts and says so in its handshake.
    const std::string py =
        !torch_python().empty() ? torch_python() : (!python3().empty() ? python3() : "python3");
    return quoted(py) + " " +
           quoted(locate(QUANTCHECK_INSTALLED_ADAPTERS_DIR "/pytorch/quantcheck_pytorch_adapter.py",
                         adapters_source_dir() + "/pytorch/quantcheck_pytorch_adapter.py"));
  }
  return "";
}

std::string resolve_adapter_command(const std::string& name_or_command) {
  for (const std::string& n : bundled_adapter_names())
    if (n == name_or_command) {
      const std::string cmd = bundled_adapter_command(n);
      if (!cmd.empty()) return cmd;
    }
  return name_or_command;
}

}  // namespace quantcheck
