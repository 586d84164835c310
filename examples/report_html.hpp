// SPDX-License-Identifier: Apache-2.0
// File: examples/report_html.hpp
//
// shop_report's HTML output: one self-contained file (inline SVG and CSS, no
// scripts, no network) with, per shop, the conversion funnel, the
// response-time distribution with the 45 s line, the trailing 180-day DSR
// curve and the per-agent table.
#ifndef CSMETRICS_EXAMPLES_REPORT_HTML_HPP_
#define CSMETRICS_EXAMPLES_REPORT_HTML_HPP_

#include <algorithm>  // std::max
#include <cstdio>     // std::snprintf
#include <string>     // std::string

#include "csmetrics/io/report.hpp"
#include "report_text.hpp"

namespace demo {

namespace html_detail {

inline std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}
inline std::string f(const char* fmt, double a, double b = 0, double c = 0, double d = 0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, a, b, c, d);
  return buf;
}

inline std::string funnel(const csmetrics::shop_report& s) {
  const std::pair<std::string, std::uint64_t> steps[] = {
      {"inquired", s.inquiry_conversion.denominator},
      {"ordered same day", s.inquiry_conversion_same_day.numerator},
      {"ordered (final)", s.inquiry_conversion.numerator},
      {"ordering buyers", s.payment_conversion.denominator},
      {"paid", s.payment_conversion.numerator}};
  double top = 1;
  for (const auto& st : steps) top = std::max(top, static_cast<double>(st.second));
  std::string o = "<svg class=\"chart\" id=\"funnel\" viewBox=\"0 0 640 200\" role=\"img\" "
                  "aria-label=\"conversion funnel\">";
  double y = 10;
  for (const auto& [label, n] : steps) {
    double w = 420 * static_cast<double>(n) / top;
    o += f("<rect x=\"150\" y=\"%.0f\" width=\"%.1f\" height=\"28\" fill=\"#3b7dd8\"/>", y, w);
    o += f("<text x=\"140\" y=\"%.0f\" text-anchor=\"end\">", y + 19) + esc(label) + "</text>";
    o += f("<text x=\"%.1f\" y=\"%.0f\">", 156 + w, y + 19) + text_detail::num(n) + "</text>";
    y += 36;
  }
  return o + "</svg>";
}

inline std::string response_chart(const csmetrics::shop_report& s) {
  // The distribution as a CDF: share of bursts answered within x seconds.
  const double xmax = 180;
  std::string o = "<svg class=\"chart\" id=\"response\" viewBox=\"0 0 640 240\" role=\"img\" "
                  "aria-label=\"response time distribution\">";
  o += "<line x1=\"50\" y1=\"200\" x2=\"620\" y2=\"200\" stroke=\"#444\"/>"
       "<line x1=\"50\" y1=\"10\" x2=\"50\" y2=\"200\" stroke=\"#444\"/>";
  for (int t = 0; t <= 180; t += 30)
    o += f("<text x=\"%.1f\" y=\"216\" text-anchor=\"middle\">%.0f s</text>", 50 + 570.0 * t / xmax, t);
  o += "<text x=\"44\" y=\"14\" text-anchor=\"end\">100%</text><text x=\"44\" y=\"204\" text-anchor=\"end\">0%</text>";
  std::string pts;
  for (const auto& [q, v] : s.response_quantiles) {
    double x = 50 + 570.0 * std::min(v, xmax) / xmax, y = 200 - 190 * q;
    pts += f("%.1f,%.1f ", x, y);
  }
  o += "<polyline fill=\"none\" stroke=\"#3b7dd8\" stroke-width=\"2\" points=\"" + pts + "\"/>";
  double x45 = 50 + 570.0 * 45 / xmax;
  o += f("<line id=\"line45\" x1=\"%.1f\" y1=\"10\" x2=\"%.1f\" y2=\"200\" stroke=\"#d33\" stroke-dasharray=\"4\"/>",
         x45, x45);
  o += f("<text x=\"%.1f\" y=\"24\" fill=\"#d33\">45 s: ", x45 + 4) + text_detail::pct(s.response_s.within_threshold) +
       "</text>";
  return o + "</svg>";
}

inline std::string dsr_chart(const csmetrics::shop_report& s) {
  std::string o = "<svg class=\"chart\" id=\"dsr\" viewBox=\"0 0 640 240\" role=\"img\" "
                  "aria-label=\"trailing 180-day DSR\">";
  o += "<line x1=\"50\" y1=\"200\" x2=\"620\" y2=\"200\" stroke=\"#444\"/>"
       "<line x1=\"50\" y1=\"10\" x2=\"50\" y2=\"200\" stroke=\"#444\"/>";
  const double lo = 4.0, hi = 5.0;  // DSR lives between 4 and 5 in practice
  o += "<text x=\"44\" y=\"14\" text-anchor=\"end\">5.0</text><text x=\"44\" y=\"204\" text-anchor=\"end\">4.0</text>";
  std::string pts;
  std::size_t n = s.dsr_curve.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (!s.dsr_curve[i].second) continue;
    double v = std::min(hi, std::max(lo, *s.dsr_curve[i].second));
    double x = 50 + (n > 1 ? 570.0 * static_cast<double>(i) / static_cast<double>(n - 1) : 0);
    pts += f("%.1f,%.1f ", x, 200 - 190 * (v - lo) / (hi - lo));
  }
  o += "<polyline fill=\"none\" stroke=\"#2a9d5c\" stroke-width=\"2\" points=\"" + pts + "\"/>";
  if (n) {
    o += "<text x=\"50\" y=\"216\">" + csmetrics::format_day(s.dsr_curve.front().first) + "</text>";
    o += "<text x=\"620\" y=\"216\" text-anchor=\"end\">" + csmetrics::format_day(s.dsr_curve.back().first) +
         "</text>";
  }
  return o + "</svg>";
}

}  // namespace html_detail

inline std::string to_html(const csmetrics::report& r) {
  using namespace html_detail;
  using text_detail::num;
  using text_detail::pct;
  using text_detail::secs;
  std::string o =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>csmetrics shop report</title>"
      "<style>body{font:14px/1.4 sans-serif;margin:2em;color:#222}svg.chart{width:640px;display:block;margin:.5em 0 "
      "1.5em;font:12px sans-serif}table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid "
      "#ddd;text-align:right}th:first-child,td:first-child{text-align:left}</style></head><body>\n"
      "<h1>csmetrics shop report</h1>\n";
  o += "<p>" + num(r.rows) + " rows read, " + num(r.accepted) + " accepted, " + num(r.skipped) + " skipped.</p>\n";
  for (const auto& [name, s] : r.shops) {
    o += "<section class=\"shop\"><h2>" + esc(name) + " &mdash; as of " + csmetrics::format_day(s.as_of) + "</h2>\n";
    o += "<p>Inquiry conversion " + pct(s.inquiry_conversion.value()) + ", payment conversion " +
         pct(s.payment_conversion.value()) + ", paid revenue " + s.paid_revenue.to_string() + ", mean response " +
         secs(s.response_s.mean) + ".</p>\n";
    o += "<h3>Conversion funnel</h3>" + funnel(s) + "\n";
    o += "<h3>Response times (share answered within x)</h3>" + response_chart(s) + "\n";
    o += "<h3>DSR, item as described, trailing 180 days</h3>" + dsr_chart(s) + "\n";
    o += "<h3>Agents</h3><table id=\"agents\"><tr><th>agent</th><th>buyers</th><th>mean response</th><th>p90</th>"
         "<th>answer/question</th><th>invites</th><th>satisfaction</th><th>orders</th><th>revenue</th></tr>\n";
    for (const auto& [agent, a] : s.agents)
      o += "<tr><td>" + esc(agent) + "</td><td>" + num(a.buyers_served) + "</td><td>" + secs(a.response_s.mean) +
           "</td><td>" + secs(a.response_s.p90) + "</td><td>" + pct(a.answer_ratio.value()) + "</td><td>" +
           pct(a.invite_rate.value()) + "</td><td>" + pct(a.satisfaction.value()) + "</td><td>" +
           num(a.orders_credited) + "</td><td>" + a.revenue_credited.to_string() + "</td></tr>\n";
    o += "</table></section>\n";
  }
  return o + "</body></html>\n";
}

}  // namespace demo

#endif  // CSMETRICS_EXAMPLES_REPORT_HTML_HPP_
