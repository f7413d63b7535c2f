// One child process spoken to in lines: we write a line to its stdin and read
// one line back from its stdout, never waiting past a deadline (poll()), never
// dying of SIGPIPE when it is gone, and never leaving a zombie behind.
// The protocol on top (handshake, requests, results) is external_adapter.hpp.
#pragma once

#include <sys/types.h>
#include <chrono>
#include <string>

namespace quantcheck {

// Why a line could not be exchanged.
enum class LineStatus {
  ok,
  timeout,      // no complete line before the deadline
  closed,       // the child closed its stdout or exited (the line is missing)
  too_long,     // a line longer than the limit: the child is not speaking the protocol
  write_failed  // the child stopped reading its stdin (it died or closed it)
};

const char* to_string(LineStatus s);

class AdapterProcess {
 public:
  // Starts `/bin/sh -c "exec COMMAND"` in its own process group with its
  // stdin, stdout and stderr connected to us. Throws std::runtime_error when
  // the process cannot be created (a command that does not exist is only
  // seen later: its shell exits with 127 and the first read finds it closed).
  explicit AdapterProcess(const std::string& command);
  ~AdapterProcess();
  AdapterProcess(const AdapterProcess&) = delete;
  AdapterProcess& operator=(const AdapterProcess&) = delete;

  // Writes line plus '\n'. Waits at most until deadline when the pipe is full.
  LineStatus write_line(const std::string& line, std::chrono::steady_clock::time_point deadline);
  // Reads the next line (without '\n') into out; a line longer than max_bytes
  // is too_long.
  LineStatus read_line(std::string& out, std::chrono::steady_clock::time_point deadline,
                       std::size_t max_bytes = kMaxLine);

  // Kills the whole process group (SIGKILL) and reaps the child. Idempotent.
  void kill();
  // Closes its stdin, gives it `grace` to exit by itself, then kill(). Returns
  // how it ended: its own exit ("exit status 3", "killed by signal 11 (SIGSEGV)")
  // or "did not exit within N ms; killed".
  std::string close(std::chrono::milliseconds grace);

  // How the child ended, once it has ("exit status 3", "killed by signal 9"),
  // or "running". Reaps it if it has ended.
  std::string exit_description();
  // The last few KiB the child wrote to stderr (kept for error reports).
  const std::string& stderr_tail() const { return stderr_tail_; }
  pid_t pid() const { return pid_; }

  // Longest line accepted by default (a result for a large filter is a few MiB).
  static constexpr std::size_t kMaxLine = std::size_t{256} << 20;

 private:
  void drain_stderr();
  bool reap(bool wait);

  pid_t pid_ = -1;
  int in_fd_ = -1;   // our end of the child's stdin (a socket: send() with MSG_NOSIGNAL)
  int out_fd_ = -1;  // the child's stdout
  int err_fd_ = -1;  // the child's stderr
  bool reaped_ = false;
  int wait_status_ = 0;
  std::string buffer_;  // bytes read from stdout past the last line
  std::string stderr_tail_;
};

}  // namespace quantcheck
