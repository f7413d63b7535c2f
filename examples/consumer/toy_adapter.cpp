// The toy quantizer behind quantcheck's adapter protocol
// (docs/adapter-protocol.md): a handshake line naming its one mode and what it
// claims, then one JSON result line per JSON case line.
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "quantcheck/case_json.hpp"
#include "quantcheck/error.hpp"
#include "toy_quantizer.hpp"

int main() {
  const nlohmann::json handshake = {{"protocol", "quantcheck-adapter"},
                                    {"protocol_version", 1},
                                    {"name", "toy"},
                                    {"modes",
                                     {{{"name", "int8-channel"},
                                       {"weight_type", "int8"},
                                       {"granularity", "per_channel"},
                                       {"scheme", "symmetric"},
                                       {"qmin", -127},
                                       {"qmax", 127},
                                       {"bias_type", "int32"},
                                       {"guarantees", {"weight_error_bound"}}}}}};
  std::cout << handshake.dump() << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    nlohmann::json reply;
    try {
      const nlohmann::json request = nlohmann::json::parse(line);
      reply = quantcheck::result_to_json(toy::quantize(quantcheck::case_from_json(request)));
      reply["id"] = request.at("id");
    } catch (const std::exception& e) {  // refused (InputError) or not a case
      reply = {{"id", nullptr}, {"error", e.what()}};
      try {
        reply["id"] = nlohmann::json::parse(line).at("id");
      } catch (const std::exception&) {
      }
    }
    std::cout << reply.dump() << std::endl;
  }
}
