// Every peer preset against the independent re-implementation of its
// quantizer (upstream.hpp): a golden table per quantizer that goes through
// every float32/float64 step, rounding tie, guard branch and saturation path
// (the table's cases must together take every path the model records), then
// a few thousand generated adversarial cases per preset. Any difference in a
// scale (bit for bit), zero point, weight integer, bias scale or bias integer
// fails with the case.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <sstream>

#include "quantcheck/presets.hpp"
#include "quantcheck/quantize.hpp"
#include "upstream.hpp"

namespace quantcheck {
namespace {

using fidelity::Filter;
using fidelity::Upstream;

Case to_case(const Filter& f) {
  Case c;
  c.op = OpKind::fully_connected;
  c.input_scale = f.s_in;
  c.weight_shape = {static_cast<std::int64_t>(f.rows.size()),
                    static_cast<std::int64_t>(f.rows.front().size())};
  for (const auto& r : f.rows) c.weights.insert(c.weights.end(), r.begin(), r.end());
  c.bias = f.bias;
  return c;
}

std::uint32_t bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

std::string describe(const Filter& f) {
  std::ostringstream m;
  m.precision(9);
  m << "s_in " << f.s_in << ", rows [";
  for (const auto& r : f.rows) {
    m << "[";
    for (float x : r) m << x << " ";
    m << "]";
  }
  m << "], bias [";
  for (float b : f.bias) m << b << " ";
  m << "]";
  return m.str();
}

// The differences between the preset and the model on one case ("" when none).
std::string differences(const std::string& preset, const Filter& f, Upstream* model_out = nullptr) {
  const Upstream want = fidelity::upstream(preset, f);
  if (model_out) *model_out = want;
  Result got;
  try {
    got = quantize(find_preset(preset), to_case(f));
  } catch (const std::exception& e) {
    return preset + " threw: " + e.what() + " on " + describe(f);
  }
  std::ostringstream d;
  d.precision(17);
  for (std::size_t c = 0; c < want.scale.size(); ++c) {
    const ChannelParams& cp = got.weights.channels[c];
    if (bits(cp.scale) != bits(want.scale[c]))
      d << " scale[" << c << "] " << cp.scale << " vs upstream " << want.scale[c] << ";";
    if (cp.zero_point != want.zero_point[c])
      d << " zp[" << c << "] " << cp.zero_point << " vs " << want.zero_point[c] << ";";
  }
  for (std::size_t i = 0; i < want.q.size(); ++i)
    if (got.weights.q[i] != want.q[i])
      d << " q[" << i << "] " << got.weights.q[i] << " vs " << want.q[i] << ";";
  for (std::size_t c = 0; c < want.bias_q.size(); ++c) {
    if (bits(got.bias.scale[c]) != bits(want.bias_scale[c]))
      d << " bias_scale[" << c << "] " << got.bias.scale[c] << " vs " << want.bias_scale[c] << ";";
    if (got.bias.q[c] != want.bias_q[c])
      d << " bias_q[" << c << "] " << got.bias.q[c] << " vs " << want.bias_q[c] << ";";
  }
  if (d.str().empty()) return "";
  return preset + ":" + d.str() + "\n  case: " + describe(f);
}

// ---- golden tables ----

struct Golden {
  const char* what;
  Filter f;
};

Filter one(std::vector<float> row, std::vector<float> bias, float s_in) {
  return {{std::move(row)}, std::move(bias), s_in};
}

// luci uint8: the double scale, zero point (with its tie), one-sided ranges,
// the 1e-5 floor, the nudged-range clip, weight ties, the bias cast overflow.
const std::vector<Golden>& luci_uint8_table() {
  static const std::vector<Golden> t = {
      {"issue A: zp tie side in double", one({-0.69f, 0.69f}, {0.1f}, 1.0f)},
      {"issue A: double scale", one({-0.01f, 0.003f}, {0.0f}, 1.0f)},
      {"min >= 0", one({0.5f, 2.55f}, {1.0f}, 0.01f)},
      {"max < 0", one({-2.55f, -0.5f}, {-1.0f}, 0.01f)},
      {"all zero", one({0.0f, 0.0f}, {0.0f}, 0.01f)},
      {"floor 1e-5 mixed", one({-7.3e-4f, 1.1e-3f, 2.3e-4f}, {1e-6f}, 1.0f)},
      {"floor 1e-5 one-sided", one({1e-4f, 3e-4f}, {0.0f}, 1.0f)},
      {"floor 1e-5 negative", one({-2e-3f, -1e-4f}, {0.0f}, 1.0f)},
      // zp 127.5 exactly: -rmin / scale with rmin = -127.5 * 2^-8, rmax = 127.5 * 2^-8
      {"zero point tie", one({-127.5f / 256, 127.5f / 256, 0.1f}, {}, 1.0f)},
      // scale 2^-8, zp 100: (x - nmin) / s = 100.5 and 50.5
      {"weight ties", one({-100.0f / 256, 155.0f / 256, 0.5f / 256, -49.5f / 256}, {}, 0.5f)},
      {"x - nmin overflows float32", one({-3e38f, 3e38f}, {0.0f}, 1.0f)},
      {"bias overflows int32 -> INT32_MIN",
       {{{-1e-4f, 1e-4f}, {1e-4f, 0.0f}}, {0.2148f, -0.2148f}, 1e-5f}},
      {"bias at a zero bias scale", one({-1e-4f, 1e-4f}, {1.0f}, 1e-45f)},
  };
  return t;
}

const std::vector<Golden>& luci_int16_table() {
  static const std::vector<Golden> t = {
      {"typical", one({-1.0f, 1.0f, 0.25f, 0.0156407356f}, {0.5f}, 1.0f / 32767)},
      {"weight tie", one({-32767.0f / 1024, 0.5f / 1024, 1.5f / 1024}, {}, 0.01f)},
      {"all zero (2021: scale 0, NaN weights)", one({0.0f, 0.0f}, {0.5f}, 1e-4f)},
      {"tiny (floors, #6971, #7017)", one({-1e-12f, 1e-12f}, {0.5f}, 1e-4f)},
      {"#6970 channel",
       one({1.635772e-19f, -1e-20f}, {-1.2156529426574707f}, 0.0001525924017187208f)},
      {"between the floors", one({-3e-5f, 2e-5f}, {1.0f}, 1e-6f)},
      {"int64 bias overflows", one({1e-30f}, {1.0f}, 1e-10f)},
      {"huge input scale", one({1e-35f, -1e-36f}, {1e30f}, FLT_MAX)},
      {"subnormal input scale", one({1.0f, -0.5f}, {1e-30f}, 1e-40f)},
      {"int64 bias overflows above the floors", one({1.0f, -0.5f}, {1e-15f}, 1e-30f)},
  };
  return t;
}

const std::vector<Golden>& tflite_table() {
  static const std::vector<Golden> t = {
      {"typical", {{{-0.5f, 1.27f}, {0.3f, -0.2f}}, {0.1f, -0.1f}, 0.01f}},
      {"weight ties (away from zero)", one({-127.0f / 4, 2.5f / 4, -6.5f / 4}, {0.0f}, 0.01f)},
      {"issue D: inf inverse -> 0", one({1e-40f}, {}, 0.01f)},
      {"issue D: two values", one({3e-37f, -1e-37f}, {0.0f}, 0.01f)},
      {"zero channel", {{{0.0f, 0.0f}, {1.0f, -1.0f}}, {0.0f, 0.0f}, 0.01f}},
      {"per-channel guard fires", {{{-1e-6f, 1e-6f}, {1.0f, 0.5f}}, {3.0f, 0.0f}, 0.01f}},
      {"per-layer guard fires", one({-1e-6f, 1e-6f}, {3.0f}, 0.01f)},
      {"issue E: per-layer holds", one({4e-37f}, {3.5e-36f}, 1e-6f)},
      {"guard on a zero channel with a subnormal bias",
       {{{0.0f}, {1.0f}}, {4.31985564e-39f, 0.0f}, 1.21158993e-19f}},
      {"bias saturates", {{{1e-20f, -1e-20f}, {1.0f, 2.0f}}, {-1.0f, 1e38f}, 1e-30f}},
      {"bias NaN (0 * inf)", {{{1.0f}, {0.5f}}, {0.0f, 0.0f}, 1e-40f}},
  };
  return t;
}

// The TFLite converter presets: the 1e-6 floor (the #6970 channel of the real
// PTQ model), both guard branches above the floor, a tie, a bias scale at
// the least subnormal (inf inverse, 0 * inf = NaN) and one that underflows.
const std::vector<Golden>& tflite_converter_table() {
  static const std::vector<Golden> t = {
      {"typical", {{{-0.5f, 1.27f}, {0.3f, -0.2f}}, {0.1f, -0.1f}, 0.01f}},
      {"weight ties (away from zero)", one({-127.0f / 4, 2.5f / 4, -6.5f / 4}, {0.0f}, 0.01f)},
      {"floor 1e-6: the #6970 channel",
       {{{1.6357763e-19f, -8.2e-20f}, {0.5f, -0.25f}},
        {-1.2156529426574707f, 0.1f},
        0.007843137718737125f}},
      {"floor 1e-6 just below it", one({1.2699999e-4f, -5e-5f}, {0.0f}, 0.01f)},
      {"zero channel", {{{0.0f, 0.0f}, {1.0f, -1.0f}}, {0.0f, 0.0f}, 0.01f}},
      {"per-channel guard fires", {{{-1e-6f, 1e-6f}, {1.0f, 0.5f}}, {30.0f, 0.0f}, 0.01f}},
      {"per-layer guard fires", one({-1e-6f, 1e-6f}, {30.0f}, 0.01f)},
      {"bias scale the least subnormal", {{{0.0f}, {1.0f}}, {0.0f, 0.0f}, 1.5e-39f}},
      {"bias scale underflows", one({0.0f}, {0.0f}, 1e-40f)},
  };
  return t;
}

const std::vector<Golden>& onnxruntime_table() {
  static const std::vector<Golden> t = {
      {"issue B: float32 range", one({-0.01f, 0.003f}, {0.001f}, 0.5f)},
      {"issue C: int8 float32 tie", one({1.0f, 0.13779526948928833f}, {0.0f}, 1.0f)},
      {"issue C: uint8", one({-0.77f, 0.93f}, {0.0f}, 1.0f)},
      {"weight ties (to even)", one({-31.75f, 0.625f, 0.875f, 31.75f}, {}, 0.01f)},
      // zp tie: [-100.5, 154.5] * 2^-8 gives scale 2^-8 and -rmin / s = 100.5
      {"zero point tie", one({-100.5f / 256, 154.5f / 256, 0.1f}, {}, 0.01f)},
      {"scale below FLT_MIN -> 1", one({-1e-37f, 1e-37f}, {0.0f}, 0.01f)},
      {"float32 range overflows", one({-3e38f, 3e38f, 1.0f}, {0.0f}, 1.0f)},
      {"weight scale raised", one({-1e-5f, 1e-5f, 3e-6f}, {5.0f}, 0.01f)},
      {"raise overflows the scale", one({1.0f}, {1e30f}, FLT_MIN)},
      {"issue F: bias 0 / 0", one({1e-30f}, {0.0f}, 1e-20f)},
      {"issue F: bias b / 0", one({1e-30f}, {1.0f}, 1e-20f)},
      {"issue F: negative b / 0", one({1e-30f}, {-1e-40f}, 1e-20f)},
      {"bias clipped", one({-1e-5f, 1e-5f}, {5.0f}, 0.01f)},
      {"bias tie", one({-127.0f, 1.0f}, {2.5f}, 1.0f)},
  };
  return t;
}

const std::vector<Golden>& pytorch_table() {
  static const std::vector<Golden> t = {
      {"typical", {{{-1.275f, 0.5f}, {-1.0f, 3.0f}}, {0.1f, -0.2f}, 0.01f}},
      {"weight ties (to even)", one({-127.5f / 4, 2.5f / 4, -6.5f / 4, 0.0f}, {}, 0.01f)},
      {"fbgemm inverse example", one({0.0f, 0.5478798747062683f, 0.273939937f}, {}, 1.0f / 255)},
      {"eps floor", one({-1e-9f, 1e-9f}, {0.0f}, 0.01f)},
      {"zero point tie", one({-100.5f / 256, 154.5f / 256, 0.1f}, {}, 0.01f)},
      {"float32 range overflows", one({-3e38f, 3e38f}, {0.0f}, 1.0f)},
      {"bias clamped to int32", one({-2.2828579e-05f, 3.4809113e-05f}, {-6.04296875f}, 1.0f / 127)},
      {"issue G: beyond int64", one({1.0f}, {1000.0f}, 1e-15f)},
      {"beyond int64, negative", one({1.0f}, {-1000.0f}, 1e-15f)},
      {"bias NaN at a zero bias scale", one({1.0f}, {0.0f}, 1e-45f)},
      {"bias inf at a zero bias scale", one({1.0f}, {1e-30f}, 1e-45f)},
  };
  return t;
}

struct Family {
  std::vector<std::string> presets;
  const std::vector<Golden>* table;
  // preset -> paths its table must take together
  std::map<std::string, std::vector<std::string>> required;
};

const std::vector<Family>& families() {
  static const std::vector<Family> fams = {
      {{"luci-uint8"},
       &luci_uint8_table(),
       {{"luci-uint8",
         {"zero range", "min >= 0", "max < 0", "mixed", "mixed, zero point tie", "floor 1e-5",
          "weight clipped to the nudged range", "weight tie", "offset overflows float32",
          "bias scale 0", "bias cast overflows"}}}},
      {{"luci-int16-2021", "luci-int16-6971", "luci-int16-7017", "luci-int16-7063", "luci-int16"},
       &luci_int16_table(),
       {{"luci-int16-2021", {"scale 0", "infinite inverse", "weight tie", "int64 bias overflows"}},
        {"luci-int16-6971", {"scale below FLT_EPSILON -> 1", "weight tie", "int64 bias overflows"}},
        {"luci-int16-7017", {"raised so s_in * s_w >= 1e-15", "weight tie"}},
        {"luci-int16-7063", {"floor 1e-9", "weight tie", "int64 bias overflows"}},
        {"luci-int16", {"floor 1e-8", "weight tie", "int64 bias overflows"}}}},
      {{"tflite-int8", "tflite-int16x8"},
       &tflite_table(),
       {{"tflite-int8",
         {"zero range", "infinite inverse", "weight tie", "per-channel guard fires",
          "per-layer guard fires", "per-layer guard holds where per-channel would fire",
          "bias saturates", "bias NaN"}},
        {"tflite-int16x8",
         {"zero range", "infinite inverse", "weight tie", "per-channel guard fires",
          "per-layer guard fires", "per-layer guard holds where per-channel would fire",
          "bias NaN"}}}},
      {{"tflite-converter-int8", "tflite-converter-16x8"},
       &tflite_converter_table(),
       {{"tflite-converter-int8",
         {"floor 1e-6", "weight tie", "per-channel guard fires", "per-layer guard fires",
          "bias NaN", "bias scale underflows to 0"}},
        {"tflite-converter-16x8",
         {"floor 1e-6", "weight tie", "per-channel guard fires", "per-layer guard fires",
          "bias NaN", "bias scale underflows to 0"}}}},
      {{"onnxruntime-int8", "onnxruntime-uint8"},
       &onnxruntime_table(),
       {{"onnxruntime-int8",
         {"float32 range overflows", "scale below FLT_MIN -> 1", "weight tie",
          "weight scale raised for the bias", "raise overflows the scale", "bias 0 / 0 = NaN",
          "bias tie"}},
        {"onnxruntime-uint8",
         {"float32 range overflows", "scale below FLT_MIN -> 1", "zero point tie", "weight tie",
          "bias 0 / 0 = NaN", "bias b / 0 = inf", "bias clipped"}}}},
      {{"pytorch-int8-symmetric", "pytorch-uint8-affine"},
       &pytorch_table(),
       {{"pytorch-int8-symmetric",
         {"eps floor", "weight tie", "bias clamped to int32", "bias beyond int64 -> INT64_MIN",
          "bias NaN -> INT64_MIN"}},
        {"pytorch-uint8-affine",
         {"eps floor", "float32 range overflows", "zero point tie", "weight tie",
          "bias clamped to int32", "bias beyond int64 -> INT64_MIN", "bias NaN -> INT64_MIN"}}}},
  };
  return fams;
}

TEST(Fidelity, EveryPeerPresetHasATable) {
  std::set<std::string> covered;
  for (const Family& fam : families())
    for (const auto& p : fam.presets) covered.insert(p);
  for (const Policy& p : presets()) {
    if (p.name.rfind("reference", 0) == 0) continue;
    EXPECT_TRUE(covered.count(p.name)) << p.name << " has no fidelity table";
  }
  EXPECT_EQ(covered.size(), fidelity::peer_presets().size());
}

TEST(Fidelity, GoldenTablesAgreeAndTakeEveryPath) {
  for (const Family& fam : families()) {
    for (const std::string& preset : fam.presets) {
      std::set<std::string> taken;
      for (const Golden& g : *fam.table) {
        Upstream model;
        const std::string diff = differences(preset, g.f, &model);
        EXPECT_TRUE(diff.empty()) << g.what << ": " << diff;
        taken.insert(model.paths.begin(), model.paths.end());
      }
      for (const std::string& path : fam.required.at(preset))
        EXPECT_TRUE(taken.count(path)) << preset << ": no golden case takes \"" << path << "\"";
    }
  }
}

// ---- generated adversarial cases ----

class Adversary {
 public:
  Adversary(const Policy& p, std::uint64_t seed) : p_(p), rng_(seed) {}

  Filter next() {
    Filter f;
    f.s_in = input_scale();
    const int channels = uniform(1, 4), inner = uniform(1, 6);
    for (int c = 0; c < channels; ++c) f.rows.push_back(row(inner));
    if (uniform(0, 7) != 0)
      for (const auto& r : f.rows) f.bias.push_back(bias(f.s_in, r));
    return f;
  }

 private:
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  float sign() { return uniform(0, 1) ? 1.0f : -1.0f; }
  float binade(int lo, int hi) {
    const float m = 1.0f + static_cast<float>(uniform(0, (1 << 23) - 1)) / float(1 << 23);
    const float v = std::ldexp(m, uniform(lo, hi));
    return std::isfinite(v) ? v : FLT_MAX;
  }
  float input_scale() {
    switch (uniform(0, 8)) {
      case 0: return 1.0f / 127;
      case 1: return 1.0f / 255;
      case 2: return 1.0f / 32767;
      case 3: return binade(-149, -127);  // subnormal
      case 4: return binade(-126, -60);
      case 5: return binade(1, 127);  // huge
      case 6: return uniform(0, 1) ? FLT_MAX : FLT_MIN;
      default: return binade(-40, 0);
    }
  }
  std::vector<float> row(int n) {
    std::vector<float> v(static_cast<std::size_t>(n), 0.0f);
    switch (uniform(0, 9)) {
      case 0:
        for (float& x : v) x = sign() * binade(-12, 1);
        break;
      case 1:
        for (float& x : v) x = sign() * binade(-149, -100);
        break;
      case 2: break;  // zero
      case 3: {
        const float k = sign() * binade(-40, 3);
        for (float& x : v) x = k;
        break;
      }
      case 4: {
        const float s = sign();
        for (float& x : v) x = s * binade(-20, 0);
        break;
      }
      case 5:
        for (float& x : v) x = sign() * binade(100, 127);
        break;
      case 6:
        for (float& x : v) x = sign() * binade(-60, -20);
        v[static_cast<std::size_t>(uniform(0, n - 1))] = sign() * binade(-2, 2);
        break;
      case 7:
        for (float& x : v) x = sign() * binade(-40, -10);  // around the floors
        break;
      default: {
        // Ties at a power-of-two scale, and their float neighbours.
        const float step = std::ldexp(1.0f, uniform(-30, 3));
        const double d = p_.scale_divisor;
        if (p_.scheme == Scheme::symmetric) {
          v[0] = sign() * static_cast<float>(d) * step;
          for (std::size_t i = 1; i < v.size(); ++i)
            v[i] = (static_cast<float>(uniform(-120, 119)) + 0.5f) * step;
        } else {
          const int a = uniform(0, 255);
          v[0] = static_cast<float>(-a) * step;
          for (std::size_t i = 1; i < v.size(); ++i)
            v[i] = (static_cast<float>(uniform(-a, 254 - a)) + 0.5f) * step;
          if (v.size() > 1) v[1] = static_cast<float>(255 - a) * step;
        }
        for (std::size_t i = 1; i < v.size(); ++i)
          if (uniform(0, 2) == 0) v[i] = std::nextafter(v[i], uniform(0, 1) ? FLT_MAX : -FLT_MAX);
        break;
      }
    }
    return v;
  }
  float bias(float s_in, const std::vector<float>& r) {
    float m = 0;
    for (float x : r) m = std::max(m, std::fabs(x));
    const double s_w = std::max<double>(m / p_.scale_divisor, 1e-30);
    switch (uniform(0, 6)) {
      case 0: return 0.0f;
      case 1: return sign() * binade(-10, 6);
      case 2: return sign() * binade(-149, -120);
      case 3: {
        // Around the TFLite guard threshold 0.5 s_in s_w INT32_MAX.
        const double t = 0.5 * double(s_in) * s_w * 2147483647.0 * (1 + (uniform(-4, 4)) * 0x1p-23);
        return t < FLT_MAX ? sign() * static_cast<float>(t) : 0.0f;
      }
      default: {
        // |b / s_b| around 2^k up to 2^70: past int32 and int64.
        const double b =
            std::ldexp(1.0 + uniform(0, 1023) / 1024.0, uniform(0, 70)) * double(s_in) * s_w;
        if (!(b < FLT_MAX)) return sign() * FLT_MAX;
        return sign() * std::max(static_cast<float>(b), std::numeric_limits<float>::denorm_min());
      }
    }
  }

  const Policy& p_;
  std::mt19937_64 rng_;
};

TEST(Fidelity, GeneratedAdversarialCasesAgree) {
  constexpr int kCases = 3000;
  for (const std::string& name : fidelity::peer_presets()) {
    Adversary gen(find_preset(name), 11);
    int mismatches = 0;
    std::string first;
    for (int k = 0; k < kCases; ++k) {
      const std::string d = differences(name, gen.next());
      if (d.empty()) continue;
      if (mismatches++ == 0) first = d;
    }
    EXPECT_EQ(mismatches, 0) << name << ": " << mismatches << " of " << kCases
                             << " cases differ; first: " << first;
  }
}

// The comparison has teeth: a preset with one knob wrong disagrees with its
// model on the golden table or the generated cases.
TEST(Fidelity, NoticesAWrongKnob) {
  auto disagrees = [](const Policy& wrong, const std::string& model) {
    Adversary gen(wrong, 5);
    for (int k = 0; k < 3000; ++k) {
      const Filter f = gen.next();
      const Upstream want = fidelity::upstream(model, f);
      const Result got = quantize(wrong, to_case(f));
      if (got.weights.q != want.q || got.bias.q != want.bias_q) return true;
      for (std::size_t c = 0; c < want.scale.size(); ++c)
        if (bits(got.weights.channels[c].scale) != bits(want.scale[c]) ||
            got.weights.channels[c].zero_point != want.zero_point[c])
          return true;
    }
    return false;
  };
  Policy luci = find_preset("luci-uint8");
  luci.zero_point_from_float64_scale = false;
  luci.scale_in_float64 = false;
  EXPECT_TRUE(disagrees(luci, "luci-uint8"));
  Policy ort = find_preset("onnxruntime-uint8");
  ort.weight_arithmetic = WeightArithmetic::float64_divide;
  EXPECT_TRUE(disagrees(ort, "onnxruntime-uint8"));
  Policy ort_bias = find_preset("onnxruntime-int8");
  ort_bias.bias_out_of_range = OutOfRange::saturate;
  EXPECT_TRUE(disagrees(ort_bias, "onnxruntime-int8"));
  Policy tfl = find_preset("tflite-int8");
  tfl.weight_out_of_range = OutOfRange::saturate;
  EXPECT_TRUE(disagrees(tfl, "tflite-int8"));
  Policy torch = find_preset("pytorch-int8-symmetric");
  torch.bias_out_of_range = OutOfRange::saturate;
  EXPECT_TRUE(disagrees(torch, "pytorch-int8-symmetric"));
}

}  // namespace
}  // namespace quantcheck
