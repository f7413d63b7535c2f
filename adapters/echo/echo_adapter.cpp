// The echo adapter: speaks the adapter protocol (docs/adapter-protocol.md) and
// does no quantization. It reads each request in full (a streaming JSON parse
// that validates the syntax and counts the values) and answers scale 1, zero
// point 0, q = 0 for every weight and bias, so the cases/s measured through it
// are the protocol's cost alone (bench/bench_adapter.cpp).
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace {

using nlohmann::json;

// What the answer needs from a request: id, op, shape, channel axis, counts.
class RequestShape : public nlohmann::json_sax<json> {
 public:
  std::string id = "null", op;
  std::vector<std::int64_t> shape;
  std::int64_t axis = -1;
  std::size_t weights = 0, biases = 0;
  std::string error;

  bool null() override { return value("null"); }
  bool boolean(bool) override { return value("false"); }
  bool number_integer(number_integer_t v) override { return integer(v); }
  bool number_unsigned(number_unsigned_t v) override {
    return integer(static_cast<std::int64_t>(v));
  }
  bool number_float(number_float_t, const string_t& s) override { return value(s); }
  bool string(string_t& s) override {
    if (depth_ == 1 && key1_ == "op") op = s;
    return value("\"\"");
  }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return ++depth_, true; }
  bool end_object() override { return --depth_, true; }
  bool start_array(std::size_t) override { return ++arrays_, true; }
  bool end_array() override { return --arrays_, true; }
  bool key(string_t& k) override {
    (depth_ == 1 ? key1_ : key2_) = k;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    error = e.what();
    return false;
  }

 private:
  bool integer(std::int64_t v) {
    if (depth_ == 1 && arrays_ == 0 && key1_ == "id") id = std::to_string(v);
    if (depth_ == 1 && arrays_ == 0 && key1_ == "channel_axis") axis = v;
    if (depth_ == 2 && key1_ == "weights" && key2_ == "shape") shape.push_back(v);
    return value("");
  }
  bool value(const std::string&) {
    if (depth_ == 2 && key1_ == "weights" && key2_ == "data") ++weights;
    if (depth_ == 1 && arrays_ == 1 && key1_ == "bias") ++biases;
    return true;
  }
  int depth_ = 0, arrays_ = 0;
  std::string key1_, key2_;
};

}  // namespace

int main() {
  std::ios::sync_with_stdio(false);
  std::fputs(R"({"protocol":"quantcheck-adapter","protocol_version":1,"name":"echo","version":"1",)"
             R"("modes":[{"name":"int8-echo","weight_type":"int8","granularity":"per_channel",)"
             R"("scheme":"symmetric","qmin":-128,"qmax":127,"bias_type":"int32","guarantees":[],)"
             R"("api":"none: scale 1, zero point 0, q 0"},)"
             R"({"name":"uint8-echo","weight_type":"uint8","granularity":"per_channel",)"
             R"("scheme":"asymmetric","qmin":0,"qmax":255,"bias_type":"int32","guarantees":[],)"
             R"("api":"none: scale 1, zero point 0, q 0"}]})"
             "\n",
             stdout);
  std::fflush(stdout);
  std::string line, out;
  while (std::getline(std::cin, line)) {
    RequestShape req;
    json::sax_parse(line, &req, json::input_format_t::json, true, false);
    const std::int64_t axis = req.axis >= 0 ? req.axis : req.op == "depthwise_conv2d" ? 3 : 0;
    if (!req.error.empty() || axis >= static_cast<std::int64_t>(req.shape.size())) {
      out = json{{"id", nullptr}, {"error", req.error.empty() ? "bad shape" : req.error}}.dump();
    } else {
      const auto channels = static_cast<std::size_t>(req.shape[static_cast<std::size_t>(axis)]);
      out = "{\"id\":" + req.id + ",\"weights\":{\"scale\":[";
      for (std::size_t c = 0; c < channels; ++c) out += c ? ",1" : "1";
      out += "],\"zero_point\":[";
      for (std::size_t c = 0; c < channels; ++c) out += c ? ",0" : "0";
      out += "],\"q\":[";
      for (std::size_t i = 0; i < req.weights; ++i) out += i ? ",0" : "0";
      out += "]},\"bias\":{\"scale\":[";
      for (std::size_t i = 0; i < req.biases; ++i) out += i ? ",1" : "1";
      out += "],\"q\":[";
      for (std::size_t i = 0; i < req.biases; ++i) out += i ? ",0" : "0";
      out += "]}}";
    }
    out += '\n';
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
  }
  return 0;
}
