#include "onnx_builder.hpp"

#include <cstring>
#include <fstream>

#include "model_test_support.hpp"

namespace quantcheck::onnx::testing {

using T = pb::TensorProto;

std::uint16_t to_half(float f) {
  // Exact for the values the tests use (normal halves): sign, exponent
  // rebias, 10 mantissa bits rounded to nearest even.
  std::uint32_t x;
  std::memcpy(&x, &f, 4);
  const std::uint32_t sign = (x >> 16) & 0x8000u;
  const int e = static_cast<int>((x >> 23) & 0xff) - 127 + 15;
  std::uint32_t mant = x & 0x7fffffu;
  if ((x & 0x7fffffffu) == 0) return static_cast<std::uint16_t>(sign);
  std::uint32_t h = (static_cast<std::uint32_t>(e) << 10) | (mant >> 13);
  const std::uint32_t rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return static_cast<std::uint16_t>(sign | h);
}

std::uint16_t to_bfloat16(float f) {
  std::uint32_t x;
  std::memcpy(&x, &f, 4);
  const std::uint32_t rem = x & 0xffffu;
  std::uint32_t b = x >> 16;
  if (rem > 0x8000u || (rem == 0x8000u && (b & 1u))) ++b;
  return static_cast<std::uint16_t>(b);
}

pb::TensorProto float_tensor(const std::string& name, std::vector<std::int64_t> dims,
                             const std::vector<float>& values, Encoding e) {
  T t;
  t.set_name(name);
  for (auto d : dims) t.add_dims(d);
  switch (e) {
    case Encoding::raw:
      t.set_data_type(T::FLOAT);
      t.set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * 4));
      break;
    case Encoding::typed:
      t.set_data_type(T::FLOAT);
      for (float v : values) t.add_float_data(v);
      break;
    case Encoding::float16:
    case Encoding::bfloat16: {
      t.set_data_type(e == Encoding::float16 ? T::FLOAT16 : T::BFLOAT16);
      std::string raw;
      for (float v : values) {
        const std::uint16_t h = e == Encoding::float16 ? to_half(v) : to_bfloat16(v);
        raw.push_back(static_cast<char>(h & 0xff));
        raw.push_back(static_cast<char>(h >> 8));
      }
      t.set_raw_data(raw);
      break;
    }
    case Encoding::float16_typed:
      t.set_data_type(T::FLOAT16);
      for (float v : values) t.add_int32_data(to_half(v));
      break;
  }
  return t;
}

pb::TensorProto int_tensor(const std::string& name, std::int32_t type,
                           std::vector<std::int64_t> dims, const std::vector<std::int64_t>& values,
                           bool typed) {
  T t;
  t.set_name(name);
  t.set_data_type(type);
  for (auto d : dims) t.add_dims(d);
  if (typed) {
    for (auto v : values) {
      if (type == T::INT64)
        t.add_int64_data(v);
      else
        t.add_int32_data(static_cast<std::int32_t>(v));
    }
    return t;
  }
  const int size = type == T::INT8 || type == T::UINT8     ? 1
                   : type == T::INT16 || type == T::UINT16 ? 2
                   : type == T::INT64                      ? 8
                                                           : 4;
  std::string raw;
  for (auto v : values)
    for (int i = 0; i < size; ++i)
      raw.push_back(static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xff));
  t.set_raw_data(raw);
  return t;
}

pb::NodeProto node(const std::string& op, std::vector<std::string> inputs,
                   std::vector<std::string> outputs,
                   std::vector<std::pair<std::string, std::int64_t>> ints,
                   const std::string& domain) {
  pb::NodeProto n;
  n.set_op_type(op);
  n.set_domain(domain);
  n.set_name(op + "_" + (outputs.empty() ? std::string() : outputs[0]));
  for (auto& i : inputs) n.add_input(i);
  for (auto& o : outputs) n.add_output(o);
  for (auto& [k, v] : ints) {
    auto* a = n.add_attribute();
    a->set_name(k);
    a->set_type(pb::AttributeProto::INT);
    a->set_i(v);
  }
  return n;
}

void add_io(pb::GraphProto& g, const std::vector<std::string>& inputs,
            const std::vector<std::string>& outputs) {
  for (const auto& i : inputs) {
    auto* v = g.add_input();
    v->set_name(i);
    v->mutable_type()->mutable_tensor_type()->set_elem_type(T::FLOAT);
  }
  for (const auto& o : outputs) {
    auto* v = g.add_output();
    v->set_name(o);
    v->mutable_type()->mutable_tensor_type()->set_elem_type(T::FLOAT);
  }
}

pb::ModelProto make_model(pb::GraphProto graph, std::int64_t opset,
                          std::vector<std::pair<std::string, std::int64_t>> extra) {
  pb::ModelProto m;
  m.set_ir_version(7);
  m.set_producer_name("quantcheck-tests");
  auto* o = m.add_opset_import();
  o->set_domain("");
  o->set_version(opset);
  for (auto& [d, v] : extra) {
    auto* x = m.add_opset_import();
    x->set_domain(d);
    x->set_version(v);
  }
  if (graph.name().empty()) graph.set_name("g");
  *m.mutable_graph() = std::move(graph);
  return m;
}

std::string serialize(const pb::ModelProto& m) {
  std::string s;
  m.SerializeToString(&s);
  return s;
}

std::string write_model(const std::string& name, const pb::ModelProto& m) {
  const std::string path = model::testing::temp_path(name);
  std::ofstream(path, std::ios::binary) << serialize(m);
  return path;
}

}  // namespace quantcheck::onnx::testing
