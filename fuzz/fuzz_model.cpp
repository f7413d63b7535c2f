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
#include "model_oracle.hpp"
#include "quantcheck/error.hpp"
#include "quantcheck/model/model_file.hpp"

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string path;
  if (!put_bytes(data, size, &path)) fuzz::fail("cannot write the scratch memfd");
  try {
    const model::ModelFile m = model::ModelFile::open(path);
    const std::string first = fuzz::verify_summary(model::verify_model(m, nullptr));
    fuzz::fail_if_a_reference_preset_breaks(model::check_model(m, fuzz::check_options()));
    const std::string second = fuzz::verify_summary(model::verify_model(m, nullptr));
    if (first != second) fuzz::fail("two verifications of one file disagree");
  } catch (const InputError&) {
    // ModelError (a bad file) derives from InputError; so do rejected weights.
  }
  return 0;
}
