// Per-channel weight quantization of a MobileNetV2-sized weight set: about
// 3.5 million floats in 1,280 output channels, beside a memcpy of the same
// bytes in the same run. Throughput is bytes of float input per second.
//
//   build/default/bench/bench_quantize --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <vector>

#include "quantcheck/presets.hpp"
#include "quantcheck/quantize.hpp"

namespace {

using namespace quantcheck;

// [1280, 1, 1, 2734] = 3,499,520 floats; values of mixed magnitude per channel.
const Case& mobilenet_sized_case() {
  static const Case c = [] {
    Case k;
    k.op = OpKind::conv2d;
    k.input_scale = 1.0f / 127.0f;
    k.weight_shape = {1280, 1, 1, 2734};
    k.weights.resize(1280 * 2734);
    std::mt19937 rng(42);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (std::size_t i = 0; i < k.weights.size(); ++i) {
      const float channel_scale = 1e-3f * static_cast<float>(1 + (i / 2734) % 100);
      k.weights[i] = normal(rng) * channel_scale;
    }
    k.bias.assign(1280, 0.25f);
    return k;
  }();
  return c;
}

void BM_Memcpy(benchmark::State& state) {
  const Case& c = mobilenet_sized_case();
  std::vector<float> out(c.weights.size());
  for (auto _ : state) {
    std::memcpy(out.data(), c.weights.data(), c.weights.size() * sizeof(float));
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * c.weights.size() * sizeof(float));
}
BENCHMARK(BM_Memcpy)->Unit(benchmark::kMillisecond);

// Scales, zero points and bias fit, then the weight loop with its findings check.
void BM_QuantizeWeights(benchmark::State& state, const char* policy) {
  const Case& c = mobilenet_sized_case();
  const Policy& p = find_preset(policy);
  const Layout l = validate(c);
  WeightResult out;
  std::vector<Finding> findings;
  for (auto _ : state) {
    findings.clear();
    const auto params = compute_weight_params(p, c, l);
    quantize_weights(p, c, l, params, out, &findings);
    benchmark::DoNotOptimize(out.q.data());
  }
  state.SetBytesProcessed(state.iterations() * c.weights.size() * sizeof(float));
}
BENCHMARK_CAPTURE(BM_QuantizeWeights, reference_int8, "reference")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_QuantizeWeights, reference_uint8, "reference-uint8")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_QuantizeWeights, reference_int16, "reference-int16")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_QuantizeWeights, luci_uint8, "luci-uint8")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_QuantizeWeights, luci_int16, "luci-int16")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_QuantizeWeights, tflite_int8, "tflite-int8")->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
