// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/io/report.hpp
//
// A report is plain data: the figures of each shop (and each agent) as of a
// local day, copied out of the accumulators by shop_metrics. This header
// renders it as JSON (fixed field names, rates in [0, 1], money as a
// 2-decimal string, durations in seconds, undefined values null) and as the
// Prometheus text exposition format (io/report_prometheus.hpp). Text and
// HTML renderings live with the shop_report example. Optional parts (the
// per-day rows, the sales change between two periods) are written only when
// a caller filled them. Keeping the model apart from the accumulators lets
// every output show exactly the same numbers.
#ifndef CSMETRICS_IO_REPORT_HPP_
#define CSMETRICS_IO_REPORT_HPP_

#include <algorithm>    // std::min
#include <array>        // std::array (rule texts)
#include <charconv>     // std::to_chars (numbers)
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
#include "csmetrics/core/swar.hpp"
#include "csmetrics/core/time.hpp"
#include "csmetrics/io/scorecard.hpp"

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

/// One agent's figures, or a shop's unassigned row (what no agent was
/// credited with). Additive: buyer_messages (of the bursts credited to the
/// agent: answered by it, or expired after being routed to it), agent_messages,
/// answered, unanswered, orders_credited, revenue_credited, lost_by_reason,
/// inquired, ordered_same_day, ordered_final, orders_placed,
/// orders_placed_paid; a shop's agents plus its unassigned row give the
/// shop's figures exactly.
struct agent_report {
  // conversations: those the agent wrote in (one that two agents served counts for each).
  std::uint64_t conversations = 0, buyers_served = 0, buyer_messages = 0, agent_messages = 0;
  std::uint64_t answered = 0, unanswered = 0;  // bursts; the unassigned row's unanswered include the pending ones
  duration_summary response_s, first_response_s;
  /// The same on service time; set only when the options have a service calendar.
  std::optional<duration_summary> response_service_s, first_response_service_s;
  count_ratio reply_rate;      // answered / (answered + unanswered)
  count_ratio answer_ratio;    // agent messages / buyer messages credited to the agent (its bursts)
  count_ratio invite_rate;     // buyers invited / buyers served
  count_ratio satisfaction;    // votes 4-5 / votes
  std::uint64_t orders_credited = 0, assists = 0;
  money revenue_credited;
  std::optional<money> aov_per_order;  // 客单价: revenue credited / paid orders credited (half-up cents)
  std::map<std::string, std::uint64_t> lost_by_reason;
  // 询单转化率: the inquiry days credited to the agent (answered their first
  // question, else were routed it) and those that ordered the same day / in the window.
  std::uint64_t inquired = 0, ordered_same_day = 0, ordered_final = 0;
  count_ratio inquiry_conversion, inquiry_conversion_same_day;  // ordered_final / inquired, ordered_same_day / inquired
  // 下单付款转化率: consulted orders credited to the agent when placed, and of them paid within the window.
  std::uint64_t orders_placed = 0, orders_placed_paid = 0;
  count_ratio payment_conversion;  // orders_placed_paid / orders_placed
};

/// One local day of a shop (--by day).
struct day_report {
  std::uint64_t visits = 0, conversations = 0, buyer_messages = 0, agent_messages = 0, orders = 0;
  duration_summary response_s;     // the bursts whose clock started that day
  count_ratio inquiry_conversion;  // cohort of the day's inquiries (final)
  /// The same cohort, ordered the same local day; filled by callers that ask
  /// for it (shop_report --period, the HTML trends), written when set.
  std::optional<count_ratio> inquiry_conversion_same_day;
  count_ratio payment_conversion;  // cohort of the day's orders
  money revenue;                   // placed orders with an amount
};

/**
 * What moved a shop's sales between two periods of equal length (the last N
 * local days up to as_of against the N before): sales = traffic (distinct
 * visitors) x conversion (paying buyers / visitors) x AOV (sales / paying
 * buyers), the change split into its three parts by csmetrics'
 * decompose_change (exact Shapley, rounded to cents by largest remainder, so
 * traffic + conversion + aov == change to the cent). Sales are placed orders
 * with an amount, as `revenue`.
 */
struct sales_change_report {
  std::string period;  ///< "week" (7 days) or "month" (30 days)
  day_number before_first = 0, before_last = 0, after_first = 0, after_last = 0;
  money before, after, change;  ///< sales of each period; change = after - before
  std::uint64_t traffic_before = 0, traffic_after = 0;  ///< distinct visitors
  std::uint64_t buyers_before = 0, buyers_after = 0;    ///< distinct paying buyers
  std::optional<double> conversion_before, conversion_after;  ///< buyers / visitors; empty without visitors
  std::optional<money> aov_before, aov_after;                 ///< sales / buyers (half-up cents); empty without buyers
  /// The rounded parts (sum == change); empty when !explained or out of money's range.
  std::optional<money> traffic_part, conversion_part, aov_part;
  /// False when a period breaks the identity (buyers without any visitor):
  /// the whole change is then `unexplained`.
  bool explained = true;
  money unexplained;
  std::optional<money> target;       ///< --target: the period's sales goal
  std::optional<double> attainment;  ///< after / target
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
  /// Response and first response on service time, and their Kaplan-Meier
  /// median: set (and written) only when the options have a service calendar.
  std::optional<duration_summary> response_service_s, first_response_service_s;
  std::optional<double> km_median_response_service_s;
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
  /// With the agents: buyer messages of bursts no agent was credited with
  /// (expired without a routed agent, or pending), bursts unanswered without
  /// a routed agent, consulted paid orders and their revenue credited to nobody.
  std::optional<agent_report> unassigned;
  std::map<day_number, day_report> days;  // filled when asked (--by day)
  std::optional<sales_change_report> sales_change;  // filled when asked (shop_report --period)
  std::vector<scorecard> scorecards;  // one per period, oldest first; filled when asked (report_request::scorecard)
};

/// The whole report: the input summary and every shop.
struct report {
  std::uint64_t rows = 0, accepted = 0, skipped = 0;
  std::map<std::string, std::uint64_t> skipped_by_reason;
  std::map<std::string, shop_report> shops;
  kpi_rules scorecard_rules = default_kpi_rules();  ///< the rules the scorecards were judged by
};

/// Moves the events a state refused after the reader had accepted them
/// (shop_metrics::refused_by_reason) from `accepted` to `skipped`, by reason:
/// then every row is counted once, rows == accepted + skipped.
inline void count_refused(report& r, const std::map<std::string, std::uint64_t>& refused) {
  for (const auto& [why, n] : refused) {
    r.accepted -= std::min(r.accepted, n);
    r.skipped += n;
    r.skipped_by_reason[why] += n;
  }
}

namespace detail {

inline void json_string(std::string& out, std::string_view s) {
  out += '"';
  // Runs of bytes that need no escape are appended whole, found eight bytes
  // at a time (ids and keys rarely hold any): a report of 10^5 shops is 10^8 bytes.
  const char* const b = s.data();
  const std::size_t n = s.size();
  std::size_t run = 0, i = 0;
  for (;;) {
    if (swar_enabled && n >= 8) {  // (n >= 8: g++ 12 then sees no read past a short literal key)
      for (; n - i >= 8; i += 8) {
        const std::uint64_t v = swar_load(b + i);
        const std::uint64_t hits = swar_below(v, 0x20) | swar_equal(v, '"') | swar_equal(v, '\\');
        if (hits) {
          i += swar_first(hits);
          break;
        }
      }
    }
    for (; i < n; ++i) {
      const unsigned char u = static_cast<unsigned char>(b[i]);
      if (u < 0x20 || u == '"' || u == '\\') break;
    }
    out.append(b + run, i - run);
    if (i == n) break;
    const unsigned char u = static_cast<unsigned char>(b[i]);
    switch (u) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", u);
        out += buf;
      }
    }
    run = ++i;
  }
  out += '"';
}

/// 10 significant digits, as printf's %.10g (std::to_chars: the same text,
/// without printf's cost, which a report of 10^5 shops pays 10^7 times), or null.
inline void json_number(std::string& out, std::optional<double> v) {
  if (!v || !std::isfinite(*v)) {
    out += "null";
    return;
  }
  char b[40];
  const auto r = std::to_chars(b, b + sizeof b, *v, std::chars_format::general, 10);
  out.append(b, static_cast<std::size_t>(r.ptr - b));
}
inline std::string json_number(std::optional<double> v) {
  std::string out;
  json_number(out, v);
  return out;
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
    json_number(out_, v);
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
  o.num("answered", a.answered).num("unanswered", a.unanswered);
  json_durations(o, "response_s", a.response_s, out);
  json_durations(o, "first_response_s", a.first_response_s, out);
  if (a.response_service_s) json_durations(o, "response_service_s", *a.response_service_s, out);
  if (a.first_response_service_s) json_durations(o, "first_response_service_s", *a.first_response_service_s, out);
  o.num("reply_rate", a.reply_rate.value()).num("answer_ratio", a.answer_ratio.value());
  o.num("invite_rate", a.invite_rate.value()).num("satisfaction", a.satisfaction.value());
  o.num("orders_credited", a.orders_credited).num("assists", a.assists);
  o.money_str("revenue_credited", a.revenue_credited).money_str("aov_per_order", a.aov_per_order);
  o.num("inquired", a.inquired).num("ordered_same_day", a.ordered_same_day).num("ordered_final", a.ordered_final);
  o.num("inquiry_conversion", a.inquiry_conversion.value());
  o.num("inquiry_conversion_same_day", a.inquiry_conversion_same_day.value());
  o.num("orders_placed", a.orders_placed).num("orders_placed_paid", a.orders_placed_paid);
  o.num("payment_conversion", a.payment_conversion.value());
  o.key("lost_by_reason");
  json_object l(out);
  for (const auto& [r, n] : a.lost_by_reason) l.num(r, n);
  l.close();
  o.close();
}

/// "sales_change": {"period", the two periods' days, sales, traffic,
/// buyers, conversion, aov, the parts (money strings adding up to change),
/// explained, unexplained, target, attainment}.
inline void json_sales_change(json_object& o, const sales_change_report& c, std::string& out) {
  o.key("sales_change");
  json_object x(out);
  x.str("period", c.period);
  x.str("before_first", format_day(c.before_first)).str("before_last", format_day(c.before_last));
  x.str("after_first", format_day(c.after_first)).str("after_last", format_day(c.after_last));
  x.money_str("before", c.before).money_str("after", c.after).money_str("change", c.change);
  x.num("traffic_before", c.traffic_before).num("traffic_after", c.traffic_after);
  x.num("buyers_before", c.buyers_before).num("buyers_after", c.buyers_after);
  x.num("conversion_before", c.conversion_before).num("conversion_after", c.conversion_after);
  x.money_str("aov_before", c.aov_before).money_str("aov_after", c.aov_after);
  x.key("parts");
  {
    json_object p(out);
    p.money_str("traffic", c.traffic_part).money_str("conversion", c.conversion_part);
    p.money_str("aov", c.aov_part);
    p.close();
  }
  x.key("explained");
  out += c.explained ? "true" : "false";
  x.money_str("unexplained", c.unexplained);
  x.money_str("target", c.target).num("attainment", c.attainment);
  x.close();
}

/// A shop's scorecards: [{period, first, last, agents: [{agent, score,
/// passed, failed, kpis: {name: {value, rule, pass}}}]}], agents ranked.
inline void json_scorecards(std::string& out, const std::vector<scorecard>& cards, const kpi_rules& rules) {
  std::array<std::string, kpi_count> rule_text;  // written for every agent: made once
  for (std::size_t j = 0; j < kpi_count; ++j) {
    if (const auto& r = rules[j]) {
      json_string(rule_text[j], std::string(r->at_least ? ">=" : "<=") + json_number(r->threshold));
    } else {
      rule_text[j] = "null";
    }
  }
  out += '[';
  for (std::size_t c = 0; c < cards.size(); ++c) {
    if (c) out += ',';
    const scorecard& card = cards[c];
    json_object o(out);
    o.str("period", card.period).str("first", format_day(card.first)).str("last", format_day(card.last));
    o.key("agents");
    out += '[';
    for (std::size_t i = 0; i < card.agents.size(); ++i) {
      if (i) out += ',';
      const scorecard_row& row = card.agents[i];
      json_object a(out);
      a.str("agent", row.agent).num("score", row.score);
      a.num("passed", std::uint64_t{row.passed}).num("failed", std::uint64_t{row.failed});
      a.key("kpis");
      json_object k(out);
      for (std::size_t j = 0; j < kpi_count; ++j) {
        k.key(to_string(static_cast<kpi>(j)));
        json_object v(out);
        if (static_cast<kpi>(j) == kpi::aov_per_order)
          v.money_str("value", row.aov);
        else
          v.num("value", row.kpis[j].value);
        v.key("rule");
        out += rule_text[j];
        v.key("pass");
        out += row.kpis[j].pass ? (*row.kpis[j].pass ? "true" : "false") : "null";
        v.close();
      }
      k.close();
      a.close();
    }
    out += ']';
    o.close();
  }
  out += ']';
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
      if (s.response_service_s) {  // with a service calendar only
        detail::json_durations(t, "response_service_s", *s.response_service_s, out);
        if (s.first_response_service_s)
          detail::json_durations(t, "first_response_service_s", *s.first_response_service_s, out);
        t.num("km_median_response_service_s", s.km_median_response_service_s);
      }
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
        if (d.inquiry_conversion_same_day)
          x.num("inquiry_conversion_same_day", d.inquiry_conversion_same_day->value());
        x.num("payment_conversion", d.payment_conversion.value());
        x.close();
      }
      days.close();
    }
    if (s.sales_change) detail::json_sales_change(o, *s.sales_change, out);
    if (s.unassigned) {
      o.key("unassigned");  // beside "agents", where it could collide with a real id
      detail::json_agent(out, *s.unassigned);
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
  bool any_card = false;
  for (const auto& kv : r.shops) any_card = any_card || !kv.second.scorecards.empty();
  if (any_card) {  // written when asked: report_request::scorecard
    top.key("scorecards");
    detail::json_object cards(out);
    for (const auto& [name, s] : r.shops) {
      if (s.scorecards.empty()) continue;
      cards.key(name);
      detail::json_scorecards(out, s.scorecards, r.scorecard_rules);
      flush(out);
    }
    cards.close();
  }
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

}  // namespace csmetrics

#endif  // CSMETRICS_IO_REPORT_HPP_

// to_prometheus, kept beside (included here so every user of report.hpp has it).
#include "csmetrics/io/report_prometheus.hpp"

