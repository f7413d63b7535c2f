// fuzz_layer: every runtime profile's integer layer kernel (CONV_2D,
// DEPTHWISE_CONV_2D with depth multiplier, FULLY_CONNECTED; strides,
// dilation, SAME/VALID, zero points) on small shapes, against this target's
// own plain-loop exact accumulator and the exact rational output
// (runtime_oracle.hpp). Any difference beyond a profile's documented bound traps.
//
// Input: read with FuzzedDataProvider: op, activation and weight types,
// geometry (batch <= 2, H, W <= 4, channels <= 4, kernel <= 3, stride and
// dilation <= 2), the scales as float32 bit patterns or from a realistic
// range, zero points, bias (int64, narrowed to int32 for int32 biases), then
// weights and inputs from the remaining bytes (cycled when short).
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "quantcheck/runtime/profiles.hpp"
#include "runtime_oracle.hpp"

namespace {

using namespace quantcheck;

// A scale: the raw float32 bits (anything, NaN included) when the flag is
// set, else 2^-k (1 + f) with k in [0, 40): the range quantizers produce.
float consume_scale(FuzzedDataProvider& in) {
  const bool raw = in.ConsumeBool();
  const auto bits = in.ConsumeIntegral<std::uint32_t>();
  if (raw) {
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  const int k = static_cast<int>(bits % 40);
  return std::ldexp(1.0f + static_cast<float>(bits >> 8) / 16777216.0f, -k);
}

struct Range {
  std::int32_t lo, hi;
};

Range range_of(WeightType t) {
  switch (t) {
    case WeightType::uint8: return {0, 255};
    case WeightType::int8: return {-128, 127};
    case WeightType::int16: return {-32768, 32767};
  }
  return {0, 0};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  // The layer and input keep their storage from input to input: under
  // AddressSanitizer each fresh vector costs more than a small layer's checks.
  static IntegerLayer l;
  static std::vector<std::int32_t> x;
  l.geometry = LayerGeometry{};
  l.weights.clear();
  l.weight_scales.clear();
  l.weight_zero_points.clear();
  l.bias.clear();
  LayerGeometry& g = l.geometry;
  g.op = static_cast<OpKind>(in.ConsumeIntegralInRange(0, 2));
  l.activation = static_cast<ActivationType>(in.ConsumeIntegralInRange(0, 2));
  const bool alt_weights = in.ConsumeBool();
  l.weight_type = l.activation == ActivationType::uint8 && alt_weights   ? WeightType::uint8
                  : l.activation == ActivationType::int16 && alt_weights ? WeightType::int16
                                                                         : WeightType::int8;
  g.batch = in.ConsumeIntegralInRange(1, 2);
  g.in_c = in.ConsumeIntegralInRange(1, 4);
  if (g.op == OpKind::fully_connected) {
    g.in_c = in.ConsumeIntegralInRange(1, 16);
    g.out_c = in.ConsumeIntegralInRange(1, 4);
  } else {
    g.in_h = in.ConsumeIntegralInRange(1, 4);
    g.in_w = in.ConsumeIntegralInRange(1, 4);
    g.kernel_h = in.ConsumeIntegralInRange(1, 3);
    g.kernel_w = in.ConsumeIntegralInRange(1, 3);
    g.stride_h = in.ConsumeIntegralInRange(1, 2);
    g.stride_w = in.ConsumeIntegralInRange(1, 2);
    g.dilation_h = in.ConsumeIntegralInRange(1, 2);
    g.dilation_w = in.ConsumeIntegralInRange(1, 2);
    g.padding = in.ConsumeBool() ? Padding::same : Padding::valid;
    if (g.op == OpKind::depthwise_conv2d) {
      g.depth_multiplier = in.ConsumeIntegralInRange(1, 2);
      g.out_c = g.in_c * g.depth_multiplier;
    } else {
      g.out_c = in.ConsumeIntegralInRange(1, 4);
    }
    if (g.out_h() < 1 || g.out_w() < 1) g.padding = Padding::same;  // VALID needs the kernel inside
  }
  const Range act{activation_min(l.activation), activation_max(l.activation)};
  const Range wr = range_of(l.weight_type);
  l.input_scale = consume_scale(in);
  l.output_scale = consume_scale(in);
  const bool per_channel = in.ConsumeBool() && g.op != OpKind::fully_connected;
  const std::int64_t scales = per_channel ? g.out_c : 1;
  for (std::int64_t c = 0; c < scales; ++c) {
    l.weight_scales.push_back(consume_scale(in));
    l.weight_zero_points.push_back(in.ConsumeBool() ? 0 : in.ConsumeIntegralInRange(wr.lo, wr.hi));
  }
  l.input_zero_point = in.ConsumeIntegralInRange(act.lo, act.hi);
  l.output_zero_point = in.ConsumeIntegralInRange(act.lo, act.hi);
  l.bias_type =
      l.activation == ActivationType::int16 && in.ConsumeBool() ? BiasType::int64 : BiasType::int32;
  const bool has_bias = in.ConsumeIntegralInRange(0, 7) != 0;
  if (has_bias)
    for (std::int64_t c = 0; c < g.out_c; ++c) {
      const auto b = in.ConsumeIntegral<std::int64_t>();
      l.bias.push_back(l.bias_type == BiasType::int32
                           ? std::int64_t{static_cast<std::int32_t>(static_cast<std::uint32_t>(b))}
                           : b);
    }
  // Weights, then inputs, from the rest (cycled; zeros when nothing is left).
  // FuzzedDataProvider takes integers from the end and bytes from the front:
  // nothing was taken from the front, so the remaining bytes are
  // data[0, remaining) (what ConsumeRemainingBytes would copy out).
  const std::uint8_t* rest = data;
  const std::size_t rest_size = in.remaining_bytes();
  std::size_t at = 0;
  auto next = [&](Range r) -> std::int32_t {
    if (rest_size == 0) return std::max(r.lo, std::min(r.hi, 0));
    std::uint32_t v = rest[at++ % rest_size];
    if (r.hi - r.lo > 255) v = (v << 8) | rest[at++ % rest_size];
    return r.lo + static_cast<std::int32_t>(v % static_cast<std::uint32_t>(r.hi - r.lo + 1));
  };
  for (std::int64_t i = 0; i < g.filter_size(); ++i) l.weights.push_back(next(wr));
  x.clear();
  for (std::int64_t i = 0; i < g.input_size(); ++i) x.push_back(next(act));

  for (const RuntimeProfile& p : runtime_profiles()) fuzz::check_profile_on_layer(p, l, x);
  return 0;
}
