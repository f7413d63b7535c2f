// Model files the tests never had (issue 14, item 3), each as a synthetic
// twin built here: a sparse FLOAT16 filter through DENSIFY, a FIFO as the
// model path, quantize-model on an already-quantized model, a model whose
// layers all sit in a custom op, a float model under verify, weights rounded
// the way TFLite's float32 arithmetic rounds them, and quantized constants of
// operators quantcheck does not audit.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <flatbuffers/flatbuffers.h>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "model_test_support.hpp"
#include "quantcheck/model/model_file.hpp"
#include "quantcheck/model/rewrite.hpp"
#include "quantcheck/model/synthetic.hpp"

// The tensor lists below name only the fields they set; the rest default.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace quantcheck::model {
namespace {

using testing::run_cli;

// A minimal TFLite model, written field by field with the schema's builders.
struct MiniTensor {
  std::string name;
  std::vector<std::int32_t> shape;
  fb::TensorType type = fb::TensorType_FLOAT32;
  std::vector<std::uint8_t> data;  // empty: an activation
  std::vector<float> scale;        // quantization scales (zero points 0)
  bool sparse = false;             // Tensor.sparsity set (field 6)
};
struct MiniOp {
  std::int32_t code;   // builtin code (32: CUSTOM)
  std::string custom;  // custom_code when CUSTOM
  std::vector<std::int32_t> inputs, outputs;
};

std::vector<std::uint8_t> mini_model(const std::vector<MiniTensor>& tensors,
                                     const std::vector<MiniOp>& ops) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<fb::Buffer>> buffers{fb::CreateBuffer(b)};
  std::vector<flatbuffers::Offset<fb::Tensor>> ts;
  for (const MiniTensor& t : tensors) {
    std::uint32_t buffer = 0;
    if (!t.data.empty()) {
      b.ForceVectorAlignment(t.data.size(), 1, 16);
      buffer = static_cast<std::uint32_t>(buffers.size());
      buffers.push_back(fb::CreateBuffer(b, b.CreateVector(t.data)));
    }
    flatbuffers::Offset<fb::QuantizationParameters> q = 0;
    if (!t.scale.empty())
      q = fb::CreateQuantizationParameters(
          b, 0, 0, b.CreateVector(t.scale),
          b.CreateVector(std::vector<std::int64_t>(t.scale.size(), 0)));
    const auto sparsity = t.sparse ? fb::CreateSparsityParameters(b) : 0;
    ts.push_back(fb::CreateTensor(b, b.CreateVector(t.shape), t.type, buffer,
                                  b.CreateString(t.name), q, false, sparsity));
  }
  std::vector<flatbuffers::Offset<fb::OperatorCode>> codes;
  std::vector<flatbuffers::Offset<fb::Operator>> os;
  for (const MiniOp& o : ops) {
    const auto index = static_cast<std::uint32_t>(codes.size());
    codes.push_back(fb::CreateOperatorCode(b, static_cast<std::int8_t>(std::min(o.code, 127)),
                                           o.custom.empty() ? 0 : b.CreateString(o.custom), 1,
                                           o.code));
    os.push_back(fb::CreateOperator(b, index, b.CreateVector(o.inputs), b.CreateVector(o.outputs)));
  }
  const auto sg =
      fb::CreateSubGraph(b, b.CreateVector(ts), b.CreateVector(std::vector<int>{0}),
                         b.CreateVector(std::vector<int>{ops.empty() ? 0 : ops.back().outputs[0]}),
                         b.CreateVector(os));
  const auto m = fb::CreateModel(b, 3, b.CreateVector(codes),
                                 b.CreateVector(std::vector<flatbuffers::Offset<fb::SubGraph>>{sg}),
                                 0, b.CreateVector(buffers));
  b.Finish(m, "TFL3");
  return {b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize()};
}

template <typename T>
std::vector<std::uint8_t> bytes_of(const std::vector<T>& v) {
  std::vector<std::uint8_t> out(v.size() * sizeof(T));
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

// The file: a FLOAT16 filter [16,1,1,24] stored sparse (192 bytes,
// not the 768 its dense shape needs) feeding DENSIFY -> DEQUANTIZE -> CONV_2D,
// beside a dense FULLY_CONNECTED layer that is checked as usual.
std::vector<std::uint8_t> sparse_filter_model() {
  std::vector<MiniTensor> t = {
      {"input", {1, 4, 4, 24}},
      {"sparse_filter",
       {16, 1, 1, 24},
       fb::TensorType_FLOAT16,
       std::vector<std::uint8_t>(192, 0x3c),
       {},
       true},
      {"densified", {16, 1, 1, 24}, fb::TensorType_FLOAT16},
      {"filter", {16, 1, 1, 24}},
      {"conv_out", {1, 4, 4, 16}},
      {"fc_weights",
       {2, 3},
       fb::TensorType_FLOAT32,
       bytes_of(std::vector<float>{0.5f, -0.25f, 0.125f, 1, 2, -3})},
      {"fc_bias", {2}, fb::TensorType_FLOAT32, bytes_of(std::vector<float>{0.1f, -0.2f})},
      {"fc_out", {1, 2}},
  };
  std::vector<MiniOp> ops = {{124, "", {1}, {2}},       // DENSIFY
                             {6, "", {2}, {3}},         // DEQUANTIZE
                             {3, "", {0, 3, -1}, {4}},  // CONV_2D
                             {9, "", {4, 5, 6}, {7}}};  // FULLY_CONNECTED
  return mini_model(t, ops);
}

TEST(ModelFiles, SparseFilterIsSkippedWithANoteNotRefused) {
  const std::string path = testing::write_temp("sparse.tflite", sparse_filter_model());
  auto r = run_cli({"verify", path, "--json"});
  ASSERT_NE(r.exit_code, 2) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["float_layers"], 1);  // the FULLY_CONNECTED
  ASSERT_FALSE(j["not_audited"].empty()) << r.out;
  EXPECT_EQ(j["not_audited"][0]["op"], "DENSIFY");
  EXPECT_EQ(j["not_audited"][0]["tensor"], "sparse_filter");
  EXPECT_NE(j["not_audited"][0]["why"].get<std::string>().find("sparse"), std::string::npos);
  r = run_cli({"check", path, "--policy", "reference"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::string out = testing::temp_path("sparse_twin.tflite");
  r = run_cli(
      {"quantize-model", path, "-o", out, "--policy", "reference", "--input-scale", "0.01"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(ModelFiles, FifoAsModelPathDoesNotHang) {
  const std::string fifo = testing::temp_path("model.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const char* cmd : {"verify", "check"}) {
    const std::string line =
        std::string("timeout 20 " QUANTCHECK_CLI " ") + cmd + " " + fifo + " >/dev/null 2>&1";
    const int status = std::system(line.c_str());
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 2) << cmd << " (124: it hung until timeout killed it)";
  }
  const auto r = run_cli({"verify", fifo});
  EXPECT_NE(r.err.find("not a regular file"), std::string::npos) << r.err;
}

// An int8 model without a conv layer: a quantized ADD and a PRELU whose alpha
// is an INT8 constant, and an UNIDIRECTIONAL_SEQUENCE_LSTM-style int8 weight.
std::vector<std::uint8_t> quantized_without_layers() {
  std::vector<MiniTensor> t = {
      {"input", {1, 8}, fb::TensorType_INT8, {}, {0.05f}},
      {"alpha", {8}, fb::TensorType_INT8, std::vector<std::uint8_t>(8, 3), {0.01f}},
      {"prelu_out", {1, 8}, fb::TensorType_INT8, {}, {0.05f}},
      {"lstm_input_to_forget_weights",
       {8, 8},
       fb::TensorType_INT8,
       std::vector<std::uint8_t>(64, 1),
       {0.02f}},
      {"lstm_out", {1, 8}, fb::TensorType_INT8, {}, {0.05f}},
  };
  std::vector<MiniOp> ops = {{54, "", {0, 1}, {2}},   // PRELU
                             {44, "", {2, 3}, {4}}};  // UNIDIRECTIONAL_SEQUENCE_LSTM (operands cut)
  return mini_model(t, ops);
}

TEST(ModelFiles, QuantizeModelRefusesAnAlreadyQuantizedModelWithoutConv) {
  const std::string path = testing::write_temp("int8_noconv.tflite", quantized_without_layers());
  const std::string out = testing::temp_path("int8_noconv_twin.tflite");
  const auto r = run_cli(
      {"quantize-model", path, "-o", out, "--policy", "reference", "--input-scale", "0.01"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("already quantized"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(ModelFiles, VerifyListsQuantizedConstantsItDoesNotAudit) {
  const std::string path = testing::write_temp("int8_noconv2.tflite", quantized_without_layers());
  auto r = run_cli({"verify", path});
  EXPECT_NE(r.out.find("PRELU (operator 0): 1 quantized constant"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("UNIDIRECTIONAL_SEQUENCE_LSTM (operator 1): 1 quantized constant"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("lstm_input_to_forget_weights (INT8)"), std::string::npos) << r.out;
  r = run_cli({"verify", path, "--json"});
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["not_audited"].size(), 2u);
  EXPECT_EQ(j["not_audited"][0]["tensor"], "alpha");
}

TEST(ModelFiles, CustomOpModelAndFloatModelSaySoLoudly) {
  // An Edge TPU-style model: every layer inside one custom op.
  const std::vector<MiniTensor> t = {{"input", {1, 8}, fb::TensorType_UINT8, {}, {0.1f}},
                                     {"output", {1, 8}, fb::TensorType_UINT8, {}, {0.1f}}};
  const std::string tpu =
      testing::write_temp("edgetpu.tflite", mini_model(t, {{32, "edgetpu-custom-op", {0}, {1}}}));
  auto r = run_cli({"verify", tpu});
  EXPECT_EQ(r.out.rfind("warning: ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("edgetpu-custom-op"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("warning: "), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("largest |bias| -"), std::string::npos) << r.out;
  auto j = nlohmann::json::parse(run_cli({"verify", tpu, "--json"}).out);
  EXPECT_TRUE(j["max_abs_bias"].is_null());
  EXPECT_TRUE(j["min_weight_scale"].is_null());
  EXPECT_EQ(j["custom_ops"].size(), 1u);

  // A float model: nothing quantized to verify.
  SyntheticLayer l;
  l.filter_shape = {2, 2};
  l.weights = {0.5f, -0.5f, 0.25f, 1.0f};
  l.bias = {0.0f, 1.0f};
  const std::string flt = testing::write_temp("float.tflite", build_synthetic_model({l}));
  r = run_cli({"verify", flt});
  EXPECT_EQ(r.out.rfind("warning: no quantized layer", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("smallest weight scale -"), std::string::npos) << r.out;
  const auto md = run_cli({"verify", flt, "--markdown"});
  EXPECT_NE(md.out.find("**Warning:**"), std::string::npos) << md.out;
}

// A weight TFLite rounds with float32 arithmetic, q = round(w * (1/s)), that
// exact arithmetic would round the other way: |w - q s| is a hair over s / 2.
TEST(ModelFiles, VerifyFloatAcceptsTfliteFloat32Rounding) {
  float s = 0.0123456791f, w = 0, found_q = 0;
  // Search scales, and weights around 37.5 steps, for one where the float32
  // product rounds below 37.5 (q = 37) while the exact quotient is above it.
  for (int k = 0; k < 200 && w == 0; ++k) {
    if (k > 0) s = std::nextafter(s * 1.0001f, 1.0f);
    const float recip = 1.0f / s;
    for (float x = 37.499f * s; x < 37.501f * s && w == 0; x = std::nextafter(x, 1.0f)) {
      const float q = std::round(x * recip);
      if (std::fabs(double(x) - double(q) * double(s)) > double(s) / 2) {
        w = x;
        found_q = q;
      }
    }
  }
  ASSERT_NE(w, 0.0f) << "no such weight near 37.5 steps at this scale";
  const double steps = std::fabs(double(w) - double(found_q) * double(s)) / double(s);
  EXPECT_LT(steps, 0.5 * 1.00001) << "the test wants a float32 rounding case, not an error";
  SyntheticLayer l;
  l.filter_shape = {1, 2};
  l.weights = {w, -s};
  const auto float_bytes = build_synthetic_model({l});
  const std::string flt = testing::write_temp("round_float.tflite", float_bytes);
  const auto m = ModelFile::open(flt);
  ModelEdits edits;
  TensorEdit e;
  e.type = fb::TensorType_INT8;
  e.data = std::vector<std::uint8_t>{static_cast<std::uint8_t>(static_cast<std::int8_t>(found_q)),
                                     static_cast<std::uint8_t>(static_cast<std::int8_t>(-1))};
  Quantization q;
  q.scale = {s};
  q.zero_point = {0};
  e.quantization = q;
  // The filter is the first constant with two elements: find it by name.
  const auto& tensors = *m.model().subgraphs()->Get(0)->tensors();
  std::int32_t filter = -1;
  for (std::uint32_t i = 0; i < tensors.size(); ++i)
    if (tensors.Get(i)->shape() && tensors.Get(i)->shape()->size() == 2 &&
        tensors.Get(i)->shape()->Get(1) == 2 && !m.tensor_data(*tensors.Get(i)).empty())
      filter = static_cast<std::int32_t>(i);
  ASSERT_GE(filter, 0);
  edits.tensors[{0, filter}] = e;
  const std::string qpath =
      testing::write_temp("round_int8.tflite", rewrite_model(m, edits, Format::tflite));
  const auto r = run_cli({"verify", qpath, "--float", flt});
  EXPECT_EQ(r.out.find("weight_error"), std::string::npos) << r.out;
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

// One bias tensor shared by three FULLY_CONNECTED layers whose weights (so
// weight scales, so bias scales s_in s_w) differ: each layer of the
// --emit-quantized twin gets its own bias tensor with its own scale.
TEST(ModelFiles, SharedBiasGetsOneTensorPerLayer) {
  std::vector<MiniTensor> t = {
      {"input", {1, 2}},
      {"shared_bias", {2}, fb::TensorType_FLOAT32, bytes_of(std::vector<float>{0.3f, -0.7f})},
  };
  std::vector<MiniOp> ops;
  std::int32_t in = 0;
  for (int k = 0; k < 3; ++k) {
    const float m = 0.5f * static_cast<float>(k + 1);
    t.push_back({"fc" + std::to_string(k) + "/weights",
                 {2, 2},
                 fb::TensorType_FLOAT32,
                 bytes_of(std::vector<float>{m, -m / 3, m / 7, -m})});
    t.push_back({"fc" + std::to_string(k) + "/out", {1, 2}});
    const auto w = static_cast<std::int32_t>(t.size() - 2);
    ops.push_back({9, "", {in, w, 1}, {w + 1}});
    in = w + 1;
  }
  const std::string flt = testing::write_temp("shared_bias.tflite", mini_model(t, ops));
  const std::string out = testing::temp_path("shared_bias_int8.tflite");
  auto r = run_cli({"quantize-model", flt, "-o", out, "--policy", "reference", "--input-scale",
                    "0.0078125", "--emit-quantized"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli({"verify", out, "--float", flt, "--json"});
  const auto j = nlohmann::json::parse(r.out);
  for (const auto& f : j["findings"]) EXPECT_NE(f["kind"], "bias_scale_mismatch") << f;
  EXPECT_EQ(r.exit_code, 0) << r.out;
  // And the twin's layers each read a bias of their own.
  const auto m = ModelFile::open(out);
  std::set<std::int32_t> biases;
  for (const fb::Operator* op : *m.model().subgraphs()->Get(0)->operators())
    biases.insert(op->inputs()->Get(2));
  EXPECT_EQ(biases.size(), 3u);
  // The fake-quantized twin too (float values: each layer its own dequantized bias).
  r = run_cli(
      {"quantize-model", flt, "-o", out, "--policy", "reference", "--input-scale", "0.0078125"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace
}  // namespace quantcheck::model
