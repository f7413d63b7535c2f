// The SVG of `quantcheck audit --plot` is well-formed XML with one series per
// policy, and its curves show the cliffs: luci's seed era loses the #6970
// bias on a 1e-19 filter, reference keeps it within half a step everywhere.
#include <cmath>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "quantcheck/bias_error_plot.hpp"
#include "quantcheck/presets.hpp"

namespace quantcheck {
namespace {

// A small XML well-formedness check: one root, tags nested and closed in
// order, attribute values quoted, no raw '<' or '&' outside markup/entities.
std::string xml_problem(const std::string& s) {
  std::vector<std::string> open;
  std::size_t i = 0, roots = 0;
  if (s.rfind("<?xml", 0) == 0) i = s.find("?>") + 2;
  while (i < s.size()) {
    if (s[i] == '&') {
      const std::size_t semi = s.find(';', i);
      const std::string ent = s.substr(i, semi == std::string::npos ? 0 : semi - i + 1);
      if (ent != "&amp;" && ent != "&lt;" && ent != "&gt;" && ent != "&quot;")
        return "bad entity at " + std::to_string(i);
      i = semi + 1;
      continue;
    }
    if (s[i] != '<') {
      ++i;
      continue;
    }
    const std::size_t end = s.find('>', i);
    if (end == std::string::npos) return "unterminated tag";
    const std::string tag = s.substr(i + 1, end - i - 1);
    if (tag.empty()) return "empty tag";
    if (tag[0] == '/') {
      if (open.empty() || open.back() != tag.substr(1))
        return "mismatched </" + tag.substr(1) + ">";
      open.pop_back();
    } else {
      static const std::regex element(
          R"(([A-Za-z][\w:-]*)(\s+[A-Za-z][\w:-]*="[^"<&]*(&(amp|lt|gt|quot);[^"<&]*)*")*\s*/?)");
      std::smatch m;
      if (!std::regex_match(tag, m, element)) return "malformed tag <" + tag + ">";
      if (open.empty()) ++roots;
      if (tag.back() != '/') open.push_back(m[1]);
    }
    i = end + 1;
  }
  if (!open.empty()) return "unclosed <" + open.back() + ">";
  if (roots != 1) return std::to_string(roots) + " root elements";
  return "";
}

TEST(BiasErrorPlot, checker_rejects_broken_xml) {
  EXPECT_NE(xml_problem("<svg><g></svg>"), "");
  EXPECT_NE(xml_problem("<svg a=b></svg>"), "");
  EXPECT_NE(xml_problem("<svg>&x;</svg>"), "");
  EXPECT_EQ(xml_problem("<svg a=\"1\"><g/><text>a &amp; b</text></svg>"), "");
}

TEST(BiasErrorPlot, well_formed_with_one_series_per_policy) {
  const std::string svg = bias_error_plot_svg(presets());
  EXPECT_EQ(xml_problem(svg), "");
  std::vector<std::string> names;
  const std::regex series(R"re(<g class="series" data-policy="([^"]+)")re");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), series); it != std::sregex_iterator();
       ++it)
    names.push_back((*it)[1]);
  EXPECT_EQ(names, preset_names());
  EXPECT_NE(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
}

TEST(BiasErrorPlot, curves_show_the_cliff) {
  const float b = -1.2156529426574707f, s_in = 0.0001525924017187208f;
  const auto seed_era = bias_error_curve(find_preset("luci-int16-2021"), b, s_in, 21);
  const auto reference = bias_error_curve(find_preset("reference-int16"), b, s_in, 21);
  ASSERT_EQ(seed_era.size(), 21u);
  // m = 1e-19 is point 1 (log10 from -20 to 0 in steps of 1): the #6970 filter.
  EXPECT_NEAR(std::log10(seed_era[1].max_abs_w), -19, 1e-6);
  EXPECT_GT(seed_era[1].relative_error, 0.99);   // INT64_MIN * 7.6e-28 is ~0, not -1.2157
  EXPECT_LT(seed_era[20].relative_error, 1e-4);  // fine at max|w| = 1
  for (const PlotPoint& p : reference) EXPECT_LT(p.relative_error, 1e-6) << p.max_abs_w;
}

// Issue 14: every series its own look (adapter rows after 15 presets reused
// preset colours; three browns), an error of exactly 0 drawn inside the frame
// on a visible zero line (it vanished on the frame), legend order = drawing order.
TEST(BiasErrorPlot, series_distinct_zero_line_visible_legend_in_order) {
  std::vector<std::shared_ptr<const QuantizerUnderTest>> qs;
  for (int round = 0; round < 3; ++round)
    for (const Policy& p : presets()) qs.push_back(std::make_shared<PolicyQuantizer>(p));
  const std::string svg = bias_error_plot_svg(qs);
  EXPECT_EQ(xml_problem(svg), "");
  const std::regex series(
      R"re(<g class="series" data-policy="([^"]+)" stroke="([^"]+)"[^>]*stroke-dasharray="([^"]+)">)re");
  std::vector<std::string> drawn, looks;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), series); it != std::sregex_iterator();
       ++it) {
    drawn.push_back((*it)[1]);
    looks.push_back(std::string((*it)[2]) + "/" + std::string((*it)[3]));
  }
  ASSERT_EQ(drawn.size(), qs.size());
  std::set<std::string> distinct(looks.begin(), looks.end());
  EXPECT_EQ(distinct.size(), looks.size()) << "two series share a colour and dash pattern";
  // No two of the colours are the near-identical browns of before.
  int browns = 0;
  for (const char* b : {"#8c564b", "#8c6d31", "#843c39"})
    browns += svg.find(b) != std::string::npos;
  EXPECT_LE(browns, 1);
  // Legend entries in the order the series are drawn.
  std::vector<std::string> legend;
  const std::regex entry(R"re(<g class="legend">.*?<text[^>]*>([^<]+)</text></g>)re");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), entry); it != std::sregex_iterator();
       ++it)
    legend.push_back((*it)[1]);
  EXPECT_EQ(legend, drawn);
  // The zero line lies inside the frame, and points of error 0 sit on it.
  const std::regex zero(R"re(<line class="zero" x1="[^"]+" y1="([^"]+)")re");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(svg, m, zero));
  const double zero_y = std::stod(m[1]);
  EXPECT_LT(zero_y, 510.0);  // above the frame's bottom edge (kBottom)
  EXPECT_GT(zero_y, 490.0);
  // reference-int16 keeps #6970's bias exactly at some max|w|: those points are on the line.
  const auto ref = bias_error_curve(find_preset("reference-int16"), -1.2156529426574707f,
                                    0.0001525924017187208f, 61);
  bool exact = false;
  for (const PlotPoint& p : ref) exact |= p.relative_error == 0;
  if (exact) {
    EXPECT_NE(svg.find("," + m[1].str()), std::string::npos);
  }
  EXPECT_EQ(svg.find(",510.00"), std::string::npos) << "a point drawn on the frame";
}

}  // namespace
}  // namespace quantcheck
