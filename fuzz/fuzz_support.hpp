// Shared by every fuzz target: which presets a run quantizes under, the
// re-check of every guarantee a preset declares (from the numbers, not from
// the library's own findings), an exact float32 quotient written
// independently of quantizer/src/exact.cpp, and fail(), which prints what
// broke and traps so every engine (libFuzzer, AFL++, the replay main) sees a
// crash.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "quantcheck/exact.hpp"
#include "quantcheck/policy.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck::fuzz {

// Prints "quantcheck fuzz: VIOLATION: <what>" and the case, then traps.
[[noreturn]] void fail(const std::string& what, const Case* c = nullptr);

// num / den = floor + fraction, exact, for finite float32 num and den != 0,
// from the bit patterns (24-bit mantissas in 128-bit integers). huge is set
// when |num / den| >= 2^76, beyond every integer type quantcheck stores.
struct FloatQuotient {
  bool huge = false;
  int128 floor = 0;
  bool exact = true;  // fraction == 0
  int half_cmp = -1;  // sign of (fraction - 1/2)
};
FloatQuotient float_quotient(float num, float den);

// round(num / den) with the given tie rule; nullopt when huge.
std::optional<int128> round_float_quotient(float num, float den, Rounding rounding);
std::optional<int128> round_float_quotient(const FloatQuotient& q, Rounding rounding);

// |q - num / den| <= 1/2, exactly (den != 0).
bool float_within_half_step(int128 q, float num, float den);
bool float_within_half_step(int128 q, const FloatQuotient& num_over_den);

// The presets this process fuzzes: every preset, or the comma-separated names
// in QUANTCHECK_FUZZ_POLICIES (e.g. "reference,reference-uint8,reference-int16").
const std::vector<const Policy*>& fuzzed_policies();

// The presets a case file asks for: its own policy plus the reference presets,
// or every fuzzed preset when the name is empty or unknown.
const std::vector<const Policy*>& policies_for(const std::string& name);

// The unexcused build (fuzz_case_bytes_unexcused): hold this preset to
// no_bias_saturation at every non-zero bias scale, so the #6970 saturation
// (q_b = INT64_MIN from a tiny weight scale) becomes a crash.
void hold_to_no_bias_saturation(const std::string& preset);

// Quantizes c (already validated: l is its layout) under p and re-checks the result. An
// InputError is accepted only from the reference policies, which refuse a
// bias that no finite weight scale can fit (nullptr); any other failure traps.
// The result lives in a buffer per preset, valid until the next call for p.
const Result* quantize_and_check(const Policy& p, const Case& c, const Layout& l);

// Every guarantee p declares (and the unexcused hold) re-checked on r, plus
// the shape of r itself: sizes, integer ranges, zero points, s_b = s_in * s_w,
// the saturated flags; and no library finding may break a held guarantee.
void check_result(const Policy& p, const Case& c, const Result& r);

// A target compiled with -DQUANTCHECK_FUZZ_UNEXCUSED="<preset>" holds that
// preset to no_bias_saturation from its first input on.
#ifdef QUANTCHECK_FUZZ_UNEXCUSED
inline const bool unexcused_hold_installed = [] {
  hold_to_no_bias_saturation(QUANTCHECK_FUZZ_UNEXCUSED);
  return true;
}();
#endif

}  // namespace quantcheck::fuzz
