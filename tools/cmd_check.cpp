// `quantcheck check MODEL [--policy NAME ...] [--input-scale S | --input-range LO,HI]
// [--json | --markdown]`: quantize every CONV_2D, DEPTHWISE_CONV_2D and
// FULLY_CONNECTED layer of a float TFLite/circle model under each policy and
// report per layer and channel (docs/model-checks.md). Exit 1 when a policy
// breaks a guarantee it declares.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "progress.hpp"
#include "quantcheck/error.hpp"
#include "quantcheck/model/check.hpp"
#include "quantcheck/model/report.hpp"
#include "quantcheck/presets.hpp"
#ifdef QUANTCHECK_HAVE_ONNX
#include "quantcheck/onnx/check.hpp"
#endif

namespace quantcheck::cli {
namespace {

// The 8-bit asymmetric activation scale of a real range, as TFLite forms it:
// (max(hi, 0) - min(lo, 0)) / 255.
float scale_from_range(const std::string& text) {
  std::istringstream in(text);
  double lo = 0, hi = 0;
  char comma = 0;
  if (!(in >> lo >> comma >> hi) || comma != ',' || !(in >> std::ws).eof())
    throw UsageError("--input-range wants LO,HI (e.g. -1,1), got '" + text + "'");
  if (!std::isfinite(lo) || !std::isfinite(hi) || lo > hi)
    throw UsageError("--input-range " + text + ": need finite LO <= HI");
  const double s = (std::max(hi, 0.0) - std::min(lo, 0.0)) / 255.0;
  if (!(s >= FLT_MIN) || s > FLT_MAX)
    throw UsageError("--input-range " + text + " gives no usable scale");
  return static_cast<float>(s);
}

void add_check_command(CLI::App& app, int& exit_code) {
  struct Options {
    std::string model;
    std::vector<std::string> policies;
    double input_scale = 0;
    std::string input_range;
    bool json = false, markdown = false;
  };
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "check",
      "Quantize every conv/depthwise/fully-connected layer of a float .tflite/.circle "
      "(or .onnx) model under each policy; report per layer and channel");
  cmd->add_option("model", opt->model, "TFLite (TFL3), circle (CIR0) or ONNX model file")
      ->required();
  cmd->add_option("--policy,-p", opt->policies, "Policy preset (repeatable; default: all)");
  auto* s = cmd->add_option("--input-scale", opt->input_scale,
                            "Input activation scale (default 1/127: [-1,1] as symmetric int8)");
  auto* r = cmd->add_option("--input-range", opt->input_range,
                            "Input range LO,HI; scale (max(HI,0) - min(LO,0)) / 255");
  s->excludes(r);
  auto* j = cmd->add_flag("--json", opt->json, "JSON report");
  auto* m = cmd->add_flag("--markdown", opt->markdown, "Markdown report");
  j->excludes(m);
  cmd->callback([opt, s, &exit_code] {
    model::CheckOptions o;
    if (opt->policies.empty())
      o.policies = presets();
    else
      for (const auto& name : opt->policies)  // a name given twice counts once
        if (std::none_of(o.policies.begin(), o.policies.end(),
                         [&](const Policy& p) { return p.name == name; }))
          o.policies.push_back(find_preset(name));
    if (!opt->input_range.empty()) {
      o.input_scale = scale_from_range(opt->input_range);
    } else if (s->count() > 0) {
      if (!(opt->input_scale >= FLT_MIN && opt->input_scale <= FLT_MAX))
        throw UsageError("--input-scale must be a finite normal positive float");
      o.input_scale = static_cast<float>(opt->input_scale);
    }
    Progress progress("check: layers", std::chrono::milliseconds(200));
    o.progress = std::ref(progress);
    const model::CheckReport report = [&] {
#ifdef QUANTCHECK_HAVE_ONNX
      if (onnx::OnnxFile::looks_like_onnx(opt->model))
        return onnx::check_model(onnx::OnnxFile::open(opt->model), o);
#endif
      return model::check_model(model::ModelFile::open(opt->model), o);
    }();
    progress.clear();
    if (opt->json)
      std::cout << model::to_json(report).dump(1) << "\n";
    else if (opt->markdown)
      std::cout << model::to_markdown(report);
    else
      std::cout << model::to_text(report);
    exit_code = report.broken() ? 1 : 0;
  });
}

}  // namespace

QUANTCHECK_COMMAND(40, add_check_command);

}  // namespace quantcheck::cli
