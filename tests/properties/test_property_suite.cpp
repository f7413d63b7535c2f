// Every property against every preset that declares its guarantee (and the
// "all" properties against every preset); the three reference policies
// against every property. One generated case is checked under each policy.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "quantcheck/presets.hpp"
#include "quantcheck/property_runner.hpp"

namespace quantcheck {
namespace {

const std::vector<PolicyQuantizer>& quantizers() {
  static const std::vector<PolicyQuantizer> all = [] {
    std::vector<PolicyQuantizer> v;
    for (const Policy& p : presets()) v.emplace_back(p);
    return v;
  }();
  return all;
}

// Generates one case for the property and checks it under every policy held to it.
void hold_declaring_policies(const char* name) {
  const Property& p = find_property(name);
  const Case c = *generator_for(p, Contract{});
  for (const PolicyQuantizer& q : quantizers()) {
    if (!is_declared(p, q.policy().guarantees)) continue;
    const Verdict v = p.check(q, c);
    if (v.failed()) RC_FAIL(q.name() + " breaks " + name + ": " + v.message);
  }
}

RC_GTEST_PROP(DeclaredGuarantees, scales_valid, ()) { hold_declaring_policies("scales_valid"); }
RC_GTEST_PROP(DeclaredGuarantees, zero_point_in_range, ()) {
  hold_declaring_policies("zero_point_in_range");
}
RC_GTEST_PROP(DeclaredGuarantees, zero_exact, ()) { hold_declaring_policies("zero_exact"); }
RC_GTEST_PROP(DeclaredGuarantees, weight_round_trip, ()) {
  hold_declaring_policies("weight_round_trip");
}
RC_GTEST_PROP(DeclaredGuarantees, weight_idempotent, ()) {
  hold_declaring_policies("weight_idempotent");
}
RC_GTEST_PROP(DeclaredGuarantees, weight_monotone, ()) {
  hold_declaring_policies("weight_monotone");
}
RC_GTEST_PROP(DeclaredGuarantees, channel_independent, ()) {
  hold_declaring_policies("channel_independent");
}
RC_GTEST_PROP(DeclaredGuarantees, power_of_two_rescaling, ()) {
  hold_declaring_policies("power_of_two_rescaling");
}
RC_GTEST_PROP(DeclaredGuarantees, bias_scale_product, ()) {
  hold_declaring_policies("bias_scale_product");
}
RC_GTEST_PROP(DeclaredGuarantees, bias_no_saturation, ()) {
  hold_declaring_policies("bias_no_saturation");
}
RC_GTEST_PROP(DeclaredGuarantees, bias_sign_preserved, ()) {
  hold_declaring_policies("bias_sign_preserved");
}
RC_GTEST_PROP(DeclaredGuarantees, bias_round_trip, ()) {
  hold_declaring_policies("bias_round_trip");
}
RC_GTEST_PROP(DeclaredGuarantees, accumulator_headroom, ()) {
  hold_declaring_policies("accumulator_headroom");
}
RC_GTEST_PROP(DeclaredGuarantees, bias_never_lowers_scale, ()) {
  hold_declaring_policies("bias_never_lowers_scale");
}
RC_GTEST_PROP(DeclaredGuarantees, non_finite_rejected, ()) {
  hold_declaring_policies("non_finite_rejected");
}

// The catalogue above is complete: a property added to the library without a
// test here fails this.
TEST(DeclaredGuarantees, every_property_has_a_test) {
  const auto* suite = ::testing::UnitTest::GetInstance()->current_test_suite();
  for (const Property& p : properties()) {
    bool found = false;
    for (int i = 0; i < suite->total_test_count(); ++i)
      found |= std::string(suite->GetTestInfo(i)->name()) == p.name;
    EXPECT_TRUE(found) << "no RC_GTEST_PROP for property " << p.name;
  }
}

// The reference policies claim every guarantee; hold them to every property
// on a case generated at their own floor.
void reference_holds_everything(const char* policy) {
  const PolicyQuantizer q(find_preset(policy));
  RC_ASSERT(declared_guarantees(q.guarantees()).size() == 7u);  // they claim everything
  for (const Property& p : properties()) {
    const Case c = *generator_for(p, q.contract());
    const Verdict v = p.check(q, c);
    if (v.failed()) RC_FAIL(std::string(policy) + " breaks " + p.name + ": " + v.message);
  }
}

RC_GTEST_PROP(ReferencePolicies, reference, ()) { reference_holds_everything("reference"); }
RC_GTEST_PROP(ReferencePolicies, reference_uint8, ()) {
  reference_holds_everything("reference-uint8");
}
RC_GTEST_PROP(ReferencePolicies, reference_int16, ()) {
  reference_holds_everything("reference-int16");
}

}  // namespace
}  // namespace quantcheck
