// The property checks, one function each (catalogue.cpp names and states them).
#pragma once

#include "quantcheck/properties.hpp"

namespace quantcheck::check {

// weight_properties.cpp
Verdict scales_valid(const QuantizerUnderTest& q, const Case& c);
Verdict zero_point_in_range(const QuantizerUnderTest& q, const Case& c);
Verdict zero_exact(const QuantizerUnderTest& q, const Case& c);
Verdict weight_round_trip(const QuantizerUnderTest& q, const Case& c);
Verdict weight_idempotent(const QuantizerUnderTest& q, const Case& c);
Verdict weight_monotone(const QuantizerUnderTest& q, const Case& c);

// structure_properties.cpp
Verdict channel_independent(const QuantizerUnderTest& q, const Case& c);
Verdict power_of_two_rescaling(const QuantizerUnderTest& q, const Case& c);
Verdict bias_never_lowers_scale(const QuantizerUnderTest& q, const Case& c);
Verdict non_finite_rejected(const QuantizerUnderTest& q, const Case& c);

// bias_properties.cpp
Verdict bias_scale_product(const QuantizerUnderTest& q, const Case& c);
Verdict bias_no_saturation(const QuantizerUnderTest& q, const Case& c);
Verdict bias_sign_preserved(const QuantizerUnderTest& q, const Case& c);
Verdict bias_round_trip(const QuantizerUnderTest& q, const Case& c);
Verdict accumulator_headroom(const QuantizerUnderTest& q, const Case& c);

}  // namespace quantcheck::check
