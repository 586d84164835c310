// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/io/report.hpp
//
// A report is plain data: the figures of each shop (and each agent) as of a
// local day, copied out of the accumulators by shop_metrics. This header
// renders it as JSON (fixed field names, rates in [0, 1], money as a
// 2-decimal string, durations in seconds, undefined values null) and as the
// Prometheus text exposition format. Text and HTML renderings live with the
// shop_report example. Keeping the model apart from the accumulators lets
// every output show exactly the same numbers.
#ifndef CSMETRICS_IO_REPORT_HPP_
#define CSMETRICS_IO_REPORT_HPP_

#include <cmath>        // std::isfinite
#include <cstdint>      // std::uint64_t
#include <cstdio>       // std::snprintf
#include <map>          // std::map (sorted, deterministic output)
#include <optional>     // std::optional
#include <ostream>      // std::ostream (write_json)
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "csmetrics/core/money.hpp"
#include "csmetrics/core/time.hpp"

namespace csmetrics {

/// Count, mean and quantiles of a set of durations, in seconds.
struct duration_summary {
  std::uint64_t count = 0;
  std::optional<double> mean, p50, p90, p99;
  /// Share answered within `threshold_s` (exact count / count).
  std::optional<double> within_threshold;
  double threshold_s = 45;
  std::uint64_t within_count = 0;
};

/// A rate as its two counts; value() is empty when the denominator is 0.
struct count_ratio {
  std::uint64_t numerator = 0, denominator = 0;
  std::optional<double> value() const {
    if (denominator == 0) return std::nullopt;
    return static_cast<double>(numerator) / static_cast<double>(denominator);
  }
};

struct dsr_summary {
  std::uint64_t count = 0, sum = 0, low = 0;  // low: 1-2 star scores
  std::optional<double> mean() const {
    if (count == 0) return std::nullopt;
    return static_cast<double>(sum) / static_cast<double>(count);
  }
};

/// One agent's figures.
struct agent_report {
  // conversations: those the agent wrote in (one that two agents served counts for each).
  std::uint64_t conversations = 0, buyers_served = 0, buyer_messages = 0, agent_messages = 0;
  duration_summary response_s, first_response_s;
  count_ratio reply_rate;      // answered / (answered + unanswered)
  count_ratio answer_ratio;    // agent messages / buyer messages credited to the agent (its bursts)
  count_ratio invite_rate;     // buyers invited / buyers served
  count_ratio satisfaction;    // votes 4-5 / votes
  std::uint64_t orders_credited = 0, assists = 0;
  money revenue_credited;
  std::map<std::string, std::uint64_t> lost_by_reason;
};

/// One local day of a shop (--by day).
struct day_report {
  std::uint64_t visits = 0, conversations = 0, buyer_messages = 0, agent_messages = 0, orders = 0;
  duration_summary response_s;     // the bursts whose clock started that day
  count_ratio inquiry_conversion;  // cohort of the day's inquiries (final)
  count_ratio payment_conversion;  // cohort of the day's orders
  money revenue;                   // placed orders with an amount
};

/// One shop's figures as of a local day.
struct shop_report {
  day_number as_of = 0;
  // traffic
  std::uint64_t visits = 0, visitors = 0;
  // sessions
  std::uint64_t conversations = 0, buyer_messages = 0, agent_messages = 0, auto_messages = 0;
  std::uint64_t answered = 0, unanswered = 0, pending = 0;
  count_ratio reply_rate, answer_ratio, invite_rate, satisfaction;
  duration_summary response_s, first_response_s, first_response_with_auto_s;
  std::optional<double> km_median_response_s;  // Kaplan-Meier: waiting and expired bursts censored
  std::vector<std::pair<double, double>> response_quantiles;  // (q, seconds) for q = 0.01 .. 0.99: the distribution
  // orders
  std::uint64_t orders = 0, buyers = 0, paid_orders = 0, orders_without_amount = 0;
  money revenue, paid_revenue;
  std::optional<money> aov_per_order;
  count_ratio inquiry_conversion;           // final: ordered within the window / inquired
  count_ratio inquiry_conversion_same_day;  // ordered the inquiry's local day / inquired
  count_ratio payment_conversion;           // paid / ordered (buyers)
  bool conversion_provisional = false;      // some cohort's window has not passed yet
  std::optional<double> cs_sales_share;
  std::uint64_t lost = 0;
  std::map<std::string, std::uint64_t> lost_by_reason;
  // ratings
  dsr_summary dsr_item, dsr_service, dsr_logistics;
  count_ratio aftersales;                // 4-5 star reviews / reviews, last 30 days
  count_ratio dispute_refund_rate;       // disputes / paid transactions, last 30 days
  std::vector<std::pair<day_number, std::optional<double>>> dsr_curve;  // trailing 180-day item DSR
  std::map<std::string, agent_report> agents;
  std::map<day_number, day_report> days;  // filled when asked (--by day)
};

/// The whole report: the input summary and every shop.
struct report {
  std::uint64_t rows = 0, accepted = 0, skipped = 0;
  std::map<std::string, std::uint64_t> skipped_by_reason;
  std::map<std::string, shop_report> shops;
};

namespace detail {

inline void json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", u);
          out += b;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

/// Shortest round-trip-ish decimal (17 significant digits trimmed), or null.
inline std::string json_number(std::optional<double> v) {
  if (!v || !std::isfinite(*v)) return "null";
  char b[40];
  std::snprintf(b, sizeof b, "%.10g", *v);
  return b;
}

class json_object {
 public:
  explicit json_object(std::string& out) : out_(out) { out_ += '{'; }
  json_object& key(std::string_view k) {
    if (!first_) out_ += ',';
    first_ = false;
    json_string(out_, k);
    out_ += ':';
    return *this;
  }
  json_object& num(std::string_view k, std::uint64_t v) {
    key(k);
    out_ += std::to_string(v);
    return *this;
  }
  json_object& num(std::string_view k, std::optional<double> v) {
    key(k);
    out_ += json_number(v);
    return *this;
  }
  json_object& str(std::string_view k, std::string_view v) {
    key(k);
    json_string(out_, v);
    return *this;
  }
  json_object& money_str(std::string_view k, std::optional<money> v) {
    key(k);
    if (v)
      json_string(out_, v->to_string());
    else
      out_ += "null";
    return *this;
  }
  void close() { out_ += '}'; }

 private:
  std::string& out_;
  bool first_ = true;
};

inline void json_durations(json_object& o, std::string_view k, const duration_summary& d, std::string& out) {
  o.key(k);
  json_object s(out);
  s.num("count", d.count).num("mean", d.mean).num("p50", d.p50).num("p90", d.p90).num("p99", d.p99);
  s.num("within_45s", d.within_threshold);
  s.close();
}

inline void json_agent(std::string& out, const agent_report& a) {
  json_object o(out);
  o.num("conversations", a.conversations).num("buyers_served", a.buyers_served);
  o.num("buyer_messages", a.buyer_messages).num("agent_messages", a.agent_messages);
  json_durations(o, "response_s", a.response_s, out);
  json_durations(o, "first_response_s", a.first_response_s, out);
  o.num("reply_rate", a.reply_rate.value()).num("answer_ratio", a.answer_ratio.value());
  o.num("invite_rate", a.invite_rate.value()).num("satisfaction", a.satisfaction.value());
  o.num("orders_credited", a.orders_credited).num("assists", a.assists);
  o.money_str("revenue_credited", a.revenue_credited);
  o.key("lost_by_reason");
  json_object l(out);
  for (const auto& [r, n] : a.lost_by_reason) l.num(r, n);
  l.close();
  o.close();
}

}  // namespace detail

namespace detail {
/// The JSON text into `out`; flush(out) after each shop's section may take
/// what is there and clear it (write_json), so a large report never needs
/// the whole text in memory.
template <class Flush>
void json_report(const report& r, std::string& out, Flush flush) {
  detail::json_object top(out);
  top.key("input");
  {
    detail::json_object in(out);
    in.num("rows", r.rows).num("accepted", r.accepted).num("skipped", r.skipped);
    in.key("skipped_by_reason");
    detail::json_object why(out);
    for (const auto& [reason, n] : r.skipped_by_reason) why.num(reason, n);
    why.close();
    in.close();
  }
  top.key("shops");
  detail::json_object shops(out);
  for (const auto& [name, s] : r.shops) {
    shops.key(name);
    detail::json_object o(out);
    o.str("as_of", format_day(s.as_of));
    o.key("traffic");
    {
      detail::json_object t(out);
      t.num("visits", s.visits).num("visitors", s.visitors);
      t.close();
    }
    o.key("sessions");
    {
      detail::json_object t(out);
      t.num("conversations", s.conversations).num("buyer_messages", s.buyer_messages);
      t.num("agent_messages", s.agent_messages).num("auto_messages", s.auto_messages);
      t.num("answered", s.answered).num("unanswered", s.unanswered).num("pending", s.pending);
      t.num("reply_rate", s.reply_rate.value()).num("answer_ratio", s.answer_ratio.value());
      detail::json_durations(t, "response_s", s.response_s, out);
      detail::json_durations(t, "first_response_s", s.first_response_s, out);
      detail::json_durations(t, "first_response_with_auto_s", s.first_response_with_auto_s, out);
      t.num("km_median_response_s", s.km_median_response_s);
      t.num("invite_rate", s.invite_rate.value()).num("satisfaction", s.satisfaction.value());
      t.close();
    }
    o.key("orders");
    {
      detail::json_object t(out);
      t.num("orders", s.orders).num("buyers", s.buyers).num("paid_orders", s.paid_orders);
      t.num("orders_without_amount", s.orders_without_amount);
      t.money_str("revenue", s.revenue).money_str("paid_revenue", s.paid_revenue);
      t.money_str("aov_per_order", s.aov_per_order);
      t.num("inquiry_conversion", s.inquiry_conversion.value());
      t.num("inquiry_conversion_same_day", s.inquiry_conversion_same_day.value());
      t.num("inquired", s.inquiry_conversion.denominator);
      t.num("ordered_final", s.inquiry_conversion.numerator);
      t.num("ordered_same_day", s.inquiry_conversion_same_day.numerator);
      t.num("payment_conversion", s.payment_conversion.value());
      t.num("ordering_buyers", s.payment_conversion.denominator);
      t.num("paying_buyers", s.payment_conversion.numerator);
      t.key("conversion_provisional");
      out += s.conversion_provisional ? "true" : "false";
      t.num("cs_sales_share", s.cs_sales_share);
      t.num("lost", s.lost);
      t.key("lost_by_reason");
      detail::json_object l(out);
      for (const auto& [reason, n] : s.lost_by_reason) l.num(reason, n);
      l.close();
      t.close();
    }
    o.key("ratings");
    {
      detail::json_object t(out);
      t.key("dsr_180d");
      {
        detail::json_object d(out);
        const std::pair<const char*, const dsr_summary*> dims[] = {
            {"item", &s.dsr_item}, {"service", &s.dsr_service}, {"logistics", &s.dsr_logistics}};
        for (const auto& [dim, v] : dims) {
          d.key(dim);
          detail::json_object x(out);
          x.num("count", v->count).num("sum", v->sum).num("mean", v->mean());
          x.num("low_share", count_ratio{v->low, v->count}.value());
          x.close();
        }
        d.close();
      }
      t.key("aftersales_30d");
      {
        detail::json_object a(out);
        a.num("count", s.aftersales.denominator).num("satisfied_share", s.aftersales.value());
        a.close();
      }
      t.num("dispute_refund_rate_30d", s.dispute_refund_rate.value());
      t.close();
    }
    if (!s.days.empty()) {
      o.key("days");
      detail::json_object days(out);
      for (const auto& [day, d] : s.days) {
        days.key(format_day(day));
        detail::json_object x(out);
        x.num("visits", d.visits).num("conversations", d.conversations);
        x.num("buyer_messages", d.buyer_messages).num("agent_messages", d.agent_messages);
        detail::json_durations(x, "response_s", d.response_s, out);
        x.num("orders", d.orders).money_str("revenue", d.revenue);
        x.num("inquiry_conversion", d.inquiry_conversion.value());
        x.num("payment_conversion", d.payment_conversion.value());
        x.close();
      }
      days.close();
    }
    o.close();
    flush(out);
  }
  shops.close();
  top.key("agents");
  detail::json_object agents(out);
  for (const auto& [name, s] : r.shops) {
    agents.key(name);
    detail::json_object per_shop(out);
    for (const auto& [agent, a] : s.agents) {
      per_shop.key(agent);
      detail::json_agent(out, a);
    }
    per_shop.close();
    flush(out);
  }
  agents.close();
  top.close();
  out += '\n';
}
}  // namespace detail

/// The report as one JSON object (field names fixed; more may be added).
inline std::string to_json(const report& r) {
  std::string out;
  detail::json_report(r, out, [](std::string&) {});
  return out;
}

/// The same text written to `os` in pieces of about 64 KiB: for reports of
/// many shops, whose whole text would double the memory they take.
inline void write_json(std::ostream& os, const report& r) {
  std::string out;
  auto flush = [&](std::string& text) {
    if (text.size() < (std::size_t{64} << 10)) return;
    os.write(text.data(), static_cast<std::streamsize>(text.size()));
    text.clear();
  };
  detail::json_report(r, out, flush);
  os.write(out.data(), static_cast<std::streamsize>(out.size()));
}

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

  const std::pair<const char*, duration_summary shop_report::*> durs[] = {
      {"csmetrics_response_seconds", &shop_report::response_s},
      {"csmetrics_first_response_seconds", &shop_report::first_response_s}};
  for (const auto& [metric, field] : durs) {
    w.family(metric, "summary", "Agent response time (quantiles from the relative-error sketch).");
    for (const auto& [name, s] : r.shops) {
      const duration_summary& x = s.*field;
      std::string l = shop_label(name);
      w.sample(metric, l + ",quantile=\"0.5\"", x.p50);
      w.sample(metric, l + ",quantile=\"0.9\"", x.p90);
      w.sample(metric, l + ",quantile=\"0.99\"", x.p99);
      if (x.mean) w.sample(metric, l, *x.mean * static_cast<double>(x.count), "_sum");
      else w.sample(metric, l, 0.0, "_sum");
      w.sample(metric, l, d(x.count), "_count");
    }
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
  w.family("csmetrics_agent_answer_question_ratio", "gauge", "An agent's messages / buyer messages it served.");
  for (const auto& [name, s] : r.shops)
    for (const auto& [agent, a] : s.agents)
      w.sample("csmetrics_agent_answer_question_ratio",
               shop_label(name) + ",agent=\"" + detail::prom_label(agent) + "\"", a.answer_ratio.value());
  return w.take();
}

}  // namespace csmetrics

#endif  // CSMETRICS_IO_REPORT_HPP_
