// The picture of where each policy breaks: relative bias error
// |q_b * s_b - b| / |b| (log scale) against the channel's max|w| (log scale,
// 1e-20 to 1) for one fixed bias and input scale, one series per policy.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "quantcheck/policy.hpp"
#include "quantcheck/quantizer_under_test.hpp"

namespace quantcheck {

struct PlotPoint {
  double max_abs_w = 0;
  double relative_error = 0;  // NaN when the policy rejected the case
};

// The curve of one quantizer (a preset, or an external adapter's mode): a
// FULLY_CONNECTED channel {m, -m/2} with bias b at input scale s_in, for
// `points` values of m spaced evenly in log10 from 1e-20 to 1. A case the
// quantizer rejects (InputError) is a gap; any other exception propagates.
std::vector<PlotPoint> bias_error_curve(const QuantizerUnderTest& q, float bias, float input_scale,
                                        int points);
std::vector<PlotPoint> bias_error_curve(const Policy& p, float bias, float input_scale, int points);

// A standalone SVG document, one series per quantizer (ONE #6970's bias and
// input scale by default).
std::string bias_error_plot_svg(const std::vector<std::shared_ptr<const QuantizerUnderTest>>& qs,
                                float bias = -1.2156529426574707f,
                                float input_scale = 0.0001525924017187208f, int points = 161);
std::string bias_error_plot_svg(const std::vector<Policy>& policies,
                                float bias = -1.2156529426574707f,
                                float input_scale = 0.0001525924017187208f, int points = 161);

}  // namespace quantcheck
