// The checks fuzz_requantize and fuzz_layer hold every runtime profile to,
// written from the profile's documented bounds (profile.hpp,
// docs/runtimes.md), not from its kernel:
//  - accumulator: where the profile reports no overflow, its accumulator is
//    the exact sum of this file's own plain loop;
//  - multiplier: the stored multiplier M_repr is within
//    multiplier_relative_bound(path) of the exact s_in s_w / s_out (normal
//    float32 scales and products; a flushed multiplier gives zp_out);
//  - requantization: the output is within requantization_bound_lsb(path) of
//    the exactly rounded acc * M_repr (+ zp, clamped), unless the runtime's
//    own documented overflow (int32 left shift, int32 narrowing of an int64
//    result, the e > 30 clamp) applies;
//  - end to end: |y - (acc_exact M_exact + zp)| <= bound + 1/2 + |acc| M rel.
// Any violation calls fuzz::fail (prints and traps).
#pragma once

#include <cstdint>
#include <vector>

#include "quantcheck/runtime/layer.hpp"
#include "quantcheck/runtime/profile.hpp"

namespace quantcheck::fuzz {

// acc[o] = bias + sum (x - zp_x)(w - zp_w) by plain loops (weight zero point
// applied when the profile's path applies it), exact, output order of run_layer.
std::vector<int128> exact_accumulators(const IntegerLayer& l, bool apply_weight_zero_point,
                                       const std::vector<std::int32_t>& input);
// The same into out (storage reused from input to input).
void exact_accumulators(const IntegerLayer& l, bool apply_weight_zero_point,
                        const std::vector<std::int32_t>& input, std::vector<int128>& out);

// Runs p on (l, input) and checks every output; returns the outputs checked.
// A layer Prepare rejects is checked for nothing (returns 0).
std::size_t check_profile_on_layer(const RuntimeProfile& p, const IntegerLayer& l,
                                   const std::vector<std::int32_t>& input);

}  // namespace quantcheck::fuzz
