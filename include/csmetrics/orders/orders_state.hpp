// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/orders/orders_state.hpp
//
// The detail:: state behind csmetrics::basic_orders: the per (shop, buyer)
// and per (shop, order) tracking entries with their orders_table traits, the
// operations on those entries that need no orders_config (moving a buyer's
// day masks forward, remembering agents, merging two entries, ordering two
// entries deterministically), and the counters kept per day, rule and script
// with their merges. Kept apart from orders.hpp so that the accumulator's
// header shows its interface, not the layout of its memory (the 32-byte
// budget of a buyer entry is explained in the file comment of orders.hpp).
// Functions moved here out of the class keep `inline`, as they were there.
#ifndef CSMETRICS_ORDERS_ORDERS_STATE_HPP_
#define CSMETRICS_ORDERS_ORDERS_STATE_HPP_

#include <algorithm>  // std::sort, std::min, std::max
#include <array>      // std::array (credit per rule)
#include <cstddef>    // std::size_t
#include <cstdint>    // fixed-width integers
#include <optional>   // std::optional
#include <tuple>      // std::tie, std::apply (counter fields)
#include <utility>    // std::swap
#include <vector>     // std::vector

#include "csmetrics/core/checked.hpp"
#include "csmetrics/core/money.hpp"
#include "csmetrics/core/time.hpp"
#include "csmetrics/orders/orders_table.hpp"
#include "csmetrics/orders/orders_types.hpp"

namespace csmetrics {
namespace detail {

inline void orders_inc(std::uint64_t& c, std::uint64_t by = 1) { c = checked_add(c, by); }
inline void orders_add(std::int64_t& s, std::int64_t by) { s = checked_add(s, by); }
inline void orders_add(money& s, std::int64_t by) { s += money::from_minor(by); }

// ---- per (shop, buyer) ------------------------------------------------------

inline constexpr std::uint8_t orders_no_age = 255;  // empty agent slot
inline constexpr int orders_horizon = 7;            // days kept behind a buyer's latest event

/// Per (shop, buyer) tracking state: 32 bytes for u64 buyer, u32 shop/agent.
/// Bit i of a mask is local day base_day - i.
template <class Shop, class Buyer, class Agent>
struct orders_buyer {
  Buyer buyer{};
  Shop shop{};
  day_number base_day = 0;        // the buyer's latest event day
  std::uint8_t inquired = 0;      // inquired on the day
  std::uint8_t converted = 0;     // that day's inquiry cohort already counted this buyer as ordered
  std::uint8_t ordered = 0;       // ordered on the day (counted in that payment cohort)
  std::uint8_t paid = 0;          // paid an order of the day within its window
  Agent agent[2]{};               // most recent distinct replying agents
  std::uint8_t age[2] = {orders_no_age, orders_no_age};  // days before base_day of their last reply
  std::uint8_t paid_orders = 0;   // saturates at 2 (repeat purchase)
  std::uint8_t awaiting = 0;      // the day's inquiry waits for its credit (an orders_inquiry entry)

  friend bool operator==(const orders_buyer& a, const orders_buyer& b) {
    return a.buyer == b.buyer && a.shop == b.shop && a.base_day == b.base_day && a.inquired == b.inquired &&
           a.converted == b.converted && a.ordered == b.ordered && a.paid == b.paid && a.agent[0] == b.agent[0] &&
           a.agent[1] == b.agent[1] && a.age[0] == b.age[0] && a.age[1] == b.age[1] &&
           a.paid_orders == b.paid_orders && a.awaiting == b.awaiting;
  }
};

template <class Shop, class Id>
struct orders_key_ref {
  const Shop& shop;
  const Id& id;
};

template <class Shop, class Buyer, class Agent>
struct orders_buyer_traits {
  using entry = orders_buyer<Shop, Buyer, Agent>;
  static std::uint64_t hash(const entry& e) { return pair_hash(e.shop, e.buyer); }
  static std::uint64_t hash_key(const orders_key_ref<Shop, Buyer>& k) { return pair_hash(k.shop, k.id); }
  static bool equal(const entry& e, const orders_key_ref<Shop, Buyer>& k) { return e.buyer == k.id && e.shop == k.shop; }
};

/// Days before the buyer's latest day, or -1 when beyond the horizon.
template <class Shop, class Buyer, class Agent>
inline int orders_offset_of(const orders_buyer<Shop, Buyer, Agent>& b, day_number d) {
  const std::int64_t o = static_cast<std::int64_t>(b.base_day) - d;
  return o > orders_horizon ? -1 : static_cast<int>(o);
}

/// Moves the buyer's latest day `by` days forward: masks and agent ages
/// follow; an agent whose age would reach orders_no_age is forgotten.
template <class Shop, class Buyer, class Agent>
inline void orders_shift(orders_buyer<Shop, Buyer, Agent>& b, std::int64_t by) {
  auto sh = [by](std::uint8_t m) { return by >= 8 ? std::uint8_t{0} : static_cast<std::uint8_t>(m << by); };
  b.inquired = sh(b.inquired);
  b.converted = sh(b.converted);
  b.ordered = sh(b.ordered);
  b.paid = sh(b.paid);
  b.awaiting = sh(b.awaiting);
  for (int k = 0; k < 2; ++k) {
    if (b.age[k] == orders_no_age) continue;
    if (b.age[k] + by >= orders_no_age) {
      b.age[k] = orders_no_age;
      b.agent[k] = Agent{};
    } else {
      b.age[k] = static_cast<std::uint8_t>(b.age[k] + by);
    }
  }
  if (b.age[0] == orders_no_age && b.age[1] != orders_no_age) {
    std::swap(b.agent[0], b.agent[1]);
    std::swap(b.age[0], b.age[1]);
  }
  b.base_day = static_cast<day_number>(b.base_day + by);
}

/// Records a reply by `agent` `age` days before base_day: slot 0 holds the
/// most recent (ties: the one seen last), slot 1 the next distinct agent.
template <class Shop, class Buyer, class Agent>
inline void orders_remember_agent(orders_buyer<Shop, Buyer, Agent>& b, const Agent& agent, std::uint8_t age) {
  if (b.age[0] != orders_no_age && b.agent[0] == agent) {
    b.age[0] = std::min(b.age[0], age);
    return;
  }
  if (b.age[1] != orders_no_age && b.agent[1] == agent) {
    b.age[1] = std::min(b.age[1], age);
    if (b.age[1] <= b.age[0]) {
      std::swap(b.agent[0], b.agent[1]);
      std::swap(b.age[0], b.age[1]);
    }
    return;
  }
  if (age <= b.age[0]) {
    b.agent[1] = b.agent[0];
    b.age[1] = b.age[0];
    b.agent[0] = agent;
    b.age[0] = age;
  } else if (age <= b.age[1]) {
    b.agent[1] = agent;
    b.age[1] = age;
  }
}

/// The same (shop, buyer) seen by two states, in `a`: masks united at the
/// later base day, paid orders added (saturating), agents merged.
template <class Shop, class Buyer, class Agent>
inline void orders_merge_buyer(orders_buyer<Shop, Buyer, Agent>& a, const orders_buyer<Shop, Buyer, Agent>& b) {
  orders_buyer<Shop, Buyer, Agent> x = b;
  const day_number base = std::max(a.base_day, x.base_day);
  if (a.base_day < base) orders_shift(a, static_cast<std::int64_t>(base) - a.base_day);
  if (x.base_day < base) orders_shift(x, static_cast<std::int64_t>(base) - x.base_day);
  a.inquired |= x.inquired;
  a.converted |= x.converted;
  a.ordered |= x.ordered;
  a.paid |= x.paid;
  a.awaiting |= x.awaiting;
  a.paid_orders = static_cast<std::uint8_t>(std::min(2, a.paid_orders + x.paid_orders));
  // Up to four candidates: keep the two most recent distinct agents,
  // ties broken by agent id (commutative and associative).
  struct cand {
    Agent agent;
    std::uint8_t age;
  };
  std::vector<cand> c;
  for (const orders_buyer<Shop, Buyer, Agent>* e : {&a, &x})
    for (int k = 0; k < 2; ++k)
      if (e->age[k] != orders_no_age) c.push_back(cand{e->agent[k], e->age[k]});
  std::sort(c.begin(), c.end(), [](const cand& l, const cand& r) {
    return l.age != r.age ? l.age < r.age : l.agent < r.agent;
  });
  int n = 0;
  Agent out[2]{};
  std::uint8_t age[2] = {orders_no_age, orders_no_age};
  for (const cand& k : c) {
    if (n == 2) break;
    if (n == 1 && out[0] == k.agent) continue;
    out[n] = k.agent;
    age[n] = k.age;
    ++n;
  }
  for (int k = 0; k < 2; ++k) {
    a.agent[k] = out[k];
    a.age[k] = age[k];
  }
}

// ---- per (shop, buyer, inquiry day) ----------------------------------------

/// The credit of one inquiry day (orders.hpp, "Agents"): waiting for the
/// first agent reply (with or without a routed agent to fall back on), or
/// credited. Kept while the day can still convert; an inquiry credited to
/// nobody needs no entry.
enum orders_credit_state : std::uint8_t { ocs_waiting = 0, ocs_waiting_routed = 1, ocs_credited = 2 };
enum orders_credit_flag : std::uint8_t { ocf_ordered = 1, ocf_same_day = 2 };  // conversions seen while waiting

template <class Shop, class Buyer, class Agent>
struct orders_inquiry {
  Buyer buyer{};
  Shop shop{};
  day_number day = 0;
  std::uint8_t state = ocs_waiting;
  std::uint8_t flags = 0;
  std::int64_t first_t = 0;  // us: the day's first inquiry
  Agent agent{};             // routed (waiting) or credited agent

  friend bool operator==(const orders_inquiry& a, const orders_inquiry& b) {
    return a.buyer == b.buyer && a.shop == b.shop && a.day == b.day && a.state == b.state && a.flags == b.flags &&
           a.first_t == b.first_t && (a.state == ocs_waiting || a.agent == b.agent);
  }
};

template <class Shop, class Buyer>
struct orders_day_key_ref {
  const Shop& shop;
  const Buyer& buyer;
  day_number day;
};

template <class Shop, class Buyer, class Agent>
struct orders_inquiry_traits {
  using entry = orders_inquiry<Shop, Buyer, Agent>;
  static std::uint64_t hash(const entry& e) { return mix64(pair_hash(e.shop, e.buyer) + static_cast<std::uint32_t>(e.day)); }
  static std::uint64_t hash_key(const orders_day_key_ref<Shop, Buyer>& k) {
    return mix64(pair_hash(k.shop, k.buyer) + static_cast<std::uint32_t>(k.day));
  }
  static bool equal(const entry& e, const orders_day_key_ref<Shop, Buyer>& k) {
    return e.day == k.day && e.buyer == k.buyer && e.shop == k.shop;
  }
};

/// Serialized order, and which entry a merge keeps when both states hold one.
template <class Shop, class Buyer, class Agent>
inline bool orders_inquiry_key_less(const orders_inquiry<Shop, Buyer, Agent>& a,
                                    const orders_inquiry<Shop, Buyer, Agent>& b) {
  if (!(a.shop == b.shop)) return a.shop < b.shop;
  if (!(a.buyer == b.buyer)) return a.buyer < b.buyer;
  return a.day < b.day;
}
template <class Shop, class Buyer, class Agent>
inline bool orders_inquiry_less(const orders_inquiry<Shop, Buyer, Agent>& a,
                                const orders_inquiry<Shop, Buyer, Agent>& b) {
  if (a.state != b.state) return a.state > b.state;  // a credit wins over a wait
  if (a.first_t != b.first_t) return a.first_t < b.first_t;
  if (a.flags != b.flags) return a.flags > b.flags;
  return a.state != ocs_waiting && a.agent < b.agent;
}

// ---- per (shop, order) ------------------------------------------------------

enum orders_flag : std::uint16_t {
  of_has_amount = 1,
  of_paid = 2,
  of_cancelled = 4,
  of_consulted_order = 8,
  of_agent_order = 16,
  of_assist_order = 32,
  of_consulted_pay = 64,
  of_agent_pay = 128,
  of_assist_pay = 256,
  of_reminded = 512,
  of_explicit_agent = 1024,
  of_disputed = 2048,
  of_late = 4096,
  of_expired = 8192,  ///< unpaid when its payment window passed (kept for a late payment)
  of_all = 16383,
};

/// Per open order tracking state.
template <class Shop, class Order, class Buyer, class Agent, class Script>
struct orders_order {
  Order order{};
  Shop shop{};
  Buyer buyer{};
  std::int64_t t_order = 0;     // us
  std::int64_t t_paid = 0;      // us, when paid
  std::int64_t t_reminded = 0;  // us, first reminder
  std::int64_t amount = 0;      // minor units, when of_has_amount
  std::int64_t paid = 0;        // minor units paid
  std::int64_t refunded = 0;    // minor units refunded
  Agent agent_order{}, assist_order{}, agent_pay{}, assist_pay{};
  Script script{};
  std::uint16_t flags = 0;

  friend bool operator==(const orders_order& a, const orders_order& b) {
    return a.order == b.order && a.shop == b.shop && a.buyer == b.buyer && a.t_order == b.t_order &&
           a.t_paid == b.t_paid && a.t_reminded == b.t_reminded && a.amount == b.amount && a.paid == b.paid &&
           a.refunded == b.refunded && a.agent_order == b.agent_order && a.assist_order == b.assist_order &&
           a.agent_pay == b.agent_pay && a.assist_pay == b.assist_pay && a.script == b.script && a.flags == b.flags;
  }
  friend bool operator!=(const orders_order& a, const orders_order& b) { return !(a == b); }
};

template <class Shop, class Order, class Buyer, class Agent, class Script>
struct orders_order_traits {
  using entry = orders_order<Shop, Order, Buyer, Agent, Script>;
  static std::uint64_t hash(const entry& e) { return pair_hash(e.shop, e.order); }
  static std::uint64_t hash_key(const orders_key_ref<Shop, Order>& k) { return pair_hash(k.shop, k.id); }
  static bool equal(const entry& e, const orders_key_ref<Shop, Order>& k) { return e.order == k.id && e.shop == k.shop; }
};

/// A total order on entries of the same (shop, order): which one a merge
/// keeps when both states track it.
template <class Shop, class Order, class Buyer, class Agent, class Script>
inline bool orders_order_less(const orders_order<Shop, Order, Buyer, Agent, Script>& a,
                              const orders_order<Shop, Order, Buyer, Agent, Script>& b) {
  if (a.flags != b.flags) return a.flags < b.flags;
  if (a.t_order != b.t_order) return a.t_order < b.t_order;
  if (a.t_paid != b.t_paid) return a.t_paid < b.t_paid;
  if (a.paid != b.paid) return a.paid < b.paid;
  if (a.amount != b.amount) return a.amount < b.amount;
  if (a.refunded != b.refunded) return a.refunded < b.refunded;
  if (a.t_reminded != b.t_reminded) return a.t_reminded < b.t_reminded;
  if (!(a.buyer == b.buyer)) return a.buyer < b.buyer;
  if (!(a.agent_order == b.agent_order)) return a.agent_order < b.agent_order;
  if (!(a.agent_pay == b.agent_pay)) return a.agent_pay < b.agent_pay;
  if (!(a.assist_order == b.assist_order)) return a.assist_order < b.assist_order;
  if (!(a.assist_pay == b.assist_pay)) return a.assist_pay < b.assist_pay;
  return a.script < b.script;
}

/// A payment waiting for its order.
template <class Buyer>
struct orders_held {
  std::int64_t t = 0;       // us
  std::int64_t amount = 0;  // minor units
  std::optional<Buyer> buyer;
  friend bool operator==(const orders_held& a, const orders_held& b) {
    return a.t == b.t && a.amount == b.amount && a.buyer == b.buyer;
  }
};

/// The same for two held payments of one (shop, order).
template <class Buyer>
inline bool orders_held_less(const orders_held<Buyer>& a, const orders_held<Buyer>& b) {
  if (a.t != b.t) return a.t < b.t;
  if (a.amount != b.amount) return a.amount < b.amount;
  return a.buyer < b.buyer;
}

// ---- counters ---------------------------------------------------------------

/// Adds each counter of `from` to the one in the same place of `to`
/// (checked), first to last: the counter structs below merge field by field.
template <class... To, class... From>
void orders_add_fields(std::tuple<To&...> to, std::tuple<From&...> from) {
  std::apply([&](auto&... t) { std::apply([&](auto&... f) { ((t = checked_add(t, f)), ...); }, from); }, to);
}

/// One inquiry day's cohort.
struct orders_inquiry_counts {
  std::uint64_t inquired = 0, same_day = 0, ordered = 0;
  /// Every counter, in the order merge and == visit them.
  template <class Self>
  static auto fields(Self& s) {
    return std::tie(s.inquired, s.same_day, s.ordered);
  }
  void merge(const orders_inquiry_counts& o) { orders_add_fields(fields(*this), fields(o)); }
  /// As the public cohort of `day` (0 for a total over days).
  inquiry_cohort cohort(day_number day, bool provisional) const {
    return inquiry_cohort{day, inquired, same_day, ordered, provisional};
  }
  friend bool operator==(const orders_inquiry_counts& a, const orders_inquiry_counts& b) {
    return fields(a) == fields(b);
  }
};

/// One order day's payment cohort.
struct orders_payment_counts {
  std::uint64_t ordering_buyers = 0, paying_buyers = 0, orders = 0, paid_orders = 0, late_paid_orders = 0,
                cancelled_orders = 0, expired_orders = 0;
  std::int64_t paid_amount = 0;
  template <class Self>
  static auto fields(Self& s) {
    return std::tie(s.ordering_buyers, s.paying_buyers, s.orders, s.paid_orders, s.late_paid_orders,
                    s.cancelled_orders, s.expired_orders, s.paid_amount);
  }
  void merge(const orders_payment_counts& o) { orders_add_fields(fields(*this), fields(o)); }
  /// As the public cohort of `day` (0 for a total over days).
  payment_cohort cohort(day_number day, bool provisional) const {
    return payment_cohort{day, ordering_buyers, paying_buyers, orders, paid_orders, late_paid_orders,
                          cancelled_orders, expired_orders, money::from_minor(paid_amount), provisional};
  }
  friend bool operator==(const orders_payment_counts& a, const orders_payment_counts& b) {
    return fields(a) == fields(b);
  }
};

/// Paid orders under one attribution rule.
struct orders_rule_counts {
  std::uint64_t consulted = 0, silent = 0, unassigned = 0;
  std::int64_t consulted_revenue = 0;  // minor units, net
  template <class Self>
  static auto fields(Self& s) {
    return std::tie(s.consulted, s.silent, s.unassigned, s.consulted_revenue);
  }
  void merge(const orders_rule_counts& o) { orders_add_fields(fields(*this), fields(o)); }
  friend bool operator==(const orders_rule_counts& a, const orders_rule_counts& b) { return fields(a) == fields(b); }
};

/// One reminder script.
struct orders_script_counts {
  std::uint64_t sent = 0, reminded = 0, succeeded = 0;
  std::int64_t recovered = 0;
  template <class Self>
  static auto fields(Self& s) {
    return std::tie(s.sent, s.reminded, s.succeeded, s.recovered);
  }
  void merge(const orders_script_counts& o) { orders_add_fields(fields(*this), fields(o)); }
  friend bool operator==(const orders_script_counts& a, const orders_script_counts& b) {
    return fields(a) == fields(b);
  }
};

/// Merges of the public report structs the accumulator keeps as they are.
inline void orders_merge(agent_conversion& m, const agent_conversion& c) {
  orders_inc(m.inquired, c.inquired);
  orders_inc(m.same_day, c.same_day);
  orders_inc(m.ordered, c.ordered);
  orders_inc(m.placed, c.placed);
  orders_inc(m.placed_paid, c.placed_paid);
}
inline void orders_merge(agent_credit& m, const agent_credit& c) {
  orders_inc(m.paid_orders, c.paid_orders);
  m.revenue += c.revenue;
  orders_inc(m.assists, c.assists);
}
inline void orders_merge(order_mix& m, const order_mix& o) {
  orders_inc(m.consulted, o.consulted);
  orders_inc(m.silent, o.silent);
  orders_inc(m.consulted_with_amount, o.consulted_with_amount);
  orders_inc(m.silent_with_amount, o.silent_with_amount);
  m.consulted_amount += o.consulted_amount;
  m.silent_amount += o.silent_amount;
}

/// One agent's figures of one local day: its conversions and its credit
/// under each rule (one table lookup for all of them).
struct orders_agent_day {
  agent_conversion conversion;
  std::array<agent_credit, attribution_rule_count> credit{};
  void merge(const orders_agent_day& o) {
    orders_merge(conversion, o.conversion);
    for (std::size_t r = 0; r < attribution_rule_count; ++r) orders_merge(credit[r], o.credit[r]);
  }
  friend bool operator==(const orders_agent_day& a, const orders_agent_day& b) {
    return a.conversion == b.conversion && a.credit == b.credit;
  }
};

}  // namespace detail
}  // namespace csmetrics

#endif  // CSMETRICS_ORDERS_ORDERS_STATE_HPP_
