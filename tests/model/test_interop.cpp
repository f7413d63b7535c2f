// The fake-quantized twins run in a real TFLite runtime (2.9, C API, loaded
// through tests/runtime_interop/tflite_library.hpp).
// Each MediaPipe float model and its twins get the same deterministic inputs;
// the output difference per policy is reported (stdout and test properties).
// Skipped with a message when the library or the models are absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <map>

#include "model_test_support.hpp"
#include "quantcheck/model/layers.hpp"
#include "quantcheck/model/rewrite.hpp"
#include "quantcheck/model/tensor_data.hpp"
#include "quantcheck/model/twin.hpp"
#include "quantcheck/presets.hpp"
#include "tflite_library.hpp"

namespace quantcheck::model {
namespace {

using interop::kTfLiteFloat32;
using interop::TfLiteLibrary;

// Runs a model on deterministic inputs (a smooth pattern in [0, 1]); returns
// every float output concatenated, or fails the test.
std::vector<float> run(const TfLiteLibrary& t, const std::vector<std::uint8_t>& bytes) {
  std::vector<float> out;
  void* model = t.ModelCreate(bytes.data(), bytes.size());
  EXPECT_NE(model, nullptr) << "TFLite rejected the model";
  if (!model) return out;
  void* options = t.OptionsCreate();
  t.OptionsSetNumThreads(options, 1);
  void* interp = t.InterpreterCreate(model, options);
  EXPECT_NE(interp, nullptr) << "TFLite could not build an interpreter";
  if (interp) {
    EXPECT_EQ(t.AllocateTensors(interp), 0);
    for (std::int32_t i = 0; i < t.InputCount(interp); ++i) {
      void* in = t.Input(interp, i);
      EXPECT_EQ(t.TensorType(in), kTfLiteFloat32);
      std::vector<float> v(t.ByteSize(in) / 4);
      for (std::size_t k = 0; k < v.size(); ++k)
        v[k] = 0.5f + 0.5f * std::sin(0.37f * static_cast<float>(k) + static_cast<float>(i));
      EXPECT_EQ(t.CopyFrom(in, v.data(), v.size() * 4), 0);
    }
    EXPECT_EQ(t.Invoke(interp), 0);
    for (std::int32_t i = 0; i < t.OutputCount(interp); ++i) {
      const void* o = t.Output(interp, i);
      if (t.TensorType(o) != kTfLiteFloat32) continue;
      std::vector<float> v(t.ByteSize(o) / 4);
      EXPECT_EQ(t.CopyTo(o, v.data(), v.size() * 4), 0);
      out.insert(out.end(), v.begin(), v.end());
    }
    t.InterpreterDelete(interp);
  }
  t.OptionsDelete(options);
  t.ModelDelete(model);
  return out;
}

// max |a - b| / max |a|: the twin's output error relative to the output scale.
double relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size() || a.empty()) return INFINITY;
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!std::isfinite(b[i])) return INFINITY;
    diff = std::max(diff, std::fabs(double(a[i]) - double(b[i])));
    scale = std::max(scale, std::fabs(double(a[i])));
  }
  return scale > 0 ? diff / scale : diff;
}

// The float model rewritten with every filter and bias as a FLOAT32 constant
// holding exactly its float value: the rewriter alone, no quantization.
std::vector<std::uint8_t> identity_twin(const ModelFile& m) {
  ModelEdits edits;
  for (const Layer& l : find_layers(m)) {
    TensorEdit f;
    f.type = fb::TensorType_FLOAT32;
    f.data = to_bytes(filter_values(m, l));
    edits.tensors[{l.subgraph, l.filter.tensor}] = f;
    if (l.filter.dequantize_op >= 0)
      edits.removed_ops.insert({l.subgraph, static_cast<std::uint32_t>(l.filter.dequantize_op)});
    if (l.bias) {
      TensorEdit b;
      b.type = fb::TensorType_FLOAT32;
      b.data = to_bytes(bias_values(m, l));
      edits.tensors[{l.subgraph, l.bias->tensor}] = b;
      if (l.bias->dequantize_op >= 0)
        edits.removed_ops.insert({l.subgraph, static_cast<std::uint32_t>(l.bias->dequantize_op)});
    }
  }
  return rewrite_model(m, edits, Format::tflite);
}

class Interop : public ::testing::TestWithParam<const char*> {};

TEST_P(Interop, TwinsRunInTfLite) {
  std::string why;
  const TfLiteLibrary* t = interop::load_tflite_library(&why);
  if (!t) GTEST_SKIP() << why;
  QC_REQUIRE_MODEL(path, GetParam());
  const auto m = ModelFile::open(path);
  const auto original = testing::read_all(path);
  const auto reference_out = run(*t, original);
  ASSERT_FALSE(reference_out.empty());

  // The rewriter alone changes nothing the runtime computes (FLOAT16 -> FLOAT32 is exact).
  const double identity = relative_difference(reference_out, run(*t, identity_twin(m)));
  EXPECT_LT(identity, 1e-5) << "the rewritten float model computes something else";

  std::cout << GetParam() << ": output difference per policy (max |twin - float| / max |float|)\n";
  std::cout << "  " << std::left << std::setw(24) << "identity (rewrite only)" << identity << "\n";
  std::map<std::string, double> diff;
  for (const char* policy :
       {"reference", "tflite-int8", "onnxruntime-int8", "luci-uint8", "pytorch-int8-symmetric",
        "pytorch-uint8-affine", "luci-int16", "reference-int16"}) {
    TwinOptions o;
    o.policy = find_preset(policy);
    o.input_scale = 1.0f / 127.0f;
    const auto out = run(*t, make_twin(m, o));
    const double d = relative_difference(reference_out, out);
    diff[policy] = d;
    std::cout << "  " << std::left << std::setw(24) << policy << d << "\n";
    RecordProperty(std::string("diff_") + policy, std::to_string(d));
    EXPECT_EQ(out.size(), reference_out.size()) << policy;
  }
  // The reference twin computes finite outputs, and int16 weights (a grid 258x
  // finer than int8) bring the twin closer to the float model than int8 ones.
  EXPECT_TRUE(std::isfinite(diff["reference"]));
  EXPECT_LT(diff["reference-int16"], diff["reference"]);
  EXPECT_GT(diff["reference"], 0.0);  // quantization did change the weights
}

INSTANTIATE_TEST_SUITE_P(MediaPipe, Interop,
                         ::testing::Values("face_detection_short_range.tflite",
                                           "hand_landmark_lite.tflite",
                                           "pose_landmark_lite.tflite"),
                         [](const auto& info) {
                           std::string n = info.param;
                           n = n.substr(0, n.find('.'));
                           return n;
                         });

}  // namespace
}  // namespace quantcheck::model
