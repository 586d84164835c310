// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/orders/orders_impl.hpp
//
// Serialized form of csmetrics::basic_orders (type id 48, version 2; version
// 1 lacks the parts marked v2 and still reads):
// serialize_to() and deserialize_from(), included at the bottom of
// csmetrics/orders/orders.hpp. After the common header (core/serde.hpp):
// v = LEB128 varint, s = zig-zag
// varint, k = an id through detail::key_serde (integers: varint, text:
// length-prefixed). Money and times are s (minor units, microseconds).
//
//   config      s utc offset minutes | u8 attribution_days | v payment_window us
//               | v refund_days | v max_held_payments | v2: v credit_wait us
//   s watermark (INT64_MIN: none)
//   v visits, refunds, disputes, disputed_orders, orphaned | s orphaned_amount,
//   s refunded, s revenue | v rejected[11] | v repeat_buyers, paying_buyers
//   order mix   v consulted, silent, consulted_with_amount, silent_with_amount
//               | s consulted_amount, silent_amount
//   v n, n x    inquiry day: s day | v inquired, same_day, ordered
//   v n, n x    payment day: s day | v ordering, paying, orders, paid, late,
//               cancelled, expired | s paid_amount
//   3 x         rule: v consulted, silent, unassigned | s consulted_revenue
//               | v n, n x (k agent | v paid_orders | s revenue | v assists)
//   v n, n x    script: k script | v sent, reminded, succeeded | s recovered
//   v n, n x    losses: k agent | v count[7]
//   v2: v n, n x agent day (sorted): s day | u8 has agent [k agent] | v
//               inquired, same_day, ordered, placed, placed_paid | 3 x (v
//               paid_orders | s revenue | v assists): the rules' credit that day
//   v n, n x    buyer (sorted by shop, buyer): k shop | k buyer | s base_day
//               | u8 inquired, converted, ordered, paid | u8 age0 [k agent0
//               unless age0 = 255] | u8 age1 [k agent1] | u8 paid_orders
//               | v2: u8 awaiting
//   v n, n x    order (sorted by shop, order): k shop | k order | k buyer
//               | u16 flags | s t_order | [paid: s t_paid, s paid, s refunded]
//               | [reminded: s t_reminded, k script] | [has amount: s amount]
//               | [k agent_order] [k assist_order] [k agent_pay] [k assist_pay]
//   v n, n x    held payment (sorted by shop, order): k shop | k order | s t
//               | s amount | u8 has buyer [k buyer]
//   v2: v n, n x inquiry credit (sorted by shop, buyer, day): k shop | k buyer
//               | s day | u8 state | u8 flags | s first_t | [k agent unless
//               state = waiting]
//
// Invariants checked on read: config limits; days and keys strictly
// increasing; same_day <= ordered <= inquired; paying <= ordering buyers;
// paid + cancelled + expired <= orders, late paid <= expired; converted within inquired,
// paid within ordered; agent slots ordered, distinct, empty slots last;
// paid_orders <= 2; order flags consistent (paid xor cancelled, credit only
// when consulted, 0 <= refunded <= paid); every order's buyer tracked;
// held payments <= max_held_payments; repeat buyers <= paying buyers;
// agent days: same_day <= ordered <= inquired, placed_paid <= placed; credit
// states known, flags only while waiting, awaiting bits within inquired.
#ifndef CSMETRICS_ORDERS_ORDERS_IMPL_HPP_
#define CSMETRICS_ORDERS_ORDERS_IMPL_HPP_

#include <algorithm>  // std::sort
#include <cstddef>    // std::size_t
#include <cstdint>    // fixed-width integers
#include <limits>     // std::numeric_limits
#include <numeric>    // std::iota
#include <vector>     // std::vector

#include "csmetrics/orders/orders.hpp"

namespace csmetrics {
namespace detail {

/// The order of the serialized tracking tables: by (shop, `id`).
template <class Entry, class Id>
bool orders_key_less(const Entry& a, const Entry& b, Id Entry::*id) {
  return a.shop < b.shop || (a.shop == b.shop && a.*id < b.*id);
}

/// Dense indexes of a tracking table's entries in that order, so that equal
/// states give equal bytes.
template <class Table, class Less>
std::vector<std::size_t> orders_sorted_indexes(const Table& table, Less less) {
  std::vector<std::size_t> ix(table.size());
  std::iota(ix.begin(), ix.end(), std::size_t{0});
  std::sort(ix.begin(), ix.end(), [&table, &less](std::size_t l, std::size_t r) { return less(table.at(l), table.at(r)); });
  return ix;
}
template <class Table, class Entry, class Id>
std::vector<std::size_t> orders_sorted_indexes(const Table& table, Id Entry::*id) {
  return orders_sorted_indexes(table, [id](const Entry& l, const Entry& r) { return orders_key_less(l, r, id); });
}

/// Writes a tracking table as v n, n x entry, in the order of
/// orders_sorted_indexes(table, order) so that equal states give equal bytes.
template <class Table, class Order, class WriteEntry>
void orders_write_sorted(writer& w, const Table& table, Order order, WriteEntry write_entry) {
  const std::vector<std::size_t> ix = orders_sorted_indexes(table, order);
  w.varint(ix.size());
  for (std::size_t i : ix) write_entry(table.at(i));
}

/// Reads a tracking table that orders_write_sorted wrote: v n, then n x the
/// entry `read_entry(prev)` returns (prev: the entry before, nullptr first),
/// which checks that the keys increase.
template <class Table, class ReadEntry>
void orders_read_sorted(reader& r, Table& table, std::size_t min_bytes, const char* what, ReadEntry read_entry) {
  const std::size_t n = r.count(min_bytes, what);
  table.reserve(n);
  const decltype(read_entry(nullptr))* prev = nullptr;
  for (std::size_t i = 0; i < n; ++i) prev = &table.insert_new(read_entry(prev));
}

/// An agent's credit: v paid_orders | s revenue | v assists.
inline void orders_write_credit(writer& w, const agent_credit& c) {
  w.varint(c.paid_orders);
  w.svarint(c.revenue.minor());
  w.varint(c.assists);
}
inline agent_credit orders_read_credit(reader& r) {
  agent_credit c;
  c.paid_orders = r.varint();
  c.revenue = money::from_minor(r.svarint());
  c.assists = r.varint();
  return c;
}

/// Reads a day key of a per-day table: after `prev` (updated) and within
/// day_number's range.
inline day_number orders_read_day(reader& r, std::int64_t& prev, const char* invariant) {
  const std::int64_t d = r.svarint();
  r.check(d > prev && d >= std::numeric_limits<day_number>::min() && d <= std::numeric_limits<day_number>::max(),
          invariant);
  prev = d;
  return static_cast<day_number>(d);
}
/// Reads a day field of an entry (no order to keep): within day_number's range.
inline day_number orders_read_day(reader& r, const char* invariant) {
  const std::int64_t d = r.svarint();
  r.check(d >= std::numeric_limits<day_number>::min() && d <= std::numeric_limits<day_number>::max(), invariant);
  return static_cast<day_number>(d);
}

}  // namespace detail

template <class Buyer, class Order, class Agent, class Shop, class Script>
void basic_orders<Buyer, Order, Agent, Shop, Script>::serialize_to(detail::writer& w) const {
  using detail::key_serde;
  w.header(detail::type_id::orders, format_version);
  w.svarint(config_.offset.minutes().count());
  w.u8(static_cast<std::uint8_t>(config_.attribution_days));
  w.varint(static_cast<std::uint64_t>(config_.payment_window.count()));
  w.varint(static_cast<std::uint64_t>(config_.refund_days));
  w.varint(config_.max_held_payments);
  w.varint(static_cast<std::uint64_t>(config_.credit_wait.count()));
  w.svarint(watermark_);
  for (std::uint64_t v : {visits_, refunds_, disputes_, disputed_orders_, orphaned_}) w.varint(v);
  w.svarint(orphaned_amount_);
  w.svarint(refunded_.minor());
  w.svarint(revenue_);
  for (std::uint64_t v : rejected_) w.varint(v);
  w.varint(repeat_buyers_);
  w.varint(paying_buyers_);
  w.varint(mix_.consulted);
  w.varint(mix_.silent);
  w.varint(mix_.consulted_with_amount);
  w.varint(mix_.silent_with_amount);
  w.svarint(mix_.consulted_amount.minor());
  w.svarint(mix_.silent_amount.minor());
  w.varint(inquiry_days_.size());
  for (const auto& [d, c] : inquiry_days_) {
    w.svarint(d);
    w.varint(c.inquired);
    w.varint(c.same_day);
    w.varint(c.ordered);
  }
  w.varint(payment_days_.size());
  for (const auto& [d, c] : payment_days_) {
    w.svarint(d);
    for (std::uint64_t v : {c.ordering_buyers, c.paying_buyers, c.orders, c.paid_orders, c.late_paid_orders,
                            c.cancelled_orders, c.expired_orders})
      w.varint(v);
    w.svarint(c.paid_amount);
  }
  for (std::size_t r = 0; r < attribution_rule_count; ++r) {
    w.varint(rules_[r].consulted);
    w.varint(rules_[r].silent);
    w.varint(rules_[r].unassigned);
    w.svarint(rules_[r].consulted_revenue);
    w.varint(agents_[r].size());
    agents_[r].for_each_sorted([&](const Agent& a, const agent_credit& c) {
      key_serde<Agent>::write(w, a);
      detail::orders_write_credit(w, c);
    });
  }
  w.varint(scripts_.size());
  for (const auto& [s, c] : scripts_) {
    key_serde<Script>::write(w, s);
    w.varint(c.sent);
    w.varint(c.reminded);
    w.varint(c.succeeded);
    w.svarint(c.recovered);
  }
  w.varint(losses_.size());
  losses_.for_each_sorted([&](const Agent& a, const std::array<std::uint64_t, loss_reason_count>& c) {
    key_serde<Agent>::write(w, a);
    for (std::uint64_t v : c) w.varint(v);
  });
  w.varint(agent_days_.size());
  agent_days_.for_each_sorted([&](const agent_day& k, const detail::orders_agent_day& c) {
    w.svarint(k.first);
    w.u8(k.second ? 1 : 0);
    if (k.second) key_serde<Agent>::write(w, *k.second);
    const agent_conversion& v = c.conversion;
    for (std::uint64_t n : {v.inquired, v.same_day, v.ordered, v.placed, v.placed_paid}) w.varint(n);
    for (const agent_credit& credit : c.credit) detail::orders_write_credit(w, credit);
  });
  // Tracking tables, sorted so equal states give equal bytes.
  detail::orders_write_sorted(w, buyers_, &buyer_entry::buyer, [&](const buyer_entry& b) {
    key_serde<Shop>::write(w, b.shop);
    key_serde<Buyer>::write(w, b.buyer);
    w.svarint(b.base_day);
    w.u8(b.inquired);
    w.u8(b.converted);
    w.u8(b.ordered);
    w.u8(b.paid);
    for (int k = 0; k < 2; ++k) {
      w.u8(b.age[k]);
      if (b.age[k] != detail::orders_no_age) key_serde<Agent>::write(w, b.agent[k]);
    }
    w.u8(b.paid_orders);
    w.u8(b.awaiting);
  });
  detail::orders_write_sorted(w, orders_, &order_entry::order, [&](const order_entry& e) {
    key_serde<Shop>::write(w, e.shop);
    key_serde<Order>::write(w, e.order);
    key_serde<Buyer>::write(w, e.buyer);
    w.u16(e.flags);
    w.svarint(e.t_order);
    if (e.flags & detail::of_paid) {
      w.svarint(e.t_paid);
      w.svarint(e.paid);
      w.svarint(e.refunded);
    }
    if (e.flags & detail::of_reminded) {
      w.svarint(e.t_reminded);
      key_serde<Script>::write(w, e.script);
    }
    if (e.flags & detail::of_has_amount) w.svarint(e.amount);
    if (e.flags & detail::of_agent_order) key_serde<Agent>::write(w, e.agent_order);
    if (e.flags & detail::of_assist_order) key_serde<Agent>::write(w, e.assist_order);
    if (e.flags & detail::of_agent_pay) key_serde<Agent>::write(w, e.agent_pay);
    if (e.flags & detail::of_assist_pay) key_serde<Agent>::write(w, e.assist_pay);
  });
  w.varint(held_.size());
  for (const auto& [k, h] : held_) {
    key_serde<Shop>::write(w, k.first);
    key_serde<Order>::write(w, k.second);
    w.svarint(h.t);
    w.svarint(h.amount);
    w.u8(h.buyer ? 1 : 0);
    if (h.buyer) key_serde<Buyer>::write(w, *h.buyer);
  }
  detail::orders_write_sorted(w, credits_, detail::orders_inquiry_key_less<Shop, Buyer, Agent>, [&](const credit_entry& c) {
    key_serde<Shop>::write(w, c.shop);
    key_serde<Buyer>::write(w, c.buyer);
    w.svarint(c.day);
    w.u8(c.state);
    w.u8(c.flags);
    w.svarint(c.first_t);
    if (c.state != detail::ocs_waiting) key_serde<Agent>::write(w, c.agent);
  });
}

template <class Buyer, class Order, class Agent, class Shop, class Script>
basic_orders<Buyer, Order, Agent, Shop, Script> basic_orders<Buyer, Order, Agent, Shop, Script>::deserialize_from(
    detail::reader& r) {
  using detail::key_serde;
  const std::uint8_t version = r.header(detail::type_id::orders, "orders", format_version);
  orders_config cfg;
  const std::int64_t off = r.svarint();
  r.check(off >= -18 * 60 && off <= 18 * 60, "utc offset in [-18:00, +18:00]");
  cfg.offset = utc_offset(std::chrono::minutes{off});
  cfg.attribution_days = r.u8();
  r.check(cfg.attribution_days <= 7, "attribution_days in [0, 7]");
  const std::uint64_t pw = r.varint();
  r.check(pw > 0 && pw <= std::uint64_t{168} * 3600 * 1000000, "payment_window in (0, 168 h]");
  cfg.payment_window = duration{static_cast<std::int64_t>(pw)};
  const std::uint64_t rd = r.varint();
  r.check(rd <= 3650, "refund_days in [0, 3650]");
  cfg.refund_days = static_cast<int>(rd);
  cfg.max_held_payments = r.varint();
  r.check(cfg.max_held_payments <= (std::uint64_t{1} << 24), "max_held_payments in [0, 2^24]");
  if (version >= 2) {
    const std::uint64_t cw = r.varint();
    r.check(cw > 0 && cw <= std::uint64_t{168} * 3600 * 1000000, "credit_wait in (0, 168 h]");
    cfg.credit_wait = duration{static_cast<std::int64_t>(cw)};
  }
  basic_orders out(cfg);
  out.watermark_ = r.svarint();
  for (std::uint64_t* v : {&out.visits_, &out.refunds_, &out.disputes_, &out.disputed_orders_, &out.orphaned_})
    *v = r.varint();
  r.check(out.disputed_orders_ <= out.disputes_, "disputed orders <= disputes");
  out.orphaned_amount_ = r.svarint();
  r.check(out.orphaned_amount_ >= 0, "orphaned amount >= 0");
  out.refunded_ = money::from_minor(r.svarint());
  r.check(out.refunded_.minor() >= 0, "refunded >= 0");
  out.revenue_ = r.svarint();
  for (auto& v : out.rejected_) v = r.varint();
  out.repeat_buyers_ = r.varint();
  out.paying_buyers_ = r.varint();
  r.check(out.repeat_buyers_ <= out.paying_buyers_, "repeat buyers <= paying buyers");
  out.mix_.consulted = r.varint();
  out.mix_.silent = r.varint();
  out.mix_.consulted_with_amount = r.varint();
  out.mix_.silent_with_amount = r.varint();
  out.mix_.consulted_amount = money::from_minor(r.svarint());
  out.mix_.silent_amount = money::from_minor(r.svarint());
  r.check(out.mix_.consulted_with_amount <= out.mix_.consulted && out.mix_.silent_with_amount <= out.mix_.silent,
          "orders with amount <= orders");
  {
    std::size_t n = r.count(4, "inquiry days");
    std::int64_t prev = std::numeric_limits<std::int64_t>::min();
    for (std::size_t i = 0; i < n; ++i) {
      const day_number d = detail::orders_read_day(r, prev, "inquiry days strictly increasing");
      detail::orders_inquiry_counts c;
      c.inquired = r.varint();
      c.same_day = r.varint();
      c.ordered = r.varint();
      r.check(c.same_day <= c.ordered && c.ordered <= c.inquired, "same_day <= ordered <= inquired");
      out.inquiry_days_.emplace_hint(out.inquiry_days_.end(), d, c);
    }
  }
  {
    std::size_t n = r.count(9, "payment days");
    std::int64_t prev = std::numeric_limits<std::int64_t>::min();
    for (std::size_t i = 0; i < n; ++i) {
      const day_number d = detail::orders_read_day(r, prev, "payment days strictly increasing");
      payment_counts c;
      for (std::uint64_t* v : {&c.ordering_buyers, &c.paying_buyers, &c.orders, &c.paid_orders, &c.late_paid_orders,
                               &c.cancelled_orders, &c.expired_orders})
        *v = r.varint();
      c.paid_amount = r.svarint();
      r.check(c.paying_buyers <= c.ordering_buyers && c.ordering_buyers <= c.orders, "paying <= ordering <= orders");
      // Sum in 128 bits' worth of care: each term <= orders already bounds it.
      r.check(c.paid_orders <= c.orders && c.cancelled_orders <= c.orders - c.paid_orders &&
                  c.expired_orders <= c.orders - c.paid_orders - c.cancelled_orders &&
                  c.late_paid_orders <= c.expired_orders,
              "paid + cancelled + expired <= orders, late paid <= expired");
      r.check(c.paying_buyers <= c.paid_orders, "paying buyers <= paid orders");
      r.check(c.paid_amount >= 0, "paid amount >= 0");
      out.payment_days_.emplace_hint(out.payment_days_.end(), d, c);
    }
  }
  for (std::size_t ru = 0; ru < attribution_rule_count; ++ru) {
    auto& rc = out.rules_[ru];
    rc.consulted = r.varint();
    rc.silent = r.varint();
    rc.unassigned = r.varint();
    rc.consulted_revenue = r.svarint();
    r.check(rc.unassigned <= rc.consulted, "unassigned <= consulted");
    std::size_t n = r.count(4, "agents");
    std::optional<Agent> prev;
    for (std::size_t i = 0; i < n; ++i) {
      Agent a = key_serde<Agent>::read(r);
      r.check(!prev || *prev < a, "agents strictly increasing");
      out.agents_[ru][a] = detail::orders_read_credit(r);
      prev = std::move(a);
    }
  }
  {
    std::size_t n = r.count(5, "scripts");
    for (std::size_t i = 0; i < n; ++i) {
      Script s = key_serde<Script>::read(r);
      r.check(out.scripts_.empty() || out.scripts_.rbegin()->first < s, "scripts strictly increasing");
      script_counts c;
      c.sent = r.varint();
      c.reminded = r.varint();
      c.succeeded = r.varint();
      c.recovered = r.svarint();
      r.check(c.succeeded <= c.reminded && c.reminded <= c.sent, "succeeded <= reminded <= sent");
      r.check(c.recovered >= 0, "recovered >= 0");
      out.scripts_.emplace_hint(out.scripts_.end(), std::move(s), c);
    }
  }
  {
    std::size_t n = r.count(8, "loss agents");
    std::optional<Agent> prev;
    for (std::size_t i = 0; i < n; ++i) {
      Agent a = key_serde<Agent>::read(r);
      r.check(!prev || *prev < a, "loss agents strictly increasing");
      for (auto& v : out.losses_[a]) v = r.varint();
      prev = std::move(a);
    }
  }
  if (version >= 2) {
    std::size_t n = r.count(16, "agent days");
    std::optional<agent_day> prev;
    for (std::size_t i = 0; i < n; ++i) {
      agent_day k;
      k.first = detail::orders_read_day(r, "agent day in range");
      const std::uint8_t has = r.u8();
      r.check(has <= 1, "agent day's agent flag is 0 or 1");
      if (has) k.second = key_serde<Agent>::read(r);
      r.check(!prev || *prev < k, "agent days strictly increasing");
      prev = k;
      detail::orders_agent_day row;
      agent_conversion& c = row.conversion;
      for (std::uint64_t* v : {&c.inquired, &c.same_day, &c.ordered, &c.placed, &c.placed_paid}) *v = r.varint();
      r.check(c.same_day <= c.ordered && c.ordered <= c.inquired && c.placed_paid <= c.placed,
              "same_day <= ordered <= inquired, placed_paid <= placed");
      for (agent_credit& credit : row.credit) credit = detail::orders_read_credit(r);
      r.check(k.second || row.credit == decltype(row.credit){}, "credit only for an agent");
      out.agent_days_[std::move(k)] = row;
    }
  }
  detail::orders_read_sorted(r, out.buyers_, 10, "buyers", [&](const buyer_entry* prev) {
    buyer_entry b;
    b.shop = key_serde<Shop>::read(r);
    b.buyer = key_serde<Buyer>::read(r);
    r.check(!prev || detail::orders_key_less(*prev, b, &buyer_entry::buyer), "buyers strictly increasing");
    b.base_day = detail::orders_read_day(r, "base day in range");
    b.inquired = r.u8();
    b.converted = r.u8();
    b.ordered = r.u8();
    b.paid = r.u8();
    r.check((b.converted & ~b.inquired) == 0, "converted within inquired");
    r.check((b.paid & ~b.ordered) == 0, "paid within ordered");
    for (int k = 0; k < 2; ++k) {
      b.age[k] = r.u8();
      if (b.age[k] != detail::orders_no_age) b.agent[k] = key_serde<Agent>::read(r);
    }
    r.check(b.age[0] != detail::orders_no_age || b.age[1] == detail::orders_no_age, "empty agent slots last");
    r.check(b.age[1] == detail::orders_no_age || (b.age[0] <= b.age[1] && !(b.agent[0] == b.agent[1])),
            "agent slots ordered and distinct");
    b.paid_orders = r.u8();
    r.check(b.paid_orders <= 2, "paid_orders <= 2");
    if (version >= 2) {
      b.awaiting = r.u8();
      r.check((b.awaiting & ~b.inquired) == 0, "awaiting within inquired");
    }
    return b;
  });
  detail::orders_read_sorted(r, out.orders_, 6, "orders", [&](const order_entry* prev) {
    order_entry e;
    e.shop = key_serde<Shop>::read(r);
    e.order = key_serde<Order>::read(r);
    r.check(!prev || detail::orders_key_less(*prev, e, &order_entry::order), "orders strictly increasing");
    e.buyer = key_serde<Buyer>::read(r);
    r.check(out.buyers_.find(bkey(e.shop, e.buyer)) != nullptr, "order's buyer tracked");
    e.flags = r.u16();
    const std::uint16_t f = e.flags;
    r.check((f & ~detail::of_all) == 0, "known order flags");
    r.check(!((f & detail::of_paid) && (f & detail::of_cancelled)), "not both paid and cancelled");
    const std::uint16_t pay_only =
        detail::of_consulted_pay | detail::of_agent_pay | detail::of_assist_pay | detail::of_late;
    r.check((f & detail::of_paid) || !(f & pay_only), "payment credit only when paid");
    r.check(!(f & detail::of_agent_order) || (f & detail::of_consulted_order), "order credit only when consulted");
    r.check(!(f & detail::of_assist_order) || (f & detail::of_agent_order), "order assist only with a credit");
    r.check(!(f & detail::of_agent_pay) || (f & detail::of_consulted_pay), "payment credit only when consulted");
    r.check(!(f & detail::of_assist_pay) || (f & detail::of_agent_pay), "payment assist only with a credit");
    r.check(!(f & detail::of_explicit_agent) || (f & detail::of_agent_order), "explicit agent credited");
    r.check(!(f & detail::of_disputed) || (f & detail::of_paid), "disputed only when paid");
    e.t_order = r.svarint();
    if (f & detail::of_paid) {
      e.t_paid = r.svarint();
      e.paid = r.svarint();
      e.refunded = r.svarint();
      r.check(e.paid >= 0 && e.refunded >= 0 && e.refunded <= e.paid, "0 <= refunded <= paid");
    }
    if (f & detail::of_reminded) {
      e.t_reminded = r.svarint();
      e.script = key_serde<Script>::read(r);
    }
    if (f & detail::of_has_amount) {
      e.amount = r.svarint();
      r.check(e.amount >= 0, "order amount >= 0");
    }
    if (f & detail::of_agent_order) e.agent_order = key_serde<Agent>::read(r);
    if (f & detail::of_assist_order) e.assist_order = key_serde<Agent>::read(r);
    if (f & detail::of_agent_pay) e.agent_pay = key_serde<Agent>::read(r);
    if (f & detail::of_assist_pay) e.assist_pay = key_serde<Agent>::read(r);
    return e;
  });
  {
    std::size_t n = r.count(5, "held payments");
    r.check(n <= cfg.max_held_payments, "held payments <= max_held_payments");
    for (std::size_t i = 0; i < n; ++i) {
      key_pair k;
      k.first = key_serde<Shop>::read(r);
      k.second = key_serde<Order>::read(r);
      r.check(out.held_.empty() || out.held_.rbegin()->first < k, "held payments strictly increasing");
      detail::orders_held<Buyer> h;
      h.t = r.svarint();
      h.amount = r.svarint();
      r.check(h.amount >= 0, "held amount >= 0");
      const std::uint8_t has = r.u8();
      r.check(has <= 1, "held buyer flag is 0 or 1");
      if (has) h.buyer = key_serde<Buyer>::read(r);
      r.check(out.orders_.find(okey(k.first, k.second)) == nullptr, "held payment's order not tracked");
      out.held_by_time_.emplace(h.t, k);
      out.held_.emplace_hint(out.held_.end(), std::move(k), std::move(h));
    }
  }
  if (version >= 2)
    detail::orders_read_sorted(r, out.credits_, 6, "inquiry credits", [&](const credit_entry* prev) {
      credit_entry c;
      c.shop = key_serde<Shop>::read(r);
      c.buyer = key_serde<Buyer>::read(r);
      c.day = detail::orders_read_day(r, "credit day in range");
      r.check(!prev || detail::orders_inquiry_key_less(*prev, c), "inquiry credits strictly increasing");
      r.check(out.buyers_.find(bkey(c.shop, c.buyer)) != nullptr, "credit's buyer tracked");
      c.state = r.u8();
      r.check(c.state <= detail::ocs_credited, "known credit state");
      c.flags = r.u8();
      r.check((c.flags & ~(detail::ocf_ordered | detail::ocf_same_day)) == 0 &&
                  (c.state != detail::ocs_credited || c.flags == 0) &&
                  (!(c.flags & detail::ocf_same_day) || (c.flags & detail::ocf_ordered)),
              "credit flags only while waiting, same day only when ordered");
      c.first_t = r.svarint();
      if (c.state != detail::ocs_waiting) c.agent = key_serde<Agent>::read(r);
      return c;
    });
  out.rebuild_expiry();
  return out;
}

}  // namespace csmetrics

#endif  // CSMETRICS_ORDERS_ORDERS_IMPL_HPP_
