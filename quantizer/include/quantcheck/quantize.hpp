// The reference quantizer: one case (a filter, its bias, the input scale) in,
// per-channel parameters, integers, dequantized values and findings out.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "quantcheck/policy.hpp"

namespace quantcheck {

enum class OpKind { conv2d, depthwise_conv2d, fully_connected };

std::string to_string(OpKind);
OpKind op_kind_from_string(const std::string&);  // throws UsageError

// The channel (output) axis of a filter: CONV_2D [O,H,W,I] and FULLY_CONNECTED
// [O,I] use axis 0, DEPTHWISE_CONV_2D [1,H,W,C] axis 3.
int default_channel_axis(OpKind op);

// One quantization problem.
struct Case {
  OpKind op = OpKind::conv2d;
  float input_scale = 0.0f;
  std::vector<std::int64_t> weight_shape;
  std::vector<float> weights;       // row-major over weight_shape
  std::vector<float> bias;          // one per output channel; may be empty (no bias)
  std::optional<int> channel_axis;  // overrides default_channel_axis(op)
};

// Where a filter's elements belong: channel count, products per output channel.
struct Layout {
  int axis = 0;
  std::int64_t channels = 0;     // shape[axis]
  std::int64_t inner = 1;        // product of dims after axis
  std::int64_t per_channel = 0;  // elements in one channel = K, the products per output
};

// Validates shape, sizes and values; throws InputError naming what is wrong.
Layout validate(const Case& c);

// The same check without the exception or its message: nullopt for bad input.
std::optional<Layout> layout_if_valid(const Case& c);

// Calls f(channel, begin, end) for every run of one channel's elements in a
// case laid out as l: runs of `inner` consecutive values, one run every
// channels * inner elements (no division per element).
template <typename F>
void for_each_channel_run(const Case& c, const Layout& l, F f) {
  const auto n = static_cast<std::int64_t>(c.weights.size());
  for (std::int64_t base = 0; base < n; base += l.channels * l.inner)
    for (std::int64_t ch = 0; ch < l.channels; ++ch)
      f(ch, static_cast<std::size_t>(base + ch * l.inner),
        static_cast<std::size_t>(base + (ch + 1) * l.inner));
}

// Parameters of one quantization channel (one per tensor when per-tensor).
struct ChannelParams {
  float range_min = 0.0f;  // min and max of the channel's values
  float range_max = 0.0f;
  float scale = 0.0f;
  std::int32_t zero_point = 0;
  double nudged_min = 0.0;       // (qmin - zp) * s
  double nudged_max = 0.0;       // (qmax - zp) * s
  bool raised_for_bias = false;  // the bias fit (or bias-scale floor) raised s
  float fitted_range = 0.0f;     // TFLite's guard: the widened half range behind s (0: none)
  // The float64 scale behind s before it was stored as float32, for a policy
  // whose nudged range is computed from it (ONE luci uint8); 0: none.
  double scale_f64 = 0.0;
};

enum class FindingKind {
  weight_clipped,       // x outside the nudged range
  weight_sign_flipped,  // deq(q) has the opposite sign of x
  weight_error,         // |deq(q) - x| > s/2 inside the nudged range
  invalid_scale,        // scale zero, subnormal, non-finite or below the floor
  bias_saturated,       // exact quotient b / s_b outside the bias type
  bias_sign_flipped,    // sign(q_b) opposes sign(b)
  bias_error,           // |deq(q_b) - b| > s_b / 2
  no_headroom,          // |q_b| + K max|q_in| max|q_w| exceeds the accumulator
};

std::string to_string(FindingKind);

struct Finding {
  FindingKind kind;
  std::string tensor;  // "weights", "bias", "weight_scale", "bias_scale"
  std::int64_t channel = -1;
  std::int64_t element = -1;  // flat index, -1 for a per-channel finding
  double value = 0;           // the input value (x or b), or the scale
  double result = 0;          // what it became (deq), or the offending quantity
  std::string message;
};

struct WeightResult {
  std::vector<ChannelParams> channels;  // one per quantization channel
  std::vector<std::int32_t> q;          // stored integers (uint8 values as 0..255)
  std::vector<double> dequantized;      // (q - zp) * s, exact in double
};

struct BiasResult {
  std::vector<float> scale;  // s_b[c] = float32(s_in * s_w[c])
  std::vector<std::int64_t> q;
  std::vector<double> dequantized;  // q * s_b
  std::vector<bool> saturated;
};

struct Result {
  std::string policy;
  Layout layout;
  WeightResult weights;
  BiasResult bias;
  std::vector<Finding> findings;
};

// Why a policy refuses a valid case (only the reference bias fit refuses):
// the products alone can overflow its accumulator, or no finite float32
// weight scale fits a channel's bias.
struct Refusal {
  enum class Kind { none, no_headroom, bias_unfittable } kind = Kind::none;
  std::int64_t channel = -1;  // bias_unfittable: the channel, its largest |bias|
  float bias_abs = 0.0f;
  explicit operator bool() const { return kind != Kind::none; }
};

// The InputError message of a refusal.
std::string describe(const Refusal& r, const Policy& p, const Case& c, const Layout& l);

// Per-channel (or per-tensor) ranges, scales and zero points of a case under
// a policy, after every floor, replacement and bias fit. Throws InputError
// when the policy refuses the case.
std::vector<ChannelParams> compute_weight_params(const Policy& p, const Case& c, const Layout& l);
// The same into params (its capacity reused), returning a refusal instead of
// throwing it (params is then unspecified).
Refusal compute_weight_params(const Policy& p, const Case& c, const Layout& l,
                              std::vector<ChannelParams>& params);

// The rest of compute_weight_params for one channel (or the one per-tensor
// group) whose range_min and range_max are set: its scale, zero point, floors
// and bias fit. Those depend on nothing else but the biases the scale serves
// (empty: the case has no bias), the input scale, the products per output
// (K) and whether the layer has one scale in all (TFLite's bias-fit test
// differs). `channel` names the channel in a refusal. For callers that ask
// one channel many times, such as the smallest input scale a bias fits at:
// the ranges are taken once instead of from every weight each time.
Refusal scale_channel(const Policy& p, std::span<const float> biases, float input_scale,
                      std::int64_t products_per_output, bool one_scale, std::int64_t channel,
                      ChannelParams& cp);

// Quantizes a whole case. Throws InputError on bad input.
Result quantize(const Policy& p, const Case& c);

// The same into r, reusing its buffers (for loops over many cases). r's
// previous contents are replaced; on InputError r is left unspecified.
void quantize(const Policy& p, const Case& c, Result& r);

// The same, returning the policy's refusal of a valid case instead of
// throwing it (r is then unspecified); invalid input still throws. For loops
// where refusals are common, such as fuzzing: a throw costs far more than a
// small quantization, most of all under AddressSanitizer.
Refusal quantize_unless_refused(const Policy& p, const Case& c, Result& r);
// The same for a case validated before: l must be validate(c)'s layout (a
// fuzz target validates an input once and quantizes it many times).
Refusal quantize_unless_refused(const Policy& p, const Case& c, const Layout& l, Result& r);
// What quantize_unless_refused writes of the weights: everything, or the
// integers without r.weights.dequantized (left empty). A model check computes
// each weight's error from q itself, and the dequantized copy (8 bytes per
// weight, zero-filled and written for every layer and policy) was a tenth of a
// `check --policy NAME` process.
enum class WeightOutputs { all, integers_only };
Refusal quantize_unless_refused(const Policy& p, const Case& c, const Layout& l, Result& r,
                                WeightOutputs outputs);

// Quantize the weights only (used by the benchmark and model checks), writing
// integers into q; findings are appended. No validation beyond sizes.
void quantize_weights(const Policy& p, const Case& c, const Layout& l,
                      const std::vector<ChannelParams>& params, WeightResult& out,
                      std::vector<Finding>* findings);

// The finding one quantized weight x -> q of a channel shows, if any: beyond
// the nudged range (clipped), the opposite sign, or an error beyond half a
// step; *deq_out gets (q - zp) * s. cp needs scale, zero point and nudged range.
std::optional<FindingKind> weight_finding(const ChannelParams& cp, float x, std::int32_t q,
                                          double* deq_out = nullptr);

// invalid_scale findings for weight scales that are not finite normal floats
// at or above the policy's floor.
void append_weight_scale_findings(const Policy& p, const std::vector<ChannelParams>& channels,
                                  std::vector<Finding>& out);

// One quantized bias and what it came from.
struct BiasValue {
  std::int64_t channel = 0;
  float bias = 0;   // b
  float scale = 0;  // s_b
  std::int64_t q = 0;
  bool saturated = false;  // the exact quotient b / s_b does not fit the bias type
};

// The findings of one bias: invalid bias scale, saturated, sign flipped, error
// beyond half a step (exact), no accumulator headroom (|q_b| > room).
void append_bias_findings(const Policy& p, const BiasValue& v, const int128& room,
                          std::vector<Finding>& out);

// Quantizes one bias value b at bias scale s_b under the policy's arithmetic
// and out-of-range rule. Sets *saturated when the exact quotient does not fit.
std::int64_t quantize_bias_value(const Policy& p, float b, float s_b, bool* saturated);

// Lets tests and benchmarks turn the fast weight loops off: the
// run-time-dispatched SIMD loop of the exact policies (on where the CPU has
// AVX2 + FMA) and the branch-free loop of the others. Results are identical.
void set_simd_enabled(bool enabled);

// The accumulator headroom left for the products: ACC_MAX - K * max|q_in| * max|q_w|.
// Negative when even a zero bias cannot be guaranteed to fit.
int128 accumulator_headroom(const Policy& p, std::int64_t products_per_output);

}  // namespace quantcheck

namespace quantcheck {

// The declared guarantee a finding breaks, or nullptr when it is only
// informational (a clipped weight outside the nudged range).
const char* guarantee_broken_by(FindingKind kind);

// True when the finding breaks a guarantee the policy declares.
bool breaks_declared(const Finding& f, const Guarantees& g);

}  // namespace quantcheck
