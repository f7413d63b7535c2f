// Paths fixed at configure time (adapters/CMakeLists.txt).
#include "quantcheck/bundled_adapters.hpp"

namespace quantcheck {
namespace {

// A path for /bin/sh -c: single-quoted, with embedded quotes escaped.
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

}  // namespace

std::vector<std::string> bundled_adapter_names() { return {"pytorch", "echo"}; }

std::string adapters_source_dir() { return QUANTCHECK_ADAPTERS_DIR; }
std::string torch_python() { return QUANTCHECK_TORCH_PYTHON; }
std::string python3() { return QUANTCHECK_PYTHON3; }

std::string bundled_adapter_command(const std::string& name) {
  if (name == "echo") return quoted(QUANTCHECK_ECHO_ADAPTER);
  if (name == "pytorch") {
    // Without python3-torch the adapter still starts and says so in its handshake.
    const std::string py =
        !torch_python().empty() ? torch_python() : (!python3().empty() ? python3() : "python3");
    return quoted(py) + " " +
           quoted(adapters_source_dir() + "/pytorch/quantcheck_pytorch_adapter.py");
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
