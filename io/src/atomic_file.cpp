#include "quantcheck/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "quantcheck/error.hpp"

namespace quantcheck {
namespace {

// The file a write to path lands in: the end of its symlink chain, so the
// rename replaces the target and leaves the link in place.
std::string resolve_links(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_symlink(path, ec)) return path;
  const auto target = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : target.string();
}

// Reads fd to the end, at most `cap` bytes; `check(text, new_from)` may throw
// on the bytes just read.
template <typename Check>
std::string read_all(int fd, const std::string& where, Check check) {
  const std::size_t cap = max_input_bytes();
  std::string text;
  char chunk[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw InputError(where + ": cannot read: " + std::strerror(errno));
    }
    if (n == 0) return text;
    const std::size_t from = text.size();
    if (from + static_cast<std::size_t>(n) > cap)
      throw InputError(where + ": larger than " + std::to_string(cap >> 20) +
                       " MiB (the input limit; set QUANTCHECK_MAX_INPUT_MB to raise it)");
    text.append(chunk, static_cast<std::size_t>(n));
    check(text, from);
  }
}

template <typename Check>
std::string read_input(const std::string& path, Check check) {
  if (path == "-") return read_all(STDIN_FILENO, "standard input", check);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw InputError(path + ": is a directory, not a file");
  }
  try {
    std::string text = read_all(fd, path, check);
    ::close(fd);
    return text;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

}  // namespace

std::size_t max_input_bytes() {
  if (const char* env = std::getenv("QUANTCHECK_MAX_INPUT_MB")) {
    char* end = nullptr;
    errno = 0;
    const unsigned long long mb = std::strtoull(env, &end, 10);
    if (*env >= '0' && *env <= '9' && end && *end == '\0' && errno == 0 && mb > 0 &&
        mb < (1ull << 40))
      return static_cast<std::size_t>(mb) << 20;
  }
  return std::size_t{256} << 20;
}

void write_file_atomically(const std::string& requested, std::string_view content) {
  const std::string path = resolve_links(requested);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const auto fail = [&](const std::string& why) {
    throw std::runtime_error(requested + ": cannot write: " + why);
  };
  struct stat old {};
  const bool replacing = ::stat(path.c_str(), &old) == 0;
  if (replacing && S_ISDIR(old.st_mode)) fail("is a directory");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) fail(std::strerror(errno));
  const auto abandon = [&](int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    fail(std::strerror(err));
  };
  // The replaced file's permissions carry over (a rename would otherwise
  // leave the new file's default mode in its place).
  if (replacing && S_ISREG(old.st_mode) && ::fchmod(fd, old.st_mode & 07777) != 0) abandon(errno);
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      abandon(errno);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) abandon(errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail(std::strerror(err));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    fail(why);
  }
}

std::string read_file_or_stdin(const std::string& path) {
  return read_input(path, [](const std::string&, std::size_t) {});
}

std::string read_json_text(const std::string& path) {
  const std::string where = path == "-" ? "standard input" : path;
  bool started = false;  // the first non-space byte has been seen (and was good)
  return read_input(path, [&](const std::string& text, std::size_t from) {
    for (std::size_t i = from; i < text.size(); ++i)
      if (text[i] == '\0')
        throw InputError(where + ": not valid JSON: a NUL byte at byte " + std::to_string(i));
    if (started) return;
    std::size_t first = from;
    while (first < text.size() && std::strchr(" \t\r\n", text[first]) != nullptr) ++first;
    if (first == text.size()) return;
    started = true;
    if (text[first] != '{' && text[first] != '[') {
      char shown[8];
      const auto b = static_cast<unsigned char>(text[first]);
      std::snprintf(shown, sizeof shown, b >= 0x20 && b < 0x7f ? "'%c'" : "0x%02x", b);
      throw InputError(where + ": not valid JSON: byte " + std::to_string(first) + " is " + shown +
                       ", expected '{'");
    }
  });
}

}  // namespace quantcheck
