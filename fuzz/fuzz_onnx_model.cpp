// fuzz_onnx_model: ONNX model bytes (a ModelProto, or anything else) ->
// parse with libonnx's protobuf types under quantcheck's limits, find the
// layers (subgraphs, Constant nodes, DequantizeLinear chains), verify twice,
// check under one fuzzed preset (by a hash of the input) and the reference
// presets, write the QDQ twin and read it back.
// Whatever the bytes: no crash, leak, hang or UB; a bad file is a ModelError
// / InputError (or a UsageError for a twin the policy cannot express).
//
// The bytes are parsed in memory, named as a model in a directory that does
// not exist, so external data never reaches the disk.
#include <algorithm>
#include <string>

#include "fuzz_support.hpp"
#include "model_oracle.hpp"
#include "quantcheck/error.hpp"
#include "quantcheck/onnx/check.hpp"
#include "quantcheck/onnx/layers.hpp"
#include "quantcheck/onnx/twin.hpp"
#include "quantcheck/presets.hpp"

namespace {

using namespace quantcheck;
namespace qo = quantcheck::onnx;

const char* const kPath = "/nonexistent-quantcheck-fuzz/model.onnx";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const qo::OnnxFile f = qo::OnnxFile::parse(kPath, data, size);
    const std::string first = fuzz::verify_summary(qo::verify_model(f, nullptr));
    fuzz::fail_if_a_reference_preset_breaks(
        qo::check_model(f, fuzz::check_options_for(data, size)));
    if (first != fuzz::verify_summary(qo::verify_model(f, nullptr)))
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
