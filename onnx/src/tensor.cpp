// TensorProto decoding: raw_data, typed fields and external data, each
// checked against the dims before a value is read.
#include "quantcheck/onnx/tensor.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>

#include "quantcheck/model/tensor_data.hpp"

namespace quantcheck::onnx {
namespace {

namespace fs = std::filesystem;
using T = pb::TensorProto;

std::uint64_t load_le(const std::uint8_t* p, int size) {
  std::uint64_t v = 0;
  for (int i = size - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// The bytes of an EXTERNAL tensor: the file named by "location", resolved
// inside the model's directory, [offset, offset + length).
std::vector<std::uint8_t> external_bytes(const OnnxFile& f, const T& t, std::size_t want,
                                         const std::string& what) {
  std::string location;
  std::int64_t offset = 0, length = -1;
  auto number = [&](const std::string& key, const std::string& v) {
    std::size_t used = 0;
    long long n = -1;
    try {
      n = std::stoll(v, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != v.size() || v.empty() || n < 0)
      f.fail(what + ": external data " + key + " '" + v + "' is not a non-negative integer");
    return static_cast<std::int64_t>(n);
  };
  for (const pb::StringStringEntryProto& e : t.external_data()) {
    if (e.key() == "location")
      location = e.value();
    else if (e.key() == "offset")
      offset = number("offset", e.value());
    else if (e.key() == "length")
      length = number("length", e.value());
  }
  if (location.empty()) f.fail(what + ": external data without a location");
  const fs::path rel(location);
  if (rel.is_absolute() || location.find('\0') != std::string::npos)
    f.fail(what + ": external data location '" + location +
           "' is absolute; it must be relative to the model's directory");
  for (const fs::path& part : rel)
    if (part == "..")
      f.fail(what + ": external data location '" + location + "' leaves the model's directory");
  std::error_code ec;
  const fs::path dir = fs::canonical(f.directory(), ec);
  if (ec) f.fail(what + ": cannot resolve the model's directory '" + f.directory() + "'");
  const fs::path target = fs::canonical(dir / rel, ec);
  if (ec) f.fail(what + ": external data file '" + location + "' not found next to the model");
  // Symlinks resolved: the file must still lie inside the directory.
  const auto [d_end, t_it] = std::mismatch(dir.begin(), dir.end(), target.begin(), target.end());
  if (d_end != dir.end())
    f.fail(what + ": external data location '" + location +
           "' resolves outside the model's directory");
  if (!fs::is_regular_file(target, ec))
    f.fail(what + ": external data '" + location + "' is not a regular file");
  const std::uintmax_t file_size = fs::file_size(target, ec);
  if (ec) f.fail(what + ": cannot stat external data '" + location + "'");
  if (length < 0) length = static_cast<std::int64_t>(want);
  if (static_cast<std::uint64_t>(length) != want)
    f.fail(what + ": external data length " + std::to_string(length) + " bytes, its shape needs " +
           std::to_string(want));
  if (static_cast<std::uintmax_t>(offset) > file_size ||
      static_cast<std::uintmax_t>(length) > file_size - static_cast<std::uintmax_t>(offset))
    f.fail(what + ": external data [" + std::to_string(offset) + ", +" + std::to_string(length) +
           ") lies outside '" + location + "' (" + std::to_string(file_size) + " bytes)");
  std::vector<std::uint8_t> bytes(want);
  std::ifstream in(target, std::ios::binary);
  in.seekg(offset);
  if (want && !in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(want)))
    f.fail(what + ": cannot read external data '" + location + "'");
  return bytes;
}

// Calls start(n) once the data is known to hold n elements (nothing is
// allocated before: a hostile shape must not reserve gigabytes), then
// put(i, bits) for every element, from raw_data, external data, or the typed
// field that carries this type.
template <typename Start, typename Put>
void for_each_element(const OnnxFile& f, const T& t, const std::string& what, Start start,
                      Put put) {
  const std::int32_t type = t.data_type();
  const int size = element_size(type);
  if (size == 0) f.fail(what + ": element type " + type_name(type) + " is not read");
  const std::int64_t n = element_count(dims_of(f, t, what));
  const auto want = static_cast<std::size_t>(n) * static_cast<std::size_t>(size);
  auto from_bytes = [&](const std::uint8_t* p) {
    for (std::int64_t i = 0; i < n; ++i)
      put(i, load_le(p + static_cast<std::size_t>(i) * static_cast<std::size_t>(size), size));
  };
  if (t.data_location() == T::EXTERNAL) {
    const auto bytes = external_bytes(f, t, want, what);
    start(n);
    from_bytes(bytes.data());
    return;
  }
  if (t.has_raw_data()) {
    if (t.raw_data().size() != want)
      f.fail(what + ": raw_data holds " + std::to_string(t.raw_data().size()) +
             " bytes, its shape needs " + std::to_string(want));
    start(n);
    from_bytes(reinterpret_cast<const std::uint8_t*>(t.raw_data().data()));
    return;
  }
  auto count_is = [&](int have, const char* field) {
    if (have != n)
      f.fail(what + ": " + field + " holds " + std::to_string(have) + " values, its shape needs " +
             std::to_string(n));
    start(n);
  };
  switch (type) {
    case T::FLOAT:
      count_is(t.float_data_size(), "float_data");
      for (int i = 0; i < t.float_data_size(); ++i) {
        std::uint32_t bits;
        const float v = t.float_data(i);
        std::memcpy(&bits, &v, 4);
        put(i, bits);
      }
      return;
    case T::DOUBLE:
      count_is(t.double_data_size(), "double_data");
      for (int i = 0; i < t.double_data_size(); ++i) {
        std::uint64_t bits;
        const double v = t.double_data(i);
        std::memcpy(&bits, &v, 8);
        put(i, bits);
      }
      return;
    case T::INT64:
      count_is(t.int64_data_size(), "int64_data");
      for (int i = 0; i < t.int64_data_size(); ++i)
        put(i, static_cast<std::uint64_t>(t.int64_data(i)));
      return;
    default:  // the 8-, 16- and 32-bit types live in int32_data, one per element
      count_is(t.int32_data_size(), "int32_data");
      for (int i = 0; i < t.int32_data_size(); ++i) {
        const std::uint64_t mask = size == 4 ? 0xffffffffu : (std::uint64_t{1} << (8 * size)) - 1;
        put(i, static_cast<std::uint64_t>(static_cast<std::uint32_t>(t.int32_data(i))) & mask);
      }
      return;
  }
}

}  // namespace

std::string type_name(std::int32_t type) {
  switch (type) {
    case T::FLOAT: return "FLOAT";
    case T::UINT8: return "UINT8";
    case T::INT8: return "INT8";
    case T::UINT16: return "UINT16";
    case T::INT16: return "INT16";
    case T::INT32: return "INT32";
    case T::INT64: return "INT64";
    case T::STRING: return "STRING";
    case T::BOOL: return "BOOL";
    case T::FLOAT16: return "FLOAT16";
    case T::DOUBLE: return "DOUBLE";
    case T::UINT32: return "UINT32";
    case T::UINT64: return "UINT64";
    case T::BFLOAT16: return "BFLOAT16";
    default: return "type " + std::to_string(type);
  }
}

int element_size(std::int32_t type) {
  switch (type) {
    case T::UINT8:
    case T::INT8: return 1;
    case T::UINT16:
    case T::INT16:
    case T::FLOAT16:
    case T::BFLOAT16: return 2;
    case T::FLOAT:
    case T::INT32: return 4;
    case T::INT64:
    case T::DOUBLE: return 8;
    default: return 0;
  }
}

bool is_float_type(std::int32_t type) {
  return type == T::FLOAT || type == T::FLOAT16 || type == T::BFLOAT16 || type == T::DOUBLE;
}

bool is_integer_type(std::int32_t type) {
  return type == T::INT8 || type == T::UINT8 || type == T::INT16 || type == T::UINT16 ||
         type == T::INT32 || type == T::INT64;
}

float bfloat16_to_float(std::uint16_t b) {
  const std::uint32_t bits = std::uint32_t{b} << 16;
  float v;
  std::memcpy(&v, &bits, 4);
  return v;
}

std::vector<std::int64_t> dims_of(const OnnxFile& f, const T& t, const std::string& what) {
  std::vector<std::int64_t> dims(t.dims().begin(), t.dims().end());
  std::int64_t n = 1;
  for (std::size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] < 0)
      f.fail(what + ": dimension " + std::to_string(d) + " is " + std::to_string(dims[d]));
    if (dims[d] > kMaxElements || (dims[d] != 0 && n > kMaxElements / dims[d]))
      f.fail(what + ": more than 2^31 elements");
    n *= dims[d];
  }
  return dims;
}

void require_stored_elements(const OnnxFile& f, const T& t, const std::string& what) {
  if (t.data_location() == T::EXTERNAL) return;
  const int size = element_size(t.data_type());
  const std::int64_t n = element_count(dims_of(f, t, what));
  if (size == 0) {  // a type read elsewhere or refused there: at least a byte or value each
    const std::int64_t stored = static_cast<std::int64_t>(t.raw_data().size()) +
                                t.float_data_size() + t.double_data_size() + t.int64_data_size() +
                                t.int32_data_size();
    if (stored < n)
      f.fail(what + ": holds " + std::to_string(stored) + " bytes or values, its shape has " +
             std::to_string(n) + " elements");
    return;
  }
  if (t.has_raw_data()) {
    const auto want = static_cast<std::size_t>(n) * static_cast<std::size_t>(size);
    if (t.raw_data().size() != want)
      f.fail(what + ": raw_data holds " + std::to_string(t.raw_data().size()) +
             " bytes, its shape needs " + std::to_string(want));
    return;
  }
  std::int64_t have = 0;
  const char* field = "int32_data";
  switch (t.data_type()) {
    case T::FLOAT: have = t.float_data_size(), field = "float_data"; break;
    case T::DOUBLE: have = t.double_data_size(), field = "double_data"; break;
    case T::INT64: have = t.int64_data_size(), field = "int64_data"; break;
    default: have = t.int32_data_size(); break;
  }
  if (have != n)
    f.fail(what + ": " + field + " holds " + std::to_string(have) + " values, its shape needs " +
           std::to_string(n));
}

std::int64_t element_count(const std::vector<std::int64_t>& dims) {
  std::int64_t n = 1;
  for (const std::int64_t d : dims) n *= d;  // bounded by dims_of
  return n;
}

std::vector<float> read_floats(const OnnxFile& f, const T& t, const std::string& what) {
  const std::int32_t type = t.data_type();
  if (!is_float_type(type))
    f.fail(what + ": " + type_name(type) + " tensor where float values were expected");
  std::vector<float> out;
  auto start = [&](std::int64_t n) { out.resize(static_cast<std::size_t>(n)); };
  for_each_element(f, t, what, start, [&](std::int64_t i, std::uint64_t bits) {
    float v;
    if (type == T::FLOAT) {
      const auto b = static_cast<std::uint32_t>(bits);
      std::memcpy(&v, &b, 4);
    } else if (type == T::FLOAT16) {
      v = model::half_to_float(static_cast<std::uint16_t>(bits));
    } else if (type == T::BFLOAT16) {
      v = bfloat16_to_float(static_cast<std::uint16_t>(bits));
    } else {
      double d;
      std::memcpy(&d, &bits, 8);
      v = static_cast<float>(d);
    }
    out[static_cast<std::size_t>(i)] = v;
  });
  return out;
}

std::vector<std::int64_t> read_integers(const OnnxFile& f, const T& t, const std::string& what) {
  const std::int32_t type = t.data_type();
  if (!is_integer_type(type))
    f.fail(what + ": " + type_name(type) + " tensor where integers were expected");
  std::vector<std::int64_t> out;
  auto start = [&](std::int64_t n) { out.resize(static_cast<std::size_t>(n)); };
  for_each_element(f, t, what, start, [&](std::int64_t i, std::uint64_t bits) {
    std::int64_t v = 0;
    switch (type) {
      case T::INT8: v = static_cast<std::int8_t>(bits); break;
      case T::UINT8: v = static_cast<std::uint8_t>(bits); break;
      case T::INT16: v = static_cast<std::int16_t>(bits); break;
      case T::UINT16: v = static_cast<std::uint16_t>(bits); break;
      case T::INT32: v = static_cast<std::int32_t>(bits); break;
      default: v = static_cast<std::int64_t>(bits); break;
    }
    out[static_cast<std::size_t>(i)] = v;
  });
  return out;
}

}  // namespace quantcheck::onnx
