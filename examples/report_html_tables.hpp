// SPDX-License-Identifier: Apache-2.0
// File: examples/report_html_tables.hpp
//
// The tables of shop_report's HTML page (report_html.hpp): the totals, the
// overview with one row per shop, and the agents tables. Every cell carries
// its raw value in data-v so the page's small script sorts any column
// (values that are not defined sort last); the bars of ../shared/METRICS.md
// (mean response <= 45 s, answer/question >= 130 %, invitations >= 90 %,
// satisfaction >= 80 %) flag a failing cell with class "bad".
#ifndef CSMETRICS_EXAMPLES_REPORT_HTML_TABLES_HPP_
#define CSMETRICS_EXAMPLES_REPORT_HTML_TABLES_HPP_

#include <cstdint>   // std::uint64_t
#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

#include "csmetrics/io/report.hpp"
#include "report_html_charts.hpp"
#include "report_text.hpp"

namespace demo {

namespace html_detail {

/// Which way a bar points: a value fails when it is below (min) or above (max).
struct bar_rule {
  double limit;
  bool is_max;
  bool fails(std::optional<double> v) const { return v && (is_max ? *v > limit : *v < limit); }
};
constexpr bar_rule mean_response_bar{45, true};
constexpr bar_rule answer_ratio_bar{1.3, false};
constexpr bar_rule invite_bar{0.9, false};
constexpr bar_rule satisfaction_bar{0.8, false};

/// A cell: shown text, sort value (empty: undefined), flagged or not.
inline std::string td(const std::string& text, std::optional<double> v, bool bad = false) {
  std::string o = "<td";
  if (bad) o += " class=\"bad\"";
  o += " data-v=\"";
  if (v) o += f("%.10g", *v);
  return o + "\">" + text + "</td>";
}
inline std::string td_count(std::uint64_t n) { return td(text_detail::num(n), static_cast<double>(n)); }
inline std::string td_pct(std::optional<double> v, const bar_rule* rule = nullptr) {
  return td(text_detail::pct(v), v, rule && rule->fails(v));
}
inline std::string td_secs(std::optional<double> v, const bar_rule* rule = nullptr) {
  return td(v ? dur_label(*v) : "n/a", v, rule && rule->fails(v));
}
inline std::string td_money(csmetrics::money m) {
  return td(m.to_string(), static_cast<double>(m.minor()) / 100);
}
inline std::string td_opt_money(std::optional<csmetrics::money> m) { return m ? td_money(*m) : td("n/a", std::nullopt); }
inline std::string th_row(const std::vector<const char*>& names) {
  std::string o = "<thead><tr>";
  for (const char* n : names) o += std::string("<th>") + n + "</th>";
  return o + "</tr></thead>";
}

/// The report's totals over every shop, as cards.
inline std::string totals(const csmetrics::report& r) {
  std::uint64_t conv = 0, buyer = 0, orders = 0, paid = 0, inq = 0, ordered = 0, ordering = 0, paying = 0;
  std::uint64_t answered = 0, within = 0;
  double resp_sum = 0;
  csmetrics::money sales, paid_revenue;
  for (const auto& [name, s] : r.shops) {
    conv += s.conversations;
    buyer += s.buyer_messages;
    orders += s.orders;
    paid += s.paid_orders;
    sales += s.revenue;
    paid_revenue += s.paid_revenue;
    inq += s.inquiry_conversion.denominator;
    ordered += s.inquiry_conversion.numerator;
    ordering += s.payment_conversion.denominator;
    paying += s.payment_conversion.numerator;
    if (s.response_s.mean) {
      answered += s.response_s.count;
      within += s.response_s.within_count;
      resp_sum += *s.response_s.mean * static_cast<double>(s.response_s.count);
    }
  }
  const std::optional<double> mean =
      answered ? std::optional<double>(resp_sum / static_cast<double>(answered)) : std::nullopt;
  auto card = [](const std::string& label, const std::string& value, bool bad = false) {
    return std::string("<div class=\"card") + (bad ? " bad" : "") + "\"><b>" + value + "</b><span>" + label +
           "</span></div>";
  };
  std::string o = "<div class=\"cards\" id=\"totals\">";
  o += card("shops", text_detail::num(r.shops.size()));
  o += card("rows read (" + text_detail::num(r.skipped) + " skipped)", text_detail::num(r.rows));
  o += card("conversations", text_detail::num(conv));
  o += card("buyer messages", text_detail::num(buyer));
  o += card("mean response", mean ? dur_label(*mean) : "n/a", mean_response_bar.fails(mean));
  o += card("answered within 45 s", text_detail::pct(csmetrics::count_ratio{within, answered}.value()));
  o += card("inquiry conversion", text_detail::pct(csmetrics::count_ratio{ordered, inq}.value()));
  o += card("payment conversion", text_detail::pct(csmetrics::count_ratio{paying, ordering}.value()));
  o += card("orders (" + text_detail::num(paid) + " paid)", text_detail::num(orders));
  o += card("sales (paid " + paid_revenue.to_string() + ")", sales.to_string());
  return o + "</div>\n";
}

/// The daily value an overview sparkline draws: sales when the shop sells,
/// else conversations.
inline std::string shop_sparkline(const csmetrics::shop_report& s, int window) {
  const auto days = trend_days(s, window);
  bool sales = false;
  for (const auto& [d, x] : days) sales = sales || x->revenue.minor() != 0;
  std::vector<double> v;
  for (const auto& [d, x] : days)
    v.push_back(sales ? static_cast<double>(x->revenue.minor()) : static_cast<double>(x->conversations));
  return sparkline(v, sales ? "daily sales" : "daily conversations");
}

/// One row per shop, sortable, linking to the shop's section.
inline std::string overview(const csmetrics::report& r, int window) {
  std::string o = "<table class=\"sortable\" id=\"overview\">";
  o += th_row({"shop", "inquiry conv.", "payment conv.", "sales", "mean resp.", "p90 resp.", "within 45 s",
               "answer/question", "DSR item", "daily"});
  o += "<tbody>";
  std::size_t k = 0;
  for (const auto& [name, s] : r.shops) {
    o += "<tr class=\"shop-row\">";
    o += "<td data-v=\"" + esc(name) + "\"><a href=\"#shop-" + std::to_string(k++) + "\">" + esc(name) + "</a></td>";
    o += td_pct(s.inquiry_conversion.value()) + td_pct(s.payment_conversion.value()) + td_money(s.revenue);
    o += td_secs(s.response_s.mean, &mean_response_bar) + td_secs(s.response_s.p90);
    o += td_pct(s.response_s.within_threshold) + td_pct(s.answer_ratio.value(), &answer_ratio_bar);
    const auto dsr = s.dsr_item.mean();
    o += td(text_detail::score(dsr), dsr);
    o += "<td class=\"sp\">" + shop_sparkline(s, window) + "</td></tr>\n";
  }
  return o + "</tbody></table>\n";
}

/// An agents table: of one shop, or (with_shop) of every shop.
inline std::string agents_table(const csmetrics::report& r, const std::string* only_shop, const std::string& id) {
  std::vector<const char*> cols{"agent", "conversations", "buyers", "mean resp.", "p90 resp.", "within 45 s",
                                "reply rate", "answer/question", "invites", "satisfaction", "inquiry conv.", "payment conv.",
                                "orders", "revenue", "basket value"};
  if (!only_shop) cols.insert(cols.begin(), "shop");
  std::string o = "<table class=\"sortable agents\" id=\"" + id + "\">" + th_row(cols) + "<tbody>";
  std::size_t rows = 0;
  for (const auto& [name, s] : r.shops) {
    if (only_shop && name != *only_shop) continue;
    for (const auto& [agent, a] : s.agents) {
      ++rows;
      o += "<tr>";
      if (!only_shop) o += "<td class=\"name\" data-v=\"" + esc(name) + "\">" + esc(name) + "</td>";
      o += "<td class=\"name\" data-v=\"" + esc(agent) + "\">" + esc(agent) + "</td>";
      o += td_count(a.conversations) + td_count(a.buyers_served);
      o += td_secs(a.response_s.mean, &mean_response_bar) + td_secs(a.response_s.p90);
      o += td_pct(a.response_s.within_threshold) + td_pct(a.reply_rate.value());
      o += td_pct(a.answer_ratio.value(), &answer_ratio_bar);
      o += td_pct(a.invite_rate.value(), &invite_bar) + td_pct(a.satisfaction.value(), &satisfaction_bar);
      o += td_pct(a.inquiry_conversion.value()) + td_pct(a.payment_conversion.value());
      o += td_count(a.orders_credited) + td_money(a.revenue_credited) + td_opt_money(a.aov_per_order) + "</tr>\n";
    }
    if (const auto& u = s.unassigned) {  // marked apart, so that the rows add up to the shop
      o += "<tr class=\"unassigned\">";
      if (!only_shop) o += "<td class=\"name\" data-v=\"" + esc(name) + "\">" + esc(name) + "</td>";
      o += "<td class=\"name\" data-v=\"~\"><em>unassigned</em></td><td></td><td></td><td></td><td></td><td></td>";
      o += td_pct(u->reply_rate.value()) + td_pct(u->answer_ratio.value()) + "<td></td><td></td>";
      o += td_pct(u->inquiry_conversion.value()) + td_pct(u->payment_conversion.value());
      o += td_count(u->orders_credited) + td_money(u->revenue_credited) + td_opt_money(u->aov_per_order) + "</tr>\n";
    }
  }
  if (rows == 0) return empty_state("No agents in this log.");
  return o + "</tbody></table>\n";
}

/// A shop's scorecards (one table per period), agents ranked by composite
/// score; a KPI failing its rule is flagged, as in the text report.
inline std::string scorecard_tables(const std::vector<csmetrics::scorecard>& cards, const std::string& id) {
  using csmetrics::kpi;
  std::string o;
  std::size_t n = 0;
  for (const auto& card : cards) {
    o += "<h4>Scorecard " + esc(card.period) + "</h4><table class=\"sortable scorecard\" id=\"" + id + "-" +
         std::to_string(n++) + "\">" +
         th_row({"agent", "score", "inquiry conv.", "payment conv.", "basket value", "answer/question", "mean resp.",
                 "invites", "satisfaction", "reply rate"}) +
         "<tbody>";
    for (const auto& row : card.agents) {
      auto cell = [&](kpi k) {
        const csmetrics::kpi_value& v = row.kpis[static_cast<std::size_t>(k)];
        const bool bad = v.pass && !*v.pass;
        if (k == kpi::aov_per_order) return td(row.aov ? row.aov->to_string() : "n/a", v.value, bad);
        if (k == kpi::response_s_mean) return td(v.value ? dur_label(*v.value) : "n/a", v.value, bad);
        return td(text_detail::pct(v.value), v.value, bad);
      };
      o += "<tr><td class=\"name\" data-v=\"" + esc(row.agent) + "\">" + esc(row.agent) + "</td>";
      o += td(row.score ? f("%.1f", *row.score) : "-", row.score);
      for (kpi k : {kpi::inquiry_conversion, kpi::payment_conversion, kpi::aov_per_order, kpi::answer_ratio,
                    kpi::response_s_mean, kpi::invite_rate, kpi::satisfaction, kpi::reply_rate})
        o += cell(k);
      o += "</tr>\n";
    }
    o += "</tbody></table>\n";
  }
  return o;
}

/// The factors behind the waterfall: both periods side by side.
inline std::string change_table(const csmetrics::sales_change_report& c) {
  using text_detail::num;
  using text_detail::pct;
  auto opt_money = [](const std::optional<csmetrics::money>& m) { return m ? m->to_string() : std::string("n/a"); };
  auto days = [](csmetrics::day_number a, csmetrics::day_number b) {
    return csmetrics::format_day(a).substr(5) + " &ndash; " + csmetrics::format_day(b).substr(5);
  };
  std::string o = "<table class=\"factors\"><thead><tr><th></th><th>" + days(c.before_first, c.before_last) +
                  "</th><th>" + days(c.after_first, c.after_last) + "</th><th>effect</th></tr></thead>";
  o += "<tr><td>traffic (visitors)</td><td>" + num(c.traffic_before) + "</td><td>" + num(c.traffic_after) +
       "</td><td>" + (c.traffic_part ? money_signed(*c.traffic_part) : "n/a") + "</td></tr>";
  o += "<tr><td>conversion (buyers / visitors)</td><td>" + pct(c.conversion_before) + "</td><td>" +
       pct(c.conversion_after) + "</td><td>" + (c.conversion_part ? money_signed(*c.conversion_part) : "n/a") +
       "</td></tr>";
  o += "<tr><td>basket value (sales / buyer)</td><td>" + opt_money(c.aov_before) + "</td><td>" +
       opt_money(c.aov_after) + "</td><td>" + (c.aov_part ? money_signed(*c.aov_part) : "n/a") + "</td></tr>";
  if (!c.explained)
    o += "<tr><td>unexplained (buyers without visitors)</td><td></td><td></td><td>" + money_signed(c.unexplained) +
         "</td></tr>";
  o += "<tr class=\"sum\"><td>sales</td><td>" + c.before.to_string() + "</td><td>" + c.after.to_string() +
       "</td><td>" + money_signed(c.change) + "</td></tr>";
  if (c.target)
    o += "<tr><td>target attainment</td><td></td><td>" + pct(c.attainment) + " of " + c.target->to_string() +
         "</td><td></td></tr>";
  return o + "</table>\n";
}

}  // namespace html_detail

}  // namespace demo

#endif  // CSMETRICS_EXAMPLES_REPORT_HTML_TABLES_HPP_
