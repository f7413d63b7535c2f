// Hostile and broken files: each gets one clean ModelError naming the file
// and what is wrong, never a crash (these run under ASan/UBSan in the asan
// build), and the CLI exits 2 for each.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "model_test_support.hpp"
#include "quantcheck/model/check.hpp"
#include "quantcheck/model/layers.hpp"
#include "quantcheck/model/rewrite.hpp"
#include "quantcheck/model/synthetic.hpp"
#include "quantcheck/model/verify.hpp"
#include "quantcheck/presets.hpp"

namespace quantcheck::model {
namespace {

using testing::run_cli;
using testing::write_temp;

std::vector<std::uint8_t> small_model(bool external = false) {
  SyntheticLayer conv;
  conv.kind = OpKind::conv2d;
  conv.filter_shape = {2, 1, 1, 3};
  conv.weights = {0.1f, -0.2f, 0.3f, 0.4f, 0.5f, -0.6f};
  conv.bias = {0.01f, -0.02f};
  SyntheticOptions o;
  o.external_data = external;
  return build_synthetic_model({conv}, o);
}

// Offset of a flatbuffer object inside the bytes it was read from.
std::size_t offset_of(const ModelFile& m, const void* p) {
  return static_cast<std::size_t>(static_cast<const std::uint8_t*>(p) - m.bytes().data());
}

void put_u32(std::vector<std::uint8_t>& b, std::size_t at, std::uint32_t v) {
  std::memcpy(b.data() + at, &v, 4);
}
void put_u64(std::vector<std::uint8_t>& b, std::size_t at, std::uint64_t v) {
  std::memcpy(b.data() + at, &v, 8);
}

// Opens the bytes and expects a ModelError that names the file and contains `what`.
void expect_clean_error(const std::string& name, const std::vector<std::uint8_t>& bytes,
                        const std::string& what) {
  const std::string path = write_temp(name, bytes);
  try {
    const auto m = ModelFile::open(path);
    (void)find_layers(m);
    ADD_FAILURE() << name << ": no error";
  } catch (const ModelError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << msg;
    EXPECT_NE(msg.find(what), std::string::npos) << name << ": " << msg;
  }
  // Every command refuses it with exit 2 and the path on stderr.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"check", path, "--policy", "reference"},
        std::vector<std::string>{"verify", path},
        std::vector<std::string>{"quantize-model", path, "-o", path + ".out", "--policy",
                                 "reference", "--input-scale", "0.0078125"}}) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << name << " " << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

TEST(HostileFile, Empty) { expect_clean_error("empty.tflite", {}, "empty file"); }

TEST(HostileFile, ShorterThanAHeader) {
  auto b = small_model();
  b.resize(6);
  expect_clean_error("tiny.tflite", b, "truncated");
}

TEST(HostileFile, Truncated) {
  auto b = small_model();
  b.resize(b.size() / 2);
  expect_clean_error("truncated.tflite", b, "not a valid tflite flatbuffer");
}

TEST(HostileFile, WrongIdentifier) {
  auto b = small_model();
  std::memcpy(b.data() + 4, "ONNX", 4);
  expect_clean_error("wrong_id.tflite", b, "wrong file identifier 'ONNX'");
}

TEST(HostileFile, RootOffsetOutOfRange) {
  auto b = small_model();
  put_u32(b, 0, 0x7ffffff0u);
  expect_clean_error("root_offset.tflite", b, "not a valid");
}

TEST(HostileFile, HugeVectorLength) {
  auto b = small_model();
  const auto m = ModelFile::open(write_temp("ok.tflite", b));
  put_u32(b, offset_of(m, m.model().buffers()), 0x7fffffffu);  // the length prefix
  expect_clean_error("huge_vector.tflite", b, "not a valid");
}

TEST(HostileFile, HugeShapeVectorLength) {
  auto b = small_model();
  const auto m = ModelFile::open(write_temp("ok2.tflite", b));
  put_u32(b, offset_of(m, m.tensor(0, 0).shape()), 0xfffffff0u);
  expect_clean_error("huge_shape.tflite", b, "not a valid");
}

TEST(HostileFile, BufferSizeLies) {
  // The shape claims 2x1x1x3 floats (24 bytes); the buffer holds 5 floats.
  SyntheticLayer conv;
  conv.kind = OpKind::conv2d;
  conv.filter_shape = {2, 1, 1, 3};
  conv.weights = {0.1f, -0.2f, 0.3f, 0.4f, 0.5f};
  conv.bias = {0.01f, -0.02f};
  expect_clean_error("short_buffer.tflite", build_synthetic_model({conv}),
                     "holds 20 bytes but shape [2,1,1,3] of FLOAT32 needs 24");
}

TEST(HostileFile, ExternalOffsetOutOfRange) {
  auto b = small_model(/*external=*/true);
  const auto m = ModelFile::open(write_temp("ext_ok.tflite", b));
  const fb::Buffer* buf = m.model().buffers()->Get(1);
  ASSERT_GT(buf->offset(), 1u);
  // The offset field sits where the accessor reads it: find it by its value.
  const std::uint64_t old = buf->offset();
  std::size_t at = 0;
  for (std::size_t i = 0; i + 8 <= b.size(); ++i)
    if (std::memcmp(b.data() + i, &old, 8) == 0 && i > offset_of(m, buf) - 64 &&
        i < offset_of(m, buf) + 64)
      at = i;
  ASSERT_NE(at, 0u);
  put_u64(b, at, 0xfffffffffffff000ull);
  expect_clean_error("ext_offset.tflite", b, "lies outside the file");
}

TEST(HostileFile, TensorIndexOutOfRange) {
  auto b = small_model();
  const auto m = ModelFile::open(write_temp("ok3.tflite", b));
  const auto* inputs = m.model().subgraphs()->Get(0)->operators()->Get(0)->inputs();
  put_u32(b, offset_of(m, inputs) + 4 + 4, 999);  // the filter input
  expect_clean_error("tensor_index.tflite", b, "tensor index 999 out of range");
}

TEST(HostileFile, NegativeDimension) {
  auto b = small_model();
  const auto m = ModelFile::open(write_temp("ok4.tflite", b));
  put_u32(b, offset_of(m, m.tensor(0, 1).shape()) + 4, static_cast<std::uint32_t>(-5));
  expect_clean_error("negative_dim.tflite", b, "negative dimension");
}

TEST(HostileFile, OpcodeIndexOutOfRange) {
  auto b = small_model();
  const auto m = ModelFile::open(write_temp("ok5.tflite", b));
  // Operator field 0 (opcode_index) is non-zero only if set: conv is code index 0,
  // so rewrite a DEQUANTIZE-free model's op through its inputs instead: put a
  // huge opcode by rebuilding with the operator code vector shortened.
  auto bytes = b;
  put_u32(bytes, offset_of(m, m.model().operator_codes()), 0);  // zero operator codes
  expect_clean_error("opcode.tflite", bytes, "opcode_index 0 out of range (0 operator codes)");
}

TEST(HostileFile, QuantizationVectorsOfDifferentLengths) {
  const auto m = ModelFile::open(write_temp("ok6.tflite", small_model()));
  const auto layers = find_layers(m);
  ModelEdits edits;
  TensorEdit e;
  Quantization q;
  q.scale = {0.5f, 0.25f};
  q.zero_point = {0, 0, 0};
  q.quantized_dimension = 0;
  e.quantization = q;
  edits.tensors[{0, layers[0].filter.tensor}] = e;
  expect_clean_error("quant_len.tflite", rewrite_model(m, edits, Format::tflite),
                     "2 scales but 3 zero points");
}

TEST(HostileFile, ScalesForTheWrongDimension) {
  const auto m = ModelFile::open(write_temp("ok7.tflite", small_model()));
  const auto layers = find_layers(m);
  ModelEdits edits;
  TensorEdit e;
  Quantization q;
  q.scale = {0.5f, 0.25f, 0.125f};  // 3 scales, dimension 0 has 2 entries
  q.zero_point = {0, 0, 0};
  e.quantization = q;
  edits.tensors[{0, layers[0].filter.tensor}] = e;
  expect_clean_error("quant_dim.tflite", rewrite_model(m, edits, Format::tflite),
                     "3 scales for dimension 0 of shape [2,1,1,3]");
}

TEST(HostileFile, DirectoryIsNotAModel) {
  const std::string dir = testing::temp_path("a_directory.tflite");
  std::filesystem::create_directories(dir);
  EXPECT_THROW(ModelFile::open(dir), ModelError);
  EXPECT_EQ(run_cli({"check", dir}).exit_code, 2);
}

// Random corruption of a valid model: whatever the bytes, open + check +
// verify either work or throw an InputError; nothing else (ASan watches).
TEST(HostileFile, RandomByteCorruptionNeverCrashes) {
  const auto base = small_model();
  std::mt19937 rng(12345);
  int rejected = 0;
  const int rounds = 400;
  for (int round = 0; round < rounds; ++round) {
    auto b = base;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) b[rng() % b.size()] = static_cast<std::uint8_t>(rng());
    const std::string path = write_temp("random.tflite", b);
    try {
      const auto m = ModelFile::open(path);
      CheckOptions o;
      o.policies = {find_preset("reference"), find_preset("luci-int16-2021")};
      (void)check_model(m, o);
      (void)verify_model(m, nullptr);
    } catch (const InputError&) {
      ++rejected;
    }
  }
  // Most single-byte changes land in data and keep the file valid; some must not.
  EXPECT_GT(rejected, 0);
  EXPECT_LT(rejected, rounds);
}

}  // namespace
}  // namespace quantcheck::model
