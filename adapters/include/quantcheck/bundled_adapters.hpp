// The adapters that ship in adapters/: `quantcheck audit --adapter pytorch`
// means the PyTorch adapter under the interpreter that has torch, `echo` the
// C++ echo adapter. Any other --adapter value is a command line.
#pragma once

#include <string>
#include <vector>

namespace quantcheck {

// "pytorch", "echo".
std::vector<std::string> bundled_adapter_names();

// The command of a bundled adapter, "" when name is not one.
std::string bundled_adapter_command(const std::string& name);

// A bundled adapter's command for its name, anything else unchanged.
std::string resolve_adapter_command(const std::string& name_or_command);

// The adapters/ source folder and the interpreters found at configure time
// ("" when none): for tests and benchmarks.
std::string adapters_source_dir();
std::string torch_python();
std::string python3();

}  // namespace quantcheck
