// Deliberately broken adapters (adapters/testing/broken_adapter.py): each
// fault is reported as an AdapterError of the right kind naming the case that
// caused it, the adapter is restarted, the next case works, nothing hangs and
// no child process is left behind.
#include <gtest/gtest.h>

#include "adapter_test_support.hpp"
#include "quantcheck/error.hpp"
#include "quantcheck/external_adapter.hpp"

namespace quantcheck {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

AdapterOptions quick() {
  AdapterOptions o;
  o.start_timeout = 10s;
  o.case_timeout = 500ms;
  o.max_line_bytes = 1 << 20;  // huge-line sends 4 MiB
  return o;
}

// Runs cases 1, 2 (fine), 3 (the fault) and 4 (after the restart).
void expect_third_case_fails(const std::string& fault, AdapterFailure kind,
                             const std::string& says) {
  SCOPED_TRACE(fault);
  const test::ChildWatch watch;
  {
    ExternalAdapter a(test::broken_adapter(fault), quick());
    EXPECT_EQ(a.info().name, "broken-" + fault);
    EXPECT_NO_THROW(a.quantize(test::small_case(1), WeightType::int8));
    EXPECT_NO_THROW(a.quantize(test::small_case(2), WeightType::int8));
    const Case third = test::small_case(3, 0.125f);
    const auto start = Clock::now();
    try {
      a.quantize(third, WeightType::int8);
      ADD_FAILURE() << "the fault was not reported";
    } catch (const AdapterError& e) {
      EXPECT_EQ(e.kind(), kind) << e.what();
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
      // The report names the case: its request line, which reads back as `third`.
      EXPECT_EQ(e.request(), adapter_request_line(3, third, *a.info().find_mode(WeightType::int8)));
      EXPECT_NE(std::string(e.what()).find("\"input_scale\":0.125"), std::string::npos);
    }
    EXPECT_LT(Clock::now() - start, 5s);
    ASSERT_EQ(a.incidents().size(), 1u);
    EXPECT_EQ(a.incidents()[0].kind, kind);
    // Restarted: the next case is answered by a fresh process.
    const Result r = a.quantize(test::small_case(4), WeightType::int8);
    EXPECT_EQ(r.weights.q.size(), 8u);
    EXPECT_EQ(a.restarts(), 1);
  }
  EXPECT_TRUE(watch.no_new_children());
}

TEST(BrokenAdapter, BadJsonIsReportedWithTheCase) {
  expect_third_case_fails("bad-json", AdapterFailure::malformed_response, "not JSON");
}

TEST(BrokenAdapter, CrashOnTheThirdCaseIsReportedWithTheCase) {
  expect_third_case_fails("crash-third", AdapterFailure::died, "killed by signal 11 (SIGSEGV)");
}

TEST(BrokenAdapter, CrashReportCarriesTheAdapterStderr) {
  ExternalAdapter a(test::broken_adapter("crash-third"), quick());
  a.quantize(test::small_case(), WeightType::int8);
  a.quantize(test::small_case(), WeightType::int8);
  try {
    a.quantize(test::small_case(), WeightType::int8);
    ADD_FAILURE();
  } catch (const AdapterError& e) {
    EXPECT_NE(e.stderr_tail().find("crashing on case 3"), std::string::npos) << e.what();
    EXPECT_EQ(e.exit(), "killed by signal 11 (SIGSEGV)");
  }
}

TEST(BrokenAdapter, HangIsATimeoutNotAHang) {
  expect_third_case_fails("hang-third", AdapterFailure::timeout, "no response within 500 ms");
}

TEST(BrokenAdapter, AnswerToAnotherRequestIsMalformed) {
  expect_third_case_fails("wrong-id", AdapterFailure::malformed_response,
                          "answers another request");
}

TEST(BrokenAdapter, WrongSizeIsMalformed) {
  expect_third_case_fails("short-q", AdapterFailure::malformed_response,
                          "weights.q: 5 values, expected 6");
}

TEST(BrokenAdapter, OverlongLineIsMalformed) {
  expect_third_case_fails("huge-line", AdapterFailure::malformed_response, "longer than the limit");
}

TEST(BrokenAdapter, ClosedOutputIsAMissingResponse) {
  const test::ChildWatch watch;
  {
    ExternalAdapter a(test::broken_adapter("close-stdin"), quick());
    a.quantize(test::small_case(), WeightType::int8);
    a.quantize(test::small_case(), WeightType::int8);
    try {
      a.quantize(test::small_case(), WeightType::int8);
      ADD_FAILURE();
    } catch (const AdapterError& e) {
      EXPECT_EQ(e.kind(), AdapterFailure::died) << e.what();
    }
    EXPECT_NO_THROW(a.quantize(test::small_case(), WeightType::int8));
  }
  EXPECT_TRUE(watch.no_new_children());
}

TEST(BrokenAdapter, StderrFloodDoesNotBlockIt) {
  ExternalAdapter a(test::broken_adapter("stderr-flood"), quick());
  for (int i = 0; i < 5; ++i) EXPECT_NO_THROW(a.quantize(test::small_case(), WeightType::int8));
  EXPECT_TRUE(a.incidents().empty());
}

void expect_start_fails(const std::string& fault, const std::string& says) {
  const test::ChildWatch watch;
  SCOPED_TRACE(fault);
  {
    const auto start = Clock::now();
    try {
      ExternalAdapter a(test::broken_adapter(fault), quick());
      ADD_FAILURE() << "started";
    } catch (const AdapterError& e) {
      EXPECT_EQ(e.kind(), AdapterFailure::bad_handshake) << e.what();
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
    EXPECT_LT(Clock::now() - start, 15s);
  }
  EXPECT_TRUE(watch.no_new_children());
}

TEST(BrokenAdapter, ExitBeforeHandshake) { expect_start_fails("no-handshake", "exit status 4"); }
TEST(BrokenAdapter, NotAHandshake) {
  expect_start_fails("bad-handshake", "missing field 'protocol'");
}

TEST(BrokenAdapter, SilentAtStartIsATimeout) {
  const test::ChildWatch watch;
  AdapterOptions o = quick();
  o.start_timeout = 300ms;
  try {
    ExternalAdapter a(test::broken_adapter("hang-handshake"), o);
    ADD_FAILURE();
  } catch (const AdapterError& e) {
    EXPECT_EQ(e.kind(), AdapterFailure::bad_handshake);
    EXPECT_NE(std::string(e.what()).find("no handshake line within 300 ms"), std::string::npos);
  }
  EXPECT_TRUE(watch.no_new_children());
}

TEST(BrokenAdapter, MissingCommand) {
  const test::ChildWatch watch;
  try {
    ExternalAdapter a("/nonexistent/adapter --flag", quick());
    ADD_FAILURE();
  } catch (const AdapterError& e) {
    EXPECT_EQ(e.kind(), AdapterFailure::bad_handshake);
    EXPECT_NE(std::string(e.what()).find("exit status 127"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(watch.no_new_children());
}

// A hang on every third case: every hang costs one timeout, and after the
// total-failure budget the adapter is given up instead of hanging the run.
TEST(BrokenAdapter, RepeatedHangsEndInGivingUp) {
  const test::ChildWatch watch;
  AdapterOptions o = quick();
  o.case_timeout = 100ms;
  o.max_total_failures = 3;
  {
    ExternalAdapter a(test::broken_adapter("hang-third"), o);
    int timeouts = 0, gave_up = 0, ok = 0;
    for (int i = 0; i < 20; ++i) {
      try {
        a.quantize(test::small_case(), WeightType::int8);
        ++ok;
      } catch (const AdapterError& e) {
        (e.kind() == AdapterFailure::gave_up ? gave_up : timeouts) += 1;
      }
    }
    EXPECT_EQ(timeouts, 3);
    EXPECT_EQ(ok, 6);
    EXPECT_EQ(gave_up, 11);
  }
  EXPECT_TRUE(watch.no_new_children());
}

TEST(BrokenAdapter, UnknownModeIsAUsageErrorAndNoIncident) {
  ExternalAdapter a(std::string("'") + python3() + "' '" + adapters_source_dir() +
                        "/testing/broken_adapter.py' ok",
                    quick());
  EXPECT_THROW(a.quantize(test::small_case(), WeightType::uint8), UsageError);  // no such mode
  EXPECT_TRUE(a.incidents().empty());
}

}  // namespace
}  // namespace quantcheck
