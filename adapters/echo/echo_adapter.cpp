// The echo adapter: speaks the adapter protocol (docs/adapter-protocol.md) and
// does no quantization, so the cases/s measured through it are the protocol's
// cost alone (bench/bench_adapter.cpp): our request writer, a pipe round trip
// and our result reader. It answers scale 1, zero point 0, q = 0 for every
// weight and bias.
//
// To stay trivial it does not parse numbers: it finds the keys it needs ("id",
// "op", "channel_axis", "shape", "data", "bias") and counts the elements of the
// two value arrays. A line without them gets an error answer.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Request {
  std::string id = "null", op;
  std::vector<long long> shape;
  long long axis = -1;
  std::size_t weights = 0, biases = 0;
};

// Where the value of "key" starts (just after the colon), or npos.
std::size_t value_of(std::string_view line, std::string_view key) {
  const std::string quoted = "\"" + std::string(key) + "\":";
  const std::size_t at = line.find(quoted);
  return at == std::string_view::npos ? at : at + quoted.size();
}

// The number of elements of the flat array starting at line[at] == '['.
bool count_elements(std::string_view line, std::size_t at, std::size_t* n) {
  if (at >= line.size() || line[at] != '[') return false;
  const std::size_t close = line.find(']', at);
  if (close == std::string_view::npos) return false;
  *n = close == at + 1 ? 0 : 1;
  for (std::size_t i = at + 1; i < close; ++i) *n += line[i] == ',';
  return true;
}

bool parse(std::string_view line, Request* r) {
  if (const std::size_t at = value_of(line, "id"); at != std::string_view::npos) {
    const std::size_t end = line.find_first_of(",}", at);
    if (end == std::string_view::npos) return false;
    r->id = std::string(line.substr(at, end - at));
  }
  if (const std::size_t at = value_of(line, "op"); at != std::string_view::npos) {
    const std::size_t end = line.find('"', at + 1);
    if (line[at] != '"' || end == std::string_view::npos) return false;
    r->op = std::string(line.substr(at + 1, end - at - 1));
  }
  if (const std::size_t at = value_of(line, "channel_axis"); at != std::string_view::npos)
    r->axis = std::strtoll(line.data() + at, nullptr, 10);
  const std::size_t shape = value_of(line, "shape");
  if (shape == std::string_view::npos || line[shape] != '[') return false;
  // line is a std::string's data: NUL-terminated, so strtoll stops in it.
  for (std::size_t i = shape + 1; i < line.size() && line[i] != ']'; ++i) {
    char* end = nullptr;
    r->shape.push_back(std::strtoll(line.data() + i, &end, 10));
    if (end == line.data() + i) return false;
    i = static_cast<std::size_t>(end - line.data());
    if (i >= line.size() || line[i] == ']') break;
    if (line[i] != ',') return false;
  }
  std::size_t data = value_of(line, "data"), bias = value_of(line, "bias");
  return count_elements(line, data, &r->weights) &&
         (bias == std::string_view::npos || count_elements(line, bias, &r->biases));
}

void append_repeated(std::string& out, const char* value, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += ',';
    out += value;
  }
}

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
    Request req;
    const bool ok = parse(std::string_view(line.data(), line.size()), &req);
    const long long axis = req.axis >= 0 ? req.axis : req.op == "depthwise_conv2d" ? 3 : 0;
    if (!ok || axis >= static_cast<long long>(req.shape.size())) {
      out = R"({"id":)" + req.id + R"(,"error":"echo: not a request it can read"})";
    } else {
      const auto channels = static_cast<std::size_t>(req.shape[static_cast<std::size_t>(axis)]);
      out = "{\"id\":" + req.id + ",\"weights\":{\"scale\":[";
      append_repeated(out, "1", channels);
      out += "],\"zero_point\":[";
      append_repeated(out, "0", channels);
      out += "],\"q\":[";
      append_repeated(out, "0", req.weights);
      out += "]},\"bias\":{\"scale\":[";
      append_repeated(out, "1", req.biases);
      out += "],\"q\":[";
      append_repeated(out, "0", req.biases);
      out += "]}}";
    }
    out += '\n';
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
  }
  return 0;
}
