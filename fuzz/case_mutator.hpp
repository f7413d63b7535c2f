// The structure-aware mutator of case files (LLVMFuzzerCustomMutator of
// fuzz_case_flatbuffer and fuzz_differential). It verifies the buffer, decodes
// the case, changes the floats and scales the way quantizers break (a channel
// scaled by 2^-60, a bias grown, the input scale shrunk, a special bit
// pattern) and re-encodes a valid case, so almost every execution reaches the
// quantizer instead of the flatbuffer verifier.
#pragma once

#include <cstddef>
#include <cstdint>

#include "quantcheck/casefile.hpp"

namespace quantcheck::fuzz {

// Mutates the case file in data[0, size) in place; returns the new size
// (<= max_size). Bytes that are not a case file become a fresh small case.
std::size_t mutate_case_file(std::uint8_t* data, std::size_t size, std::size_t max_size,
                             unsigned int seed);

// A small valid case derived from seed (op, shape 1-4 per dimension, values
// spread over many binades, sometimes no bias).
CaseRecord seed_case(unsigned int seed);

}  // namespace quantcheck::fuzz
