// Progress on a terminal: "\rLABEL: N/TOTAL, ETA 12 s" on stderr while a long
// command runs, the line cleared when it ends (or is abandoned). Nothing when
// stderr is not a terminal, so scripts and logs see no control characters.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace quantcheck::cli {

class Progress {
 public:
  // Nothing is shown before `delay` has passed: a fast run stays quiet.
  explicit Progress(std::string label, std::chrono::milliseconds delay = {})
      : delay_(delay),
        label_(std::move(label)),
        tty_(isatty(STDERR_FILENO) != 0),
        start_(std::chrono::steady_clock::now()) {}
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  ~Progress() { clear(); }

  void operator()(int done, int total) {
    if (!tty_ || total <= 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - start_ < delay_) return;
    // At most ten updates a second: the line is for a person.
    if (done < total && shown_ && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    std::string line = "\r" + label_ + ": " + std::to_string(done) + "/" + std::to_string(total);
    if (done > 0 && done < total) {
      const double eta = elapsed / done * (total - done);
      line += ", ETA " + std::to_string(static_cast<long>(eta + 0.5)) + " s";
    }
    line += "\033[K";
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
    shown_ = true;
  }

  // Erases the line (the report follows on a clean terminal).
  void clear() {
    if (!shown_) return;
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    shown_ = false;
  }

 private:
  std::chrono::milliseconds delay_;
  std::string label_;
  bool tty_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace quantcheck::cli
