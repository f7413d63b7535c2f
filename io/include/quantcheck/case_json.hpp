// The JSON forms of a case, a result and a policy (docs/json-format.md).
// Scripts rely on these field names; floats are written so they read back
// bit-exactly, and a float may also be given as a string ("0x1p-149", "1e-20").
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "quantcheck/policy.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck {

// Reads {"op", "input_scale", "weights": {"shape", "data"}, "bias", "channel_axis"?}.
// Throws InputError naming the field on anything malformed.
Case case_from_json(const nlohmann::json& j);
nlohmann::json case_to_json(const Case& c);

// Parses JSON text; throws InputError "WHERE: not valid JSON: ..." (without
// nlohmann's exception ids), or "WHERE: 1e400 is outside float32".
nlohmann::json parse_json_text(const std::string& text, const std::string& where);

// Reads, parses and converts the case in a file (or "-"); errors name it.
Case read_case_file(const std::string& path);

// Echoed user input, cut to 64 bytes (a 50 MB string is not repeated back).
std::string echo(const std::string& s);

nlohmann::json result_to_json(const Result& r);
nlohmann::json policy_to_json(const Policy& p);
nlohmann::json finding_to_json(const Finding& f);

// A float32 written so it reads back exactly: a JSON number when it is finite
// (nlohmann writes the shortest round-trip double), a string for NaN and Inf.
nlohmann::json float_json(float v);

}  // namespace quantcheck
