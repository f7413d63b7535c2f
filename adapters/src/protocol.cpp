// The adapter protocol's lines: the request we write, the handshake and the
// result we read (docs/adapter-protocol.md). Everything read is checked; a
// malformed line is an InputError whose message names the field.
#include <charconv>
#include <cmath>
#include <limits>

#include "quantcheck/error.hpp"
#include "quantcheck/external_adapter.hpp"

namespace quantcheck {
namespace {

using nlohmann::json;

// A float with 9 significant digits: the nearest float32 to that decimal (and
// to the double nearest it) is the original, for normals and subnormals alike.
void append_float(std::string& out, float v) {
  if (std::isnan(v)) {
    out += "\"nan\"";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "\"inf\"" : "\"-inf\"";
    return;
  }
  char buf[32];
  if (v == 0) {  // "-0" would read back as the integer 0: keep the sign of zero
    out += std::signbit(v) ? "-0.0" : "0";
    return;
  }
  if (std::fabs(v) == std::numeric_limits<float>::max()) {
    // 9 digits give 3.40282347e+38, above FLT_MAX as a double: readers that
    // range-check the double (case_from_json) would refuse it. Write it exactly.
    out += v > 0 ? "3.4028234663852886e+38" : "-3.4028234663852886e+38";
    return;
  }
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 9);
  out.append(buf, r.ptr);
}

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

const json& need(const json& j, const char* key, const std::string& where) {
  if (!j.is_object()) throw InputError(where + ": expected an object");
  const auto it = j.find(key);
  if (it == j.end()) throw InputError(where + ": missing field '" + key + "'");
  return *it;
}

std::string need_string(const json& j, const char* key, const std::string& where) {
  const json& v = need(j, key, where);
  if (!v.is_string()) throw InputError(where + "." + key + ": expected a string");
  return v.get<std::string>();
}

std::int64_t need_int(const json& j, const char* key, const std::string& where) {
  const json& v = need(j, key, where);
  if (!v.is_number_integer()) throw InputError(where + "." + key + ": expected an integer");
  return v.get<std::int64_t>();
}

// A float32 in quantcheck's JSON form: a number, or "nan" / "inf" / "-inf".
float read_float(const json& v, const std::string& where) {
  if (v.is_number()) {
    const double d = v.get<double>();
    if (std::fabs(d) > std::numeric_limits<float>::max())
      throw InputError(where + ": " + v.dump() + " is outside float32");
    return static_cast<float>(d);
  }
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s == "nan" || s == "NaN") return std::numeric_limits<float>::quiet_NaN();
    if (s == "inf" || s == "Infinity") return std::numeric_limits<float>::infinity();
    if (s == "-inf" || s == "-Infinity") return -std::numeric_limits<float>::infinity();
  }
  throw InputError(where + ": expected a number or \"nan\"/\"inf\"/\"-inf\", got " + v.dump());
}

WeightType weight_type_from(const std::string& s, const std::string& where) {
  if (s == "int8") return WeightType::int8;
  if (s == "uint8") return WeightType::uint8;
  if (s == "int16") return WeightType::int16;
  throw InputError(where + ": unknown weight type '" + s + "'");
}

}  // namespace

const char* to_string(AdapterFailure f) {
  switch (f) {
    case AdapterFailure::start_failed: return "start_failed";
    case AdapterFailure::bad_handshake: return "bad_handshake";
    case AdapterFailure::malformed_response: return "malformed_response";
    case AdapterFailure::timeout: return "timeout";
    case AdapterFailure::died: return "died";
    case AdapterFailure::gave_up: return "gave_up";
  }
  return "?";
}

const AdapterMode* AdapterInfo::find_mode(WeightType t, std::optional<Granularity> g) const {
  for (const AdapterMode& m : modes)
    if (m.weight_type == t && (!g || m.granularity == *g)) return &m;
  return nullptr;
}

Policy declared_policy(const AdapterInfo& info, const AdapterMode& mode) {
  Policy p;
  p.name = info.name + ":" + mode.name;
  p.origin = "external adapter " + info.name + " " + info.version +
             (mode.api.empty() ? "" : ": " + mode.api);
  p.weight_type = mode.weight_type;
  p.scheme = mode.scheme;
  p.granularity = mode.granularity;
  p.qmin = mode.qmin;
  p.qmax = mode.qmax;
  p.scale_divisor = mode.scheme == Scheme::symmetric ? (double(mode.qmax) - mode.qmin) / 2.0
                                                     : double(mode.qmax) - mode.qmin;
  p.activation_abs_max = mode.activation_abs_max;
  p.rounding = mode.rounding;
  p.scale_floor = mode.scale_floor;
  p.bias_type = mode.bias_type;
  p.guarantees = mode.guarantees;
  return p;
}

Layout case_layout(const Case& c) {
  const std::size_t want_rank = c.op == OpKind::fully_connected ? 2 : 4;
  if (c.weight_shape.size() != want_rank)
    throw InputError("weights: " + to_string(c.op) + " needs a rank-" + std::to_string(want_rank) +
                     " filter, got rank " + std::to_string(c.weight_shape.size()));
  std::int64_t total = 1;
  for (std::size_t d = 0; d < want_rank; ++d) {
    const std::int64_t dim = c.weight_shape[d];
    if (dim <= 0 || dim > (std::int64_t{1} << 31))
      throw InputError("weights: shape dimension " + std::to_string(d) + " is " +
                       std::to_string(dim));
    total *= dim;
    if (total > (std::int64_t{1} << 34)) throw InputError("weights: more than 2^34 elements");
  }
  if (static_cast<std::int64_t>(c.weights.size()) != total)
    throw InputError("weights: shape holds " + std::to_string(total) + " elements but data has " +
                     std::to_string(c.weights.size()));
  Layout l;
  l.axis = c.channel_axis.value_or(default_channel_axis(c.op));
  if (l.axis < 0 || static_cast<std::size_t>(l.axis) >= want_rank)
    throw InputError("weights: channel axis " + std::to_string(l.axis) + " outside rank " +
                     std::to_string(want_rank));
  l.channels = c.weight_shape[l.axis];
  for (std::size_t d = l.axis + 1; d < want_rank; ++d) l.inner *= c.weight_shape[d];
  l.per_channel = total / l.channels;
  if (!c.bias.empty() && static_cast<std::int64_t>(c.bias.size()) != l.channels)
    throw InputError("bias: " + std::to_string(c.bias.size()) + " values for " +
                     std::to_string(l.channels) + " output channels");
  return l;
}

std::string adapter_request_line(std::uint64_t id, const Case& c, const AdapterMode& mode) {
  std::string out;
  out.reserve(96 + 14 * (c.weights.size() + c.bias.size()));
  out += "{\"id\":";
  append_int(out, static_cast<std::int64_t>(id));
  out += ",\"weight_type\":\"" + to_string(mode.weight_type) + "\",\"granularity\":\"" +
         to_string(mode.granularity) + "\",\"op\":\"" + to_string(c.op) + "\",\"input_scale\":";
  append_float(out, c.input_scale);
  out += ",\"weights\":{\"shape\":[";
  for (std::size_t i = 0; i < c.weight_shape.size(); ++i) {
    if (i) out += ',';
    append_int(out, c.weight_shape[i]);
  }
  out += "],\"data\":[";
  for (std::size_t i = 0; i < c.weights.size(); ++i) {
    if (i) out += ',';
    append_float(out, c.weights[i]);
  }
  out += "]},\"bias\":[";
  for (std::size_t i = 0; i < c.bias.size(); ++i) {
    if (i) out += ',';
    append_float(out, c.bias[i]);
  }
  out += ']';
  if (c.channel_axis) {
    out += ",\"channel_axis\":";
    append_int(out, *c.channel_axis);
  }
  out += '}';
  return out;
}

AdapterInfo parse_handshake(const std::string& line) {
  json j;
  try {
    j = json::parse(line);
  } catch (const json::parse_error& e) {
    throw InputError(std::string("handshake: not JSON: ") + e.what());
  }
  if (!j.is_object()) throw InputError("handshake: expected a JSON object");
  if (const auto it = j.find("error"); it != j.end())
    throw InputError("handshake: the adapter reports: " +
                     (it->is_string() ? it->get<std::string>() : it->dump()));
  if (need_string(j, "protocol", "handshake") != "quantcheck-adapter")
    throw InputError("handshake: protocol is not \"quantcheck-adapter\"");
  if (need_int(j, "protocol_version", "handshake") != 1)
    throw InputError("handshake: protocol_version " + j["protocol_version"].dump() +
                     " is not supported (quantcheck speaks 1)");
  AdapterInfo info;
  info.handshake = j;
  info.name = need_string(j, "name", "handshake");
  if (info.name.empty()) throw InputError("handshake.name: empty");
  if (const auto it = j.find("version"); it != j.end() && it->is_string()) info.version = *it;
  const json& modes = need(j, "modes", "handshake");
  if (!modes.is_array() || modes.empty())
    throw InputError("handshake.modes: expected a non-empty array");
  for (std::size_t i = 0; i < modes.size(); ++i) {
    const json& m = modes[i];
    const std::string where = "handshake.modes[" + std::to_string(i) + "]";
    AdapterMode mode;
    mode.name = need_string(m, "name", where);
    mode.weight_type = weight_type_from(need_string(m, "weight_type", where), where);
    const std::string gran = need_string(m, "granularity", where);
    if (gran != "per_channel" && gran != "per_tensor")
      throw InputError(where + ".granularity: '" + gran + "'");
    mode.granularity = gran == "per_channel" ? Granularity::per_channel : Granularity::per_tensor;
    const std::string scheme = need_string(m, "scheme", where);
    if (scheme != "symmetric" && scheme != "asymmetric")
      throw InputError(where + ".scheme: '" + scheme + "'");
    mode.scheme = scheme == "symmetric" ? Scheme::symmetric : Scheme::asymmetric;
    const std::int64_t qmin = need_int(m, "qmin", where), qmax = need_int(m, "qmax", where);
    if (qmin >= qmax || qmin < -32768 || qmax > 65535)
      throw InputError(where + ": qmin/qmax " + std::to_string(qmin) + "/" + std::to_string(qmax) +
                       " are not an integer range quantcheck stores");
    mode.qmin = static_cast<std::int32_t>(qmin);
    mode.qmax = static_cast<std::int32_t>(qmax);
    const std::string bias = need_string(m, "bias_type", where);
    if (bias != "int32" && bias != "int64") throw InputError(where + ".bias_type: '" + bias + "'");
    mode.bias_type = bias == "int32" ? BiasType::int32 : BiasType::int64;
    if (const auto it = m.find("rounding"); it != m.end()) {
      if (*it == "half_to_even")
        mode.rounding = Rounding::half_to_even;
      else if (*it == "half_away_from_zero")
        mode.rounding = Rounding::half_away_from_zero;
      else
        throw InputError(where + ".rounding: " + it->dump());
    }
    if (const auto it = m.find("scale_floor"); it != m.end())
      mode.scale_floor = read_float(*it, where + ".scale_floor");
    if (const auto it = m.find("activation_abs_max"); it != m.end()) {
      if (!it->is_number_integer() || it->get<std::int64_t>() <= 0)
        throw InputError(where + ".activation_abs_max: expected a positive integer");
      mode.activation_abs_max = it->get<std::int64_t>();
    }
    const json& g = need(m, "guarantees", where);
    if (!g.is_array()) throw InputError(where + ".guarantees: expected an array of names");
    for (const json& name : g) {
      const std::string n = name.is_string() ? name.get<std::string>() : name.dump();
      if (n == "valid_scales")
        mode.guarantees.valid_scales = true;
      else if (n == "weight_error_bound")
        mode.guarantees.weight_error_bound = true;
      else if (n == "no_bias_saturation")
        mode.guarantees.no_bias_saturation = true;
      else if (n == "bias_sign_preserved")
        mode.guarantees.bias_sign_preserved = true;
      else if (n == "bias_error_bound")
        mode.guarantees.bias_error_bound = true;
      else if (n == "accumulator_headroom")
        mode.guarantees.accumulator_headroom = true;
      else if (n == "rejects_non_finite")
        mode.guarantees.rejects_non_finite = true;
      else
        throw InputError(where + ".guarantees: unknown guarantee '" + n + "'");
    }
    if (const auto it = m.find("preset"); it != m.end() && it->is_string()) mode.preset = *it;
    if (const auto it = m.find("api"); it != m.end() && it->is_string()) mode.api = *it;
    info.modes.push_back(std::move(mode));
  }
  return info;
}

}  // namespace quantcheck
