// The JSON form of a runtime profile (`quantcheck runtimes --json`): every
// knob by the name it has in profile.hpp, and the sources.
#pragma once

#include <nlohmann/json.hpp>

#include "quantcheck/runtime/profile.hpp"

namespace quantcheck {

nlohmann::json runtime_to_json(const RuntimeProfile& r);

}  // namespace quantcheck
