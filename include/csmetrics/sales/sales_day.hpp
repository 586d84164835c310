// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/sales/sales_day.hpp
//
// The per-(shop, channel, local day) state of the sales accumulator
// (sales.hpp): traffic, the people seen, and the orders per agent split into
// silent and consulted. Everything here merges exactly; people are kept as
// exact sets (a keyed table of person -> flag bits, OR-merged), so distinct
// visitors and buyers of a week or a month are the size of a union of days.
//
// Flag bits of a person (one byte, shared by every set so unions are ORs):
//   0x01 visited            0x02 inquired (consulted before buying, or chatted)
//   0x04 bought silently    0x08 bought after consulting
//   0x10 silent order with a known amount     0x20 consulted order with a known amount
#ifndef CSMETRICS_SALES_SALES_DAY_HPP_
#define CSMETRICS_SALES_SALES_DAY_HPP_

#include <algorithm>    // std::max, std::max_element
#include <array>        // std::array (count_union's masks)
#include <cstddef>      // std::size_t
#include <cstdint>      // fixed-width integers
#include <memory>       // std::unique_ptr (a day's orders part)
#include <utility>      // std::move
#include <vector>       // std::vector (serialized bytes)

#include "csmetrics/core/checked.hpp"
#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/keyed.hpp"
#include "csmetrics/core/money.hpp"

namespace csmetrics {
namespace detail {

// Type ids of the sales family's nested states (range 64..79; 64 is `sales`).
inline constexpr type_id sales_day_type = static_cast<type_id>(65);
inline constexpr type_id sales_orders_type = static_cast<type_id>(66);
inline constexpr type_id sales_id_set_type = static_cast<type_id>(67);

enum sales_person_flag : std::uint8_t {
  sales_visited = 0x01,
  sales_inquired = 0x02,
  sales_bought_silent = 0x04,
  sales_bought_consulted = 0x08,
  sales_amount_silent = 0x10,
  sales_amount_consulted = 0x20,
  sales_all_flags = 0x3f,
};

/// One person's (or order id's) flag bits; OR-merged. keyed's value type.
struct sales_flags {
  std::uint8_t bits = 0;
  static constexpr bool merge_never_throws = true;
  void merge(const sales_flags& o) { bits = static_cast<std::uint8_t>(bits | o.bits); }
  bool merges_cleanly(const sales_flags&) const { return true; }
  friend bool operator==(const sales_flags& a, const sales_flags& b) { return a.bits == b.bits; }
  friend bool operator!=(const sales_flags& a, const sales_flags& b) { return a.bits != b.bits; }
};

/// An exact set of ids with flag bits per id. Serialized compactly (the key
/// then one flag byte), keys strictly increasing.
template <class Id>
class sales_id_set {
 public:
  /// Sets `bits` on `id`; true when `id` is new.
  bool add(const Id& id, std::uint8_t bits) {
    std::size_t before = table_.size();
    sales_flags& f = table_[id];
    f.bits = static_cast<std::uint8_t>(f.bits | bits);
    return table_.size() != before;
  }
  bool contains(const Id& id) const { return table_.find(id) != nullptr; }
  /// True when `id` is here with any of `mask` set.
  bool has_any(const Id& id, std::uint8_t mask) const {
    const sales_flags* f = table_.find(id);
    return f && (f->bits & mask) != 0;
  }
  std::size_t size() const { return table_.size(); }
  bool empty() const { return table_.size() == 0; }
  /// Ids with any of `mask` set.
  std::uint64_t count_any(std::uint8_t mask) const {
    std::uint64_t n = 0;
    table_.for_each([&](const Id&, const sales_flags& f) { n += (f.bits & mask) != 0; });
    return n;
  }
  /// ORs `o`'s ids into this, keeping only the bits in `mask`.
  void merge(const sales_id_set& o, std::uint8_t mask = 0xff) {
    table_.reserve(std::max(table_.size(), o.table_.size()));  // see keyed::merge: else quadratic
    o.table_.for_each([&](const Id& id, const sales_flags& f) {
      std::uint8_t b = static_cast<std::uint8_t>(f.bits & mask);
      if (b) add(id, b);
    });
  }
  template <class F>
  void for_each(F f) const {
    table_.for_each([&](const Id& id, const sales_flags& fl) { f(id, fl.bits); });
  }
  void reset() { table_.reset(); }

  // Layout: header (type 67, v1) | varint n | n x (key, u8 flags), keys increasing.
  void serialize_to(writer& w) const {
    w.header(sales_id_set_type, 1);
    w.varint(table_.size());
    table_.for_each_sorted([&](const Id& id, const sales_flags& f) {
      key_serde<Id>::write(w, id);
      w.u8(f.bits);
    });
  }
  /// `allowed`: the flag bits a valid state may hold.
  static sales_id_set deserialize_from(reader& r, std::uint8_t allowed = 0xff) {
    r.header(sales_id_set_type, "sales_id_set", 1);
    sales_id_set s;
    const std::size_t n = r.count(2, "ids");
    s.table_.reserve(n);
    Id previous{};
    for (std::size_t i = 0; i < n; ++i) {
      Id id = key_serde<Id>::read(r);
      r.check(i == 0 || previous < id, "ids strictly increasing");
      std::uint8_t bits = r.u8();
      r.check(bits != 0 && (bits & ~allowed) == 0, "id flags non-zero and known");
      s.table_[id].bits = bits;
      previous = std::move(id);
    }
    return s;
  }
  friend bool operator==(const sales_id_set& a, const sales_id_set& b) { return a.table_ == b.table_; }
  friend bool operator!=(const sales_id_set& a, const sales_id_set& b) { return !(a == b); }

 private:
  keyed<Id, sales_flags> table_;
};

/// For each mask of `masks`: the ids that have one of its bits in at least
/// one of `sets`. The largest set is counted where it is and only the others
/// are gathered (and only their ids with a bit of `any`, the masks' union):
/// a large shop's day holds millions of visitors, and a day or a week with
/// one busy day costs no copy of it.
template <class Id, std::size_t N>
std::array<std::uint64_t, N> count_union(const std::vector<const sales_id_set<Id>*>& sets,
                                         const std::array<std::uint8_t, N>& masks) {
  std::array<std::uint64_t, N> n{};
  if (sets.empty()) return n;
  const auto largest =
      *std::max_element(sets.begin(), sets.end(), [](const auto* a, const auto* b) { return a->size() < b->size(); });
  largest->for_each([&](const Id&, std::uint8_t bits) {  // one pass for every mask
    for (std::size_t m = 0; m < N; ++m) n[m] += (bits & masks[m]) != 0;
  });
  if (sets.size() == 1) return n;
  std::uint8_t any = 0;
  for (const std::uint8_t m : masks) any = static_cast<std::uint8_t>(any | m);
  sales_id_set<Id> rest;
  for (const auto* s : sets)
    if (s != largest) rest.merge(*s, any);
  rest.for_each([&](const Id& id, std::uint8_t bits) {
    for (std::size_t m = 0; m < N; ++m) n[m] += (bits & masks[m]) != 0 && !largest->has_any(id, masks[m]);
  });
  return n;
}

/// Orders of one (shop, channel, day, agent): silent [0] and consulted [1].
template <class Person>
class sales_orders {
 public:
  void add(const Person& buyer, const money* amount, bool consulted) {
    const int g = consulted ? 1 : 0;
    orders_[g] = checked_add(orders_[g], std::uint64_t{1});
    std::uint8_t bits = consulted ? sales_bought_consulted : sales_bought_silent;
    if (amount) {
      revenue_[g].add(*amount);
      bits = static_cast<std::uint8_t>(bits | (consulted ? sales_amount_consulted : sales_amount_silent));
    }
    buyers_.add(buyer, bits);
  }
  std::uint64_t orders(int g) const { return orders_[g]; }
  const money_sum& revenue(int g) const { return revenue_[g]; }
  const sales_id_set<Person>& buyers() const { return buyers_; }

  void merge(const sales_orders& o) {
    for (int g = 0; g < 2; ++g) {
      orders_[g] = checked_add(orders_[g], o.orders_[g]);
      revenue_[g].merge(o.revenue_[g]);
    }
    buyers_.merge(o.buyers_);
  }
  // Layout: header (type 66, v1) | 2 x (varint orders, money_sum) | buyers (sales_id_set).
  void serialize_to(writer& w) const {
    w.header(sales_orders_type, 1);
    for (int g = 0; g < 2; ++g) {
      w.varint(orders_[g]);
      revenue_[g].serialize_to(w);
    }
    buyers_.serialize_to(w);
  }
  static sales_orders deserialize_from(reader& r) {
    r.header(sales_orders_type, "sales_orders", 1);
    sales_orders s;
    for (int g = 0; g < 2; ++g) {
      s.orders_[g] = r.varint();
      s.revenue_[g] = money_sum::deserialize_from(r);
      r.check(s.revenue_[g].count() <= s.orders_[g], "orders with an amount <= orders");
      r.check(s.revenue_[g].sum() >= money{}, "revenue >= 0");
    }
    s.buyers_ = sales_id_set<Person>::deserialize_from(
        r, sales_bought_silent | sales_bought_consulted | sales_amount_silent | sales_amount_consulted);
    const std::uint64_t bought[2] = {s.buyers_.count_any(sales_bought_silent),
                                     s.buyers_.count_any(sales_bought_consulted)};
    const std::uint64_t with_amount[2] = {s.buyers_.count_any(sales_amount_silent),
                                          s.buyers_.count_any(sales_amount_consulted)};
    for (int g = 0; g < 2; ++g) {
      r.check(bought[g] <= s.orders_[g] && (s.orders_[g] == 0) == (bought[g] == 0),
              "buyers <= orders, and buyers exist exactly when orders do");
      r.check(with_amount[g] <= s.revenue_[g].count() && (with_amount[g] == 0) == (s.revenue_[g].count() == 0),
              "buyers with an amount <= orders with an amount, both zero together");
    }
    bool flags_consistent = true;
    s.buyers_.for_each([&](const Person&, std::uint8_t b) {
      if ((b & sales_amount_silent) && !(b & sales_bought_silent)) flags_consistent = false;
      if ((b & sales_amount_consulted) && !(b & sales_bought_consulted)) flags_consistent = false;
    });
    r.check(flags_consistent, "a buyer with an amount bought");
    return s;
  }
  friend bool operator==(const sales_orders& a, const sales_orders& b) {
    return a.orders_[0] == b.orders_[0] && a.orders_[1] == b.orders_[1] && a.revenue_[0] == b.revenue_[0] &&
           a.revenue_[1] == b.revenue_[1] && a.buyers_ == b.buyers_;
  }
  friend bool operator!=(const sales_orders& a, const sales_orders& b) { return !(a == b); }

 private:
  std::uint64_t orders_[2] = {0, 0};
  money_sum revenue_[2];  // count = orders with a known amount
  sales_id_set<Person> buyers_;
};

/// Everything one (shop, channel) saw on one local day. The orders part
/// (orders with and without an agent, refunds) is held apart and made at the
/// day's first order or refund: a day of visits alone, such as the days of
/// a marketplace's many small shops, takes 72 bytes, not 240.
template <class Person, class Agent>
class sales_day {
 public:
  sales_day() = default;
  sales_day(const sales_day& o)
      : visits_(o.visits_), people_(o.people_), orders_(o.orders_ ? std::make_unique<orders_part>(*o.orders_) : nullptr) {}
  sales_day(sales_day&&) noexcept = default;
  sales_day& operator=(const sales_day& o) {
    if (this != &o) *this = sales_day(o);
    return *this;
  }
  sales_day& operator=(sales_day&&) noexcept = default;

  void visit(const Person& p) {
    visits_ = checked_add(visits_, std::uint64_t{1});
    people_.add(p, sales_visited);
  }
  void inquiry(const Person& p) { people_.add(p, sales_inquired); }
  sales_orders<Person>& orders_of(const Agent* agent) {
    orders_part& o = own_orders();
    return agent ? o.by_agent[*agent] : o.no_agent;
  }
  void refund(money amount) { own_orders().refunds.add(amount); }

  std::uint64_t visits() const { return visits_; }
  const sales_id_set<Person>& people() const { return people_; }
  const sales_orders<Person>& no_agent() const { return orders().no_agent; }
  const keyed<Agent, sales_orders<Person>>& by_agent() const { return orders().by_agent; }
  const money_sum& refunds() const { return orders().refunds; }

  void merge(const sales_day& o) {
    visits_ = checked_add(visits_, o.visits_);
    people_.merge(o.people_);
    if (!o.orders_) return;
    orders_part& mine = own_orders();
    mine.no_agent.merge(o.orders_->no_agent);
    mine.by_agent.merge(o.orders_->by_agent);
    mine.refunds.merge(o.orders_->refunds);
  }
  // Layout: header (type 65, v1) | varint visits | people (sales_id_set) |
  //         orders without agent (sales_orders) | keyed<Agent, sales_orders> | refunds (money_sum).
  void serialize_to(writer& w) const {
    w.header(sales_day_type, 1);
    w.varint(visits_);
    people_.serialize_to(w);
    no_agent().serialize_to(w);
    by_agent().serialize_to(w);
    refunds().serialize_to(w);
  }
  static sales_day deserialize_from(reader& r) {
    r.header(sales_day_type, "sales_day", 1);
    sales_day d;
    d.visits_ = r.varint();
    d.people_ = sales_id_set<Person>::deserialize_from(r, sales_visited | sales_inquired);
    const std::uint64_t visitors = d.people_.count_any(sales_visited);
    r.check(visitors <= d.visits_ && (visitors == 0) == (d.visits_ == 0),
            "distinct visitors <= visits, both zero together");
    orders_part o;
    o.no_agent = sales_orders<Person>::deserialize_from(r);
    o.by_agent = keyed<Agent, sales_orders<Person>>::deserialize_from(r);
    r.check(o.by_agent.prototype() == sales_orders<Person>{}, "empty agent prototype");
    bool agents_nonempty = true;
    o.by_agent.for_each([&](const Agent&, const sales_orders<Person>& x) {
      if (x.orders(0) == 0 && x.orders(1) == 0) agents_nonempty = false;
    });
    r.check(agents_nonempty, "every agent entry has orders");
    o.refunds = money_sum::deserialize_from(r);
    r.check(o.refunds.sum() >= money{} && (o.refunds.count() == 0 || o.refunds.sum() > money{}),
            "refunds are positive");
    if (!(o.no_agent == sales_orders<Person>{}) || o.by_agent.size() != 0 || o.refunds.count() != 0)
      d.orders_ = std::make_unique<orders_part>(std::move(o));
    return d;
  }
  /// Equal figures (whether or not an empty orders part was made).
  friend bool operator==(const sales_day& a, const sales_day& b) {
    return a.visits_ == b.visits_ && a.people_ == b.people_ && a.no_agent() == b.no_agent() &&
           a.by_agent() == b.by_agent() && a.refunds() == b.refunds();
  }
  friend bool operator!=(const sales_day& a, const sales_day& b) { return !(a == b); }

 private:
  struct orders_part {
    orders_part() {}  // (user-provided: a const one needs no initializer)
    sales_orders<Person> no_agent;
    keyed<Agent, sales_orders<Person>> by_agent;
    money_sum refunds;
  };
  const orders_part& orders() const {
    static const orders_part none;
    return orders_ ? *orders_ : none;
  }
  orders_part& own_orders() {
    if (!orders_) orders_ = std::make_unique<orders_part>();
    return *orders_;
  }

  std::uint64_t visits_ = 0;
  sales_id_set<Person> people_;          // visited / inquired
  std::unique_ptr<orders_part> orders_;  // none until the day's first order or refund
};

}  // namespace detail
}  // namespace csmetrics

#endif  // CSMETRICS_SALES_SALES_DAY_HPP_
