// The protocol's lines: requests read back bit-exactly as the case, handshakes
// and results are checked field by field, and a result read back from JSON
// gets the same findings as quantize() gives in-process.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>

#include "adapter_test_support.hpp"
#include "quantcheck/case_json.hpp"
#include "quantcheck/error.hpp"
#include "quantcheck/external_adapter.hpp"
#include "quantcheck/presets.hpp"

namespace quantcheck {
namespace {

using nlohmann::json;

AdapterMode int8_mode() {
  AdapterMode m;
  m.name = "int8";
  m.weight_type = WeightType::int8;
  m.qmin = -128;
  m.qmax = 127;
  return m;
}

std::uint32_t bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

TEST(AdapterProtocol, NineDigitsReadBackAsTheSameFloatThroughADouble) {
  // The claim adapter_request_line relies on: parse the 9-digit decimal as a
  // double (as JSON readers do), round that to float32, get the original.
  std::mt19937 rng(7);
  int checked = 0;
  for (int i = 0; i < 2000000; ++i) {
    const std::uint32_t u = rng();
    float f;
    std::memcpy(&f, &u, 4);
    if (!std::isfinite(f)) continue;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(f));
    const float back = static_cast<float>(std::strtod(buf, nullptr));
    ASSERT_EQ(bits(back), bits(f)) << buf;
    ++checked;
  }
  EXPECT_GT(checked, 1900000);
}

TEST(AdapterProtocol, RequestLineIsTheCaseJsonPlusTypeAndId) {
  Case c;
  c.op = OpKind::depthwise_conv2d;
  c.input_scale = 1.0f / 127.0f;
  c.weight_shape = {1, 1, 2, 3};
  c.weights = {
      std::numeric_limits<float>::denorm_min(), -0.0f, FLT_MAX, -FLT_MIN, 0.1f, -2.2828579e-05f};
  c.bias = {-6.04296875f, 1e-20f, 3.4e38f};
  c.channel_axis = 3;
  const json j = json::parse(adapter_request_line(42, c, int8_mode()));
  EXPECT_EQ(j["id"], 42);
  EXPECT_EQ(j["weight_type"], "int8");
  EXPECT_EQ(j["granularity"], "per_channel");
  const Case back = case_from_json(j);
  EXPECT_EQ(back.op, c.op);
  EXPECT_EQ(bits(back.input_scale), bits(c.input_scale));
  EXPECT_EQ(back.weight_shape, c.weight_shape);
  ASSERT_EQ(back.weights.size(), c.weights.size());
  for (std::size_t i = 0; i < c.weights.size(); ++i)
    EXPECT_EQ(bits(back.weights[i]), bits(c.weights[i])) << i;
  ASSERT_EQ(back.bias.size(), c.bias.size());
  for (std::size_t i = 0; i < c.bias.size(); ++i) EXPECT_EQ(bits(back.bias[i]), bits(c.bias[i]));
  EXPECT_EQ(back.channel_axis, c.channel_axis);
}

TEST(AdapterProtocol, NonFiniteValuesAreSentAsStrings) {
  Case c = test::small_case(1);
  c.weights[0] = std::numeric_limits<float>::quiet_NaN();
  c.bias[0] = -std::numeric_limits<float>::infinity();
  const json j = json::parse(adapter_request_line(1, c, int8_mode()));
  EXPECT_EQ(j["weights"]["data"][0], "nan");
  EXPECT_EQ(j["bias"][0], "-inf");
}

const char* kHandshake =
    R"({"protocol":"quantcheck-adapter","protocol_version":1,"name":"t","version":"2",)"
    R"("modes":[{"name":"a","weight_type":"uint8","granularity":"per_tensor","scheme":"asymmetric",)"
    R"("qmin":0,"qmax":255,"bias_type":"int32","rounding":"half_away_from_zero",)"
    R"("scale_floor":1e-5,"guarantees":["valid_scales","no_bias_saturation"]}]})";

TEST(AdapterProtocol, HandshakeIsRead) {
  const AdapterInfo info = parse_handshake(kHandshake);
  EXPECT_EQ(info.name, "t");
  EXPECT_EQ(info.version, "2");
  ASSERT_EQ(info.modes.size(), 1u);
  const AdapterMode& m = info.modes[0];
  EXPECT_EQ(m.weight_type, WeightType::uint8);
  EXPECT_EQ(m.granularity, Granularity::per_tensor);
  EXPECT_EQ(m.scheme, Scheme::asymmetric);
  EXPECT_EQ(m.rounding, Rounding::half_away_from_zero);
  EXPECT_EQ(m.scale_floor, 1e-5f);
  EXPECT_TRUE(m.guarantees.valid_scales);
  EXPECT_TRUE(m.guarantees.no_bias_saturation);
  EXPECT_FALSE(m.guarantees.bias_sign_preserved);
  EXPECT_EQ(info.find_mode(WeightType::uint8), &info.modes[0]);
  EXPECT_EQ(info.find_mode(WeightType::uint8, Granularity::per_channel), nullptr);
  EXPECT_EQ(declared_policy(info, m).name, "t:a");
}

TEST(AdapterProtocol, BadHandshakesSayWhatIsWrong) {
  const std::pair<std::string, std::string> bad[] = {
      {"not json", "not JSON"},
      {"[1]", "expected a JSON object"},
      {R"({"protocol":"quantcheck-adapter","protocol_version":1,"error":"no torch"})", "no torch"},
      {R"({"protocol":"x","protocol_version":1,"name":"t","modes":[]})", "protocol"},
      {R"({"protocol":"quantcheck-adapter","protocol_version":2,"name":"t","modes":[]})",
       "protocol_version"},
      {R"({"protocol":"quantcheck-adapter","protocol_version":1,"name":"t","modes":[]})", "modes"},
      {std::string(kHandshake)
           .replace(std::string(kHandshake).find("no_bias_saturation"), 18, "never_wrong"),
       "unknown guarantee 'never_wrong'"},
  };
  for (const auto& [line, says] : bad) {
    try {
      parse_handshake(line);
      ADD_FAILURE() << "accepted: " << line;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  }
}

TEST(AdapterProtocol, MalformedResultsSayWhatIsWrong) {
  const Case c = test::small_case(2);
  const Layout l = case_layout(c);
  const AdapterMode m = int8_mode();
  const std::string good =
      R"({"id":5,"weights":{"scale":[0.5,0.25],"zero_point":[0,0],"q":[1,2,3,4]},)"
      R"("bias":{"scale":[0.25,0.125],"q":[0,4]}})";
  Result r;
  std::string rejection;
  ASSERT_TRUE(parse_adapter_result(good, 5, c, l, m, r, &rejection));
  EXPECT_EQ(r.weights.q, (std::vector<std::int32_t>{1, 2, 3, 4}));
  EXPECT_EQ(r.bias.q, (std::vector<std::int64_t>{0, 4}));
  EXPECT_EQ(r.weights.channels[1].scale, 0.25f);

  EXPECT_FALSE(parse_adapter_result(R"({"id":5,"error":"no"})", 5, c, l, m, r, &rejection));
  EXPECT_EQ(rejection, "no");

  auto edit = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  const std::pair<std::string, std::string> bad[] = {
      {"{", "not JSON"},
      {edit("\"id\":5", "\"id\":6"), "answers another request"},
      {edit("\"q\":[1,2,3,4]", "\"q\":[1,2,3]"), "weights.q: 3 values, expected 4"},
      {edit("\"q\":[1,2,3,4]", "\"q\":[1,2,3,128]"), "weights.q[3]: 128 is outside [-128, 127]"},
      {edit("\"zero_point\":[0,0]", "\"zero_point\":[0,-129]"), "weights.zero_point[1]"},
      {edit("\"scale\":[0.5,0.25]", "\"scale\":[0.5]"), "weights.scale: 1 values, expected 2"},
      {edit("\"q\":[0,4]", "\"q\":[0,2147483648]"), "does not fit int32"},
      {edit("\"scale\":[0.25,0.125]", "\"scale\":[0.25,\"big\"]"), "bias.scale[1]"},
      {edit(",\"bias\":{\"scale\":[0.25,0.125],\"q\":[0,4]}", ""), "missing field 'bias'"},
  };
  for (const auto& [line, says] : bad) {
    try {
      parse_adapter_result(line, 5, c, l, m, r, &rejection);
      ADD_FAILURE() << "accepted: " << line;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  }
}

// A preset's result written as JSON and read back as an adapter's result gets
// the findings quantize() found, element for element.
TEST(AdapterProtocol, CompletedResultHasTheFindingsOfQuantize) {
  Case c;  // ONE #6970's shape: a tiny channel, a large bias, plus a normal one
  c.op = OpKind::conv2d;
  c.input_scale = 0.000152590219f;
  c.weight_shape = {2, 1, 1, 3};
  c.weights = {1e-19f, -3e-20f, 2e-19f, 0.5f, -0.25f, 0.125f};
  c.bias = {-1.2156529f, 1000.0f};
  int with_findings = 0;
  for (const char* name : {"luci-uint8", "luci-int16-2021", "pytorch-int8-symmetric",
                           "pytorch-uint8-affine", "tflite-int8", "reference"}) {
    const Policy& p = find_preset(name);
    const Result want = quantize(p, c);
    AdapterInfo info;
    info.name = "x";
    AdapterMode m;
    m.name = name;
    m.weight_type = p.weight_type;
    m.scheme = p.scheme;
    m.granularity = p.granularity;
    m.qmin = p.qmin;
    m.qmax = p.qmax;
    m.bias_type = p.bias_type;
    m.rounding = p.rounding;
    m.scale_floor = p.scale_floor;
    m.activation_abs_max = p.activation_abs_max;
    json j = result_to_json(want);
    j["id"] = 9;
    Result got;
    std::string rejection;
    ASSERT_TRUE(parse_adapter_result(j.dump(), 9, c, case_layout(c), m, got, &rejection));
    complete_result(declared_policy(info, m), c, got);
    ASSERT_EQ(got.findings.size(), want.findings.size()) << name;
    for (std::size_t i = 0; i < want.findings.size(); ++i) {
      EXPECT_EQ(got.findings[i].kind, want.findings[i].kind) << name << " finding " << i;
      EXPECT_EQ(got.findings[i].channel, want.findings[i].channel) << name;
      EXPECT_EQ(got.findings[i].element, want.findings[i].element) << name;
    }
    EXPECT_EQ(got.bias.saturated, want.bias.saturated) << name;
    EXPECT_EQ(got.weights.dequantized, want.weights.dequantized) << name;
    with_findings += !want.findings.empty();
  }
  EXPECT_GE(with_findings, 3);  // the case exercises the checks
}

}  // namespace
}  // namespace quantcheck
