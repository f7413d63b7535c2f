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
// An error of exactly 0 has no logarithm: it is drawn on its own dashed line
// one decade below 1e-20, inside the frame (on the frame it vanished).
constexpr double kYZero = -21, kYFrame = -22;

double px(double log_m) { return kLeft + (log_m - kXMin) / (kXMax - kXMin) * (kRight - kLeft); }
double py(double log_e) {
  return kBottom - (log_e - kYFrame) / (kYMax - kYFrame) * (kBottom - kTop);
}

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

// Ten colours that stay apart (Tableau 10, one brown), then a marker shape
// per round of ten: every series has its own colour and marker pair, so
// adapter modes added after the presets never repeat a preset's look.
const char* color(std::size_t i) {
  static const char* palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return palette[i % (sizeof palette / sizeof palette[0])];
}

enum class Marker { circle, square, triangle, diamond, cross };
Marker marker(std::size_t i) { return static_cast<Marker>((i / 10) % 5); }
const char* dash(std::size_t i) {
  // Eight patterns: 80 series before a colour and dash pair repeats (17
  // presets plus every mode of a few adapters fit).
  static const char* patterns[] = {"none", "6,3",  "2,2",     "8,3,2,3",
                                   "1,3",  "10,4", "4,2,1,2", "12,2,2,2,2,2"};
  return patterns[(i / 10) % 8];
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string marker_svg(Marker m, double x, double y, const char* colour) {
  const std::string fill = std::string("\" fill=\"") + colour + "\" stroke=\"" + colour + "\"/>";
  switch (m) {
    case Marker::circle:
      return "<circle cx=\"" + num(x) + "\" cy=\"" + num(y) + "\" r=\"3.5" + fill;
    case Marker::square:
      return "<rect x=\"" + num(x - 3) + "\" y=\"" + num(y - 3) + "\" width=\"6\" height=\"6" +
             fill;
    case Marker::triangle:
      return "<polygon points=\"" + num(x) + "," + num(y - 4) + " " + num(x - 4) + "," +
             num(y + 3) + " " + num(x + 4) + "," + num(y + 3) + fill;
    case Marker::diamond:
      return "<polygon points=\"" + num(x) + "," + num(y - 4) + " " + num(x + 4) + "," + num(y) +
             " " + num(x) + "," + num(y + 4) + " " + num(x - 4) + "," + num(y) + fill;
    case Marker::cross:
      return "<path d=\"M" + num(x - 3) + "," + num(y - 3) + "L" + num(x + 3) + "," + num(y + 3) +
             "M" + num(x - 3) + "," + num(y + 3) + "L" + num(x + 3) + "," + num(y - 3) +
             "\" stroke-width=\"2\" fill=\"none\" stroke=\"" + colour + "\"/>";
  }
  return "";
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
    << ")\" text-anchor=\"middle\">|q_b s_b - b| / |b| (log scale; exactly 0 on the dashed "
       "line, above 1e2 at the top)</text>\n";
  s << "<line class=\"zero\" x1=\"" << num(kLeft) << "\" y1=\"" << num(py(kYZero)) << "\" x2=\""
    << num(kRight) << "\" y2=\"" << num(py(kYZero))
    << "\" stroke=\"#444444\" stroke-dasharray=\"4,4\"/>\n";
  s << "<text x=\"" << num(kLeft - 6) << "\" y=\"" << num(py(kYZero) + 4)
    << "\" text-anchor=\"end\">0</text>\n";
  s << "</g>\n";

  for (std::size_t i = 0; i < qs.size(); ++i) {
    const auto& curve = curves[i];
    const std::string name = qs[i]->name();
    s << "<g class=\"series\" data-policy=\"" << escape(name) << "\" stroke=\"" << color(i)
      << "\" fill=\"none\" stroke-width=\"1.5\" stroke-dasharray=\"" << dash(i) << "\">\n";
    std::string pts, marks;
    std::size_t k = 0;
    auto flush = [&] {
      if (!pts.empty()) s << "<polyline points=\"" << pts << "\"/>\n";
      pts.clear();
    };
    for (const PlotPoint& p : curve) {
      if (std::isnan(p.relative_error)) {  // rejected: a gap in the line
        flush();
        continue;
      }
      double e = p.relative_error > 0
                     ? std::min(std::max(std::log10(p.relative_error), kYMin), kYMax)
                     : kYZero;
      if (!pts.empty()) pts += " ";
      const double x = px(std::log10(p.max_abs_w)), y = py(e);
      pts += num(x) + "," + num(y);
      // A marker every 10 points, offset per series so stacked curves show each.
      if ((k++ + i) % 10 == 0) marks += marker_svg(marker(i), x, y, color(i)) + "\n";
    }
    flush();
    s << "</g>\n<g class=\"markers\" stroke-dasharray=\"none\">\n" << marks << "</g>\n";
  }
  // The legend lists the series in drawing order, each with its line and marker.
  for (std::size_t i = 0; i < qs.size(); ++i) {
    const double ly = kTop + 10 + 20.0 * double(i);
    s << "<g class=\"legend\"><line x1=\"710\" y1=\"" << num(ly) << "\" x2=\"740\" y2=\"" << num(ly)
      << "\" stroke=\"" << color(i) << "\" stroke-width=\"3\" stroke-dasharray=\"" << dash(i)
      << "\"/>" << marker_svg(marker(i), 725, ly, color(i)) << "<text x=\"748\" y=\"" << num(ly + 4)
      << "\">" << escape(qs[i]->name()) << "</text></g>\n";
  }
  s << "</svg>\n";
  return s.str();
}

}  // namespace quantcheck
