// The main() every fuzz target links when it is not built with a fuzzing
// engine (any compiler, g++ included): it runs LLVMFuzzerTestOneInput on each
// file given, and on every file inside each directory given, so ctest can
// replay the corpus in every build and the targets never rot.
//
//   fuzz_<target> [-mutate=N] FILE|DIR...
//
// -mutate=N also runs N chained LLVMFuzzerCustomMutator steps from each input
// (fixed seeds) when the target has a custom mutator, so the mutator is
// exercised without libFuzzer. Other -flags are ignored (libFuzzer's syntax).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);
extern "C" __attribute__((weak)) std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data,
                                                                     std::size_t size,
                                                                     std::size_t max_size,
                                                                     unsigned int seed);

namespace {

bool read_file(const std::filesystem::path& path, std::vector<std::uint8_t>& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

void run(const std::vector<std::uint8_t>& bytes) {
  // A copy sized exactly, so ASan sees any read past the end.
  std::vector<std::uint8_t> copy(bytes);
  LLVMFuzzerTestOneInput(copy.empty() ? nullptr : copy.data(), copy.size());
}

void run_mutations(const std::vector<std::uint8_t>& bytes, unsigned count, unsigned salt) {
  constexpr std::size_t kMaxSize = 4096;
  std::vector<std::uint8_t> buf(bytes);
  buf.resize(std::max(kMaxSize, bytes.size()));
  std::size_t size = bytes.size();
  for (unsigned i = 0; i < count; ++i) {
    size = LLVMFuzzerCustomMutator(buf.data(), size, buf.size(), salt * 7919u + i + 1);
    if (size > buf.size()) {
      std::fprintf(stderr, "replay: custom mutator returned %zu > max %zu\n", size, buf.size());
      std::abort();
    }
    run(std::vector<std::uint8_t>(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(size)));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  unsigned mutations = 0;
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("-mutate=", 0) == 0) {
      mutations = static_cast<unsigned>(std::stoul(arg.substr(8)));
      continue;
    }
    if (!arg.empty() && arg[0] == '-') continue;
    std::error_code ec;
    if (std::filesystem::is_directory(arg, ec)) {
      std::vector<std::filesystem::path> in_dir;
      for (const auto& e : std::filesystem::directory_iterator(arg))
        if (e.is_regular_file()) in_dir.push_back(e.path());
      std::sort(in_dir.begin(), in_dir.end());
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else if (std::filesystem::is_regular_file(arg, ec)) {
      files.emplace_back(arg);
    } else {
      std::fprintf(stderr, "replay: %s: no such file or directory\n", arg.c_str());
      return 2;
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: %s [-mutate=N] FILE|DIR...\n", argv[0]);
    return 2;
  }
  unsigned salt = 0;
  for (const auto& path : files) {
    std::vector<std::uint8_t> bytes;
    if (!read_file(path, bytes)) {
      std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
      return 2;
    }
    run(bytes);
    if (mutations > 0 && LLVMFuzzerCustomMutator) run_mutations(bytes, mutations, ++salt);
  }
  std::printf("replayed %zu inputs%s\n", files.size(),
              mutations > 0 && LLVMFuzzerCustomMutator ? " (and their mutations)" : "");
  return 0;
}
