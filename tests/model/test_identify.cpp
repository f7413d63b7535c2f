// `quantcheck identify`: a model quantized by a known preset is identified as
// that preset; the real PTQ MobileNetV2 is reproduced by the converter preset
// and by no tools/optimize preset; the CLI's forms and exit codes.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "model_test_support.hpp"
#include "quantcheck/error.hpp"
#include "quantcheck/model/identify.hpp"
#include "quantcheck/model/rewrite.hpp"
#include "quantcheck/model/synthetic.hpp"
#include "quantcheck/model/tensor_data.hpp"
#include "quantcheck/model/twin.hpp"
#include "quantcheck/presets.hpp"

namespace quantcheck::model {
namespace {

using testing::run_cli;
using testing::write_temp;

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Two layers of ordinary weights, one with a dead (all-zero) channel.
std::vector<SyntheticLayer> two_layers() {
  SyntheticLayer fc;
  fc.kind = OpKind::fully_connected;
  fc.filter_shape = {3, 4};
  fc.weights = {0.5f, -0.25f, 0.1f, 0.3f, 0.0f, 0.0f, 0.0f, 0.0f, -0.7f, 0.11f, 0.9f, -0.4f};
  // The dead channel's bias is 0: a bias that decides its scale (a guard, or
  // |q_b| beyond 2^24 under a floor) need not survive dequantization exactly.
  fc.bias = {0.1f, 0.0f, 0.3f};
  SyntheticLayer dw;
  dw.kind = OpKind::depthwise_conv2d;
  dw.filter_shape = {1, 2, 2, 3};
  dw.weights = {0.5f, -0.25f, 0.1f, 0.3f, 0.02f, -0.7f, 0.11f, 0.0f, 0.9f, -0.4f, 0.6f, 0.05f};
  dw.bias = {0.1f, -0.2f, 0.3f};
  return {fc, dw};
}

// The synthetic model quantized by `policy` (quantize-model --emit-quantized).
std::string quantized_by(const std::string& policy) {
  const auto f =
      ModelFile::open(write_temp("id_float.tflite", build_synthetic_model(two_layers())));
  TwinOptions o;
  o.policy = find_preset(policy);
  o.input_scale = 0.0123f;
  o.emit_quantized = true;
  return write_temp("id_" + policy + ".tflite", make_twin(f, o));
}

TEST(Identify, ModelQuantizedByAPresetIsIdentifiedAsThatPreset) {
  for (const char* name :
       {"tflite-int8", "tflite-converter-int8", "onnxruntime-int8", "luci-int16"}) {
    const IdentifyReport r = identify_model(ModelFile::open(quantized_by(name)), presets());
    ASSERT_EQ(r.layers.size(), 2u) << name;
    EXPECT_TRUE(contains(r.reproduced_by_all(), name)) << name << "\n" << to_text(r);
    for (const IdentifyLayer& l : r.layers) EXPECT_TRUE(contains(l.reproduced_by(), name)) << name;
  }
}

TEST(Identify, OtherPresetsAreToldApartWithTheirFirstDifference) {
  // tflite-int8 stores scale 0 for the dead channel, the converter 1e-6.
  const IdentifyReport r =
      identify_model(ModelFile::open(quantized_by("tflite-converter-int8")), presets());
  const IdentifyLayer& fc = r.layers[0];
  EXPECT_FALSE(contains(fc.reproduced_by(), "tflite-int8"));
  for (const PresetMatch& p : fc.presets) {
    if (p.preset == "tflite-int8") {
      EXPECT_EQ(p.channels_matched, 2);
      ASSERT_TRUE(p.first_difference);
      EXPECT_EQ(p.first_difference->what, "weight_scale");
      EXPECT_EQ(p.first_difference->channel, 1);
      EXPECT_EQ(p.first_difference->stored, double(1e-6f));
      EXPECT_EQ(p.first_difference->recomputed, 0.0);
    }
    if (p.preset == "luci-uint8") {
      EXPECT_NE(p.not_applicable.find("uint8"), std::string::npos);
    }
  }
}

// A stored value the preset's rule cannot give (through rewrite_model). Any
// integer dequantizes and re-quantizes to itself, so what identify can see is
// a broken rule: a largest |q| of 126 (the scale should then be 126/127 of
// the stored one), or a bias scale other than s_in * s_w.
std::string with_edit(const std::string& path, bool bias) {
  const auto m = ModelFile::open(path);
  const Layer l = find_layers(m)[0];
  ModelEdits e;
  if (bias) {
    Quantization q = quantization_of(m.tensor(0, l.bias->data_tensor));
    q.scale[2] *= 2;
    e.tensors[{0u, l.bias->data_tensor}].quantization = q;
  } else {
    const auto ints = read_integers(m, m.tensor(0, l.filter.data_tensor));
    std::vector<std::int8_t> v(ints.begin(), ints.end());
    EXPECT_EQ(v[10], 127);  // channel 2's largest, 0.9
    v[10] = 126;
    e.tensors[{0u, l.filter.data_tensor}].data = to_bytes(v);
  }
  return write_temp(bias ? "id_edit_b.tflite" : "id_edit_w.tflite",
                    rewrite_model(m, e, Format::tflite));
}

TEST(Identify, ABrokenRuleIsTheFirstDifference) {
  const std::string q = quantized_by("tflite-converter-int8");
  const std::vector<Policy> only{find_preset("tflite-converter-int8")};
  ASSERT_EQ(identify_model(ModelFile::open(q), only).summary[0].layers_reproduced, 2);
  IdentifyReport r = identify_model(ModelFile::open(with_edit(q, false)), only);
  EXPECT_EQ(r.summary[0].layers_reproduced, 1);
  EXPECT_EQ(r.summary[0].channels_matched, 5);
  ASSERT_TRUE(r.layers[0].presets[0].first_difference);
  const IdentifyDifference w = *r.layers[0].presets[0].first_difference;
  EXPECT_EQ(w.what, "weight_scale");
  EXPECT_EQ(w.channel, 2);
  EXPECT_EQ(w.recomputed, double(float(float(126 * float(w.stored)) / 127.0f)));
  r = identify_model(ModelFile::open(with_edit(q, true)), only);
  EXPECT_EQ(r.summary[0].layers_reproduced, 1);
  ASSERT_TRUE(r.layers[0].presets[0].first_difference);
  const IdentifyDifference b = *r.layers[0].presets[0].first_difference;
  EXPECT_EQ(b.what, "bias_scale");
  EXPECT_EQ(b.channel, 2);
  EXPECT_EQ(b.stored, 2 * b.recomputed);
}

TEST(Identify, FloatModelIsBadInput) {
  const auto f = ModelFile::open(write_temp("id_f.tflite", build_synthetic_model(two_layers())));
  EXPECT_THROW(identify_model(f, presets()), InputError);
}

TEST(Identify, RealPtqModelIsTheConverters) {
  QC_REQUIRE_MODEL(path, "tf2_mobilenet_v2_1.0_224_ptq.tflite");
  const IdentifyReport r = identify_model(ModelFile::open(path), presets());
  EXPECT_EQ(r.layers.size(), 53u);
  EXPECT_EQ(r.channels, 18057);
  const auto all = r.reproduced_by_all();
  EXPECT_TRUE(contains(all, "tflite-converter-int8")) << to_text(r);
  EXPECT_FALSE(contains(all, "tflite-int8"));
  // tools/optimize reproduces every layer but those with dead channels.
  for (const PresetSummary& s : r.summary) {
    if (s.preset == "tflite-converter-int8") {
      EXPECT_EQ(s.channels_matched, 18057);
    }
    if (s.preset == "tflite-int8") {
      EXPECT_EQ(s.channels_matched, 18057 - 9);
    }
  }
  // The first convolution's dead channel 3: stored scale 1e-6.
  for (const PresetMatch& p : r.layers[0].presets)
    if (p.preset == "tflite-int8") {
      ASSERT_TRUE(p.first_difference);
      EXPECT_EQ(p.first_difference->channel, 3);
      EXPECT_EQ(p.first_difference->what, "weight_scale");
      EXPECT_EQ(p.first_difference->stored, double(1e-6f));
    }
}

TEST(Identify, RealQatModelIsNoPresets) {
  // Per-tensor narrow-range uint8 ([1, 255]): no per-channel preset can
  // have made it (docs/model-checks.md explains it with measured numbers).
  QC_REQUIRE_MODEL(path, "mobilenet_v2_1.0_224_quant.tflite");
  const IdentifyReport r = identify_model(ModelFile::open(path), presets());
  EXPECT_EQ(r.layers.size(), 53u);
  EXPECT_TRUE(r.reproduced_by_all().empty());
  for (const PresetSummary& s : r.summary) EXPECT_EQ(s.layers_reproduced, 0) << s.preset;
  for (const IdentifyLayer& l : r.layers) EXPECT_FALSE(l.per_channel);
}

TEST(IdentifyCli, FormsAndExitCodes) {
  const std::string q = quantized_by("tflite-converter-int8");
  auto r = run_cli({"identify", q});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("reproduced by: "), std::string::npos);
  EXPECT_NE(r.out.find("tflite-converter-int8"), std::string::npos);
  r = run_cli({"identify", q, "--json"});
  ASSERT_EQ(r.exit_code, 0);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["quantized_layers"], 2);
  EXPECT_TRUE(std::find(j["reproduced_by"].begin(), j["reproduced_by"].end(),
                        "tflite-converter-int8") != j["reproduced_by"].end());
  r = run_cli({"identify", q, "--markdown"});
  EXPECT_EQ(r.out.rfind("# quantcheck identify", 0), 0u);
  // Only presets that cannot have made it: exit 1.
  r = run_cli({"identify", q, "--policy", "tflite-int8", "--policy", "onnxruntime-int8"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("reproduced by: no preset"), std::string::npos);
  // Bad input: one line on stderr, exit 2.
  const auto f = write_temp("id_cli_f.tflite", build_synthetic_model(two_layers()));
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"identify", f},
           {"identify", write_temp("id_cli_bad.tflite", {1, 2, 3})},
           {"identify", q, "--policy", "no-such-policy"}}) {
    r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args[1];
    EXPECT_TRUE(r.out.empty());
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

}  // namespace
}  // namespace quantcheck::model
