// Each property must REJECT a known counterexample: the weight and bias
// counterexamples quoted in quantizer/src/presets.cpp and the public record,
// replayed through the property that judges them, and, for the properties
// every preset keeps, a quantizer broken on purpose in exactly that respect.
// A checker made more lenient fails here. The decision helpers are pinned at
// their boundary (a fraction of exactly 1/2, and 1/2 +- one ulp).
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <functional>
#include <limits>

#include "quantcheck/presets.hpp"
#include "quantcheck/properties.hpp"
#include "quantcheck/quantizer_under_test.hpp"

namespace quantcheck {
namespace {

Case fc(std::vector<std::vector<float>> rows, std::vector<float> bias, float s_in) {
  Case c;
  c.op = OpKind::fully_connected;
  c.input_scale = s_in;
  c.weight_shape = {static_cast<std::int64_t>(rows.size()),
                    static_cast<std::int64_t>(rows[0].size())};
  for (const auto& r : rows) c.weights.insert(c.weights.end(), r.begin(), r.end());
  c.bias = std::move(bias);
  return c;
}

Verdict judge(const char* property, const QuantizerUnderTest& q, const Case& c) {
  return find_property(property).check(q, c);
}

Verdict judge(const char* property, const char* preset, const Case& c) {
  return judge(property, PolicyQuantizer(find_preset(preset)), c);
}

// ---- counterexamples of the presets' withdrawn claims (presets.cpp) ----

TEST(PropertyRejects, WeightRoundTripOnTheFloat32InverseCounterexamples) {
  // luci int16: x = 0.0156407356 at s = 1/32767 gives 513 (x / s = 512.4999...).
  const Case luci = fc({{1.0f, 0.0156407356f}}, {0.0f}, 0.01f);
  EXPECT_TRUE(judge("weight_round_trip", "luci-int16", luci).failed());
  // TFLite: x = 0.0669291317 at s = 1/127 gives 9 (x / s = 8.4999997).
  const Case tfl = fc({{1.0f, 0.0669291317f}}, {0.0f}, 0.01f);
  EXPECT_TRUE(judge("weight_round_trip", "tflite-int8", tfl).failed());
  // The exact reference on the same weights keeps the bound.
  EXPECT_FALSE(judge("weight_round_trip", "reference-int16", luci).failed());
  EXPECT_FALSE(judge("weight_round_trip", "reference", tfl).failed());
}

TEST(PropertyRejects, ScalesValidOnTheAflFindings) {
  // A subnormal input scale: s_b = s_in * s_w is subnormal whatever floor holds s_w.
  const Case sub = fc({{0.5f, -0.25f}}, {0.1f}, 1.38114079e-39f);
  for (const char* p :
       {"luci-int16", "luci-int16-7063", "luci-int16-6971", "pytorch-int8-symmetric"})
    EXPECT_TRUE(judge("scales_valid", p, sub).failed()) << p;
  // #7017 at s_in = FLT_MAX: the least s_w with s_in * s_w >= 1e-15 is subnormal.
  const Case huge = fc({{1e-40f, 0.0f}}, {0.0f}, FLT_MAX);
  EXPECT_TRUE(judge("scales_valid", "luci-int16-7017", huge).failed());
  // TFLite's dead channel: scale 0.
  EXPECT_TRUE(judge("scales_valid", "tflite-int8", fc({{0.0f, 0.0f}}, {0.0f}, 0.01f)).failed());
  for (const Case& c : {sub, huge})
    EXPECT_FALSE(judge("scales_valid", "reference-int16", c).failed());
}

TEST(PropertyRejects, BiasNoSaturation) {
  // ONE #6970 (docs/properties.md's replay).
  const Case one = fc({{1.635772e-19f, -1e-20f}}, {-1.2156529426574707f}, 0.0001525924017187208f);
  EXPECT_TRUE(judge("bias_no_saturation", "luci-int16-2021", one).failed());
  EXPECT_FALSE(judge("bias_no_saturation", "reference-int16", one).failed());
  // TFLite's guard on a dead channel with a subnormal bias: s_in * s_w = 0 and
  // the bias is lost (AFL++); two channels, so the per-channel branch decides.
  const Case dead = fc({{0.0f, 0.0f}, {1.0f, -1.0f}}, {4.31985564e-39f, 0.0f}, 1.21158993e-19f);
  EXPECT_TRUE(judge("bias_no_saturation", "tflite-int8", dead).failed());
  EXPECT_FALSE(judge("bias_no_saturation", "reference", dead).failed());
}

TEST(PropertyRejects, BiasSignAndRoundTripAndHeadroom) {
  // luci uint8: floor 1e-5, s_b = 1e-10, 0.2148 / 1e-10 > INT32_MAX -> INT32_MIN.
  std::vector<float> row(9, 1e-4f);
  row[0] = -1e-4f;
  const Case flip = fc({row}, {0.2148f}, 1e-5f);
  EXPECT_TRUE(judge("bias_sign_preserved", "luci-uint8", flip).failed());
  EXPECT_FALSE(judge("bias_sign_preserved", "reference-uint8", flip).failed());
  // #6970's bias becomes INT64_MIN: far more than half a step from b.
  const Case one = fc({{1.635772e-19f, -1e-20f}}, {-1.2156529426574707f}, 0.0001525924017187208f);
  EXPECT_TRUE(judge("bias_round_trip", "luci-int16-2021", one).failed());
  // ONNX Runtime's 1.0001 raise leaves no room for 64 products.
  std::vector<float> wide(64, 1e-5f);
  wide[0] = -1e-5f;
  const Case ort = fc({wide}, {5.0f}, 0.01f);
  EXPECT_TRUE(judge("accumulator_headroom", "onnxruntime-int8", ort).failed());
  EXPECT_FALSE(judge("accumulator_headroom", "reference", ort).failed());
}

// ---- quantizers broken in one respect, for the properties every preset keeps ----

class Broken : public QuantizerUnderTest {
 public:
  using Edit = std::function<void(const Case&, Result&)>;
  Broken(const char* preset, Edit edit) : inner_(find_preset(preset)), edit_(std::move(edit)) {}
  Contract contract() const override { return inner_.contract(); }
  Result quantize(const Case& c) const override {
    Result r = inner_.quantize(c);
    edit_(c, r);
    return r;
  }

 private:
  PolicyQuantizer inner_;
  Edit edit_;
};

const Case& ordinary() {
  static const Case c =
      fc({{0.5f, -0.25f, 0.0f, 0.125f}, {1.0f, 0.75f, -0.5f, 0.0f}}, {0.01f, -0.02f}, 0.01f);
  return c;
}

TEST(PropertyRejects, EveryAllPropertyHoldsOnTheOrdinaryCaseUnbroken) {
  for (const Property& p : properties()) {
    if (p.input != PropertyInput::finite) continue;
    for (const char* preset : {"reference", "tflite-int8", "luci-int16"})
      EXPECT_FALSE(judge(p.name, preset, ordinary()).failed()) << p.name << " / " << preset;
  }
}

TEST(PropertyRejects, ZeroPointInRange) {
  const Broken outside("reference-uint8",
                       [](const Case&, Result& r) { r.weights.channels[0].zero_point = 256; });
  EXPECT_TRUE(judge("zero_point_in_range", outside, ordinary()).failed());
  const Broken symmetric_nonzero(
      "reference", [](const Case&, Result& r) { r.weights.channels[1].zero_point = 1; });
  EXPECT_TRUE(judge("zero_point_in_range", symmetric_nonzero, ordinary()).failed());
}

TEST(PropertyRejects, ZeroExactAndWeightRoundTrip) {
  // weights[2] is 0: storing 1 for it is more than half a step off.
  const Broken off_by_one("reference", [](const Case&, Result& r) { r.weights.q[2] = 1; });
  EXPECT_TRUE(judge("zero_exact", off_by_one, ordinary()).failed());
  EXPECT_TRUE(judge("weight_round_trip", off_by_one, ordinary()).failed());
  // Out of the integer range.
  const Broken beyond("reference", [](const Case&, Result& r) { r.weights.q[4] = 128; });
  EXPECT_TRUE(judge("weight_round_trip", beyond, ordinary()).failed());
}

TEST(PropertyRejects, WeightIdempotentAndMonotone) {
  // Adding 1 to every small non-zero integer: its grid point then
  // re-quantizes one step further.
  const Broken drift("reference", [](const Case& c, Result& r) {
    for (std::size_t i = 0; i < r.weights.q.size(); ++i)
      if (c.weights[i] != 0 && std::abs(r.weights.q[i]) < 100) r.weights.q[i] += 1;
  });
  EXPECT_TRUE(judge("weight_idempotent", drift, ordinary()).failed());
  const Broken swapped("reference", [](const Case&, Result& r) {
    std::swap(r.weights.q[0], r.weights.q[1]);  // 0.5 > -0.25 but q(0.5) < q(-0.25)
  });
  EXPECT_TRUE(judge("weight_monotone", swapped, ordinary()).failed());
}

TEST(PropertyRejects, ChannelIndependentAndPowerOfTwo) {
  // Channel 1's scale depends on channel 0's presence.
  const Broken coupled("reference", [](const Case&, Result& r) {
    if (r.weights.channels.size() > 1)
      r.weights.channels[1].scale = std::nextafter(r.weights.channels[1].scale, 1.0f);
  });
  EXPECT_TRUE(judge("channel_independent", coupled, ordinary()).failed());
  // A scale that is not a function of the range alone: nudged up for ranges below 1.
  const Broken nudged("reference", [](const Case& c, Result& r) {
    float m = 0;
    for (float w : c.weights) m = std::max(m, std::fabs(w));
    if (m < 0.9f)
      for (auto& cp : r.weights.channels) cp.scale = std::nextafter(cp.scale, 1.0f);
  });
  EXPECT_TRUE(judge("power_of_two_rescaling", nudged, ordinary()).failed());
}

TEST(PropertyRejects, BiasScaleProductAndNeverLowered) {
  const Broken product("reference", [](const Case&, Result& r) {
    r.bias.scale[0] = std::nextafter(r.bias.scale[0], 1.0f);
  });
  EXPECT_TRUE(judge("bias_scale_product", product, ordinary()).failed());
  // A fit that lowers the scale of a channel with a non-zero bias.
  const Broken lowered("reference", [](const Case& c, Result& r) {
    if (!c.bias.empty() && c.bias[0] != 0)
      r.weights.channels[0].scale = std::nextafter(r.weights.channels[0].scale, 0.0f);
  });
  EXPECT_TRUE(judge("bias_never_lowers_scale", lowered, ordinary()).failed());
}

TEST(PropertyRejects, NonFiniteRejected) {
  class Accepts : public QuantizerUnderTest {
   public:
    Contract contract() const override { return contract_of(find_preset("reference")); }
    Result quantize(const Case&) const override { return {}; }
  };
  Case c = ordinary();
  c.weights[1] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(judge("non_finite_rejected", Accepts{}, c).failed());
  EXPECT_FALSE(judge("non_finite_rejected", "reference", c).failed());
}

// ---- the decision helpers at their boundary ----

TEST(DecisionHelpers, WithinHalfStepAtExactlyOneHalfAndOneUlpAway) {
  using check::within_half_step_of;
  // x / s = 2.5 exactly: both neighbours are within half a step, nothing else.
  EXPECT_TRUE(within_half_step_of(2, 2.5f, 1.0f));
  EXPECT_TRUE(within_half_step_of(3, 2.5f, 1.0f));
  EXPECT_FALSE(within_half_step_of(1, 2.5f, 1.0f));
  EXPECT_FALSE(within_half_step_of(4, 2.5f, 1.0f));
  // One ulp above the tie: only 3.
  const float above = std::nextafter(2.5f, 3.0f);
  EXPECT_FALSE(within_half_step_of(2, above, 1.0f));
  EXPECT_TRUE(within_half_step_of(3, above, 1.0f));
  // One ulp below: only 2.
  const float below = std::nextafter(2.5f, 2.0f);
  EXPECT_TRUE(within_half_step_of(2, below, 1.0f));
  EXPECT_FALSE(within_half_step_of(3, below, 1.0f));
  // Negative ties, and a scale that is not a power of two: x = 0.75 * 3 / 2 at s = 0.75.
  EXPECT_TRUE(within_half_step_of(-2, -2.5f, 1.0f));
  EXPECT_TRUE(within_half_step_of(-3, -2.5f, 1.0f));
  EXPECT_FALSE(within_half_step_of(-3, std::nextafter(-2.5f, 0.0f), 1.0f));
  EXPECT_TRUE(within_half_step_of(1, 1.125f, 0.75f));
  EXPECT_TRUE(within_half_step_of(2, 1.125f, 0.75f));
  EXPECT_FALSE(within_half_step_of(2, std::nextafter(1.125f, 0.0f), 0.75f));
  // A zero or non-finite scale admits only x = 0 stored as 0.
  EXPECT_TRUE(within_half_step_of(0, 0.0f, 0.0f));
  EXPECT_FALSE(within_half_step_of(0, 1e-45f, 0.0f));
  EXPECT_FALSE(within_half_step_of(0, 1.0f, std::numeric_limits<float>::infinity()));
}

// A quantizer whose bias scale is 1 and whose bias integers are whatever the
// case says, so that bias_no_saturation decides on b / 1 alone.
class UnitBiasScale : public QuantizerUnderTest {
 public:
  Contract contract() const override {
    Contract k = contract_of(find_preset("reference"));
    k.guarantees.no_bias_saturation = true;
    return k;
  }
  Result quantize(const Case& c) const override {
    Result r;
    r.weights.channels.assign(1, ChannelParams{});
    r.weights.channels[0].scale = 1.0f / c.input_scale;
    r.weights.q.assign(c.weights.size(), 0);
    r.bias.scale.assign(c.bias.size(), 1.0f);
    r.bias.q.assign(c.bias.size(), 0);
    return r;
  }
};

TEST(DecisionHelpers, BiasSaturationAtTheInt32Limit) {
  const UnitBiasScale q;
  auto saturates = [&](float b) {
    return judge("bias_no_saturation", q, fc({{0.0f}}, {b}, 1.0f)).failed();
  };
  EXPECT_TRUE(saturates(2147483648.0f));  // 2^31 = INT32_MAX + 1
  EXPECT_FALSE(saturates(std::nextafter(2147483648.0f, 0.0f)));
  EXPECT_FALSE(saturates(-2147483648.0f));  // INT32_MIN itself fits
  EXPECT_TRUE(saturates(std::nextafter(-2147483648.0f, -FLT_MAX)));
}

}  // namespace
}  // namespace quantcheck
