// Every property quantcheck holds the toy quantizer to: those of every
// quantizer ("all") and those of the guarantees it claims.
#include <gtest/gtest.h>

#include "quantcheck/case_json.hpp"
#include "quantcheck/property_runner.hpp"
#include "toy_quantizer.hpp"

namespace {

class ToyQuantizer : public quantcheck::QuantizerUnderTest {
 public:
  quantcheck::Contract contract() const override {
    quantcheck::Contract k;
    k.name = "toy-int8";
    k.qmin = -127;
    k.qmax = 127;
    k.bias_type = quantcheck::BiasType::int32;
    // Claimed; the suite checks it. Not valid_scales: s_in * s_w overflows
    // to inf for a huge input scale (the generators reach 2^76 and beyond).
    k.guarantees.weight_error_bound = true;
    return k;
  }
  quantcheck::Result quantize(const quantcheck::Case& c) const override { return toy::quantize(c); }
};

TEST(ToyQuantizer, EveryClaimHolds) {
  const ToyQuantizer q;
  int checked = 0;
  for (const quantcheck::Property& p : quantcheck::properties()) {
    if (!quantcheck::is_declared(p, q.guarantees())) continue;
    const quantcheck::PropertyOutcome out = quantcheck::run_property(p, q, quantcheck::RunConfig{});
    EXPECT_FALSE(out.found) << p.name << ": " << out.message
                            << "\n  case: " << quantcheck::case_to_json(out.counterexample).dump();
    ++checked;
  }
  EXPECT_GT(checked, 2);
}

}  // namespace
