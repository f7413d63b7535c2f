// Errors the library reports instead of quantizing bad input.
#pragma once

#include <stdexcept>
#include <string>

namespace quantcheck {

// Bad input data: NaN/Inf values, empty tensors, shape mismatches, bad scales.
// The message names the tensor, and the channel and element where they apply.
class InputError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// A wrong request: unknown policy, unknown option value.
class UsageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

}  // namespace quantcheck
