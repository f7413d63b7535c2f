// The known hazards the suite must find (the detection tests), and how fast
// it finds them: cases until the first counterexample over many seeds, for
// our generators and for gen::arbitrary<float>-based cases.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "quantcheck/property_runner.hpp"

namespace quantcheck {

struct KnownHazard {
  const char* name;      // short id
  const char* policy;    // preset that has it
  const char* property;  // property that finds it
  const char* expected;  // what the shrunk counterexample must show
  // Nullopt when the case (quantized under the policy) shows the expected
  // kind; otherwise why not.
  std::optional<std::string> (*shows)(const Case& c, const Result& r);
};

const std::vector<KnownHazard>& known_hazards();

struct PowerRow {
  std::string hazard;
  // Cases until the first counterexample, one per seed; cap + 1 when none was found.
  std::vector<int> ours, arbitrary;
  int cap = 0;
};

// For each known hazard, seeds 1..seeds, no shrinking, at most `cap` cases.
// progress(done, total) after each hazard and seed.
std::vector<PowerRow> measure_detection_power(int seeds, int cap,
                                              const std::function<void(int, int)>& progress = {});

int median_of(std::vector<int> v);
int worst_of(const std::vector<int>& v);

std::string detection_power_text(const std::vector<PowerRow>& rows);
nlohmann::json detection_power_json(const std::vector<PowerRow>& rows);

}  // namespace quantcheck
