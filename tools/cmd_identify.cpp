// `quantcheck identify MODEL [--policy NAME ...] [--per-tensor] [--json | --markdown]`: which
// preset reproduces the scales and integers stored in a quantized
// TFLite/circle/ONNX model, layer by layer (docs/model-checks.md). Exit 0 when some
// preset reproduces every quantized layer, 1 when none does.
#include <iostream>

#include "commands.hpp"
#include "quantcheck/error.hpp"
#include "quantcheck/model/identify.hpp"
#include "quantcheck/presets.hpp"
#ifdef QUANTCHECK_HAVE_ONNX
#include "quantcheck/onnx/identify.hpp"
#endif

namespace quantcheck::cli {
namespace {

void add_identify_command(CLI::App& app, int& exit_code) {
  struct Options {
    std::string model, float_model;
    std::vector<std::string> policies;
    bool json = false, markdown = false, per_tensor = false;
  };
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "identify",
      "Which preset made this quantized .tflite/.circle/.onnx model: re-quantize each layer's "
      "dequantized filter and bias with every preset and compare bit for bit");
  cmd->add_option("model", opt->model,
                  "Quantized TFLite (TFL3), circle (CIR0) or ONNX (QDQ/QOperator) model")
      ->required();
  cmd->add_option("--policy,-p", opt->policies, "Only these presets (default: all)");
  cmd->add_option("--float", opt->float_model,
                  "ONNX: the float model it was quantized from; its weights and biases are "
                  "re-quantized instead of the dequantized ones");
  cmd->add_flag("--per-tensor", opt->per_tensor,
                "Also try each preset with one scale per tensor (named NAME/per-tensor)");
  auto* j = cmd->add_flag("--json", opt->json, "JSON report");
  auto* m = cmd->add_flag("--markdown", opt->markdown, "Markdown report");
  j->excludes(m);
  cmd->callback([opt, &exit_code] {
    std::vector<Policy> candidates;
    if (opt->policies.empty()) candidates = presets();
    for (const std::string& name : opt->policies) candidates.push_back(find_preset(name));
    if (opt->per_tensor) {
      const std::size_t n = candidates.size();
      for (std::size_t i = 0; i < n; ++i) {
        Policy p = candidates[i];
        p.name += "/per-tensor";
        p.granularity = Granularity::per_tensor;
        candidates.push_back(std::move(p));
      }
    }
    const model::IdentifyReport report = [&] {
#ifdef QUANTCHECK_HAVE_ONNX
      if (onnx::OnnxFile::looks_like_onnx(opt->model)) {
        std::optional<onnx::OnnxFile> f;
        if (!opt->float_model.empty()) f.emplace(onnx::OnnxFile::open(opt->float_model));
        return onnx::identify_model(onnx::OnnxFile::open(opt->model), candidates,
                                    f ? &*f : nullptr);
      }
#endif
      if (!opt->float_model.empty()) throw UsageError("--float applies to ONNX models only");
      return model::identify_model(model::ModelFile::open(opt->model), candidates);
    }();
    if (opt->json)
      std::cout << model::to_json(report).dump(1) << "\n";
    else if (opt->markdown)
      std::cout << model::to_markdown(report);
    else
      std::cout << model::to_text(report);
    exit_code = report.reproduced_by_all().empty() ? 1 : 0;
  });
}

}  // namespace

QUANTCHECK_COMMAND(55, add_identify_command);

}  // namespace quantcheck::cli
