// `quantize-model model.onnx --emit-quantized --calibration RANGES.json`: a
// layer input named in the file gets ONNX Runtime's uint8 asymmetric
// activation parameters (onnxruntime/python/tools/quantization/quant_utils.py
// compute_scale_zp: rmin = min(lo, 0), rmax = max(hi, 0), scale = (rmax -
// rmin) / 255 in float32, zero point round(-rmin / scale)), computed here;
// other inputs keep --input-scale (INT8, zero point 0). A malformed file is
// one line and exit 2, and nothing is written.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "model_test_support.hpp"
#include "onnx_builder.hpp"
#include "quantcheck/onnx/check.hpp"
#include "quantcheck/onnx/tensor.hpp"

namespace quantcheck::onnx {
namespace {

using namespace testing;
using model::testing::run_cli;
using model::testing::temp_path;
using T = pb::TensorProto;

// x -> Conv(w [4,2,1,1], b) -> h -> Flatten -> hf -> Gemm(B [4,3], C) -> y
std::string float_model_path() {
  pb::GraphProto g;
  *g.add_initializer() =
      float_tensor("w", {4, 2, 1, 1}, {0.5f, -0.25f, 1.0f, 0.125f, -2.0f, 0.75f, 0.01f, -0.02f});
  *g.add_initializer() = float_tensor("b", {4}, {0.1f, -0.2f, 3.0f, 0.0f});
  *g.add_initializer() =
      float_tensor("B", {4, 3}, {1, 2, 3, -1, -2, -3, 0.5f, 0.25f, 0.125f, 4, 5, 6});
  *g.add_initializer() = float_tensor("C", {3}, {0.5f, 0.5f, -0.5f});
  *g.add_node() = node("Conv", {"x", "w", "b"}, {"h"});
  *g.add_node() = node("Flatten", {"h"}, {"hf"});
  *g.add_node() = node("Gemm", {"hf", "B", "C"}, {"y"});
  add_io(g, {"x"}, {"y"});
  return write_model("calib_float.onnx", make_model(g));
}

std::string write_text(const std::string& name, const std::string& text) {
  const std::string p = temp_path(name);
  std::ofstream(p) << text;
  return p;
}

struct ActParams {
  float scale = 0;
  std::int64_t zero_point = 0;
  std::int32_t type = 0;
};

ActParams activation(const OnnxFile& f, const std::string& x) {
  ActParams a;
  for (const auto& t : f.proto().graph().initializer()) {
    if (t.name() == x + "_scale") a.scale = read_floats(f, t, "s")[0];
    if (t.name() == x + "_zero_point") {
      a.zero_point = read_integers(f, t, "zp")[0];
      a.type = t.data_type();
    }
  }
  return a;
}

TEST(OnnxCalibration, RangesGiveUint8AsymmetricActivationScales) {
  const std::string fm = float_model_path();
  const std::string ranges = write_text("ranges.json", R"({"x": [-1.5, 4.5], "hf": [0.5, 2.0]})");
  const std::string out = temp_path("calib_q.onnx");
  const auto r = run_cli({"quantize-model", fm, "-o", out, "-p", "onnxruntime-int8",
                          "--input-scale", "0.02", "--emit-quantized", "--calibration", ranges});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto q = OnnxFile::open(out);
  const ActParams x = activation(q, "x");
  const float sx = (4.5f - (-1.5f)) / 255.0f;  // rmax - rmin over 255, float32
  EXPECT_EQ(x.scale, sx);
  EXPECT_EQ(x.zero_point, std::lround(1.5f / sx));  // 63.75 -> 64
  EXPECT_EQ(x.zero_point, 64);
  EXPECT_EQ(x.type, T::UINT8);
  const ActParams hf = activation(q, "hf");  // lo > 0: the range is widened to 0
  EXPECT_EQ(hf.scale, 2.0f / 255.0f);
  EXPECT_EQ(hf.zero_point, 0);
  EXPECT_EQ(hf.type, T::UINT8);
  // The biases follow the calibrated input scales (s_b = s_x s_w): verify finds nothing.
  const auto v = verify_model(q, nullptr);
  EXPECT_TRUE(v.findings.empty()) << v.findings[0].kind << ": " << v.findings[0].message;
  ASSERT_EQ(v.layers.size(), 2u);
  EXPECT_EQ(v.layers[0].input_scale, sx);
  EXPECT_EQ(v.layers[0].input_zero_point, 64);

  // Without the file, or with one naming other tensors only: --input-scale, INT8, zp 0.
  const std::string other = write_text("ranges_other.json", R"({"nothing_here": [0, 1]})");
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{}, std::vector<std::string>{"--calibration", other}}) {
    const std::string plain = temp_path("calib_plain.onnx");
    std::vector<std::string> args{
        "quantize-model",  fm, "-o", plain, "-p", "onnxruntime-int8", "--input-scale", "0.02",
        "--emit-quantized"};
    args.insert(args.end(), extra.begin(), extra.end());
    ASSERT_EQ(run_cli(args).exit_code, 0);
    const auto p = OnnxFile::open(plain);
    const ActParams px = activation(p, "x");
    EXPECT_EQ(px.scale, 0.02f);
    EXPECT_EQ(px.zero_point, 0);
    EXPECT_EQ(px.type, T::INT8);
  }
}

TEST(OnnxCalibration, MalformedFileIsOneLineAndExitTwo) {
  const std::string fm = float_model_path();
  const std::vector<std::pair<std::string, std::string>> bad{
      {"not_json.json", "{\"x\": [0, 1"},    {"not_object.json", "[[0, 1]]"},
      {"one_number.json", R"({"x": [1]})"},  {"not_numbers.json", R"({"x": ["a", "b"]})"},
      {"reversed.json", R"({"x": [2, 1]})"}, {"infinite.json", R"({"x": [0, 1e999]})"},
  };
  const std::string out = temp_path("calib_bad.onnx");
  for (const auto& [name, text] : bad) {
    std::filesystem::remove(out);
    const auto r =
        run_cli({"quantize-model", fm, "-o", out, "-p", "onnxruntime-int8", "--input-scale", "0.02",
                 "--emit-quantized", "--calibration", write_text(name, text)});
    EXPECT_EQ(r.exit_code, 2) << name << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << name << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << name;
  }
  const auto missing =
      run_cli({"quantize-model", fm, "-o", out, "-p", "onnxruntime-int8", "--input-scale", "0.02",
               "--calibration", temp_path("no_such_ranges.json")});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
}

}  // namespace
}  // namespace quantcheck::onnx
