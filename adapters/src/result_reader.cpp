// Reads a result line without building a JSON tree: nlohmann's SAX interface
// streams each number straight into the Result. A tree of a few thousand
// values costs more than the whole round trip (one allocation per value, and
// glibc hands the memory back to the kernel after every case), and the echo
// benchmark is this reader's cost above all.
#include <cmath>
#include <limits>

#include "quantcheck/error.hpp"
#include "quantcheck/external_adapter.hpp"

namespace quantcheck {
namespace {

using nlohmann::json;

// The arrays of a result, and whether each was seen.
enum Field { none, w_scale, w_zero_point, w_q, w_range_min, w_range_max, b_scale, b_q, kFields };
const char* const kFieldName[kFields] = {"",
                                         "weights.scale",
                                         "weights.zero_point",
                                         "weights.q",
                                         "weights.range_min",
                                         "weights.range_max",
                                         "bias.scale",
                                         "bias.q"};
bool is_float_field(Field f) {
  return f == w_scale || f == w_range_min || f == w_range_max || f == b_scale;
}

struct Collected {
  std::vector<float> floats[kFields];
  std::vector<std::int64_t> ints[kFields];
  bool seen[kFields] = {};
  bool has_weights = false, has_bias = false;
  bool has_id = false, id_null = false, id_matches = false;
  std::string id_text;
  bool has_error = false;
  std::string error;
};

class Reader : public nlohmann::json_sax<json> {
 public:
  Reader(Collected& out, std::uint64_t id) : out_(out), id_(id) {}
  std::string problem;  // set when the line is well-formed JSON but not a result

  bool null() override { return scalar_null(); }
  bool boolean(bool) override { return other_value("a boolean"); }
  bool number_integer(number_integer_t v) override {
    if (top_value("id")) {
      out_.has_id = true;
      out_.id_text = std::to_string(v);
      out_.id_matches = v >= 0 && static_cast<std::uint64_t>(v) == id_;
      return true;
    }
    return integer(v, false);
  }
  bool number_unsigned(number_unsigned_t v) override {
    if (top_value("id")) {
      out_.has_id = true;
      out_.id_text = std::to_string(v);
      out_.id_matches = v == id_;
      return true;
    }
    if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return integer(0, true);
    return integer(static_cast<std::int64_t>(v), false);
  }
  bool number_float(number_float_t v, const string_t& text) override {
    if (top_value("id")) return bad_id(text);
    if (!collecting()) return true;
    if (!is_float_field(field_)) return fail(at() + ": not an integer");
    if (std::fabs(v) > std::numeric_limits<float>::max())
      return fail(at() + ": " + text + " is outside float32");
    out_.floats[field_].push_back(static_cast<float>(v));
    return true;
  }
  bool string(string_t& v) override {
    if (top_value("id")) return bad_id("\"" + v + "\"");
    if (top_value("error")) {
      out_.has_error = true;
      out_.error = v;
      return true;
    }
    if (!collecting()) return true;
    if (!is_float_field(field_)) return fail(at() + ": not an integer");
    float f;
    if (v == "nan" || v == "NaN")
      f = std::numeric_limits<float>::quiet_NaN();
    else if (v == "inf" || v == "Infinity")
      f = std::numeric_limits<float>::infinity();
    else if (v == "-inf" || v == "-Infinity")
      f = -std::numeric_limits<float>::infinity();
    else
      return fail(at() + ": expected a number or \"nan\"/\"inf\"/\"-inf\", got \"" + v + "\"");
    out_.floats[field_].push_back(f);
    return true;
  }
  bool binary(binary_t&) override { return other_value("binary"); }

  bool start_object(std::size_t) override {
    if (collecting()) return fail(at() + ": expected a number, got an object");
    if (depth_ == 0) {
      ++depth_;
      return true;
    }
    if (top_value("error")) out_.has_error = true, out_.error = "(an object)";
    if (top_value("id")) bad_id("an object");
    if (depth_ == 1 && (key1_ == "weights" || key1_ == "bias")) {
      (key1_ == "weights" ? out_.has_weights : out_.has_bias) = true;
      in_section_ = true;
    }
    ++depth_;
    return true;
  }
  bool end_object() override {
    --depth_;
    if (depth_ == 1) in_section_ = false;
    key_.clear();
    return true;
  }
  bool start_array(std::size_t) override {
    if (collecting()) return fail(at() + ": expected a number, got an array");
    if (depth_ == 0) return fail("expected a JSON object");
    if (top_value("id")) bad_id("an array");
    if (top_value("error")) out_.has_error = true, out_.error = "(an array)";
    if (in_section_ && depth_ == 2) {
      field_ = field_of(key1_, key_);
      if (field_ != none) {
        if (out_.seen[field_]) return fail(std::string(kFieldName[field_]) + ": given twice");
        out_.seen[field_] = true;
        in_array_ = true;
      }
    }
    ++array_depth_;
    return true;
  }
  bool end_array() override {
    --array_depth_;
    if (in_array_ && array_depth_ == 0) in_array_ = false, field_ = none;
    return true;
  }
  bool key(string_t& k) override {
    if (depth_ == 1) key1_ = k;
    key_ = k;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    syntax_error = e.what();
    return false;
  }
  std::string syntax_error;

 private:
  static Field field_of(const std::string& section, const std::string& k) {
    if (section == "weights") {
      if (k == "scale") return w_scale;
      if (k == "zero_point") return w_zero_point;
      if (k == "q") return w_q;
      if (k == "range_min") return w_range_min;
      if (k == "range_max") return w_range_max;
    } else {
      if (k == "scale") return b_scale;
      if (k == "q") return b_q;
    }
    return none;
  }
  bool collecting() const { return in_array_ && array_depth_ == 1; }
  bool top_value(const char* name) const {
    return depth_ == 1 && array_depth_ == 0 && key1_ == name;
  }
  std::string at() const {
    const std::size_t i =
        is_float_field(field_) ? out_.floats[field_].size() : out_.ints[field_].size();
    return std::string(kFieldName[field_]) + "[" + std::to_string(i) + "]";
  }
  bool fail(std::string m) {
    if (problem.empty()) problem = std::move(m);
    return false;
  }
  bool bad_id(const std::string& what) {
    out_.has_id = true;
    out_.id_text = what;
    return true;
  }
  bool integer(std::int64_t v, bool too_big) {
    if (!collecting()) return true;
    if (too_big) return fail(at() + ": does not fit int64");
    if (is_float_field(field_))
      out_.floats[field_].push_back(static_cast<float>(v));
    else
      out_.ints[field_].push_back(v);
    return true;
  }
  bool scalar_null() {
    if (top_value("id")) {
      out_.has_id = true;
      out_.id_null = true;
      return true;
    }
    return other_value("null");
  }
  bool other_value(const char* what) {
    if (top_value("id")) return bad_id(what);
    if (collecting()) return fail(at() + ": expected a number, got " + what);
    return true;
  }

  Collected& out_;
  std::uint64_t id_;
  int depth_ = 0, array_depth_ = 0;
  bool in_section_ = false, in_array_ = false;
  Field field_ = none;
  std::string key1_, key_;
};

void need_size(const Collected& c, Field f, std::size_t size) {
  if (!c.seen[f])
    throw InputError(std::string(kFieldName[f]) + ": missing (expected " + std::to_string(size) +
                     " values)");
  const std::size_t got = is_float_field(f) ? c.floats[f].size() : c.ints[f].size();
  if (got != size)
    throw InputError(std::string(kFieldName[f]) + ": " + std::to_string(got) +
                     " values, expected " + std::to_string(size));
}

std::string range_text(const AdapterMode& m) {
  return "[" + std::to_string(m.qmin) + ", " + std::to_string(m.qmax) + "]";
}

}  // namespace

bool parse_adapter_result(const std::string& line, std::uint64_t id, const Case& c, const Layout& l,
                          const AdapterMode& mode, Result& r, std::string* rejection) {
  Collected got;
  Reader reader(got, id);
  json::sax_parse(line, &reader, json::input_format_t::json, true, false);
  if (!reader.syntax_error.empty()) throw InputError("not JSON: " + reader.syntax_error);
  if (!reader.problem.empty()) throw InputError(reader.problem);
  if (!got.has_id) throw InputError("response: missing field 'id'");
  if (!got.id_null && !got.id_matches)
    throw InputError("response id " + got.id_text + " answers another request (expected " +
                     std::to_string(id) + ")");
  if (got.has_error) {
    *rejection = got.error;
    return false;
  }
  if (got.id_null) throw InputError("response id is null but it is not an error");
  if (!got.has_weights) throw InputError("response: missing field 'weights'");
  if (!got.has_bias) throw InputError("response: missing field 'bias'");

  const std::size_t groups =
      mode.granularity == Granularity::per_tensor ? 1 : static_cast<std::size_t>(l.channels);
  need_size(got, w_scale, groups);
  need_size(got, w_zero_point, groups);
  need_size(got, w_q, c.weights.size());
  const bool ranges = got.seen[w_range_min] && got.seen[w_range_max];
  if (ranges) {
    need_size(got, w_range_min, groups);
    need_size(got, w_range_max, groups);
  }
  need_size(got, b_scale, c.bias.size());
  need_size(got, b_q, c.bias.size());

  r.layout = l;
  r.weights.channels.assign(groups, ChannelParams{});
  for (std::size_t g = 0; g < groups; ++g) {
    ChannelParams& cp = r.weights.channels[g];
    cp.scale = got.floats[w_scale][g];
    const std::int64_t z = got.ints[w_zero_point][g];
    if (z < mode.qmin || z > mode.qmax)
      throw InputError("weights.zero_point[" + std::to_string(g) + "]: " + std::to_string(z) +
                       " is outside " + range_text(mode));
    cp.zero_point = static_cast<std::int32_t>(z);
    if (ranges) {
      cp.range_min = got.floats[w_range_min][g];
      cp.range_max = got.floats[w_range_max][g];
    } else {
      cp.range_min = std::numeric_limits<float>::infinity();
      cp.range_max = -std::numeric_limits<float>::infinity();
    }
  }
  if (!ranges)  // the ranges the case itself has
    for (std::size_t i = 0; i < c.weights.size(); ++i) {
      ChannelParams& cp =
          r.weights
              .channels[groups == 1 ? 0 : (static_cast<std::int64_t>(i) / l.inner) % l.channels];
      cp.range_min = std::min(cp.range_min, c.weights[i]);
      cp.range_max = std::max(cp.range_max, c.weights[i]);
    }
  const std::vector<std::int64_t>& q = got.ints[w_q];
  r.weights.q.resize(q.size());
  for (std::size_t i = 0; i < q.size(); ++i) {
    if (q[i] < mode.qmin || q[i] > mode.qmax)
      throw InputError("weights.q[" + std::to_string(i) + "]: " + std::to_string(q[i]) +
                       " is outside " + range_text(mode));
    r.weights.q[i] = static_cast<std::int32_t>(q[i]);
  }
  r.bias.scale = std::move(got.floats[b_scale]);
  r.bias.q = std::move(got.ints[b_q]);
  for (std::size_t i = 0; i < r.bias.q.size(); ++i)
    if (r.bias.q[i] < bias_min(mode.bias_type) || r.bias.q[i] > bias_max(mode.bias_type))
      throw InputError("bias.q[" + std::to_string(i) + "]: " + std::to_string(r.bias.q[i]) +
                       " does not fit " + to_string(mode.bias_type));
  return true;
}

}  // namespace quantcheck
