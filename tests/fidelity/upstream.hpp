// Independent re-implementations of the upstream quantizers, written from
// ../shared/reference/POLICIES.md (and the upstream sources it restates), one
// small plain function per quantizer, sharing nothing with quantizer/ but the
// Policy name. They work on a fully connected filter [O, I] (row = output
// channel) and record which step of the original each case went through
// (`paths`), so a golden table can show it exercises every branch.
//
// Every float32 step is a float expression and every float64 step a double
// one, as the original writes it; the x86-64 results of the originals'
// unchecked float-to-int casts ("integer indefinite": INT_MIN) are spelled out.
#pragma once

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

namespace quantcheck::fidelity {

struct Upstream {
  std::vector<float> scale;  // per output channel
  std::vector<std::int32_t> zero_point;
  std::vector<std::int32_t> q;  // row-major, as the filter
  std::vector<float> bias_scale;
  std::vector<std::int64_t> bias_q;
  std::set<std::string> paths;  // the branches taken
};

struct Filter {
  std::vector<std::vector<float>> rows;
  std::vector<float> bias;  // empty or one per row
  float s_in = 1.0f;
};

namespace detail {

// x86-64 cvttss2si / cvttsd2si: NaN and out-of-range give INT_MIN.
inline std::int32_t x86_int32(double v) {
  if (std::isnan(v) || v <= -2147483649.0 || v >= 2147483648.0)
    return std::numeric_limits<std::int32_t>::min();
  return static_cast<std::int32_t>(v);
}
inline std::int64_t x86_int64(double v) {
  if (std::isnan(v) || v < -0x1p63 || v >= 0x1p63) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(v);
}
inline bool is_tie(double v) { return std::isfinite(v) && v - std::floor(v) == 0.5; }
inline float min_of(const std::vector<float>& r) { return *std::min_element(r.begin(), r.end()); }
inline float max_of(const std::vector<float>& r) { return *std::max_element(r.begin(), r.end()); }
inline std::int32_t clamp32(std::int64_t v, std::int64_t lo, std::int64_t hi) {
  return static_cast<std::int32_t>(std::min(std::max(v, lo), hi));
}

}  // namespace detail

// ---- ONE luci, uint8 (compute_asym_scale_zp, asymmetric_wquant_per_channel,
// quant_bias_per_channel) ----
inline Upstream luci_uint8(const Filter& f) {
  using namespace detail;
  Upstream u;
  for (const auto& row : f.rows) {
    const float min = min_of(row), max = max_of(row);
    const double qmin = 0, qmax = 255;
    const double rmin = std::fmin(0, min), rmax = std::fmax(0, max);
    double scale = (rmax - rmin) / (qmax - qmin);
    double zp_double = 0;
    if (scale == 0) {
      u.paths.insert("zero range");
      zp_double = (min >= 0 && max >= 0) ? qmin : qmax;
    } else {
      zp_double = qmin - rmin / scale;
    }
    int zp;
    if (min >= 0) {
      u.paths.insert("min >= 0");
      zp = 0;
      scale = max / (qmax - qmin);
    } else if (max < 0) {
      u.paths.insert("max < 0");
      zp = 255;
      scale = -min / (qmax - qmin);
    } else {
      u.paths.insert(is_tie(zp_double) ? "mixed, zero point tie" : "mixed");
      zp = static_cast<int>(std::round(zp_double));
    }
    if (scale < 1e-5) {
      u.paths.insert("floor 1e-5");
      scale = 1e-5;
      zp = static_cast<int>(std::round(qmin - rmin / scale));
    }
    const float nmin = static_cast<float>((qmin - zp) * scale);
    const float nmax = static_cast<float>((qmax - zp) * scale);
    const float s = static_cast<float>(scale);
    const float inv = static_cast<float>(1.0 / static_cast<double>(s));
    u.scale.push_back(s);
    u.zero_point.push_back(zp);
    for (float x : row) {
      const float clipped = x < nmin ? nmin : (x > nmax ? nmax : x);
      if (clipped != x) u.paths.insert("weight clipped to the nudged range");
      const float offset = clipped - nmin;
      if (std::isinf(offset)) u.paths.insert("offset overflows float32");
      const float v = offset * inv;
      if (is_tie(v)) u.paths.insert("weight tie");
      u.q.push_back(clamp32(x86_int32(std::round(v)), 0, 255));
    }
  }
  for (std::size_t c = 0; c < f.bias.size(); ++c) {
    const float s_b = f.s_in * u.scale[c];
    const float inv = (s_b == 0) ? 0.0f : static_cast<float>(1.0 / static_cast<double>(s_b));
    if (s_b == 0) u.paths.insert("bias scale 0");
    const float v = f.bias[c] * inv;
    if (std::isnan(v) || std::fabs(std::round(v)) >= 0x1p31) u.paths.insert("bias cast overflows");
    u.bias_scale.push_back(s_b);
    u.bias_q.push_back(x86_int32(std::round(v)));  // cast before any clamp
  }
  return u;
}

// ---- ONE luci, int16 (compute_sym_scale, sym_wquant_per_channel), by era ----
enum class LuciEra { seed_2021, pr6971, pr7017, pr7063, current };

inline Upstream luci_int16(const Filter& f, LuciEra era) {
  using namespace detail;
  Upstream u;
  for (const auto& row : f.rows) {
    const double rmin = std::fmin(0, min_of(row)), rmax = std::fmax(0, max_of(row));
    const double qmax = 32767, qmin = -32767;
    double from_min = 0, from_max = 0;
    if (qmin * rmin > 0) from_min = rmin / qmin;
    if (qmax * rmax > 0) from_max = rmax / qmax;
    float s = static_cast<float>(from_min > from_max ? from_min : from_max);
    switch (era) {
      case LuciEra::seed_2021:
        if (s == 0) u.paths.insert("scale 0");
        break;
      case LuciEra::pr6971:
        if (s < FLT_EPSILON) {
          u.paths.insert("scale below FLT_EPSILON -> 1");
          s = 1.0f;
        }
        break;
      case LuciEra::pr7017:
        if (!(f.s_in * s >= 1e-15f)) {
          u.paths.insert("raised so s_in * s_w >= 1e-15");
          // The least float s_w with float32(s_in * s_w) >= 1e-15f, walked up
          // from an estimate a few patterns low.
          float t = static_cast<float>(1e-15 / double(f.s_in));
          for (int k = 0; k < 4 && t > s; ++k) t = std::nextafter(t, 0.0f);
          t = std::max(t, s);
          while (std::isfinite(t) && !(f.s_in * t >= 1e-15f)) t = std::nextafter(t, FLT_MAX * 2);
          if (std::isfinite(t)) s = t;
        }
        break;
      case LuciEra::pr7063:
        if (s < 1e-9f) u.paths.insert("floor 1e-9");
        s = std::max(s, 1e-9f);
        break;
      case LuciEra::current:
        if (s < 1e-8f) u.paths.insert("floor 1e-8");
        s = std::max(s, 1e-8f);
        break;
    }
    const float nmin = static_cast<float>(qmin * s), nmax = static_cast<float>(qmax * s);
    // 1.0 / 0.0 is +inf (written without the division, which UBSan reports).
    const float inv = s == 0 ? HUGE_VALF : static_cast<float>(1.0 / static_cast<double>(s));
    if (std::isinf(inv)) u.paths.insert("infinite inverse");
    u.scale.push_back(s);
    u.zero_point.push_back(0);
    for (float x : row) {
      const float clipped = x < nmin ? nmin : (x > nmax ? nmax : x);
      const float v = clipped * inv;
      if (is_tie(std::fabs(v))) u.paths.insert("weight tie");
      u.q.push_back(clamp32(x86_int32(std::round(v)), -32767, 32767));
    }
  }
  for (std::size_t c = 0; c < f.bias.size(); ++c) {
    const float s_b = f.s_in * u.scale[c];
    const float inv = (s_b == 0) ? 0.0f : static_cast<float>(1.0 / static_cast<double>(s_b));
    const float v = f.bias[c] * inv;
    if (std::isnan(v) || std::fabs(std::round(v)) >= 0x1p63) u.paths.insert("int64 bias overflows");
    u.bias_scale.push_back(s_b);
    u.bias_q.push_back(x86_int64(std::round(v)));  // int64, never clamped
  }
  return u;
}

// ---- TensorFlow Lite tools/optimize (GetSymmetricScalesFromMaxMin,
// AdjustWeightsForBiasScale, SymmetricPerChannelQuantization,
// SymmetricPerChannelBiasQuantize) ----
inline Upstream tflite(const Filter& f, bool int64_bias) {
  using namespace detail;
  Upstream u;
  const int32_t kScale = std::numeric_limits<int32_t>::max();
  const std::size_t channels = f.rows.size();
  std::vector<float> mins, maxs;
  for (const auto& row : f.rows) mins.push_back(min_of(row)), maxs.push_back(max_of(row));
  std::vector<float> scales(channels);
  for (std::size_t c = 0; c < channels; ++c)
    scales[c] = std::max(std::abs(mins[c]), std::abs(maxs[c])) / 127;
  if (!f.bias.empty()) {
    if (channels > 1) {
      for (std::size_t c = 0; c < channels; ++c) {
        if (std::abs(f.bias[c]) >= 0.5 * f.s_in * scales[c] * kScale) {
          u.paths.insert("per-channel guard fires");
          maxs[c] = static_cast<float>(2.0 * std::abs(f.bias[c]) / kScale * (127 / f.s_in));
          mins[c] = -maxs[c];
        }
      }
    } else {
      const auto mm = std::minmax_element(f.bias.begin(), f.bias.end());
      const float bias_half_range = std::max(std::abs(*mm.first), std::abs(*mm.second));
      if (bias_half_range / kScale >= 0.5 * f.s_in * scales[0]) {
        u.paths.insert("per-layer guard fires");
        mins[0] = static_cast<float>(2.0 * bias_half_range / kScale * (-127 / f.s_in));
        maxs[0] = static_cast<float>(2.0 * bias_half_range / kScale * (127 / f.s_in));
      } else if (bias_half_range >= 0.5 * f.s_in * scales[0] * kScale) {
        u.paths.insert("per-layer guard holds where per-channel would fire");
      }
    }
  }
  for (std::size_t c = 0; c < channels; ++c) {
    const float half_range = std::max(std::abs(mins[c]), std::abs(maxs[c]));
    const float scale = half_range / 127.0f;
    const float inv = half_range == 0 ? 0.0f : 127.0f / half_range;
    if (half_range == 0) u.paths.insert("zero range");
    if (std::isinf(inv)) u.paths.insert("infinite inverse");
    u.scale.push_back(scale);
    u.zero_point.push_back(0);
    for (float x : f.rows[c]) {
      const float v = x * inv;
      if (is_tie(std::fabs(v))) u.paths.insert("weight tie");
      const std::int32_t q32 = x86_int32(std::round(v));
      const auto q8 = static_cast<std::int8_t>(static_cast<std::uint32_t>(q32) & 0xffu);
      u.q.push_back(std::min<std::int8_t>(127, std::max<std::int8_t>(-127, q8)));
    }
  }
  const std::int64_t kMax = int64_bias ? std::numeric_limits<std::int64_t>::max() : kScale;
  for (std::size_t c = 0; c < f.bias.size(); ++c) {
    const float s_b = f.s_in * u.scale[c];
    const float inv = s_b == 0 ? 0.0f : static_cast<float>(1.0 / static_cast<double>(s_b));
    const float r = std::round(f.bias[c] * inv);
    std::int64_t v;  // SafeCast<BiasType>: NaN -> 0, saturate
    if (std::isnan(r)) {
      u.paths.insert("bias NaN");
      v = 0;
    } else if (r >= static_cast<float>(kMax)) {
      u.paths.insert("bias saturates");
      v = kMax;
    } else if (r <= -static_cast<float>(kMax)) {
      u.paths.insert("bias saturates");
      v = -kMax;  // SafeCast to min, then the clamp to -max
    } else {
      v = static_cast<std::int64_t>(r);
    }
    u.bias_scale.push_back(s_b);
    u.bias_q.push_back(v);
  }
  return u;
}

// ---- ONNX Runtime quantization tool (compute_scale_zp, quantize_nparray,
// _adjust_weight_scale_for_int32_bias, quantize_bias_static) ----
inline Upstream onnxruntime(const Filter& f, bool int8) {
  using namespace detail;
  Upstream u;
  const double qmin = int8 ? -127 : 0, qmax = int8 ? 127 : 255;
  for (const auto& row : f.rows) {
    float rmin = std::min(min_of(row), 0.0f), rmax = std::max(max_of(row), 0.0f);
    if (int8) {
      const float absmax = std::max(std::abs(rmin), std::abs(rmax));
      rmin = -absmax;
      rmax = absmax;
    }
    const float dr32 = rmax - rmin;
    if (std::isinf(dr32)) u.paths.insert("float32 range overflows");
    double scale = static_cast<double>(dr32) / (qmax - qmin);
    double zp = 0;
    if (scale < FLT_MIN) {
      u.paths.insert("scale below FLT_MIN -> 1");
      scale = 1.0;
      zp = 0;
    } else if (!int8) {
      const double z = qmin - static_cast<double>(rmin) / scale;
      if (is_tie(z)) u.paths.insert("zero point tie");
      zp = std::nearbyint(z);
    }
    u.scale.push_back(static_cast<float>(scale));
    u.zero_point.push_back(static_cast<std::int32_t>(zp));
  }
  if (int8 && !f.bias.empty()) {
    const double qrange = 2147483647.0 - (-2147483648.0 + 1);
    for (std::size_t c = 0; c < f.rows.size(); ++c) {
      const double smallest = 1.0001 * (2.0 * std::abs(double(f.bias[c]))) / qrange;
      const double candidate = double(f.s_in) * double(u.scale[c]);
      if (candidate < smallest && candidate > 0.0) {
        u.paths.insert("weight scale raised for the bias");
        u.scale[c] = static_cast<float>(double(u.scale[c]) * (smallest / candidate));
        if (std::isinf(u.scale[c])) u.paths.insert("raise overflows the scale");
      }
    }
  }
  for (std::size_t c = 0; c < f.rows.size(); ++c) {
    for (float x : f.rows[c]) {
      const float v = x / u.scale[c];  // float32 division
      if (is_tie(std::fabs(v))) u.paths.insert("weight tie");
      if (v != v) u.paths.insert("weight NaN");
      const float r = std::nearbyint(v) + static_cast<float>(u.zero_point[c]);
      const float clipped = std::min(std::max(r, float(qmin)), float(qmax));
      u.q.push_back(static_cast<std::int32_t>(clipped));
    }
  }
  for (std::size_t c = 0; c < f.bias.size(); ++c) {
    const float s_b = f.s_in * u.scale[c];
    double v;
    if (s_b == 0) {  // numpy b / 0.0: inf or NaN (written without dividing)
      u.paths.insert(f.bias[c] == 0 ? "bias 0 / 0 = NaN" : "bias b / 0 = inf");
      v = f.bias[c] == 0 ? NAN : std::copysign(HUGE_VAL, f.bias[c]);
    } else {
      v = std::nearbyint(double(f.bias[c]) / double(s_b));
      if (is_tie(std::fabs(double(f.bias[c]) / double(s_b)))) u.paths.insert("bias tie");
    }
    if (v > 2147483647.0 || v < -2147483648.0) u.paths.insert("bias clipped");
    const double clipped = std::isnan(v) ? v : std::min(std::max(v, -2147483648.0), 2147483647.0);
    u.bias_scale.push_back(s_b);
    u.bias_q.push_back(x86_int32(clipped));
  }
  return u;
}

// ---- PyTorch 1.13 (MinMax observers' _calculate_qparams, quantize_val) ----
inline Upstream pytorch(const Filter& f, bool int8) {
  using namespace detail;
  Upstream u;
  const float eps = std::numeric_limits<float>::epsilon();
  const std::int64_t qmin = int8 ? -128 : 0, qmax = int8 ? 127 : 255;
  for (const auto& row : f.rows) {
    const float min_neg = std::min(min_of(row), 0.0f), max_pos = std::max(max_of(row), 0.0f);
    float scale;
    std::int64_t zp = 0;
    if (int8) {
      scale = std::max(-min_neg, max_pos) / (static_cast<float>(qmax - qmin) / 2);
      if (scale < eps) u.paths.insert("eps floor");
      scale = std::max(scale, eps);
    } else {
      scale = (max_pos - min_neg) / static_cast<float>(qmax - qmin);
      if (std::isinf(scale)) u.paths.insert("float32 range overflows");
      if (scale < eps) u.paths.insert("eps floor");
      scale = std::max(scale, eps);
      const float z = min_neg / scale;
      if (is_tie(std::fabs(z))) u.paths.insert("zero point tie");
      zp = qmin - static_cast<std::int32_t>(std::nearbyint(z));
      zp = std::min(std::max(zp, qmin), qmax);
    }
    u.scale.push_back(scale);
    u.zero_point.push_back(static_cast<std::int32_t>(zp));
    const float inv = 1.0f / scale;
    for (float x : row) {
      const float v = x * inv;
      if (is_tie(std::fabs(v))) u.paths.insert("weight tie");
      const float r = static_cast<float>(zp) + std::nearbyint(v);
      u.q.push_back(clamp32(x86_int64(r), qmin, qmax));
    }
  }
  for (std::size_t c = 0; c < f.bias.size(); ++c) {
    const float s_b = f.s_in * u.scale[c];
    const float inv = s_b == 0 ? HUGE_VALF : 1.0f / s_b;  // no zero check upstream: inf
    const float r = std::nearbyint(f.bias[c] * inv);
    const std::int64_t v = x86_int64(r);
    if (std::isnan(r) || std::fabs(r) >= 0x1p63f)
      u.paths.insert(std::isnan(r) ? "bias NaN -> INT64_MIN" : "bias beyond int64 -> INT64_MIN");
    else if (v > 2147483647 || v < -2147483648LL)
      u.paths.insert("bias clamped to int32");
    u.bias_scale.push_back(s_b);
    u.bias_q.push_back(
        std::min<std::int64_t>(std::max<std::int64_t>(v, -2147483648LL), 2147483647));
  }
  return u;
}

// ---- The TensorFlow Lite converter as the real PTQ models show it
// (docs/policies.md, "The TensorFlow Lite converter"): tools/optimize's
// scales and guard with every weight scale at least 1e-6, weights by the
// legacy MLIR path's scales_inv = 1.0 / s (QuantizeLegacy ->
// SymmetricPerChannelQuantizeValues), biases by SymmetricBiasQuantize ----
inline Upstream tflite_converter(const Filter& f, bool int64_bias) {
  using namespace detail;
  Upstream u;
  const int32_t kScale = std::numeric_limits<int32_t>::max();
  const std::size_t channels = f.rows.size();
  std::vector<float> scales(channels);
  for (std::size_t c = 0; c < channels; ++c) {
    const float half = std::max(std::abs(min_of(f.rows[c])), std::abs(max_of(f.rows[c])));
    scales[c] = half / 127;
    if (scales[c] < 1e-6f) {
      u.paths.insert("floor 1e-6");
      scales[c] = 1e-6f;
    }
  }
  if (!f.bias.empty()) {
    if (channels > 1) {
      for (std::size_t c = 0; c < channels; ++c)
        if (std::abs(f.bias[c]) >= 0.5 * f.s_in * scales[c] * kScale) {
          u.paths.insert("per-channel guard fires");
          scales[c] =
              static_cast<float>(2.0 * std::abs(f.bias[c]) / kScale * (127 / f.s_in)) / 127.0f;
        }
    } else {
      const auto mm = std::minmax_element(f.bias.begin(), f.bias.end());
      const float bias_half_range = std::max(std::abs(*mm.first), std::abs(*mm.second));
      if (bias_half_range / kScale >= 0.5 * f.s_in * scales[0]) {
        u.paths.insert("per-layer guard fires");
        scales[0] = static_cast<float>(2.0 * bias_half_range / kScale * (127 / f.s_in)) / 127.0f;
      }
    }
  }
  for (std::size_t c = 0; c < channels; ++c) {
    const float scale = scales[c];
    const float inv = scale == 0 ? std::numeric_limits<float>::infinity()
                                 : static_cast<float>(1.0 / static_cast<double>(scale));
    u.scale.push_back(scale);
    u.zero_point.push_back(0);
    for (float x : f.rows[c]) {
      const float v = x * inv;
      if (is_tie(std::fabs(v))) u.paths.insert("weight tie");
      const std::int32_t q32 = x86_int32(std::round(v));
      const auto q8 = static_cast<std::int8_t>(static_cast<std::uint32_t>(q32) & 0xffu);
      u.q.push_back(std::min<std::int8_t>(127, std::max<std::int8_t>(-127, q8)));
    }
  }
  const std::int64_t kMax = int64_bias ? std::numeric_limits<std::int64_t>::max() : kScale;
  for (std::size_t c = 0; c < f.bias.size(); ++c) {
    const float s_b = f.s_in * u.scale[c];
    const float inv = s_b == 0 ? 0.0f : static_cast<float>(1.0 / static_cast<double>(s_b));
    const float r = std::round(f.bias[c] * inv);
    std::int64_t v;  // SafeCast<BiasType>: NaN -> 0, saturate; then the symmetric clamp
    if (std::isnan(r)) {
      u.paths.insert("bias NaN");
      v = 0;
    } else if (r >= static_cast<float>(kMax)) {
      v = kMax;
    } else if (r <= -static_cast<float>(kMax)) {
      v = -kMax;
    } else {
      v = static_cast<std::int64_t>(r);
    }
    if (s_b == 0) u.paths.insert("bias scale underflows to 0");
    u.bias_scale.push_back(s_b);
    u.bias_q.push_back(v);
  }
  return u;
}

// The model of a preset by name (every peer preset; not the reference ones).
inline Upstream upstream(const std::string& preset, const Filter& f) {
  if (preset == "luci-uint8") return luci_uint8(f);
  if (preset == "luci-int16-2021") return luci_int16(f, LuciEra::seed_2021);
  if (preset == "luci-int16-6971") return luci_int16(f, LuciEra::pr6971);
  if (preset == "luci-int16-7017") return luci_int16(f, LuciEra::pr7017);
  if (preset == "luci-int16-7063") return luci_int16(f, LuciEra::pr7063);
  if (preset == "luci-int16") return luci_int16(f, LuciEra::current);
  if (preset == "tflite-int8") return tflite(f, false);
  if (preset == "tflite-int16x8") return tflite(f, true);
  if (preset == "tflite-converter-int8") return tflite_converter(f, false);
  if (preset == "tflite-converter-16x8") return tflite_converter(f, true);
  if (preset == "onnxruntime-int8") return onnxruntime(f, true);
  if (preset == "onnxruntime-uint8") return onnxruntime(f, false);
  if (preset == "pytorch-int8-symmetric") return pytorch(f, true);
  if (preset == "pytorch-uint8-affine") return pytorch(f, false);
  return {};
}

inline const std::vector<std::string>& peer_presets() {
  static const std::vector<std::string> names = {"luci-uint8",
                                                 "luci-int16-2021",
                                                 "luci-int16-6971",
                                                 "luci-int16-7017",
                                                 "luci-int16-7063",
                                                 "luci-int16",
                                                 "tflite-int8",
                                                 "tflite-int16x8",
                                                 "tflite-converter-int8",
                                                 "tflite-converter-16x8",
                                                 "onnxruntime-int8",
                                                 "onnxruntime-uint8",
                                                 "pytorch-int8-symmetric",
                                                 "pytorch-uint8-affine"};
  return names;
}

}  // namespace quantcheck::fidelity
