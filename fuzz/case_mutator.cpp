#include "case_mutator.hpp"

#include <cfloat>
#include <cmath>
#include <cstring>
#include <random>

#include "quantcheck/presets.hpp"

// libFuzzer's own byte mutator; weak so that engines without it (the replay
// main, AFL++'s driver) still link, and the mutator then flips bits itself.
extern "C" __attribute__((weak)) size_t LLVMFuzzerMutate(uint8_t* data, size_t size,
                                                         size_t max_size);

namespace quantcheck::fuzz {
namespace {

using Rng = std::minstd_rand;

constexpr std::int64_t kMaxDim = 4;
constexpr std::size_t kMaxElements = 256;

std::uint32_t pick(Rng& r, std::uint32_t n) { return static_cast<std::uint32_t>(r() % n); }

// Values that sit on the edges quantizers trip over.
float special(Rng& r) {
  static const float table[] = {0.0f,     -0.0f,    1.0f,          -1.0f,          0.5f,
                                FLT_MIN,  -FLT_MIN, FLT_MAX,       -FLT_MAX,       FLT_EPSILON,
                                1e-5f,    1e-8f,    1e-9f,         1e-15f,         1e-19f,
                                1.6e-19f, 1e-38f,   0x1p-149f,     -0x1p-149f,     0x1p-126f,
                                127.0f,   32767.0f, 2147483647.0f, 0.2147f,        -1.2156529f,
                                1.0e30f,  -1.0e30f, 0.0001525924f, 0.007874016f,   3.4e38f,
                                NAN,      INFINITY, -INFINITY,     0.00015259201f, 1e-7f};
  return table[pick(r, sizeof table / sizeof table[0])];
}

float bits_to_float(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

float mutate_float(float x, Rng& r) {
  switch (pick(r, 10)) {
    case 0: {  // flip one bit of the pattern
      std::uint32_t u;
      std::memcpy(&u, &x, 4);
      return bits_to_float(u ^ (1u << pick(r, 32)));
    }
    case 1: return special(r);
    case 2: return std::ldexp(x, static_cast<int>(pick(r, 81)) - 40);
    case 3: return -x;
    case 4: return std::nextafter(x, pick(r, 2) ? FLT_MAX : -FLT_MAX);
    case 5: return std::uniform_real_distribution<float>(-1.0f, 1.0f)(r);
    case 6:
      return std::ldexp(std::uniform_real_distribution<float>(-1.0f, 1.0f)(r),
                        static_cast<int>(pick(r, 277)) - 149);
    case 7: return x * (1.0f + std::ldexp(1.0f, -static_cast<int>(pick(r, 24))));
    case 8: return bits_to_float(static_cast<std::uint32_t>(r()) ^ (r() << 16));
    default: return 0.0f;
  }
}

// Positive, spread over the binades a scale can take.
float mutate_scale(float s, Rng& r) {
  const float m = std::fabs(mutate_float(s, r));
  return pick(r, 16) == 0 ? -m : m;  // sometimes invalid: validate() must say so
}

std::int64_t dim(Rng& r) { return 1 + static_cast<std::int64_t>(pick(r, kMaxDim)); }

std::vector<std::int64_t> random_shape(OpKind op, Rng& r) {
  switch (op) {
    case OpKind::conv2d: return {dim(r), dim(r), dim(r), dim(r)};
    case OpKind::depthwise_conv2d: return {1, dim(r), dim(r), dim(r)};
    case OpKind::fully_connected: return {dim(r), dim(r) * dim(r)};
  }
  return {1, 1, 1, 1};
}

std::size_t elements(const std::vector<std::int64_t>& shape) {
  std::size_t n = 1;
  for (std::int64_t d : shape) n *= static_cast<std::size_t>(d);
  return n;
}

// Output channels of a case whose shape and axis are already sane.
std::size_t channels_of(const Case& c) {
  const int axis = c.channel_axis.value_or(default_channel_axis(c.op));
  if (axis < 0 || static_cast<std::size_t>(axis) >= c.weight_shape.size()) return 1;
  return static_cast<std::size_t>(std::max<std::int64_t>(1, c.weight_shape[axis]));
}

// A new shape for the case, keeping existing values where they fit and
// repeating them into new elements.
void reshape(Case& c, std::vector<std::int64_t> shape) {
  const std::size_t n = elements(shape);
  std::vector<float> w(n);
  for (std::size_t i = 0; i < n; ++i)
    w[i] = c.weights.empty() ? 0.0f : c.weights[i % c.weights.size()];
  c.weights = std::move(w);
  c.weight_shape = std::move(shape);
  if (!c.bias.empty()) {
    const std::size_t ch = channels_of(c);
    std::vector<float> b(ch);
    for (std::size_t i = 0; i < ch; ++i) b[i] = c.bias[i % c.bias.size()];
    c.bias = std::move(b);
  }
}

bool sane_shape(const Case& c) {
  if (c.weight_shape.size() != (c.op == OpKind::fully_connected ? 2u : 4u)) return false;
  std::size_t n = 1;
  for (std::int64_t d : c.weight_shape) {
    if (d < 1 || d > 64) return false;
    n *= static_cast<std::size_t>(d);
  }
  return n <= kMaxElements && n == c.weights.size();
}

void mutate_record(CaseRecord& rec, Rng& r) {
  Case& c = rec.c;
  // Mutate from a case whose structure is sane, so the values are what changes.
  if (c.channel_axis &&
      (*c.channel_axis < 0 || static_cast<std::size_t>(*c.channel_axis) >= c.weight_shape.size()))
    c.channel_axis.reset();
  if (!sane_shape(c)) {
    c.channel_axis.reset();
    reshape(c, random_shape(c.op, r));
  }
  const std::size_t ch_count = channels_of(c);
  if (!c.bias.empty() && c.bias.size() != ch_count) c.bias.resize(ch_count, 0.0f);
  switch (pick(r, 12)) {
    case 0:
    case 1:
    case 2: {  // one weight
      float& w = c.weights[pick(r, static_cast<std::uint32_t>(c.weights.size()))];
      w = mutate_float(w, r);
      break;
    }
    case 3: {  // a whole output channel scaled by 2^k: tiny filters are the #6970 shape
      const int axis = c.channel_axis.value_or(default_channel_axis(c.op));
      std::int64_t inner = 1;
      for (std::size_t d = static_cast<std::size_t>(axis) + 1; d < c.weight_shape.size(); ++d)
        inner *= c.weight_shape[d];
      const std::size_t ch = pick(r, static_cast<std::uint32_t>(ch_count));
      const int k = static_cast<int>(pick(r, 101)) - 90;
      for (std::size_t i = 0; i < c.weights.size(); ++i)
        if ((static_cast<std::int64_t>(i) / inner) % static_cast<std::int64_t>(ch_count) ==
            static_cast<std::int64_t>(ch))
          c.weights[i] = pick(r, 8) == 0 ? 0.0f : std::ldexp(c.weights[i], k);
      break;
    }
    case 4:
    case 5: c.input_scale = mutate_scale(c.input_scale, r); break;
    case 6:
    case 7:
      if (c.bias.empty()) {
        c.bias.assign(ch_count, 0.0f);
      }
      {
        float& b = c.bias[pick(r, static_cast<std::uint32_t>(c.bias.size()))];
        b = pick(r, 2) ? mutate_float(b, r) : std::ldexp(b == 0 ? 1.0f : b, int(pick(r, 41)));
      }
      break;
    case 8: {  // the preset the case is about
      const auto& all = presets();
      const std::uint32_t i = pick(r, static_cast<std::uint32_t>(all.size() + 2));
      rec.policy = i < all.size() ? all[i].name : "";
      break;
    }
    case 9: {  // another op or shape
      c.op = static_cast<OpKind>(pick(r, 3));
      c.channel_axis.reset();
      reshape(c, random_shape(c.op, r));
      break;
    }
    case 10:  // bias dropped or restored
      if (c.bias.empty())
        c.bias.assign(ch_count, special(r));
      else
        c.bias.clear();
      break;
    default: {  // copy one value over another
      const std::size_t n = c.weights.size();
      c.weights[pick(r, static_cast<std::uint32_t>(n))] =
          pick(r, 2) && !c.bias.empty() ? c.bias[0] : c.weights[pick(r, (std::uint32_t)n)];
      break;
    }
  }
}

std::size_t emit(const CaseRecord& rec, std::uint8_t* data, std::size_t size,
                 std::size_t max_size) {
  const std::size_t n = encode_case_file(rec, data, max_size);
  return n == 0 ? size : n;  // too big for this run: leave the input as it was
}

}  // namespace

CaseRecord seed_case(unsigned int seed) {
  Rng r(seed ? seed : 1);
  CaseRecord rec;
  rec.c.op = static_cast<OpKind>(pick(r, 3));
  rec.c.weight_shape = random_shape(rec.c.op, r);
  rec.c.weights.resize(elements(rec.c.weight_shape));
  const int binade = static_cast<int>(pick(r, 80)) - 70;
  for (float& w : rec.c.weights)
    w = std::ldexp(std::uniform_real_distribution<float>(-1.0f, 1.0f)(r), binade);
  rec.c.input_scale = std::ldexp(1.0f, -static_cast<int>(pick(r, 30)));
  if (pick(r, 4) != 0) {
    rec.c.bias.resize(channels_of(rec.c));
    for (float& b : rec.c.bias) b = std::uniform_real_distribution<float>(-4.0f, 4.0f)(r);
  }
  return rec;
}

std::size_t mutate_case_file(std::uint8_t* data, std::size_t size, std::size_t max_size,
                             unsigned int seed) {
  Rng r(seed ? seed : 1);
  static CaseRecord rec;  // buffers reused from mutation to mutation
  if (!decode_case_file(data, size, rec)) return emit(seed_case(seed), data, size, max_size);
  // Now and then let the bytes be broken, so the verifier path stays covered.
  if (pick(r, 32) == 0) {
    if (LLVMFuzzerMutate) return LLVMFuzzerMutate(data, size, max_size);
    if (size > 0) data[pick(r, static_cast<std::uint32_t>(size))] ^= std::uint8_t(1u << pick(r, 8));
    return size;
  }
  const unsigned rounds = 1 + pick(r, 3);
  for (unsigned i = 0; i < rounds; ++i) mutate_record(rec, r);
  return emit(rec, data, size, max_size);
}

}  // namespace quantcheck::fuzz
