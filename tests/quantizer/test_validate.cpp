// Bad input is an InputError that names the tensor, channel and element.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "quantcheck/error.hpp"
#include "quantcheck/presets.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck {
namespace {

Case good() {
  Case c;
  c.op = OpKind::depthwise_conv2d;
  c.input_scale = 0.01f;
  c.weight_shape = {1, 2, 2, 3};
  c.weights.assign(12, 0.5f);
  c.bias.assign(3, 0.1f);
  return c;
}

// The InputError quantize() throws for c ("" for none); layout_if_valid,
// the quiet check, must call the same cases bad.
std::string error_of(const Case& c) {
  std::string error;
  try {
    quantize(find_preset("reference"), c);
  } catch (const InputError& e) {
    error = e.what();
  }
  EXPECT_EQ(layout_if_valid(c).has_value(), error.empty()) << error;
  return error;
}

TEST(Validate, GoodCaseHasTheDepthwiseLayout) {
  const Layout l = validate(good());
  EXPECT_EQ(l.axis, 3);
  EXPECT_EQ(l.channels, 3);
  EXPECT_EQ(l.per_channel, 4);
}

TEST(Validate, NaNWeightNamesChannelAndElement) {
  Case c = good();
  c.weights[7] = std::numeric_limits<float>::quiet_NaN();  // channel 7 % 3 = 1
  const std::string e = error_of(c);
  EXPECT_NE(e.find("weights"), std::string::npos) << e;
  EXPECT_NE(e.find("NaN at element 7"), std::string::npos) << e;
  EXPECT_NE(e.find("channel 1"), std::string::npos) << e;
}

TEST(Validate, InfBias) {
  Case c = good();
  c.bias[2] = -std::numeric_limits<float>::infinity();
  EXPECT_NE(error_of(c).find("bias: -Inf at element 2"), std::string::npos) << error_of(c);
}

TEST(Validate, InputScale) {
  for (float s : {0.0f, -1.0f, std::numeric_limits<float>::quiet_NaN(),
                  std::numeric_limits<float>::infinity()}) {
    Case c = good();
    c.input_scale = s;
    EXPECT_NE(error_of(c).find("input_scale"), std::string::npos) << s;
  }
}

TEST(Validate, Shapes) {
  Case c = good();
  c.weight_shape = {1, 2, 2};
  EXPECT_NE(error_of(c).find("rank-4"), std::string::npos);
  c = good();
  c.weight_shape = {1, 2, 0, 3};
  EXPECT_NE(error_of(c).find("dimension 2"), std::string::npos);
  c = good();
  c.weights.pop_back();
  EXPECT_NE(error_of(c).find("12 elements but data has 11"), std::string::npos);
  c = good();
  c.bias.push_back(0.0f);
  EXPECT_NE(error_of(c).find("4 values for 3 output channels"), std::string::npos);
  c = good();
  c.channel_axis = 4;
  EXPECT_NE(error_of(c).find("axis 4"), std::string::npos);
  c = good();
  c.weight_shape.clear();
  c.weights.clear();
  EXPECT_FALSE(error_of(c).empty());
}

TEST(Validate, ExplicitAxisOverridesTheOp) {
  Case c = good();
  c.channel_axis = 1;
  c.bias.assign(2, 0.0f);
  EXPECT_EQ(validate(c).channels, 2);
  EXPECT_EQ(validate(c).inner, 6);
}

}  // namespace
}  // namespace quantcheck
