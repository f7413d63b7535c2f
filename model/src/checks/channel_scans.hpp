// The per-element scans of a model check, one pass each over a channel's run
// of weights. Kept apart so they can be compiled for vector units
// (channel_scans.cpp); each gives exactly the scalar loop's answer.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantcheck::model {

// max(m, max |x[i]|) over n finite floats.
float max_abs_run(const float* x, std::size_t n, float m);

// Over n weights x and their integers q of one channel (zero point zp, scale
// s): max(e, max |(q - zp) s - x|) in double, the dequantized value exactly as
// quantize() writes it, and whether any q differs from zp.
struct RunError {
  double max_error;
  bool nonzero;
};
RunError run_error(const float* x, const std::int32_t* q, std::size_t n, std::int32_t zp, double s,
                   double e);

}  // namespace quantcheck::model
