// `quantcheck quantize-model FMODEL -o OUT --policy NAME --input-scale S
// [--emit-quantized]`: write the fake-quantized twin of a float model, or with
// --emit-quantized its integer form for `verify` (docs/model-checks.md).
// Written atomically. Exit 1 when the policy broke one of its guarantees.
#include <cfloat>
#include <iostream>

#include "commands.hpp"
#include "progress.hpp"
#include "quantcheck/atomic_file.hpp"
#include "quantcheck/error.hpp"
#include "quantcheck/model/twin.hpp"
#include "quantcheck/presets.hpp"
#ifdef QUANTCHECK_HAVE_ONNX
#include "quantcheck/onnx/onnx_file.hpp"
#include "quantcheck/onnx/twin.hpp"
#endif

namespace quantcheck::cli {
namespace {

void add_quantize_model_command(CLI::App& app, int& exit_code) {
  struct Options {
    std::string model, output, policy, calibration;
    double input_scale = 0;
    bool emit_quantized = false;
  };
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "quantize-model",
      "Write the fake-quantized twin of a float .tflite/.circle/.onnx model under a policy");
  cmd->add_option("model", opt->model, "Float TFLite (TFL3) or circle (CIR0) model")->required();
  cmd->add_option("-o,--output", opt->output, "Output model (written atomically)")->required();
  cmd->add_option("--policy,-p", opt->policy, "Policy preset name")->required();
  cmd->add_option("--input-scale", opt->input_scale, "Input activation scale")->required();
  cmd->add_option("--calibration", opt->calibration,
                  "ONNX: JSON {\"tensor\": [lo, hi]}; those layer inputs get uint8 asymmetric "
                  "scales");
  cmd->add_flag("--emit-quantized", opt->emit_quantized,
                "Write int filters/biases with their scales instead of float32 twins");
  cmd->callback([opt, &exit_code] {
    model::TwinOptions o;
    o.policy = find_preset(opt->policy);
    if (!(opt->input_scale >= FLT_MIN && opt->input_scale <= FLT_MAX))
      throw UsageError("--input-scale must be a finite normal positive float");
    o.input_scale = static_cast<float>(opt->input_scale);
    o.emit_quantized = opt->emit_quantized;
#ifdef QUANTCHECK_HAVE_ONNX
    if (onnx::OnnxFile::looks_like_onnx(opt->model)) {
      onnx::TwinOptions ox;
      ox.policy = o.policy;
      ox.input_scale = o.input_scale;
      ox.emit_quantized = o.emit_quantized;
      if (!opt->calibration.empty()) ox.ranges = onnx::read_ranges(opt->calibration);
      onnx::TwinSummary s;
      const std::string bytes = onnx::make_twin(onnx::OnnxFile::open(opt->model), ox, &s);
      write_file_atomically(opt->output, bytes);
      std::cerr << "quantize-model: " << s.layers << " layers, " << s.channels << " channels under "
                << ox.policy.name << "; " << s.findings << " findings break its guarantees; wrote "
                << opt->output << " (" << bytes.size() << " bytes)\n";
      exit_code = s.findings ? 1 : 0;
      return;
    }
#endif
    if (!opt->calibration.empty()) throw UsageError("--calibration applies to ONNX models only");
    const auto file = model::ModelFile::open(opt->model);
    model::TwinSummary s;
    Progress progress("quantize-model: layers", std::chrono::milliseconds(200));
    o.progress = std::ref(progress);
    const auto bytes = model::make_twin(file, o, &s);
    progress.clear();
    write_file_atomically(
        opt->output, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    std::cerr << "quantize-model: " << s.layers << " layers, " << s.channels << " channels under "
              << o.policy.name << "; " << s.findings << " findings break its guarantees; wrote "
              << opt->output << " (" << bytes.size() << " bytes)\n";
    exit_code = s.findings ? 1 : 0;
  });
}

}  // namespace

QUANTCHECK_COMMAND(60, add_quantize_model_command);

}  // namespace quantcheck::cli
