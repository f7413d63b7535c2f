// The runtime part of verify's reports (verify_report.cpp calls these).
#pragma once

#include <nlohmann/json.hpp>
#include <sstream>

#include "quantcheck/model/verify.hpp"

namespace quantcheck::model {

nlohmann::json runtime_json(const VerifyReport& r);
void runtime_text(std::ostringstream& o, const VerifyReport& r);
void runtime_markdown(std::ostringstream& o, const VerifyReport& r);

}  // namespace quantcheck::model
