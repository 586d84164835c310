// SPDX-License-Identifier: Apache-2.0
// File: examples/report_html_charts.hpp
//
// The inline SVG charts of shop_report's HTML page (report_html.hpp): the
// conversion funnel, the response-time distribution, the trailing DSR curve,
// the daily trends, the sales waterfall and the overview's sparklines. Each
// chart fits its axis to the data (durations on a log axis when they go past
// three minutes, the 45 s line always in view) and says in words when there
// is nothing to draw, instead of drawing empty axes.
#ifndef CSMETRICS_EXAMPLES_REPORT_HTML_CHARTS_HPP_
#define CSMETRICS_EXAMPLES_REPORT_HTML_CHARTS_HPP_

#include <algorithm>  // std::max, std::min
#include <cmath>      // std::log10, std::pow, std::ceil, std::floor, std::lround, std::abs
#include <cstdint>    // std::int64_t
#include <cstdio>     // std::snprintf
#include <optional>   // std::optional
#include <string>     // std::string
#include <utility>    // std::pair
#include <vector>     // std::vector

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
      case '\'': o += "&#39;"; break;
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
/// Appends "x,y " to a polyline's points at whole pixels, skipping a point
/// equal to the previous one (keeps 100+ shop pages small).
inline void add_point(std::string& pts, double x, double y) {
  const std::string p = f("%.0f,%.0f ", x, y);
  if (pts.size() >= p.size() && pts.compare(pts.size() - p.size(), p.size(), p) == 0) return;
  pts += p;
}
/// A sentence in place of a chart that would have nothing to show.
inline std::string empty_state(const std::string& what) { return "<p class=\"empty\">" + esc(what) + "</p>"; }

/// "45 s", "2.5 min", "3 h", "2 d": a duration for labels.
inline std::string dur_label(double s) {
  // One decimal below 10 of a unit, none when it is .0: "0.5 s", "7.3 min", "1 h".
  auto fmt = [](double v, const char* unit) {
    std::string t = f(v < 9.95 ? "%.1f" : "%.0f", v);
    if (t.size() > 2 && t.compare(t.size() - 2, 2, ".0") == 0) t.resize(t.size() - 2);
    return t + unit;
  };
  if (s <= 0) return "0 s";
  if (s < 59.5) return fmt(s, " s");
  if (s < 3570) return fmt(s / 60, " min");
  if (s < 172800) return fmt(s / 3600, " h");
  return fmt(s / 86400, " d");
}
/// The smallest 1, 2, 2.5 or 5 x 10^k at or above v (> 0): round axis ends.
inline double nice_ceil(double v) {
  if (v <= 0) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * p >= v * (1 - 1e-12)) return m * p;
  return 10 * p;
}
/// "1.2M", "94.5k", "850": a money amount (cents) for axis labels.
inline std::string money_short(double cents) {
  const double v = cents / 100, a = v < 0 ? -v : v;
  if (a >= 1e6) return f("%.1fM", v / 1e6);
  if (a >= 1e4) return f("%.0fk", v / 1e3);
  if (a >= 1e3) return f("%.1fk", v / 1e3);
  return f("%.0f", v);
}
/// The signed exact amount: "+1 234.50".
inline std::string money_signed(csmetrics::money m) { return text_detail::signed_money(m); }

// Plot area of the 640 x 220 charts.
constexpr double X0 = 60, X1 = 620, Y0 = 14, Y1 = 186;

/// A duration axis: linear from 0 when the data stays within three minutes,
/// else logarithmic; 45 s is always inside it.
struct time_axis {
  bool log = false;
  double lo = 0, hi = 60;

  static time_axis fit(double vmin, double vmax) {
    time_axis a;
    if (vmax <= 180) {
      for (double h : {60.0, 90.0, 120.0, 180.0})
        if (vmax <= h) {
          a.hi = h;
          break;
        }
      return a;
    }
    a.log = true;
    a.lo = std::pow(10.0, std::floor(std::log10(std::max(0.1, std::min(vmin, 10.0)))));
    a.hi = std::pow(10.0, std::ceil(std::log10(vmax * 1.05)));
    return a;
  }
  /// 0 .. 1 along the axis.
  double at(double v) const {
    if (!log) return std::min(1.0, std::max(0.0, v / hi));
    const double l = std::log10(std::max(v, lo));
    return std::min(1.0, std::max(0.0, (l - std::log10(lo)) / (std::log10(hi) - std::log10(lo))));
  }
  /// A tick's label: seconds on a linear axis ("120 s"), units on a log one ("10 min").
  std::string label(double v) const { return log ? dur_label(v) : f("%.0f s", v); }
  std::vector<double> ticks() const {
    std::vector<double> t;
    if (!log) {
      for (int i = 0; i <= 6; ++i) t.push_back(hi * i / 6);
      return t;
    }
    for (double v : {0.1, 1.0, 10.0, 60.0, 600.0, 3600.0, 36000.0, 86400.0, 864000.0, 8640000.0})
      if (v >= lo && v <= hi) t.push_back(v);
    return t;
  }
};

/// Frame and horizontal grid of a chart whose y runs from `lo` to `hi`.
inline std::string y_grid(double lo, double hi, int steps, std::string (*label)(double)) {
  std::string o;
  for (int i = 0; i <= steps; ++i) {
    const double v = lo + (hi - lo) * i / steps, y = Y1 - (Y1 - Y0) * i / steps;
    o += f("<line class=\"grid\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>", X0, y, X1, y);
    o += f("<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", X0 - 5, y + 4) + label(v) + "</text>";
  }
  return o;
}
inline std::string pct_label(double v) { return f("%.0f%%", v * 100); }
inline std::string open_svg(const std::string& cls, const std::string& id, const std::string& aria,
                            const std::string& extra = "") {
  return "<svg class=\"chart " + cls + "\" id=\"" + id + "\" viewBox=\"0 0 640 220\" role=\"img\" aria-label=\"" +
         esc(aria) + "\"" + extra + ">";
}

/// Buyers from inquiry to payment, as bars.
inline std::string funnel(const csmetrics::shop_report& s, const std::string& id) {
  const std::pair<const char*, std::uint64_t> steps[] = {
      {"inquired", s.inquiry_conversion.denominator},
      {"ordered same day", s.inquiry_conversion_same_day.numerator},
      {"ordered (final)", s.inquiry_conversion.numerator},
      {"ordering buyers", s.payment_conversion.denominator},
      {"paid", s.payment_conversion.numerator}};
  double top = 0;
  for (const auto& st : steps) top = std::max(top, static_cast<double>(st.second));
  if (top == 0) return empty_state("No inquiries or orders in this log: no funnel to draw.");
  if (s.inquiry_conversion.numerator == 0 && s.payment_conversion.denominator == 0)
    return empty_state(text_detail::num(s.inquiry_conversion.denominator) +
                       " buyers inquired; nobody ordered in this log (no order events): no funnel to draw.");
  std::string o = "<svg class=\"chart funnel\" id=\"" + id +
                  "\" viewBox=\"0 0 640 190\" role=\"img\" aria-label=\"conversion funnel\">";
  double y = 8;
  for (const auto& [label, n] : steps) {
    const double w = 400 * static_cast<double>(n) / top;
    o += f("<rect x=\"150\" y=\"%.0f\" width=\"%.1f\" height=\"28\" rx=\"3\" class=\"bar\"/>", y, w);
    o += f("<text x=\"140\" y=\"%.0f\" text-anchor=\"end\">", y + 19) + label + "</text>";
    o += f("<text x=\"%.1f\" y=\"%.0f\">", 156 + w, y + 19) + text_detail::num(n);
    if (top > 0 && label != steps[0].first) o += f(" (%.1f%%)", 100.0 * static_cast<double>(n) / top);
    o += "</text>";
    y += 36;
  }
  return o + "</svg>";
}

/// The share of bursts answered within x, on a duration axis that fits.
inline std::string response_chart(const csmetrics::shop_report& s, const std::string& id) {
  if (s.response_quantiles.empty()) return empty_state("No answered buyer messages in this log.");
  const time_axis ax = time_axis::fit(s.response_quantiles.front().second, s.response_quantiles.back().second);
  std::string o = open_svg("response", id, "response time distribution", ax.log ? " data-scale=\"log\"" : "");
  o += y_grid(0, 1, 4, pct_label);
  for (double t : ax.ticks())
    o += f("<text x=\"%.1f\" y=\"202\" text-anchor=\"middle\">", X0 + (X1 - X0) * ax.at(t)) + ax.label(t) + "</text>";
  o += f("<text x=\"%.0f\" y=\"216\" text-anchor=\"end\" class=\"note\">", X1) +
       std::string(ax.log ? "log scale" : "seconds") + "</text>";
  std::string pts;
  for (const auto& [q, v] : s.response_quantiles)
    add_point(pts, X0 + (X1 - X0) * ax.at(v), Y1 - (Y1 - Y0) * q);
  o += "<polyline class=\"s1\" points=\"" + pts + "\"/>";
  const double x45 = X0 + (X1 - X0) * ax.at(45);
  o += f("<line class=\"line45\" x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\"/>", x45, Y0, x45, Y1);
  o += f("<text x=\"%.1f\" y=\"%.0f\" class=\"t45\">45 s: ", x45 + 4, Y0 + 12) +
       text_detail::pct(s.response_s.within_threshold) + " within</text>";
  return o + "</svg>";
}

/// The trailing 180-day item DSR, on a score axis that fits.
inline std::string dsr_chart(const csmetrics::shop_report& s, const std::string& id) {
  double lo = 4.0;
  bool any = false;
  for (const auto& [day, v] : s.dsr_curve)
    if (v) {
      any = true;
      lo = std::min(lo, std::floor(*v * 2) / 2);
    }
  if (!any) return empty_state("No ratings in this log.");
  const double hi = 5.0;
  std::string o = open_svg("dsr", id, "trailing 180-day DSR");
  o += y_grid(lo, hi, static_cast<int>((hi - lo) * 2), [](double v) { return f("%.1f", v); });
  std::string pts;
  const std::size_t n = s.dsr_curve.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (!s.dsr_curve[i].second) continue;
    const double x = X0 + (n > 1 ? (X1 - X0) * static_cast<double>(i) / static_cast<double>(n - 1) : 0);
    add_point(pts, x, Y1 - (Y1 - Y0) * (*s.dsr_curve[i].second - lo) / (hi - lo));
  }
  o += "<polyline class=\"s3\" points=\"" + pts + "\"/>";
  o += f("<text x=\"%.0f\" y=\"202\">", X0) + csmetrics::format_day(s.dsr_curve.front().first) + "</text>";
  o += f("<text x=\"%.0f\" y=\"202\" text-anchor=\"end\">", X1) + csmetrics::format_day(s.dsr_curve.back().first) +
       "</text>";
  return o + "</svg>";
}

/// The days a trend shows: the last `window` up to as_of, from the first
/// with any activity.
inline std::vector<std::pair<csmetrics::day_number, const csmetrics::day_report*>> trend_days(
    const csmetrics::shop_report& s, int window) {
  std::vector<std::pair<csmetrics::day_number, const csmetrics::day_report*>> out;
  for (auto it = s.days.lower_bound(static_cast<csmetrics::day_number>(s.as_of - (window - 1)));
       it != s.days.end() && it->first <= s.as_of; ++it) {
    const csmetrics::day_report& d = it->second;
    if (out.empty() && d.visits == 0 && d.conversations == 0 && d.orders == 0) continue;
    out.emplace_back(it->first, &d);
  }
  return out;
}

/// x of the i-th of n days.
inline double day_x(std::size_t i, std::size_t n) {
  return n > 1 ? X0 + 8 + (X1 - X0 - 16) * static_cast<double>(i) / static_cast<double>(n - 1) : (X0 + X1) / 2;
}
inline std::string day_axis(const std::vector<std::pair<csmetrics::day_number, const csmetrics::day_report*>>& days) {
  std::string o;
  const std::size_t n = days.size();
  const std::size_t step = std::max<std::size_t>(1, (n + 6) / 7);
  for (std::size_t i = 0; i < n; i += step)
    o += f("<text x=\"%.1f\" y=\"202\" text-anchor=\"middle\">", day_x(i, n)) +
         csmetrics::format_day(days[i].first).substr(5) + "</text>";
  return o;
}

/// A polyline broken where the value is missing.
inline std::string series(const std::vector<std::optional<double>>& ys, const char* cls) {
  std::string o, pts;
  auto flush = [&] {
    if (pts.empty()) return;
    o += std::string("<polyline class=\"") + cls + "\" points=\"" + pts + "\"/>";
    pts.clear();
  };
  for (std::size_t i = 0; i < ys.size(); ++i) {
    if (!ys[i]) {
      flush();
      continue;
    }
    add_point(pts, day_x(i, ys.size()), *ys[i]);
  }
  flush();
  return o;
}
inline std::string legend(const std::vector<std::pair<const char*, const char*>>& items) {
  std::string o;
  double x = X0 + 6;
  for (const auto& [cls, label] : items) {
    o += f("<rect x=\"%.0f\" y=\"3\" width=\"12\" height=\"4\" class=\"k", x) + cls + "\"/>";
    o += f("<text x=\"%.0f\" y=\"9\" class=\"note\">", x + 16) + label + "</text>";
    x += 24 + 6.5 * static_cast<double>(std::string(label).size());
  }
  return o;
}

/// Daily inquiry conversion, final and same day.
inline std::string trend_conversion(const csmetrics::shop_report& s, int window, const std::string& id) {
  const auto days = trend_days(s, window);
  double top = 0;
  for (const auto& [day, d] : days)
    if (auto v = d->inquiry_conversion.value()) top = std::max(top, *v);
  const bool inquiries = std::any_of(days.begin(), days.end(), [](const auto& x) {
    return x.second->inquiry_conversion.denominator > 0;
  });
  if (!inquiries) return empty_state("No inquiries in these days: no inquiry conversion to draw.");
  if (top == 0)
    return empty_state(s.orders == 0 ? "Buyers inquired, but this log has no orders: inquiry conversion is 0 % every day."
                                     : "Buyers inquired in these days, but no order followed: 0 % every day.");
  // Round steps: 5 % up to 20 %, 10 % up to 50 %, else 20 %.
  const double step = top <= 0.2 ? 0.05 : top <= 0.5 ? 0.1 : 0.2;
  const int steps = std::max(1, static_cast<int>(std::ceil(top / step - 1e-9)));
  const double hi = step * steps;
  std::vector<std::optional<double>> fin, same;
  auto y = [&](double v) { return Y1 - (Y1 - Y0) * v / hi; };
  for (const auto& [day, d] : days) {
    auto v = d->inquiry_conversion.value();
    fin.push_back(v ? std::optional<double>(y(*v)) : std::nullopt);
    auto w = d->inquiry_conversion_same_day ? d->inquiry_conversion_same_day->value() : std::nullopt;
    same.push_back(w ? std::optional<double>(y(*w)) : std::nullopt);
  }
  std::string o = open_svg("trend-conversion", id, "daily inquiry conversion");
  o += y_grid(0, hi, steps, pct_label) + day_axis(days);
  o += series(fin, "s1") + series(same, "s2");
  o += legend({{"s1", "final (within the window)"}, {"s2", "same day"}});
  return o + "</svg>";
}

/// Daily response p50 and p90, with the 45 s line.
inline std::string trend_response(const csmetrics::shop_report& s, int window, const std::string& id) {
  const auto days = trend_days(s, window);
  double vmin = 1e18, vmax = 0;
  for (const auto& [day, d] : days) {
    if (d->response_s.p50) vmin = std::min(vmin, *d->response_s.p50);
    if (d->response_s.p90) vmax = std::max(vmax, *d->response_s.p90);
  }
  if (vmax == 0) return empty_state("No answered buyer messages in these days.");
  const time_axis ax = time_axis::fit(vmin, vmax);
  std::vector<std::optional<double>> p50, p90;
  auto y = [&](double v) { return Y1 - (Y1 - Y0) * ax.at(v); };
  for (const auto& [day, d] : days) {
    p50.push_back(d->response_s.p50 ? std::optional<double>(y(*d->response_s.p50)) : std::nullopt);
    p90.push_back(d->response_s.p90 ? std::optional<double>(y(*d->response_s.p90)) : std::nullopt);
  }
  std::string o = open_svg("trend-response", id, "daily response time", ax.log ? " data-scale=\"log\"" : "");
  for (double t : ax.ticks()) {
    const double yy = y(t);
    o += f("<line class=\"grid\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>", X0, yy, X1, yy);
    o += f("<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", X0 - 5, yy + 4) + ax.label(t) + "</text>";
  }
  o += day_axis(days) + series(p90, "s2") + series(p50, "s1");
  const double y45 = y(45);
  o += f("<line class=\"line45\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>", X0, y45, X1, y45);
  o += f("<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" class=\"t45\">45 s</text>", X1 - 2, y45 - 4);
  o += legend({{"s1", "p50"}, {"s2", "p90"}});
  return o + "</svg>";
}

/// Daily sales as bars and orders as a line; conversations when the log has no orders.
inline std::string trend_sales(const csmetrics::shop_report& s, int window, const std::string& id) {
  const auto days = trend_days(s, window);
  double smax = 0, omax = 0, cmax = 0;
  for (const auto& [day, d] : days) {
    smax = std::max(smax, static_cast<double>(d->revenue.minor()));
    omax = std::max(omax, static_cast<double>(d->orders));
    cmax = std::max(cmax, static_cast<double>(d->conversations));
  }
  const bool orders = omax > 0;
  if (!orders && cmax == 0) return empty_state("No orders or conversations in these days.");
  const double bar_max = nice_ceil(orders ? (smax > 0 ? smax : omax) : cmax);
  const std::size_t n = days.size();
  const double bw = std::max(1.0, std::min(18.0, (X1 - X0 - 16) / static_cast<double>(n) * 0.7));
  std::string bars;
  for (std::size_t i = 0; i < n; ++i) {
    const auto* d = days[i].second;
    const double v = orders ? (smax > 0 ? static_cast<double>(d->revenue.minor()) : static_cast<double>(d->orders))
                            : static_cast<double>(d->conversations);
    const double h = (Y1 - Y0) * v / bar_max;
    if (h > 0) bars += f("M%.1f %.1fh%.1f", day_x(i, n) - bw / 2, Y1, bw) + f("v%.1fh%.1fz", -h, -bw);
  }
  std::string o = open_svg("trend-sales", id, orders ? "daily sales and orders" : "daily conversations");
  if (orders && smax > 0)
    o += y_grid(0, bar_max, 5, money_short);
  else
    o += y_grid(0, bar_max, 5, [](double v) { return f("%.0f", v); });
  o += day_axis(days) + "<path class=\"bars\" d=\"" + bars + "\"/>";
  if (orders && smax > 0) {
    std::vector<std::optional<double>> ys;
    for (const auto& [day, d] : days) ys.push_back(Y1 - (Y1 - Y0) * static_cast<double>(d->orders) / (omax * 1.05));
    o += series(ys, "s2");
    o += f("<text x=\"%.0f\" y=\"%.0f\" class=\"note\" text-anchor=\"end\">", X1, Y0 + 10) +
         f("orders: max %.0f a day", omax) + "</text>";
    o += legend({{"bar", "sales"}, {"s2", "orders"}});
  } else {
    o += legend({{"bar", orders ? "orders (no amounts)" : "conversations"}});
  }
  return o + "</svg>";
}

/// The waterfall from last period's sales through the traffic, conversion
/// and basket-value parts to this period's; parts carry their exact cents.
inline std::string waterfall(const csmetrics::sales_change_report& c, const std::string& id) {
  const std::int64_t before = c.before.minor(), after = c.after.minor();
  if (before == 0 && after == 0)
    return empty_state("No sales in " + text_detail::days_of(c.before_first, c.after_last) +
                       ": no change to decompose.");
  struct step {
    const char* label;
    const char* part;  // nullptr: a total
    std::int64_t cents;
  };
  std::vector<step> steps{{"last period", nullptr, before}};
  if (c.explained && c.traffic_part && c.conversion_part && c.aov_part) {
    steps.push_back({"traffic", "traffic", c.traffic_part->minor()});
    steps.push_back({"conversion", "conversion", c.conversion_part->minor()});
    steps.push_back({"basket value", "aov", c.aov_part->minor()});
  } else {
    steps.push_back({"unexplained", "unexplained", c.change.minor()});
  }
  steps.push_back({"this period", nullptr, after});
  double lo = 0, hi = 0, run = 0;
  for (const step& st : steps) {
    run = st.part ? run + static_cast<double>(st.cents) : static_cast<double>(st.cents);
    lo = std::min(lo, run);
    hi = std::max(hi, run);
  }
  if (hi == lo) hi = lo + 1;
  // Round grid steps, and room for the labels above the bars.
  const double grid = nice_ceil((hi - lo) * 1.08) / 5;
  lo = std::floor(lo / grid) * grid;
  hi = std::ceil(hi * 1.08 / grid) * grid;
  const int grid_steps = std::max(1, static_cast<int>(std::lround((hi - lo) / grid)));
  auto y = [&](double v) { return Y1 - (Y1 - Y0) * (v - lo) / (hi - lo); };
  std::string o = open_svg("waterfall", id, "sales change by factor",
                           " data-before-cents=\"" + std::to_string(before) + "\" data-after-cents=\"" +
                               std::to_string(after) + "\" data-change-cents=\"" + std::to_string(c.change.minor()) +
                               "\"");
  o += y_grid(lo, hi, grid_steps, money_short);
  const double slot = (X1 - X0) / static_cast<double>(steps.size()), w = slot * 0.6;
  run = 0;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const step& st = steps[i];
    const double from = st.part ? run : 0, to = st.part ? run + static_cast<double>(st.cents) : static_cast<double>(st.cents);
    run = to;
    const double x = X0 + slot * static_cast<double>(i) + (slot - w) / 2;
    const double top = y(std::max(from, to)), h = std::max(1.0, std::abs(y(from) - y(to)));
    const std::string cls = !st.part ? "wf-total" : st.cents >= 0 ? "wf-part up" : "wf-part down";
    o += f("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"", x, top, w, h) + cls + "\"";
    if (st.part) o += std::string(" data-part=\"") + st.part + "\" data-cents=\"" + std::to_string(st.cents) + "\"";
    o += "/>";
    const csmetrics::money m = csmetrics::money::from_minor(st.cents);
    o += f("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"v\">", x + w / 2, top - 4) +
         (st.part ? money_signed(m) : m.to_string()) + "</text>";
    o += f("<text x=\"%.1f\" y=\"202\" text-anchor=\"middle\">", x + w / 2) + st.label + "</text>";
    if (i + 1 < steps.size())  // connector to the next bar
      o += f("<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x + w, y(to), x + slot, y(to));
  }
  return o + "</svg>";
}

/// A 120 x 24 sparkline of one daily value; empty when nothing moves.
inline std::string sparkline(const std::vector<double>& v, const char* title) {
  double top = 0;
  for (double x : v) top = std::max(top, x);
  if (v.size() < 2 || top <= 0) return "";
  std::string pts;
  for (std::size_t i = 0; i < v.size(); ++i)
    add_point(pts, 120.0 * static_cast<double>(i) / static_cast<double>(v.size() - 1), 22 - 20 * v[i] / top);
  return std::string("<svg class=\"spark\" viewBox=\"0 0 120 24\" preserveAspectRatio=\"none\"><title>") + title +
         "</title><polyline points=\"" + pts + "\"/></svg>";
}

}  // namespace html_detail

}  // namespace demo

#endif  // CSMETRICS_EXAMPLES_REPORT_HTML_CHARTS_HPP_
