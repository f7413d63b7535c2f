// OnnxFile: parse with protobuf under limits, then check the graph structure.
#include "quantcheck/onnx/onnx_file.hpp"

#include <google/protobuf/io/coded_stream.h>

#include <cstring>
#include <filesystem>
#include <fstream>

namespace quantcheck::onnx {
namespace {

namespace fs = std::filesystem;

// protobuf refuses messages over 2 GiB; a model file is read whole, so it
// must fit that too (larger models keep their weights in external data).
constexpr std::size_t kMaxProtoBytes = (std::size_t{1} << 31) - 1;

void check_graph(const OnnxFile& f, const pb::GraphProto& g, int depth, const std::string& where) {
  if (depth > kMaxGraphDepth)
    f.fail(where + ": subgraphs nested deeper than " + std::to_string(kMaxGraphDepth));
  for (int i = 0; i < g.node_size(); ++i) {
    const pb::NodeProto& n = g.node(i);
    for (const pb::AttributeProto& a : n.attribute()) {
      const std::string at = where + " node " + std::to_string(i) + " (" + n.op_type() +
                             ") attribute '" + a.name() + "'";
      if (a.has_g()) check_graph(f, a.g(), depth + 1, at);
      for (const pb::GraphProto& sub : a.graphs()) check_graph(f, sub, depth + 1, at);
    }
  }
}

}  // namespace

void OnnxFile::fail(const std::string& what) const { throw ModelError(path_ + ": " + what); }

bool OnnxFile::looks_like_onnx(const std::string& path) {
  const fs::path p(path);
  std::string ext = p.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".onnx") return true;
  // Only a regular file is sniffed: opening a FIFO would block (ModelFile::open
  // refuses anything else with one line).
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  std::ifstream in(path, std::ios::binary);
  char head[8] = {};
  if (!in.read(head, 8)) return false;
  if (std::memcmp(head + 4, "TFL3", 4) == 0 || std::memcmp(head + 4, "CIR0", 4) == 0) return false;
  return head[0] == 0x08;
}

OnnxFile OnnxFile::open(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw ModelError(path + ": is a directory, not a model file");
  const model::MappedFile file(path);  // throws ModelError: missing, unreadable, empty
  return parse(path, file.bytes().data(), file.bytes().size());
}

OnnxFile OnnxFile::parse(const std::string& path, const void* data, std::size_t size) {
  OnnxFile f;
  f.path_ = path;
  const fs::path parent = fs::path(path).parent_path();
  f.dir_ = parent.empty() ? "." : parent.string();
  if (size == 0) f.fail("empty file");
  if (size > kMaxProtoBytes)
    f.fail("larger than 2 GiB: protobuf cannot hold it (keep the weights as external data)");
  f.proto_ = std::make_shared<pb::ModelProto>();
  google::protobuf::io::CodedInputStream in(static_cast<const std::uint8_t*>(data),
                                            static_cast<int>(size));
  in.SetRecursionLimit(64);
  if (!f.proto_->ParseFromCodedStream(&in) || !in.ConsumedEntireMessage())
    f.fail("not a valid ONNX model: the protobuf is truncated or corrupt (" + std::to_string(size) +
           " bytes)");
  f.check_structure();
  return f;
}

void OnnxFile::check_structure() const {
  const pb::ModelProto& m = *proto_;
  if (!m.has_graph()) fail("no graph: not an ONNX model");
  if (m.ir_version() < 1) fail("ir_version " + std::to_string(m.ir_version()) + " is not valid");
  check_graph(*this, m.graph(), 0, "graph '" + m.graph().name() + "'");
}

}  // namespace quantcheck::onnx
