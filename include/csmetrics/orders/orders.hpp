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
// * Agents' conversions (agent_conversions()): each inquiry day (buyer,
//   local day d) is credited to the first agent who replies to the buyer
//   at or after the day's first inquiry and within credit_wait (24 h, as a
//   burst's max_wait) of it: the agent who answered the burst holding the
//   day's first question. Without such a reply it goes to the agent that
//   first inquiry was routed to (its agent column), else to nobody. The
//   day's cohort counts (inquired, same_day, ordered) follow the credit, so
//   an agent's inquiry conversion is its share of the shop's cohorts and the
//   agents' counts plus the uncredited ones give the shop's exactly. An
//   inquiry still waiting for its reply is uncredited until the reply or the
//   wait's end. Payment conversion per agent: the consulted orders credited
//   to the agent at order time (under credit_on_order) and those of them
//   paid within the payment window; the consulted orders credited to nobody
//   are kept under no agent.
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
// them); order entries (~100 bytes) while an order is open; an inquiry day's
// credit (40 bytes) until no order can convert the day (9 local days).
//
// Mergeable: shard the stream by (shop, buyer) – payments, cancels, refunds
// and reminders go to the shard of their order's buyer – and a.merge(b)
// equals one pass (counters add, tracking tables unite). Merging states that
// share buyers is allowed but not exact: a shared buyer's cohorts count in
// both.
//
// Files: this header is the one to include; it declares basic_orders and
// defines its short members. orders_types.hpp holds the config, enums and
// report structs; orders_state.hpp and orders_table.hpp the detail::
// tracking state; the long members are defined out of line in
// orders_events_impl.hpp (event handling), orders_merge_impl.hpp (merge,
// equality) and orders_impl.hpp (serialized form), included at the end.
#ifndef CSMETRICS_ORDERS_ORDERS_HPP_
#define CSMETRICS_ORDERS_ORDERS_HPP_

#include <algorithm>    // std::max
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
#include <string>       // std::string
#include <utility>      // std::pair
#include <vector>       // std::vector

#include "csmetrics/core/checked.hpp"
#include "csmetrics/core/error.hpp"
#include "csmetrics/core/keyed.hpp"
#include "csmetrics/core/money.hpp"
#include "csmetrics/core/rate.hpp"
#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/time.hpp"
#include "csmetrics/orders/orders_state.hpp"
#include "csmetrics/orders/orders_table.hpp"
#include "csmetrics/orders/orders_types.hpp"

namespace csmetrics {

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
 * orders. Serialized form: type id 48, version 2 (reads 1), the whole tracking state
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
  static constexpr std::uint8_t format_version = 2;

  explicit basic_orders(orders_config config = {}) : config_(config) { config_.validate(); }

  // ---- events (defined in orders_events_impl.hpp) -----------------------
  // Each returns false when the event was rejected (and counted by reason).

  /// Traffic: counted only (visits()).
  void visit(const Shop&, const Buyer&, timestamp t) {
    see(t);
    detail::orders_inc(visits_);
  }

  /// A buyer's message to the shop: joins the inquiry cohort of its local
  /// day. `routed`: the agent the message was routed to (the credit of a
  /// day's first inquiry that no agent answers in time).
  bool inquiry(const Shop& shop, const Buyer& buyer, timestamp t, const std::optional<Agent>& routed = std::nullopt);

  /// An agent's reply to the buyer: the buyer's most recent agent.
  bool agent_reply(const Shop& shop, const Buyer& buyer, const Agent& agent, timestamp t);

  /// An order placed. `amount` empty: counts for conversion, not revenue.
  /// `agent`: the agent the shop credits it to (consulted under every rule).
  bool order(const Shop& shop, const Buyer& buyer, const Order& id, std::optional<money> amount,
             const std::optional<Agent>& agent, timestamp t);

  /// The order was paid. A payment for an unknown order is held.
  bool payment(const Shop& shop, const Order& id, money amount, const std::optional<Buyer>& buyer, timestamp t);

  /// The order was closed unpaid.
  bool cancel(const Shop& shop, const Order& id, timestamp t);

  /// Money returned after payment: deducted from revenue under every rule.
  bool refund(const Shop& shop, const Order& id, money amount, timestamp t);

  /// A dispute refund (纠纷退款) of a paid order: counted.
  bool dispute(const Shop& shop, const Order& id, timestamp t);

  /// A payment reminder (催付) of an unpaid order with a script; an agent who
  /// sends it becomes the buyer's most recent agent.
  bool reminder(const Shop& shop, const Order& id, const Script& script, const std::optional<Agent>& agent,
                timestamp t);

  /// An inquiry recorded as lost, with its reason, tallied per agent.
  void lost(const Shop&, const Buyer&, const Agent& agent, loss_reason reason, timestamp t) {
    see(t);
    detail::orders_inc(losses_[agent][static_cast<std::size_t>(reason)]);
  }

  /// Time has reached `now`: unpaid orders past their window expire, paid
  /// orders past refund_days and cancelled orders are dropped, held payments
  /// past their window are orphaned; the watermark moves to `now`.
  void advance(timestamp now);
  /// True while advance() may still have work: an order or a held payment
  /// waits for a deadline. Without it, advance() only moves the watermark.
  bool has_deadlines() const { return !expiry_.empty() || !held_by_time_.empty() || !credit_queue_.empty(); }

  // ---- reports ------------------------------------------------------------

  /// Inquiry conversion per inquiry day, oldest first.
  std::vector<inquiry_cohort> inquiry_cohorts() const {
    return cohorts_of(inquiry_days_, &basic_orders::inquiry_provisional);
  }
  /// Sum over inquiry days (a buyer who inquired on two days counts twice).
  inquiry_cohort inquiry_total() const { return total_of(inquiry_days_, &basic_orders::inquiry_provisional); }
  /// Payment conversion per order day, oldest first.
  std::vector<payment_cohort> payment_cohorts() const {
    return cohorts_of(payment_days_, &basic_orders::payment_provisional);
  }
  /// Sum over order days.
  payment_cohort payment_total() const { return total_of(payment_days_, &basic_orders::payment_provisional); }

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
    agents_[r].for_each_sorted(
        [&](const Agent& a, const agent_credit& c) { out.agents.emplace_hint(out.agents.end(), a, c); });
    return out;
  }
  /// Per agent, the conversions credited on local days first .. last (inquiry
  /// days, order days for the placed ones); key std::nullopt: the consulted
  /// orders credited to nobody. Uncredited inquiries: the shop's cohorts less these.
  std::map<std::optional<Agent>, agent_conversion> agent_conversions(
      day_number first = std::numeric_limits<day_number>::min(),
      day_number last = std::numeric_limits<day_number>::max()) const;
  /// Per agent, the credit under `rule` booked on days first .. last (payment
  /// or refund days): attribution(rule).agents over a period.
  std::map<Agent, agent_credit> agent_credits(attribution_rule rule, day_number first, day_number last) const;
  /// Inquiry days waiting for their credit, or credited and still able to convert.
  std::size_t tracked_credits() const { return credits_.size(); }
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

  /// Lost inquiries per agent, indexed by loss_reason (a sorted copy).
  std::map<Agent, std::array<std::uint64_t, loss_reason_count>> losses() const;
  /// Lost inquiries per reason over all agents.
  std::array<std::uint64_t, loss_reason_count> loss_totals() const;

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
  /// At least every money sum this state holds (amounts are never negative,
  /// so each sum is part of: order amounts, payments taken, refunds twice),
  /// saturating at the largest amount: a caller that keeps its own running
  /// total of amounts from here can refuse an amount before any sum would
  /// overflow (shop_metrics does).
  money amounts_bound() const {
    std::int64_t held = 0;
    for (const auto& [k, h] : held_) held = detail::saturating_add(held, h.amount);
    std::int64_t b = 0;
    for (std::int64_t part : {mix_.consulted_amount.minor(), mix_.silent_amount.minor(), revenue_, refunded_.minor(),
                              refunded_.minor(), orphaned_amount_, held})
      b = detail::saturating_add(b, part);
    return money::from_minor(b);
  }
  std::uint64_t rejected(order_reject why) const { return rejected_[static_cast<std::size_t>(why)]; }
  /// The reason of the latest rejection (valid after one; not part of the state).
  order_reject last_reject() const { return last_reject_; }
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

  // ---- merge, reset, serde, equality (orders_merge_impl.hpp, orders_impl.hpp)

  /// The state of both streams (exact when they hold disjoint buyers).
  /// All or nothing: merged into a copy that replaces *this at the end, so
  /// if a sum would overflow *this is unchanged.
  /// REQUIRES: the same config (std::invalid_argument otherwise).
  void merge(const basic_orders& other);
  /// The same without the copy (for a caller that drops *this on failure,
  /// as sharded_metrics does): if a sum would overflow, *this is valid but
  /// partly merged. `other` is unchanged.
  void merge(basic_orders&& other);

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
  void merge_in_place(const basic_orders& other);  // orders_merge_impl.hpp
  using buyer_entry = detail::orders_buyer<Shop, Buyer, Agent>;
  using order_entry = detail::orders_order<Shop, Order, Buyer, Agent, Script>;
  using buyer_table = detail::orders_table<buyer_entry, detail::orders_buyer_traits<Shop, Buyer, Agent>>;
  using order_table = detail::orders_table<order_entry, detail::orders_order_traits<Shop, Order, Buyer, Agent, Script>>;
  using credit_entry = detail::orders_inquiry<Shop, Buyer, Agent>;
  using credit_table = detail::orders_table<credit_entry, detail::orders_inquiry_traits<Shop, Buyer, Agent>>;
  using agent_day = std::pair<day_number, std::optional<Agent>>;
  struct agent_day_hash {
    std::size_t operator()(const agent_day& k) const {
      return static_cast<std::size_t>(k.second ? detail::pair_hash(k.first, *k.second) : detail::id_hash(k.first));
    }
  };
  using key_pair = std::pair<Shop, Order>;
  using held_map = std::map<key_pair, detail::orders_held<Buyer>>;
  using payment_counts = detail::orders_payment_counts;
  using script_counts = detail::orders_script_counts;
  static constexpr std::int64_t no_time = std::numeric_limits<std::int64_t>::min();

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
  struct credit_item {  // an inquiry day's credit deadline, for advance()
    std::int64_t deadline;
    Shop shop;
    Buyer buyer;
    day_number day;
    friend bool operator>(const credit_item& a, const credit_item& b) { return a.deadline > b.deadline; }
  };

  static detail::orders_key_ref<Shop, Buyer> bkey(const Shop& s, const Buyer& b) { return {s, b}; }
  static detail::orders_key_ref<Shop, Order> okey(const Shop& s, const Order& o) { return {s, o}; }
  static detail::orders_day_key_ref<Shop, Buyer> ckey(const Shop& s, const Buyer& b, day_number d) { return {s, b, d}; }

  void see(timestamp t) { watermark_ = std::max(watermark_, static_cast<std::int64_t>(t.time_since_epoch().count())); }
  bool reject(order_reject why) {
    last_reject_ = why;
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
  using provisional_rule = bool (basic_orders::*)(day_number) const;
  /// A day table's cohorts, oldest first.
  template <class Counts>
  auto cohorts_of(const std::map<day_number, Counts>& days, provisional_rule provisional) const {
    std::vector<decltype(Counts{}.cohort(0, false))> out;
    for (const auto& [d, c] : days) out.push_back(c.cohort(d, (this->*provisional)(d)));
    return out;
  }
  /// Their sum, as one cohort of day 0 provisional when any day is.
  template <class Counts>
  auto total_of(const std::map<day_number, Counts>& days, provisional_rule provisional) const {
    Counts sum;
    bool any = false;
    for (const auto& [d, c] : days) {
      sum.merge(c);
      any = any || (this->*provisional)(d);
    }
    return sum.cohort(0, any);
  }

  /// The local day the order was placed on (its payment cohort).
  day_number order_day(const order_entry& e) const { return local_day(timestamp{duration{e.t_order}}, config_.offset); }

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
  /// Queues the order's next deadline for advance().
  void schedule(const order_entry& e) { expiry_.push(deadline_item{deadline_of(e), e.shop, e.order}); }

  /// Counts an unpaid order whose window has passed as expired (once).
  void expire(order_entry& e) {
    e.flags |= detail::of_expired;
    detail::orders_inc(payment_days_[order_day(e)].expired_orders);
  }

  /// The order `id` as an event at `t` sees it: nullptr when unknown or past
  /// the time it is tracked for, and expired first when its window passed
  /// unpaid. Decided from event times alone, so results never depend on when
  /// (or whether) advance() ran.
  order_entry* tracked(const Shop& shop, const Order& id, timestamp t);
  /// The tracked order a cancel or a reminder may still act on; nullptr once rejected.
  order_entry* open_order(const Shop& shop, const Order& id, timestamp t, order_reject when_cancelled);

  /// The buyer's entry, created and moved forward to day d as needed.
  buyer_entry& touch_buyer(const Shop& shop, const Buyer& buyer, day_number d);

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
  credit credit_at(const buyer_entry& b, int o, bool inquired_in_window) const;
  bool inquired_within(const buyer_entry& b, int o) const {
    for (int i = o; i <= o + config_.attribution_days && i <= detail::orders_horizon; ++i)
      if (b.inquired & (1u << i)) return true;
    return false;
  }
  /// Stores a credit on the order: its order-time side or its payment-time side.
  static void record_credit(order_entry& e, const credit& c, bool at_payment);

  bool apply_payment(order_entry& e, money amount, const std::optional<Buyer>& buyer, timestamp t);
  /// Adds `minor` (negative for refunds) to revenue under every rule; on the
  /// payment itself (`paid`) also counts the order and the assists. `day`:
  /// the local day of the payment or refund (agents' credit per day).
  void book_revenue(const order_entry& e, std::int64_t minor, bool paid, day_number day);

  bool hold(const Shop& shop, const Order& id, money amount, const std::optional<Buyer>& buyer, timestamp t);
  /// Removes a held payment from both of its indexes and returns it.
  detail::orders_held<Buyer> unhold(typename held_map::iterator h) {
    detail::orders_held<Buyer> p = h->second;
    held_by_time_.erase(std::make_pair(p.t, h->first));
    held_.erase(h);
    return p;
  }
  /// Counts a payment whose order never came.
  void count_orphan(std::int64_t amount) {
    detail::orders_inc(orphaned_);
    detail::orders_add(orphaned_amount_, amount);
  }
  void orphan_oldest() {
    auto h = held_.find(held_by_time_.begin()->second);
    count_orphan(h->second.amount);
    unhold(h);
  }

  /// When advance() next acts on an inquiry's credit: a waiting one gets
  /// its fallback when the wait ends; a credited one is dropped once no
  /// order can convert its day any more (days beyond the buyer's horizon,
  /// with a day's margin for late events).
  std::int64_t credit_deadline(const credit_entry& c) const;
  void schedule(const credit_entry& c) { credit_queue_.push(credit_item{credit_deadline(c), c.shop, c.buyer, c.day}); }
  /// Credits a waiting inquiry day to `agent` (nobody when empty): its
  /// cohort counts so far move to the agent; an entry credited to nobody is
  /// dropped. The buyer's waiting bit is cleared by the caller.
  void settle_credit(credit_entry& c, const std::optional<Agent>& agent);
  /// A waiting inquiry's credit when no reply came in time: its routed agent, else nobody.
  static std::optional<Agent> fallback_of(const credit_entry& c) {
    return c.state == detail::ocs_waiting_routed ? std::optional<Agent>(c.agent) : std::nullopt;
  }
  /// A day's cohort counted `ordered` (and `same_day`): for its credited agent.
  void credit_conversion(const Shop& shop, const Buyer& buyer, day_number d, bool same_day);
  /// Queues every tracked order's and credit's deadline anew (after a merge or a read).
  void rebuild_expiry();
  bool equals(const basic_orders& o) const;

  orders_config config_;
  std::int64_t watermark_ = no_time;
  std::map<day_number, detail::orders_inquiry_counts> inquiry_days_;
  std::map<day_number, payment_counts> payment_days_;
  std::array<detail::orders_rule_counts, attribution_rule_count> rules_{};
  // Keyed, not std::map: looked up by every payment and lost inquiry (sorted when read out).
  std::array<keyed<Agent, agent_credit>, attribution_rule_count> agents_;
  std::int64_t revenue_ = 0;  // minor units, net of refunds
  order_mix mix_;
  std::map<Script, script_counts> scripts_;
  keyed<Agent, std::array<std::uint64_t, loss_reason_count>> losses_;
  keyed<agent_day, detail::orders_agent_day, agent_day_hash> agent_days_;  // serialized sorted
  std::uint64_t repeat_buyers_ = 0, paying_buyers_ = 0;
  std::uint64_t visits_ = 0, refunds_ = 0, disputes_ = 0, disputed_orders_ = 0, orphaned_ = 0;
  money refunded_{};
  std::int64_t orphaned_amount_ = 0;
  std::array<std::uint64_t, order_reject_count> rejected_{};
  order_reject last_reject_{};
  buyer_table buyers_;
  order_table orders_;
  held_map held_;
  credit_table credits_;
  std::priority_queue<credit_item, std::vector<credit_item>, std::greater<credit_item>> credit_queue_;
  std::set<std::pair<std::int64_t, key_pair>> held_by_time_;
  std::priority_queue<deadline_item, std::vector<deadline_item>, std::greater<deadline_item>> expiry_;
};

/// Integer ids: u64 buyer and order, u32 agent, shop and script.
using orders = basic_orders<>;
/// Text ids everywhere (what the CSV event log carries).
using string_orders = basic_orders<std::string, std::string, std::string, std::string, std::string>;

}  // namespace csmetrics

#include "csmetrics/orders/orders_events_impl.hpp"
#include "csmetrics/orders/orders_merge_impl.hpp"
#include "csmetrics/orders/orders_impl.hpp"

#endif  // CSMETRICS_ORDERS_ORDERS_HPP_
