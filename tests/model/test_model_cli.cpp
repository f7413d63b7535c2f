// The three commands end to end: exit codes 0/1/2, the report forms, and the
// atomic output of quantize-model.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model_test_support.hpp"

namespace quantcheck::model {
namespace {

using testing::run_cli;

TEST(ModelCli, CheckExitCodesFollowDeclaredGuarantees) {
  QC_REQUIRE_MODEL(pose, "pose_landmark_lite.tflite");
  EXPECT_EQ(run_cli({"check", pose, "--policy", "reference"}).exit_code, 0);
  const auto r = run_cli(
      {"check", pose, "--policy", "pytorch-int8-symmetric", "--policy", "reference", "--json"});
  const auto j = nlohmann::json::parse(r.out);
  // Exit 1 exactly when some policy lists a broken guarantee it declares.
  bool any_broken = false;
  for (const auto& p : j["policies"]) any_broken |= !p["broken_guarantees"].empty();
  EXPECT_EQ(j["broken"].get<bool>(), any_broken);
  EXPECT_EQ(r.exit_code, any_broken ? 1 : 0);
  EXPECT_EQ(j["policies"].size(), 2u);
  EXPECT_TRUE(j["policies"][1]["broken_guarantees"].empty());  // reference keeps its promises
  bool found = false;
  for (const auto& layer : j["layers"])
    if (layer["name"] == "model_1/model/conv2d_39/Conv2D")
      for (const auto& ch : layer["policies"][0]["channels"])
        if (ch["channel"] == 165) {
          found = true;
          EXPECT_NE(std::find(ch["findings"].begin(), ch["findings"].end(), "bias_saturated"),
                    ch["findings"].end());
          EXPECT_NEAR(ch["min_input_scale"].get<double>(), 0.01031, 5e-6);
        }
  EXPECT_TRUE(found);
}

TEST(ModelCli, CheckInputScaleOptions) {
  QC_REQUIRE_MODEL(face, "face_detection_short_range.tflite");
  auto r = run_cli({"check", face, "--policy", "reference", "--input-range", "-1,1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FLOAT_EQ(nlohmann::json::parse(r.out)["input_scale"].get<float>(), 2.0f / 255.0f);
  r = run_cli({"check", face, "--policy", "reference", "--json"});
  EXPECT_FLOAT_EQ(nlohmann::json::parse(r.out)["input_scale"].get<float>(), 1.0f / 127.0f);
  EXPECT_EQ(run_cli({"check", face, "--input-scale", "0.1", "--input-range", "0,1"}).exit_code, 2);
  EXPECT_EQ(run_cli({"check", face, "--input-scale", "0"}).exit_code, 2);
  EXPECT_EQ(run_cli({"check", face, "--input-scale", "nan"}).exit_code, 2);
  EXPECT_EQ(run_cli({"check", face, "--input-range", "1,-1"}).exit_code, 2);
  EXPECT_EQ(run_cli({"check", face, "--policy", "no-such-policy"}).exit_code, 2);
  r = run_cli({"check", face, "--policy", "reference", "--markdown"});
  EXPECT_EQ(r.out.rfind("# quantcheck check", 0), 0u);
  r = run_cli({"check", face, "--policy", "reference"});
  EXPECT_NE(r.out.find("2188 channels"), std::string::npos) << r.out;
}

TEST(ModelCli, VerifyRealModels) {
  QC_REQUIRE_MODEL(ptq, "tf2_mobilenet_v2_1.0_224_ptq.tflite");
  const auto r = run_cli({"verify", ptq, "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["dead_channels"], 9);
  EXPECT_EQ(j["max_abs_bias"], 324204896);
  EXPECT_EQ(j["layers"][0]["dead_channels"][0]["channel"], 3);
  EXPECT_EQ(j["layers"][0]["dead_channels"][0]["bias_q"], -154995744);
  const auto md = run_cli({"verify", ptq, "--markdown"});
  EXPECT_EQ(md.out.rfind("# quantcheck verify", 0), 0u);
  // A float model has nothing quantized: every layer is reported as float.
  QC_REQUIRE_MODEL(hand, "hand_landmark_lite.tflite");
  const auto h = run_cli({"verify", hand, "--json"});
  EXPECT_EQ(h.exit_code, 0);
  const auto hj = nlohmann::json::parse(h.out);
  EXPECT_EQ(hj["quantized_layers"], 0);
  std::int64_t zero = 0;
  for (const auto& l : hj["layers"]) zero += l["zero_channels"].get<std::int64_t>();
  EXPECT_EQ(zero, 1050);
}

TEST(ModelCli, QuantizeModelWritesAtomicallyAndRoundTrips) {
  QC_REQUIRE_MODEL(face, "face_detection_short_range.tflite");
  const std::string out = testing::temp_path("face_ref.tflite");
  auto r = run_cli({"quantize-model", face, "-o", out, "--policy", "reference", "--input-scale",
                    "0.0078125", "--emit-quantized"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli({"verify", out, "--float", face});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("0 findings"), std::string::npos);
  // Into a directory that does not exist: exit 2, nothing written.
  const std::string bad = testing::temp_path("no/such/dir/out.tflite");
  r = run_cli(
      {"quantize-model", face, "-o", bad, "--policy", "reference", "--input-scale", "0.01"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(bad));
  // Mismatched float model: exit 2 naming it.
  QC_REQUIRE_MODEL(hand, "hand_landmark_lite.tflite");
  r = run_cli({"verify", out, "--float", hand});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(hand), std::string::npos);
}

}  // namespace
}  // namespace quantcheck::model
