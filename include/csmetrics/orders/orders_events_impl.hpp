// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/orders/orders_events_impl.hpp
//
// How csmetrics::basic_orders takes its events (included at the bottom of
// csmetrics/orders/orders.hpp, whose file comment defines every figure):
// the event handlers and advance(), and the private steps they share -
// finding a tracked order, moving a buyer's entry forward, deciding and
// storing the credit of an order, applying a payment, booking revenue under
// the three rules, holding payments that came before their order. Defined
// out of line so that orders.hpp reads as the accumulator's interface; each
// definition keeps `inline`, as it had when written in the class.
#ifndef CSMETRICS_ORDERS_ORDERS_EVENTS_IMPL_HPP_
#define CSMETRICS_ORDERS_ORDERS_EVENTS_IMPL_HPP_

#include <algorithm>  // std::max
#include <cstddef>    // std::size_t
#include <cstdint>    // fixed-width integers
#include <optional>   // std::optional
#include <utility>    // std::move, std::make_pair

#include "csmetrics/orders/orders.hpp"

namespace csmetrics {

// ---- events -----------------------------------------------------------------

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline bool basic_orders<Buyer, Order, Agent, Shop, Script>::inquiry(const Shop& shop, const Buyer& buyer,
                                                                     timestamp t, const std::optional<Agent>& routed) {
  see(t);
  const day_number d = local_day(t, config_.offset);
  buyer_entry& b = touch_buyer(shop, buyer, d);
  const int o = detail::orders_offset_of(b, d);
  if (o < 0) return reject(order_reject::too_old);
  const std::uint8_t bit = static_cast<std::uint8_t>(1u << o);
  const std::int64_t tu = t.time_since_epoch().count();
  if (!(b.inquired & bit)) {
    b.inquired |= bit;
    detail::orders_inc(inquiry_days_[d].inquired);
    // The day's credit waits for the first agent reply.
    auto [c, fresh] = credits_.find_or_insert(ckey(shop, buyer, d), [&](credit_entry& e) {
      e.shop = shop;
      e.buyer = buyer;
      e.day = d;
      e.first_t = tu;
      if (routed) {
        e.state = detail::ocs_waiting_routed;
        e.agent = *routed;
      }
    });
    if (fresh) {
      b.awaiting |= bit;
      schedule(*c);
    }
  }
  return true;
}

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline bool basic_orders<Buyer, Order, Agent, Shop, Script>::agent_reply(const Shop& shop, const Buyer& buyer,
                                                                         const Agent& agent, timestamp t) {
  see(t);
  const day_number d = local_day(t, config_.offset);
  buyer_entry& b = touch_buyer(shop, buyer, d);
  const int o = detail::orders_offset_of(b, d);
  if (o < 0) return reject(order_reject::too_old);
  detail::orders_remember_agent(b, agent, static_cast<std::uint8_t>(o));
  // The first reply after a day's first inquiry earns that day's credit.
  const std::int64_t tu = t.time_since_epoch().count();
  for (int i = 0; b.awaiting && i <= detail::orders_horizon; ++i) {
    const std::uint8_t bit = static_cast<std::uint8_t>(1u << i);
    if (!(b.awaiting & bit)) continue;
    credit_entry* c = credits_.find(ckey(shop, buyer, static_cast<day_number>(b.base_day - i)));
    if (!c || c->state == detail::ocs_credited) {
      b.awaiting &= static_cast<std::uint8_t>(~bit);
      continue;
    }
    if (tu < c->first_t) continue;  // a reply before the question answers another one
    b.awaiting &= static_cast<std::uint8_t>(~bit);
    if (tu - c->first_t <= config_.credit_wait.count())
      settle_credit(*c, agent);
    else
      settle_credit(*c, fallback_of(*c));
  }
  return true;
}

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline bool basic_orders<Buyer, Order, Agent, Shop, Script>::order(const Shop& shop, const Buyer& buyer,
                                                                   const Order& id, std::optional<money> amount,
                                                                   const std::optional<Agent>& agent, timestamp t) {
  see(t);
  if (amount && amount->minor() < 0) return reject(order_reject::negative_amount);
  if (orders_.find(okey(shop, id))) {
    if (tracked(shop, id, t)) return reject(order_reject::duplicate_order);
    orders_.erase(okey(shop, id));  // past its tracking time: the id is reused, as after advance()
  }
  const day_number d = local_day(t, config_.offset);
  buyer_entry& b = touch_buyer(shop, buyer, d);
  const int o = detail::orders_offset_of(b, d);
  if (o < 0) return reject(order_reject::too_old);
  const int a = config_.attribution_days;
  // Payment cohort: distinct ordering buyers.
  payment_counts& pc = payment_days_[d];
  detail::orders_inc(pc.orders);
  const std::uint8_t bit = static_cast<std::uint8_t>(1u << o);
  if (!(b.ordered & bit)) {
    b.ordered |= bit;
    detail::orders_inc(pc.ordering_buyers);
  }
  // Inquiry cohorts d-a .. d this order converts.
  bool inquired_in_window = false;
  for (int i = o; i <= o + a && i <= detail::orders_horizon; ++i) {
    const std::uint8_t ib = static_cast<std::uint8_t>(1u << i);
    if (!(b.inquired & ib)) continue;
    inquired_in_window = true;
    if (b.converted & ib) continue;
    b.converted |= ib;
    detail::orders_inquiry_counts& ic = inquiry_days_[b.base_day - i];
    detail::orders_inc(ic.ordered);
    if (i == o) detail::orders_inc(ic.same_day);
    credit_conversion(shop, buyer, static_cast<day_number>(b.base_day - i), i == o);
  }
  order_entry e;
  e.order = id;
  e.shop = shop;
  e.buyer = buyer;
  e.t_order = t.time_since_epoch().count();
  if (amount) {
    e.amount = amount->minor();
    e.flags |= detail::of_has_amount;
  }
  credit c = agent ? credit{true, true, *agent, pick_assist(b, o, *agent)} : credit_at(b, o, inquired_in_window);
  if (agent) e.flags |= detail::of_explicit_agent;
  record_credit(e, c, false);
  if (c.consulted)
    detail::orders_inc(agent_days_[agent_day(d, c.agent ? std::optional<Agent>(c.who) : std::nullopt)].conversion.placed);
  // Placed-order mix, at order time.
  detail::orders_inc(c.consulted ? mix_.consulted : mix_.silent);
  if (amount) {
    detail::orders_inc(c.consulted ? mix_.consulted_with_amount : mix_.silent_with_amount);
    (c.consulted ? mix_.consulted_amount : mix_.silent_amount) += *amount;
  }
  order_entry& stored = orders_.insert_new(std::move(e));
  schedule(stored);
  // A payment that arrived before its order.
  if (!held_.empty()) {
    auto h = held_.find(std::make_pair(shop, id));
    if (h != held_.end()) {
      const detail::orders_held<Buyer> p = unhold(h);
      if (p.t < stored.t_order - config_.payment_window.count()) {
        count_orphan(p.amount);  // held longer than the window: orphaned, as advance() would have done
      } else {
        apply_payment(stored, money::from_minor(p.amount), p.buyer, timestamp{duration{p.t}});
      }
    }
  }
  return true;
}

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline bool basic_orders<Buyer, Order, Agent, Shop, Script>::payment(const Shop& shop, const Order& id, money amount,
                                                                     const std::optional<Buyer>& buyer, timestamp t) {
  see(t);
  if (amount.minor() < 0) return reject(order_reject::negative_amount);
  order_entry* e = tracked(shop, id, t);
  if (!e) return hold(shop, id, amount, buyer, t);
  return apply_payment(*e, amount, buyer, t);
}

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline bool basic_orders<Buyer, Order, Agent, Shop, Script>::cancel(const Shop& shop, const Order& id, timestamp t) {
  see(t);
  order_entry* e = open_order(shop, id, t, order_reject::duplicate_cancel);
  if (!e) return false;
  e->flags |= detail::of_cancelled;
  detail::orders_inc(payment_days_[order_day(*e)].cancelled_orders);
  return true;
}

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline bool basic_orders<Buyer, Order, Agent, Shop, Script>::refund(const Shop& shop, const Order& id, money amount,
                                                                    timestamp t) {
  see(t);
  if (amount.minor() < 0) return reject(order_reject::negative_amount);
  order_entry* e = tracked(shop, id, t);
  if (!e) return reject(order_reject::unknown_order);
  if (!(e->flags & detail::of_paid)) return reject(order_reject::not_paid);
  if (amount.minor() > e->paid - e->refunded) return reject(order_reject::refund_exceeds_payment);
  e->refunded += amount.minor();
  detail::orders_inc(refunds_);
  refunded_ += amount;
  book_revenue(*e, -amount.minor(), false, local_day(t, config_.offset));
  return true;
}

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline bool basic_orders<Buyer, Order, Agent, Shop, Script>::dispute(const Shop& shop, const Order& id, timestamp t) {
  see(t);
  order_entry* e = tracked(shop, id, t);
  if (!e) return reject(order_reject::unknown_order);
  if (!(e->flags & detail::of_paid)) return reject(order_reject::not_paid);
  detail::orders_inc(disputes_);
  if (!(e->flags & detail::of_disputed)) {
    e->flags |= detail::of_disputed;
    detail::orders_inc(disputed_orders_);
  }
  return true;
}

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline bool basic_orders<Buyer, Order, Agent, Shop, Script>::reminder(const Shop& shop, const Order& id,
                                                                      const Script& script,
                                                                      const std::optional<Agent>& agent, timestamp t) {
  see(t);
  order_entry* e = open_order(shop, id, t, order_reject::cancelled_order);
  if (!e) return false;
  script_counts& s = scripts_[script];
  detail::orders_inc(s.sent);
  if (!(e->flags & detail::of_reminded)) {
    e->flags |= detail::of_reminded;
    e->script = script;
    e->t_reminded = t.time_since_epoch().count();
    detail::orders_inc(s.reminded);
  }
  if (agent) {
    const day_number d = local_day(t, config_.offset);
    buyer_entry& b = touch_buyer(e->shop, e->buyer, d);
    const int o = detail::orders_offset_of(b, d);
    if (o >= 0) detail::orders_remember_agent(b, *agent, static_cast<std::uint8_t>(o));
  }
  return true;
}

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline void basic_orders<Buyer, Order, Agent, Shop, Script>::advance(timestamp now) {
  see(now);
  const std::int64_t n = now.time_since_epoch().count();
  while (!expiry_.empty() && expiry_.top().deadline < n) {
    deadline_item it = expiry_.top();
    expiry_.pop();
    order_entry* e = orders_.find(okey(it.shop, it.order));
    if (!e || deadline_of(*e) != it.deadline) continue;
    if (!(e->flags & (detail::of_paid | detail::of_cancelled | detail::of_expired))) {
      expire(*e);  // kept until a late payment can no longer come
      schedule(*e);
      continue;
    }
    orders_.erase(okey(it.shop, it.order));
  }
  const std::int64_t w = config_.payment_window.count();
  while (!held_by_time_.empty() && held_by_time_.begin()->first < n - w) orphan_oldest();
  while (!credit_queue_.empty() && credit_queue_.top().deadline < n) {
    const credit_item it = credit_queue_.top();
    credit_queue_.pop();
    credit_entry* c = credits_.find(ckey(it.shop, it.buyer, it.day));
    if (!c || credit_deadline(*c) != it.deadline) continue;
    if (c->state == detail::ocs_credited) {
      credits_.erase(ckey(it.shop, it.buyer, it.day));  // no order can convert the day any more
      continue;
    }
    if (buyer_entry* b = buyers_.find(bkey(it.shop, it.buyer))) {
      const int o = detail::orders_offset_of(*b, it.day);
      if (o >= 0) b->awaiting &= static_cast<std::uint8_t>(~(1u << o));
    }
    settle_credit(*c, fallback_of(*c));
  }
}

// ---- tracking ---------------------------------------------------------------

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline auto basic_orders<Buyer, Order, Agent, Shop, Script>::open_order(const Shop& shop, const Order& id, timestamp t,
                                                                        order_reject when_cancelled) -> order_entry* {
  order_entry* e = tracked(shop, id, t);
  order_reject why;
  if (!e)
    why = order_reject::unknown_order;
  else if (e->flags & detail::of_paid)
    why = order_reject::already_paid;
  else if (e->flags & detail::of_cancelled)
    why = when_cancelled;
  else if (e->flags & detail::of_expired)
    why = order_reject::unknown_order;  // closed when its window passed
  else
    return e;
  reject(why);
  return nullptr;
}

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline auto basic_orders<Buyer, Order, Agent, Shop, Script>::tracked(const Shop& shop, const Order& id, timestamp t)
    -> order_entry* {
  order_entry* e = orders_.find(okey(shop, id));
  if (!e) return nullptr;
  const std::int64_t tp = t.time_since_epoch().count();
  const bool open = !(e->flags & (detail::of_paid | detail::of_cancelled | detail::of_expired));
  if (open && tp > e->t_order + config_.payment_window.count()) expire(*e);
  if (tp <= deadline_of(*e)) return e;
  // Past every deadline: dropped now, as advance() would drop it, so that a
  // payment held for the id never sits beside a tracked order of that id (a
  // state deserialize() would refuse, and a merge would pay the old order).
  orders_.erase(okey(shop, id));
  return nullptr;
}

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline auto basic_orders<Buyer, Order, Agent, Shop, Script>::touch_buyer(const Shop& shop, const Buyer& buyer,
                                                                         day_number d) -> buyer_entry& {
  auto [b, inserted] = buyers_.find_or_insert(bkey(shop, buyer), [&](buyer_entry& e) {
    e.buyer = buyer;
    e.shop = shop;
    e.base_day = d;
  });
  if (!inserted && d > b->base_day) detail::orders_shift(*b, static_cast<std::int64_t>(d) - b->base_day);
  return *b;
}

// ---- credit -----------------------------------------------------------------

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline auto basic_orders<Buyer, Order, Agent, Shop, Script>::agent_conversions(day_number first, day_number last) const
    -> std::map<std::optional<Agent>, agent_conversion> {
  std::map<std::optional<Agent>, agent_conversion> out;
  for (const auto& [k, c] : agent_days_)
    if (k.first >= first && k.first <= last && c.conversion != agent_conversion{})
      detail::orders_merge(out[k.second], c.conversion);
  return out;
}

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline auto basic_orders<Buyer, Order, Agent, Shop, Script>::agent_credits(attribution_rule rule, day_number first,
                                                                           day_number last) const
    -> std::map<Agent, agent_credit> {
  std::map<Agent, agent_credit> out;
  for (const auto& [k, c] : agent_days_) {
    const agent_credit& credit = c.credit[static_cast<std::size_t>(rule)];
    if (k.first >= first && k.first <= last && credit != agent_credit{}) detail::orders_merge(out[*k.second], credit);
  }
  return out;
}

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline auto basic_orders<Buyer, Order, Agent, Shop, Script>::losses() const
    -> std::map<Agent, std::array<std::uint64_t, loss_reason_count>> {
  std::map<Agent, std::array<std::uint64_t, loss_reason_count>> out;
  losses_.for_each_sorted([&](const Agent& a, const auto& c) { out.emplace_hint(out.end(), a, c); });
  return out;
}

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline auto basic_orders<Buyer, Order, Agent, Shop, Script>::loss_totals() const
    -> std::array<std::uint64_t, loss_reason_count> {
  std::array<std::uint64_t, loss_reason_count> t{};
  for (const auto& [a, c] : losses_)
    for (std::size_t i = 0; i < loss_reason_count; ++i) t[i] = detail::checked_add(t[i], c[i]);
  return t;
}

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline std::int64_t basic_orders<Buyer, Order, Agent, Shop, Script>::credit_deadline(const credit_entry& c) const {
  if (c.state != detail::ocs_credited) return c.first_t + config_.credit_wait.count();
  return day_start(static_cast<day_number>(c.day + detail::orders_horizon + 2), config_.offset).time_since_epoch().count();
}

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline void basic_orders<Buyer, Order, Agent, Shop, Script>::settle_credit(credit_entry& c,
                                                                           const std::optional<Agent>& agent) {
  if (!agent) {
    const Shop shop = c.shop;
    const Buyer buyer = c.buyer;
    credits_.erase(ckey(shop, buyer, c.day));
    return;
  }
  agent_conversion& a = agent_days_[agent_day(c.day, agent)].conversion;
  detail::orders_inc(a.inquired);
  if (c.flags & detail::ocf_ordered) detail::orders_inc(a.ordered);
  if (c.flags & detail::ocf_same_day) detail::orders_inc(a.same_day);
  c.state = detail::ocs_credited;
  c.flags = 0;
  c.agent = *agent;
  schedule(c);
}

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline void basic_orders<Buyer, Order, Agent, Shop, Script>::credit_conversion(const Shop& shop, const Buyer& buyer,
                                                                               day_number d, bool same_day) {
  credit_entry* c = credits_.find(ckey(shop, buyer, d));
  if (!c) return;  // credited to nobody
  if (c->state != detail::ocs_credited) {
    c->flags |= static_cast<std::uint8_t>(detail::ocf_ordered | (same_day ? detail::ocf_same_day : 0));
    return;
  }
  agent_conversion& a = agent_days_[agent_day(d, c->agent)].conversion;
  detail::orders_inc(a.ordered);
  if (same_day) detail::orders_inc(a.same_day);
}

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline auto basic_orders<Buyer, Order, Agent, Shop, Script>::credit_at(const buyer_entry& b, int o,
                                                                       bool inquired_in_window) const -> credit {
  credit c;
  c.consulted = inquired_in_window;
  if (!c.consulted) return c;
  for (int k = 0; k < 2; ++k) {
    if (!in_window(b, k, o)) continue;
    if (!c.agent) {
      c.agent = true;
      c.who = b.agent[k];
    } else if (!c.assist) {
      c.assist = b.agent[k];
    }
  }
  return c;
}

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline void basic_orders<Buyer, Order, Agent, Shop, Script>::record_credit(order_entry& e, const credit& c,
                                                                           bool at_payment) {
  if (c.consulted) e.flags |= at_payment ? detail::of_consulted_pay : detail::of_consulted_order;
  if (c.agent) {
    e.flags |= at_payment ? detail::of_agent_pay : detail::of_agent_order;
    (at_payment ? e.agent_pay : e.agent_order) = c.who;
  }
  if (c.assist) {
    e.flags |= at_payment ? detail::of_assist_pay : detail::of_assist_order;
    (at_payment ? e.assist_pay : e.assist_order) = *c.assist;
  }
}

// ---- payments and revenue ---------------------------------------------------

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline bool basic_orders<Buyer, Order, Agent, Shop, Script>::apply_payment(order_entry& e, money amount,
                                                                           const std::optional<Buyer>& buyer,
                                                                           timestamp t) {
  if (buyer && !(*buyer == e.buyer)) return reject(order_reject::buyer_mismatch);
  if (e.flags & detail::of_paid) return reject(order_reject::duplicate_payment);
  if (e.flags & detail::of_cancelled) return reject(order_reject::cancelled_order);
  const std::int64_t tp = t.time_since_epoch().count();
  const bool within = tp - e.t_order <= config_.payment_window.count();
  const day_number d_order = order_day(e);
  const day_number d_pay = std::max(d_order, local_day(t, config_.offset));
  buyer_entry& b = touch_buyer(e.shop, e.buyer, d_pay);
  payment_counts& pc = payment_days_[d_order];
  if (within) {
    if (e.flags & detail::of_consulted_order) {
      const std::optional<Agent> credited =
          (e.flags & detail::of_agent_order) ? std::optional<Agent>(e.agent_order) : std::nullopt;
      detail::orders_inc(agent_days_[agent_day(d_order, credited)].conversion.placed_paid);
    }
    detail::orders_inc(pc.paid_orders);
    detail::orders_add(pc.paid_amount, amount.minor());
    const int oo = detail::orders_offset_of(b, d_order);
    const std::uint8_t bit = oo < 0 ? 0 : static_cast<std::uint8_t>(1u << oo);
    if (oo < 0 || !(b.paid & bit)) {
      b.paid |= bit;
      detail::orders_inc(pc.paying_buyers);
    }
  } else {
    detail::orders_inc(pc.late_paid_orders);
    e.flags |= detail::of_late;
  }
  // Repeat purchase.
  if (b.paid_orders < 2) {
    ++b.paid_orders;
    detail::orders_inc(b.paid_orders == 1 ? paying_buyers_ : repeat_buyers_);
  }
  // Payment-time credit.
  const int op = detail::orders_offset_of(b, d_pay);
  credit c;
  if (e.flags & detail::of_explicit_agent) {
    c = credit{true, true, e.agent_order, op < 0 ? std::nullopt : pick_assist(b, op, e.agent_order)};
  } else if (op >= 0) {
    c = credit_at(b, op, inquired_within(b, op));
  }
  record_credit(e, c, true);
  e.flags |= detail::of_paid;
  e.t_paid = tp;
  e.paid = amount.minor();
  book_revenue(e, amount.minor(), true, d_pay);
  // Reminder success.
  if ((e.flags & detail::of_reminded) && within && tp >= e.t_reminded) {
    script_counts& s = scripts_[e.script];
    detail::orders_inc(s.succeeded);
    detail::orders_add(s.recovered, amount.minor());
  }
  schedule(e);
  return true;
}

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline void basic_orders<Buyer, Order, Agent, Shop, Script>::book_revenue(const order_entry& e, std::int64_t minor,
                                                                          bool paid, day_number day) {
  detail::orders_add(revenue_, minor);
  // The day's row of an agent, looked up once for the rules that credit it.
  const Agent* last = nullptr;
  detail::orders_agent_day* row = nullptr;
  auto day_row = [&](const Agent& a) -> detail::orders_agent_day& {
    if (!last || !(*last == a)) {
      row = &agent_days_[agent_day(day, a)];
      last = &a;
    }
    return *row;
  };
  for (std::size_t r = 0; r < attribution_rule_count; ++r) {
    bool order_side = r == 0 || (r == 2 && (e.flags & detail::of_consulted_order));
    const bool consulted = order_side ? (e.flags & detail::of_consulted_order) : (e.flags & detail::of_consulted_pay);
    const bool has_agent = order_side ? (e.flags & detail::of_agent_order) : (e.flags & detail::of_agent_pay);
    const bool has_assist = order_side ? (e.flags & detail::of_assist_order) : (e.flags & detail::of_assist_pay);
    const Agent& agent = order_side ? e.agent_order : e.agent_pay;
    const Agent& assist = order_side ? e.assist_order : e.assist_pay;
    detail::orders_rule_counts& rc = rules_[r];
    if (paid) detail::orders_inc(consulted ? rc.consulted : rc.silent);
    if (paid && consulted && !has_agent) detail::orders_inc(rc.unassigned);
    if (consulted) detail::orders_add(rc.consulted_revenue, minor);
    if (has_agent) {
      for (agent_credit* ac : {&agents_[r][agent], &day_row(agent).credit[r]}) {
        if (paid) detail::orders_inc(ac->paid_orders);
        detail::orders_add(ac->revenue, minor);
      }
    }
    if (paid && has_assist) {
      detail::orders_inc(agents_[r][assist].assists);
      detail::orders_inc(day_row(assist).credit[r].assists);
    }
  }
}

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline bool basic_orders<Buyer, Order, Agent, Shop, Script>::hold(const Shop& shop, const Order& id, money amount,
                                                                  const std::optional<Buyer>& buyer, timestamp t) {
  key_pair k(shop, id);
  if (held_.count(k)) return reject(order_reject::duplicate_payment);
  detail::orders_held<Buyer> h{t.time_since_epoch().count(), amount.minor(), buyer};
  held_.emplace(k, h);
  held_by_time_.emplace(h.t, k);
  while (held_.size() > config_.max_held_payments) orphan_oldest();
  return true;
}

}  // namespace csmetrics

#endif  // CSMETRICS_ORDERS_ORDERS_EVENTS_IMPL_HPP_
