// The `reference` policy on the hazards of the public record: no saturation,
// room for the accumulation, normal scales, exact bias, and the least raise.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>

#include "quantcheck/error.hpp"
#include "quantcheck/presets.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck {
namespace {

Case conv(std::int64_t outputs, std::int64_t k, float fill, float bias, float input_scale) {
  Case c;
  c.op = OpKind::conv2d;
  c.input_scale = input_scale;
  c.weight_shape = {outputs, 1, 1, k};
  c.weights.assign(outputs * k, fill);
  for (std::int64_t i = 0; i < outputs * k; i += 2) c.weights[i] = -fill;
  c.bias.assign(outputs, bias);
  return c;
}

void expect_clean(const Result& r, const std::string& what) {
  for (const auto& f : r.findings)
    ADD_FAILURE() << what << ": " << to_string(f.kind) << " on " << f.tensor << " channel "
                  << f.channel;
}

TEST(ReferencePolicy, PublicRecordHazardsAreClean) {
  struct Hazard {
    const char* what;
    Case c;
  };
  const Hazard hazards[] = {
      {"ONE #6970 tiny filter", conv(4, 27, 1.6e-19f, -1.2156529f, 0.0001525924f)},
      {"uint8 floor overflow", conv(4, 9, 1e-4f, 0.2148f, 1e-5f)},
      {"all-zero channel", conv(4, 9, 0.0f, 0.5f, 0.01f)},
      {"subnormal weights", conv(4, 9, 1e-42f, 3.0f, 1e-8f)},
      {"huge weights", conv(4, 9, FLT_MAX, 1.0f, 1.0f)},
      {"huge bias", conv(4, 9, 1e-3f, 1e30f, 0.01f)},
      {"pose_landmark_lite c165", conv(1, 192, 3.4809113e-05f, -6.04296875f, 1.0f / 127.0f)},
  };
  for (const char* name : {"reference", "reference-uint8", "reference-int16"}) {
    for (const auto& h : hazards) {
      const Policy& p = find_preset(name);
      const Result r = quantize(p, h.c);
      expect_clean(r, std::string(name) + " / " + h.what);
      for (const auto& cp : r.weights.channels) {
        EXPECT_GE(cp.scale, FLT_MIN) << name << " / " << h.what;
        EXPECT_TRUE(std::isfinite(cp.scale));
      }
      for (float s_b : r.bias.scale) EXPECT_GE(s_b, FLT_MIN) << name << " / " << h.what;
    }
  }
}

TEST(ReferencePolicy, RaiseIsTheLeastThatLeavesHeadroom) {
  const Policy& p = find_preset("reference");
  const Case c = conv(1, 64, 1e-6f, 2.0f, 0.01f);
  const Result r = quantize(p, c);
  const float s_w = r.weights.channels[0].scale;
  ASSERT_TRUE(r.weights.channels[0].raised_for_bias);
  // Independent headroom: int32 max minus K * 255 * 127.
  const long long room = 2147483647LL - 64LL * 255 * 127;
  EXPECT_LE(std::llabs(r.bias.q[0]), room);
  // One float32 step lower and the exact quotient no longer fits.
  const float lower = std::nextafter(s_w, 0.0f);
  const long double q_lower = 2.0L / (long double)(0.01f * lower);
  EXPECT_GT(std::fabs(std::roundl(q_lower)), (long double)room);
}

// The raise over a spread of biases and input scales (the search starts
// from an estimate and gallops; the answer must not depend on it): each
// raised scale leaves room, and one float32 step lower does not.
TEST(ReferencePolicy, RaiseIsTheLeastOverManyBiasesAndInputScales) {
  struct Cell {
    const char* preset;
    long double room;  // independent: ACC_MAX - K * max activation * qmax, K = 64
  };
  const Cell cells[] = {{"reference", 2147483647.0L - 64.0L * 255 * 127},
                        {"reference-int16", 9223372036854775807.0L - 64.0L * 32768 * 32767}};
  auto fits = [](float b, float s_in, float s_w, long double room) {
    const float s_b = s_in * s_w;
    if (!(s_b >= FLT_MIN) || !std::isfinite(s_b)) return false;
    return std::fabs(std::roundl((long double)b / (long double)s_b)) <= room;
  };
  int raised = 0;
  for (const Cell& cell : cells) {
    const Policy& p = find_preset(cell.preset);
    for (float s_in : {0x1p-40f, 0.01f, 1.0f, 3.0e5f})
      for (int e = -60; e <= 60; e += 7)
        for (float m : {1.0f, -1.2157f, 1.9999999f}) {
          const float b = std::ldexp(m, e);
          Result r;
          if (quantize_unless_refused(p, conv(1, 64, 1e-6f, b, s_in), r)) continue;
          const ChannelParams& cp = r.weights.channels[0];
          EXPECT_TRUE(fits(b, s_in, cp.scale, cell.room)) << cell.preset << " " << b << " " << s_in;
          if (!cp.raised_for_bias) continue;
          ++raised;
          EXPECT_FALSE(fits(b, s_in, std::nextafter(cp.scale, 0.0f), cell.room))
              << cell.preset << " b=" << b << " s_in=" << s_in << ": not the least raise";
        }
  }
  EXPECT_GT(raised, 30);  // the raise was exercised, not only the unraised scale
}

TEST(ReferencePolicy, ScaleRoundsUpSoNoWeightIsClipped) {
  const Policy& p = find_preset("reference");
  // 1/127 in float32 rounds down; range / s must not exceed 127.
  const Result r = quantize(p, conv(1, 4, 1.0f, 0.0f, 0.01f));
  EXPECT_GE(static_cast<double>(r.weights.channels[0].scale) * 127.0, 1.0);
  EXPECT_EQ(r.weights.q[1], 127);
}

// quantize() throws the refusal; quantize_unless_refused returns it.
std::string refusal_of(const Policy& p, const Case& c, Refusal::Kind want) {
  Result r;
  const Refusal why = quantize_unless_refused(p, c, r);
  EXPECT_EQ(why.kind, want);
  try {
    quantize(p, c, r);
  } catch (const InputError& e) {
    EXPECT_EQ(e.what(), describe(why, p, c, validate(c)));
    return e.what();
  }
  EXPECT_EQ(want, Refusal::Kind::none) << "quantize() did not throw the refusal";
  return "";
}

TEST(ReferencePolicy, RejectsLayersThatCannotHaveHeadroom) {
  // K * 255 * 127 > INT32_MAX once K > 66,311.
  const Case c = conv(1, 70000, 0.1f, 0.0f, 0.01f);
  const std::string e = refusal_of(find_preset("reference"), c, Refusal::Kind::no_headroom);
  EXPECT_NE(e.find("70000 products per output channel"), std::string::npos) << e;
  EXPECT_EQ(refusal_of(find_preset("reference-int16"), c, Refusal::Kind::none), "");
}

TEST(ReferencePolicy, RejectsWhenNoFiniteScaleFits) {
  const Case c = conv(1, 4, 1.0f, FLT_MAX, FLT_TRUE_MIN);
  const std::string e = refusal_of(find_preset("reference"), c, Refusal::Kind::bias_unfittable);
  EXPECT_NE(e.find("bias: channel 0: no finite float32 weight scale"), std::string::npos) << e;
}

}  // namespace
}  // namespace quantcheck
