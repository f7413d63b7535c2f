// The runtime properties' cost, in one run:
//  - BM_RequantizationExact: requantization_exact on an int8 FULLY_CONNECTED
//    case of 4 channels x 64 products on tflite-x86; counter `acc_values/s`
//    (accumulator values checked per second; target >= 1,000,000);
//  - BM_AllFourProperties: one CONV_2D case of 3,600 MACs (4 channels, 3x3x16
//    filter, 5x5 SAME input) through all four runtime properties on
//    tflite-x86; target < 1 ms per case.
//
//   build/default/bench/bench_runtime --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <random>

#include "quantcheck/presets.hpp"
#include "quantcheck/runtime/profiles.hpp"
#include "quantcheck/runtime_properties.hpp"

namespace {

using namespace quantcheck;

Case make_case(OpKind op, std::vector<std::int64_t> shape, std::int64_t channels) {
  Case c;
  c.op = op;
  c.input_scale = 1.0f / 255;
  c.weight_shape = std::move(shape);
  std::int64_t n = 1;
  for (auto d : c.weight_shape) n *= d;
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 0.1f);
  for (std::int64_t i = 0; i < n; ++i) c.weights.push_back(normal(rng));
  for (std::int64_t i = 0; i < channels; ++i) c.bias.push_back(normal(rng));
  return c;
}

void BM_RequantizationExact(benchmark::State& state) {
  const Case c = make_case(OpKind::fully_connected, {4, 64}, 4);
  const PolicyQuantizer q(find_preset("reference"));
  const RuntimeProfile& r = find_runtime("tflite-x86");
  const RuntimeCheck f = runtime_check_of(find_property("requantization_exact"));
  const std::int64_t before = requantization_values_checked();
  for (auto _ : state) benchmark::DoNotOptimize(f(q, r, c));
  state.counters["acc_values/s"] = benchmark::Counter(
      static_cast<double>(requantization_values_checked() - before), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RequantizationExact)->Unit(benchmark::kMicrosecond);

void BM_AllFourProperties(benchmark::State& state) {
  // 5x5 SAME output positions (25) x 4 channels x 3*3*16 products = 14,400
  // MACs per layer run; the filter alone is 576 weights and 144 MACs per output.
  const Case c = make_case(OpKind::conv2d, {4, 3, 3, 4}, 4);
  const PolicyQuantizer q(find_preset("reference"));
  const RuntimeProfile& r = find_runtime("tflite-x86");
  for (auto _ : state)
    for (const Property& p : runtime_properties())
      benchmark::DoNotOptimize(runtime_check_of(p)(q, r, c));
  state.counters["macs_per_run"] = 16 * 4 * 36;  // (3+1)x(3+1) outputs x 4 ch x 3*3*4
}
BENCHMARK(BM_AllFourProperties)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
