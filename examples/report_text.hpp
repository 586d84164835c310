// SPDX-License-Identifier: Apache-2.0
// File: examples/report_text.hpp
//
// shop_report's text output: an aligned table a shop manager can read, with
// units, and the source's bars marked pass/fail (response within 45 s on
// average, answer/question ratio >= 130 %, invitations >= 90 % of buyers
// served, satisfaction >= 80 %).
#ifndef CSMETRICS_EXAMPLES_REPORT_TEXT_HPP_
#define CSMETRICS_EXAMPLES_REPORT_TEXT_HPP_

#include <cstdio>    // std::snprintf
#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

#include "csmetrics/io/report.hpp"

namespace demo {

namespace text_detail {

inline std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}
inline std::string pct(std::optional<double> v) { return v ? fmt("%.2f %%", *v * 100) : "n/a"; }
inline std::string secs(std::optional<double> v) { return v ? fmt("%.1f s", *v) : "n/a"; }
inline std::string num(std::uint64_t v) {
  std::string s = std::to_string(v), out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i && (s.size() - i) % 3 == 0) out += ' ';
    out += s[i];
  }
  return out;
}
inline std::string score(std::optional<double> v) { return v ? fmt("%.2f", *v) : "n/a"; }
inline void line(std::string& out, const std::string& label, const std::string& value, const std::string& bar = "",
                 std::optional<bool> pass = std::nullopt) {
  char b[256];
  std::snprintf(b, sizeof b, "  %-40s %16s", label.c_str(), value.c_str());
  out += b;
  if (!bar.empty()) {
    std::snprintf(b, sizeof b, "   %-10s %s", bar.c_str(), !pass ? "n/a" : *pass ? "pass" : "FAIL");
    out += b;
  }
  out += '\n';
}

/// "+12.50", "-3.00", "n/a".
inline std::string signed_money(std::optional<csmetrics::money> m) {
  if (!m) return "n/a";
  return (*m < csmetrics::money{} ? "" : "+") + m->to_string();
}
inline std::string days_of(csmetrics::day_number first, csmetrics::day_number last) {
  return csmetrics::format_day(first) + ".." + csmetrics::format_day(last);
}

/// A scorecard KPI's cell: its value, and "!" when it fails its rule.
inline std::string kpi_cell(const csmetrics::scorecard_row& row, csmetrics::kpi k) {
  const csmetrics::kpi_value& v = row.kpis[static_cast<std::size_t>(k)];
  std::string s;
  if (k == csmetrics::kpi::aov_per_order)
    s = row.aov ? row.aov->to_string() : "n/a";
  else if (k == csmetrics::kpi::response_s_mean)
    s = secs(v.value);
  else
    s = pct(v.value);
  return s + (v.pass && !*v.pass ? " !" : "  ");
}

/// The agents' scorecards of a shop, ranked; "!" marks a KPI that fails its rule.
inline void scorecard_lines(std::string& out, const std::vector<csmetrics::scorecard>& cards,
                            const csmetrics::kpi_rules& rules) {
  std::string judged;
  for (std::size_t i = 0; i < csmetrics::kpi_count; ++i)
    if (const auto& r = rules[i])
      judged += std::string(judged.empty() ? "" : ", ") + std::string(to_string(static_cast<csmetrics::kpi>(i))) +
                (r->at_least ? ">=" : "<=") + fmt("%g", r->threshold);
  for (const auto& card : cards) {
    out += "scorecard " + card.period + " (" + days_of(card.first, card.last) + "; rules: " + judged + ")\n";
    char b[320];
    std::snprintf(b, sizeof b, "  %-14s %7s %12s %12s %12s %12s %12s %12s %12s %12s\n", "agent", "score", "inq conv",
                  "pay conv", "AOV", "ans/q", "resp mean", "invites", "satisf.", "reply");
    out += b;
    for (const auto& row : card.agents) {
      using csmetrics::kpi;
      std::snprintf(b, sizeof b, "  %-14s %7s %12s %12s %12s %12s %12s %12s %12s %12s\n", row.agent.c_str(),
                    row.score ? fmt("%.1f", *row.score).c_str() : "-", kpi_cell(row, kpi::inquiry_conversion).c_str(),
                    kpi_cell(row, kpi::payment_conversion).c_str(), kpi_cell(row, kpi::aov_per_order).c_str(),
                    kpi_cell(row, kpi::answer_ratio).c_str(), kpi_cell(row, kpi::response_s_mean).c_str(),
                    kpi_cell(row, kpi::invite_rate).c_str(), kpi_cell(row, kpi::satisfaction).c_str(),
                    kpi_cell(row, kpi::reply_rate).c_str());
      out += b;
    }
  }
}

/// The sales change block: last period against the one before, by factor.
inline void sales_change_lines(std::string& out, const csmetrics::sales_change_report& c) {
  out += "sales change, last " + c.period + " against the one before\n";
  line(out, "sales " + days_of(c.before_first, c.before_last), c.before.to_string());
  line(out, "sales " + days_of(c.after_first, c.after_last), c.after.to_string());
  line(out, "change", signed_money(c.change));
  if (c.explained) {
    line(out, "  traffic (visitors " + num(c.traffic_before) + " -> " + num(c.traffic_after) + ")",
         signed_money(c.traffic_part));
    line(out, "  conversion (" + pct(c.conversion_before) + " -> " + pct(c.conversion_after) + ")",
         signed_money(c.conversion_part));
    line(out, "  basket value (AOV " + (c.aov_before ? c.aov_before->to_string() : std::string("n/a")) + " -> " +
                  (c.aov_after ? c.aov_after->to_string() : std::string("n/a")) + ")",
         signed_money(c.aov_part));
  } else {
    line(out, "  unexplained (buyers without visitors)", signed_money(c.unexplained));
  }
  if (c.target) line(out, "target attainment (target " + c.target->to_string() + ")", pct(c.attainment));
}

}  // namespace text_detail

inline std::string to_text(const csmetrics::report& r, const std::string& by = "shop") {
  using namespace text_detail;
  std::string out;
  out += "csmetrics shop report\n";
  out += "input: " + num(r.rows) + " rows, " + num(r.accepted) + " accepted, " + num(r.skipped) + " skipped";
  for (const auto& [reason, n] : r.skipped_by_reason) out += " (" + reason + ": " + num(n) + ")";
  out += "\n";
  for (const auto& [name, s] : r.shops) {
    out += "\n== shop " + name + ", as of " + csmetrics::format_day(s.as_of) + "\n";
    out += "traffic and sales\n";
    line(out, "visits / distinct visitors", num(s.visits) + " / " + num(s.visitors));
    line(out, "orders (paid)", num(s.orders) + " (" + num(s.paid_orders) + ")");
    line(out, "revenue / paid revenue", s.revenue.to_string() + " / " + s.paid_revenue.to_string());
    line(out, "average order value (per order)", s.aov_per_order ? s.aov_per_order->to_string() : "n/a");
    if (s.orders_without_amount) line(out, "orders without an amount", num(s.orders_without_amount));
    out += "conversion\n";
    line(out, "buyers who inquired", num(s.inquiry_conversion.denominator));
    line(out, "ordered the same day", num(s.inquiry_conversion_same_day.numerator) + "  " +
                                          pct(s.inquiry_conversion_same_day.value()));
    line(out, std::string("inquiry conversion (final") + (s.conversion_provisional ? ", provisional)" : ")"),
         num(s.inquiry_conversion.numerator) + "  " + pct(s.inquiry_conversion.value()));
    line(out, "payment conversion (paid / ordered)", num(s.payment_conversion.numerator) + " / " +
                                                          num(s.payment_conversion.denominator) + "  " +
                                                          pct(s.payment_conversion.value()));
    line(out, "customer-service sales share", pct(s.cs_sales_share));
    line(out, "inquiries lost", num(s.lost));
    for (const auto& [reason, n] : s.lost_by_reason) line(out, "  lost: " + reason, num(n));
    out += "customer service\n";
    line(out, "conversations", num(s.conversations));
    line(out, "messages buyer / agent / auto",
         num(s.buyer_messages) + " / " + num(s.agent_messages) + " / " + num(s.auto_messages));
    line(out, "bursts answered / unanswered / pending",
         num(s.answered) + " / " + num(s.unanswered) + " / " + num(s.pending));
    line(out, "reply rate", pct(s.reply_rate.value()));
    auto rmean = s.response_s.mean;
    line(out, "response time, mean", secs(rmean), "<= 45 s", rmean ? std::optional<bool>(*rmean <= 45) : std::nullopt);
    line(out, "response time p50 / p90 / p99",
         secs(s.response_s.p50) + " / " + secs(s.response_s.p90) + " / " + secs(s.response_s.p99));
    line(out, "answered within 45 s", pct(s.response_s.within_threshold));
    line(out, "first response, mean (p90)", secs(s.first_response_s.mean) + " (" + secs(s.first_response_s.p90) + ")");
    line(out, "first response with auto replies, mean", secs(s.first_response_with_auto_s.mean));
    if (s.km_median_response_s) line(out, "median wait, waiting bursts censored", secs(s.km_median_response_s));
    if (const auto& v = s.response_service_s) {  // with a service calendar
      line(out, "service-time response, mean", secs(v->mean), "<= 45 s",
           v->mean ? std::optional<bool>(*v->mean <= 45) : std::nullopt);
      line(out, "service-time response p50 / p90 / p99", secs(v->p50) + " / " + secs(v->p90) + " / " + secs(v->p99));
      line(out, "service-time answered within 45 s", pct(v->within_threshold));
      if (const auto& f = s.first_response_service_s)
        line(out, "service-time first response, mean (p90)", secs(f->mean) + " (" + secs(f->p90) + ")");
      if (s.km_median_response_service_s)
        line(out, "service-time median wait, censored", secs(s.km_median_response_service_s));
    }
    auto ar = s.answer_ratio.value();
    line(out, "answer/question ratio", pct(ar), ">= 130 %", ar ? std::optional<bool>(*ar >= 1.3) : std::nullopt);
    auto ir = s.invite_rate.value();
    line(out, "rating invitations / buyers served", pct(ir), ">= 90 %",
         ir ? std::optional<bool>(*ir >= 0.9) : std::nullopt);
    auto sat = s.satisfaction.value();
    line(out, "satisfaction (4-5 votes / votes)", pct(sat), ">= 80 %",
         sat ? std::optional<bool>(*sat >= 0.8) : std::nullopt);
    out += "ratings\n";
    line(out, "DSR item as described (180 d)", score(s.dsr_item.mean()) + " (" + num(s.dsr_item.count) + ")");
    line(out, "DSR service attitude (180 d)", score(s.dsr_service.mean()) + " (" + num(s.dsr_service.count) + ")");
    line(out, "DSR logistics (180 d)", score(s.dsr_logistics.mean()) + " (" + num(s.dsr_logistics.count) + ")");
    line(out, "after-sales satisfaction (30 d)", pct(s.aftersales.value()) + " (" + num(s.aftersales.denominator) + ")");
    line(out, "dispute refund rate (30 d)", pct(s.dispute_refund_rate.value()));
    if (s.sales_change) sales_change_lines(out, *s.sales_change);
    if (by == "agent" && !s.agents.empty()) {
      char b[256];
      out += "agents\n";
      std::snprintf(b, sizeof b, "  %-14s %8s %10s %10s %9s %9s %9s %9s %9s %9s %8s %12s %9s\n", "agent", "buyers",
                    "resp mean", "resp p90", "reply", "ans/q", "invites", "satisf.", "inq conv", "pay conv", "orders",
                    "revenue", "AOV");
      out += b;
      for (const auto& [agent, a] : s.agents) {
        std::snprintf(b, sizeof b, "  %-14s %8s %10s %10s %9s %9s %9s %9s %9s %9s %8s %12s %9s\n", agent.c_str(),
                      num(a.buyers_served).c_str(), secs(a.response_s.mean).c_str(), secs(a.response_s.p90).c_str(),
                      pct(a.reply_rate.value()).c_str(), pct(a.answer_ratio.value()).c_str(), pct(a.invite_rate.value()).c_str(),
                      pct(a.satisfaction.value()).c_str(), pct(a.inquiry_conversion.value()).c_str(),
                      pct(a.payment_conversion.value()).c_str(), num(a.orders_credited).c_str(),
                      a.revenue_credited.to_string().c_str(),
                      a.aov_per_order ? a.aov_per_order->to_string().c_str() : "-");
        out += b;
      }
      if (const auto& u = s.unassigned) {  // what no agent was credited with: the rows add up to the shop
        std::snprintf(b, sizeof b,
                      "  %-14s %s buyer msgs, %s unanswered bursts, %s inquiries (%s ordered), %s orders, %s revenue\n",
                      "(unassigned)", num(u->buyer_messages).c_str(), num(u->unanswered).c_str(),
                      num(u->inquired).c_str(), num(u->ordered_final).c_str(), num(u->orders_credited).c_str(),
                      u->revenue_credited.to_string().c_str());
        out += b;
      }
    }
    if (by == "agent" && !s.scorecards.empty()) scorecard_lines(out, s.scorecards, r.scorecard_rules);
    if (by == "day" && !s.days.empty()) {
      char b[256];
      out += "days\n";
      std::snprintf(b, sizeof b, "  %-10s %8s %8s %9s %9s %10s %9s %7s %12s %9s %9s", "day", "visits", "convers.",
                    "buyer msg", "agent msg", "resp mean", "in 45 s", "orders", "revenue", "inq conv", "pay conv");
      out += b;
      // --period: the same-day conversion of each day's inquiries too.
      const bool same_day = s.days.begin()->second.inquiry_conversion_same_day.has_value();
      out += same_day ? "  same day\n" : "\n";
      for (const auto& [day, d] : s.days) {
        std::snprintf(b, sizeof b, "  %-10s %8s %8s %9s %9s %10s %9s %7s %12s %9s %9s\n",
                      csmetrics::format_day(day).c_str(), num(d.visits).c_str(), num(d.conversations).c_str(),
                      num(d.buyer_messages).c_str(), num(d.agent_messages).c_str(), secs(d.response_s.mean).c_str(),
                      pct(d.response_s.within_threshold).c_str(), num(d.orders).c_str(), d.revenue.to_string().c_str(),
                      pct(d.inquiry_conversion.value()).c_str(), pct(d.payment_conversion.value()).c_str());
        out += b;
        if (same_day) {
          out.pop_back();  // the newline
          std::snprintf(b, sizeof b, " %9s\n",
                        pct(d.inquiry_conversion_same_day ? d.inquiry_conversion_same_day->value() : std::nullopt).c_str());
          out += b;
        }
      }
    }
  }
  return out;
}

}  // namespace demo

#endif  // CSMETRICS_EXAMPLES_REPORT_TEXT_HPP_
