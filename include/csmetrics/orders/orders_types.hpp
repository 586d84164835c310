// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/orders/orders_types.hpp
//
// The public vocabulary of the orders family: the enums its events and
// reports use (loss_reason, attribution_rule, order_reject), its parameters
// (orders_config) and the report structs csmetrics::basic_orders returns
// (inquiry_cohort, payment_cohort, agent_credit, order_mix,
// attribution_report, script_report). Kept apart from the accumulator so
// that code which only reads reports needs nothing of its tracking state;
// the definitions behind every figure are in the file comment of
// csmetrics/orders/orders.hpp.
#ifndef CSMETRICS_ORDERS_ORDERS_TYPES_HPP_
#define CSMETRICS_ORDERS_ORDERS_TYPES_HPP_

#include <chrono>       // std::chrono::hours
#include <cstddef>      // std::size_t
#include <cstdint>      // fixed-width integers
#include <map>          // std::map (per-agent credit)
#include <optional>     // std::optional
#include <stdexcept>    // std::invalid_argument
#include <string>       // std::to_string
#include <string_view>  // std::string_view

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

/// Which instant fixes an order's credited agent (see the file comment of orders.hpp).
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
  /// (0, 168 h]: how long an inquiry waits for the agent reply that earns
  /// its credit (sessions' max_wait: a burst unanswered that long is lost).
  duration credit_wait = std::chrono::hours{24};

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
    if (credit_wait <= duration::zero() || credit_wait > std::chrono::hours{24 * 7})
      CSMETRICS_THROW(std::invalid_argument("credit_wait must be in (0, 168 h]: " + std::to_string(credit_wait.count()) +
                                            " us"));
  }
  friend bool operator==(const orders_config& a, const orders_config& b) {
    return a.offset == b.offset && a.attribution_days == b.attribution_days && a.payment_window == b.payment_window &&
           a.refund_days == b.refund_days && a.max_held_payments == b.max_held_payments &&
           a.credit_wait == b.credit_wait;
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

/// One agent's conversions (see the file comment of orders.hpp): the
/// inquiries credited to it and the orders it was credited with when placed.
struct agent_conversion {
  std::uint64_t inquired = 0;     ///< inquiry days (buyer, local day) credited
  std::uint64_t same_day = 0;     ///< of them, ordered the same local day
  std::uint64_t ordered = 0;      ///< of them, ordered within the attribution window
  std::uint64_t placed = 0;       ///< consulted orders credited at order time
  std::uint64_t placed_paid = 0;  ///< of them, paid within the payment window

  rate_counter inquiry_conversion() const { return rate_counter(ordered, inquired); }
  rate_counter same_day_conversion() const { return rate_counter(same_day, inquired); }
  rate_counter payment_conversion() const { return rate_counter(placed_paid, placed); }
  friend bool operator==(const agent_conversion& a, const agent_conversion& b) {
    return a.inquired == b.inquired && a.same_day == b.same_day && a.ordered == b.ordered && a.placed == b.placed &&
           a.placed_paid == b.placed_paid;
  }
  friend bool operator!=(const agent_conversion& a, const agent_conversion& b) { return !(a == b); }
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

}  // namespace csmetrics

#endif  // CSMETRICS_ORDERS_ORDERS_TYPES_HPP_
