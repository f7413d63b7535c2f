// The property catalogue (docs/properties.md): each property is a named
// function that takes a quantizer under test and one case, quantizes it (and,
// for some properties, derived cases), and re-checks the result from first
// principles: exact rational arithmetic (exact.hpp), bit comparisons, and the
// integer ranges of the quantizer's contract. They never consult the
// quantizer's own findings.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "quantcheck/quantizer_under_test.hpp"

namespace quantcheck {

// The outcome of one property on one case.
struct Verdict {
  enum class Kind { holds, fails, rejected };  // rejected: the quantizer threw InputError
  Kind kind = Kind::holds;
  std::string message;  // what failed, with channel/element and exact values

  static Verdict ok() { return {}; }
  static Verdict fail(std::string m) { return {Kind::fails, std::move(m)}; }
  static Verdict reject(std::string m) { return {Kind::rejected, std::move(m)}; }
  bool failed() const { return kind == Kind::fails; }
};

// Which cases a property is checked on.
enum class PropertyInput {
  finite,      // gen::adversarial_case
  non_finite,  // gen::non_finite_case
};

using PropertyCheck = Verdict (*)(const QuantizerUnderTest&, const Case&);

struct Property {
  const char* name;       // stable identifier, used by --property
  const char* guarantee;  // the Guarantees field it checks, or "all" (every quantizer)
  const char* statement;  // one paragraph: what it asserts
  PropertyInput input;
  PropertyCheck check;
};

// Every property, in catalogue order.
const std::vector<Property>& properties();
// Throws UsageError naming the known properties.
const Property& find_property(const std::string& name);

// Whether a quantizer is held to this property: it declares the guarantee,
// or the property applies to every quantizer.
bool is_declared(const Property& p, const Guarantees& g);

// Helpers the checks share, exposed for tests.
namespace check {

// The value of q - zp is within half a step of x: |(q - zp) - x / s| <= 1/2,
// decided exactly. A zero or non-finite s only admits x == 0 and q == zp.
bool within_half_step_of(std::int64_t q_minus_zp, float x, float s);

// Where element i of a case belongs.
struct Placement {
  std::int64_t channels = 0;
  std::int64_t inner = 1;
  std::int64_t per_channel = 0;  // K, products per output channel
  int axis = 0;
  std::int64_t channel_of(std::int64_t i) const { return (i / inner) % channels; }
};
Placement placement_of(const Case& c);

// The case restricted to one output channel (shape[axis] = 1).
Case single_channel(const Case& c, std::int64_t channel);

// A float written exactly: 9 significant digits and the hex form.
std::string exact(float v);
std::string exact(double v);

}  // namespace check

}  // namespace quantcheck
