// The SVG is written by hand: axes, decade grid, one <g class="series"> of
// polylines per policy (broken where the policy rejects the case), a legend.
#include "quantcheck/bias_error_plot.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "quantcheck/error.hpp"
#include "quantcheck/quantize.hpp"

namespace quantcheck {
namespace {

constexpr double kLeft = 90, kRight = 690, kTop = 50, kBottom = 510;
constexpr double kXMin = -20, kXMax = 0;  // log10 max|w|
constexpr double kYMin = -20, kYMax = 2;  // log10 relative error, clamped

double px(double log_m) { return kLeft + (log_m - kXMin) / (kXMax - kXMin) * (kRight - kLeft); }
double py(double log_e) { return kBottom - (log_e - kYMin) / (kYMax - kYMin) * (kBottom - kTop); }

std::string escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += ch;
    }
  }
  return out;
}

const char* color(std::size_t i) {
  static const char* palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
                                  "#393b79", "#637939", "#8c6d31", "#843c39", "#000000"};
  return palette[i % (sizeof palette / sizeof palette[0])];
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

}  // namespace

std::vector<PlotPoint> bias_error_curve(const Policy& p, float bias, float input_scale,
                                        int points) {
  return bias_error_curve(PolicyQuantizer(p), bias, input_scale, points);
}

std::vector<PlotPoint> bias_error_curve(const QuantizerUnderTest& q, float bias, float input_scale,
                                        int points) {
  std::vector<PlotPoint> out;
  for (int i = 0; i < points; ++i) {
    const double log_m = kXMin + (kXMax - kXMin) * i / (points - 1);
    const float m = static_cast<float>(std::pow(10.0, log_m));
    Case c;
    c.op = OpKind::fully_connected;
    c.input_scale = input_scale;
    c.weight_shape = {1, 2};
    c.weights = {m, -m / 2};
    c.bias = {bias};
    PlotPoint pt;
    pt.max_abs_w = m;
    try {
      const Result r = q.quantize(c);
      const double deq = static_cast<double>(r.bias.q[0]) * static_cast<double>(r.bias.scale[0]);
      pt.relative_error = std::fabs(deq - double(bias)) / std::fabs(double(bias));
      if (std::isnan(pt.relative_error)) pt.relative_error = INFINITY;
    } catch (const InputError&) {
      pt.relative_error = NAN;
    }
    out.push_back(pt);
  }
  return out;
}

std::string bias_error_plot_svg(const std::vector<Policy>& policies, float bias, float input_scale,
                                int points) {
  std::vector<std::shared_ptr<const QuantizerUnderTest>> qs;
  for (const Policy& p : policies) qs.push_back(std::make_shared<PolicyQuantizer>(p));
  return bias_error_plot_svg(qs, bias, input_scale, points);
}

std::string bias_error_plot_svg(const std::vector<std::shared_ptr<const QuantizerUnderTest>>& qs,
                                float bias, float input_scale, int points) {
  // Every curve first, so a quantizer that fails leaves no partial document.
  std::vector<std::vector<PlotPoint>> curves;
  for (const auto& q : qs) curves.push_back(bias_error_curve(*q, bias, input_scale, points));
  std::ostringstream s;
  const double height = std::max(kBottom + 60, kTop + 20.0 * double(qs.size()) + 40);
  s << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"960\" height=\"" << num(height)
    << "\" viewBox=\"0 0 960 " << num(height)
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  char title[200];
  std::snprintf(title, sizeof title, "Relative bias error vs max|w| (bias %.9g, input scale %.9g)",
                double(bias), double(input_scale));
  s << "<title>" << escape(title) << "</title>\n";
  s << "<rect x=\"0\" y=\"0\" width=\"960\" height=\"" << num(height) << "\" fill=\"white\"/>\n";
  s << "<text x=\"" << num(kLeft) << "\" y=\"30\" font-size=\"15\">" << escape(title)
    << "</text>\n";
  // Grid and tick labels, one per decade (every 2 on x, every 2 on y).
  s << "<g class=\"grid\" stroke=\"#dddddd\">\n";
  for (int e = int(kXMin); e <= int(kXMax); e += 2)
    s << "<line x1=\"" << num(px(e)) << "\" y1=\"" << num(kTop) << "\" x2=\"" << num(px(e))
      << "\" y2=\"" << num(kBottom) << "\"/>\n";
  for (int e = int(kYMin); e <= int(kYMax); e += 2)
    s << "<line x1=\"" << num(kLeft) << "\" y1=\"" << num(py(e)) << "\" x2=\"" << num(kRight)
      << "\" y2=\"" << num(py(e)) << "\"/>\n";
  s << "</g>\n<g class=\"axes\" fill=\"black\">\n";
  s << "<rect x=\"" << num(kLeft) << "\" y=\"" << num(kTop) << "\" width=\"" << num(kRight - kLeft)
    << "\" height=\"" << num(kBottom - kTop) << "\" fill=\"none\" stroke=\"black\"/>\n";
  for (int e = int(kXMin); e <= int(kXMax); e += 2)
    s << "<text x=\"" << num(px(e)) << "\" y=\"" << num(kBottom + 18)
      << "\" text-anchor=\"middle\">1e" << e << "</text>\n";
  for (int e = int(kYMin); e <= int(kYMax); e += 2)
    s << "<text x=\"" << num(kLeft - 6) << "\" y=\"" << num(py(e) + 4)
      << "\" text-anchor=\"end\">1e" << e << "</text>\n";
  s << "<text x=\"" << num((kLeft + kRight) / 2) << "\" y=\"" << num(kBottom + 40)
    << "\" text-anchor=\"middle\">max|w| of the channel (log scale)</text>\n";
  s << "<text x=\"20\" y=\"" << num((kTop + kBottom) / 2) << "\" transform=\"rotate(-90 20 "
    << num((kTop + kBottom) / 2)
    << ")\" text-anchor=\"middle\">|q_b s_b - b| / |b| (log scale; 0 drawn at 1e-20, "
       "above 1e2 at the top)</text>\n";
  s << "</g>\n";

  for (std::size_t i = 0; i < qs.size(); ++i) {
    const auto& curve = curves[i];
    const std::string name = qs[i]->name();
    s << "<g class=\"series\" data-policy=\"" << escape(name) << "\" stroke=\"" << color(i)
      << "\" fill=\"none\" stroke-width=\"1.5\">\n";
    std::string pts;
    auto flush = [&] {
      if (!pts.empty()) s << "<polyline points=\"" << pts << "\"/>\n";
      pts.clear();
    };
    for (const PlotPoint& p : curve) {
      if (std::isnan(p.relative_error)) {  // rejected: a gap in the line
        flush();
        continue;
      }
      double e = p.relative_error > 0 ? std::log10(p.relative_error) : kYMin;
      e = std::min(std::max(e, kYMin), kYMax);
      if (!pts.empty()) pts += " ";
      pts += num(px(std::log10(p.max_abs_w))) + "," + num(py(e));
    }
    flush();
    s << "</g>\n";
    // Legend entry.
    const double ly = kTop + 10 + 20.0 * double(i);
    s << "<g class=\"legend\"><line x1=\"710\" y1=\"" << num(ly) << "\" x2=\"740\" y2=\"" << num(ly)
      << "\" stroke=\"" << color(i) << "\" stroke-width=\"3\"/><text x=\"748\" y=\"" << num(ly + 4)
      << "\">" << escape(name) << "</text></g>\n";
  }
  s << "</svg>\n";
  return s.str();
}

}  // namespace quantcheck
