// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/shop_metrics/report_impl.hpp
//
// How csmetrics::shop_metrics fills a report from its families (included at
// the bottom of csmetrics/shop_metrics.hpp).
#ifndef CSMETRICS_SHOP_METRICS_REPORT_IMPL_HPP_
#define CSMETRICS_SHOP_METRICS_REPORT_IMPL_HPP_

#include <algorithm>  // std::min, std::sort, std::unique
#include <map>        // std::map (report days)
#include <set>        // std::set (agents of a shop)
#include <string>     // std::string
#include <vector>     // std::vector

namespace csmetrics {

namespace detail {

inline duration_summary summarize(const response_stats& r, bool quantiles = true) {
  duration_summary d;
  d.count = r.count();
  d.mean = r.mean();
  if (quantiles) {
    d.p50 = r.quantile(0.5);
    d.p90 = r.quantile(0.9);
    d.p99 = r.quantile(0.99);
  }
  d.threshold_s = r.within_seconds();
  d.within_count = r.within().successes();
  d.within_threshold = r.within().rate();
  return d;
}

inline count_ratio ratio_of(const rate_counter& r) { return count_ratio{r.successes(), r.trials()}; }

inline dsr_summary dsr_of(const std::optional<score_summary>& s) {
  dsr_summary d;
  if (!s) return d;
  d.count = s->count();
  d.sum = s->sum();
  d.low = s->low();
  return d;
}

/// A shop's sales change between [as_of - 2n + 1, as_of - n] and
/// [as_of - n + 1, as_of] (see report_request::sales_change_days).
template <class Sales, class Id>
sales_change_report sales_change_of(const Sales& sales, const Id& shop, bool known, day_number as_of, int n,
                                    std::optional<money> target) {
  sales_change_report c;
  c.period = n == 7 ? "week" : n == 30 ? "month" : std::to_string(n) + " days";
  c.after_last = as_of;
  c.after_first = static_cast<day_number>(as_of - (n - 1));
  c.before_last = static_cast<day_number>(c.after_first - 1);
  c.before_first = static_cast<day_number>(c.before_last - (n - 1));
  sales_snapshot before, after;
  if (known) {  // a shop no event named has no sales state: both periods empty
    auto q = sales.query_for(sales_period::range(c.before_first, c.before_last));
    q.shop = shop;
    before = sales.snapshot(q);
    q.period = sales_period::range(c.after_first, c.after_last);
    after = sales.snapshot(q);
  }
  const sales_change ch = decompose_change(before, after);
  c.before = before.revenue;
  c.after = after.revenue;
  c.change = ch.change;
  c.traffic_before = before.visitors;
  c.traffic_after = after.visitors;
  c.buyers_before = before.paying_buyers;
  c.buyers_after = after.paying_buyers;
  if (auto v = before.conversion()) c.conversion_before = v->to_double();
  if (auto v = after.conversion()) c.conversion_after = v->to_double();
  if (auto v = before.identity_aov()) c.aov_before = money::from_minor(v->round_scaled(1));
  if (auto v = after.identity_aov()) c.aov_after = money::from_minor(v->round_scaled(1));
  c.explained = ch.explained;
  c.unexplained = ch.unexplained;
  if (ch.parts_money) {
    c.traffic_part = ch.part_money(sales_factor::traffic);
    c.conversion_part = ch.part_money(sales_factor::conversion);
    c.aov_part = ch.part_money(sales_factor::aov);
  }
  if (target) {
    c.target = target;
    if (auto a = attainment(after.revenue, *target)) c.attainment = a->to_double();
  }
  return c;
}

/// What no agent of `s` was credited with: the shop's additive figures less
/// its agents' (so they add up by construction), and the consulted paid
/// orders the attribution rule gave nobody. Sessions count a burst's buyer
/// messages for the agent who answers it, or who it was routed to when it
/// expires; the rest (expired unrouted, pending) lands here. So do the
/// inquiry days no agent earned (or still waiting for a reply) and the
/// consulted orders placed with nobody to credit (`nobody`).
template <class Attribution>
agent_report unassigned_row(const shop_report& s, const std::optional<Attribution>& attr,
                            const agent_conversion& nobody) {
  agent_report u;
  std::uint64_t buyer = 0, agent = 0, answered = 0, unanswered = 0, inquired = 0, same_day = 0, ordered = 0;
  money revenue;
  std::map<std::string, std::uint64_t> lost;
  for (const auto& [name, a] : s.agents) {
    buyer = checked_add(buyer, a.buyer_messages);
    agent = checked_add(agent, a.agent_messages);
    answered = checked_add(answered, a.answered);
    unanswered = checked_add(unanswered, a.unanswered);
    revenue += a.revenue_credited;
    for (const auto& [why, n] : a.lost_by_reason) lost[why] += n;
    inquired = checked_add(inquired, a.inquired);
    same_day = checked_add(same_day, a.ordered_same_day);
    ordered = checked_add(ordered, a.ordered_final);
  }
  // A burst is credited once: the agents' parts never exceed the shop's.
  u.buyer_messages = s.buyer_messages - std::min(buyer, s.buyer_messages);
  u.agent_messages = s.agent_messages - std::min(agent, s.agent_messages);
  u.answered = s.answered - std::min(answered, s.answered);
  u.unanswered = s.unanswered - std::min(unanswered, s.unanswered);
  u.reply_rate = count_ratio{u.answered, checked_add(u.answered, u.unanswered)};
  u.answer_ratio = count_ratio{u.agent_messages, u.buyer_messages};
  u.inquired = s.inquiry_conversion.denominator - std::min(inquired, s.inquiry_conversion.denominator);
  u.ordered_final = s.inquiry_conversion.numerator - std::min(ordered, s.inquiry_conversion.numerator);
  u.ordered_same_day =
      s.inquiry_conversion_same_day.numerator - std::min(same_day, s.inquiry_conversion_same_day.numerator);
  u.inquiry_conversion = count_ratio{u.ordered_final, u.inquired};
  u.inquiry_conversion_same_day = count_ratio{u.ordered_same_day, u.inquired};
  u.orders_placed = nobody.placed;
  u.orders_placed_paid = nobody.placed_paid;
  u.payment_conversion = count_ratio{u.orders_placed_paid, u.orders_placed};
  if (attr) {
    u.orders_credited = attr->unassigned_paid_orders;
    u.revenue_credited = attr->consulted_revenue - revenue;
    if (u.orders_credited > 0) u.aov_per_order = average_money(u.revenue_credited, u.orders_credited);
  }
  for (const auto& [why, n] : s.lost_by_reason) {
    const std::uint64_t credited = lost.count(why) ? lost[why] : 0;
    if (n > credited) u.lost_by_reason[why] = n - credited;
  }
  return u;
}

}  // namespace detail

CSMETRICS_FUNC shop_report shop_metrics::shop_figures(const std::string& shop_text, day_number as_of,
                                              const report_request& request, std::int64_t oldest_us,
                                              std::int64_t newest_us) const {
  // A shop no event named has no state: the empty id, which no family holds.
  const std::optional<id_type> id = id_of(shop_text);
  return shop_figures(id.value_or(id_type{}), id.has_value(), as_of, request, oldest_us, newest_us);
}

CSMETRICS_FUNC shop_report shop_metrics::shop_figures(id_type shop, bool known, day_number as_of,
                                              const report_request& request, std::int64_t oldest_us,
                                              std::int64_t newest_us) const {
  shop_report s;
  s.as_of = as_of;
  const timestamp now{duration{newest_us}};
  const day_number first_day = local_day(timestamp{duration{oldest_us}}, options_.offset);

  // Sessions.
  sessions_type::filter shop_filter{shop, std::nullopt, std::nullopt};
  const auto view = sessions_.shop_breakdown(shop, request.days);  // the shop's, its agents' and days' figures in one pass
  const auto& st = view.total;
  s.conversations = st.conversations();
  s.buyer_messages = st.buyer_messages();
  s.agent_messages = st.agent_messages();
  s.auto_messages = st.auto_messages();
  s.answered = st.answered();
  s.unanswered = st.unanswered();
  s.pending = sessions_.pending(shop_filter);
  s.reply_rate = detail::ratio_of(st.reply_rate());
  s.answer_ratio = count_ratio{st.agent_messages(), st.buyer_messages()};
  s.invite_rate = detail::ratio_of(st.invitation_rate());
  s.satisfaction = detail::ratio_of(st.satisfaction());
  s.response_s = detail::summarize(st.response());
  s.first_response_s = detail::summarize(st.first_response());
  s.first_response_with_auto_s = detail::summarize(st.first_response_with_auto());
  s.km_median_response_s = sessions_.km_median(shop_filter, now, st);
  if (st.has_service_time()) {  // a service calendar: the same figures on service time
    s.response_service_s = detail::summarize(st.response_service());
    s.first_response_service_s = detail::summarize(st.first_response_service());
    s.km_median_response_service_s = sessions_.km_median_service(shop_filter, now, st);
  }
  if (!st.response().empty()) {
    std::vector<double> qs;
    for (int k = 1; k <= 99; ++k) qs.push_back(k / 100.0);
    const std::vector<double> values = st.response().sketch().quantiles(qs);
    for (std::size_t k = 0; k < qs.size(); ++k) s.response_quantiles.emplace_back(qs[k], values[k]);
  }

  // Sales: traffic and placed orders over every day up to as_of.
  sales_type::query q = sales_.query_for(sales_period{std::min(first_day, as_of), as_of});
  q.shop = shop;
  const sales_snapshot snap = sales_.snapshot(q);
  s.visits = snap.visits;
  s.visitors = snap.visitors;
  s.orders = snap.orders;
  s.buyers = snap.paying_buyers;  // sales is fed placed orders: distinct ordering buyers
  s.orders_without_amount = snap.orders_without_amount;
  s.revenue = snap.revenue;
  if (snap.orders_with_amount() > 0) s.aov_per_order = detail::average_money(snap.revenue, snap.orders_with_amount());

  // Orders: conversion, attribution, losses.
  if (const orders_type* o = orders_state(shop)) {
    const inquiry_cohort inq = o->inquiry_total();
    s.inquiry_conversion = count_ratio{inq.ordered, inq.inquired};
    s.inquiry_conversion_same_day = count_ratio{inq.same_day, inq.inquired};
    const payment_cohort pay = o->payment_total();
    s.payment_conversion = count_ratio{pay.paying_buyers, pay.ordering_buyers};
    s.conversion_provisional = inq.provisional || pay.provisional;
    const auto attr = o->attribution(options_.rule);
    s.paid_orders = attr.consulted_paid_orders + attr.silent_paid_orders;
    s.paid_revenue = attr.total_revenue;
    s.cs_sales_share = attr.cs_sales_share();
    const auto losses = o->loss_totals();
    for (std::size_t i = 0; i < loss_reason_count; ++i) {
      s.lost = detail::checked_add(s.lost, losses[i]);
      if (losses[i] != 0) s.lost_by_reason[std::string(to_string(static_cast<loss_reason>(i)))] = losses[i];
    }
  }

  // Ratings.
  if (const auto* st = ratings_.find(shop)) {
    const ratings_report rr = ratings_.report(shop, as_of);
    s.dsr_item = detail::dsr_of(rr.dsr_of(dsr_dimension::item));
    s.dsr_service = detail::dsr_of(rr.dsr_of(dsr_dimension::service));
    s.dsr_logistics = detail::dsr_of(rr.dsr_of(dsr_dimension::logistics));
    if (rr.after_sales) s.aftersales = detail::ratio_of(*rr.after_sales);
    s.dispute_refund_rate = count_ratio{rr.disputes.disputes, rr.disputes.payments};
    // curve_days days up to as_of; an earlier as_of has the days still kept whole.
    const day_number first = std::max(as_of - (options_.curve_days - 1), st->oldest_series_day());
    for (const dsr_point& p : st->dsr_series(first, as_of)) {
      const auto& item = p.dsr[static_cast<std::size_t>(dsr_dimension::item)];
      s.dsr_curve.emplace_back(p.day, item ? std::optional<double>(item->mean()) : std::nullopt);
    }
  }

  // Agents: every agent with a session cell or an orders record in this shop.
  if (request.agents) {
    std::set<id_type> names;  // in text order
    for (const auto& [a, cells] : view.agents) names.insert(a);
    const orders_type* o = orders_state(shop);
    std::optional<attribution_report<id_type>> attr;
    std::map<std::optional<id_type>, agent_conversion> conversions;
    std::map<id_type, std::array<std::uint64_t, loss_reason_count>> losses;
    if (o) {
      attr = o->attribution(options_.rule);
      for (const auto& [a, c] : attr->agents) names.insert(a);
      losses = o->losses();
      for (const auto& [a, c] : losses) names.insert(a);
      conversions = o->agent_conversions();
      for (const auto& [a, c] : conversions)
        if (a) names.insert(*a);
    }
    for (const id_type a : names) {
      agent_report& ar = s.agents[a.str()];
      const auto& as = view.agent(a);
      ar.conversations = as.agent_conversations();  // the ones the agent wrote in
      ar.buyers_served = as.buyers_served();
      ar.buyer_messages = as.credited_buyer_messages();
      ar.agent_messages = as.agent_messages();
      ar.answered = as.answered();
      ar.unanswered = as.unanswered();
      ar.response_s = detail::summarize(as.response());
      ar.first_response_s = detail::summarize(as.first_response());
      if (as.has_service_time()) {
        ar.response_service_s = detail::summarize(as.response_service());
        ar.first_response_service_s = detail::summarize(as.first_response_service());
      }
      ar.reply_rate = detail::ratio_of(as.reply_rate());
      ar.answer_ratio = count_ratio{as.agent_messages(), as.credited_buyer_messages()};
      ar.invite_rate = detail::ratio_of(as.invitation_rate());
      ar.satisfaction = detail::ratio_of(as.satisfaction());
      if (attr) {
        auto it = attr->agents.find(a);
        if (it != attr->agents.end()) {
          ar.orders_credited = it->second.paid_orders;
          ar.assists = it->second.assists;
          ar.revenue_credited = it->second.revenue;
          if (ar.orders_credited > 0) ar.aov_per_order = detail::average_money(ar.revenue_credited, ar.orders_credited);
        }
        auto cv = conversions.find(a);
        if (cv != conversions.end()) {
          const agent_conversion& c = cv->second;
          ar.inquired = c.inquired;
          ar.ordered_same_day = c.same_day;
          ar.ordered_final = c.ordered;
          ar.inquiry_conversion = count_ratio{c.ordered, c.inquired};
          ar.inquiry_conversion_same_day = count_ratio{c.same_day, c.inquired};
          ar.orders_placed = c.placed;
          ar.orders_placed_paid = c.placed_paid;
          ar.payment_conversion = count_ratio{c.placed_paid, c.placed};
        }
        auto lo = losses.find(a);
        if (lo != losses.end())
          for (std::size_t i = 0; i < loss_reason_count; ++i)
            if (lo->second[i] != 0) ar.lost_by_reason[std::string(to_string(static_cast<loss_reason>(i)))] = lo->second[i];
      }
    }
    const auto nobody = conversions.find(std::nullopt);
    s.unassigned = detail::unassigned_row(s, attr, nobody == conversions.end() ? agent_conversion{} : nobody->second);
  }

  // Days: one row per local day from the first event to as_of.
  if (request.days) {
    std::map<day_number, inquiry_cohort> inq;
    std::map<day_number, payment_cohort> pay;
    if (const orders_type* o = orders_state(shop)) {
      for (const auto& c : o->inquiry_cohorts()) inq[c.day] = c;
      for (const auto& c : o->payment_cohorts()) pay[c.day] = c;
    }
    for (day_number d = std::min(first_day, as_of); d <= as_of; ++d) {
      day_report& dr = s.days[d];
      const auto& ds = view.day(d);
      dr.conversations = ds.conversations();
      dr.buyer_messages = ds.buyer_messages();
      dr.agent_messages = ds.agent_messages();
      dr.response_s = detail::summarize(ds.response());
      sales_type::query dq = sales_.query_for(sales_period::day(d));
      dq.shop = shop;
      const sales_snapshot x = sales_.snapshot(dq);
      dr.visits = x.visits;
      dr.orders = x.orders;
      dr.revenue = x.revenue;
      if (request.sales_change_days > 0) dr.inquiry_conversion_same_day = count_ratio{};
      if (auto it = inq.find(d); it != inq.end()) {
        dr.inquiry_conversion = count_ratio{it->second.ordered, it->second.inquired};
        if (request.sales_change_days > 0)
          dr.inquiry_conversion_same_day = count_ratio{it->second.same_day, it->second.inquired};
      }
      if (auto it = pay.find(d); it != pay.end())
        dr.payment_conversion = count_ratio{it->second.paying_buyers, it->second.ordering_buyers};
    }
  }
  if (request.scorecard) s.scorecards = scorecards(shop, std::min(first_day, as_of), as_of, *request.scorecard);
  if (request.sales_change_days > 0)
    s.sales_change = detail::sales_change_of(sales_, shop, known, as_of,
                                             request.sales_change_days, request.sales_target);
  return s;
}

CSMETRICS_FUNC std::vector<scorecard> shop_metrics::scorecards(id_type shop, day_number first_day, day_number as_of,
                                                              const scorecard_options& opt) const {
  if (opt.period_days < 0 || opt.period_days > 3660)
    CSMETRICS_THROW(std::invalid_argument("shop_metrics: scorecard period_days must be in [0, 3660]: " +
                                          std::to_string(opt.period_days)));
  std::vector<scorecard> out;
  const orders_type* o = orders_state(shop);
  for (const auto& [label, days] : scorecard_periods(first_day, as_of, opt.period_days)) {
    const day_number first = days.first, last = days.second;  // named: lambdas cannot capture bindings in C++17
    std::map<id_type, agent_period> periods;  // in text order
    // The counts a card needs and the buyer sets of the invitation rate:
    // summed cell by cell, without merging the cells' sketches.
    struct agent_cells {
      std::uint64_t agent_messages = 0, buyer_messages = 0, responses = 0, unanswered = 0;
      std::uint64_t response_us = 0, good_votes = 0, votes = 0;
      flat_set<id_type> served, invited;
    };
    std::map<id_type, agent_cells> sessions;
    sessions_.for_each_cell(shop, [&](const id_type&, const id_type* agent, day_number d, const auto& cell) {
      if (!agent || d < first || d > last) return;
      agent_cells& ac = sessions[*agent];
      auto add = [](std::uint64_t& to, std::uint64_t n) { to = detail::checked_add(to, n); };
      add(ac.agent_messages, cell.agent_messages());
      add(ac.buyer_messages, cell.credited_buyer_messages());
      add(ac.responses, cell.response().count());
      add(ac.response_us, static_cast<std::uint64_t>(cell.response().total().count()));
      add(ac.unanswered, cell.unanswered());
      add(ac.good_votes, cell.satisfaction().successes());
      add(ac.votes, cell.satisfaction().trials());
      ac.served.merge(cell.served_buyers());
      ac.invited.merge(cell.invited_buyers());
    });
    for (const auto& [a, ac] : sessions) {
      agent_period& p = periods[a];
      p.agent_messages = ac.agent_messages;
      p.buyer_messages = ac.buyer_messages;
      p.responses = p.answered = ac.responses;
      p.response_s_sum = std::chrono::duration<double>(duration{static_cast<duration::rep>(ac.response_us)}).count();
      p.invited = ac.invited.overlap(ac.served);  // served buyers invited
      p.served = ac.served.size();
      p.good_votes = ac.good_votes;
      p.votes = ac.votes;
      p.unanswered = ac.unanswered;
    }
    if (o) {
      for (const auto& [a, c] : o->agent_conversions(first, last)) {
        if (!a) continue;
        agent_period& p = periods[*a];
        p.inquired = c.inquired;
        p.ordered = c.ordered;
        p.placed = c.placed;
        p.placed_paid = c.placed_paid;
      }
      for (const auto& [a, c] : o->agent_credits(options_.rule, first, last)) {
        agent_period& p = periods[a];
        p.paid_orders = c.paid_orders;
        p.revenue = c.revenue;
      }
    }
    if (periods.empty()) continue;  // no agent worked in the period: no card
    std::map<std::string, agent_period> named;
    for (const auto& [a, p] : periods) named.emplace(a.str(), p);
    out.push_back(make_scorecard(label, first, last, named, opt));
  }
  return out;
}

CSMETRICS_FUNC report shop_metrics::make_report(const report_request& request) const {
  if (!have_time_) return report{};
  report r;
  if (request.scorecard) r.scorecard_rules = request.scorecard->rules;
  for_each_shop_report(request, [&](const std::string& shop, shop_report&& figures) {
    r.shops.emplace_hint(r.shops.end(), shop, std::move(figures));
  });
  return r;
}

CSMETRICS_FUNC void shop_metrics::for_each_shop_report(const report_request& request,
                                                       const shop_report_sink& sink) const {
  if (!have_time_) return;
  const day_number as_of = report_day(request, newest_us_);
  for (const id_type sh : shop_ids()) sink(sh.str(), shop_figures(sh, true, as_of, request, oldest_us_, newest_us_));
}

CSMETRICS_FUNC day_number shop_metrics::report_day(const report_request& request, std::int64_t newest_us) const {
  const day_number newest_day = local_day(timestamp{duration{newest_us}}, options_.offset);
  const day_number as_of = request.as_of.value_or(newest_day);
  if (request.sales_change_days < 0 || request.sales_change_days > 3660)
    CSMETRICS_THROW(std::invalid_argument("shop_metrics: sales_change_days must be in [0, 3660]: " +
                                          std::to_string(request.sales_change_days)));
  if (as_of < newest_day - (options_.curve_days - 1))
    CSMETRICS_THROW(std::out_of_range("shop_metrics: as-of day " + format_day(as_of) +
                                      " is older than the " + std::to_string(options_.curve_days) +
                                      " days kept before the newest day " + format_day(newest_day)));
  return as_of;
}

CSMETRICS_FUNC std::vector<std::string> shop_metrics::shops() const {
  const std::vector<id_type> shops = shop_ids();
  std::vector<std::string> out;
  out.reserve(shops.size());
  for (const id_type sh : shops) out.push_back(sh.str());
  return out;
}

CSMETRICS_FUNC std::vector<shop_metrics::id_type> shop_metrics::shop_ids() const {
  std::vector<id_type> shops;  // a cell per shop and day: sorted and made unique once
  sessions_.for_each_cell([&](const id_type& sh, const id_type*, day_number, const auto&) {
    if (shops.empty() || shops.back() != sh) shops.push_back(sh);
  });
  for (const auto& [sh, o] : orders_) shops.push_back(sh);
  sales_.for_each_shop([&](const id_type& sh) { shops.push_back(sh); });  // traffic alone: no other family
  ratings_.for_each([&](const id_type& sh, const auto&) { shops.push_back(sh); });
  sort_unique_texts(shops);
  return shops;
}

}  // namespace csmetrics

#endif  // CSMETRICS_SHOP_METRICS_REPORT_IMPL_HPP_
