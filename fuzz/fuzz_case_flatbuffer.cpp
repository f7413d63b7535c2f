// fuzz_case_flatbuffer: a case file (fuzz/schema/case.fbs) in, quantized under
// its own preset and the reference presets (every preset when it names none);
// every declared guarantee re-checked. LLVMFuzzerCustomMutator keeps inputs
// valid case files and mutates the floats and scales inside them
// (case_mutator.cpp). The regression corpus (corpus/regression/) is in this
// format.
#include "case_mutator.hpp"
#include "fuzz_support.hpp"
#include "quantcheck/casefile.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static quantcheck::CaseRecord rec;  // buffers reused from input to input
  if (!quantcheck::decode_case_file(data, size, rec))
    return 0;  // not a case file: the verifier said no
  // Bad values are rejected (validate()'s messages are fuzzed by fuzz_case_bytes).
  const auto layout = quantcheck::layout_if_valid(rec.c);
  if (!layout) return 0;
  for (const quantcheck::Policy* p : quantcheck::fuzz::policies_for(rec.policy))
    quantcheck::fuzz::quantize_and_check(*p, rec.c, *layout);
  return 0;
}

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
  return quantcheck::fuzz::mutate_case_file(data, size, max_size, seed);
}
