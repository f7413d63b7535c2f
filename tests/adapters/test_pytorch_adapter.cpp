// The real PyTorch adapter (adapters/pytorch): its handshake, and the
// pose_landmark_lite conv2d_39 channel-165 case from the public record
// (../shared/models/README.md, issue 6): PerChannelMinMaxObserver gives the
// weight scale 2.730126595906768e-07 and quantize_per_channel of the bias
// -6.04296875 at input scale 1/127 into qint32 returns -2147483648.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <limits>

#include "adapter_test_support.hpp"
#include "quantcheck/error.hpp"
#include "quantcheck/external_adapter.hpp"

namespace quantcheck {
namespace {

bool has(const Result& r, FindingKind k) {
  for (const Finding& f : r.findings)
    if (f.kind == k) return true;
  return false;
}

ExternalAdapter& pytorch() {
  static ExternalAdapter adapter(bundled_adapter_command("pytorch"));
  return adapter;
}

TEST(PytorchAdapter, HandshakeDeclaresTheModesAndNoBiasGuarantee) {
  QUANTCHECK_REQUIRE_TORCH();
  const AdapterInfo& info = pytorch().info();
  EXPECT_EQ(info.name, "pytorch");
  EXPECT_EQ(info.version.substr(0, 4), "1.13");
  ASSERT_EQ(info.modes.size(), 4u);
  const AdapterMode* int8 = info.find_mode(WeightType::int8);
  ASSERT_NE(int8, nullptr);
  EXPECT_EQ(int8->granularity, Granularity::per_channel);  // the default for int8
  EXPECT_EQ(int8->preset, "pytorch-int8-symmetric");
  EXPECT_EQ(int8->qmin, -128);
  EXPECT_EQ(int8->scale_floor, FLT_EPSILON);
  const AdapterMode* u8t = info.find_mode(WeightType::uint8, Granularity::per_tensor);
  ASSERT_NE(u8t, nullptr);
  EXPECT_EQ(u8t->scheme, Scheme::asymmetric);
  for (const AdapterMode& m : info.modes) {
    EXPECT_EQ(m.bias_type, BiasType::int32) << m.name;
    EXPECT_FALSE(m.guarantees.no_bias_saturation) << m.name;
    EXPECT_FALSE(m.guarantees.bias_sign_preserved) << m.name;
  }
}

Case pose_landmark_channel_165() {
  Case c;
  c.op = OpKind::conv2d;
  c.input_scale = 1.0f / 127.0f;
  c.weight_shape = {1, 1, 1, 2};  // the channel's min and max carry its scale
  c.weights = {-2.2828579e-05f, 3.4809113e-05f};
  c.bias = {-6.04296875f};
  return c;
}

TEST(PytorchAdapter, PoseLandmarkChannel165SaturatesToInt32Min) {
  QUANTCHECK_REQUIRE_TORCH();
  const Result r = pytorch().quantize(pose_landmark_channel_165(), WeightType::int8);
  ASSERT_EQ(r.weights.channels.size(), 1u);
  EXPECT_EQ(r.weights.channels[0].scale, static_cast<float>(2.730126595906768e-07));
  EXPECT_EQ(r.weights.channels[0].zero_point, 0);
  ASSERT_EQ(r.bias.q.size(), 1u);
  EXPECT_EQ(r.bias.q[0], std::numeric_limits<std::int32_t>::min());
  EXPECT_EQ(r.bias.scale[0], (1.0f / 127.0f) * static_cast<float>(2.730126595906768e-07));
  EXPECT_NEAR(r.bias.dequantized[0], -4.6165, 5e-5);  // the issue's -4.6165
  // The exact quotient (Python fractions: -2811067577.49) is far outside int32;
  // float32(b * (1/s_b)), what PyTorch rounds, is -2811067648.
  EXPECT_TRUE(r.bias.saturated[0]);
  EXPECT_EQ(*round_quotient(-6.04296875, r.bias.scale[0], Rounding::half_to_even), -2811067577);
  EXPECT_EQ(-6.04296875f * (1.0f / r.bias.scale[0]), -2811067648.0f);
  EXPECT_TRUE(has(r, FindingKind::bias_saturated));
  EXPECT_TRUE(has(r, FindingKind::bias_error));
  EXPECT_FALSE(has(r, FindingKind::bias_sign_flipped));  // negative stays negative
  // The weights themselves are fine: -84 and 127 at that scale.
  EXPECT_EQ(r.weights.q, (std::vector<std::int32_t>{-84, 127}));
}

TEST(PytorchAdapter, PoseLandmarkChannel165UnderUint8Modes) {
  QUANTCHECK_REQUIRE_TORCH();
  // range / 255 = 2.2599e-07: the bias overflows int32 too (README: fits only
  // for input scales >= 0.01245).
  for (Granularity g : {Granularity::per_channel, Granularity::per_tensor}) {
    const Result r = pytorch().quantize(pose_landmark_channel_165(), WeightType::uint8, g);
    EXPECT_EQ(r.bias.q[0], std::numeric_limits<std::int32_t>::min()) << to_string(g);
    EXPECT_TRUE(r.bias.saturated[0]);
  }
  // At input scale 0.0125 it fits.
  Case c = pose_landmark_channel_165();
  c.input_scale = 0.0125f;
  const Result r = pytorch().quantize(c, WeightType::uint8);
  EXPECT_FALSE(r.bias.saturated[0]);
  EXPECT_GT(r.bias.q[0], std::numeric_limits<std::int32_t>::min());
}

TEST(PytorchAdapter, NanWeightsAreRejectedByTheObserver) {
  QUANTCHECK_REQUIRE_TORCH();
  Case c = test::small_case(2);
  c.weights[1] = std::numeric_limits<float>::quiet_NaN();
  try {
    pytorch().quantize(c, WeightType::int8);
    ADD_FAILURE() << "NaN accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("should be less than max"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(pytorch().incidents().empty());
}

TEST(PytorchAdapter, InfiniteWeightsAreQuantizedNotRejected) {
  QUANTCHECK_REQUIRE_TORCH();
  // PyTorch has no input check: +Inf makes the channel's scale +Inf
  // (docs/adapter-protocol.md, Differences); the property suite's
  // non_finite_rejected reports it.
  Case c = test::small_case(2);
  c.weights[3] = std::numeric_limits<float>::infinity();
  const Result r = pytorch().quantize(c, WeightType::int8);
  EXPECT_TRUE(std::isinf(r.weights.channels[1].scale));
  EXPECT_TRUE(has(r, FindingKind::invalid_scale));
}

}  // namespace
}  // namespace quantcheck
