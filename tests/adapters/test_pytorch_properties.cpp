// The property suite through the real PyTorch adapter: the same generators
// and shrinking as for our presets, one request per generated or shrunk case.
#include <gtest/gtest.h>

#include <cmath>

#include "adapter_test_support.hpp"
#include "quantcheck/external_quantizer.hpp"
#include "quantcheck/presets.hpp"
#include "quantcheck/property_runner.hpp"

namespace quantcheck {
namespace {

std::shared_ptr<ExternalAdapter> pytorch() {
  static auto adapter = std::make_shared<ExternalAdapter>(bundled_adapter_command("pytorch"));
  return adapter;
}

// PyTorch declares no bias guarantee, and the suite finds the int32 bias
// saturation within the default case count and shrinks it to one channel.
TEST(PytorchProperties, FindsAndShrinksTheInt32BiasSaturation) {
  QUANTCHECK_REQUIRE_TORCH();
  for (WeightType t : {WeightType::int8, WeightType::uint8}) {
    ExternalQuantizer q(pytorch(), *pytorch()->info().find_mode(t));
    EXPECT_FALSE(q.guarantees().no_bias_saturation);
    const RunConfig cfg;  // the defaults: fixed seed, 100 cases
    const PropertyOutcome out = run_property(find_property("bias_no_saturation"), q, cfg);
    ASSERT_TRUE(out.found) << to_string(t) << ": " << out.error;
    EXPECT_LE(out.cases_run, cfg.cases);
    EXPECT_GT(out.shrinks, 0);
    const Case& c = out.counterexample;
    EXPECT_EQ(c.bias.size(), 1u) << "not shrunk to one output channel";
    // Independently: the exact quotient of the shrunk case does not fit int32.
    const Result r = q.quantize(c);
    ASSERT_EQ(r.bias.q.size(), 1u);
    const auto exact = round_quotient(c.bias[0], r.bias.scale[0], Rounding::half_to_even);
    EXPECT_TRUE(!exact || *exact > INT32_MAX || *exact < INT32_MIN) << out.message;
    EXPECT_TRUE(r.bias.q[0] == INT32_MAX || r.bias.q[0] == INT32_MIN);
    std::cout << "[ shrunk ] " << q.name() << " after " << out.cases_run << " cases, "
              << out.shrinks << " shrinks: " << out.message << "\n";
  }
  EXPECT_TRUE(pytorch()->incidents().empty());
}

// Every property gives the same verdict on the real PyTorch as on the preset
// that restates it, except where the documented difference D2 (docs/adapter-protocol.md,
// non-finite input) says otherwise. This is how the audit's PyTorch row can be trusted.
TEST(PytorchProperties, SameVerdictsAsThePresets) {
  QUANTCHECK_REQUIRE_TORCH();
  for (WeightType t : {WeightType::int8, WeightType::uint8}) {
    ExternalQuantizer real(pytorch(), *pytorch()->info().find_mode(t));
    const PolicyQuantizer preset(find_preset(real.mode().preset));
    for (const Property& p : properties()) {
      const PropertyOutcome a = run_property(p, real, RunConfig{});
      const PropertyOutcome b = run_property(p, preset, RunConfig{});
      EXPECT_TRUE(a.error.empty()) << a.error;
      std::cout << "[ verdict ] " << real.name() << " / " << p.name << ": "
                << (a.found ? "counterexample" : "holds") << " (preset "
                << (b.found ? "counterexample" : "holds") << ")\n";
      const std::string name = p.name;
      if (name == "non_finite_rejected") {
        // D2: PyTorch quantizes +-Inf (the observer only trips on NaN); the preset rejects all.
        EXPECT_TRUE(a.found) << a.message;
        EXPECT_FALSE(b.found) << b.message;
        continue;
      }
      EXPECT_EQ(a.found, b.found) << name << ": PyTorch: " << a.message
                                  << "\n preset: " << b.message;
    }
  }
  EXPECT_TRUE(pytorch()->incidents().empty());
}

}  // namespace
}  // namespace quantcheck
