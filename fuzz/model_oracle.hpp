// What fuzz_model (TFLite / circle) and fuzz_onnx_model check alike on a
// model that opened: two verifications agree, and no reference preset breaks
// a guarantee it declares under check. Header-only, so the OSS-Fuzz build
// (ci/oss-fuzz/build.sh) compiles each target from its one source.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "quantcheck/model/check.hpp"
#include "quantcheck/model/verify.hpp"
#include "quantcheck/presets.hpp"

namespace quantcheck::fuzz {

// What two verifications of one file must agree on.
inline std::string verify_summary(const model::VerifyReport& r) {
  std::string s = std::to_string(r.layers.size()) + "/" + std::to_string(r.channels) + "/" +
                  std::to_string(r.dead_channels) + "/" + std::to_string(r.max_abs_bias);
  for (const auto& f : r.findings)
    s += ";" + f.kind + "@" + std::to_string(f.op_index) + ":" + std::to_string(f.channel);
  return s;
}

// check under every fuzzed preset (QUANTCHECK_FUZZ_POLICIES, default all).
inline const model::CheckOptions& check_options() {
  static const model::CheckOptions o = [] {
    model::CheckOptions opt;
    for (const Policy* p : fuzzed_policies()) opt.policies.push_back(*p);
    return opt;
  }();
  return o;
}

// check under one fuzzed preset picked by a hash of the input, plus the
// reference presets (their guarantees are checked on every input): a valid
// model under all 17 presets costs tens of milliseconds under ASan, and the
// fuzzer's many variants of an input reach every preset in turn.
inline const model::CheckOptions& check_options_for(const std::uint8_t* data, std::size_t size) {
  static const std::vector<model::CheckOptions> per_preset = [] {
    std::vector<model::CheckOptions> out;
    for (const Policy* named : fuzzed_policies()) {
      model::CheckOptions opt;
      for (const Policy* p : policies_for(named->name)) opt.policies.push_back(*p);
      out.push_back(std::move(opt));
    }
    return out;
  }();
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (std::size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 16777619u;
  return per_preset[h % per_preset.size()];
}

// The reference presets declare every guarantee and must keep them all.
inline void fail_if_a_reference_preset_breaks(const model::CheckReport& report) {
  for (const model::LayerCheck& layer : report.layers)
    for (const model::LayerPolicyResult& r : layer.results)
      if (!r.broken.empty() && find_preset(r.policy).bias_fit == BiasFit::reference_headroom)
        fail(r.policy + " breaks " + r.broken.front() + " in layer " + layer.layer.name);
}

}  // namespace quantcheck::fuzz
