// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/shop_metrics/refusals.hpp
//
// Why csmetrics::shop_metrics::add refuses an event: its own reasons
// (shop_metrics_reject) and the families' (shop_metrics_refusal), under the
// names the report's input.skipped_by_reason gives them. A refused event
// reaches no further family and is counted once (docs/FIELDS.md, "input").
#ifndef CSMETRICS_SHOP_METRICS_REFUSALS_HPP_
#define CSMETRICS_SHOP_METRICS_REFUSALS_HPP_

#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint8_t
#include <string_view>  // std::string_view

#include "csmetrics/orders/orders_types.hpp"
#include "csmetrics/sessions/sessions.hpp"

namespace csmetrics {

/// Events shop_metrics itself refused, by reason (the families count theirs).
enum class shop_metrics_reject : std::uint8_t {
  too_late = 0,       ///< older than newest time - max_lateness
  missing_field = 1,  ///< a field the type needs is empty (events not from the reader)
  bad_tag = 2,        ///< a dsr dimension or loss reason outside its vocabulary
  amount_overflow = 3,  ///< an amount that could overflow one of its shop's money sums
};
inline constexpr std::size_t shop_metrics_reject_count = 4;
/// Its name in the report's skipped_by_reason.
inline std::string_view reject_name(shop_metrics_reject why) {
  static constexpr std::string_view names[shop_metrics_reject_count] = {"too_late", "missing_field", "bad_tag",
                                                                                 "amount_overflow"};
  return names[static_cast<std::size_t>(why)];
}

/// Why a family refused an event that add() then refused as a whole: the
/// family's reason, under the name the report's skipped_by_reason gives it
/// (refusal_name). Sales' negative amount and duplicate order are the same
/// reasons as the orders family's.
enum class shop_metrics_refusal : std::uint8_t {
  reply_before_question = 0,     ///< sessions: an agent/auto reply before the burst it would answer
  conversation_out_of_order,     ///< sessions: older than the conversation's last message
  vote_score_out_of_range,       ///< sessions: a vote outside 1..5
  negative_amount,               ///< orders (or sales): an amount < 0
  order_too_old,                 ///< orders: more than 7 local days before the buyer's latest event
  duplicate_order,               ///< orders (or sales): an order id already tracked (counted)
  duplicate_payment,             ///< orders
  duplicate_cancel,              ///< orders
  unknown_order,                 ///< orders: cancel / refund / dispute / reminder for an untracked order
  cancelled_order,               ///< orders: payment or reminder for a cancelled order
  already_paid,                  ///< orders: cancel or reminder after payment
  not_paid,                      ///< orders: refund or dispute of an unpaid order
  refund_exceeds_payment,        ///< orders
  buyer_mismatch,                ///< orders: a payment naming another buyer than its order
  non_positive_refund,           ///< sales: a refund of 0
  rating_too_old,                ///< ratings: older than the oldest kept day
  rating_score_out_of_range,     ///< ratings: a score outside 1..5
  dsr_monthly_cap,               ///< ratings: a DSR score beyond the monthly per-buyer cap
};
inline constexpr std::size_t shop_metrics_refusal_count = 18;
static_assert(static_cast<int>(session_reject::score_out_of_range) == 2 && session_reject_count == 3,
              "session_reject maps onto shop_metrics_refusal 0..2");
static_assert(static_cast<int>(order_reject::buyer_mismatch) == 10 && order_reject_count == 11 &&
                  static_cast<int>(shop_metrics_refusal::buyer_mismatch) == 13 &&
                  static_cast<int>(shop_metrics_refusal::negative_amount) == 3,
              "order_reject maps onto shop_metrics_refusal 3..13");
inline std::string_view refusal_name(shop_metrics_refusal r) {
  static constexpr std::string_view names[shop_metrics_refusal_count] = {
      "reply_before_question", "conversation_out_of_order", "vote_score_out_of_range", "negative_amount",
      "order_too_old", "duplicate_order", "duplicate_payment", "duplicate_cancel", "unknown_order",
      "cancelled_order", "already_paid", "not_paid", "refund_exceeds_payment", "buyer_mismatch",
      "non_positive_refund", "rating_too_old", "rating_score_out_of_range", "dsr_monthly_cap"};
  return names[static_cast<std::size_t>(r)];
}

}  // namespace csmetrics

#endif  // CSMETRICS_SHOP_METRICS_REFUSALS_HPP_
