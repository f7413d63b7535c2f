// Writes the seed models of corpus/fuzz_model/: small valid TFLite and circle
// files from model/'s synthetic builder, one per feature the reader has
// (each op kind, FLOAT16 through DEQUANTIZE, constants after the flatbuffer,
// no bias, the #6970 tiny channel). Run by hand when the reader grows:
//   build/<dir>/fuzz/make_model_seeds corpus/fuzz_model
#include <cstdio>
#include <fstream>
#include <string>

#include "quantcheck/model/synthetic.hpp"

using namespace quantcheck;
using namespace quantcheck::model;

namespace {

void write(const std::string& dir, const std::string& name, const std::vector<SyntheticLayer>& l,
           const SyntheticOptions& o) {
  const auto bytes = build_synthetic_model(l, o);
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  std::printf("%s: %zu bytes\n", name.c_str(), bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const SyntheticLayer fc{
      OpKind::fully_connected, {2, 3}, {0.5f, -0.25f, 0.125f, 1.0f, -2.0f, 0.0f}, {0.1f, -0.2f}};
  const SyntheticLayer fc_no_bias{OpKind::fully_connected, {1, 4}, {0.3f, -0.1f, 0.2f, 0.0f}, {}};
  const SyntheticLayer conv_tiny{
      OpKind::conv2d,
      {2, 1, 1, 3},
      {0.02f, -0.01f, 0.03f, 1.6357762e-19f, -8.178881e-20f, 4.08944e-20f},
      {0.1f, -1.2156529f}};
  const SyntheticLayer dw{OpKind::depthwise_conv2d,
                          {1, 2, 2, 2},
                          {0.1f, 0.0f, -0.2f, 0.0f, 0.3f, 0.0f, -0.4f, 0.0f},
                          {0.05f, 0.5f}};
  write(dir, "tflite_fc.tflite", {fc}, {});
  write(dir, "circle_conv_tiny_channel.circle", {conv_tiny}, {Format::circle, false, false});
  write(dir, "tflite_depthwise_zero_channel_fp16.tflite", {dw}, {Format::tflite, true, false});
  write(dir, "tflite_fc_external_data.tflite", {fc}, {Format::tflite, false, true});
  write(dir, "circle_fc_no_bias.circle", {fc_no_bias}, {Format::circle, false, false});
  write(dir, "tflite_three_layers.tflite", {fc, conv_tiny, dw}, {});
  return 0;
}
