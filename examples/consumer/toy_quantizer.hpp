// A toy quantizer, standing in for the one a team would test: symmetric int8
// per output channel, scale = max|w| / 127 (at least FLT_MIN), bias at
// s_in * s_w rounded and clamped to int32.
#pragma once

#include "quantcheck/quantize.hpp"

namespace toy {

// Throws quantcheck::InputError for a case it refuses (non-finite values).
quantcheck::Result quantize(const quantcheck::Case& c);

}  // namespace toy
