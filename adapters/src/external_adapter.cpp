// ExternalAdapter: the protocol over one AdapterProcess, restarting it after
// every failure so one bad case costs one case, not the run.
#include "quantcheck/external_adapter.hpp"

#include "quantcheck/adapter_process.hpp"
#include "quantcheck/error.hpp"

namespace quantcheck {
namespace {

// A request line in an error message: whole when short, else its head.
std::string shorten(const std::string& line) {
  constexpr std::size_t kMax = 600;
  if (line.size() <= kMax) return line;
  return line.substr(0, kMax) + "... (" + std::to_string(line.size()) + " bytes)";
}

std::string last_lines(const std::string& text) {
  constexpr std::size_t kMax = 800;
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  if (t.size() > kMax) t = "..." + t.substr(t.size() - kMax);
  return t;
}

}  // namespace

AdapterError::AdapterError(AdapterFailure kind, const std::string& message, std::string request,
                           std::string stderr_tail, std::string exit)
    : std::runtime_error(message),
      kind_(kind),
      request_(std::move(request)),
      stderr_tail_(std::move(stderr_tail)),
      exit_(std::move(exit)) {}

ExternalAdapter::ExternalAdapter(std::string command, AdapterOptions options)
    : command_(std::move(command)), options_(options) {
  start("");
}

ExternalAdapter::~ExternalAdapter() {
  if (process_) process_->close(options_.exit_grace);
}

void ExternalAdapter::fail(AdapterFailure kind, const std::string& message,
                           const std::string& request) {
  ++consecutive_failures_;
  ++total_failures_;
  std::string stderr_tail, exit;
  if (process_) {
    // Give a dying adapter a moment to finish dying, so the report says how (a
    // hanging one has had its time already).
    exit = process_->close(kind == AdapterFailure::timeout ? std::chrono::milliseconds(0)
                                                           : options_.exit_grace);
    if (kind != AdapterFailure::died && exit.rfind("did not exit", 0) == 0) exit = "killed";
    stderr_tail = last_lines(process_->stderr_tail());
    process_.reset();
  }
  std::string what = "adapter '" + command_ + "': " + to_string(kind) + ": " + message;
  if (!exit.empty()) what += " [process " + exit + "]";
  if (!request.empty()) what += "\n  case: " + shorten(request);
  if (!stderr_tail.empty()) what += "\n  adapter stderr: " + stderr_tail;
  incidents_.push_back({kind, message, request, stderr_tail, exit});
  throw AdapterError(kind, what, request, stderr_tail, exit);
}

void ExternalAdapter::start(const std::string& request_for_report) {
  if (consecutive_failures_ >= options_.max_consecutive_failures ||
      total_failures_ >= options_.max_total_failures) {
    const std::string what = "adapter '" + command_ + "': " + to_string(AdapterFailure::gave_up) +
                             ": " + std::to_string(consecutive_failures_) + " failures in a row, " +
                             std::to_string(total_failures_) + " in all; not restarting it again";
    throw AdapterError(AdapterFailure::gave_up, what, request_for_report, "", "");
  }
  try {
    process_ = std::make_unique<AdapterProcess>(command_);
  } catch (const std::runtime_error& e) {
    fail(AdapterFailure::start_failed, e.what(), request_for_report);
  }
  const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  const LineStatus st = process_->read_line(line_, deadline, options_.max_line_bytes);
  if (st != LineStatus::ok)
    fail(AdapterFailure::bad_handshake,
         st == LineStatus::timeout
             ? "no handshake line within " + std::to_string(options_.start_timeout.count()) + " ms"
             : std::string("no handshake line (") + to_string(st) + ")",
         request_for_report);
  try {
    AdapterInfo info = parse_handshake(line_);
    if (!info_.name.empty() && info.name != info_.name)
      throw InputError("handshake: restarted adapter calls itself '" + info.name + "', was '" +
                       info_.name + "'");
    info_ = std::move(info);
  } catch (const InputError& e) {
    fail(AdapterFailure::bad_handshake, std::string(e.what()) + ": " + shorten(line_),
         request_for_report);
  }
}

Result ExternalAdapter::quantize(const Case& c, WeightType t, std::optional<Granularity> g) {
  const AdapterMode* mode = info_.find_mode(t, g);
  if (!mode)
    throw UsageError("adapter " + info_.name + " has no mode for weight type " + to_string(t) +
                     (g ? " " + to_string(*g) : std::string()));
  const AdapterMode m = *mode;  // a restart may replace info_
  return quantize(c, m);
}

Result ExternalAdapter::quantize(const Case& c, const AdapterMode& mode) {
  const Layout layout = case_layout(c);  // shapes only: NaN and Inf go to the adapter
  const std::uint64_t id = next_id_++;
  request_ = adapter_request_line(id, c, mode);
  if (!process_) {
    start(request_);
    ++restarts_;
  }
  const auto deadline = std::chrono::steady_clock::now() + options_.case_timeout;
  const LineStatus wrote = process_->write_line(request_, deadline);
  if (wrote == LineStatus::timeout)
    fail(AdapterFailure::timeout,
         "the request could not be written within " +
             std::to_string(options_.case_timeout.count()) + " ms (the adapter is not reading)",
         request_);
  if (wrote != LineStatus::ok)
    fail(AdapterFailure::died, "the adapter stopped reading its input", request_);
  const LineStatus st = process_->read_line(line_, deadline, options_.max_line_bytes);
  switch (st) {
    case LineStatus::ok: break;
    case LineStatus::timeout:
      fail(AdapterFailure::timeout,
           "no response within " + std::to_string(options_.case_timeout.count()) + " ms", request_);
    case LineStatus::too_long:
      fail(AdapterFailure::malformed_response, "response line longer than the limit", request_);
    default: fail(AdapterFailure::died, "the response is missing (stdout closed)", request_);
  }

  Result r;
  std::string rejection;
  bool answered;
  try {
    answered = parse_adapter_result(line_, id, c, layout, mode, r, &rejection);
  } catch (const InputError& e) {
    fail(AdapterFailure::malformed_response,
         std::string(e.what()) + "; response: " + shorten(line_), request_);
  }
  consecutive_failures_ = 0;
  if (!answered) throw InputError("adapter " + info_.name + " rejected the case: " + rejection);
  complete_result(declared_policy(info_, mode), c, r);
  return r;
}

}  // namespace quantcheck
