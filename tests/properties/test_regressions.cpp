// Counterexamples the property suite found in our own quantizer, kept as
// plain regression tests (each fails on the code before its fix).
#include <gtest/gtest.h>

#include "quantcheck/presets.hpp"
#include "quantcheck/properties.hpp"

namespace quantcheck {
namespace {

class SimdAndScalar : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { set_simd_enabled(GetParam()); }
  void TearDown() override { set_simd_enabled(true); }
};
INSTANTIATE_TEST_SUITE_P(Paths, SimdAndScalar, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "simd" : "scalar"; });

// reference-int16, weight_round_trip: the largest subnormal weight at scale
// 0x1.fffffep-126 (raised so that s_in * s_w is normal) is 0.4999999 steps:
// it must round to 0. The AVX2 path's fma residual underflowed to 0 and
// rounded it to 1 (fixed in quantizer/src/simd_kernels.cpp: no SIMD below
// scale 2^-125).
TEST_P(SimdAndScalar, subnormal_weight_just_below_a_tie_rounds_down) {
  Case c;
  c.op = OpKind::conv2d;
  c.input_scale = 0.5f;
  c.weight_shape = {1, 1, 1, 8};  // a full eight-lane group
  c.weights.assign(8, 0x1.fffffcp-127f);
  c.bias = {0.0f};
  const Policy& p = find_preset("reference-int16");
  const Result r = quantize(p, c);
  ASSERT_EQ(r.weights.channels[0].scale, 0x1.fffffep-126f);
  for (std::int32_t q : r.weights.q) EXPECT_EQ(q, 0);
  EXPECT_FALSE(find_property("weight_round_trip").check(PolicyQuantizer(p), c).failed());
}

}  // namespace
}  // namespace quantcheck
