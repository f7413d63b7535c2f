// The three forms of a check or verify report: text (default), JSON, Markdown.
// docs/model-checks.md describes the fields.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "quantcheck/model/check.hpp"
#include "quantcheck/model/verify.hpp"

namespace quantcheck::model {

nlohmann::json to_json(const CheckReport& r);
std::string to_text(const CheckReport& r);
std::string to_markdown(const CheckReport& r);

nlohmann::json to_json(const VerifyReport& r);
std::string to_text(const VerifyReport& r);
std::string to_markdown(const VerifyReport& r);

}  // namespace quantcheck::model
