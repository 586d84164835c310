// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/io/report.hpp
//
// A report is plain data: the figures of each shop (and each agent) as of a
// local day, copied out of the accumulators by shop_metrics. This header
// renders it as JSON (io/report_json.hpp) and as the Prometheus text
// exposition format (io/report_prometheus.hpp). Text and
// HTML renderings live with the shop_report example. Optional parts (the
// per-day rows, the sales change between two periods) are written only when
// a caller filled them. Keeping the model apart from the accumulators lets
// every output show exactly the same numbers.
#ifndef CSMETRICS_IO_REPORT_HPP_
#define CSMETRICS_IO_REPORT_HPP_

#include <algorithm>    // std::min
#include <cstdint>      // std::uint64_t
#include <map>          // std::map (sorted, deterministic output)
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "csmetrics/core/money.hpp"
#include "csmetrics/core/time.hpp"
#include "csmetrics/io/scorecard.hpp"

namespace csmetrics {

/// Count, mean and quantiles of a set of durations, in seconds.
struct duration_summary {
  std::uint64_t count = 0;
  std::optional<double> mean, p50, p90, p99;
  /// Share answered within `threshold_s` (exact count / count).
  std::optional<double> within_threshold;
  double threshold_s = 45;
  std::uint64_t within_count = 0;
};

/// A rate as its two counts; value() is empty when the denominator is 0.
struct count_ratio {
  std::uint64_t numerator = 0, denominator = 0;
  std::optional<double> value() const {
    if (denominator == 0) return std::nullopt;
    return static_cast<double>(numerator) / static_cast<double>(denominator);
  }
};

struct dsr_summary {
  std::uint64_t count = 0, sum = 0, low = 0;  // low: 1-2 star scores
  std::optional<double> mean() const {
    if (count == 0) return std::nullopt;
    return static_cast<double>(sum) / static_cast<double>(count);
  }
};

/// One agent's figures, or a shop's unassigned row (what no agent was
/// credited with). Additive: buyer_messages (of the bursts credited to the
/// agent: answered by it, or expired after being routed to it), agent_messages,
/// answered, unanswered, orders_credited, revenue_credited, lost_by_reason,
/// inquired, ordered_same_day, ordered_final, orders_placed,
/// orders_placed_paid; a shop's agents plus its unassigned row give the
/// shop's figures exactly.
struct agent_report {
  // conversations: those the agent wrote in (one that two agents served counts for each).
  std::uint64_t conversations = 0, buyers_served = 0, buyer_messages = 0, agent_messages = 0;
  std::uint64_t answered = 0, unanswered = 0;  // bursts; the unassigned row's unanswered include the pending ones
  duration_summary response_s, first_response_s;
  /// The same on service time; set only when the options have a service calendar.
  std::optional<duration_summary> response_service_s, first_response_service_s;
  count_ratio reply_rate;      // answered / (answered + unanswered)
  count_ratio answer_ratio;    // agent messages / buyer messages credited to the agent (its bursts)
  count_ratio invite_rate;     // buyers invited / buyers served
  count_ratio satisfaction;    // votes 4-5 / votes
  std::uint64_t orders_credited = 0, assists = 0;
  money revenue_credited;
  std::optional<money> aov_per_order;  // 客单价: revenue credited / paid orders credited (half-up cents)
  std::map<std::string, std::uint64_t> lost_by_reason;
  // 询单转化率: the inquiry days credited to the agent (answered their first
  // question, else were routed it) and those that ordered the same day / in the window.
  std::uint64_t inquired = 0, ordered_same_day = 0, ordered_final = 0;
  count_ratio inquiry_conversion, inquiry_conversion_same_day;  // ordered_final / inquired, ordered_same_day / inquired
  // 下单付款转化率: consulted orders credited to the agent when placed, and of them paid within the window.
  std::uint64_t orders_placed = 0, orders_placed_paid = 0;
  count_ratio payment_conversion;  // orders_placed_paid / orders_placed
};

/// One local day of a shop (--by day).
struct day_report {
  std::uint64_t visits = 0, conversations = 0, buyer_messages = 0, agent_messages = 0, orders = 0;
  duration_summary response_s;     // the bursts whose clock started that day
  count_ratio inquiry_conversion;  // cohort of the day's inquiries (final)
  /// The same cohort, ordered the same local day; filled by callers that ask
  /// for it (shop_report --period, the HTML trends), written when set.
  std::optional<count_ratio> inquiry_conversion_same_day;
  count_ratio payment_conversion;  // cohort of the day's orders
  money revenue;                   // placed orders with an amount
};

/**
 * What moved a shop's sales between two periods of equal length (the last N
 * local days up to as_of against the N before): sales = traffic (distinct
 * visitors) x conversion (paying buyers / visitors) x AOV (sales / paying
 * buyers), the change split into its three parts by csmetrics'
 * decompose_change (exact Shapley, rounded to cents by largest remainder, so
 * traffic + conversion + aov == change to the cent). Sales are placed orders
 * with an amount, as `revenue`.
 */
struct sales_change_report {
  std::string period;  ///< "week" (7 days) or "month" (30 days)
  day_number before_first = 0, before_last = 0, after_first = 0, after_last = 0;
  money before, after, change;  ///< sales of each period; change = after - before
  std::uint64_t traffic_before = 0, traffic_after = 0;  ///< distinct visitors
  std::uint64_t buyers_before = 0, buyers_after = 0;    ///< distinct paying buyers
  std::optional<double> conversion_before, conversion_after;  ///< buyers / visitors; empty without visitors
  std::optional<money> aov_before, aov_after;                 ///< sales / buyers (half-up cents); empty without buyers
  /// The rounded parts (sum == change); empty when !explained or out of money's range.
  std::optional<money> traffic_part, conversion_part, aov_part;
  /// False when a period breaks the identity (buyers without any visitor):
  /// the whole change is then `unexplained`.
  bool explained = true;
  money unexplained;
  std::optional<money> target;       ///< --target: the period's sales goal
  std::optional<double> attainment;  ///< after / target
};

/// One shop's figures as of a local day.
struct shop_report {
  day_number as_of = 0;
  // traffic
  std::uint64_t visits = 0, visitors = 0;
  // sessions
  std::uint64_t conversations = 0, buyer_messages = 0, agent_messages = 0, auto_messages = 0;
  std::uint64_t answered = 0, unanswered = 0, pending = 0;
  count_ratio reply_rate, answer_ratio, invite_rate, satisfaction;
  duration_summary response_s, first_response_s, first_response_with_auto_s;
  std::optional<double> km_median_response_s;  // Kaplan-Meier: waiting and expired bursts censored
  /// Response and first response on service time, and their Kaplan-Meier
  /// median: set (and written) only when the options have a service calendar.
  std::optional<duration_summary> response_service_s, first_response_service_s;
  std::optional<double> km_median_response_service_s;
  std::vector<std::pair<double, double>> response_quantiles;  // (q, seconds) for q = 0.01 .. 0.99: the distribution
  // orders
  std::uint64_t orders = 0, buyers = 0, paid_orders = 0, orders_without_amount = 0;
  money revenue, paid_revenue;
  std::optional<money> aov_per_order;
  count_ratio inquiry_conversion;           // final: ordered within the window / inquired
  count_ratio inquiry_conversion_same_day;  // ordered the inquiry's local day / inquired
  count_ratio payment_conversion;           // paid / ordered (buyers)
  bool conversion_provisional = false;      // some cohort's window has not passed yet
  std::optional<double> cs_sales_share;
  std::uint64_t lost = 0;
  std::map<std::string, std::uint64_t> lost_by_reason;
  // ratings
  dsr_summary dsr_item, dsr_service, dsr_logistics;
  count_ratio aftersales;                // 4-5 star reviews / reviews, last 30 days
  count_ratio dispute_refund_rate;       // disputes / paid transactions, last 30 days
  std::vector<std::pair<day_number, std::optional<double>>> dsr_curve;  // trailing 180-day item DSR
  std::map<std::string, agent_report> agents;
  /// With the agents: buyer messages of bursts no agent was credited with
  /// (expired without a routed agent, or pending), bursts unanswered without
  /// a routed agent, consulted paid orders and their revenue credited to nobody.
  std::optional<agent_report> unassigned;
  std::map<day_number, day_report> days;  // filled when asked (--by day)
  std::optional<sales_change_report> sales_change;  // filled when asked (shop_report --period)
  std::vector<scorecard> scorecards;  // one per period, oldest first; filled when asked (report_request::scorecard)
};

/// The whole report: the input summary and every shop.
struct report {
  std::uint64_t rows = 0, accepted = 0, skipped = 0;
  std::map<std::string, std::uint64_t> skipped_by_reason;
  std::map<std::string, shop_report> shops;
  kpi_rules scorecard_rules = default_kpi_rules();  ///< the rules the scorecards were judged by
};

/// Moves the events a state refused after the reader had accepted them
/// (shop_metrics::refused_by_reason) from `accepted` to `skipped`, by reason:
/// then every row is counted once, rows == accepted + skipped.
inline void count_refused(report& r, const std::map<std::string, std::uint64_t>& refused) {
  for (const auto& [why, n] : refused) {
    r.accepted -= std::min(r.accepted, n);
    r.skipped += n;
    r.skipped_by_reason[why] += n;
  }
}

}  // namespace csmetrics

#endif  // CSMETRICS_IO_REPORT_HPP_

// The renderings, kept beside (included here so every user of report.hpp has them).
#include "csmetrics/io/report_json.hpp"
#include "csmetrics/io/report_prometheus.hpp"

