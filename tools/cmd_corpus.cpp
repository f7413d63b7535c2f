// `quantcheck corpus encode|decode|add|check`: the regression corpus.
//
//   encode CASE.json [-o OUT.qcase]     JSON case (optional "policy") -> case file
//   decode CASE.qcase [-o OUT.json]     case file -> bit-exact JSON twin
//   add CASE.json --name NAME [...]     one command for any counterexample: writes
//                                       corpus/regression/NAME.{qcase,json} and appends
//                                       its line (with checks computed now) to MANIFEST.tsv
//   check [--root corpus]               every manifest line does what it says
//
// MANIFEST.tsv has one tab-separated line per named case: name, origin, what it
// broke, what it must do now (prose), checks (machine-read, space-separated):
//   POLICY:declared_ok          no finding breaks a guarantee POLICY declares
//   POLICY:has=K1,K2            these finding kinds are present
//   POLICY:lacks=K1,K2          these finding kinds are absent
//   POLICY:refused              quantize() refuses the case (InputError)
//   POLICY:raised               some channel's weight scale was raised for its bias
//   POLICY:bias_q[I]=V          the quantized bias of channel I is exactly V
//   POLICY:bias_deq[I]=D        ... dequantizes to exactly the double D
//   POLICY:weight_scale[I]=F    the weight scale of channel I is exactly the float F
// (docs/fuzzing.md). Exit codes: 0 ok, 1 a check failed, 2 usage or input error.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "quantcheck/atomic_file.hpp"
#include "quantcheck/case_json.hpp"
#include "quantcheck/casefile.hpp"
#include "quantcheck/error.hpp"
#include "quantcheck/presets.hpp"

namespace quantcheck::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kManifest = "MANIFEST.tsv";
constexpr const char* kRegressionDir = "regression";

json parse_json(const std::string& text, const std::string& where) {
  return parse_json_text(text, where);
}

// A JSON case, or a counterexample object holding one under "case",
// "counterexample", "shrunk" or "input"; "policy" at either level.
CaseRecord record_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) throw InputError(where + ": expected a JSON object");
  const json* c = nullptr;
  if (j.contains("op")) {
    c = &j;
  } else {
    for (const char* key : {"case", "counterexample", "shrunk", "input"})
      if (j.contains(key) && j[key].is_object() && j[key].contains("op")) c = &j[key];
  }
  if (c == nullptr)
    throw InputError(where +
                     ": no case found (expected \"op\", or a \"case\" / "
                     "\"counterexample\" object)");
  CaseRecord r;
  r.c = case_from_json(*c);
  // An `audit --json` cell names its policy; a cell of an --adapter row names
  // the adapter's mode, which is no preset here, so that case is kept alone.
  if (!j.contains("adapter"))
    for (const json* holder : {&j, c})
      if (auto it = holder->find("policy"); it != holder->end() && it->is_string())
        r.policy = it->get<std::string>();
  if (!r.policy.empty()) find_preset(r.policy);  // an unknown name is a usage error
  return r;
}

json twin_of(const CaseRecord& r) {
  json j = case_to_json(r.c);
  if (!r.policy.empty()) j["policy"] = r.policy;
  return j;
}

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  const std::string s = read_file_or_stdin(path);
  return {s.begin(), s.end()};
}

void write_out(const std::string& path, std::string_view content) {
  if (path.empty() || path == "-")
    std::cout << content;
  else
    write_file_atomically(path, content);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::stringstream in(s);
  while (std::getline(in, item, sep)) out.push_back(item);
  if (!s.empty() && s.back() == sep) out.emplace_back();
  return out;
}

// --- checks ----------------------------------------------------------------------

struct Outcome {
  std::optional<Result> result;
  std::string refusal;  // InputError text when refused
};

Outcome run_policy(const Policy& p, const Case& c) {
  Outcome o;
  try {
    o.result = quantize(p, c);
  } catch (const InputError& e) {
    o.refusal = e.what();
  }
  return o;
}

bool has_kind(const Result& r, const std::string& kind) {
  return std::any_of(r.findings.begin(), r.findings.end(),
                     [&](const Finding& f) { return to_string(f.kind) == kind; });
}

// "name[I]=V" -> (I, V); throws InputError on anything else.
std::pair<std::size_t, std::string> indexed(const std::string& s, const std::string& token) {
  const auto open = s.find('['), close = s.find(']');
  if (open == std::string::npos || close == std::string::npos || close < open ||
      close + 1 >= s.size() || s[close + 1] != '=')
    throw InputError("MANIFEST check '" + token + "': expected name[index]=value");
  return {std::stoul(s.substr(open + 1, close - open - 1)), s.substr(close + 2)};
}

// Returns "" when the check holds, else why not.
std::string run_check(const std::string& token, const Case& c) {
  const auto colon = token.find(':');
  if (colon == std::string::npos) throw InputError("MANIFEST check '" + token + "': no POLICY:");
  const Policy& p = find_preset(token.substr(0, colon));
  const std::string what = token.substr(colon + 1);
  const Outcome o = run_policy(p, c);
  if (what == "refused") return o.result ? "quantized it instead of refusing" : "";
  if (!o.result) return "refused: " + o.refusal;
  const Result& r = *o.result;
  if (what == "declared_ok") {
    for (const Finding& f : r.findings)
      if (breaks_declared(f, p.guarantees))
        return to_string(f.kind) + " on " + f.tensor + " channel " + std::to_string(f.channel) +
               " breaks a declared guarantee";
    return "";
  }
  if (what == "raised") {
    for (const ChannelParams& cp : r.weights.channels)
      if (cp.raised_for_bias) return "";
    return "no weight scale was raised for the bias";
  }
  if (what.rfind("has=", 0) == 0 || what.rfind("lacks=", 0) == 0) {
    const bool want = what[0] == 'h';
    for (const std::string& kind : split(what.substr(want ? 4 : 6), ','))
      if (has_kind(r, kind) != want) return (want ? "no finding " : "a finding ") + kind;
    return "";
  }
  const auto [index, value] = indexed(what, token);
  std::ostringstream got;
  got.precision(17);
  if (what.rfind("bias_q[", 0) == 0) {
    if (index >= r.bias.q.size()) return "no bias channel " + std::to_string(index);
    if (r.bias.q[index] == std::stoll(value)) return "";
    got << r.bias.q[index];
  } else if (what.rfind("bias_deq[", 0) == 0) {
    if (index >= r.bias.dequantized.size()) return "no bias channel " + std::to_string(index);
    if (r.bias.dequantized[index] == std::strtod(value.c_str(), nullptr)) return "";
    got << r.bias.dequantized[index];
  } else if (what.rfind("weight_scale[", 0) == 0) {
    if (index >= r.weights.channels.size()) return "no channel " + std::to_string(index);
    if (r.weights.channels[index].scale == std::strtof(value.c_str(), nullptr)) return "";
    got.precision(9);
    got << r.weights.channels[index].scale;
  } else {
    throw InputError("MANIFEST check '" + token + "': unknown check");
  }
  return "got " + got.str();
}

struct ManifestLine {
  std::string name, origin, broke, now;
  std::vector<std::string> checks;
};

std::vector<ManifestLine> read_manifest(const fs::path& root) {
  const fs::path path = root / kManifest;
  std::istringstream in(read_file_or_stdin(path.string()));
  std::vector<ManifestLine> out;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    const auto cols = split(line, '\t');
    if (cols.size() != 5)
      throw InputError(
          path.string() + ":" + std::to_string(number) + ": expected 5 tab-separated " +
          "columns (name, origin, broke, now, checks), got " + std::to_string(cols.size()));
    ManifestLine m{cols[0], cols[1], cols[2], cols[3], {}};
    for (const std::string& t : split(cols[4], ' '))
      if (!t.empty()) m.checks.push_back(t);
    out.push_back(std::move(m));
  }
  return out;
}

// Loads NAME.qcase and checks that NAME.json is its exact twin.
CaseRecord load_named(const fs::path& root, const std::string& name) {
  const fs::path dir = root / kRegressionDir;
  const std::string bin = (dir / (name + ".qcase")).string();
  const std::string twin = (dir / (name + ".json")).string();
  const CaseRecord r = decode_case_file_or_throw(read_bytes(bin), bin);
  const CaseRecord t = record_from_json(parse_json(read_json_text(twin), twin), twin);
  if (twin_of(r) != twin_of(t))
    throw InputError(twin + ": JSON twin differs from " + bin + " (re-run corpus decode)");
  return r;
}

int check_corpus(const fs::path& root) {
  const auto lines = read_manifest(root);
  int failed = 0;
  std::size_t checks = 0;
  std::vector<std::string> listed;
  for (const ManifestLine& m : lines) {
    listed.push_back(m.name);
    // A broken line is one failure among the others: check lists them all.
    std::optional<CaseRecord> loaded;
    try {
      loaded = load_named(root, m.name);
    } catch (const std::exception& e) {
      ++failed;
      std::cout << "FAIL " << m.name << ": " << e.what() << "\n";
      continue;
    }
    const CaseRecord& r = *loaded;
    if (m.checks.empty()) {
      ++failed;
      std::cout << "FAIL " << m.name << ": a manifest line needs at least one check\n";
      continue;
    }
    for (const std::string& t : m.checks) {
      ++checks;
      std::string why;
      try {
        why = run_check(t, r.c);
      } catch (const std::exception& e) {
        why = e.what();
      }
      if (!why.empty()) {
        ++failed;
        std::cout << "FAIL " << m.name << ": " << t << ": " << why << "\n";
      }
    }
  }
  // Every case file in regression/ must be named in the manifest.
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root / kRegressionDir, ec)) {
    if (e.path().extension() != ".qcase") continue;
    const std::string name = e.path().stem().string();
    if (std::find(listed.begin(), listed.end(), name) == listed.end()) {
      ++failed;
      std::cout << "FAIL " << name << ": in " << kRegressionDir << "/ but not in " << kManifest
                << "\n";
    }
  }
  std::cout << lines.size() << " named cases, " << checks << " checks, " << failed << " failed\n";
  return failed == 0 ? 0 : 1;
}

// --- add ---------------------------------------------------------------------------

std::vector<const Policy*> reference_presets_for(const std::string& policy) {
  std::vector<const Policy*> out;
  const Policy* named = policy.empty() ? nullptr : &find_preset(policy);
  for (const Policy& p : presets())
    if (p.bias_fit == BiasFit::reference_headroom &&
        (named == nullptr || p.weight_type == named->weight_type))
      out.push_back(&p);
  if (out.empty())  // no reference of that weight type: hold all of them
    for (const Policy& p : presets())
      if (p.bias_fit == BiasFit::reference_headroom) out.push_back(&p);
  return out;
}

std::string clean_field(std::string s) {
  std::replace(s.begin(), s.end(), '\t', ' ');
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

void add_case(const fs::path& root, const std::string& input, const std::string& name,
              std::string origin, std::string broke, std::string now) {
  if (name.empty() || name[0] == '.' ||
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_.") != std::string::npos)
    throw UsageError("--name: use lowercase letters, digits, '-', '_' and '.' only, not first '.'");
  // A corpus is a directory holding MANIFEST.tsv: add never starts one where
  // none is (a typo in --root, or a run from the wrong directory).
  std::error_code ec;
  if (!fs::is_regular_file(root / kManifest, ec))
    throw UsageError("corpus add: " + (root / kManifest).string() +
                     " not found; --root must name an existing corpus (default ./corpus)");
  const CaseRecord r = record_from_json(parse_json(read_json_text(input), input), input);
  // A case quantize() refuses (NaN, Inf) is added as such: its checks say
  // POLICY:refused.
  for (const ManifestLine& m : read_manifest(root))
    if (m.name == name) throw UsageError("--name: '" + name + "' is already in the manifest");

  // The checks: the named preset keeps showing what it showed (it is the
  // record of a hazard), and the reference presets hold every guarantee.
  std::vector<std::string> checks;
  std::string shown;
  if (!r.policy.empty()) {
    const Policy& p = find_preset(r.policy);
    const Outcome o = run_policy(p, r.c);
    if (!o.result) {
      checks.push_back(p.name + ":refused");
    } else {
      std::vector<std::string> kinds;
      for (const Finding& f : o.result->findings)
        if (guarantee_broken_by(f.kind) != nullptr)
          if (std::find(kinds.begin(), kinds.end(), to_string(f.kind)) == kinds.end())
            kinds.push_back(to_string(f.kind));
      std::string joined;
      for (const auto& k : kinds) joined += (joined.empty() ? "" : ",") + k;
      checks.push_back(p.name + (kinds.empty() ? ":declared_ok" : ":has=" + joined));
      shown = p.name + ": " + (kinds.empty() ? "no finding" : joined);
    }
    if (!o.result) shown = p.name + ": refused (" + o.refusal + ")";
  }
  for (const Policy* ref : reference_presets_for(r.policy)) {
    if (ref->name == r.policy) continue;  // already checked above
    const Outcome o = run_policy(*ref, r.c);
    checks.push_back(ref->name + (o.result ? ":declared_ok" : ":refused"));
    if (o.result)
      for (const Finding& f : o.result->findings)
        if (breaks_declared(f, ref->guarantees))
          std::cerr << "quantcheck corpus add: warning: " << ref->name << " breaks "
                    << guarantee_broken_by(f.kind)
                    << " on this case today; its check fails until that is fixed\n";
  }

  if (origin.empty()) origin = "counterexample added with quantcheck corpus add";
  if (broke.empty()) broke = shown.empty() ? "(not stated)" : shown;
  if (now.empty())
    now = r.policy.empty() ? "reference presets hold every declared guarantee"
                           : "keeps reproducing under " + r.policy +
                                 "; the reference presets hold every declared guarantee";

  const fs::path dir = root / kRegressionDir;
  fs::create_directories(dir);
  const auto bytes = encode_case_file(r);
  write_file_atomically(
      (dir / (name + ".qcase")).string(),
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  write_file_atomically((dir / (name + ".json")).string(), twin_of(r).dump(2) + "\n");
  std::string joined;
  for (const auto& c : checks) joined += (joined.empty() ? "" : " ") + c;
  const fs::path manifest = root / kManifest;
  std::string text = read_file_or_stdin(manifest.string());
  if (!text.empty() && text.back() != '\n') text += '\n';
  text += name + "\t" + clean_field(origin) + "\t" + clean_field(broke) + "\t" + clean_field(now) +
          "\t" + joined + "\n";
  write_file_atomically(manifest.string(), text);
  std::cout << "added " << name << ": " << joined << "\n";
}

void add_corpus_command(CLI::App& app, int& exit_code) {
  auto* corpus = app.add_subcommand(
      "corpus", "The regression corpus: case files (fuzz/schema/case.fbs) and their JSON twins");
  corpus->require_subcommand(1);

  struct Opts {
    std::string input, output, name, origin, broke, now, root = "corpus";
  };
  auto o = std::make_shared<Opts>();

  auto* encode = corpus->add_subcommand("encode", "JSON case (or counterexample) -> case file");
  encode->add_option("input", o->input, "JSON file, or - for standard input")->required();
  encode->add_option("-o,--output", o->output, "Case file to write (atomically); default stdout");
  encode->callback([o, &exit_code] {
    const CaseRecord r = record_from_json(parse_json(read_json_text(o->input), o->input), o->input);
    const auto bytes = encode_case_file(r);
    write_out(o->output,
              std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    exit_code = 0;
  });

  auto* decode = corpus->add_subcommand("decode", "Case file -> bit-exact JSON twin");
  decode->add_option("input", o->input, "Case file, or - for standard input")->required();
  decode->add_option("-o,--output", o->output, "JSON file to write (atomically); default stdout");
  decode->callback([o, &exit_code] {
    const CaseRecord r = decode_case_file_or_throw(read_bytes(o->input), o->input);
    write_out(o->output, twin_of(r).dump(2) + "\n");
    exit_code = 0;
  });

  auto* add = corpus->add_subcommand(
      "add",
      "Add a JSON case or counterexample as a named regression case, with its manifest line");
  add->add_option("input", o->input, "JSON case or counterexample, or -")->required();
  add->add_option("--name", o->name, "Case name (file stem), e.g. one-6970-int16")->required();
  add->add_option("--origin", o->origin, "Where it comes from (issue, audit run)");
  add->add_option("--broke", o->broke, "What it broke (default: the findings it shows now)");
  add->add_option("--now", o->now, "What it must do now (prose; the checks are computed)");
  add->add_option("--root", o->root, "Corpus directory")->capture_default_str();
  add->callback([o, &exit_code] {
    add_case(o->root, o->input, o->name, o->origin, o->broke, o->now);
    exit_code = 0;
  });

  auto* check = corpus->add_subcommand("check", "Check every named case against its manifest line");
  check->add_option("--root", o->root, "Corpus directory")->capture_default_str();
  check->callback([o, &exit_code] { exit_code = check_corpus(o->root); });
}

}  // namespace

QUANTCHECK_COMMAND(70, add_corpus_command);

}  // namespace quantcheck::cli
