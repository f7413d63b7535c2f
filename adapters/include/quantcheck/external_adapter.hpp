// A quantizer in another process (PyTorch, ONNX Runtime, a vendor binary),
// driven through the JSON-lines adapter protocol of docs/adapter-protocol.md:
// quantcheck starts the command once, reads its handshake line (name, modes,
// claimed guarantees), then sends one request line per case and reads one
// result line back. A malformed, late or missing result is an AdapterError
// naming the case; the process is then killed, reaped and started again for
// the next case. The results come back as quantcheck::Result with the same
// findings quantize() gives our presets, so every property applies unchanged.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "quantcheck/policy.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck {

class AdapterProcess;

// One way of quantizing the adapter offers, as its handshake declares it.
struct AdapterMode {
  std::string name;  // "int8-channel"
  WeightType weight_type = WeightType::int8;
  Granularity granularity = Granularity::per_channel;
  Scheme scheme = Scheme::symmetric;
  std::int32_t qmin = -128;
  std::int32_t qmax = 127;
  BiasType bias_type = BiasType::int32;
  Rounding rounding = Rounding::half_to_even;
  float scale_floor = 0.0f;
  std::int64_t activation_abs_max = 255;
  Guarantees guarantees;  // what the adapter claims; the properties hold it to these
  std::string preset;     // our preset restating this mode ("" when none)
  std::string api;        // free text: which API of the real quantizer it calls
};

// The handshake: who the adapter is and what it offers.
struct AdapterInfo {
  std::string name;     // "pytorch"
  std::string version;  // "1.13.0a0"
  std::vector<AdapterMode> modes;
  nlohmann::json handshake;  // the whole line, for reports

  // The mode for a weight type (and granularity, when given): the first listed
  // that matches; nullptr when there is none.
  const AdapterMode* find_mode(WeightType t, std::optional<Granularity> g = {}) const;
};

// The policy a mode declares: the knobs the checks need (integer ranges, bias
// type, rounding, floor, guarantees), named "ADAPTER:MODE". Its arithmetic
// knobs are unknown and left at their defaults: they describe no computation.
Policy declared_policy(const AdapterInfo& info, const AdapterMode& mode);

enum class AdapterFailure {
  start_failed,        // the process could not be created
  bad_handshake,       // the first line is missing, late, not JSON, or not a handshake
  malformed_response,  // not JSON, wrong id, fields missing, wrong sizes, values out of range
  timeout,             // no response within the per-case timeout
  died,                // the adapter closed its stdout or exited: the response is missing
  gave_up,             // too many failures in a row: the adapter is not restarted again
};

const char* to_string(AdapterFailure f);

// A protocol failure, with the case that caused it (the request line).
class AdapterError : public std::runtime_error {
 public:
  AdapterError(AdapterFailure kind, const std::string& message, std::string request,
               std::string stderr_tail, std::string exit);
  AdapterFailure kind() const { return kind_; }
  const std::string& request() const {
    return request_;
  }  // the request line ("" for the handshake)
  const std::string& stderr_tail() const { return stderr_tail_; }
  const std::string& exit() const { return exit_; }  // how the process ended, when it did

 private:
  AdapterFailure kind_;
  std::string request_, stderr_tail_, exit_;
};

struct AdapterOptions {
  std::chrono::milliseconds start_timeout{
      60000};                                     // start to handshake (importing torch takes ~2 s)
  std::chrono::milliseconds case_timeout{10000};  // request sent to response read
  std::chrono::milliseconds exit_grace{200};      // after a failure, time to exit before SIGKILL
  int max_consecutive_failures = 5;  // failures in a row, then AdapterFailure::gave_up for good
  int max_total_failures = 20;       // failures in all (bounds a run against a hanging adapter)
  std::size_t max_line_bytes = std::size_t{256} << 20;  // a longer response is malformed
};

// What went wrong once, kept for reports.
struct AdapterIncident {
  AdapterFailure kind;
  std::string message;
  std::string request;
  std::string stderr_tail;
  std::string exit;
};

class ExternalAdapter {
 public:
  // Starts the command (`/bin/sh -c "exec COMMAND"`) and reads its handshake;
  // throws AdapterError (start_failed / bad_handshake) when that fails.
  explicit ExternalAdapter(std::string command, AdapterOptions options = {});
  ~ExternalAdapter();
  ExternalAdapter(const ExternalAdapter&) = delete;
  ExternalAdapter& operator=(const ExternalAdapter&) = delete;

  const AdapterInfo& info() const { return info_; }
  const std::string& command() const { return command_; }

  // Quantizes one case in a mode. Throws InputError when the adapter rejects
  // the case (an "error" response, like quantize() on bad input), UsageError
  // when it has no such mode, AdapterError on a protocol failure (the process
  // is then restarted before the next case).
  Result quantize(const Case& c, const AdapterMode& mode);
  Result quantize(const Case& c, WeightType t, std::optional<Granularity> g = {});

  const std::vector<AdapterIncident>& incidents() const { return incidents_; }
  int restarts() const { return restarts_; }
  // Forgets past failures (between independent runs, e.g. two properties).
  void reset_failure_counts() {
    consecutive_failures_ = 0;
    total_failures_ = 0;
  }
  std::uint64_t requests() const { return next_id_ - 1; }

 private:
  void start(const std::string& request_for_report);
  [[noreturn]] void fail(AdapterFailure kind, const std::string& message,
                         const std::string& request);

  std::string command_;
  AdapterOptions options_;
  AdapterInfo info_;
  std::unique_ptr<AdapterProcess> process_;
  std::vector<AdapterIncident> incidents_;
  int restarts_ = 0;
  int consecutive_failures_ = 0;
  int total_failures_ = 0;
  std::uint64_t next_id_ = 1;
  std::string line_;  // reused buffers: the per-case path allocates little
  std::string request_;
};

// The layout of a case's shape (validate() without the value checks): a
// non-finite value or input scale is the adapter's to accept or reject, so it
// is sent. Throws InputError on a shape the result could not be read against.
Layout case_layout(const Case& c);

// The request line for a case (docs/adapter-protocol.md): the case JSON of
// `quantcheck quantize` plus "id", "weight_type" and "granularity". Floats are
// written with 9 significant digits, which read back to the same float32.
std::string adapter_request_line(std::uint64_t id, const Case& c, const AdapterMode& mode);

// Parses a handshake line; throws InputError saying what is wrong.
AdapterInfo parse_handshake(const std::string& line);

// Reads a result line into r for the case (validated: layout l) and mode.
// Returns false and sets *rejection when the adapter answered with an error;
// throws InputError saying what is malformed.
bool parse_adapter_result(const std::string& line, std::uint64_t id, const Case& c, const Layout& l,
                          const AdapterMode& mode, Result& r, std::string* rejection);

// Fills what the adapter does not send (dequantized values, nudged ranges,
// saturation) and the findings, exactly as quantize() does for a preset:
// declared holds the mode's integer ranges, bias type, rounding and floor.
void complete_result(const Policy& declared, const Case& c, Result& r);

}  // namespace quantcheck
