// main() of the property tests: a fixed RapidCheck seed unless RC_PARAMS is
// set, and the documented "deep" mode (QUANTCHECK_DEEP=N: a random seed,
// printed, and N cases per property, default 2000).
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "rc_config.hpp"

int main(int argc, char** argv) {
  if (std::getenv("RC_PARAMS") == nullptr) {
    std::string params;
    if (const char* deep = std::getenv("QUANTCHECK_DEEP")) {
      const int cases = std::atoi(deep) > 1 ? std::atoi(deep) : 2000;
      const unsigned long long seed =
          (static_cast<unsigned long long>(std::random_device{}()) << 32) ^ std::random_device{}();
      params = "seed=" + std::to_string(seed) + " max_success=" + std::to_string(cases) +
               " max_size=100";
      std::fprintf(stderr, "quantcheck deep mode: RC_PARAMS=\"%s\" (set it to replay)\n",
                   params.c_str());
    } else {
      params =
          "seed=" + std::to_string(quantcheck::test::kFixedSeed) + " max_success=100 max_size=100";
    }
    setenv("RC_PARAMS", params.c_str(), 1);
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
