// `quantcheck verify QMODEL [--float FMODEL] [--json | --markdown]`: audit the
// quantization parameters stored in a TFLite/circle model (docs/model-checks.md).
// Exit 1 when there is a finding.
#include <iostream>

#include "commands.hpp"
#include "progress.hpp"
#include "quantcheck/model/report.hpp"
#include "quantcheck/model/verify.hpp"
#ifdef QUANTCHECK_HAVE_ONNX
#include "quantcheck/onnx/check.hpp"
#endif

namespace quantcheck::cli {
namespace {

void add_verify_command(CLI::App& app, int& exit_code) {
  struct Options {
    std::string model, float_model;
    bool json = false, markdown = false;
  };
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "verify",
      "Audit an already-quantized .tflite/.circle/.onnx model: scales, zero points, bias "
      "scales, saturation suspects, dead channels, headroom");
  cmd->add_option("model", opt->model,
                  "Quantized TFLite (TFL3), circle (CIR0) or ONNX (QDQ/QOperator) model")
      ->required();
  cmd->add_option("--float", opt->float_model,
                  "The float model it came from: weight and bias errors per layer");
  auto* j = cmd->add_flag("--json", opt->json, "JSON report");
  auto* m = cmd->add_flag("--markdown", opt->markdown, "Markdown report");
  j->excludes(m);
  cmd->callback([opt, &exit_code] {
    Progress progress("verify: layers", std::chrono::milliseconds(200));
    const model::VerifyReport report = [&] {
#ifdef QUANTCHECK_HAVE_ONNX
      if (onnx::OnnxFile::looks_like_onnx(opt->model)) {
        const auto q = onnx::OnnxFile::open(opt->model);
        std::optional<onnx::OnnxFile> f;
        if (!opt->float_model.empty()) f.emplace(onnx::OnnxFile::open(opt->float_model));
        return onnx::verify_model(q, f ? &*f : nullptr);
      }
#endif
      const auto q = model::ModelFile::open(opt->model);
      std::optional<model::ModelFile> f;
      if (!opt->float_model.empty()) f.emplace(model::ModelFile::open(opt->float_model));
      return model::verify_model(q, f ? &*f : nullptr, std::ref(progress));
    }();
    progress.clear();
    for (const std::string& w : report.warnings)
      std::cerr << "quantcheck verify: warning: " << w << "\n";
    if (opt->json)
      std::cout << model::to_json(report).dump(1) << "\n";
    else if (opt->markdown)
      std::cout << model::to_markdown(report);
    else
      std::cout << model::to_text(report);
    exit_code = report.findings.empty() ? 0 : 1;
  });
}

}  // namespace

QUANTCHECK_COMMAND(50, add_verify_command);

}  // namespace quantcheck::cli
