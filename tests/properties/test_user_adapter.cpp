// The adapter interface with a quantizer that is not one of ours: a naive
// int8 symmetric quantizer written from scratch (scale = max|w| / 127 in
// float, no floor, bias clamped to int32, no input checks), whose contract
// claims more than it delivers. The suite must catch each false claim; this
// is also the worked example of docs/properties.md.
#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "quantcheck/property_runner.hpp"
#include "rc_config.hpp"

namespace quantcheck {
namespace {

class NaiveInt8 : public QuantizerUnderTest {
 public:
  Contract contract() const override {
    Contract k;
    k.name = "naive-int8";
    k.qmin = -127;
    k.qmax = 127;
    k.bias_type = BiasType::int32;
    k.guarantees.valid_scales = true;        // false: an all-zero channel gets scale 0
    k.guarantees.no_bias_saturation = true;  // false: no guard at all
    return k;
  }

  Result quantize(const Case& c) const override {
    const check::Placement pl = check::placement_of(c);
    Result r;
    r.weights.channels.resize(static_cast<std::size_t>(pl.channels));
    for (std::size_t i = 0; i < c.weights.size(); ++i) {
      auto& cp = r.weights.channels[static_cast<std::size_t>(pl.channel_of(std::int64_t(i)))];
      cp.range_max = std::max(cp.range_max, std::fabs(c.weights[i]));
    }
    for (auto& cp : r.weights.channels) cp.scale = cp.range_max / 127.0f;
    for (std::size_t i = 0; i < c.weights.size(); ++i) {
      const float s =
          r.weights.channels[static_cast<std::size_t>(pl.channel_of(std::int64_t(i)))].scale;
      const double v = s == 0 ? 0.0 : std::round(double(c.weights[i]) / s);
      r.weights.q.push_back(static_cast<std::int32_t>(std::clamp(v, -127.0, 127.0)));
    }
    for (std::size_t ch = 0; ch < c.bias.size(); ++ch) {
      const float s_b = c.input_scale * r.weights.channels[ch].scale;
      const double v = s_b == 0 ? 0.0 : std::round(double(c.bias[ch]) / s_b);
      r.bias.scale.push_back(s_b);
      r.bias.q.push_back(static_cast<std::int64_t>(std::clamp(v, -2147483648.0, 2147483647.0)));
    }
    return r;
  }
};

PropertyOutcome check_naive(const char* property) {
  return run_property(find_property(property), NaiveInt8{}, test::detection_config());
}

TEST(UserAdapter, catches_zero_scale) {
  const PropertyOutcome out = check_naive("scales_valid");
  ASSERT_TRUE(out.found);
  EXPECT_NE(out.message.find("not a finite normal float"), std::string::npos) << out.message;
}

TEST(UserAdapter, catches_bias_saturation) {
  const PropertyOutcome out = check_naive("bias_no_saturation");
  ASSERT_TRUE(out.found);
  EXPECT_NE(out.message.find("does not fit int32"), std::string::npos) << out.message;
}

TEST(UserAdapter, catches_missing_input_checks) {
  const PropertyOutcome out = check_naive("non_finite_rejected");
  ASSERT_TRUE(out.found);
  EXPECT_NE(out.message.find("instead of rejecting it"), std::string::npos) << out.message;
}

TEST(UserAdapter, what_it_does_right_holds) {
  // Symmetric with zp 0, bias scale s_in * s_w in float: these hold.
  for (const char* p : {"zero_point_in_range", "bias_scale_product", "bias_sign_preserved",
                        "channel_independent", "weight_monotone"}) {
    const PropertyOutcome out = check_naive(p);
    EXPECT_FALSE(out.found) << p << ": " << out.message;
  }
}

}  // namespace
}  // namespace quantcheck
