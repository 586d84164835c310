// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/orders/orders.hpp
//
// The orders family: which inquiries turned into orders and payments, and
// whose work it was (METRICS.md, "Orders").
//
//   询单转化率 inquiry conversion   distinct buyers who ordered / distinct buyers
//                                  who inquired, per local day of the inquiry,
//                                  same-day and final (attribution window);
//   下单付款转化率 payment conversion distinct buyers who paid / distinct buyers
//                                  who ordered, per local day of the order;
//   attribution                    consulted (询单下单) vs silent (静默下单)
//                                  orders, the credited agent and assists,
//                                  under three rules side by side;
//   客服销售占比 CS sales share      consulted paid revenue / all paid revenue,
//                                  refunds deducted, per rule;
//   催付 payment reminders          per script success rate + recovered money;
//   loss reasons per agent; 复购率 repeat purchase rate; duplicates, late and
//   orphaned events counted, never folded in.
//
// Definitions (every window is a parameter of orders_config):
//
// * Days are the shop's local days (utc_offset, default UTC+8).
// * An inquiry on local day d CONVERTS when the same (shop, buyer) places an
//   order later in the stream on local day d .. d + attribution_days. The
//   inquiry cohort of day d counts the distinct buyers who inquired on d
//   (`inquired`), those converted on d itself (`same_day`) and those converted
//   at all (`ordered`, the final figure); lost = inquired - ordered. A buyer
//   who inquires on two days counts in both cohorts. A cohort is provisional
//   until the stream's watermark (latest event or advance() time) has reached
//   local day d + attribution_days + 1.
// * Payment cohort of day d: distinct buyers who ordered on d
//   (`ordering_buyers`) and those of them with an order of day d paid within
//   `payment_window` of its order time (`paying_buyers`). A payment after the
//   window is late: revenue, not conversion. Unpaid orders are cancelled
//   (cancel event) or expire when advance() passes their window: both losses.
//   Provisional until the watermark passes the start of day d+1 +
//   payment_window.
// * An order is CONSULTED at an instant when its buyer inquired on a local day
//   in [day - attribution_days, day] (an inquiry seen before that instant in
//   the stream), or when the order event names its agent (that agent is then
//   credited under every rule). Otherwise it is SILENT. The credited agent is
//   the last agent who replied to the buyer (agent_reply, or a reminder that
//   names its agent) on a day in the same window before that instant;
//   a consulted order with no such reply is credited to nobody
//   ("unassigned"). The other remembered agent in the window gets an ASSIST.
//   Per buyer the two most recent distinct agents are remembered (the
//   48-byte budget), so an order gives at most one assist.
// * The three attribution rules differ in the instant:
//     credit_on_order   (下单归属)  the order's instant;
//     credit_on_payment (付款归属)  the payment's instant (an agent who
//                                   reminded the buyer to pay can win it);
//     order_first       (下单优先)  credit_on_order if the order was
//                                   consulted then, else credit_on_payment.
//   Every rule counts PAID orders and their paid revenue, net of refunds;
//   cs_sales_share = consulted revenue / all revenue of that rule.
//   Separately, order_mix() classifies all PLACED orders at order time.
// * Reminders: an unpaid order's first reminder assigns it to that script
//   (one script per order, as in an A/B test); success = paid within the
//   payment window after the reminder; recovered = the amounts paid.
// * Repeat purchase: buyers with >= 2 paid orders / buyers with >= 1, over
//   everything the accumulator saw (use one accumulator per period).
// * Duplicates: a second order / payment / cancel for an order id still
//   tracked is ignored and counted. A payment for an unknown order id is held
//   (at most max_held_payments; beyond that the oldest is orphaned) until its
//   order arrives, or orphaned when advance() passes its time +
//   payment_window. An unpaid order EXPIRES when its payment window passes
//   (a cancel or reminder after that is an unknown order; a payment is late:
//   revenue, not conversion). Orders are tracked until refund_days after
//   payment (paid), after expiry (unpaid) or their window (cancelled); a
//   later event for them is an unknown order. All of this is decided from
//   event times, so results never depend on when advance() runs; advance()
//   only frees memory and moves the watermark.
//
// Memory: one 32-byte entry per tracked (shop, buyer) for integer ids (ids
// u64 buyer, u32 shop, u32 agent), plus the index: at most 43.5 bytes per
// tracked buyer, ~40 on average (tests/orders_test.cpp asserts <= 48).
// Buyer entries are kept for the accumulator's life (repeat purchase needs
// them); order entries (~100 bytes) only while an order is open.
//
// Mergeable: shard the stream by (shop, buyer) – payments, cancels, refunds
// and reminders go to the shard of their order's buyer – and a.merge(b)
// equals one pass (counters add, tracking tables unite). Merging states that
// share buyers is allowed but not exact: a shared buyer's cohorts count in
// both.
#ifndef CSMETRICS_ORDERS_ORDERS_HPP_
#define CSMETRICS_ORDERS_ORDERS_HPP_

#include <algorithm>    // std::sort, std::min, std::max
#include <array>        // std::array (per-reason counters)
#include <chrono>       // std::chrono::hours
#include <cstddef>      // std::size_t
#include <cstdint>      // fixed-width integers
#include <functional>   // std::greater
#include <limits>       // std::numeric_limits
#include <map>          // std::map (per-day, per-agent, per-script tables)
#include <optional>     // std::optional
#include <queue>        // std::priority_queue (expiry deadlines)
#include <set>          // std::set (held payments by age)
#include <stdexcept>    // std::invalid_argument
#include <string>       // std::string, std::to_string
#include <string_view>  // std::string_view
#include <utility>      // std::pair, std::move
#include <vector>       // std::vector

#include "csmetrics/core/checked.hpp"
#include "csmetrics/orders/orders_table.hpp"
#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/error.hpp"
#include "csmetrics/core/money.hpp"
#include "csmetrics/core/rate.hpp"
#include "csmetrics/core/time.hpp"

namespace csmetrics {

/// Why an inquiry was lost (EVENTS.md `lost` tags).
enum class loss_reason : std::uint8_t { price, response_time, product_knowledge, attitude, logistics, after_sales, other };
inline constexpr std::size_t loss_reason_count = 7;

/// "price", "response_time", ...
inline std::string_view to_string(loss_reason r) {
  constexpr std::string_view names[] = {"price",     "response_time", "product_knowledge", "attitude",
                                        "logistics", "after_sales",   "other"};
  return names[static_cast<std::size_t>(r)];
}
/// The reason named by an EVENTS.md tag, or empty.
inline std::optional<loss_reason> parse_loss_reason(std::string_view s) {
  for (std::size_t i = 0; i < loss_reason_count; ++i)
    if (to_string(static_cast<loss_reason>(i)) == s) return static_cast<loss_reason>(i);
  return std::nullopt;
}

/// Which instant fixes an order's credited agent (see the file comment).
enum class attribution_rule : std::uint8_t { credit_on_order, credit_on_payment, order_first };
inline constexpr std::size_t attribution_rule_count = 3;

/// Why an event was rejected (counted, never folded in).
enum class order_reject : std::uint8_t {
  negative_amount,        ///< amount < 0
  too_old,                ///< more than 7 local days before the buyer's latest event
  duplicate_order,        ///< order id already tracked
  duplicate_payment,      ///< order already paid, or a second held payment
  duplicate_cancel,       ///< order already cancelled
  unknown_order,          ///< cancel / refund / dispute / reminder for an untracked order
  cancelled_order,        ///< payment or reminder for a cancelled order
  already_paid,           ///< cancel or reminder after payment
  not_paid,               ///< refund or dispute of an unpaid order
  refund_exceeds_payment, ///< refunds would exceed the paid amount
  buyer_mismatch,         ///< payment names another buyer than its order
};
inline constexpr std::size_t order_reject_count = 11;

/// Parameters; each has its limits checked by validate().
struct orders_config {
  utc_offset offset{};                                       ///< the shop's local day
  int attribution_days = 3;                                  ///< [0, 7]: inquiry day .. + N
  duration payment_window = std::chrono::hours{72};          ///< (0, 7 days]
  int refund_days = 30;                                      ///< [0, 3650]: paid orders kept for refunds
  std::uint64_t max_held_payments = 10000;                   ///< [0, 2^24]: payments awaiting their order

  /// Throws std::invalid_argument naming the limits.
  void validate() const {
    if (attribution_days < 0 || attribution_days > 7)
      CSMETRICS_THROW(std::invalid_argument("attribution_days must be in [0, 7]: " + std::to_string(attribution_days)));
    if (payment_window <= duration::zero() || payment_window > std::chrono::hours{24 * 7})
      CSMETRICS_THROW(std::invalid_argument("payment_window must be in (0, 168 h]: " +
                                            std::to_string(payment_window.count()) + " us"));
    if (refund_days < 0 || refund_days > 3650)
      CSMETRICS_THROW(std::invalid_argument("refund_days must be in [0, 3650]: " + std::to_string(refund_days)));
    if (max_held_payments > (std::uint64_t{1} << 24))
      CSMETRICS_THROW(
          std::invalid_argument("max_held_payments must be in [0, 16777216]: " + std::to_string(max_held_payments)));
  }
  friend bool operator==(const orders_config& a, const orders_config& b) {
    return a.offset == b.offset && a.attribution_days == b.attribution_days && a.payment_window == b.payment_window &&
           a.refund_days == b.refund_days && a.max_held_payments == b.max_held_payments;
  }
  friend bool operator!=(const orders_config& a, const orders_config& b) { return !(a == b); }
};

/// Inquiry conversion of one inquiry day (or the total over days).
struct inquiry_cohort {
  day_number day = 0;            ///< local day; 0 in totals
  std::uint64_t inquired = 0;    ///< distinct buyers who inquired
  std::uint64_t same_day = 0;    ///< of them, ordered the same local day
  std::uint64_t ordered = 0;     ///< of them, ordered within the window (final)
  bool provisional = false;      ///< the window has not passed yet (totals: any day)

  std::uint64_t lost() const { return inquired - ordered; }
  rate_counter same_day_conversion() const { return rate_counter(same_day, inquired); }
  rate_counter final_conversion() const { return rate_counter(ordered, inquired); }
  friend bool operator==(const inquiry_cohort& a, const inquiry_cohort& b) {
    return a.day == b.day && a.inquired == b.inquired && a.same_day == b.same_day && a.ordered == b.ordered &&
           a.provisional == b.provisional;
  }
};

/// Payment conversion of one order day (or the total over days).
struct payment_cohort {
  day_number day = 0;                 ///< local day of the orders; 0 in totals
  std::uint64_t ordering_buyers = 0;  ///< distinct buyers who ordered that day
  std::uint64_t paying_buyers = 0;    ///< of them, paid an order of that day within the window
  std::uint64_t orders = 0;           ///< orders placed
  std::uint64_t paid_orders = 0;      ///< paid within the window
  std::uint64_t late_paid_orders = 0; ///< paid after the window
  std::uint64_t cancelled_orders = 0; ///< cancelled unpaid
  std::uint64_t expired_orders = 0;   ///< window passed unpaid (a late payment counts here and in late_paid_orders)
  money paid_amount{};                ///< paid within the window (gross of refunds)
  bool provisional = false;

  rate_counter conversion() const { return rate_counter(paying_buyers, ordering_buyers); }
  rate_counter order_conversion() const { return rate_counter(paid_orders, orders); }
  friend bool operator==(const payment_cohort& a, const payment_cohort& b) {
    return a.day == b.day && a.ordering_buyers == b.ordering_buyers && a.paying_buyers == b.paying_buyers &&
           a.orders == b.orders && a.paid_orders == b.paid_orders && a.late_paid_orders == b.late_paid_orders &&
           a.cancelled_orders == b.cancelled_orders && a.expired_orders == b.expired_orders &&
           a.paid_amount == b.paid_amount && a.provisional == b.provisional;
  }
};

/// One agent's credit under one rule.
struct agent_credit {
  std::uint64_t paid_orders = 0;  ///< paid orders credited
  money revenue{};                ///< their paid revenue, net of refunds
  std::uint64_t assists = 0;      ///< paid orders credited to someone else that this agent served
  friend bool operator==(const agent_credit& a, const agent_credit& b) {
    return a.paid_orders == b.paid_orders && a.revenue == b.revenue && a.assists == b.assists;
  }
  friend bool operator!=(const agent_credit& a, const agent_credit& b) { return !(a == b); }
};

/// Placed orders split at order time into consulted and silent (AOV of both).
struct order_mix {
  std::uint64_t consulted = 0, silent = 0;                            ///< orders placed
  std::uint64_t consulted_with_amount = 0, silent_with_amount = 0;    ///< of them, with a known amount
  money consulted_amount{}, silent_amount{};                          ///< sums of the known amounts
  friend bool operator==(const order_mix& a, const order_mix& b) {
    return a.consulted == b.consulted && a.silent == b.silent && a.consulted_with_amount == b.consulted_with_amount &&
           a.silent_with_amount == b.silent_with_amount && a.consulted_amount == b.consulted_amount &&
           a.silent_amount == b.silent_amount;
  }
};

/// Attribution under one rule.
template <class Agent>
struct attribution_report {
  attribution_rule rule{};
  std::uint64_t consulted_paid_orders = 0;   ///< including unassigned ones
  std::uint64_t silent_paid_orders = 0;
  std::uint64_t unassigned_paid_orders = 0;  ///< consulted, no agent replied in the window
  money consulted_revenue{};                 ///< net of refunds
  money total_revenue{};                     ///< all paid revenue, net of refunds
  std::map<Agent, agent_credit> agents;

  /// 客服销售占比: consulted / total revenue; empty when total <= 0.
  std::optional<double> cs_sales_share() const {
    if (total_revenue.minor() <= 0) return std::nullopt;
    return static_cast<double>(consulted_revenue.minor()) / static_cast<double>(total_revenue.minor());
  }
};

/// One reminder script's results.
struct script_report {
  std::uint64_t reminders_sent = 0;  ///< every reminder event with this script
  rate_counter success;              ///< paid within the window after the reminder / reminded orders
  money recovered{};                 ///< amounts of those payments
  friend bool operator==(const script_report& a, const script_report& b) {
    return a.reminders_sent == b.reminders_sent && a.success == b.success && a.recovered == b.recovered;
  }
  friend bool operator!=(const script_report& a, const script_report& b) { return !(a == b); }
};

namespace detail {

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
  std::uint8_t spare = 0;

  friend bool operator==(const orders_buyer& a, const orders_buyer& b) {
    return a.buyer == b.buyer && a.shop == b.shop && a.base_day == b.base_day && a.inquired == b.inquired &&
           a.converted == b.converted && a.ordered == b.ordered && a.paid == b.paid && a.agent[0] == b.agent[0] &&
           a.agent[1] == b.agent[1] && a.age[0] == b.age[0] && a.age[1] == b.age[1] &&
           a.paid_orders == b.paid_orders;
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
  static std::uint64_t hash(const entry& e) { return orders_pair_hash(e.shop, e.buyer); }
  static std::uint64_t hash_key(const orders_key_ref<Shop, Buyer>& k) { return orders_pair_hash(k.shop, k.id); }
  static bool equal(const entry& e, const orders_key_ref<Shop, Buyer>& k) { return e.buyer == k.id && e.shop == k.shop; }
};

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
  static std::uint64_t hash(const entry& e) { return orders_pair_hash(e.shop, e.order); }
  static std::uint64_t hash_key(const orders_key_ref<Shop, Order>& k) { return orders_pair_hash(k.shop, k.id); }
  static bool equal(const entry& e, const orders_key_ref<Shop, Order>& k) { return e.order == k.id && e.shop == k.shop; }
};

template <class Buyer>
struct orders_held {
  std::int64_t t = 0;       // us
  std::int64_t amount = 0;  // minor units
  std::optional<Buyer> buyer;
  friend bool operator==(const orders_held& a, const orders_held& b) {
    return a.t == b.t && a.amount == b.amount && a.buyer == b.buyer;
  }
};

struct orders_inquiry_counts {
  std::uint64_t inquired = 0, same_day = 0, ordered = 0;
  friend bool operator==(const orders_inquiry_counts& a, const orders_inquiry_counts& b) {
    return a.inquired == b.inquired && a.same_day == b.same_day && a.ordered == b.ordered;
  }
};

struct orders_rule_counts {
  std::uint64_t consulted = 0, silent = 0, unassigned = 0;
  std::int64_t consulted_revenue = 0;  // minor units, net
  friend bool operator==(const orders_rule_counts& a, const orders_rule_counts& b) {
    return a.consulted == b.consulted && a.silent == b.silent && a.unassigned == b.unassigned &&
           a.consulted_revenue == b.consulted_revenue;
  }
};

inline void orders_inc(std::uint64_t& c, std::uint64_t by = 1) { c = checked_add(c, by); }
inline void orders_add(std::int64_t& s, std::int64_t by) { s = checked_add(s, by); }
inline void orders_add(money& s, std::int64_t by) { s += money::from_minor(by); }

}  // namespace detail

/**
 * Inquiry → order → payment conversion, attribution, CS sales share,
 * reminders, loss reasons and repeat purchase for one event stream (any
 * number of shops; every figure is over all of them, each (shop, buyer) and
 * (shop, order) tracked separately). Definitions: see the file comment.
 *
 *     csmetrics::orders acc;                       // u64 buyer/order, u32 agent/shop/script
 *     acc.inquiry(shop, buyer, t0);
 *     acc.agent_reply(shop, buyer, agent, t0 + 30s);
 *     acc.order(shop, buyer, order_id, csmetrics::money::parse("149.90"), std::nullopt, t1);
 *     acc.payment(shop, order_id, csmetrics::money::parse("149.90"), buyer, t2);
 *     acc.advance(now);                            // expire orders, finalize cohorts
 *     acc.inquiry_total().final_conversion().rate();   // std::optional<double>
 *     acc.attribution(csmetrics::attribution_rule::order_first).cs_sales_share();
 *
 * Merge: shard by buyer (see the file comment); counters add, tables unite.
 * Complexity: O(1) expected per event; advance() O(k log n) for k expiring
 * orders. Serialized form: type id 48, version 1, the whole tracking state
 * included so a shard can resume. Thread-safety: none inside (one writer).
 */
template <class Buyer = std::uint64_t, class Order = std::uint64_t, class Agent = std::uint32_t,
          class Shop = std::uint32_t, class Script = std::uint32_t>
class basic_orders {
 public:
  using buyer_type = Buyer;
  using order_type = Order;
  using agent_type = Agent;
  using shop_type = Shop;
  using script_type = Script;
  static constexpr std::uint8_t format_version = 1;

  explicit basic_orders(orders_config config = {}) : config_(config) { config_.validate(); }

  // ---- events -------------------------------------------------------------
  // Each returns false when the event was rejected (and counted by reason).

  /// Traffic: counted only (visits()).
  void visit(const Shop&, const Buyer&, timestamp t) {
    see(t);
    detail::orders_inc(visits_);
  }

  /// A buyer's message to the shop: joins the inquiry cohort of its local day.
  bool inquiry(const Shop& shop, const Buyer& buyer, timestamp t) {
    see(t);
    const day_number d = local_day(t, config_.offset);
    buyer_entry& b = touch_buyer(shop, buyer, d);
    const int o = offset_of(b, d);
    if (o < 0) return reject(order_reject::too_old);
    const std::uint8_t bit = static_cast<std::uint8_t>(1u << o);
    if (!(b.inquired & bit)) {
      b.inquired |= bit;
      detail::orders_inc(inquiry_days_[d].inquired);
    }
    return true;
  }

  /// An agent's reply to the buyer: the buyer's most recent agent.
  bool agent_reply(const Shop& shop, const Buyer& buyer, const Agent& agent, timestamp t) {
    see(t);
    const day_number d = local_day(t, config_.offset);
    buyer_entry& b = touch_buyer(shop, buyer, d);
    const int o = offset_of(b, d);
    if (o < 0) return reject(order_reject::too_old);
    remember_agent(b, agent, static_cast<std::uint8_t>(o));
    return true;
  }

  /// An order placed. `amount` empty: counts for conversion, not revenue.
  /// `agent`: the agent the shop credits it to (consulted under every rule).
  bool order(const Shop& shop, const Buyer& buyer, const Order& id, std::optional<money> amount,
             const std::optional<Agent>& agent, timestamp t) {
    see(t);
    if (amount && amount->minor() < 0) return reject(order_reject::negative_amount);
    if (orders_.find(okey(shop, id))) {
      if (tracked(shop, id, t)) return reject(order_reject::duplicate_order);
      orders_.erase(okey(shop, id));  // past its tracking time: the id is reused, as after advance()
    }
    const day_number d = local_day(t, config_.offset);
    buyer_entry& b = touch_buyer(shop, buyer, d);
    const int o = offset_of(b, d);
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
    if (c.consulted) e.flags |= detail::of_consulted_order;
    if (c.agent) {
      e.flags |= detail::of_agent_order;
      e.agent_order = c.who;
    }
    if (c.assist) {
      e.flags |= detail::of_assist_order;
      e.assist_order = *c.assist;
    }
    if (c.consulted) {
      detail::orders_inc(mix_.consulted);
      if (amount) {
        detail::orders_inc(mix_.consulted_with_amount);
        mix_.consulted_amount += *amount;
      }
    } else {
      detail::orders_inc(mix_.silent);
      if (amount) {
        detail::orders_inc(mix_.silent_with_amount);
        mix_.silent_amount += *amount;
      }
    }
    order_entry& stored = orders_.insert_new(std::move(e));
    expiry_.push(deadline_item{stored.t_order + config_.payment_window.count(), shop, id});
    // A payment that arrived before its order.
    if (!held_.empty()) {
      auto h = held_.find(std::make_pair(shop, id));
      if (h != held_.end()) {
        detail::orders_held<Buyer> p = h->second;
        held_by_time_.erase(std::make_pair(p.t, h->first));
        held_.erase(h);
        if (p.t < stored.t_order - config_.payment_window.count()) {
          // Held longer than the window: orphaned, as advance() would have done.
          detail::orders_inc(orphaned_);
          detail::orders_add(orphaned_amount_, p.amount);
        } else {
          apply_payment(stored, money::from_minor(p.amount), p.buyer, timestamp{duration{p.t}});
        }
      }
    }
    return true;
  }

  /// The order was paid. A payment for an unknown order is held.
  bool payment(const Shop& shop, const Order& id, money amount, const std::optional<Buyer>& buyer, timestamp t) {
    see(t);
    if (amount.minor() < 0) return reject(order_reject::negative_amount);
    order_entry* e = tracked(shop, id, t);
    if (!e) return hold(shop, id, amount, buyer, t);
    return apply_payment(*e, amount, buyer, t);
  }

  /// The order was closed unpaid.
  bool cancel(const Shop& shop, const Order& id, timestamp t) {
    see(t);
    order_entry* e = tracked(shop, id, t);
    if (!e) return reject(order_reject::unknown_order);
    if (e->flags & detail::of_paid) return reject(order_reject::already_paid);
    if (e->flags & detail::of_cancelled) return reject(order_reject::duplicate_cancel);
    if (e->flags & detail::of_expired) return reject(order_reject::unknown_order);  // closed when its window passed
    e->flags |= detail::of_cancelled;
    detail::orders_inc(payment_days_[local_day(timestamp{duration{e->t_order}}, config_.offset)].cancelled_orders);
    return true;
  }

  /// Money returned after payment: deducted from revenue under every rule.
  bool refund(const Shop& shop, const Order& id, money amount, timestamp t) {
    see(t);
    if (amount.minor() < 0) return reject(order_reject::negative_amount);
    order_entry* e = tracked(shop, id, t);
    if (!e) return reject(order_reject::unknown_order);
    if (!(e->flags & detail::of_paid)) return reject(order_reject::not_paid);
    if (amount.minor() > e->paid - e->refunded) return reject(order_reject::refund_exceeds_payment);
    e->refunded += amount.minor();
    detail::orders_inc(refunds_);
    refunded_ += amount;
    book_revenue(*e, -amount.minor(), false);
    return true;
  }

  /// A dispute refund (纠纷退款) of a paid order: counted.
  bool dispute(const Shop& shop, const Order& id, timestamp t) {
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

  /// A payment reminder (催付) of an unpaid order with a script; an agent who
  /// sends it becomes the buyer's most recent agent.
  bool reminder(const Shop& shop, const Order& id, const Script& script, const std::optional<Agent>& agent,
                timestamp t) {
    see(t);
    order_entry* e = tracked(shop, id, t);
    if (!e) return reject(order_reject::unknown_order);
    if (e->flags & detail::of_paid) return reject(order_reject::already_paid);
    if (e->flags & detail::of_cancelled) return reject(order_reject::cancelled_order);
    if (e->flags & detail::of_expired) return reject(order_reject::unknown_order);  // closed when its window passed
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
      const int o = offset_of(b, d);
      if (o >= 0) remember_agent(b, *agent, static_cast<std::uint8_t>(o));
    }
    return true;
  }

  /// An inquiry recorded as lost, with its reason, tallied per agent.
  void lost(const Shop&, const Buyer&, const Agent& agent, loss_reason reason, timestamp t) {
    see(t);
    detail::orders_inc(losses_[agent][static_cast<std::size_t>(reason)]);
  }

  /// Time has reached `now`: unpaid orders past their window expire, paid
  /// orders past refund_days and cancelled orders are dropped, held payments
  /// past their window are orphaned; the watermark moves to `now`.
  void advance(timestamp now) {
    see(now);
    const std::int64_t n = now.time_since_epoch().count();
    while (!expiry_.empty() && expiry_.top().deadline < n) {
      deadline_item it = expiry_.top();
      expiry_.pop();
      order_entry* e = orders_.find(okey(it.shop, it.order));
      if (!e || deadline_of(*e) != it.deadline) continue;
      if (!(e->flags & (detail::of_paid | detail::of_cancelled | detail::of_expired))) {
        expire(*e);  // kept until a late payment can no longer come
        expiry_.push(deadline_item{deadline_of(*e), it.shop, it.order});
        continue;
      }
      orders_.erase(okey(it.shop, it.order));
    }
    const std::int64_t w = config_.payment_window.count();
    while (!held_by_time_.empty() && held_by_time_.begin()->first < n - w) orphan_oldest();
  }

  // ---- reports ------------------------------------------------------------

  /// Inquiry conversion per inquiry day, oldest first.
  std::vector<inquiry_cohort> inquiry_cohorts() const {
    std::vector<inquiry_cohort> out;
    for (const auto& [d, c] : inquiry_days_)
      out.push_back(inquiry_cohort{d, c.inquired, c.same_day, c.ordered, inquiry_provisional(d)});
    return out;
  }
  /// Sum over inquiry days (a buyer who inquired on two days counts twice).
  inquiry_cohort inquiry_total() const {
    inquiry_cohort t;
    for (const auto& c : inquiry_cohorts()) {
      t.inquired += c.inquired;
      t.same_day += c.same_day;
      t.ordered += c.ordered;
      t.provisional = t.provisional || c.provisional;
    }
    return t;
  }
  /// Payment conversion per order day, oldest first.
  std::vector<payment_cohort> payment_cohorts() const {
    std::vector<payment_cohort> out;
    for (const auto& [d, c] : payment_days_) {
      payment_cohort p;
      p.day = d;
      p.ordering_buyers = c.ordering_buyers;
      p.paying_buyers = c.paying_buyers;
      p.orders = c.orders;
      p.paid_orders = c.paid_orders;
      p.late_paid_orders = c.late_paid_orders;
      p.cancelled_orders = c.cancelled_orders;
      p.expired_orders = c.expired_orders;
      p.paid_amount = money::from_minor(c.paid_amount);
      p.provisional = payment_provisional(d);
      out.push_back(p);
    }
    return out;
  }
  /// Sum over order days.
  payment_cohort payment_total() const {
    payment_cohort t;
    for (const auto& c : payment_cohorts()) {
      t.ordering_buyers += c.ordering_buyers;
      t.paying_buyers += c.paying_buyers;
      t.orders += c.orders;
      t.paid_orders += c.paid_orders;
      t.late_paid_orders += c.late_paid_orders;
      t.cancelled_orders += c.cancelled_orders;
      t.expired_orders += c.expired_orders;
      t.paid_amount += c.paid_amount;
      t.provisional = t.provisional || c.provisional;
    }
    return t;
  }

  /// Paid orders, revenue and per-agent credit under `rule`.
  attribution_report<Agent> attribution(attribution_rule rule) const {
    const std::size_t r = static_cast<std::size_t>(rule);
    attribution_report<Agent> out;
    out.rule = rule;
    out.consulted_paid_orders = rules_[r].consulted;
    out.silent_paid_orders = rules_[r].silent;
    out.unassigned_paid_orders = rules_[r].unassigned;
    out.consulted_revenue = money::from_minor(rules_[r].consulted_revenue);
    out.total_revenue = money::from_minor(revenue_);
    out.agents = agents_[r];
    return out;
  }
  /// Placed orders, consulted vs silent at order time.
  const order_mix& placed_order_mix() const { return mix_; }

  /// Per reminder script.
  std::map<Script, script_report> reminders() const {
    std::map<Script, script_report> out;
    for (const auto& [s, c] : scripts_)
      out[s] = script_report{c.sent, rate_counter(c.succeeded, c.reminded), money::from_minor(c.recovered)};
    return out;
  }
  /// Script a's success rate minus script b's, with its interval and
  /// p-value (csmetrics::compare); empty when either has no reminded orders.
  std::optional<rate_comparison> compare_scripts(const Script& a, const Script& b, double confidence = 0.95) const {
    auto rep = reminders();
    auto ia = rep.find(a), ib = rep.find(b);
    if (ia == rep.end() || ib == rep.end()) return std::nullopt;
    return compare(ia->second.success, ib->second.success, confidence);
  }

  /// Lost inquiries per agent, indexed by loss_reason.
  const std::map<Agent, std::array<std::uint64_t, loss_reason_count>>& losses() const { return losses_; }
  /// Lost inquiries per reason over all agents.
  std::array<std::uint64_t, loss_reason_count> loss_totals() const {
    std::array<std::uint64_t, loss_reason_count> t{};
    for (const auto& [a, c] : losses_)
      for (std::size_t i = 0; i < loss_reason_count; ++i) t[i] = detail::checked_add(t[i], c[i]);
    return t;
  }

  /// 复购率: buyers with >= 2 paid orders (successes) / with >= 1 (trials).
  rate_counter repeat_purchase() const { return rate_counter(repeat_buyers_, paying_buyers_); }

  std::uint64_t visits() const { return visits_; }
  std::uint64_t refunds() const { return refunds_; }
  money refunded() const { return refunded_; }
  std::uint64_t disputes() const { return disputes_; }
  std::uint64_t disputed_orders() const { return disputed_orders_; }
  /// Payments whose order never arrived (count and amount).
  std::uint64_t orphaned_payments() const { return orphaned_; }
  money orphaned_amount() const { return money::from_minor(orphaned_amount_); }
  /// Payments waiting for their order now.
  std::size_t held_payments() const { return held_.size(); }
  std::uint64_t rejected(order_reject why) const { return rejected_[static_cast<std::size_t>(why)]; }
  std::uint64_t rejected_total() const {
    std::uint64_t t = 0;
    for (auto c : rejected_) t = detail::checked_add(t, c);
    return t;
  }
  std::size_t tracked_buyers() const { return buyers_.size(); }
  std::size_t tracked_orders() const { return orders_.size(); }
  /// Heap bytes of the per-buyer tracking table (see the file comment).
  std::size_t buyer_state_bytes() const { return buyers_.memory_bytes(); }
  /// Latest event or advance() time seen; empty before any.
  std::optional<timestamp> watermark() const {
    if (watermark_ == no_time) return std::nullopt;
    return timestamp{duration{watermark_}};
  }
  const orders_config& config() const { return config_; }

  // ---- merge, reset, serde, equality ------------------------------------

  /// The state of both streams (exact when they hold disjoint buyers).
  /// REQUIRES: the same config (std::invalid_argument otherwise).
  void merge(const basic_orders& other) {
    if (config_ != other.config_)
      CSMETRICS_THROW(std::invalid_argument("csmetrics::orders: merge needs the same orders_config"));
    if (this == &other) {
      basic_orders copy = other;
      merge(copy);
      return;
    }
    watermark_ = std::max(watermark_, other.watermark_);
    for (const auto& [d, c] : other.inquiry_days_) {
      auto& m = inquiry_days_[d];
      detail::orders_inc(m.inquired, c.inquired);
      detail::orders_inc(m.same_day, c.same_day);
      detail::orders_inc(m.ordered, c.ordered);
    }
    for (const auto& [d, c] : other.payment_days_) payment_days_[d].merge(c);
    for (std::size_t r = 0; r < attribution_rule_count; ++r) {
      detail::orders_inc(rules_[r].consulted, other.rules_[r].consulted);
      detail::orders_inc(rules_[r].silent, other.rules_[r].silent);
      detail::orders_inc(rules_[r].unassigned, other.rules_[r].unassigned);
      detail::orders_add(rules_[r].consulted_revenue, other.rules_[r].consulted_revenue);
      for (const auto& [a, c] : other.agents_[r]) {
        agent_credit& m = agents_[r][a];
        detail::orders_inc(m.paid_orders, c.paid_orders);
        m.revenue += c.revenue;
        detail::orders_inc(m.assists, c.assists);
      }
    }
    detail::orders_add(revenue_, other.revenue_);
    detail::orders_inc(mix_.consulted, other.mix_.consulted);
    detail::orders_inc(mix_.silent, other.mix_.silent);
    detail::orders_inc(mix_.consulted_with_amount, other.mix_.consulted_with_amount);
    detail::orders_inc(mix_.silent_with_amount, other.mix_.silent_with_amount);
    mix_.consulted_amount += other.mix_.consulted_amount;
    mix_.silent_amount += other.mix_.silent_amount;
    for (const auto& [s, c] : other.scripts_) scripts_[s].merge(c);
    for (const auto& [a, c] : other.losses_) {
      auto& m = losses_[a];
      for (std::size_t i = 0; i < loss_reason_count; ++i) detail::orders_inc(m[i], c[i]);
    }
    detail::orders_inc(repeat_buyers_, other.repeat_buyers_);
    detail::orders_inc(paying_buyers_, other.paying_buyers_);
    detail::orders_inc(visits_, other.visits_);
    detail::orders_inc(refunds_, other.refunds_);
    refunded_ += other.refunded_;
    detail::orders_inc(disputes_, other.disputes_);
    detail::orders_inc(disputed_orders_, other.disputed_orders_);
    detail::orders_inc(orphaned_, other.orphaned_);
    detail::orders_add(orphaned_amount_, other.orphaned_amount_);
    for (std::size_t i = 0; i < order_reject_count; ++i) detail::orders_inc(rejected_[i], other.rejected_[i]);
    // Tracking state.
    for (std::size_t i = 0; i < other.buyers_.size(); ++i) {
      const buyer_entry& ob = other.buyers_.at(i);
      auto [b, inserted] = buyers_.find_or_insert(bkey(ob.shop, ob.buyer), [&](buyer_entry& e) { e = ob; });
      if (!inserted) merge_buyer(*b, ob);
    }
    bool orders_changed = false;
    for (std::size_t i = 0; i < other.orders_.size(); ++i) {
      const order_entry& oe = other.orders_.at(i);
      auto [e, inserted] = orders_.find_or_insert(okey(oe.shop, oe.order), [&](order_entry& x) { x = oe; });
      if (inserted) {
        expiry_.push(deadline_item{deadline_of(*e), e->shop, e->order});
      } else if (order_less(oe, *e)) {
        *e = oe;  // the same order tracked by both: keep one deterministically
        orders_changed = true;
      }
    }
    if (orders_changed) rebuild_expiry();
    for (const auto& [k, h] : other.held_) {
      auto it = held_.find(k);
      if (it == held_.end()) {
        held_.emplace(k, h);
        held_by_time_.emplace(h.t, k);
      } else if (held_less(h, it->second)) {
        held_by_time_.erase(std::make_pair(it->second.t, k));
        it->second = h;
        held_by_time_.emplace(h.t, k);
      }
    }
    // A payment held on one side whose order the other side tracks.
    std::vector<key_pair> ready;
    for (const auto& [k, h] : held_)
      if (orders_.find(okey(k.first, k.second))) ready.push_back(k);
    for (const key_pair& k : ready) {
      auto h = held_.find(k);
      detail::orders_held<Buyer> p = h->second;
      held_by_time_.erase(std::make_pair(p.t, k));
      held_.erase(h);
      apply_payment(*orders_.find(okey(k.first, k.second)), money::from_minor(p.amount), p.buyer,
                    timestamp{duration{p.t}});
    }
    while (held_.size() > config_.max_held_payments) orphan_oldest();
  }

  /// Back to the empty state (same config).
  void reset() { *this = basic_orders(config_); }

  std::vector<std::uint8_t> serialize() const { return detail::serialize(*this); }
  /// Throws csmetrics::deserialize_error on truncated, corrupt or foreign bytes.
  static basic_orders deserialize(const void* data, std::size_t size) {
    return detail::deserialize<basic_orders>(data, size);
  }
  void serialize_to(detail::writer& w) const;
  static basic_orders deserialize_from(detail::reader& r);

  friend bool operator==(const basic_orders& a, const basic_orders& b) { return a.equals(b); }
  friend bool operator!=(const basic_orders& a, const basic_orders& b) { return !a.equals(b); }

 private:
  using buyer_entry = detail::orders_buyer<Shop, Buyer, Agent>;
  using order_entry = detail::orders_order<Shop, Order, Buyer, Agent, Script>;
  using buyer_table = detail::orders_table<buyer_entry, detail::orders_buyer_traits<Shop, Buyer, Agent>>;
  using order_table = detail::orders_table<order_entry, detail::orders_order_traits<Shop, Order, Buyer, Agent, Script>>;
  using key_pair = std::pair<Shop, Order>;
  static constexpr std::int64_t no_time = std::numeric_limits<std::int64_t>::min();

  struct payment_counts {
    std::uint64_t ordering_buyers = 0, paying_buyers = 0, orders = 0, paid_orders = 0, late_paid_orders = 0,
                  cancelled_orders = 0, expired_orders = 0;
    std::int64_t paid_amount = 0;
    void merge(const payment_counts& o) {
      detail::orders_inc(ordering_buyers, o.ordering_buyers);
      detail::orders_inc(paying_buyers, o.paying_buyers);
      detail::orders_inc(orders, o.orders);
      detail::orders_inc(paid_orders, o.paid_orders);
      detail::orders_inc(late_paid_orders, o.late_paid_orders);
      detail::orders_inc(cancelled_orders, o.cancelled_orders);
      detail::orders_inc(expired_orders, o.expired_orders);
      detail::orders_add(paid_amount, o.paid_amount);
    }
    friend bool operator==(const payment_counts& a, const payment_counts& b) {
      return a.ordering_buyers == b.ordering_buyers && a.paying_buyers == b.paying_buyers && a.orders == b.orders &&
             a.paid_orders == b.paid_orders && a.late_paid_orders == b.late_paid_orders &&
             a.cancelled_orders == b.cancelled_orders && a.expired_orders == b.expired_orders &&
             a.paid_amount == b.paid_amount;
    }
  };
  struct script_counts {
    std::uint64_t sent = 0, reminded = 0, succeeded = 0;
    std::int64_t recovered = 0;
    void merge(const script_counts& o) {
      detail::orders_inc(sent, o.sent);
      detail::orders_inc(reminded, o.reminded);
      detail::orders_inc(succeeded, o.succeeded);
      detail::orders_add(recovered, o.recovered);
    }
    friend bool operator==(const script_counts& a, const script_counts& b) {
      return a.sent == b.sent && a.reminded == b.reminded && a.succeeded == b.succeeded && a.recovered == b.recovered;
    }
  };
  struct credit {
    bool consulted = false;
    bool agent = false;
    Agent who{};
    std::optional<Agent> assist;
  };
  struct deadline_item {
    std::int64_t deadline;
    Shop shop;
    Order order;
    friend bool operator>(const deadline_item& a, const deadline_item& b) { return a.deadline > b.deadline; }
  };

  static detail::orders_key_ref<Shop, Buyer> bkey(const Shop& s, const Buyer& b) { return {s, b}; }
  static detail::orders_key_ref<Shop, Order> okey(const Shop& s, const Order& o) { return {s, o}; }

  void see(timestamp t) { watermark_ = std::max(watermark_, static_cast<std::int64_t>(t.time_since_epoch().count())); }
  bool reject(order_reject why) {
    detail::orders_inc(rejected_[static_cast<std::size_t>(why)]);
    return false;
  }

  bool inquiry_provisional(day_number d) const {
    if (watermark_ == no_time) return true;
    return static_cast<std::int64_t>(local_day(timestamp{duration{watermark_}}, config_.offset)) <=
           static_cast<std::int64_t>(d) + config_.attribution_days;
  }
  bool payment_provisional(day_number d) const {
    if (watermark_ == no_time) return true;
    return watermark_ <= (day_start(d + 1, config_.offset).time_since_epoch() + config_.payment_window).count();
  }

  /// When advance() next acts on the order: paid - forget it after
  /// refund_days; unpaid - expire it when its window passes, then forget it
  /// refund_days later (a late payment still finds it); cancelled - forget it
  /// when its window passes.
  std::int64_t deadline_of(const order_entry& e) const {
    const std::int64_t keep =
        std::chrono::duration_cast<duration>(std::chrono::hours{24} * config_.refund_days).count();
    if (e.flags & detail::of_paid) return e.t_paid + keep;
    if (e.flags & detail::of_expired) return e.t_order + config_.payment_window.count() + keep;
    return e.t_order + config_.payment_window.count();
  }

  /// Counts an unpaid order whose window has passed as expired (once).
  void expire(order_entry& e) {
    e.flags |= detail::of_expired;
    detail::orders_inc(payment_days_[local_day(timestamp{duration{e.t_order}}, config_.offset)].expired_orders);
  }

  /// The order `id` as an event at `t` sees it: nullptr when unknown or past
  /// the time it is tracked for, and expired first when its window passed
  /// unpaid. Decided from event times alone, so results never depend on when
  /// (or whether) advance() ran.
  order_entry* tracked(const Shop& shop, const Order& id, timestamp t) {
    order_entry* e = orders_.find(okey(shop, id));
    if (!e) return nullptr;
    const std::int64_t tp = t.time_since_epoch().count();
    const bool open = !(e->flags & (detail::of_paid | detail::of_cancelled | detail::of_expired));
    if (open && tp > e->t_order + config_.payment_window.count()) expire(*e);
    return tp > deadline_of(*e) ? nullptr : e;
  }

  /// The buyer's entry, created and moved forward to day d as needed.
  buyer_entry& touch_buyer(const Shop& shop, const Buyer& buyer, day_number d) {
    auto [b, inserted] = buyers_.find_or_insert(bkey(shop, buyer), [&](buyer_entry& e) {
      e.buyer = buyer;
      e.shop = shop;
      e.base_day = d;
    });
    if (!inserted && d > b->base_day) shift(*b, static_cast<std::int64_t>(d) - b->base_day);
    return *b;
  }
  static void shift(buyer_entry& b, std::int64_t by) {
    auto sh = [by](std::uint8_t m) { return by >= 8 ? std::uint8_t{0} : static_cast<std::uint8_t>(m << by); };
    b.inquired = sh(b.inquired);
    b.converted = sh(b.converted);
    b.ordered = sh(b.ordered);
    b.paid = sh(b.paid);
    for (int k = 0; k < 2; ++k) {
      if (b.age[k] == detail::orders_no_age) continue;
      if (b.age[k] + by >= detail::orders_no_age) {
        b.age[k] = detail::orders_no_age;
        b.agent[k] = Agent{};
      } else {
        b.age[k] = static_cast<std::uint8_t>(b.age[k] + by);
      }
    }
    if (b.age[0] == detail::orders_no_age && b.age[1] != detail::orders_no_age) {
      std::swap(b.agent[0], b.agent[1]);
      std::swap(b.age[0], b.age[1]);
    }
    b.base_day = static_cast<day_number>(b.base_day + by);
  }
  /// Days before the buyer's latest day, or -1 when beyond the horizon.
  static int offset_of(const buyer_entry& b, day_number d) {
    const std::int64_t o = static_cast<std::int64_t>(b.base_day) - d;
    return o > detail::orders_horizon ? -1 : static_cast<int>(o);
  }

  /// Records a reply by `agent` `age` days before base_day: slot 0 holds the
  /// most recent (ties: the one seen last), slot 1 the next distinct agent.
  static void remember_agent(buyer_entry& b, const Agent& agent, std::uint8_t age) {
    if (b.age[0] != detail::orders_no_age && b.agent[0] == agent) {
      b.age[0] = std::min(b.age[0], age);
      return;
    }
    if (b.age[1] != detail::orders_no_age && b.agent[1] == agent) {
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

  /// A slot's agent counts at offset o when it replied on day o .. o + window.
  bool in_window(const buyer_entry& b, int k, int o) const {
    return b.age[k] != detail::orders_no_age && b.age[k] >= o && b.age[k] <= o + config_.attribution_days;
  }
  std::optional<Agent> pick_assist(const buyer_entry& b, int o, const Agent& credited) const {
    for (int k = 0; k < 2; ++k)
      if (in_window(b, k, o) && !(b.agent[k] == credited)) return b.agent[k];
    return std::nullopt;
  }
  /// Credit at an instant on the day `o` days before base_day.
  credit credit_at(const buyer_entry& b, int o, bool inquired_in_window) const {
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
  bool inquired_within(const buyer_entry& b, int o) const {
    for (int i = o; i <= o + config_.attribution_days && i <= detail::orders_horizon; ++i)
      if (b.inquired & (1u << i)) return true;
    return false;
  }

  bool apply_payment(order_entry& e, money amount, const std::optional<Buyer>& buyer, timestamp t) {
    if (buyer && !(*buyer == e.buyer)) return reject(order_reject::buyer_mismatch);
    if (e.flags & detail::of_paid) return reject(order_reject::duplicate_payment);
    if (e.flags & detail::of_cancelled) return reject(order_reject::cancelled_order);
    const std::int64_t tp = t.time_since_epoch().count();
    const bool within = tp - e.t_order <= config_.payment_window.count();
    const day_number d_order = local_day(timestamp{duration{e.t_order}}, config_.offset);
    const day_number d_pay = std::max(d_order, local_day(t, config_.offset));
    buyer_entry& b = touch_buyer(e.shop, e.buyer, d_pay);
    payment_counts& pc = payment_days_[d_order];
    if (within) {
      detail::orders_inc(pc.paid_orders);
      detail::orders_add(pc.paid_amount, amount.minor());
      const int oo = offset_of(b, d_order);
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
    const int op = offset_of(b, d_pay);
    credit c;
    if (e.flags & detail::of_explicit_agent) {
      c = credit{true, true, e.agent_order, op < 0 ? std::nullopt : pick_assist(b, op, e.agent_order)};
    } else if (op >= 0) {
      c = credit_at(b, op, inquired_within(b, op));
    }
    if (c.consulted) e.flags |= detail::of_consulted_pay;
    if (c.agent) {
      e.flags |= detail::of_agent_pay;
      e.agent_pay = c.who;
    }
    if (c.assist) {
      e.flags |= detail::of_assist_pay;
      e.assist_pay = *c.assist;
    }
    e.flags |= detail::of_paid;
    e.t_paid = tp;
    e.paid = amount.minor();
    book_revenue(e, amount.minor(), true);
    // Reminder success.
    if ((e.flags & detail::of_reminded) && within && tp >= e.t_reminded) {
      script_counts& s = scripts_[e.script];
      detail::orders_inc(s.succeeded);
      detail::orders_add(s.recovered, amount.minor());
    }
    expiry_.push(deadline_item{deadline_of(e), e.shop, e.order});
    return true;
  }

  /// Adds `minor` (negative for refunds) to revenue under every rule; on the
  /// payment itself (`paid`) also counts the order and the assists.
  void book_revenue(const order_entry& e, std::int64_t minor, bool paid) {
    detail::orders_add(revenue_, minor);
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
        agent_credit& ac = agents_[r][agent];
        if (paid) detail::orders_inc(ac.paid_orders);
        detail::orders_add(ac.revenue, minor);
      }
      if (paid && has_assist) detail::orders_inc(agents_[r][assist].assists);
    }
  }

  bool hold(const Shop& shop, const Order& id, money amount, const std::optional<Buyer>& buyer, timestamp t) {
    key_pair k(shop, id);
    if (held_.count(k)) return reject(order_reject::duplicate_payment);
    detail::orders_held<Buyer> h{t.time_since_epoch().count(), amount.minor(), buyer};
    held_.emplace(k, h);
    held_by_time_.emplace(h.t, k);
    while (held_.size() > config_.max_held_payments) orphan_oldest();
    return true;
  }
  void orphan_oldest() {
    auto it = held_by_time_.begin();
    auto h = held_.find(it->second);
    detail::orders_inc(orphaned_);
    detail::orders_add(orphaned_amount_, h->second.amount);
    held_.erase(h);
    held_by_time_.erase(it);
  }

  static void merge_buyer(buyer_entry& a, const buyer_entry& b) {
    buyer_entry x = b;
    const day_number base = std::max(a.base_day, x.base_day);
    if (a.base_day < base) shift(a, static_cast<std::int64_t>(base) - a.base_day);
    if (x.base_day < base) shift(x, static_cast<std::int64_t>(base) - x.base_day);
    a.inquired |= x.inquired;
    a.converted |= x.converted;
    a.ordered |= x.ordered;
    a.paid |= x.paid;
    a.paid_orders = static_cast<std::uint8_t>(std::min(2, a.paid_orders + x.paid_orders));
    // Up to four candidates: keep the two most recent distinct agents,
    // ties broken by agent id (commutative and associative).
    struct cand {
      Agent agent;
      std::uint8_t age;
    };
    std::vector<cand> c;
    for (const buyer_entry* e : {&a, &x})
      for (int k = 0; k < 2; ++k)
        if (e->age[k] != detail::orders_no_age) c.push_back(cand{e->agent[k], e->age[k]});
    std::sort(c.begin(), c.end(), [](const cand& l, const cand& r) {
      return l.age != r.age ? l.age < r.age : l.agent < r.agent;
    });
    int n = 0;
    Agent out[2]{};
    std::uint8_t age[2] = {detail::orders_no_age, detail::orders_no_age};
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
  static bool order_less(const order_entry& a, const order_entry& b) {
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
  static bool held_less(const detail::orders_held<Buyer>& a, const detail::orders_held<Buyer>& b) {
    if (a.t != b.t) return a.t < b.t;
    if (a.amount != b.amount) return a.amount < b.amount;
    return a.buyer < b.buyer;
  }
  void rebuild_expiry() {
    expiry_ = decltype(expiry_){};
    for (std::size_t i = 0; i < orders_.size(); ++i) {
      const order_entry& e = orders_.at(i);
      expiry_.push(deadline_item{deadline_of(e), e.shop, e.order});
    }
  }

  bool equals(const basic_orders& o) const {
    if (!(config_ == o.config_ && watermark_ == o.watermark_ && inquiry_days_ == o.inquiry_days_ &&
          payment_days_ == o.payment_days_ && rules_ == o.rules_ && agents_ == o.agents_ && revenue_ == o.revenue_ &&
          mix_ == o.mix_ && scripts_ == o.scripts_ && losses_ == o.losses_ && repeat_buyers_ == o.repeat_buyers_ &&
          paying_buyers_ == o.paying_buyers_ && visits_ == o.visits_ && refunds_ == o.refunds_ &&
          refunded_ == o.refunded_ && disputes_ == o.disputes_ && disputed_orders_ == o.disputed_orders_ &&
          orphaned_ == o.orphaned_ && orphaned_amount_ == o.orphaned_amount_ && rejected_ == o.rejected_ &&
          held_ == o.held_ && buyers_.size() == o.buyers_.size() && orders_.size() == o.orders_.size()))
      return false;
    for (std::size_t i = 0; i < buyers_.size(); ++i) {
      const buyer_entry& b = buyers_.at(i);
      const buyer_entry* ob = o.buyers_.find(bkey(b.shop, b.buyer));
      if (!ob || !(*ob == b)) return false;
    }
    for (std::size_t i = 0; i < orders_.size(); ++i) {
      const order_entry& e = orders_.at(i);
      const order_entry* oe = o.orders_.find(okey(e.shop, e.order));
      if (!oe || *oe != e) return false;
    }
    return true;
  }

  orders_config config_;
  std::int64_t watermark_ = no_time;
  std::map<day_number, detail::orders_inquiry_counts> inquiry_days_;
  std::map<day_number, payment_counts> payment_days_;
  std::array<detail::orders_rule_counts, attribution_rule_count> rules_{};
  std::array<std::map<Agent, agent_credit>, attribution_rule_count> agents_;
  std::int64_t revenue_ = 0;  // minor units, net of refunds
  order_mix mix_;
  std::map<Script, script_counts> scripts_;
  std::map<Agent, std::array<std::uint64_t, loss_reason_count>> losses_;
  std::uint64_t repeat_buyers_ = 0, paying_buyers_ = 0;
  std::uint64_t visits_ = 0, refunds_ = 0, disputes_ = 0, disputed_orders_ = 0, orphaned_ = 0;
  money refunded_{};
  std::int64_t orphaned_amount_ = 0;
  std::array<std::uint64_t, order_reject_count> rejected_{};
  buyer_table buyers_;
  order_table orders_;
  std::map<key_pair, detail::orders_held<Buyer>> held_;
  std::set<std::pair<std::int64_t, key_pair>> held_by_time_;
  std::priority_queue<deadline_item, std::vector<deadline_item>, std::greater<deadline_item>> expiry_;
};

/// Integer ids: u64 buyer and order, u32 agent, shop and script.
using orders = basic_orders<>;
/// Text ids everywhere (what the CSV event log carries).
using string_orders = basic_orders<std::string, std::string, std::string, std::string, std::string>;

}  // namespace csmetrics

#include "csmetrics/orders/orders_impl.hpp"

#endif  // CSMETRICS_ORDERS_ORDERS_HPP_
