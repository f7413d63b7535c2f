// `quantcheck verify QMODEL [--float FMODEL] [--runtime NAME] [--json | --markdown]`:
// audit the quantization parameters stored in a TFLite/circle model, and its
// layers on a runtime profile (default: the model's natural runtime;
// docs/model-checks.md). Exit 1 when there is a finding.
#include <iostream>

#include "commands.hpp"
#include "progress.hpp"
#include "quantcheck/model/report.hpp"
#include "quantcheck/model/verify.hpp"
#include "quantcheck/model/verify_runtime.hpp"
#include "quantcheck/runtime/profiles.hpp"
#ifdef QUANTCHECK_HAVE_ONNX
#include "quantcheck/onnx/check.hpp"
#endif

namespace quantcheck::cli {
namespace {

void add_verify_command(CLI::App& app, int& exit_code) {
  struct Options {
    std::string model, float_model, runtime;
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
  cmd->add_option("--runtime", opt->runtime,
                  "Runtime profile the layers are checked on (`quantcheck runtimes`); default: "
                  "the model's natural runtime (TFLite int8 tflite-x86, 16x8 tflite-16x8, uint8 "
                  "gemmlowp, circle luci-interpreter)");
  auto* j = cmd->add_flag("--json", opt->json, "JSON report");
  auto* m = cmd->add_flag("--markdown", opt->markdown, "Markdown report");
  j->excludes(m);
  cmd->callback([opt, &exit_code] {
    // An unknown name is a usage error before any model is read.
    const RuntimeProfile* runtime = opt->runtime.empty() ? nullptr : &find_runtime(opt->runtime);
    Progress progress("verify: layers", std::chrono::milliseconds(200));
    const model::VerifyReport report = [&] {
#ifdef QUANTCHECK_HAVE_ONNX
      if (onnx::OnnxFile::looks_like_onnx(opt->model)) {
        if (runtime)
          throw UsageError("verify --runtime: runtime checks are for TFLite and circle models");
        const auto q = onnx::OnnxFile::open(opt->model);
        std::optional<onnx::OnnxFile> f;
        if (!opt->float_model.empty()) f.emplace(onnx::OnnxFile::open(opt->float_model));
        return onnx::verify_model(q, f ? &*f : nullptr);
      }
#endif
      const auto q = model::ModelFile::open(opt->model);
      std::optional<model::ModelFile> f;
      if (!opt->float_model.empty()) f.emplace(model::ModelFile::open(opt->float_model));
      model::VerifyReport r = model::verify_model(q, f ? &*f : nullptr, std::ref(progress));
      std::string why = "--runtime";
      const RuntimeProfile& rt =
          runtime ? *runtime : find_runtime(model::natural_runtime(q, r, &why));
      model::verify_runtime(q, rt, r, why, /*keep_channels=*/opt->json);
      return r;
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
