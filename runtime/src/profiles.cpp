// The named runtime profiles. Every knob cites RUNTIMES.md (section numbers);
// tests/runtime/test_profiles.cpp pins the measured rows against them.
#include "quantcheck/runtime/profiles.hpp"

#include "quantcheck/error.hpp"
#include "quantcheck/runtime/layer_case.hpp"

namespace quantcheck {
namespace {

// TFLite 2.9 int8 reference kernels (1.1, 1.2, 1.4, 1.5): int32 acc, Q31 from
// the double per-channel product, SRDHM (RHU) then RDBPOT (RHAFZ), flush
// e < -31, full-range clamp; the int8 conv never reads the filter zero point.
RuntimePath tflite_int8_reference() {
  RuntimePath p;
  p.supported = true;
  p.accumulator = AccumulatorType::int32;
  p.scale = ScaleComputation::double_per_channel;
  p.multiplier = MultiplierForm::q31;
  p.rounding = RequantRounding::srdhm_rhu_then_rdbpot_rhafz;
  p.flush_tiny_multiplier = true;
  p.apply_weight_zero_point = false;
  // FULLY_CONNECTED is per tensor in 2.9 (GetQuantizedConvolutionMultipler,
  // 1.4): the float product s_in * s_w, widened, divided in double (measured).
  p.fully_connected_scale = ScaleComputation::float_product_then_double;
  return p;
}

// TFLite 16x8 with an int64 bias (1.2 int64 MBQM, 1.5): int64 acc, 15-bit
// reduced multiplier, single RHU in int64, no output zero point.
RuntimePath tflite_16x8_int64() {
  RuntimePath p = tflite_int8_reference();
  p.accumulator = AccumulatorType::int64;
  p.multiplier = MultiplierForm::q31_reduced15;
  p.rounding = RequantRounding::int64_reduced_single_rhu;
  p.add_output_zero_point = false;
  return p;
}

// The int32-accumulator 16x8 fallback (tensorflow#53763 optimized kernels
// with an int32 bias; tflite-micro #3597 bias-less layers): int32 acc and
// the int32 double-rounding MBQM.
RuntimePath tflite_16x8_int32() {
  RuntimePath p = tflite_int8_reference();
  p.add_output_zero_point = false;
  return p;
}

// The 8-bit path of the runtimes that requantize with a float32 scale
// s_in s_w / s_out (ONNX 3, ONNX Runtime 4, XNNPACK 5): int32 acc, no flush;
// they differ in the rounding of acc * scale.
RuntimePath float32_scale_path(RequantRounding rounding) {
  RuntimePath p;
  p.supported = true;
  p.accumulator = AccumulatorType::int32;
  p.scale = ScaleComputation::float32;
  p.multiplier = MultiplierForm::float32_scale;
  p.rounding = rounding;
  p.flush_tiny_multiplier = false;
  return p;
}

RuntimeProfile tflite_reference() {
  RuntimeProfile r;
  r.name = "tflite-reference";
  r.origin = "TensorFlow Lite 2.9 reference kernels (BUILTIN_REF), int8 and 16x8";
  r.sources = {"RUNTIMES.md 1.1 QuantizeMultiplier (quantization_util.cc L53-104, d817b58c6)",
               "RUNTIMES.md 1.2 MultiplyByQuantizedMultiplier (common.h L251-287)",
               "RUNTIMES.md 1.5 reference/integer_ops/conv.h, depthwise_conv.h, fully_connected.h"};
  r.eight_bit = tflite_int8_reference();
  r.sixteen_bit = tflite_16x8_int64();
  r.prepare.require_zero_io_zero_points_16 = true;
  return r;
}

RuntimeProfile tflite_x86() {
  RuntimeProfile r = tflite_reference();
  r.name = "tflite-x86";
  r.origin =
      "TensorFlow Lite 2.9 optimized kernels on x86 (ruy AVX2/AVX-512): RHU then RHU; "
      "measured on the 2.9.0 .so";
  r.sources = {"RUNTIMES.md 1.3 (ruy kernel_avx2_fma.cc L355-516, kernel_avx512.cc L340-420)",
               "RUNTIMES.md 1.3 measured: M = 0.25, acc -6..6 -> -1 -1 -1 0 0 0 0 1 1 1 1 2 2",
               "RUNTIMES.md 1.3 measured: 16x8 CONV_2D int64 bias gave the single-RHU row"};
  r.sources.push_back(
      "measured (tests/runtime_interop/test_tflite_rounding.cpp): int8 DEPTHWISE_CONV_2D of the "
      "2.9.0 .so rounds like the reference kernel (SRDHM RHU then RDBPOT RHAFZ), not like ruy");
  r.eight_bit.rounding = RequantRounding::ruy_x86_rhu_then_rhu;
  r.eight_bit.depthwise_rounding = RequantRounding::srdhm_rhu_then_rdbpot_rhafz;
  return r;
}

RuntimeProfile tflite_single_rounding() {
  RuntimeProfile r = tflite_reference();
  r.name = "tflite-single-rounding";
  r.origin = "TFLITE_SINGLE_ROUNDING=1 builds and ruy on ARM64 (>= ruy be760b6, 2021-02)";
  r.sources = {"RUNTIMES.md 1.1 step 5 (e > 30 clamp), 1.2 single rounding (common.h L144-158)",
               "RUNTIMES.md 1.3 ARM64 NEON (kernel_arm64.cc ~L535-560), ruy PR #227"};
  r.eight_bit.rounding = RequantRounding::single_rhu;
  r.eight_bit.single_rounding_clamp = true;
  r.sixteen_bit.single_rounding_clamp = true;
  return r;
}

RuntimeProfile tflite_16x8() {
  RuntimeProfile r = tflite_reference();
  r.name = "tflite-16x8";
  r.origin = "TensorFlow Lite 16x8 (int16 activations, int8 weights) with an int64 bias";
  r.sources = {"RUNTIMES.md 1.2 int64 MBQM (15-bit reduced multiplier, PR #42134)",
               "RUNTIMES.md 1.5 ConvPerChannel 16x8 (conv.h L136-230), no output offset"};
  r.eight_bit = RuntimePath{};  // 16x8 only
  return r;
}

RuntimeProfile tflite_16x8_int32_acc() {
  RuntimeProfile r = tflite_16x8();
  r.name = "tflite-16x8-int32-acc";
  r.origin =
      "TensorFlow Lite 16x8 falling back to an int32 accumulator (int32 bias or no bias, "
      "optimized kernels TF ~2.8-2.11; TFLM before #3598)";
  r.sources = {"RUNTIMES.md 8: tensorflow#53763 (fixed by PR #58400), LiteRT#129",
               "RUNTIMES.md 8: tflite-micro #3597 / #3598 (7ca66d18e, 2026-06-16)"};
  r.sixteen_bit = tflite_16x8_int32();
  return r;
}

// ONNX QLinearConv / QLinearMatMul reference (3): int32 acc, float32 scale
// product x_s w_s / y_s, times the int32 in float64, np.round (RNE), + zp, clip.
RuntimeProfile onnx_reference() {
  RuntimeProfile r;
  r.name = "onnx-reference";
  r.origin = "ONNX QLinearConv-10 / QLinearMatMul spec and onnx/reference (onnx f7546912)";
  r.sources = {"RUNTIMES.md 3 (docs/Changelog.md QLinearConv-10 L9767, QLinearMatMul-10 L9841)",
               "RUNTIMES.md 3 onnx/reference/ops/op_qlinear_conv.py L66-78"};
  r.int8_weights_take_uint8_activations = true;
  r.eight_bit = float32_scale_path(RequantRounding::float64_rne);
  r.sixteen_bit = RuntimePath{};  // QLinearConv is 8-bit only
  r.prepare.require_zero_io_zero_points_16 = false;
  return r;
}

RuntimeProfile onnxruntime_mlas() {
  RuntimeProfile r;
  r.name = "onnxruntime-mlas";
  r.origin =
      "ONNX Runtime CPU (MLAS) QLinearConv / QGemm: float32 scale, float32 product, RNE "
      "(VNNI or ARM: no int16 pair saturation)";
  r.sources = {"RUNTIMES.md 4 (MlasRequantizeOutput, quantize.cpp; PR #3196)",
               "RUNTIMES.md 4: per-channel W zero points must be equal"};
  r.int8_weights_take_uint8_activations = true;
  r.eight_bit = float32_scale_path(RequantRounding::float32_rne);
  r.sixteen_bit = RuntimePath{};
  r.prepare.require_equal_weight_zero_points = true;
  r.prepare.require_zero_io_zero_points_16 = false;
  return r;
}

RuntimeProfile onnxruntime_mlas_avx2() {
  RuntimeProfile r = onnxruntime_mlas();
  r.name = "onnxruntime-mlas-avx2";
  r.origin = "ONNX Runtime MLAS on x86 AVX2 / AVX-512 without VNNI: u8s8 int16 pair sums saturate";
  r.sources = {"RUNTIMES.md 4 (VPMADDUBSW), ORT quantization doc 'When and why U8U8'",
               "RUNTIMES.md 8: onnxruntime#16105 (x=[210,198,234], w=[-81,-80,127])"};
  r.eight_bit.int16_pair_saturation = true;
  return r;
}

RuntimeProfile xnnpack_fp32() {
  RuntimeProfile r;
  r.name = "xnnpack-fp32";
  r.origin = "XNNPACK qs8/qu8 convolution and fully-connected, fp32 requantization";
  r.sources = {"RUNTIMES.md 5 (convolution-nhwc.c L924-1115, requantization.h L30-45)",
               "RUNTIMES.md 5: scale >= 256 rejected (< 1.0 before 9855537ae1, 2021-12)",
               "RUNTIMES.md 5: delegate rejects non-zero weight zero points"};
  r.eight_bit = float32_scale_path(RequantRounding::float32_rne);
  r.sixteen_bit = RuntimePath{};
  r.prepare.reject_multiplier_at_least = 256.0;
  r.prepare.reject_non_normal_scale = true;
  r.prepare.require_zero_weight_zero_point = true;
  r.prepare.require_zero_io_zero_points_16 = false;
  return r;
}

RuntimeProfile gemmlowp() {
  RuntimeProfile r;
  r.name = "gemmlowp";
  r.origin =
      "gemmlowp OutputStageQuantizeDownInt32ByFixedPoint / ScaleInt32ByFixedPointAndExponent "
      "(TFLite uint8 optimized path, onert cker)";
  r.sources = {"RUNTIMES.md 2 (public/output_stages.h L115-139, internal/output.h L123-176)",
               "RUNTIMES.md 1.3: uint8 goes to gemmlowp; 6: onert cker MBQM"};
  RuntimePath p = tflite_int8_reference();
  p.apply_weight_zero_point = true;  // gemmlowp takes both offsets (the uint8 path)
  r.eight_bit = p;
  r.sixteen_bit = RuntimePath{};
  r.prepare.require_zero_io_zero_points_16 = false;
  return r;
}

// luci-interpreter (Samsung ONE, 6): float-product multipliers for every type;
// U8 / S8: int32 acc, TFLite double rounding, U8 with per-channel filter zp;
// S16 (int16 weights): int64 acc, the 15-bit int64 MBQM, no output zp; clamp
// S8 [-127, 127], S16 [-32767, 32767].
RuntimeProfile luci_interpreter() {
  RuntimeProfile r;
  r.name = "luci-interpreter";
  r.origin = "Samsung ONE luci-interpreter kernels/Conv2D.cpp (U8/U8/S32, S8/S8/S32, S16/S16/S64)";
  r.sources = {"RUNTIMES.md 6 (Conv2D.cpp @b85780c4, Utils.h getQuantizedConvolutionMultipler)",
               "RUNTIMES.md 6: activation range S8 qmin -127, S16 qmin -32767",
               "RUNTIMES.md 8: ONE #6970 (INT64_MIN bias, x*qr overflows int64)"};
  RuntimePath p = tflite_int8_reference();
  p.scale = ScaleComputation::float_product_then_double;
  p.apply_weight_zero_point = true;  // U8 per-channel filter zp; S8 requires it to be 0
  p.clamp = OutputClamp::symmetric;  // U8 is unaffected (0..255)
  r.eight_bit = p;
  RuntimePath s16 = tflite_16x8_int64();
  s16.scale = ScaleComputation::float_product_then_double;
  s16.clamp = OutputClamp::symmetric;
  s16.apply_weight_zero_point = true;
  s16.int16_weights = true;
  r.sixteen_bit = s16;
  r.prepare.require_zero_io_zero_points_16 = true;  // asserts zp 0 for S16
  return r;
}

std::vector<RuntimeProfile> make_profiles() {
  return {
      tflite_reference(),      tflite_x86(),     tflite_single_rounding(), tflite_16x8(),
      tflite_16x8_int32_acc(), onnx_reference(), onnxruntime_mlas(),       onnxruntime_mlas_avx2(),
      xnnpack_fp32(),          gemmlowp(),       luci_interpreter()};
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

}  // namespace

const std::vector<RuntimeProfile>& runtime_profiles() {
  static const std::vector<RuntimeProfile> all = make_profiles();
  return all;
}

const RuntimeProfile& find_runtime(const std::string& name) {
  for (const RuntimeProfile& r : runtime_profiles())
    if (r.name == name) return r;
  std::string known;
  for (const RuntimeProfile& r : runtime_profiles()) known += (known.empty() ? "" : ", ") + r.name;
  throw UsageError("unknown runtime '" + name + "' (known: " + known + ")");
}

std::vector<std::string> runtime_names() {
  std::vector<std::string> out;
  for (const RuntimeProfile& r : runtime_profiles()) out.push_back(r.name);
  return out;
}

std::vector<std::string> natural_runtimes(const Policy& p) {
  const std::string& n = p.name;
  if (starts_with(n, "reference")) return runtime_names();
  if (starts_with(n, "luci")) return {"luci-interpreter"};
  if (starts_with(n, "tflite")) {
    // 16x8 also on its int32-accumulator fallback (tensorflow#53763, tflite-micro #3597).
    if (p.activation_abs_max > 255) return {"tflite-16x8", "tflite-16x8-int32-acc"};
    return {"tflite-x86"};
  }
  // Also on x86 without VNNI, where u8s8 pair sums saturate (onnxruntime#16105).
  if (starts_with(n, "onnxruntime") || starts_with(n, "pytorch"))
    return {"onnxruntime-mlas", "onnxruntime-mlas-avx2"};
  return {"tflite-reference"};
}

ActivationType activation_for(const Policy& p, const RuntimeProfile& r) {
  return activation_for(p.weight_type, p.activation_abs_max, r);
}

}  // namespace quantcheck
