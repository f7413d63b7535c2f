#include "quantcheck/case_json.hpp"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "quantcheck/atomic_file.hpp"
#include "quantcheck/error.hpp"

namespace quantcheck {
namespace {

using nlohmann::json;

// nlohmann's "[json.exception.parse_error.101] parse error at ..." without
// its bracketed id: the user needs the place and the reason.
std::string strip_exception_prefix(const std::string& what) {
  if (what.rfind("[json.exception.", 0) == 0)
    if (const auto close = what.find("] "); close != std::string::npos)
      return what.substr(close + 2);
  return what;
}

// The largest double that rounds to a finite float32: every |d| below
// FLT_MAX + half an ulp (2^128 - 2^103) does, so "3.4028235e38" (FLT_MAX as
// numpy prints it) is FLT_MAX; 2^128 - 2^103 itself is a tie and rounds to
// the even neighbour, infinity.
constexpr double kFloatRoundingLimit = 0x1.ffffffp127;

bool rounds_to_finite_float(double d) { return std::fabs(d) < kFloatRoundingLimit; }

std::string outside_float32(const std::string& where, const std::string& text) {
  return where + ": " + text + " is outside float32 (it does not round to a finite float32)";
}

// A number as the user wrote it, for messages: 1e39, not 1e+39.
std::string number_text(const json& v) {
  std::string t = v.dump();
  if (const auto e = t.find("e+"); e != std::string::npos) t.erase(e + 1, 1);
  return t;
}

bool spells_infinity(std::string s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.erase(0, 1);
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s == "inf" || s == "infinity";
}

float read_float(const json& v, const std::string& where) {
  if (v.is_number()) {
    const double d = v.get<double>();
    if (!rounds_to_finite_float(d)) throw InputError(outside_float32(where, number_text(v)));
    return static_cast<float>(d);
  }
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    char* end = nullptr;
    errno = 0;
    const double d = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size())
      throw InputError(where + ": '" + echo(s) + "' is not a number");
    // "inf" and "nan" pass as such (validate() rejects them with their place);
    // a finite spelling must round to a finite float32, as a JSON number must.
    if (!std::isnan(d) && !spells_infinity(s) && !rounds_to_finite_float(d))
      throw InputError(outside_float32(where, echo(s)));
    return static_cast<float>(d);
  }
  throw InputError(where + ": expected a number, got " + std::string(v.type_name()));
}

const json& field(const json& j, const char* name, const std::string& where) {
  if (!j.is_object()) throw InputError(where + ": expected an object");
  const auto it = j.find(name);
  if (it == j.end()) throw InputError(where + ": missing field '" + name + "'");
  return *it;
}

std::vector<float> read_floats(const json& v, const std::string& where) {
  if (!v.is_array()) throw InputError(where + ": expected an array of numbers");
  std::vector<float> out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i)
    out.push_back(read_float(v[i], where + "[" + std::to_string(i) + "]"));
  return out;
}

}  // namespace

std::string echo(const std::string& s) {
  constexpr std::size_t kShown = 64;
  if (s.size() <= kShown) return s;
  return s.substr(0, kShown) + "... (" + std::to_string(s.size()) + " bytes)";
}

json parse_json_text(const std::string& text, const std::string& where) {
  try {
    return json::parse(text);
  } catch (const json::out_of_range& e) {
    // nlohmann's number overflow (406): a literal beyond even float64.
    std::string what = e.what();
    const auto q = what.find('\'');
    const auto r = what.rfind('\'');
    if (e.id == 406 && q != std::string::npos && r > q)
      throw InputError(outside_float32(where, echo(what.substr(q + 1, r - q - 1))));
    throw InputError(where + ": not valid JSON: " + strip_exception_prefix(what));
  } catch (const json::exception& e) {
    throw InputError(where + ": not valid JSON: " + strip_exception_prefix(e.what()));
  }
}

Case read_case_file(const std::string& path) {
  const std::string where = path == "-" ? "standard input" : path;
  const json j = parse_json_text(read_json_text(path), where);
  try {
    return case_from_json(j);
  } catch (const InputError& e) {
    throw InputError(where + ": " + e.what());
  }
}

json float_json(float v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return static_cast<double>(v);
}

Case case_from_json(const json& j) {
  Case c;
  const json& op = field(j, "op", "case");
  if (!op.is_string()) throw InputError("op: expected a string");
  try {
    c.op = op_kind_from_string(op.get<std::string>());
  } catch (const UsageError&) {
    throw InputError("op: unknown op '" + echo(op.get<std::string>()) +
                     "' (known: conv2d, depthwise_conv2d, fully_connected)");
  }
  c.input_scale = read_float(field(j, "input_scale", "case"), "input_scale");
  const json& w = field(j, "weights", "case");
  const json& shape = field(w, "shape", "weights");
  if (!shape.is_array()) throw InputError("weights.shape: expected an array of integers");
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (!shape[i].is_number_integer())
      throw InputError("weights.shape[" + std::to_string(i) + "]: expected an integer");
    if (shape[i].is_number_unsigned() &&
        shape[i].get<std::uint64_t>() > std::uint64_t{std::numeric_limits<std::int64_t>::max()})
      throw InputError("weights.shape[" + std::to_string(i) + "]: " + shape[i].dump() +
                       " is too large for a dimension");
    c.weight_shape.push_back(shape[i].get<std::int64_t>());
  }
  c.weights = read_floats(field(w, "data", "weights"), "weights.data");
  if (const auto it = j.find("bias"); it != j.end() && !it->is_null())
    c.bias = read_floats(*it, "bias");
  if (const auto it = j.find("channel_axis"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer()) throw InputError("channel_axis: expected an integer");
    const auto axis = it->get<std::int64_t>();
    if (axis < 0 || axis > 8)
      throw InputError("channel_axis: " + std::to_string(axis) + " out of range");
    c.channel_axis = static_cast<int>(axis);
  }
  return c;
}

json case_to_json(const Case& c) {
  json j;
  j["op"] = to_string(c.op);
  j["input_scale"] = float_json(c.input_scale);
  json data = json::array();
  for (float v : c.weights) data.push_back(float_json(v));
  j["weights"] = {{"shape", c.weight_shape}, {"data", data}};
  json bias = json::array();
  for (float v : c.bias) bias.push_back(float_json(v));
  j["bias"] = bias;
  if (c.channel_axis) j["channel_axis"] = *c.channel_axis;
  return j;
}

json finding_to_json(const Finding& f) {
  json j = {{"kind", to_string(f.kind)}, {"tensor", f.tensor}, {"channel", f.channel},
            {"element", f.element},      {"value", f.value},   {"result", f.result}};
  if (const char* g = guarantee_broken_by(f.kind)) j["guarantee"] = g;
  if (!f.message.empty()) j["message"] = f.message;
  return j;
}

json result_to_json(const Result& r) {
  json w;
  w["axis"] = r.layout.axis;
  json scale = json::array(), zp = json::array(), rmin = json::array(), rmax = json::array(),
       nmin = json::array(), nmax = json::array(), raised = json::array();
  for (const auto& cp : r.weights.channels) {
    scale.push_back(float_json(cp.scale));
    zp.push_back(cp.zero_point);
    rmin.push_back(float_json(cp.range_min));
    rmax.push_back(float_json(cp.range_max));
    nmin.push_back(cp.nudged_min);
    nmax.push_back(cp.nudged_max);
    raised.push_back(cp.raised_for_bias);
  }
  w["scale"] = scale;
  w["zero_point"] = zp;
  w["range_min"] = rmin;
  w["range_max"] = rmax;
  w["nudged_min"] = nmin;
  w["nudged_max"] = nmax;
  w["raised_for_bias"] = raised;
  w["q"] = r.weights.q;
  w["dequantized"] = r.weights.dequantized;

  json b;
  json bscale = json::array();
  for (float s : r.bias.scale) bscale.push_back(float_json(s));
  b["scale"] = bscale;
  b["q"] = r.bias.q;
  b["dequantized"] = r.bias.dequantized;
  json sat = json::array();
  for (bool s : r.bias.saturated) sat.push_back(s);
  b["saturated"] = sat;

  json findings = json::array();
  for (const auto& f : r.findings) findings.push_back(finding_to_json(f));
  return {{"policy", r.policy}, {"weights", w}, {"bias", b}, {"findings", findings}};
}

json policy_to_json(const Policy& p) {
  json knobs = {
      {"weight_type", to_string(p.weight_type)},
      {"scheme", to_string(p.scheme)},
      {"granularity", to_string(p.granularity)},
      {"qmin", p.qmin},
      {"qmax", p.qmax},
      {"scale_divisor", p.scale_divisor},
      {"activation_abs_max", p.activation_abs_max},
      {"weight_arithmetic", to_string(p.weight_arithmetic)},
      {"asymmetric_form", to_string(p.asymmetric_form)},
      {"rounding", to_string(p.rounding)},
      {"scale_in_float64", p.scale_in_float64},
      {"round_scale_up", p.round_scale_up},
      {"range_in_float32", p.range_in_float32},
      {"zero_point_from_float64_scale", p.zero_point_from_float64_scale},
      {"float64_scale_floor", p.float64_scale_floor},
      {"scale_floor", float_json(p.scale_floor)},
      {"tiny_scale_threshold", float_json(p.tiny_scale_threshold)},
      {"tiny_scale_replacement", float_json(p.tiny_scale_replacement)},
      {"bias_scale_floor", float_json(p.bias_scale_floor)},
      {"bias_type", to_string(p.bias_type)},
      {"bias_arithmetic", to_string(p.bias_arithmetic)},
      {"bias_fit", to_string(p.bias_fit)},
      {"weight_out_of_range", to_string(p.weight_out_of_range)},
      {"bias_out_of_range", to_string(p.bias_out_of_range)},
  };
  json j = {{"name", p.name},
            {"origin", p.origin},
            {"knobs", knobs},
            {"guarantees", declared_guarantees(p.guarantees)}};
  return j;
}

}  // namespace quantcheck
