// The child process behind an external adapter. Everything that can block is
// bounded by a deadline through poll(); the child's stdin is one end of a
// socketpair so a write to a dead child fails with EPIPE (send with
// MSG_NOSIGNAL) instead of raising SIGPIPE in the whole program; the child is
// always reaped with waitpid so no zombie is left, and it runs in its own
// process group so a kill also reaches anything it started.
#include "quantcheck/adapter_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace quantcheck {
namespace {

constexpr std::size_t kStderrTail = 4096;

std::string system_error(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

void set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

// Milliseconds left until deadline for poll(), at least 0.
int poll_timeout(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
  if (left <= 0) return 0;
  return left > 1000000 ? 1000000 : static_cast<int>(left) + 1;
}

}  // namespace

const char* to_string(LineStatus s) {
  switch (s) {
    case LineStatus::ok: return "ok";
    case LineStatus::timeout: return "timeout";
    case LineStatus::closed: return "closed";
    case LineStatus::too_long: return "too_long";
    case LineStatus::write_failed: return "write_failed";
  }
  return "?";
}

AdapterProcess::AdapterProcess(const std::string& command) {
  int in_pair[2], out_pipe[2], err_pipe[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0)
    throw std::runtime_error(system_error("adapter: socketpair"));
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    const std::string e = system_error("adapter: pipe");
    ::close(in_pair[0]);
    ::close(in_pair[1]);
    throw std::runtime_error(e);
  }
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    const std::string e = system_error("adapter: pipe");
    for (int fd : {in_pair[0], in_pair[1], out_pipe[0], out_pipe[1]}) ::close(fd);
    throw std::runtime_error(e);
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pair[1], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);

  // Own process group (killed as a whole), default signal dispositions and an
  // empty mask: the adapter must not inherit an ignored SIGPIPE or SIGTERM.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  // exec: the shell replaces itself with the adapter, so pid_ is the adapter.
  const std::string script = "exec " + command;
  const char* argv[] = {"/bin/sh", "-c", script.c_str(), nullptr};
  const int rc =
      ::posix_spawn(&pid_, "/bin/sh", &actions, &attr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(in_pair[1]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  in_fd_ = in_pair[0];
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  if (rc != 0) {
    pid_ = -1;
    reaped_ = true;
    close_fd(in_fd_);
    close_fd(out_fd_);
    close_fd(err_fd_);
    throw std::runtime_error(std::string("adapter: cannot start /bin/sh: ") + std::strerror(rc));
  }
  set_nonblocking(out_fd_);
  set_nonblocking(err_fd_);
}

AdapterProcess::~AdapterProcess() { kill(); }

void AdapterProcess::drain_stderr() {
  if (err_fd_ < 0) return;
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::read(err_fd_, chunk, sizeof chunk);
    if (n > 0) {
      stderr_tail_.append(chunk, static_cast<std::size_t>(n));
      if (stderr_tail_.size() > 2 * kStderrTail)
        stderr_tail_.erase(0, stderr_tail_.size() - kStderrTail);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) close_fd(err_fd_);  // the child closed stderr (or exited)
    return;
  }
}

LineStatus AdapterProcess::write_line(const std::string& line,
                                      std::chrono::steady_clock::time_point deadline) {
  if (in_fd_ < 0) return LineStatus::write_failed;
  static const char newline = '\n';
  std::size_t sent = 0;
  const std::size_t total = line.size() + 1;
  while (sent < total) {
    iovec iov[2];
    int count = 0;
    if (sent < line.size()) {
      iov[count++] = {const_cast<char*>(line.data()) + sent, line.size() - sent};
      iov[count++] = {const_cast<char*>(&newline), 1};
    } else {
      iov[count++] = {const_cast<char*>(&newline), 1};
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<decltype(msg.msg_iovlen)>(count);
    const ssize_t n = ::sendmsg(in_fd_, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return LineStatus::write_failed;  // EPIPE
    // The child is not reading: wait for room, keep its stderr flowing.
    pollfd fds[2] = {{in_fd_, POLLOUT, 0}, {err_fd_, POLLIN, 0}};
    const int nfds = err_fd_ >= 0 ? 2 : 1;
    const int timeout = poll_timeout(deadline);
    if (timeout == 0) return LineStatus::timeout;
    const int r = ::poll(fds, nfds, timeout);
    if (r < 0 && errno != EINTR) return LineStatus::write_failed;
    if (nfds == 2 && fds[1].revents) drain_stderr();
    if (fds[0].revents & (POLLERR | POLLHUP)) return LineStatus::write_failed;
  }
  return LineStatus::ok;
}

LineStatus AdapterProcess::read_line(std::string& out,
                                     std::chrono::steady_clock::time_point deadline,
                                     std::size_t max_bytes) {
  std::size_t scanned = 0;
  for (;;) {
    const std::size_t nl = buffer_.find('\n', scanned);
    if (nl != std::string::npos) {
      out.assign(buffer_, 0, nl);
      buffer_.erase(0, nl + 1);
      return LineStatus::ok;
    }
    scanned = buffer_.size();
    if (buffer_.size() > max_bytes) return LineStatus::too_long;
    if (out_fd_ < 0) return LineStatus::closed;

    // Wait for output (poll first: the answer is rarely there already, and a
    // read that finds nothing is one more system call per case).
    pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
    const int nfds = err_fd_ >= 0 ? 2 : 1;
    const int r = ::poll(fds, nfds, poll_timeout(deadline));
    if (r < 0 && errno != EINTR) return LineStatus::closed;
    if (nfds == 2 && fds[1].revents) drain_stderr();
    if (r > 0 && fds[0].revents) {
      char chunk[65536];
      const ssize_t n = ::read(out_fd_, chunk, sizeof chunk);
      if (n > 0) {
        buffer_.append(chunk, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0 || (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)) {
        // EOF: the child closed stdout or exited; a partial line is missing too
        close_fd(out_fd_);
        drain_stderr();
        return LineStatus::closed;
      }
      continue;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      drain_stderr();
      return LineStatus::timeout;
    }
  }
}

bool AdapterProcess::reap(bool wait) {
  if (reaped_) return true;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, wait ? 0 : WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      wait_status_ = status;
      return true;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {  // ECHILD: somebody else reaped it (a SIGCHLD handler); nothing left to wait for
      reaped_ = true;
      wait_status_ = -1;
      return true;
    }
    return false;  // still running
  }
}

void AdapterProcess::kill() {
  if (pid_ > 0 && !reaped_) {
    ::kill(-pid_, SIGKILL);  // the group: the adapter and anything it started
    ::kill(pid_, SIGKILL);   // in case it left the group
    reap(true);
  }
  close_fd(in_fd_);
  drain_stderr();
  close_fd(out_fd_);
  close_fd(err_fd_);
}

std::string AdapterProcess::close(std::chrono::milliseconds grace) {
  close_fd(in_fd_);  // EOF on its stdin: a well-behaved adapter exits now
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (pid_ > 0 && !reap(false) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::string how = reaped_
                        ? exit_description()
                        : "did not exit within " + std::to_string(grace.count()) + " ms; killed";
  kill();
  return how;
}

std::string AdapterProcess::exit_description() {
  if (pid_ <= 0) return "not started";
  if (!reap(false)) return "running";
  if (wait_status_ == -1) return "ended (status unknown)";
  if (WIFEXITED(wait_status_)) return "exit status " + std::to_string(WEXITSTATUS(wait_status_));
  if (WIFSIGNALED(wait_status_)) {
    const int sig = WTERMSIG(wait_status_);
    const char* name = ::sigabbrev_np(sig);
    return "killed by signal " + std::to_string(sig) +
           (name ? std::string(" (SIG") + name + ")" : "");
  }
  return "ended";
}

}  // namespace quantcheck
