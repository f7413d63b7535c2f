// Named policies: real quantizers reproduced exactly, and `reference`, ours.
// The constants and their sources are in ../shared/reference/POLICIES.md and
// docs/policies.md; tests/test_presets.cpp pins every one of them.
#pragma once

#include <string>
#include <vector>

#include "quantcheck/policy.hpp"

namespace quantcheck {

// Every preset, in a stable order (the order `quantcheck policies` prints).
const std::vector<Policy>& presets();

// The preset with this name; throws UsageError listing the names otherwise.
const Policy& find_preset(const std::string& name);

// The names of all presets, in order.
std::vector<std::string> preset_names();

}  // namespace quantcheck
