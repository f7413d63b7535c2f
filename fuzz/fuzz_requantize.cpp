// fuzz_requantize: every runtime profile's requantization of an accumulator
// against the exact rational (runtime_oracle.hpp): the multiplier encoding
// within the profile's relative bound, the output within its documented LSB
// bound of the exactly rounded acc * M_repr, a flushed multiplier giving
// zp_out. Any difference beyond the bound traps.
//
// Input: s_in, s_w, s_out as float32 bit patterns (12 bytes), one byte for
// the output zero point, then up to 16 accumulators as int64 (little-endian
// host order; a trailing partial value is ignored). The accumulators become
// the biases of a 1-tap FULLY_CONNECTED layer whose input is the zero point,
// so each output channel requantizes exactly one of them; int32-accumulator
// paths see its low 32 bits. Every profile, 8-bit and 16-bit paths.
// A flat byte format: every scale bit and every accumulator bit is one
// mutation away, so ties, the 2^-32 flush edge and the int32 edges are near.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "quantcheck/runtime/profiles.hpp"
#include "runtime_oracle.hpp"

namespace {

using namespace quantcheck;

// Fills l (its vectors keep their storage from input to input: under
// AddressSanitizer a fresh vector per layer and input cost more than the checks).
void requantize_layer(const RuntimeProfile& p, ActivationType a, float s_in, float s_w, float s_out,
                      std::int8_t zp_byte, const std::vector<std::int64_t>& accs, IntegerLayer& l) {
  const RuntimePath& path = path_for(p, a);
  l.geometry = LayerGeometry{};
  l.geometry.op = OpKind::fully_connected;
  l.geometry.out_c = static_cast<std::int64_t>(accs.size());
  l.activation = a;
  l.weight_type =
      a == ActivationType::int16 && path.int16_weights ? WeightType::int16 : WeightType::int8;
  l.input_scale = s_in;
  l.output_scale = s_out;
  l.weight_scales.assign(1, s_w);
  l.weight_zero_points.assign(1, 0);
  l.input_zero_point = a == ActivationType::uint8 ? 128 : 0;
  l.output_zero_point = a == ActivationType::int16   ? 0
                        : a == ActivationType::uint8 ? zp_byte + 128
                                                     : zp_byte;
  l.weights.assign(accs.size(), 1);
  l.bias_type = path.accumulator == AccumulatorType::int64 ? BiasType::int64 : BiasType::int32;
  l.bias.clear();
  for (std::int64_t acc : accs)
    l.bias.push_back(l.bias_type == BiasType::int32
                         ? std::int64_t{static_cast<std::int32_t>(static_cast<std::uint32_t>(acc))}
                         : acc);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t kHeader = 13, kMaxAccs = 16;
  if (size < kHeader + 8) return 0;
  float s_in, s_w, s_out;
  std::memcpy(&s_in, data, 4);
  std::memcpy(&s_w, data + 4, 4);
  std::memcpy(&s_out, data + 8, 4);
  const auto zp = static_cast<std::int8_t>(data[12]);
  static std::vector<std::int64_t> accs;
  accs.clear();
  for (std::size_t k = 0; k < std::min((size - kHeader) / 8, kMaxAccs); ++k) {
    std::int64_t v;
    std::memcpy(&v, data + kHeader + 8 * k, 8);
    accs.push_back(v);
  }
  // Profiles share layers: one per (activation, weight type, bias type), built
  // once per input into storage kept across inputs (the first `used` entries).
  struct Built {
    ActivationType a;
    WeightType w;
    BiasType b;
    IntegerLayer layer;
  };
  static std::vector<Built> built;
  static std::vector<std::int32_t> input(1);
  std::size_t used = 0;
  for (const RuntimeProfile& p : runtime_profiles()) {
    const ActivationType eight =
        p.int8_weights_take_uint8_activations ? ActivationType::uint8 : ActivationType::int8;
    for (ActivationType a : {eight, ActivationType::int16}) {
      const RuntimePath& path = path_for(p, a);
      if (!path.supported) continue;
      const WeightType w =
          a == ActivationType::int16 && path.int16_weights ? WeightType::int16 : WeightType::int8;
      const BiasType b =
          path.accumulator == AccumulatorType::int64 ? BiasType::int64 : BiasType::int32;
      auto it = std::find_if(built.begin(), built.begin() + static_cast<std::ptrdiff_t>(used),
                             [&](const Built& x) { return x.a == a && x.w == w && x.b == b; });
      if (it == built.begin() + static_cast<std::ptrdiff_t>(used)) {
        if (used == built.size()) built.emplace_back();
        Built& fresh = built[used++];
        fresh.a = a;
        fresh.w = w;
        fresh.b = b;
        requantize_layer(p, a, s_in, s_w, s_out, zp, accs, fresh.layer);
        it = built.begin() + static_cast<std::ptrdiff_t>(used - 1);
      }
      input[0] = it->layer.input_zero_point;
      fuzz::check_profile_on_layer(p, it->layer, input);
    }
  }
  return 0;
}
