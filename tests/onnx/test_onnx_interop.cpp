// ONNX Runtime 1.30 (npm onnxruntime-node, ci/fetch-onnxruntime.sh) runs the
// float oww_embedding_model.onnx and quantcheck's twins of it, through its
// JavaScript API with the machine's node: the QDQ twin (--emit-quantized)
// must load and run, `verify` of it must report 0 findings for reference,
// and the output difference per policy is printed. Skips with a message when
// node, the runtime or the model is absent.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "model_test_support.hpp"

namespace quantcheck::onnx {
namespace {

namespace fs = std::filesystem;
using model::testing::run_cli;
using model::testing::temp_path;

std::string ort_dir() {
  if (const char* e = std::getenv("QUANTCHECK_ORT_DIR")) return e;
  return QUANTCHECK_ORT_DIR;
}

// Runs node ort_run.js; returns its stdout ("" on failure, the reason in err).
std::string run_ort(const std::string& dims, const std::vector<std::string>& models,
                    std::string* err) {
  std::string cmd = "node '" QUANTCHECK_ORT_RUN_JS "' '" + ort_dir() + "' " + dims + " 7";
  for (const auto& m : models) cmd += " '" + m + "'";
  const std::string err_path = temp_path("ort_err.txt");
  cmd += " 2>'" + err_path + "'";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return "";
  std::string out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  const int rc = pclose(p);
  std::ifstream e(err_path);
  *err = std::string(std::istreambuf_iterator<char>(e), {});
  return rc == 0 ? out : "";
}

#define QC_REQUIRE_ORT()                                                                    \
  if (std::system("node --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "node not found"; \
  if (!fs::exists(ort_dir() + "/bin/napi-v6/linux/x64/libonnxruntime.so.1"))                \
  GTEST_SKIP() << "ONNX Runtime not found at " << ort_dir() << " (bash ci/fetch-onnxruntime.sh)"

TEST(OnnxInterop, OwwEmbeddingTwinsRunInOnnxRuntime) {
  QC_REQUIRE_ORT();
  QC_REQUIRE_MODEL(path, "oww_embedding_model.onnx");
  std::vector<std::string> models{path};
  const std::vector<std::string> policies{"reference",
                                          "onnxruntime-int8",
                                          "tflite-int8",
                                          "pytorch-int8-symmetric",
                                          "pytorch-uint8-affine",
                                          "reference-int16"};
  for (const auto& p : policies) {
    const std::string twin = temp_path("oww_" + p + ".onnx");
    const auto r =
        run_cli({"quantize-model", path, "-o", twin, "-p", p, "--input-scale", "0.0078740157"});
    ASSERT_LE(r.exit_code, 1) << p << ": " << r.err;
    models.push_back(twin);
  }
  const std::string qdq = temp_path("oww_qdq_reference.onnx");
  const auto q = run_cli({"quantize-model", path, "-o", qdq, "-p", "reference", "--input-scale",
                          "0.0078740157", "--emit-quantized"});
  ASSERT_EQ(q.exit_code, 0) << q.err;
  models.push_back(qdq);
  const auto v = run_cli({"verify", qdq, "--float", path});
  EXPECT_EQ(v.exit_code, 0) << v.out;
  EXPECT_NE(v.out.find("20"), std::string::npos);

  std::string err;
  const std::string out = run_ort("1,76,32,1", models, &err);
  ASSERT_FALSE(out.empty()) << "ONNX Runtime failed: " << err;
  std::istringstream lines(out);
  std::string model_path;
  std::int64_t elements = 0;
  double rel = 0;
  std::size_t i = 0;
  while (lines >> model_path >> elements >> rel) {
    ASSERT_LT(i, models.size());
    EXPECT_EQ(model_path, models[i]);
    EXPECT_EQ(elements, 96);  // [1, 1, 1, 96]
    if (i == 0) {
      EXPECT_EQ(rel, 0);
    } else {
      std::printf("oww_embedding_model %s: max|twin - float| / max|float| = %.6g\n",
                  i <= policies.size() ? policies[i - 1].c_str() : "reference (QDQ, int8 input)",
                  rel);
    }
    // Weight-only twins stay close; the QDQ twin also clips every layer input
    // to [-1, 1] (one input scale 1/127 for all layers): finite, not small.
    if (i > 0 && i <= policies.size()) {
      EXPECT_LT(rel, 0.5) << model_path;
    }
    if (i > policies.size()) {
      EXPECT_TRUE(std::isfinite(rel)) << model_path;
    }
    ++i;
  }
  EXPECT_EQ(i, models.size());
}

}  // namespace
}  // namespace quantcheck::onnx
