// fuzz_case_bytes: raw bytes -> one case (FuzzedDataProvider), quantized by
// every preset; every guarantee a preset declares is re-checked and a broken
// one traps. Built with -DQUANTCHECK_FUZZ_UNEXCUSED it also holds the seed-era
// luci int16 preset to no_bias_saturation (fuzz_case_bytes_unexcused), which
// makes ONE #6970's INT64_MIN bias a crash to be found from an empty corpus.
//
// Byte layout (FuzzedDataProvider): structure (op, shape, axis, bias or not)
// from the end of the input, float bit patterns from the front, so a
// mutation of a value leaves the shape alone.
#include <fuzzer/FuzzedDataProvider.h>

#include <cfloat>
#include <cstring>

#include "fuzz_support.hpp"
#include "quantcheck/error.hpp"

namespace {

using quantcheck::Case;
using quantcheck::OpKind;

// A float from the next four bytes, or (selector 0-15) one of the values
// quantizers trip over. NaN and Inf stay possible: validate() must reject them.
float next_float(FuzzedDataProvider& in, std::uint8_t selector) {
  static const float table[] = {
      0.0f,  -0.0f,       1e-19f, 1.635772e-19f, FLT_MIN,   FLT_MAX,     1e-5f,         1e-8f,
      1e-9f, FLT_EPSILON, 1.0f,   -1.0f,         0x1p-149f, -1.2156529f, 0.0001525924f, 32767.0f};
  if (selector < 16) return table[selector];
  // The next (up to) four bytes, little-endian, missing ones zero; no vector
  // per value as ConsumeBytes would allocate.
  std::uint8_t bytes[4] = {0, 0, 0, 0};
  const std::size_t got = in.ConsumeData(bytes, 4);
  std::uint32_t u = 0;
  for (std::size_t i = 0; i < got; ++i) u |= std::uint32_t{bytes[i]} << (8 * i);
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Fills c (its buffers are reused from one input to the next).
void case_from_bytes(FuzzedDataProvider& in, Case& c) {
  c.weights.clear();
  c.bias.clear();
  c.channel_axis.reset();
  c.op = in.PickValueInArray({OpKind::conv2d, OpKind::depthwise_conv2d, OpKind::fully_connected});
  auto dim = [&] { return in.ConsumeIntegralInRange<std::int64_t>(1, 4); };
  switch (c.op) {
    case OpKind::conv2d: c.weight_shape = {dim(), dim(), dim(), dim()}; break;
    case OpKind::depthwise_conv2d: c.weight_shape = {1, dim(), dim(), dim()}; break;
    case OpKind::fully_connected: c.weight_shape = {dim(), dim() * dim()}; break;
  }
  const std::uint8_t flags = in.ConsumeIntegral<std::uint8_t>();
  if ((flags & 0x7) == 0)  // now and then an explicit (maybe unusual) channel axis
    c.channel_axis = in.ConsumeIntegralInRange<int>(0, static_cast<int>(c.weight_shape.size()));
  const bool has_bias = (flags & 0x18) != 0;
  // One selector byte per value, taken from the end with the structure.
  std::int64_t n = 1;
  for (std::int64_t d : c.weight_shape) n *= d;
  const std::int64_t axis = c.channel_axis.value_or(quantcheck::default_channel_axis(c.op));
  const std::int64_t channels =
      axis < static_cast<std::int64_t>(c.weight_shape.size()) ? c.weight_shape[axis] : 1;
  c.input_scale = next_float(in, in.ConsumeIntegral<std::uint8_t>());
  c.weights.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    c.weights.push_back(next_float(in, in.ConsumeIntegral<std::uint8_t>()));
  if (has_bias)
    for (std::int64_t i = 0; i < channels; ++i)
      c.bias.push_back(next_float(in, in.ConsumeIntegral<std::uint8_t>()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  static Case c;
  case_from_bytes(in, c);
  quantcheck::Layout layout;
  try {
    layout = quantcheck::validate(c);
  } catch (const quantcheck::InputError&) {
    return 0;  // bad input is rejected with a message; that is the contract
  }
  for (const quantcheck::Policy* p : quantcheck::fuzz::fuzzed_policies())
    quantcheck::fuzz::quantize_and_check(*p, c, layout);
  return 0;
}
