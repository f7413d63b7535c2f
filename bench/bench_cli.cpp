// The CLI as a user sees it: whole processes, start to exit, of `quantcheck
// verify` and `quantcheck check --policy NAME` on the PTQ MobileNetV2, next to
// `cat MODEL > /dev/null` in the same run as the ratio anchor (process start
// plus reading the file: the least any command on it costs), `check` once per
// preset. Targets (issue 14): verify < 50 ms, check --policy NAME < 50 ms for
// every NAME. Run with
//   --benchmark_repetitions=9 --benchmark_enable_random_interleaving=true
//   --benchmark_report_aggregates_only=true
// and read the medians. `cpu_ms` is the child's user + system time per run
// (wait4), which neighbours on a shared machine do not inflate.
// BM_QuantizeModelPeak runs `quantize-model` on a synthetic 28 MiB float model
// and reports the child's peak resident memory against the output's size
// (target: peak <= 2 x output + 64 MiB).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "quantcheck/model/synthetic.hpp"
#include "quantcheck/presets.hpp"

extern char** environ;

namespace {

const std::string kModel =
    (std::filesystem::path(QUANTCHECK_MODELS_DIR) / "tf2_mobilenet_v2_1.0_224_ptq.tflite").string();

long g_last_maxrss_kib = 0;  // the last child's peak resident set (wait4)

// Runs argv with stdout and stderr on /dev/null; returns the child's CPU
// seconds (user + system), or -1 when it did not exit with `want_exit`.
double run(const std::vector<std::string>& args, int want_exit) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1;
  int status = 0;
  struct rusage ru {};
  if (wait4(pid, &status, 0, &ru) != pid) return -1;
  g_last_maxrss_kib = ru.ru_maxrss;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != want_exit) return -1;
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

void process(benchmark::State& state, const std::vector<std::string>& args, int want_exit) {
  if (!std::filesystem::exists(kModel)) return state.SkipWithError("model not found");
  double cpu = 0;
  for (auto _ : state) {
    const double c = run(args, want_exit);
    if (c < 0) return state.SkipWithError(("failed: " + args[0] + " " + args[1]).c_str());
    cpu += c;
  }
  state.counters["cpu_ms"] = benchmark::Counter(cpu * 1e3 / double(state.iterations()));
}

void BM_CatModel(benchmark::State& s) { process(s, {"/bin/cat", kModel}, 0); }
void BM_Verify(benchmark::State& s) { process(s, {QUANTCHECK_CLI, "verify", kModel}, 0); }
// `check --policy NAME` for every preset NAME: BM_Check/<name>, registered in main().
void BM_Check(benchmark::State& s, const std::string& policy) {
  process(s, {QUANTCHECK_CLI, "check", "--policy", policy, kModel}, 0);
}

void BM_QuantizeModelPeak(benchmark::State& state) {
  const auto dir = std::filesystem::temp_directory_path();
  const std::string in = (dir / "quantcheck-bench-fc28.tflite").string();
  const std::string out = (dir / "quantcheck-bench-fc28-twin.tflite").string();
  {
    // 28 FULLY_CONNECTED layers of [512, 512] float32: 28 MiB of weights.
    const auto bytes = quantcheck::model::build_synthetic_model(
        quantcheck::model::synthetic_fc_layers(28, 512, 512, 7));
    std::ofstream(in, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
  }
  long peak = 0;
  for (auto _ : state) {
    if (run({QUANTCHECK_CLI, "quantize-model", in, "-o", out, "--policy", "reference",
             "--input-scale", "0.0078125"},
            0) < 0)
      return state.SkipWithError("quantize-model failed");
    peak = std::max(peak, g_last_maxrss_kib);
  }
  const double out_mib = double(std::filesystem::file_size(out)) / (1 << 20);
  state.counters["input_mib"] = double(std::filesystem::file_size(in)) / (1 << 20);
  state.counters["output_mib"] = out_mib;
  state.counters["peak_mib"] = double(peak) / 1024;
  state.counters["limit_mib"] = 2 * out_mib + 64;  // the target: peak_mib below this
  std::filesystem::remove(in);
  std::filesystem::remove(out);
}

}  // namespace

BENCHMARK(BM_QuantizeModelPeak)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_CatModel)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(10);
BENCHMARK(BM_Verify)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(10);

int main(int argc, char** argv) {
  for (const quantcheck::Policy& p : quantcheck::presets())
    benchmark::RegisterBenchmark(("BM_Check/" + p.name).c_str(), BM_Check, p.name)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(10);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
