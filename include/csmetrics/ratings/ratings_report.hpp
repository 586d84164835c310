// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/ratings/ratings_report.hpp
//
// What the ratings accumulators hand out: a shop's report as of one local
// day (DSR per dimension, after-sales satisfaction, dispute refunds and the
// rejections), the dispute and rejection counts it is made of, and one point
// of a DSR time series. Plain values: made by shop_ratings, read by callers.
#ifndef CSMETRICS_RATINGS_RATINGS_REPORT_HPP_
#define CSMETRICS_RATINGS_RATINGS_REPORT_HPP_

#include <array>     // std::array
#include <cstddef>   // std::size_t
#include <cstdint>   // std::uint64_t
#include <optional>  // std::optional

#include "csmetrics/core/checked.hpp"
#include "csmetrics/core/rate.hpp"
#include "csmetrics/core/time.hpp"
#include "csmetrics/ratings/dsr_dimension.hpp"
#include "csmetrics/ratings/score_summary.hpp"

namespace csmetrics {

/// Dispute refunds and paid transactions of a window. Disputes may exceed
/// payments (refunds of orders paid before the window): the ratio is then
/// above 1 and not a proportion.
struct dispute_counts {
  std::uint64_t disputes = 0;
  std::uint64_t payments = 0;

  /// disputes / payments (may exceed 1); empty when there are no payments.
  std::optional<double> ratio() const {
    if (payments == 0) return std::nullopt;
    return static_cast<double>(disputes) / static_cast<double>(payments);
  }
  /// The rate with its Wilson interval; empty when there are no payments or
  /// when disputes > payments (not a proportion: read ratio() and the counts).
  std::optional<rate_counter> rate() const {
    if (payments == 0 || disputes > payments) return std::nullopt;
    return rate_counter(disputes, payments);
  }
  friend bool operator==(const dispute_counts& a, const dispute_counts& b) {
    return a.disputes == b.disputes && a.payments == b.payments;
  }
  friend bool operator!=(const dispute_counts& a, const dispute_counts& b) { return !(a == b); }
};

/// Events rejected, by reason. Never folded into any metric.
struct rating_rejections {
  /// Events (of every kind) older than the oldest kept day when they came.
  std::uint64_t too_old = 0;
  std::uint64_t bad_score = 0;    ///< DSR or review score outside 1..5
  std::uint64_t monthly_cap = 0;  ///< DSR scores beyond the monthly per-buyer cap
  std::uint64_t total() const { return detail::checked_add(detail::checked_add(too_old, bad_score), monthly_cap); }
  friend bool operator==(const rating_rejections& a, const rating_rejections& b) {
    return a.too_old == b.too_old && a.bad_score == b.bad_score && a.monthly_cap == b.monthly_cap;
  }
  friend bool operator!=(const rating_rejections& a, const rating_rejections& b) { return !(a == b); }
};

/// What a shop's ratings look like as of one local day.
struct ratings_report {
  day_number as_of = 0;
  /// DSR per dimension (indexed by dsr_dimension) over days as_of-dsr_days+1 .. as_of;
  /// empty when the dimension has no score in the window.
  std::array<std::optional<score_summary>, 3> dsr;
  /// The after-sales star distribution of its window; empty when no ratings.
  std::optional<score_summary> reviews;
  /// After-sales satisfaction: 4-5 star ratings out of all ratings in its window; empty when no ratings.
  std::optional<rate_counter> after_sales;
  /// Dispute refunds and payments in their window.
  dispute_counts disputes;
  /// disputes.rate(): empty without payments (or when disputes > payments).
  std::optional<rate_counter> dispute_refund;
  /// All rejections so far (not only this window's).
  rating_rejections rejected;

  const std::optional<score_summary>& dsr_of(dsr_dimension d) const { return dsr[static_cast<std::size_t>(d)]; }
};

/// One point of a DSR time series: the three dimensions as of `day`.
struct dsr_point {
  day_number day = 0;
  std::array<std::optional<score_summary>, 3> dsr;
};

}  // namespace csmetrics

#endif  // CSMETRICS_RATINGS_RATINGS_REPORT_HPP_
