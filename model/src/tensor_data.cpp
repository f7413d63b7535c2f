// Element sizes, float16 conversion and reading constants as float.
#include "quantcheck/model/tensor_data.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace quantcheck::model {

int element_size(std::int8_t type) {
  switch (type) {
    case fb::TensorType_FLOAT32: return 4;
    case fb::TensorType_FLOAT16: return 2;
    case fb::TensorType_INT32: return 4;
    case fb::TensorType_UINT8: return 1;
    case fb::TensorType_INT64: return 8;
    case fb::TensorType_BOOL: return 1;
    case fb::TensorType_INT16: return 2;
    case fb::TensorType_COMPLEX64: return 8;
    case fb::TensorType_INT8: return 1;
    case fb::TensorType_FLOAT64: return 8;
    case fb::TensorType_COMPLEX128: return 16;
    case fb::TensorType_UINT64: return 8;
    case fb::TensorType_UINT32: return 4;
    case fb::TensorType_UINT16: return 2;
    case fb::TensorType_BFLOAT16: return 2;
    default: return 0;  // STRING, RESOURCE, VARIANT, INT4 (packed), circle's own types
  }
}

std::string type_name(std::int8_t type) {
  if (type >= fb::TensorType_MIN && type <= fb::TensorType_MAX)
    return fb::EnumNameTensorType(static_cast<fb::TensorType>(type));
  return "type " + std::to_string(type);
}

float half_to_float(std::uint16_t h) {
  // binary16: 1 sign, 5 exponent (bias 15), 10 fraction bits.
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1fu;
  std::uint32_t fraction = h & 0x3ffu;
  std::uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (fraction << 13);  // inf, NaN (payload kept)
  } else if (exponent != 0) {
    bits = sign | ((exponent + 127 - 15) << 23) | (fraction << 13);
  } else if (fraction == 0) {
    bits = sign;  // +-0
  } else {
    // Subnormal half: fraction * 2^-24. Normalise: shift until the leading 1
    // reaches bit 10; every half subnormal is a normal float32.
    int e = -14;
    while ((fraction & 0x400u) == 0) {
      fraction <<= 1;
      --e;
    }
    bits = sign | static_cast<std::uint32_t>(e + 127) << 23 | ((fraction & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

std::vector<std::int64_t> shape_of(const fb::Tensor& t) {
  std::vector<std::int64_t> s;
  if (t.shape())
    for (const std::int32_t d : *t.shape()) s.push_back(d);
  return s;
}

std::int64_t element_count(const fb::Tensor& t) {
  std::int64_t n = 1;
  if (t.shape())
    for (const std::int32_t d : *t.shape()) n *= d;
  return n;
}

Quantization quantization_of(const fb::Tensor& t) {
  Quantization q;
  const fb::QuantizationParameters* p = t.quantization();
  if (!p || p->details()) return q;  // custom quantization: not scale/zero point
  if (p->scale()) q.scale.assign(p->scale()->begin(), p->scale()->end());
  if (p->zero_point()) q.zero_point.assign(p->zero_point()->begin(), p->zero_point()->end());
  if (q.zero_point.empty()) q.zero_point.assign(q.scale.size(), 0);
  q.quantized_dimension = p->quantized_dimension();
  return q;
}

namespace {

// One element of type T from possibly unaligned bytes.
template <typename T>
inline T load_at(std::span<const std::uint8_t> data, std::size_t i) {
  T v;
  std::memcpy(&v, data.data() + i * sizeof(T), sizeof(T));
  return v;
}

// Appends n values to an emptied `out` through a small block on the stack, so
// the vector's storage is written once: resize() would zero-fill it first
// (a model check reads every layer into the same vector, and zero-filling
// each layer's growth was a tenth of a `check --policy NAME` process).
// produce(i, count, dst) writes elements [i, i + count) to dst.
template <typename Produce>
void append_by_blocks(std::vector<float>& out, std::size_t n, Produce produce) {
  constexpr std::size_t kBlock = 1024;
  float block[kBlock];
  out.clear();
  out.reserve(n);
  for (std::size_t i = 0; i < n; i += kBlock) {
    const std::size_t count = std::min(kBlock, n - i);
    produce(i, count, block);
    out.insert(out.end(), block, block + count);
  }
}

// out[i] = scale[c] * (q[i] - zero_point[c]) for the n integers of type T, in
// runs of `inner` elements per channel (no division per element). In double: a
// hostile zero point must not overflow an int64 subtraction.
template <typename T>
void dequantize_as(std::span<const std::uint8_t> data, const Quantization& q, std::int64_t inner,
                   std::size_t n, std::vector<float>& out) {
  const std::size_t channels = q.scale.size();
  const std::size_t run = channels > 1 ? static_cast<std::size_t>(inner) : n;
  append_by_blocks(out, n, [&](std::size_t first, std::size_t count, float* dst) {
    // Element i belongs to channel (i / run) % channels; walk the block in
    // pieces that stay inside one run.
    std::size_t i = first;
    const std::size_t last = first + count;
    while (i < last) {
      const std::size_t c = channels > 1 ? (i / run) % channels : 0;
      const std::size_t end = std::min(last, (i / run + 1) * run);
      const double scale = q.scale[c];
      const double zero_point = static_cast<double>(q.zero_point[c]);
      for (; i < end; ++i)
        dst[i - first] =
            static_cast<float>(scale * (static_cast<double>(load_at<T>(data, i)) - zero_point));
    }
  });
}

template <typename T>
std::vector<std::int64_t> load_as_int64(std::span<const std::uint8_t> data) {
  std::vector<std::int64_t> out(data.size() / sizeof(T));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = load_at<T>(data, i);
  return out;
}

}  // namespace

std::vector<std::int64_t> read_integers(const ModelFile& m, const fb::Tensor& t) {
  const auto data = m.tensor_data(t);
  switch (t.type()) {
    case fb::TensorType_INT8: return load_as_int64<std::int8_t>(data);
    case fb::TensorType_UINT8: return load_as_int64<std::uint8_t>(data);
    case fb::TensorType_INT16: return load_as_int64<std::int16_t>(data);
    case fb::TensorType_INT32: return load_as_int64<std::int32_t>(data);
    case fb::TensorType_INT64: return load_as_int64<std::int64_t>(data);
    default:
      m.fail("tensor '" + (t.name() ? t.name()->str() : std::string()) + "' of type " +
             type_name(static_cast<std::int8_t>(t.type())) + " is not an integer constant");
  }
}

std::vector<float> read_floats(const ModelFile& m, const fb::Tensor& t, const std::string& what) {
  std::vector<float> out;
  read_floats_into(m, t, what, out);
  return out;
}

void read_floats_into(const ModelFile& m, const fb::Tensor& t, const std::string& what,
                      std::vector<float>& out) {
  const auto data = m.tensor_data(t);
  const std::string name = t.name() ? t.name()->str() : std::string();
  if (data.empty() && element_count(t) > 0)
    m.fail(what + " tensor '" + name + "' has no constant data");
  const std::size_t n = static_cast<std::size_t>(element_count(t));
  // n floats are allocated only once the type is one read here: ModelFile::open
  // checks the data size against the shape only for types of known element
  // size, so an unknown type may carry a shape of billions of elements (found by
  // fuzz_model: an out-of-memory abort). For the types below it has checked it.
  switch (t.type()) {
    case fb::TensorType_FLOAT32:
      append_by_blocks(out, n, [&](std::size_t first, std::size_t count, float* dst) {
        std::memcpy(dst, data.data() + 4 * first, count * 4);
      });
      return;
    case fb::TensorType_FLOAT16:
      append_by_blocks(out, n, [&](std::size_t first, std::size_t count, float* dst) {
        for (std::size_t i = 0; i < count; ++i) {
          std::uint16_t h;
          std::memcpy(&h, data.data() + 2 * (first + i), 2);
          dst[i] = half_to_float(h);
        }
      });
      return;
    case fb::TensorType_INT8:
    case fb::TensorType_UINT8:
    case fb::TensorType_INT16:
    case fb::TensorType_INT32:
    case fb::TensorType_INT64: {
      const Quantization q = quantization_of(t);
      if (q.empty())
        m.fail(what + " tensor '" + name + "' is " + type_name(static_cast<std::int8_t>(t.type())) +
               " without quantization scales");
      const auto shape = shape_of(t);
      // Elements after the quantized dimension form one run of a channel.
      std::int64_t inner = 1;
      if (q.scale.size() > 1)
        for (std::size_t d = static_cast<std::size_t>(q.quantized_dimension) + 1; d < shape.size();
             ++d)
          inner *= shape[d];
      switch (t.type()) {
        case fb::TensorType_INT8: dequantize_as<std::int8_t>(data, q, inner, n, out); break;
        case fb::TensorType_UINT8: dequantize_as<std::uint8_t>(data, q, inner, n, out); break;
        case fb::TensorType_INT16: dequantize_as<std::int16_t>(data, q, inner, n, out); break;
        case fb::TensorType_INT32: dequantize_as<std::int32_t>(data, q, inner, n, out); break;
        default: dequantize_as<std::int64_t>(data, q, inner, n, out); break;
      }
      return;
    }
    default:
      m.fail(what + " tensor '" + name + "' has type " +
             type_name(static_cast<std::int8_t>(t.type())) +
             "; quantcheck reads FLOAT32, FLOAT16 and quantized integer constants");
  }
}

}  // namespace quantcheck::model
