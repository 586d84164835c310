// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/io/report_prometheus.hpp
//
// A report (io/report.hpp) in the Prometheus text exposition format, version
// 0.0.4: csmetrics_* metric names with units, counters ending in _total,
// labels shop (and agent, part). A sample without data is left out rather
// than written as NaN. Included by report.hpp; may be included alone.
#ifndef CSMETRICS_IO_REPORT_PROMETHEUS_HPP_
#define CSMETRICS_IO_REPORT_PROMETHEUS_HPP_

#include <cmath>        // std::isfinite
#include <cstdint>      // std::uint64_t
#include <cstdio>       // std::snprintf
#include <optional>     // std::optional
#include <string>       // std::string
#include <tuple>        // std::tuple (the unassigned families)
#include <string_view>  // std::string_view
#include <utility>      // std::pair, std::move

#include "csmetrics/io/report.hpp"

namespace csmetrics {

namespace detail {

inline std::string prom_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

/// Collects samples per metric family so each family's HELP/TYPE comes once.
class prom_writer {
 public:
  void family(const char* name, const char* type, const char* help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void sample(const char* name, const std::string& labels, std::optional<double> v, const char* suffix = "") {
    if (!v || !std::isfinite(*v)) return;  // Prometheus has NaN, but an absent sample says "no data" better
    out_ += name;
    out_ += suffix;
    if (!labels.empty()) {
      out_ += '{';
      out_ += labels;
      out_ += '}';
    }
    char b[40];
    std::snprintf(b, sizeof b, " %.10g\n", *v);
    out_ += b;
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace detail

/// The report in the Prometheus text exposition format (version 0.0.4):
/// csmetrics_* metric names with units, counters ending in _total, labels
/// shop (and agent).
inline std::string to_prometheus(const report& r) {
  detail::prom_writer w;
  auto shop_label = [](const std::string& s) { return "shop=\"" + detail::prom_label(s) + "\""; };
  auto d = [](std::uint64_t v) { return std::optional<double>(static_cast<double>(v)); };

  w.family("csmetrics_input_rows_total", "counter", "Event-log rows read.");
  w.sample("csmetrics_input_rows_total", "", d(r.rows));
  w.family("csmetrics_input_skipped_rows_total", "counter", "Event-log rows skipped, by reason.");
  for (const auto& [reason, n] : r.skipped_by_reason)
    w.sample("csmetrics_input_skipped_rows_total", "reason=\"" + detail::prom_label(reason) + "\"", d(n));

  struct counter_def {
    const char* name;
    const char* help;
    std::uint64_t shop_report::*field;
  };
  static const counter_def counters[] = {
      {"csmetrics_visits_total", "Visits to the shop (traffic).", &shop_report::visits},
      {"csmetrics_conversations_total", "Customer-service conversations.", &shop_report::conversations},
      {"csmetrics_buyer_messages_total", "Buyer messages.", &shop_report::buyer_messages},
      {"csmetrics_agent_messages_total", "Agent messages.", &shop_report::agent_messages},
      {"csmetrics_auto_messages_total", "Automatic replies.", &shop_report::auto_messages},
      {"csmetrics_answered_bursts_total", "Buyer bursts answered by an agent.", &shop_report::answered},
      {"csmetrics_unanswered_bursts_total", "Buyer bursts not answered within max-wait.", &shop_report::unanswered},
      {"csmetrics_orders_total", "Orders placed.", &shop_report::orders},
      {"csmetrics_paid_orders_total", "Orders paid.", &shop_report::paid_orders},
  };
  for (const counter_def& c : counters) {
    w.family(c.name, "counter", c.help);
    for (const auto& [name, s] : r.shops) w.sample(c.name, shop_label(name), d(s.*c.field));
  }
  w.family("csmetrics_pending_bursts", "gauge", "Buyer bursts still waiting for an answer, not yet expired.");
  for (const auto& [name, s] : r.shops) w.sample("csmetrics_pending_bursts", shop_label(name), d(s.pending));
  w.family("csmetrics_visitors", "gauge", "Distinct visitors.");
  for (const auto& [name, s] : r.shops) w.sample("csmetrics_visitors", shop_label(name), d(s.visitors));

  struct ratio_def {
    const char* name;
    const char* help;
    count_ratio shop_report::*field;
  };
  static const ratio_def ratios[] = {
      {"csmetrics_reply_rate_ratio", "Answered / (answered + unanswered) buyer bursts.", &shop_report::reply_rate},
      {"csmetrics_answer_question_ratio", "Agent messages / buyer messages.", &shop_report::answer_ratio},
      {"csmetrics_invite_rate_ratio", "Buyers invited to rate / buyers served.", &shop_report::invite_rate},
      {"csmetrics_satisfaction_ratio", "Satisfied (4-5) votes / votes.", &shop_report::satisfaction},
      {"csmetrics_inquiry_conversion_ratio", "Buyers who ordered within the window / buyers who inquired.",
       &shop_report::inquiry_conversion},
      {"csmetrics_payment_conversion_ratio", "Buyers who paid / buyers who ordered.",
       &shop_report::payment_conversion},
      {"csmetrics_aftersales_satisfaction_30d_ratio", "4-5 star reviews / reviews, last 30 days.",
       &shop_report::aftersales},
      {"csmetrics_dispute_refund_rate_30d_ratio", "Dispute refunds / paid transactions, last 30 days.",
       &shop_report::dispute_refund_rate},
  };
  for (const ratio_def& c : ratios) {
    w.family(c.name, "gauge", c.help);
    for (const auto& [name, s] : r.shops) w.sample(c.name, shop_label(name), (s.*c.field).value());
  }
  w.family("csmetrics_revenue_yuan_total", "counter", "Revenue of all orders with an amount (major units).");
  for (const auto& [name, s] : r.shops)
    w.sample("csmetrics_revenue_yuan_total", shop_label(name), static_cast<double>(s.revenue.minor()) / 100.0);
  w.family("csmetrics_paid_revenue_yuan_total", "counter", "Revenue of paid orders, refunds deducted (major units).");
  for (const auto& [name, s] : r.shops)
    w.sample("csmetrics_paid_revenue_yuan_total", shop_label(name), static_cast<double>(s.paid_revenue.minor()) / 100.0);

  auto summary = [&](const char* metric, const duration_summary& x, const std::string& l) {
    w.sample(metric, l + ",quantile=\"0.5\"", x.p50);
    w.sample(metric, l + ",quantile=\"0.9\"", x.p90);
    w.sample(metric, l + ",quantile=\"0.99\"", x.p99);
    if (x.mean) w.sample(metric, l, *x.mean * static_cast<double>(x.count), "_sum");
    else w.sample(metric, l, 0.0, "_sum");
    w.sample(metric, l, d(x.count), "_count");
  };
  const std::pair<const char*, duration_summary shop_report::*> durs[] = {
      {"csmetrics_response_seconds", &shop_report::response_s},
      {"csmetrics_first_response_seconds", &shop_report::first_response_s}};
  for (const auto& [metric, field] : durs) {
    w.family(metric, "summary", "Agent response time (quantiles from the relative-error sketch).");
    for (const auto& [name, s] : r.shops) summary(metric, s.*field, shop_label(name));
  }
  // On service time, when the report was made with a service calendar.
  bool any_service = false;
  for (const auto& kv : r.shops) any_service = any_service || kv.second.response_service_s.has_value();
  const std::pair<const char*, std::optional<duration_summary> shop_report::*> service_durs[] = {
      {"csmetrics_response_service_seconds", &shop_report::response_service_s},
      {"csmetrics_first_response_service_seconds", &shop_report::first_response_service_s}};
  for (const auto& [metric, field] : service_durs) {
    if (!any_service) break;
    w.family(metric, "summary",
             "Agent response time on service time: the clock runs only inside the shop's service hours.");
    for (const auto& [name, s] : r.shops)
      if (const auto& x = s.*field) summary(metric, *x, shop_label(name));
  }
  const std::pair<const char*, dsr_summary shop_report::*> dims[] = {
      {"item", &shop_report::dsr_item}, {"service", &shop_report::dsr_service},
      {"logistics", &shop_report::dsr_logistics}};
  w.family("csmetrics_dsr_180d_score", "gauge", "Mean DSR score (1-5) over the last 180 local days.");
  for (const auto& [name, s] : r.shops)
    for (const auto& [dim, field] : dims)
      w.sample("csmetrics_dsr_180d_score", shop_label(name) + ",dimension=\"" + dim + "\"", (s.*field).mean());

  w.family("csmetrics_agent_response_seconds_mean", "gauge", "An agent's mean response time.");
  for (const auto& [name, s] : r.shops)
    for (const auto& [agent, a] : s.agents)
      w.sample("csmetrics_agent_response_seconds_mean",
               shop_label(name) + ",agent=\"" + detail::prom_label(agent) + "\"", a.response_s.mean);
  if (any_service) {
    w.family("csmetrics_agent_response_service_seconds_mean", "gauge", "An agent's mean response time on service time.");
    for (const auto& [name, s] : r.shops)
      for (const auto& [agent, a] : s.agents)
        if (a.response_service_s)
          w.sample("csmetrics_agent_response_service_seconds_mean",
                   shop_label(name) + ",agent=\"" + detail::prom_label(agent) + "\"", a.response_service_s->mean);
  }
  const std::tuple<const char*, const char*, count_ratio agent_report::*> agent_rates[] = {
      {"csmetrics_agent_answer_question_ratio", "An agent's messages / buyer messages it served.",
       &agent_report::answer_ratio},
      {"csmetrics_agent_inquiry_conversion",
       "Inquiry days credited to the agent that ordered within the attribution window / inquiry days credited.",
       &agent_report::inquiry_conversion},
      {"csmetrics_agent_payment_conversion",
       "Consulted orders credited to the agent when placed that were paid within the window / those orders.",
       &agent_report::payment_conversion},
      {"csmetrics_agent_reply_rate", "Bursts credited to the agent that it answered / those bursts.",
       &agent_report::reply_rate},
      {"csmetrics_agent_invite_rate", "Buyers the agent invited to rate / buyers it served.", &agent_report::invite_rate},
      {"csmetrics_agent_satisfaction", "4-5 star votes on the agent / votes on it.", &agent_report::satisfaction}};
  for (const auto& [family, help, field] : agent_rates) {
    w.family(family, "gauge", help);
    for (const auto& [name, s] : r.shops)
      for (const auto& [agent, a] : s.agents)
        w.sample(family, shop_label(name) + ",agent=\"" + detail::prom_label(agent) + "\"", (a.*field).value());
  }
  w.family("csmetrics_agent_aov_yuan", "gauge",
           "Revenue credited to the agent / paid orders credited to it (basket value, major units).");
  for (const auto& [name, s] : r.shops)
    for (const auto& [agent, a] : s.agents)
      w.sample("csmetrics_agent_aov_yuan", shop_label(name) + ",agent=\"" + detail::prom_label(agent) + "\"",
               a.aov_per_order ? std::optional<double>(static_cast<double>(a.aov_per_order->minor()) / 100.0)
                               : std::nullopt);
  // The unassigned row: its own families, so no agent label can collide with it.
  const std::tuple<const char*, const char*, std::uint64_t agent_report::*> unassigned[] = {
      {"csmetrics_unassigned_buyer_messages",
       "Buyer messages of bursts no agent was credited with (expired unrouted, or pending: a gauge).",
       &agent_report::buyer_messages},
      {"csmetrics_unassigned_unanswered_bursts", "Bursts that expired unanswered with no agent routed.",
       &agent_report::unanswered},
      {"csmetrics_unassigned_inquiries",
       "Inquiry days no agent earned (no reply in time, no routed agent) or still waiting for a reply.",
       &agent_report::inquired}};
  bool any_unassigned = false;
  for (const auto& kv : r.shops) any_unassigned = any_unassigned || kv.second.unassigned.has_value();
  for (const auto& [family, help, field] : unassigned) {
    if (!any_unassigned) break;
    w.family(family, "gauge", help);
    for (const auto& [name, s] : r.shops)
      if (s.unassigned) w.sample(family, shop_label(name), static_cast<double>((*s.unassigned).*field));
  }
  // The sales change between the last two periods, when the caller filled it.
  bool any_change = false;
  for (const auto& kv : r.shops) any_change = any_change || kv.second.sales_change.has_value();
  if (any_change) {
    auto yuan = [](std::optional<money> m) {
      return m ? std::optional<double>(static_cast<double>(m->minor()) / 100.0) : std::nullopt;
    };
    // Calls sample(change, labels) for each shop with a change; the labels end
    // with the period's.
    auto each_change = [&](auto sample) {
      for (const auto& [name, s] : r.shops)
        if (const auto& c = s.sales_change) sample(*c, shop_label(name) + ",period=\"" + c->period + "\"");
    };
    w.family("csmetrics_period_sales_yuan", "gauge",
             "Sales (placed orders with an amount) of the last period and of the one before (major units).");
    each_change([&](const auto& c, const std::string& l) {
      w.sample("csmetrics_period_sales_yuan", l + ",which=\"before\"", yuan(c.before));
      w.sample("csmetrics_period_sales_yuan", l + ",which=\"after\"", yuan(c.after));
    });
    w.family("csmetrics_sales_change_yuan", "gauge",
             "Change of sales between the two periods by factor (exact Shapley split, cents add up to the change).");
    each_change([&](const auto& c, const std::string& period) {
      const std::string l = period + ",part=\"";
      w.sample("csmetrics_sales_change_yuan", l + "traffic\"", yuan(c.traffic_part));
      w.sample("csmetrics_sales_change_yuan", l + "conversion\"", yuan(c.conversion_part));
      w.sample("csmetrics_sales_change_yuan", l + "aov\"", yuan(c.aov_part));
      if (!c.explained) w.sample("csmetrics_sales_change_yuan", l + "unexplained\"", yuan(c.unexplained));
    });
  }
  return w.take();
}

}  // namespace csmetrics

#endif  // CSMETRICS_IO_REPORT_PROMETHEUS_HPP_
