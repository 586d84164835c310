// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/sales/sales.hpp
//
// Sales = traffic × conversion × average order value (销售额 = 流量 × 转化率 ×
// 客单价), kept exactly per shop, channel, agent and local day, and explained:
//
//   - basic_sales / sales: the accumulator. Fed visits, inquiries, orders
//     (with or without an amount, consulted or silent, credited to an agent or
//     not) and refunds; answers a sales_snapshot for any shop / channel /
//     agent / consulted-or-silent selection and any local day, ISO week, month
//     or day range. Distinct visitors and buyers are exact (sets per day,
//     unioned over the period).
//   - sales_snapshot: visits, distinct visitors, paying buyers, orders,
//     orders without amount, revenue; conversion, aov_per_order,
//     aov_per_paying_buyer and the identity's factors as exact fractions.
//   - decompose_change: Δrevenue split exactly into traffic, conversion and
//     AOV parts (Shapley; why not LMDI: sales_decompose.hpp).
//   - mix_decompose: a conversion change split into mix (group shares moved)
//     and rate (groups converted differently); conversion_groups() gives the
//     consulted / silent groups.
//   - attainment: actual / target exactly; exact_ratio::percent rounds once,
//     half-up by default (half-even on request), from the exact fraction.
//
// Money is exact end to end: amounts are csmetrics::money (int64 cents),
// sums are money_sum, ratios are exact_ratio; no double on the path from an
// amount to revenue, AOV, a decomposition part or a percentage string.
#ifndef CSMETRICS_SALES_SALES_HPP_
#define CSMETRICS_SALES_SALES_HPP_

#include <array>        // std::array (the masks of count_union)
#include <cstddef>      // std::size_t
#include <cstdint>      // fixed-width integers
#include <map>          // std::map (mix groups)
#include <optional>     // std::optional
#include <stdexcept>    // std::invalid_argument
#include <string>       // std::string, std::to_string
#include <vector>       // std::vector (serialized bytes)

#include "csmetrics/core/checked.hpp"
#include "csmetrics/sales/sales_day.hpp"
#include "csmetrics/sales/sales_decompose.hpp"
#include "csmetrics/sales/sales_exact.hpp"
#include "csmetrics/sales/sales_shop.hpp"
#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/error.hpp"
#include "csmetrics/core/keyed.hpp"
#include "csmetrics/core/money.hpp"
#include "csmetrics/core/time.hpp"

namespace csmetrics {

/// A closed range of local days: one day, an ISO week, a month, or any range.
struct sales_period {
  day_number first = 0;
  day_number last = 0;

  /// One local day.
  static sales_period day(day_number d) { return {d, d}; }
  /// The ISO week (Monday .. Sunday) that contains day `d`.
  static sales_period iso_week(day_number d) {
    const int weekday = ((static_cast<int>(d) + 3) % 7 + 7) % 7;  // 1970-01-01 was a Thursday; Monday = 0
    return {d - weekday, d - weekday + 6};
  }
  /// The calendar month `month` (1..12) of `year`. Throws std::invalid_argument on a bad month.
  static sales_period month(int year, unsigned month) {
    if (month < 1 || month > 12)
      CSMETRICS_THROW(std::invalid_argument("sales_period::month: month must be in [1, 12]: " + std::to_string(month)));
    const auto first = static_cast<day_number>(days_from_civil(year, month, 1));
    return {first, static_cast<day_number>(first + static_cast<day_number>(days_in_month(year, month)) - 1)};
  }
  /// The calendar month that contains day `d`.
  static sales_period month_of(day_number d) {
    civil_date c = civil_from_days(d);
    return month(c.year, c.month);
  }
  /// Days first..last. Throws std::invalid_argument when last < first.
  static sales_period range(day_number first, day_number last) {
    if (last < first)
      CSMETRICS_THROW(std::invalid_argument("sales_period::range: last must be >= first: " + std::to_string(first) +
                                            " > " + std::to_string(last)));
    return {first, last};
  }
  bool contains(day_number d) const { return first <= d && d <= last; }
  std::int64_t days() const { return static_cast<std::int64_t>(last) - first + 1; }
};

/// Why an event was not folded in.
enum class sales_reject : std::uint8_t {
  negative_amount = 0,     ///< an order with an amount < 0
  duplicate_order = 1,     ///< an order id the shop already counted
  non_positive_refund = 2, ///< a refund of 0 or less
};
inline constexpr std::size_t sales_reject_count = 3;

/// A group of buyers for mix_decompose.
enum class sales_group : std::uint8_t { silent = 0, consulted = 1 };

/// Which orders a query selects.
enum class sales_orders_filter : std::uint8_t { all = 0, silent = 1, consulted = 2 };

/// Revenue, buyers and AOV of consulted vs silent orders (the traffic is the
/// selection's, in both), and the CS sales share.
struct sales_split {
  sales_snapshot consulted;
  sales_snapshot silent;
  /// consulted revenue / (consulted + silent revenue) (客服销售占比); empty when there is no revenue.
  std::optional<exact_ratio> cs_sales_share() const {
    money total = consulted.revenue + silent.revenue;
    if (total == money{}) return std::nullopt;
    return exact_ratio(consulted.revenue.minor(), total.minor());
  }
};

/**
 * The sales family's accumulator: traffic, buyers, orders and exact revenue
 * per shop × channel × agent × consulted/silent × local day, from which any
 * selection and period is answered exactly.
 *
 *     csmetrics::sales s;                                     // UTC+8 days; integer ids
 *     s.visit(shop, visitor, t);                              // traffic (channel optional)
 *     s.inquiry(shop, buyer, t);                              // the buyer chatted with CS
 *     s.order(shop, buyer, order_id, csmetrics::money::parse("149.90"),
 *             true, agent, t);                                 // consulted; a paid order (see order())
 *     auto q = s.query_for(csmetrics::sales_period::month(2019, 1));
 *     csmetrics::sales_snapshot jan = s.snapshot(q);
 *     jan.conversion()->percent(2);                           // paying buyers / distinct visitors
 *     jan.aov_per_paying_buyer();                             // exact, in cents
 *     s.consulted_split(q).cs_sales_share()->percent(2);      // "79.42"
 *     csmetrics::decompose_change(dec, jan);                  // traffic / conversion / AOV parts
 *
 * Which orders to feed: the ones that count as sales. On Taobao-style shops
 * that is paid orders (支付买家数, 支付金额): the driver that also feeds the
 * orders family (which tracks placed -> paid) calls order() when the payment
 * arrives, with the order's buyer, agent and consulted flag from the order
 * event and the paid amount; an order whose amount is unknown (traffic logs)
 * passes std::nullopt and counts in conversion but not in revenue or AOV. So
 * there is no separate payment() verb: one call per sale keeps this family
 * free of an order table and its merge exact.
 *
 * Traffic: the identity and conversion use distinct visitors by default
 * (traffic_basis::visitors, as shop dashboards do); visits on request. A
 * visit has no agent and no consulted flag, so a query filtered by agent or
 * by consulted/silent keeps the shop/channel traffic: its conversion is that
 * group's contribution to the shop's conversion.
 *
 * Rejected and counted, never folded in: negative amounts, an order id the
 * shop already counted (dedup per shop within one accumulator; merging
 * assumes the parts saw different orders, i.e. shard by shop or by order),
 * refunds <= 0.
 *
 * Merge: exact (counts add, money sums add, people sets union). Serialized
 * form: type id 64, version 1 (layout beside serialize_to). Complexity: O(1)
 * expected per event; memory O(distinct (shop, channel, day, person) +
 * orders ids); snapshot() O(people and entries in the selection).
 * Thread-safety: none inside; one writer (shard and merge for more).
 */
template <class Shop = std::uint64_t, class Person = std::uint64_t, class Order = std::uint64_t,
          class Agent = std::uint64_t, class Channel = std::uint32_t>
class basic_sales {
 public:
  using shop_type = Shop;
  using person_type = Person;
  using order_type = Order;
  using agent_type = Agent;
  using channel_type = Channel;
  static constexpr std::uint8_t format_version = 1;

  /// A selection and a period. Unset filters select everything.
  struct query {
    std::optional<Shop> shop;
    std::optional<Channel> channel;
    std::optional<Agent> agent;  ///< orders credited to this agent (traffic is not filtered)
    sales_orders_filter orders = sales_orders_filter::all;
    sales_period period;
  };

  /// Local days start at 00:00 at `offset` (default UTC+8).
  explicit basic_sales(utc_offset offset = {}) : offset_(offset) {}

  // --- events ---------------------------------------------------------------

  /// A visit to the shop (traffic). `channel` defaults to Channel{} (0 / "").
  void visit(const Shop& shop, const Person& visitor, timestamp t, const Channel& channel = Channel{}) {
    day(shop, channel, t).visit(visitor);
  }
  /// The person chatted with customer service (made them "consulted"; used by
  /// conversion_groups). Does not count as traffic.
  void inquiry(const Shop& shop, const Person& buyer, timestamp t, const Channel& channel = Channel{}) {
    day(shop, channel, t).inquiry(buyer);
  }
  /// A sale (see the class comment: on Taobao, a paid order). `amount`
  /// empty = unknown. `consulted`: the buyer talked to CS before ordering
  /// (询单下单) rather than ordering silently (静默下单). Returns false when
  /// rejected (negative amount, order id already counted for this shop).
  bool order(const Shop& shop, const Person& buyer, const Order& order_id, std::optional<money> amount,
             bool consulted, std::optional<Agent> agent, timestamp t, const Channel& channel = Channel{}) {
    if (amount && *amount < money{}) return reject(sales_reject::negative_amount);
    auto& seen = orders_seen_[shop];
    if (seen.contains(order_id)) return reject(sales_reject::duplicate_order);
    detail::sales_day<Person, Agent>& d = day(shop, channel, t);
    d.orders_of(agent ? &*agent : nullptr).add(buyer, amount ? &*amount : nullptr, consulted);
    seen.add(order_id, 1);
    return true;
  }
  /// Money returned after payment, on the refund's local day. Kept beside
  /// revenue (net_revenue in snapshots without agent/consulted filters); the
  /// identity explains gross sales. Returns false when amount <= 0.
  bool refund(const Shop& shop, const Order& order_id, money amount, timestamp t,
              const Channel& channel = Channel{}) {
    (void)order_id;  // not needed to aggregate; part of the event for drivers and future dedup
    if (amount <= money{}) return reject(sales_reject::non_positive_refund);
    day(shop, channel, t).refund(amount);
    return true;
  }

  // --- reports --------------------------------------------------------------

  utc_offset offset() const { return offset_; }
  /// The local day of `t` at this accumulator's offset.
  day_number day_of(timestamp t) const { return local_day(t, offset_); }
  /// A query over every shop, channel and agent for `period`.
  query query_for(sales_period period) const {
    query q;
    q.period = period;
    return q;
  }

  /// The counts of a selection and period.
  sales_snapshot snapshot(const query& q) const {
    sales_snapshot s;
    std::vector<const detail::sales_id_set<Person>*> visitors, buyers;  // counted as unions at the end
    const std::uint8_t g_mask = group_mask(q.orders);
    const bool whole = !q.agent && q.orders == sales_orders_filter::all;
    for_each_day(q, [&](const detail::sales_day<Person, Agent>& d) {
      s.visits = detail::checked_add(s.visits, d.visits());
      if (!d.people().empty()) visitors.push_back(&d.people());
      auto take = [&](const detail::sales_orders<Person>& o) {
        for (int g = 0; g < 2; ++g) {
          if (!(g_mask & (1 << g))) continue;
          s.orders = detail::checked_add(s.orders, o.orders(g));
          s.orders_without_amount =
              detail::checked_add(s.orders_without_amount, o.orders(g) - o.revenue(g).count());
          s.revenue += o.revenue(g).sum();
        }
        if (!o.buyers().empty()) buyers.push_back(&o.buyers());
      };
      if (q.agent) {
        if (const auto* o = d.by_agent().find(*q.agent)) take(*o);
      } else {
        take(d.no_agent());
        d.by_agent().for_each([&](const Agent&, const detail::sales_orders<Person>& o) { take(o); });
      }
      if (whole) {
        s.refunds += d.refunds().sum();
        s.refund_count = detail::checked_add(s.refund_count, d.refunds().count());
      }
    });
    s.visitors = detail::count_union(visitors, std::array<std::uint8_t, 1>{detail::sales_visited})[0];
    const std::uint8_t bought = buyer_bits(g_mask);
    const auto [paying, with_amount] = detail::count_union(
        buyers, std::array<std::uint8_t, 2>{
                    static_cast<std::uint8_t>(bought & (detail::sales_bought_silent | detail::sales_bought_consulted)),
                    static_cast<std::uint8_t>(bought & (detail::sales_amount_silent | detail::sales_amount_consulted))});
    s.paying_buyers = paying;
    s.buyers_with_amount = with_amount;
    return s;
  }
  /// snapshot() of the consulted and of the silent orders of a selection.
  sales_split consulted_split(query q) const {
    sales_split out;
    q.orders = sales_orders_filter::consulted;
    out.consulted = snapshot(q);
    q.orders = sales_orders_filter::silent;
    out.silent = snapshot(q);
    return out;
  }
  /// The people of a selection grouped consulted (inquired, or ordered after
  /// consulting) vs silent, each as buyers / people: the input of
  /// mix_decompose for "did conversion move because more visitors consulted,
  /// or because each group converted differently?". People = distinct
  /// visitors ∪ inquirers ∪ buyers (agent and orders filters are ignored).
  std::map<sales_group, mix_group> conversion_groups(query q) const {
    q.agent.reset();
    q.orders = sales_orders_filter::all;
    detail::sales_id_set<Person> people;
    for_each_day(q, [&](const detail::sales_day<Person, Agent>& d) {
      people.merge(d.people());
      people.merge(d.no_agent().buyers());
      d.by_agent().for_each([&](const Agent&, const detail::sales_orders<Person>& o) { people.merge(o.buyers()); });
    });
    std::uint64_t trials[2] = {0, 0}, buyers[2] = {0, 0};
    people.for_each([&](const Person&, std::uint8_t b) {
      const int g = (b & (detail::sales_inquired | detail::sales_bought_consulted)) ? 1 : 0;
      ++trials[g];
      if (b & (detail::sales_bought_silent | detail::sales_bought_consulted)) ++buyers[g];
    });
    std::map<sales_group, mix_group> out;
    out[sales_group::silent] = mix_group{exact_ratio::of_count(buyers[0]), exact_ratio::of_count(trials[0])};
    out[sales_group::consulted] = mix_group{exact_ratio::of_count(buyers[1]), exact_ratio::of_count(trials[1])};
    return out;
  }

  /// Events rejected for `why`.
  std::uint64_t rejected(sales_reject why) const { return rejected_[static_cast<std::size_t>(why)]; }
  /// The reason of the latest rejection (valid after one; not part of the state).
  sales_reject last_reject() const { return last_reject_; }
  std::uint64_t rejected_total() const {
    std::uint64_t n = 0;
    for (std::uint64_t r : rejected_) n += r;
    return n;
  }
  /// Shops seen.
  std::size_t shops() const { return cells_.size(); }
  /// Calls f(shop) for every shop with a cell (any order).
  template <class F>
  void for_each_shop(F f) const {
    cells_.for_each([&](const Shop& shop, const shop_cells&) { f(shop); });
  }

  // --- the common verbs -----------------------------------------------------

  /// The state of both streams. Throws std::invalid_argument when the UTC
  /// offsets differ (their days do not line up). All or nothing: merged into
  /// a copy that replaces *this at the end, so if a sum would overflow *this
  /// is unchanged.
  void merge(const basic_sales& o) {
    check_offset(o);
    basic_sales out = *this, theirs = o;  // the nested tables then move, not copy level by level
    out.merge(std::move(theirs));
    *this = std::move(out);
  }
  /// The same, taking `o`'s state without the copy (for a caller that drops
  /// *this on failure, as sharded_metrics does): shops, channels and days
  /// this side lacks move over whole; if a sum would overflow, *this is valid
  /// but partly merged. `o` is left valid but unspecified.
  void merge(basic_sales&& o) {
    if (&o == this) return merge(static_cast<const basic_sales&>(o));
    check_offset(o);
    cells_.merge(std::move(o.cells_));
    orders_seen_.merge(std::move(o.orders_seen_));
    for (std::size_t i = 0; i < sales_reject_count; ++i) rejected_[i] = detail::checked_add(rejected_[i], o.rejected_[i]);
  }
  /// Empty state, same offset.
  void reset() { *this = basic_sales(offset_); }

  // Serialized form (type id 64, version 1):
  //   header      "CS" | 64 | 1 | 0
  //   svarint     UTC offset in minutes (-1080..1080)
  //   3 varints   rejected: negative_amount, duplicate_order, non_positive_refund
  //   keyed<Shop, keyed<Channel, keyed<day_number, sales_day>>>   (keyed's form, keys sorted;
  //                                                                  detail::sales_shop writes its part)
  //     sales_day (type 65): varint visits | people (type 67) | orders without agent (type 66) |
  //                          keyed<Agent, sales_orders> | refunds (money_sum)
  //     sales_orders (type 66): 2 x (varint orders, money_sum revenue) [silent, consulted] | buyers (type 67)
  //     sales_id_set (type 67): varint n | n x (key, u8 flags), keys increasing
  //   keyed<Shop, sales_id_set<Order>>   order ids counted per shop (for duplicate rejection)
  void serialize_to(detail::writer& w) const {
    w.header(detail::type_id::sales, format_version);
    w.svarint(offset_.minutes().count());
    for (std::uint64_t r : rejected_) w.varint(r);
    cells_.serialize_to(w);
    orders_seen_.serialize_to(w);
  }
  static basic_sales deserialize_from(detail::reader& r) {
    r.header(detail::type_id::sales, "sales", format_version);
    const std::int64_t minutes = r.svarint();
    r.check(minutes >= -18 * 60 && minutes <= 18 * 60, "utc offset within [-18:00, +18:00]");
    basic_sales s(utc_offset(std::chrono::minutes{minutes}));
    for (auto& x : s.rejected_) x = r.varint();
    s.cells_ = shops_table::deserialize_from(r);
    s.orders_seen_ = keyed<Shop, detail::sales_id_set<Order>>::deserialize_from(r);
    r.check(s.orders_seen_.prototype() == detail::sales_id_set<Order>{} && s.cells_.prototype() == shop_cells{},
            "empty prototypes");
    bool ok = true;
    s.orders_seen_.for_each([&](const Shop& shop, const detail::sales_id_set<Order>& ids) {
      std::uint64_t orders = 0;
      if (const shop_cells* cells = s.cells_.find(shop))
        cells->for_each([&](day_number, const Channel&, const detail::sales_day<Person, Agent>& d) {
          orders += d.no_agent().orders(0) + d.no_agent().orders(1);
          d.by_agent().for_each([&](const Agent&, const detail::sales_orders<Person>& o) {
            orders += o.orders(0) + o.orders(1);
          });
        });
      if (ids.size() > orders || ids.empty()) ok = false;
      ids.for_each([&](const Order&, std::uint8_t b) { ok = ok && b == 1; });
    });
    r.check(ok, "each shop's counted order ids are non-empty, flagged 1 and no more than its orders");
    return s;
  }
  std::vector<std::uint8_t> serialize() const { return detail::serialize(*this); }
  static basic_sales deserialize(const void* data, std::size_t size) {
    return detail::deserialize<basic_sales>(data, size);
  }

  friend bool operator==(const basic_sales& a, const basic_sales& b) {
    if (a.offset_ != b.offset_ || !(a.cells_ == b.cells_) || !(a.orders_seen_ == b.orders_seen_)) return false;
    for (std::size_t i = 0; i < sales_reject_count; ++i)
      if (a.rejected_[i] != b.rejected_[i]) return false;
    return true;
  }
  friend bool operator!=(const basic_sales& a, const basic_sales& b) { return !(a == b); }

 private:
  void check_offset(const basic_sales& o) const {
    if (o.offset_ != offset_)
      CSMETRICS_THROW(std::invalid_argument("csmetrics::sales::merge: utc offsets differ: " +
                                            std::to_string(offset_.minutes().count()) + " vs " +
                                            std::to_string(o.offset_.minutes().count()) + " minutes"));
  }
  using shop_cells = detail::sales_shop<Person, Agent, Channel>;  // its (day, channel) cells
  using shops_table = keyed<Shop, shop_cells>;

  bool reject(sales_reject why) {
    last_reject_ = why;
    auto& r = rejected_[static_cast<std::size_t>(why)];
    r = detail::checked_add(r, std::uint64_t{1});
    return false;
  }
  detail::sales_day<Person, Agent>& day(const Shop& shop, const Channel& channel, timestamp t) {
    return cells_[shop].at(channel, local_day(t, offset_));
  }
  static std::uint8_t group_mask(sales_orders_filter f) {
    return f == sales_orders_filter::all ? 3 : f == sales_orders_filter::silent ? 1 : 2;
  }
  static std::uint8_t buyer_bits(std::uint8_t g_mask) {
    std::uint8_t b = 0;
    if (g_mask & 1) b |= detail::sales_bought_silent | detail::sales_amount_silent;
    if (g_mask & 2) b |= detail::sales_bought_consulted | detail::sales_amount_consulted;
    return b;
  }
  template <class F>
  void for_each_day(const query& q, F f) const {
    const Channel* channel = q.channel ? &*q.channel : nullptr;
    if (q.shop) {
      if (const shop_cells* cells = cells_.find(*q.shop)) cells->for_each_in(q.period.first, q.period.last, channel, f);
    } else {
      cells_.for_each([&](const Shop&, const shop_cells& cells) {
        cells.for_each_in(q.period.first, q.period.last, channel, f);
      });
    }
  }

  utc_offset offset_;
  shops_table cells_;
  keyed<Shop, detail::sales_id_set<Order>> orders_seen_;
  std::uint64_t rejected_[sales_reject_count] = {0, 0, 0};
  sales_reject last_reject_{};
};

/// Integer ids everywhere (shop, person, order, agent: uint64; channel: uint32).
using sales = basic_sales<>;
/// Text ids everywhere, as in the CSV event log.
using string_sales = basic_sales<std::string, std::string, std::string, std::string, std::string>;

}  // namespace csmetrics

#endif  // CSMETRICS_SALES_SALES_HPP_
