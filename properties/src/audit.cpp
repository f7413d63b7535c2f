// run_audit and its three renderings.
#include "quantcheck/audit.hpp"

#include <algorithm>
#include <iomanip>
#include <sstream>

#include "quantcheck/case_json.hpp"
#include "quantcheck/runtime/profiles.hpp"
#include "quantcheck/runtime_properties.hpp"

namespace quantcheck {

const char* AuditCell::status() const {
  if (!outcome.error.empty()) return "error";
  if (!outcome.found) return "holds";
  return declared ? "FAIL" : "hazard";
}

int AuditReport::failures() const {
  int n = 0;
  for (const auto& c : cells) n += c.failed();
  for (const auto& c : runtime_cells) n += c.failed();
  return n;
}
int AuditReport::hazards() const {
  int n = 0;
  for (const auto& c : cells) n += c.hazard();
  for (const auto& c : runtime_cells) n += c.hazard();
  return n;
}
int AuditReport::errors() const {
  int n = 0;
  for (const auto& c : cells) n += !c.outcome.error.empty();
  for (const auto& c : runtime_cells) n += !c.outcome.error.empty();
  return n;
}

AuditReport run_audit(const std::vector<Policy>& policies,
                      const std::vector<const Property*>& props, const RunConfig& cfg,
                      const std::function<void(int, int)>& progress) {
  AuditReport r;
  r.config = cfg;
  r.properties = props;
  const int total = static_cast<int>(policies.size() * props.size());
  int done = 0;
  for (const Policy& p : policies) {
    r.policies.push_back(p.name);
    const PolicyQuantizer q(p);
    for (const Property* prop : props) {
      AuditCell cell;
      cell.policy = p.name;
      cell.property = prop;
      cell.declared = is_declared(*prop, p.guarantees);
      cell.outcome = run_property(*prop, q, cfg);
      r.cells.push_back(std::move(cell));
      if (progress) progress(++done, total);
    }
  }
  return r;
}

void append_runtime_rows(AuditReport& r, const std::vector<Policy>& policies,
                         const std::vector<const Property*>& props,
                         const std::vector<std::string>& runtimes, const RunConfig& cfg,
                         const std::function<void(int, int)>& progress) {
  if (props.empty()) return;
  r.runtime_properties = props;
  std::vector<std::pair<const Policy*, const RuntimeProfile*>> pairs;
  for (const Policy& p : policies) {
    const Contract k = contract_of(p);
    for (const std::string& name : runtimes.empty() ? natural_runtimes(p) : runtimes) {
      const RuntimeProfile& rt = find_runtime(name);
      if (runtime_supports(rt, k)) pairs.emplace_back(&p, &rt);
    }
  }
  const int total = static_cast<int>(pairs.size() * props.size());
  int done = 0;
  for (const auto& [policy, rt] : pairs) {
    r.runtime_rows.emplace_back(policy->name, rt->name);
    const PolicyQuantizer q(*policy);
    const Contract k = q.contract();
    for (const Property* prop : props) {
      AuditCell cell;
      cell.policy = policy->name;
      cell.runtime = rt->name;
      cell.property = prop;
      cell.declared = runtime_declared(*prop, k, *rt);
      cell.outcome = run_runtime_property(*prop, q, *rt, cfg);
      r.runtime_cells.push_back(std::move(cell));
      if (progress) progress(++done, total);
    }
  }
}

void rate_severity(AuditReport& r, const std::vector<Policy>& policies) {
  auto policy_named = [&](const std::string& name) -> const Policy* {
    for (const Policy& p : policies)
      if (p.name == name) return &p;
    return nullptr;
  };
  auto rate = [&](AuditCell& c, const std::string& runtime) {
    if (!c.outcome.found || !c.adapter.empty()) return;
    const Policy* p = policy_named(c.policy);
    if (!p) return;
    const PolicyQuantizer q(*p);
    c.severity_lsb = severity_lsb(q, find_runtime(runtime), c.outcome.counterexample);
  };
  for (AuditCell& c : r.cells)
    if (const Policy* p = policy_named(c.policy)) rate(c, natural_runtimes(*p).front());
  for (AuditCell& c : r.runtime_cells) rate(c, c.runtime);
}

namespace {

// s as one shell word: as it is when it holds only safe characters, else
// single-quoted ('\'' for a quote inside).
std::string shell_quote(const std::string& s) {
  const bool plain = !s.empty() && s.find_first_not_of(
                                       "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                       "0123456789_.,:/+=-") == std::string::npos;
  if (plain) return s;
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

}  // namespace

std::string replay_command(const AuditCell& cell) {
  return "quantcheck audit" +
         (cell.adapter.empty() ? std::string() : " --adapter " + shell_quote(cell.adapter)) +
         " --policy " + shell_quote(cell.policy) +
         (cell.runtime.empty() ? std::string() : " --runtime " + cell.runtime) + " --property " +
         cell.property->name + " --replay " +
         shell_quote(case_to_json(cell.outcome.counterexample).dump());
}

namespace {

// Short column heads for the text table: P1..Pn (the legend names them).
std::string column(std::size_t i) { return "P" + std::to_string(i + 1); }

const char* mark(const AuditCell& c) {
  if (!c.outcome.error.empty()) return "ERR";
  if (c.outcome.found) return c.declared ? "FAIL" : "haz";
  return c.declared ? "ok" : ".";
}

std::string run_line(const AuditReport& r) {
  std::ostringstream s;
  s << "seed " << r.config.seed << ", " << r.config.cases << " cases per property and policy, "
    << "max_size " << r.config.max_size;
  return s.str();
}

std::string summary_line(const AuditReport& r) {
  std::ostringstream s;
  s << r.failures() << " declared guarantee(s) broken, " << r.hazards()
    << " hazard(s) outside the declared guarantees, " << r.errors() << " error(s)";
  return s.str();
}

// The cells to list: failures and errors, or hazards sorted by harm (worst
// first, unrated last), quantizer cells and runtime cells together.
std::vector<const AuditCell*> flagged(const AuditReport& r, bool failures) {
  std::vector<const AuditCell*> out;
  for (const auto* v : {&r.cells, &r.runtime_cells})
    for (const AuditCell& c : *v)
      if (failures ? (c.failed() || !c.outcome.error.empty()) : c.hazard()) out.push_back(&c);
  if (!failures)
    std::stable_sort(out.begin(), out.end(), [](const AuditCell* a, const AuditCell* b) {
      return a->severity_lsb.value_or(-1) > b->severity_lsb.value_or(-1);
    });
  return out;
}

// The harm group of a hazard, by its largest output error in LSBs.
std::string harm_band(const AuditCell& c) {
  if (!c.severity_lsb) return "harm not rated (no layer for the case)";
  const double s = *c.severity_lsb;
  if (s >= 16) return "severe: >= 16 output LSBs";
  if (s > 1.5) return "moderate: 2 to 16 output LSBs";
  if (s > 0.5) return "minor: about 1 output LSB";
  return "no output harm on the probed inputs";
}

std::string cases_note(const AuditCell& c) {
  std::ostringstream s;
  s << "found after " << c.outcome.cases_run << " case(s), shrunk in " << c.outcome.shrinks
    << " step(s)";
  return s.str();
}

}  // namespace

std::string audit_text(const AuditReport& r) {
  std::ostringstream out;
  out << "quantcheck audit: " << r.policies.size() << " policies x " << r.properties.size()
      << " properties (" << run_line(r) << ")\n\n";
  out << std::left << std::setw(24) << "policy";
  for (std::size_t i = 0; i < r.properties.size(); ++i) out << std::setw(6) << column(i);
  out << "\n";
  std::size_t k = 0;
  for (const std::string& policy : r.policies) {
    out << std::left << std::setw(24) << policy;
    for (std::size_t i = 0; i < r.properties.size(); ++i) out << std::setw(6) << mark(r.cells[k++]);
    out << "\n";
  }
  out << "\nok = declared and holds, FAIL = declared and broken, haz = broken but not declared "
         "(a hazard), . = not declared, holds\n";
  for (std::size_t i = 0; i < r.properties.size(); ++i)
    out << "  " << std::setw(4) << column(i) << r.properties[i]->name << " ("
        << r.properties[i]->guarantee << ")\n";

  if (!r.runtime_cells.empty()) {
    out << "\nruntime properties (policy @ runtime)\n" << std::left << std::setw(44) << "pair";
    for (std::size_t i = 0; i < r.runtime_properties.size(); ++i)
      out << std::setw(6) << "R" + std::to_string(i + 1);
    out << "\n";
    std::size_t j = 0;
    for (const auto& [policy, runtime] : r.runtime_rows) {
      out << std::left << std::setw(44) << policy + " @ " + runtime;
      for (std::size_t i = 0; i < r.runtime_properties.size(); ++i)
        out << std::setw(6) << mark(r.runtime_cells[j++]);
      out << "\n";
    }
    for (std::size_t i = 0; i < r.runtime_properties.size(); ++i)
      out << "  " << std::setw(4) << "R" + std::to_string(i + 1) << r.runtime_properties[i]->name
          << "\n";
  }

  for (const bool failures : {true, false}) {
    bool header = false;
    std::string band;
    for (const AuditCell* cp : flagged(r, failures)) {
      const AuditCell& c = *cp;
      if (!header) {
        out << "\n"
            << (failures ? "FAILURES (declared guarantees broken)"
                         : "HAZARDS (not declared), worst harm first")
            << "\n";
        header = true;
      }
      if (!failures && harm_band(c) != band) {
        band = harm_band(c);
        out << "\n== " << band << " ==\n";
      }
      out << "\n[" << c.status() << "] " << c.policy
          << (c.runtime.empty() ? std::string() : " @ " + c.runtime) << " / " << c.property->name
          << "\n";
      if (!c.outcome.error.empty()) {
        out << "  " << c.outcome.error << "\n";
        continue;
      }
      out << "  property:  " << c.property->statement << "\n";
      out << "  failure:   " << c.outcome.message << "\n";
      out << "  case:      " << case_to_json(c.outcome.counterexample).dump() << "\n";
      if (c.severity_lsb)
        out << "  harm:      " << std::setprecision(4) << *c.severity_lsb << " output LSB(s) on "
            << (c.runtime.empty() ? "the policy's natural runtime" : c.runtime) << "\n";
      out << "  (" << cases_note(c) << ")\n";
      out << "  replay:    " << replay_command(c) << "\n";
    }
  }
  out << "\n" << summary_line(r) << "\n";
  return out.str();
}

std::string audit_markdown(const AuditReport& r) {
  std::ostringstream out;
  out << "# quantcheck audit\n\n";
  out << "Generated by `quantcheck audit --markdown` (" << run_line(r)
      << "); regenerate with the command in docs/properties.md. Each cell: **ok** the policy "
         "declares the guarantee and it held, **FAIL** declared and broken, *hazard* broken but "
         "not declared (reported, not a failure), `.` not declared and held.\n\n";
  out << "| policy |";
  for (const Property* p : r.properties) out << " " << p->name << " |";
  out << "\n|---|";
  for (std::size_t i = 0; i < r.properties.size(); ++i) out << "---|";
  out << "\n";
  std::size_t k = 0;
  for (const std::string& policy : r.policies) {
    out << "| " << policy << " |";
    for (std::size_t i = 0; i < r.properties.size(); ++i) {
      const AuditCell& c = r.cells[k++];
      const char* m = !c.outcome.error.empty() ? "ERROR"
                      : c.failed()             ? "**FAIL**"
                      : c.hazard()             ? "*hazard*"
                      : c.declared             ? "**ok**"
                                               : "`.`";
      out << " " << m << " |";
    }
    out << "\n";
  }
  if (!r.runtime_cells.empty()) {
    out << "\n| policy @ runtime |";
    for (const Property* p : r.runtime_properties) out << " " << p->name << " |";
    out << "\n|---|";
    for (std::size_t i = 0; i < r.runtime_properties.size(); ++i) out << "---|";
    out << "\n";
    std::size_t j = 0;
    for (const auto& [policy, runtime] : r.runtime_rows) {
      out << "| " << policy << " @ " << runtime << " |";
      for (std::size_t i = 0; i < r.runtime_properties.size(); ++i) {
        const AuditCell& c = r.runtime_cells[j++];
        out << " "
            << (!c.outcome.error.empty() ? "ERROR"
                : c.failed()             ? "**FAIL**"
                : c.hazard()             ? "*hazard*"
                : c.declared             ? "**ok**"
                                         : "`.`")
            << " |";
      }
      out << "\n";
    }
  }
  out << "\n" << summary_line(r) << ".\n";
  for (const bool failures : {true, false}) {
    bool header = false;
    for (const AuditCell* cp : flagged(r, failures)) {
      const AuditCell& c = *cp;
      if (!header) {
        out << "\n## "
            << (failures ? "Failures (declared guarantees broken)" : "Hazards (not declared)")
            << "\n";
        header = true;
      }
      out << "\n### " << c.policy << (c.runtime.empty() ? std::string() : " @ " + c.runtime)
          << " / " << c.property->name << "\n\n";
      if (!c.outcome.error.empty()) {
        out << c.outcome.error << "\n";
        continue;
      }
      out << "> " << c.property->statement << "\n\n";
      out << "- failure: " << c.outcome.message << "\n";
      out << "- " << cases_note(c) << "\n";
      if (c.severity_lsb) out << "- harm: " << *c.severity_lsb << " output LSB(s)\n";
      out << "- case: `" << case_to_json(c.outcome.counterexample).dump() << "`\n";
      out << "- replay: `" << replay_command(c) << "`\n";
    }
  }
  return out.str();
}

nlohmann::json audit_json(const AuditReport& r) {
  nlohmann::json j;
  j["seed"] = r.config.seed;
  j["cases"] = r.config.cases;
  j["max_size"] = r.config.max_size;
  j["failures"] = r.failures();
  j["hazards"] = r.hazards();
  j["errors"] = r.errors();
  nlohmann::json props = nlohmann::json::array();
  for (const Property* p : r.properties)
    props.push_back({{"name", p->name}, {"guarantee", p->guarantee}, {"statement", p->statement}});
  j["properties"] = props;
  nlohmann::json rprops = nlohmann::json::array();
  for (const Property* p : r.runtime_properties)
    rprops.push_back({{"name", p->name}, {"guarantee", p->guarantee}, {"statement", p->statement}});
  j["runtime_properties"] = rprops;
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& [policy, runtime] : r.runtime_rows)
    rows.push_back({{"policy", policy}, {"runtime", runtime}});
  j["runtime_rows"] = rows;
  nlohmann::json cells = nlohmann::json::array();
  std::vector<const AuditCell*> all;
  for (const AuditCell& c : r.cells) all.push_back(&c);
  for (const AuditCell& c : r.runtime_cells) all.push_back(&c);
  for (const AuditCell* cp : all) {
    const AuditCell& c = *cp;
    nlohmann::json cell = {{"policy", c.policy},
                           {"property", c.property->name},
                           {"declared", c.declared},
                           {"status", c.status()},
                           {"cases_run", c.outcome.cases_run},
                           {"rejected", c.outcome.rejected}};
    if (!c.adapter.empty()) cell["adapter"] = c.adapter;
    if (!c.runtime.empty()) cell["runtime"] = c.runtime;
    if (c.severity_lsb) cell["severity_lsb"] = *c.severity_lsb;
    if (!c.outcome.error.empty()) cell["error"] = c.outcome.error;
    if (c.outcome.found) {
      cell["message"] = c.outcome.message;
      cell["counterexample"] = case_to_json(c.outcome.counterexample);
      cell["shrinks"] = c.outcome.shrinks;
      cell["replay"] = replay_command(c);
    }
    cells.push_back(cell);
  }
  j["cells"] = cells;
  return j;
}

}  // namespace quantcheck
