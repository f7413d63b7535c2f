// `quantcheck audit`: every property against every policy (or those named),
// printed as a table (default), --markdown or --json; --replay re-runs one
// counterexample; --plot draws the bias-error cliff; --power measures how
// fast the generators find each known hazard. Exit 0 when every policy meets
// what it declares, 1 when one does not, 2 on bad usage or input.
#include <unistd.h>

#include <iostream>

#include "commands.hpp"
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
  std::uint64_t seed = RunConfig{}.seed;
  int cases = RunConfig{}.cases;
  bool json = false;
  bool markdown = false;
  std::string output;
  std::string replay;
  std::string plot;
  bool power = false;
  int power_seeds = 100;
};

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

// --replay: one case, the chosen properties, one policy.
int replay(const AuditOptions& o) {
  if (o.policies.size() != 1) throw UsageError("--replay needs exactly one --policy");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(o.replay);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(std::string("--replay: not valid JSON: ") + e.what());
  }
  const Case c = case_from_json(j);
  const auto q = quantizer_for_replay(o.policies[0], o.adapters);  // a preset or an adapter mode
  int code = 0;
  if (o.runtimes.size() > 1) throw UsageError("--replay takes at most one --runtime");
  for (const std::string& name : o.runtimes) (void)find_runtime(name);
  for (const Property* p : chosen_properties(o)) {
    Verdict v;
    bool declared = false;
    if (const RuntimeCheck f = runtime_check_of(*p)) {
      const RuntimeProfile& rt =
          find_runtime(o.runtimes.empty() ? default_runtimes_for(*q).front() : o.runtimes[0]);
      v = f(*q, rt, c);
      declared = runtime_declared(*p, q->contract(), rt);
      std::cout << "[" << rt.name << "] ";
    } else {
      v = p->check(*q, c);
      declared = is_declared(*p, q->guarantees());
    }
    const char* status = v.kind == Verdict::Kind::holds      ? "holds"
                         : v.kind == Verdict::Kind::rejected ? "rejected (InputError)"
                         : declared                          ? "FAIL"
                                                             : "hazard (not declared)";
    std::cout << q->name() << " / " << p->name << ": " << status << "\n";
    if (!v.message.empty()) std::cout << "  " << v.message << "\n";
    if (v.failed() && declared) code = 1;
  }
  return code;
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
  cmd->add_option("--runtime", o->runtimes,
                  "Check the runtime properties on these runtime profiles (repeatable; default: "
                  "each policy's natural runtimes, see `quantcheck runtimes`)");
  cmd->add_option("--seed", o->seed, "RapidCheck seed")->capture_default_str();
  cmd->add_option("--cases", o->cases, "Generated cases per property and policy")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  auto* json = cmd->add_flag("--json", o->json, "Print the report as JSON");
  cmd->add_flag("--markdown", o->markdown, "Print the report as markdown (docs/audit.md)")
      ->excludes(json);
  cmd->add_option("-o,--output", o->output, "Write the report here (atomically)");
  cmd->add_option("--replay", o->replay,
                  "Re-check one case (JSON, as printed in a report) with --policy and --property");
  cmd->add_option("--plot", o->plot,
                  "Write an SVG of relative bias error against max|w| per policy to this file");
  cmd->add_flag("--power", o->power,
                "Measure cases-to-first-counterexample per known hazard over --power-seeds seeds");
  cmd->add_option("--power-seeds", o->power_seeds, "Seeds for --power")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->callback([o, &exit_code] {
    // The audit passes its own seed and counts to RapidCheck; its global
    // configuration (and the line announcing it on stderr) is not used.
    load_rapidcheck_configuration_quietly();
    if (!o->replay.empty()) {
      exit_code = replay(*o);
      return;
    }
    if (!o->plot.empty()) {
      // The presets (or those named) and every mode of every --adapter.
      std::vector<std::shared_ptr<const QuantizerUnderTest>> qs;
      for (const Policy& p : chosen_policies(*o))
        qs.push_back(std::make_shared<PolicyQuantizer>(p));
      for (auto& q : adapter_quantizers(o->adapters)) qs.push_back(std::move(q));
      write_file_atomically(o->plot, bias_error_plot_svg(qs));
      std::cerr << "quantcheck: wrote " << o->plot << "\n";
      exit_code = 0;
      return;
    }
    if (o->power) {
      const auto rows = measure_detection_power(o->power_seeds, o->cases);
      emit(*o, o->json ? detection_power_json(rows).dump(2) + "\n" : detection_power_text(rows));
      exit_code = 0;
      return;
    }
    RunConfig cfg;
    cfg.seed = o->seed;
    cfg.cases = o->cases;
    const bool tty = isatty(STDERR_FILENO) != 0;
    const auto progress = [tty](int done, int total) {
      if (!tty) return;
      std::cerr << "\raudit: " << done << "/" << total << " checks" << (done == total ? "\n" : "")
                << std::flush;
    };
    for (const std::string& name : o->runtimes) (void)find_runtime(name);  // bad names exit 2 first
    const std::vector<Policy> policies = chosen_policies(*o);
    AuditReport r = run_audit(policies, chosen_properties(*o, false), cfg, progress);
    append_adapter_rows(r, o->adapters, cfg, progress);
    append_runtime_rows(r, policies, chosen_properties(*o, true), o->runtimes, cfg, progress);
    rate_severity(r, policies);
    if (o->json)
      emit(*o, audit_json(r).dump(2) + "\n");
    else if (o->markdown)
      emit(*o, audit_markdown(r));
    else
      emit(*o, audit_text(r));
    exit_code = r.failures() > 0 || r.errors() > 0 ? 1 : 0;
  });
}

}  // namespace

QUANTCHECK_COMMAND(30, add_audit_command);

}  // namespace quantcheck::cli
