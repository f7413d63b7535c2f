// The CI seed of the property tests, and the RapidCheck parameters in force
// (RC_PARAMS, set by rc_main.cpp when the caller did not set it).
#pragma once

#include <cstdint>

#include <rapidcheck.h>

#include "quantcheck/property_runner.hpp"

namespace quantcheck::test {

inline constexpr std::uint64_t kFixedSeed = 20240611;

// The run configuration the detection tests use: RC_PARAMS's seed, and the
// default case count (100) however many cases deep mode asks for.
inline RunConfig detection_config() {
  RunConfig cfg;
  cfg.seed = rc::detail::configuration().testParams.seed;
  cfg.cases = 100;
  cfg.max_size = 100;
  return cfg;
}

}  // namespace quantcheck::test
