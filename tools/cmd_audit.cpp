// `quantcheck audit`: every property against every policy (or those named),
// printed as a table (default), --markdown or --json; --replay re-runs one
// counterexample; --plot draws the bias-error cliff; --power measures how
// fast the generators find each known hazard. Exit 0 when every policy meets
// what it declares, 1 when one does not, 2 on bad usage or input.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "progress.hpp"
#include "quantcheck/adapter_audit.hpp"
#include "quantcheck/atomic_file.hpp"
#include "quantcheck/audit.hpp"
#include "quantcheck/bias_error_plot.hpp"
#include "quantcheck/case_json.hpp"
#include "quantcheck/detection_power.hpp"
#include "quantcheck/error.hpp"
#include "quantcheck/presets.hpp"
#include "quantcheck/runtime/profiles.hpp"
#include "quantcheck/runtime_properties.hpp"

namespace quantcheck::cli {
namespace {

struct AuditOptions {
  std::vector<std::string> policies;
  std::vector<std::string> properties;
  std::vector<std::string> adapters;  // external adapters (adapters/, docs/adapter-protocol.md)
  std::vector<std::string> runtimes;  // runtime profiles (default: each policy's natural ones)
  std::string seed_text;
  std::string cases_text;
  std::uint64_t seed = RunConfig{}.seed;
  int cases = RunConfig{}.cases;
  bool json = false;
  bool markdown = false;
  std::string output;
  std::string replay;
  std::string plot;
  std::string save_cases;
  bool power = false;
  int power_seeds = 100;
  double start_timeout = -1;  // seconds; < 0: the adapter library's default
};

// Repeated names count once, in the order first given.
std::vector<std::string> unique(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& n : names)
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  return out;
}

std::vector<Policy> chosen_policies(const AuditOptions& o) {
  std::vector<Policy> out;
  if (o.policies.empty()) return presets();
  for (const auto& name : o.policies) out.push_back(find_preset(name));
  return out;
}

// The chosen quantizer properties (runtime == false) or runtime properties.
std::vector<const Property*> chosen_properties(const AuditOptions& o, bool runtime) {
  std::vector<const Property*> out;
  if (o.properties.empty()) {
    for (const Property& p : runtime ? runtime_properties() : properties()) out.push_back(&p);
  } else {
    for (const auto& name : o.properties) {
      const Property& p = find_property(name);
      if (is_runtime_property(p) == runtime) out.push_back(&p);
    }
  }
  return out;
}

// A whole number in [lo, hi]; the message names the option and the value.
std::uint64_t parse_count(const std::string& option, const std::string& text, std::uint64_t lo,
                          std::uint64_t hi) {
  const std::string range = std::to_string(lo) + " to " + std::to_string(hi);
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
    throw UsageError(option + ": '" + echo(text) + "' is not a whole number (" + range + ")");
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str(), nullptr, 10);
  if (errno == ERANGE || v < lo || v > hi)
    throw UsageError(option + ": " + echo(text) + " is out of range (" + range + ")");
  return v;
}

AdapterOptions adapter_options(const AuditOptions& o) {
  AdapterOptions a;
  if (o.start_timeout >= 0)
    a.start_timeout = std::chrono::milliseconds(static_cast<long long>(o.start_timeout * 1000));
  return a;
}

// Every chosen property: the quantizer ones, then the runtime ones.
std::vector<const Property*> chosen_properties(const AuditOptions& o) {
  std::vector<const Property*> out = chosen_properties(o, false);
  for (const Property* p : chosen_properties(o, true)) out.push_back(p);
  return out;
}

void emit(const AuditOptions& o, const std::string& text) {
  if (o.output.empty())
    std::cout << text;
  else
    write_file_atomically(o.output, text);
}

bool all_finite(const Case& c) {
  if (!std::isfinite(c.input_scale)) return false;
  for (const float w : c.weights)
    if (!std::isfinite(w)) return false;
  for (const float b : c.bias)
    if (!std::isfinite(b)) return false;
  return true;
}

// --replay: one case, the chosen properties, one policy; text, --json or
// --markdown, to stdout or -o.
int replay(const AuditOptions& o) {
  if (o.policies.size() != 1) throw UsageError("--replay needs exactly one --policy");
  const Case c = case_from_json(parse_json_text(o.replay, "--replay"));
  const auto q = quantizer_for_replay(o.policies[0], o.adapters, adapter_options(o));
  int code = 0;
  if (o.runtimes.size() > 1) throw UsageError("--replay takes at most one --runtime");
  for (const std::string& name : o.runtimes) (void)find_runtime(name);
  nlohmann::json verdicts = nlohmann::json::array();
  std::ostringstream text, md;
  md << "| policy | property | status | message |\n|---|---|---|---|\n";
  for (const Property* p : chosen_properties(o)) {
    // A property about NaN and Inf says nothing about a finite case.
    const bool applies = p->input != PropertyInput::non_finite || !all_finite(c);
    Verdict v = Verdict::ok();
    bool declared = false;
    std::string where = q->name();
    if (const RuntimeCheck f = runtime_check_of(*p)) {
      const RuntimeProfile& rt =
          find_runtime(o.runtimes.empty() ? default_runtimes_for(*q).front() : o.runtimes[0]);
      if (applies) v = f(*q, rt, c);
      declared = runtime_declared(*p, q->contract(), rt);
      where += " @ " + rt.name;
    } else {
      if (applies) v = p->check(*q, c);
      declared = is_declared(*p, q->guarantees());
    }
    const char* status = !applies                            ? "not applicable"
                         : v.kind == Verdict::Kind::holds    ? "holds"
                         : v.kind == Verdict::Kind::rejected ? "rejected (InputError)"
                         : declared                          ? "FAIL"
                                                             : "hazard (not declared)";
    const std::string message =
        applies ? v.message : "the case holds no NaN or Inf; this property checks only those";
    text << where << " / " << p->name << ": " << status << "\n";
    if (!message.empty()) text << "  " << message << "\n";
    md << "| " << q->name() << " | " << p->name << " | " << status << " | " << message << " |\n";
    verdicts.push_back({{"policy", q->name()},
                        {"property", p->name},
                        {"status", status},
                        {"declared", declared},
                        {"message", message}});
    if (applies && v.failed() && declared) code = 1;
  }
  if (o.json)
    emit(o, nlohmann::json({{"case", case_to_json(c)}, {"verdicts", verdicts}}).dump(2) + "\n");
  else if (o.markdown)
    emit(o, md.str());
  else
    emit(o, text.str());
  return code;
}

// --save-cases DIR: one JSON file per counterexample, POLICY__PROPERTY.json,
// the same object as the report's cell (policy, property, counterexample):
// `quantcheck corpus add` takes it as it is.
void save_cases(const AuditReport& r, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw InputError(dir + ": cannot create: " + ec.message());
  const nlohmann::json all = audit_json(r);
  int saved = 0;
  for (const auto& cell : all["cells"]) {
    if (!cell.contains("counterexample")) continue;
    std::string name =
        cell["policy"].get<std::string>() + "__" + cell["property"].get<std::string>();
    for (char& ch : name)
      if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_') ch = '_';
    write_file_atomically((std::filesystem::path(dir) / (name + ".json")).string(),
                          cell.dump(2) + "\n");
    ++saved;
  }
  std::cerr << "quantcheck: saved " << saved << " counterexample(s) in " << dir << "\n";
}

// Options that mean nothing to a mode are refused, not ignored.
void reject_with(const char* mode, const std::vector<std::pair<const char*, bool>>& given) {
  for (const auto& [name, set] : given)
    if (set) throw UsageError(std::string(mode) + " does not take " + name);
}

void add_audit_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<AuditOptions>();
  auto* cmd = app.add_subcommand(
      "audit", "Check every property against every policy; report broken guarantees and hazards");
  cmd->add_option("--policy,-p", o->policies, "Only these policies (repeatable)");
  cmd->add_option("--property", o->properties, "Only these properties (repeatable)");
  cmd->add_option("--adapter", o->adapters,
                  "Also audit an external quantizer: a bundled adapter (pytorch, echo) or a "
                  "command speaking docs/adapter-protocol.md (repeatable)");
  cmd->add_option("--adapter-start-timeout", o->start_timeout,
                  "Seconds an adapter has to print its handshake (default 60)")
      ->check(CLI::Range(0.001, 86400.0));
  auto* seed = cmd->add_option("--seed", o->seed_text,
                               "RapidCheck seed, 0 to 18446744073709551615 (default " +
                                   std::to_string(RunConfig{}.seed) + ")");
  auto* cases = cmd->add_option("--cases", o->cases_text,
                                "Generated cases per property and policy, 1 to 1000000 (default " +
                                    std::to_string(RunConfig{}.cases) + ")");
  cmd->add_option("--runtime", o->runtimes,
                  "Check the runtime properties on these runtime profiles (repeatable; default: "
                  "each policy's natural runtimes, see `quantcheck runtimes`)");
  auto* json = cmd->add_flag("--json", o->json, "Print the report as JSON");
  cmd->add_flag("--markdown", o->markdown, "Print the report as markdown (docs/audit.md)")
      ->excludes(json);
  auto* output = cmd->add_option("-o,--output", o->output, "Write the report here (atomically)");
  auto* replay_opt =
      cmd->add_option("--replay", o->replay,
                      "Re-check one case (JSON, as printed in a report) with --policy and "
                      "--property; text, --json or --markdown, stdout or -o");
  auto* plot =
      cmd->add_option("--plot", o->plot,
                      "Only draw an SVG of relative bias error against max|w| for --policy "
                      "(default all) and --adapter modes to this file");
  auto* save = cmd->add_option("--save-cases", o->save_cases,
                               "Write each counterexample to DIR/POLICY__PROPERTY.json (for "
                               "`quantcheck corpus add`)");
  cmd->add_flag(
      "--power", o->power,
      "Only measure cases-to-first-counterexample per known hazard over --power-seeds seeds");
  auto* power_seeds = cmd->add_option("--power-seeds", o->power_seeds, "Seeds for --power")
                          ->capture_default_str()
                          ->check(CLI::Range(1, 100000));
  cmd->callback([=, &exit_code] {
    o->policies = unique(o->policies);
    o->properties = unique(o->properties);
    if (seed->count()) o->seed = parse_count("--seed", o->seed_text, 0, UINT64_MAX);
    if (cases->count())
      o->cases = static_cast<int>(parse_count("--cases", o->cases_text, 1, 1000000));
    const bool has_policy = !o->policies.empty(), has_property = !o->properties.empty();
    const bool has_adapter = !o->adapters.empty();
    if (power_seeds->count() && !o->power) throw UsageError("--power-seeds needs --power");
    // The audit passes its own seed and counts to RapidCheck; its global
    // configuration (and the line announcing it on stderr) is not used.
    load_rapidcheck_configuration_quietly();
    if (replay_opt->count()) {
      reject_with("--replay", {{"--plot", plot->count() > 0},
                               {"--power", o->power},
                               {"--save-cases", save->count() > 0},
                               {"--seed", seed->count() > 0},
                               {"--cases", cases->count() > 0}});
      exit_code = replay(*o);
      return;
    }
    if (plot->count()) {
      reject_with("--plot", {{"--property", has_property},
                             {"--power", o->power},
                             {"--json", o->json},
                             {"--markdown", o->markdown},
                             {"-o (the SVG goes to the --plot file)", output->count() > 0},
                             {"--save-cases", save->count() > 0},
                             {"--seed", seed->count() > 0},
                             {"--cases", cases->count() > 0}});
      // The presets (or those named) and every mode of every --adapter.
      std::vector<std::shared_ptr<const QuantizerUnderTest>> qs;
      for (const Policy& p : chosen_policies(*o))
        qs.push_back(std::make_shared<PolicyQuantizer>(p));
      for (auto& q : adapter_quantizers(o->adapters, adapter_options(*o)))
        qs.push_back(std::move(q));
      write_file_atomically(o->plot, bias_error_plot_svg(qs));
      std::cerr << "quantcheck: wrote " << o->plot << "\n";
      exit_code = 0;
      return;
    }
    if (o->power) {
      // The known hazards fix their own policy and property, and the seeds
      // are 1..--power-seeds.
      reject_with("--power", {{"--policy", has_policy},
                              {"--property", has_property},
                              {"--adapter", has_adapter},
                              {"--seed (it runs seeds 1..--power-seeds)", seed->count() > 0},
                              {"--markdown", o->markdown},
                              {"--save-cases", save->count() > 0}});
      Progress progress("audit --power");
      const auto rows = measure_detection_power(o->power_seeds, o->cases, std::ref(progress));
      progress.clear();
      emit(*o, o->json ? detection_power_json(rows).dump(2) + "\n" : detection_power_text(rows));
      exit_code = 0;
      return;
    }
    RunConfig cfg;
    cfg.seed = o->seed;
    cfg.cases = o->cases;
    for (const std::string& name : o->runtimes) (void)find_runtime(name);  // bad names exit 2 first
    const auto props = chosen_properties(*o, false);
    // Adapters first: one that cannot start is a usage error, found before
    // the presets' rows run. Their rows still come after the presets'.
    AuditReport adapter_rows;
    adapter_rows.config = cfg;
    adapter_rows.properties = props;
    if (has_adapter) {
      Progress progress("audit (adapters)");
      append_adapter_rows(adapter_rows, o->adapters, cfg, std::ref(progress), adapter_options(*o));
      for (const AuditCell& c : adapter_rows.cells)
        if (c.adapter.empty() && !c.outcome.error.empty())  // the row of one that never started
          throw UsageError(
              c.policy + " cannot start: " + c.outcome.error.substr(0, c.outcome.error.find('\n')));
    }
    const std::vector<Policy> policies = chosen_policies(*o);
    AuditReport r;
    {
      Progress progress("audit");
      r = run_audit(policies, props, cfg, std::ref(progress));
    }
    r.policies.insert(r.policies.end(), adapter_rows.policies.begin(), adapter_rows.policies.end());
    r.cells.insert(r.cells.end(), adapter_rows.cells.begin(), adapter_rows.cells.end());
    {
      Progress progress("audit (runtimes)");
      append_runtime_rows(r, policies, chosen_properties(*o, true), o->runtimes, cfg,
                          std::ref(progress));
    }
    rate_severity(r, policies);
    if (o->json)
      emit(*o, audit_json(r).dump(2) + "\n");
    else if (o->markdown)
      emit(*o, audit_markdown(r));
    else
      emit(*o, audit_text(r));
    if (save->count()) save_cases(r, o->save_cases);
    exit_code = r.failures() > 0 || r.errors() > 0 ? 1 : 0;
  });
}

}  // namespace

QUANTCHECK_COMMAND(30, add_audit_command);

}  // namespace quantcheck::cli
