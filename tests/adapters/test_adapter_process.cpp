// The process layer on plain shell commands: lines both ways, deadlines,
// a dead child (no SIGPIPE), exit statuses, stderr capture, no zombies.
#include <gtest/gtest.h>

#include <csignal>
#include <thread>

#include "adapter_test_support.hpp"
#include "quantcheck/adapter_process.hpp"

namespace quantcheck {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(AdapterProcess, ExchangesLinesWithCat) {
  const test::ChildWatch watch;
  {
    AdapterProcess p("cat");
    std::string line;
    for (const char* text : {"hello", "", "{\"id\":1}"}) {
      ASSERT_EQ(p.write_line(text, Clock::now() + 5s), LineStatus::ok);
      ASSERT_EQ(p.read_line(line, Clock::now() + 5s), LineStatus::ok);
      EXPECT_EQ(line, text);
    }
    EXPECT_EQ(p.close(2000ms), "exit status 0");  // cat exits on EOF by itself
  }
  EXPECT_TRUE(watch.no_new_children());
}

TEST(AdapterProcess, ReadTimesOutOnASilentChild) {
  const test::ChildWatch watch;
  {
    AdapterProcess p("sleep 30");
    std::string line;
    const auto start = Clock::now();
    EXPECT_EQ(p.read_line(line, start + 150ms), LineStatus::timeout);
    const auto waited = Clock::now() - start;
    EXPECT_GE(waited, 140ms);
    EXPECT_LT(waited, 3s);
    EXPECT_EQ(p.exit_description(), "running");
    p.kill();
    EXPECT_EQ(p.exit_description(), "killed by signal 9 (SIGKILL)");
  }
  EXPECT_TRUE(watch.no_new_children());
}

TEST(AdapterProcess, MissingCommandReadsAsClosedWithStatus127) {
  const test::ChildWatch watch;
  {
    AdapterProcess p("/nonexistent/quantcheck-adapter");
    std::string line;
    EXPECT_EQ(p.read_line(line, Clock::now() + 5s), LineStatus::closed);
    EXPECT_EQ(p.close(2000ms), "exit status 127");
    EXPECT_NE(p.stderr_tail().find("nonexistent"), std::string::npos) << p.stderr_tail();
  }
  EXPECT_TRUE(watch.no_new_children());
}

TEST(AdapterProcess, WritingToADeadChildFailsInsteadOfRaisingSigpipe) {
  const test::ChildWatch watch;
  // With the default disposition a SIGPIPE would end this test process.
  std::signal(SIGPIPE, SIG_DFL);
  {
    AdapterProcess p("true");
    std::string line;
    EXPECT_EQ(p.read_line(line, Clock::now() + 5s), LineStatus::closed);
    std::this_thread::sleep_for(50ms);
    const std::string big(1 << 20, 'x');
    LineStatus st = LineStatus::ok;
    for (int i = 0; i < 8 && st == LineStatus::ok; ++i) st = p.write_line(big, Clock::now() + 5s);
    EXPECT_EQ(st, LineStatus::write_failed);
  }
  EXPECT_TRUE(watch.no_new_children());
}

TEST(AdapterProcess, PartialLineBeforeExitIsMissing) {
  AdapterProcess p("printf abc");
  std::string line;
  EXPECT_EQ(p.read_line(line, Clock::now() + 5s), LineStatus::closed);
}

TEST(AdapterProcess, KeepsTheTailOfStderrAndTheExitStatus) {
  AdapterProcess p("sh -c 'echo first >&2; echo oops >&2; exit 5'");
  std::string line;
  EXPECT_EQ(p.read_line(line, Clock::now() + 5s), LineStatus::closed);
  EXPECT_EQ(p.close(2000ms), "exit status 5");
  EXPECT_NE(p.stderr_tail().find("oops"), std::string::npos) << p.stderr_tail();
}

TEST(AdapterProcess, ReportsTheSignalThatKilledTheChild) {
  AdapterProcess p("sh -c 'kill -SEGV $$'");
  std::string line;
  EXPECT_EQ(p.read_line(line, Clock::now() + 5s), LineStatus::closed);
  EXPECT_EQ(p.close(2000ms), "killed by signal 11 (SIGSEGV)");
}

TEST(AdapterProcess, ManyLinesInOneReadAreSplit) {
  AdapterProcess p("printf 'a\\nbb\\nccc\\n'");
  std::string line;
  for (const char* want : {"a", "bb", "ccc"}) {
    ASSERT_EQ(p.read_line(line, Clock::now() + 5s), LineStatus::ok);
    EXPECT_EQ(line, want);
  }
  EXPECT_EQ(p.read_line(line, Clock::now() + 5s), LineStatus::closed);
}

}  // namespace
}  // namespace quantcheck
