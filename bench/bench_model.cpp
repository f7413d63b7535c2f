// Model checks against the targets: `check` with every preset on
// MobileNetV2 (the ptq model's dequantized weights) and on the largest float
// model, `verify` on the int8 MobileNetV2, and cost against size: a synthetic
// model and one 4x larger, in the same run (compare their times as a ratio).
// Peak memory is measured on the CLI (docs/model-checks.md, /usr/bin/time -v).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "quantcheck/model/check.hpp"
#include "quantcheck/model/synthetic.hpp"
#include "quantcheck/model/twin.hpp"
#include "quantcheck/model/verify.hpp"
#include "quantcheck/presets.hpp"

namespace {

using namespace quantcheck;
using namespace quantcheck::model;

std::string model_path(const std::string& name) {
  return (std::filesystem::path(QUANTCHECK_MODELS_DIR) / name).string();
}

std::string write_bytes(const std::string& name, const std::vector<std::uint8_t>& b) {
  const auto p = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream(p, std::ios::binary)
      .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  return p;
}

void check_all_presets(benchmark::State& state, const std::string& path) {
  if (!std::filesystem::exists(path)) {
    state.SkipWithError(("model not found: " + path).c_str());
    return;
  }
  CheckOptions o;
  o.policies = presets();
  for (auto _ : state) {
    const auto m = ModelFile::open(path);  // mapping and verification are part of the cost
    benchmark::DoNotOptimize(check_model(m, o));
  }
  state.counters["policies"] = static_cast<double>(o.policies.size());
  state.counters["bytes"] = static_cast<double>(std::filesystem::file_size(path));
  // Seconds per policy: the time of one check divided by the number of policies.
  state.counters["s_per_policy"] = benchmark::Counter(
      static_cast<double>(o.policies.size()),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_CheckMobilenetPtqDequantized(benchmark::State& s) {
  check_all_presets(s, model_path("tf2_mobilenet_v2_1.0_224_ptq.tflite"));
}
void BM_CheckPoseLandmark(benchmark::State& s) {
  check_all_presets(s, model_path("pose_landmark_lite.tflite"));
}

void BM_VerifyMobilenetPtq(benchmark::State& state) {
  const std::string path = model_path("tf2_mobilenet_v2_1.0_224_ptq.tflite");
  if (!std::filesystem::exists(path)) return state.SkipWithError("model not found");
  for (auto _ : state) {
    const auto m = ModelFile::open(path);
    benchmark::DoNotOptimize(verify_model(m, nullptr));
  }
}

// Synthetic FULLY_CONNECTED models of `layers` x [256, 512] weights: 8 layers
// (1 Mi weights, 4 MiB) and 32 (4x). Check with every preset; verify on the
// reference integer twin.
const std::string& synthetic(int layers) {
  static std::map<int, std::string> paths;
  auto& p = paths[layers];
  if (p.empty())
    p = write_bytes("quantcheck-bench-fc" + std::to_string(layers) + ".tflite",
                    build_synthetic_model(synthetic_fc_layers(layers, 256, 512, 7)));
  return p;
}

void BM_CheckSynthetic(benchmark::State& state) {
  check_all_presets(state, synthetic(static_cast<int>(state.range(0))));
}

void BM_VerifySynthetic(benchmark::State& state) {
  const auto f = ModelFile::open(synthetic(static_cast<int>(state.range(0))));
  TwinOptions o;
  o.policy = find_preset("reference");
  o.emit_quantized = true;
  const std::string q = write_bytes(
      "quantcheck-bench-fc" + std::to_string(state.range(0)) + ".q.tflite", make_twin(f, o));
  for (auto _ : state) {
    const auto m = ModelFile::open(q);
    benchmark::DoNotOptimize(verify_model(m, nullptr));
  }
}

BENCHMARK(BM_CheckMobilenetPtqDequantized)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CheckPoseLandmark)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_VerifyMobilenetPtq)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CheckSynthetic)->Arg(8)->Arg(32)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_VerifySynthetic)->Arg(8)->Arg(32)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
