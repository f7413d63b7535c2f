// Cases per second through the adapter protocol (docs/adapter-protocol.md):
// the C++ echo adapter (the protocol's cost alone: our request writer, a pipe
// round trip, the adapter's JSON parse and answer, our result parser and
// checks) and the real PyTorch adapter (observer, quantize_per_channel, qint32
// bias). Targets: >= 20,000 cases/s through echo, >= 1,000 through PyTorch.
//
//   bench_adapter --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <memory>
#include <random>

#include "quantcheck/bundled_adapters.hpp"
#include "quantcheck/external_adapter.hpp"

namespace {

using quantcheck::Case;
using quantcheck::ExternalAdapter;

// A conv2d [O, k, k, I] (or a fully connected [O, I] when k == 0) with
// weights of mixed magnitude and one bias per channel, seeded.
Case make_case(int out, int k, int in, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  Case c;
  c.op = k == 0 ? quantcheck::OpKind::fully_connected : quantcheck::OpKind::conv2d;
  c.input_scale = 1.0f / 127.0f;
  c.weight_shape =
      k == 0 ? std::vector<std::int64_t>{out, in} : std::vector<std::int64_t>{out, k, k, in};
  std::int64_t n = 1;
  for (auto d : c.weight_shape) n *= d;
  for (std::int64_t i = 0; i < n; ++i) c.weights.push_back(u(rng) * (i % 7 == 0 ? 1e-3f : 0.5f));
  for (int o = 0; o < out; ++o) c.bias.push_back(u(rng));
  return c;
}

// One adapter process per command for the whole program (PyTorch takes ~2 s to start).
ExternalAdapter* adapter(const std::string& name) {
  static std::unique_ptr<ExternalAdapter> echo, pytorch;
  auto& slot = name == "echo" ? echo : pytorch;
  if (!slot) {
    try {
      slot = std::make_unique<ExternalAdapter>(quantcheck::bundled_adapter_command(name));
    } catch (const std::exception&) {
      return nullptr;
    }
  }
  return slot.get();
}

void run(benchmark::State& state, const std::string& name, quantcheck::WeightType type) {
  ExternalAdapter* a = adapter(name);
  if (!a || !a->info().find_mode(type)) {
    state.SkipWithError(("adapter " + name + " unavailable (python3-torch?)").c_str());
    return;
  }
  const int out = static_cast<int>(state.range(0)), k = static_cast<int>(state.range(1)),
            in = static_cast<int>(state.range(2));
  std::vector<Case> cases;
  for (std::uint64_t s = 0; s < 16; ++s) cases.push_back(make_case(out, k, in, s));
  const quantcheck::AdapterMode mode = *a->info().find_mode(type);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(a->quantize(cases[i++ % cases.size()], mode));
  }
  state.counters["cases/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["weights"] = static_cast<double>(cases[0].weights.size());
}

void BM_Echo(benchmark::State& state) { run(state, "echo", quantcheck::WeightType::int8); }
void BM_PytorchInt8(benchmark::State& state) {
  run(state, "pytorch", quantcheck::WeightType::int8);
}
void BM_PytorchUint8(benchmark::State& state) {
  run(state, "pytorch", quantcheck::WeightType::uint8);
}

// {out, k, in}: FC 4x8 (32 weights), conv 4x3x3x3 (108, the property
// generators' largest), conv 16x3x3x16 (2304).
#define QC_SHAPES Args({4, 0, 8})->Args({4, 3, 3})->Args({16, 3, 16})
BENCHMARK(BM_Echo)->QC_SHAPES->UseRealTime();
BENCHMARK(BM_PytorchInt8)->QC_SHAPES->UseRealTime();
BENCHMARK(BM_PytorchUint8)->QC_SHAPES->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
