// The echo adapter: speaks the adapter protocol (docs/adapter-protocol.md) and
// does no quantization. It parses each request like a real adapter must and
// answers scale 1, zero point 0, q = 0 for every weight and bias, so the
// cases/s measured through it are the protocol's cost alone (bench_adapter).
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

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
    out.clear();
    try {
      const auto req = nlohmann::json::parse(line);
      const auto& shape = req.at("weights").at("shape");
      const std::size_t n = req.at("weights").at("data").size();
      const int axis = req.contains("channel_axis")         ? req["channel_axis"].get<int>()
                       : req.at("op") == "depthwise_conv2d" ? 3
                                                            : 0;
      const std::size_t channels = shape.at(axis).get<std::size_t>();
      const std::size_t nb = req.at("bias").size();
      const std::string id = req.at("id").dump();
      out = "{\"id\":" + id + ",\"weights\":{\"scale\":[";
      for (std::size_t c = 0; c < channels; ++c) out += c ? ",1" : "1";
      out += "],\"zero_point\":[";
      for (std::size_t c = 0; c < channels; ++c) out += c ? ",0" : "0";
      out += "],\"q\":[";
      for (std::size_t i = 0; i < n; ++i) out += i ? ",0" : "0";
      out += "]},\"bias\":{\"scale\":[";
      for (std::size_t i = 0; i < nb; ++i) out += i ? ",1" : "1";
      out += "],\"q\":[";
      for (std::size_t i = 0; i < nb; ++i) out += i ? ",0" : "0";
      out += "]}}";
    } catch (const std::exception& e) {
      out = nlohmann::json{{"id", nullptr}, {"error", e.what()}}.dump();
    }
    out += '\n';
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
  }
  return 0;
}
