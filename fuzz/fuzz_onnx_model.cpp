// fuzz_onnx_model: ONNX model bytes (a ModelProto, or anything else) ->
// parse with libonnx's protobuf types under quantcheck's limits, find the
// layers (subgraphs, Constant nodes, DequantizeLinear chains), verify twice,
// check under the fuzzed presets, write the QDQ twin and read it back.
// Whatever the bytes: no crash, leak, hang or UB; a bad file is a ModelError
// / InputError (or a UsageError for a twin the policy cannot express).
//
// The bytes are parsed in memory, named as a model in a directory that does
// not exist, so external data never reaches the disk.
#include <algorithm>
#include <string>

#include "fuzz_support.hpp"
#include "quantcheck/error.hpp"
#include "quantcheck/onnx/check.hpp"
#include "quantcheck/onnx/layers.hpp"
#include "quantcheck/onnx/twin.hpp"
#include "quantcheck/presets.hpp"

namespace {

using namespace quantcheck;
namespace qo = quantcheck::onnx;

const char* const kPath = "/nonexistent-quantcheck-fuzz/model.onnx";

std::string summary(const model::VerifyReport& r) {
  std::string s = std::to_string(r.layers.size()) + "/" + std::to_string(r.channels) + "/" +
                  std::to_string(r.dead_channels) + "/" + std::to_string(r.max_abs_bias);
  for (const auto& f : r.findings)
    s += ";" + f.kind + "@" + std::to_string(f.op_index) + ":" + std::to_string(f.channel);
  return s;
}

const model::CheckOptions& check_options() {
  static const model::CheckOptions o = [] {
    model::CheckOptions opt;
    for (const Policy* p : fuzz::fuzzed_policies()) opt.policies.push_back(*p);
    return opt;
  }();
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const qo::OnnxFile f = qo::OnnxFile::parse(kPath, data, size);
    const std::string first = summary(qo::verify_model(f, nullptr));
    const model::CheckReport report = qo::check_model(f, check_options());
    for (const model::LayerCheck& layer : report.layers)
      for (const model::LayerPolicyResult& r : layer.results)
        if (!r.broken.empty() && find_preset(r.policy).bias_fit == BiasFit::reference_headroom)
          fuzz::fail(r.policy + " breaks " + r.broken.front() + " in layer " + layer.layer.name);
    if (first != summary(qo::verify_model(f, nullptr)))
      fuzz::fail("two verifications of one file disagree");
    const auto layers = qo::find_layers(f);
    const bool float_model = std::all_of(layers.begin(), layers.end(), [](const qo::OnnxLayer& l) {
      return l.form == qo::Form::float_op;
    });
    if (!layers.empty() && float_model) {
      qo::TwinOptions t;
      t.policy = find_preset("reference");
      t.emit_quantized = true;
      const std::string twin = qo::make_twin(f, t);
      // The twin must parse again and hold quantized layers only.
      const qo::OnnxFile q = qo::OnnxFile::parse(kPath, twin.data(), twin.size());
      const model::VerifyReport r = qo::verify_model(q, nullptr);
      if (r.float_layers != 0) fuzz::fail("the QDQ twin still has float layers");
    }
  } catch (const InputError&) {
    // ModelError (a bad file) derives from InputError; so do rejected weights.
  } catch (const UsageError&) {
  }
  return 0;
}
