// fuzz_model: model file bytes (TFL3 / CIR0 flatbuffers, or anything else) ->
// open (verifier + meaning checks), verify, check under the fuzzed presets,
// verify again. Whatever the bytes: no crash, leak, hang or UB; a bad file is
// a ModelError / InputError. Two verifications of the same file must agree,
// and no reference preset may break a guarantee it declares in check.
//
// ModelFile opens a path (it memory-maps the file), so the bytes go to one
// memfd per process, opened again through /proc/self/fd: no disk, no
// temporary files left behind.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "fuzz_support.hpp"
#include "quantcheck/error.hpp"
#include "quantcheck/model/check.hpp"
#include "quantcheck/model/model_file.hpp"
#include "quantcheck/model/verify.hpp"
#include "quantcheck/presets.hpp"

namespace {

using namespace quantcheck;

// The path of this process's scratch memfd, holding the current input.
const std::string& scratch_path(int* fd_out) {
  static int fd = -1;
  static std::string path;
  if (fd < 0) {
    fd = memfd_create("quantcheck-fuzz-model", MFD_CLOEXEC);
    if (fd < 0) fuzz::fail("memfd_create failed");
    path = "/proc/self/fd/" + std::to_string(fd);
  }
  *fd_out = fd;
  return path;
}

bool put_bytes(const std::uint8_t* data, std::size_t size, std::string* path) {
  int fd = -1;
  *path = scratch_path(&fd);
  if (ftruncate(fd, 0) != 0) return false;
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = pwrite(fd, data + done, size - done, static_cast<off_t>(done));
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// What two verifications of one file must agree on.
std::string summary(const model::VerifyReport& r) {
  std::string s = std::to_string(r.layers.size()) + "/" + std::to_string(r.channels) + "/" +
                  std::to_string(r.dead_channels) + "/" + std::to_string(r.max_abs_bias);
  for (const auto& f : r.findings)
    s += ";" + f.kind + "@" + std::to_string(f.op_index) + ":" + std::to_string(f.channel);
  return s;
}

const model::CheckOptions& check_options() {
  static const model::CheckOptions o = [] {
    model::CheckOptions opt;
    for (const Policy* p : fuzz::fuzzed_policies()) opt.policies.push_back(*p);
    return opt;
  }();
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string path;
  if (!put_bytes(data, size, &path)) fuzz::fail("cannot write the scratch memfd");
  try {
    const model::ModelFile m = model::ModelFile::open(path);
    const std::string first = summary(model::verify_model(m, nullptr));
    const model::CheckReport report = model::check_model(m, check_options());
    for (const model::LayerCheck& layer : report.layers)
      for (const model::LayerPolicyResult& r : layer.results)
        if (!r.broken.empty() && find_preset(r.policy).bias_fit == BiasFit::reference_headroom)
          fuzz::fail(r.policy + " breaks " + r.broken.front() + " in layer " + layer.layer.name);
    const std::string second = summary(model::verify_model(m, nullptr));
    if (first != second) fuzz::fail("two verifications of one file disagree");
  } catch (const InputError&) {
    // ModelError (a bad file) derives from InputError; so do rejected weights.
  }
  return 0;
}
