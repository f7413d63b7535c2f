// The adapter through which the property suite tests a quantizer: ours (the
// presets) or a user's own. A quantizer under test declares its contract (the
// integer ranges, floors and the guarantees it claims) and quantizes a Case;
// the properties re-check its Result from first principles, so an adapter
// only has to fill in what its quantizer actually produced:
//   weights.channels[c].scale and .zero_point, weights.q, bias.scale, bias.q.
// Everything else in Result (dequantized values, findings) is ignored.
//
// An adapter for an external process (a quantizer speaking JSON lines) is one
// more implementation of this interface: contract() from its handshake,
// quantize() writes the case JSON and reads the result JSON back.
#pragma once

#include <string>

#include "quantcheck/policy.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck {

// What a quantizer declares about itself; the properties hold it to this.
struct Contract {
  std::string name;
  WeightType weight_type = WeightType::int8;
  Scheme scheme = Scheme::symmetric;  // symmetric: every zero point is 0
  Granularity granularity = Granularity::per_channel;
  std::int32_t qmin = -127;  // weight integer range
  std::int32_t qmax = 127;
  BiasType bias_type = BiasType::int32;   // also the accumulator type
  std::int64_t activation_abs_max = 255;  // largest |q_in - zp_in| feeding the op
  float scale_floor = 0.0f;               // least weight scale it may choose on its own
  float bias_scale_floor = 0.0f;          // least s_in * s_w it may choose on its own
  Guarantees guarantees;                  // what it promises (policy.hpp)
};

class QuantizerUnderTest {
 public:
  virtual ~QuantizerUnderTest() = default;
  virtual std::string name() const { return contract().name; }
  virtual Contract contract() const = 0;
  Guarantees guarantees() const { return contract().guarantees; }
  // Quantizes one case. Must throw quantcheck::InputError for input it rejects
  // (every non-finite value must be rejected); any other exception is a bug.
  virtual Result quantize(const Case& c) const = 0;
};

// The contract a preset policy implies: its ranges, and its floors (a
// tiny-scale replacement threshold counts as a floor: scales below it never
// come out).
Contract contract_of(const Policy& p);

// One of quantcheck's own policies, run in-process.
class PolicyQuantizer : public QuantizerUnderTest {
 public:
  explicit PolicyQuantizer(Policy p) : policy_(std::move(p)), contract_(contract_of(policy_)) {}
  Contract contract() const override { return contract_; }
  Result quantize(const Case& c) const override { return quantcheck::quantize(policy_, c); }
  const Policy& policy() const { return policy_; }

 private:
  Policy policy_;
  Contract contract_;
};

}  // namespace quantcheck
