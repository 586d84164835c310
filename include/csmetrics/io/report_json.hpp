// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/io/report_json.hpp
//
// A report (io/report.hpp) as JSON: fixed field names, rates in [0, 1],
// money as a 2-decimal string, durations in seconds, undefined values null.
// to_json gives the text, write_json writes it in pieces, and
// json_report_writer writes it while the shops are still being reported, one
// at a time, so a report of 10^5 shops never exists whole in memory.
// Included by report.hpp; may be included alone.
#ifndef CSMETRICS_IO_REPORT_JSON_HPP_
#define CSMETRICS_IO_REPORT_JSON_HPP_

#include <array>        // std::array (rule texts)
#include <charconv>     // std::to_chars (numbers)
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint64_t
#include <cstring>      // std::memcpy
#include <deque>        // std::deque (the shops' agents, kept for the end)
#include <map>          // std::map
#include <optional>     // std::optional
#include <ostream>      // std::ostream
#include <stdexcept>    // std::invalid_argument (shops out of order)
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <utility>      // std::move, std::pair
#include <vector>       // std::vector

#include "csmetrics/core/error.hpp"
#include "csmetrics/io/json_text.hpp"
#include "csmetrics/io/report.hpp"

namespace csmetrics {

namespace detail {

class json_object {
 public:
  explicit json_object(json_text& out) : out_(out) { out_ += '{'; }
  json_object& key(std::string_view k) { return field(k, json_plain(k), no_value); }
  json_object& num(std::string_view k, std::uint64_t v) { return field(k, json_plain(k), count{v}); }
  json_object& num(std::string_view k, std::optional<double> v) { return field(k, json_plain(k), number{v}); }
  // The same for the writer's own key names, string literals: nothing to
  // escape (asserted in debug builds), so no byte of them is checked.
  template <std::size_t N>
  json_object& key(const char (&k)[N]) {
    return field(literal(k), true, no_value);
  }
  template <std::size_t N>
  json_object& num(const char (&k)[N], std::uint64_t v) {
    return field(literal(k), true, count{v});
  }
  template <std::size_t N>
  json_object& num(const char (&k)[N], std::optional<double> v) {
    return field(literal(k), true, number{v});
  }
  template <std::size_t N>
  json_object& str(const char (&k)[N], std::string_view v) {
    key(k);
    json_string(out_, v);
    return *this;
  }
  template <std::size_t N>
  json_object& money_str(const char (&k)[N], std::optional<money> v) {
    key(k);
    if (v)
      json_string(out_, v->to_string());
    else
      out_ += "null";
    return *this;
  }
  void close() { out_ += '}'; }

 private:
  template <std::size_t N>
  static std::string_view literal(const char (&k)[N]) {
    CSMETRICS_ASSERT(json_plain(std::string_view(k, N - 1)), "a JSON key name needs no escape");
    return std::string_view(k, N - 1);
  }
  // A value's text at p (at most 40 bytes); returns its end.
  static char* no_value(char* p) { return p; }
  struct count {
    std::uint64_t v;
    char* operator()(char* p) const { return std::to_chars(p, p + 24, v).ptr; }
  };
  struct number {
    std::optional<double> v;
    char* operator()(char* p) const { return json_number_chars(p, v); }
  };
  // `,"key":value` written in place when the key needs no escape (`plain`;
  // the writer's own names always): a report of 10^5 shops writes 10^7
  // keys. `value(p)` writes at most 40 bytes at p. Inlined: a literal key's
  // size is then a constant and its copy a few moves, not a call to memcpy.
  template <class Value>
  __attribute__((always_inline)) json_object& field(std::string_view k, bool plain, Value value) {
    if (plain && k.size() <= 80) {
      char* p = out_.room(128);
      if (!first_) *p++ = ',';
      *p++ = '"';
      std::memcpy(p, k.data(), k.size());
      p += k.size();
      *p++ = '"';
      *p++ = ':';
      first_ = false;
      out_.commit(value(p));
      return *this;
    }
    if (!first_) out_ += ',';
    json_string(out_, k);
    out_ += ':';
    first_ = false;
    out_.commit(value(out_.room(40)));
    return *this;
  }

  json_text& out_;
  bool first_ = true;
};

template <std::size_t N>  // (a literal name: json_object's path for its own keys)
void json_durations(json_object& o, const char (&k)[N], const duration_summary& d, json_text& out) {
  o.key(k);
  json_object s(out);
  s.num("count", d.count).num("mean", d.mean).num("p50", d.p50).num("p90", d.p90).num("p99", d.p99);
  s.num("within_45s", d.within_threshold);
  s.close();
}

inline void json_agent(json_text& out, const agent_report& a) {
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
inline void json_sales_change(json_object& o, const sales_change_report& c, json_text& out) {
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
inline void json_scorecards(json_text& out, const std::vector<scorecard>& cards, const kpi_rules& rules) {
  std::array<std::string, kpi_count> rule_text;  // written for every agent: made once
  for (std::size_t j = 0; j < kpi_count; ++j) {
    if (const auto& r = rules[j]) {
      json_text t;
      json_string(t, std::string(r->at_least ? ">=" : "<=") + json_number(r->threshold));
      rule_text[j] = t.str();
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
/// The top object's "input" member: the reader's counts.
inline void json_input(json_object& top, const report& r, json_text& out) {
  top.key("input");
  json_object in(out);
  in.num("rows", r.rows).num("accepted", r.accepted).num("skipped", r.skipped);
  in.key("skipped_by_reason");
  json_object why(out);
  for (const auto& [reason, n] : r.skipped_by_reason) why.num(reason, n);
  why.close();
  in.close();
}

/// One shop's object in "shops" (the caller wrote its key).
inline void json_shop(json_text& out, const shop_report& s) {
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
      auto dim = [&](const auto& name, const dsr_summary& v) {  // (name: a literal, as above)
        d.key(name);
        detail::json_object x(out);
        x.num("count", v.count).num("sum", v.sum).num("mean", v.mean());
        x.num("low_share", count_ratio{v.low, v.count}.value());
        x.close();
      };
      dim("item", s.dsr_item);
      dim("service", s.dsr_service);
      dim("logistics", s.dsr_logistics);
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
}

/// The top object's "agents" and "scorecards" members from `shops`, (name,
/// shop) pairs in name order whose shop has .agents and .scorecards.
template <class Shops, class Flush>
void json_agents_and_cards(json_object& top, const Shops& shops, const kpi_rules& rules, json_text& out,
                           Flush flush) {
  top.key("agents");
  detail::json_object agents(out);
  for (const auto& [name, s] : shops) {
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
  for (const auto& kv : shops) any_card = any_card || !kv.second.scorecards.empty();
  if (any_card) {  // written when asked: report_request::scorecard
    top.key("scorecards");
    detail::json_object cards(out);
    for (const auto& [name, s] : shops) {
      if (s.scorecards.empty()) continue;
      cards.key(name);
      detail::json_scorecards(out, s.scorecards, rules);
      flush(out);
    }
    cards.close();
  }
}

/// The JSON text into `out`; flush(out) after each shop's section may take
/// what is there and clear it (write_json), so a large report never needs
/// the whole text in memory.
template <class Flush>
void json_report(const report& r, json_text& out, Flush flush) {
  json_object top(out);
  json_input(top, r, out);
  top.key("shops");
  json_object shops(out);
  for (const auto& [name, s] : r.shops) {
    shops.key(name);
    json_shop(out, s);
    flush(out);
  }
  shops.close();
  json_agents_and_cards(top, r.shops, r.scorecard_rules, out, flush);
  top.close();
  out += '\n';
}
}  // namespace detail

/// The report as one JSON object (field names fixed; more may be added).
inline std::string to_json(const report& r) {
  detail::json_text out;
  detail::json_report(r, out, [](detail::json_text&) {});
  return out.str();
}

/// The same text written to `os` in pieces of about 64 KiB: for reports of
/// many shops, whose whole text would double the memory they take.
inline void write_json(std::ostream& os, const report& r) {
  detail::json_text out;
  auto flush = [&](detail::json_text& text) {
    if (text.size() < (std::size_t{64} << 10)) return;
    os.write(text.data(), static_cast<std::streamsize>(text.size()));
    text.clear();
  };
  detail::json_report(r, out, flush);
  os.write(out.data(), static_cast<std::streamsize>(out.size()));
}

/**
 * The JSON of write_json, written while the shops are reported: the input
 * counts first, then each shop as it comes (in name order, as a report's map
 * holds them), then the agents and scorecards, which JSON puts after all the
 * shops and which are all the writer keeps of a shop once written.
 *
 *     csmetrics::json_report_writer out(std::cout, head);   // head: rows, skipped, rules
 *     metrics.for_each_shop_report(request, [&](const std::string& shop, csmetrics::shop_report&& s) {
 *       out.shop(shop, std::move(s));
 *     });
 *     out.finish();
 */
class json_report_writer {
 public:
  /// `head`: the input counts and the scorecard rules (its shops are not written).
  json_report_writer(std::ostream& os, const report& head) : os_(os), rules_(head.scorecard_rules) {
    top_.emplace(out_);
    detail::json_input(*top_, head, out_);
    top_->key("shops");
    shops_.emplace(out_);
  }
  json_report_writer(const json_report_writer&) = delete;
  json_report_writer& operator=(const json_report_writer&) = delete;

  /// The next shop. Throws std::invalid_argument when `name` is not after
  /// the last one (the text would not be write_json's), std::logic_error
  /// after finish().
  void shop(const std::string& name, shop_report&& s) {
    if (!shops_) CSMETRICS_THROW(std::logic_error("csmetrics::json_report_writer: shop after finish"));
    if (!kept_.empty() && !(kept_.back().first < name))
      CSMETRICS_THROW(std::invalid_argument("csmetrics::json_report_writer: shop \"" + name + "\" after \"" +
                                            kept_.back().first + "\": shops must come in name order"));
    shops_->key(name);
    detail::json_shop(out_, s);
    kept_.emplace_back(name, kept_shop{std::move(s.agents), std::move(s.scorecards)});
    flush(false);
  }
  /// The agents and scorecards, and the end of the text; once.
  void finish() {
    if (!shops_) CSMETRICS_THROW(std::logic_error("csmetrics::json_report_writer: finish twice"));
    shops_->close();
    shops_.reset();
    detail::json_agents_and_cards(*top_, kept_, rules_, out_, [this](detail::json_text&) { flush(false); });
    top_->close();
    out_ += '\n';
    flush(true);
    kept_.clear();
  }

 private:
  struct kept_shop {
    std::map<std::string, agent_report> agents;
    std::vector<scorecard> scorecards;
  };
  void flush(bool all) {
    if (!all && out_.size() < (std::size_t{64} << 10)) return;
    os_.write(out_.data(), static_cast<std::streamsize>(out_.size()));
    out_.clear();
  }
  std::ostream& os_;
  kpi_rules rules_;
  detail::json_text out_;
  std::optional<detail::json_object> top_, shops_;
  std::deque<std::pair<std::string, kept_shop>> kept_;  // (growing moves nothing: 10^5 shops)
};

}  // namespace csmetrics

#endif  // CSMETRICS_IO_REPORT_JSON_HPP_
