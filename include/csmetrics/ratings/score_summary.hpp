// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/ratings/score_summary.hpp
//
// csmetrics::score_summary: a window's distribution of 1..5 star scores (one
// DSR dimension, or the after-sales ratings) with everything a report shows
// derived exactly from the five star counts: sum, count, mean, the 2-decimal
// display rounded half up, and the 1-2 and 4-5 star shares.
#ifndef CSMETRICS_RATINGS_SCORE_SUMMARY_HPP_
#define CSMETRICS_RATINGS_SCORE_SUMMARY_HPP_

#include <array>      // std::array
#include <cstdint>    // std::uint64_t, std::int64_t
#include <stdexcept>  // std::invalid_argument
#include <string>     // std::string, std::to_string

#include "csmetrics/core/error.hpp"
#include "csmetrics/core/rate.hpp"
#include "csmetrics/ratings/ratings_day.hpp"

namespace csmetrics {

/// A distribution of 1..5 star scores with everything derived exactly: one
/// DSR dimension over its window, or the after-sales ratings over theirs.
/// Only made for a non-empty window (reports hold std::optional<score_summary>).
class score_summary {
 public:
  /// REQUIRES: at least one score (throws std::invalid_argument otherwise).
  explicit score_summary(const std::array<std::uint64_t, 5>& stars) : stars_(stars) {
    detail::star_counts s;
    s.n = stars;
    count_ = s.count();
    sum_ = s.sum();
    if (count_ == 0) CSMETRICS_THROW(std::invalid_argument("score_summary: no scores"));
  }

  /// stars()[k - 1] = number of k-star scores.
  const std::array<std::uint64_t, 5>& stars() const { return stars_; }
  /// Exact sum of the scores.
  std::uint64_t sum() const { return sum_; }
  /// Number of scores (> 0).
  std::uint64_t count() const { return count_; }
  /// sum / count.
  double mean() const { return static_cast<double>(sum_) / static_cast<double>(count_); }
  /// sum / count in hundredths, rounded half up, exact: 4.845 -> 485.
  std::int64_t hundredths() const {
    __extension__ using u128 = unsigned __int128;
    const u128 h = (static_cast<u128>(sum_) * 200u + count_) / (static_cast<u128>(count_) * 2u);
    return static_cast<std::int64_t>(h);  // <= 500
  }
  /// The 2-decimal display a shop sees: "4.85".
  std::string display() const {
    const std::int64_t h = hundredths();
    std::string s = std::to_string(h / 100);
    s += '.';
    s += static_cast<char>('0' + (h / 10) % 10);
    s += static_cast<char>('0' + h % 10);
    return s;
  }
  /// 1- and 2-star scores.
  std::uint64_t low() const { return stars_[0] + stars_[1]; }
  /// 4- and 5-star scores.
  std::uint64_t high() const { return stars_[3] + stars_[4]; }
  /// Share of 1-2 star scores as a rate (Wilson interval on request).
  rate_counter low_share() const { return rate_counter(low(), count_); }
  /// Share of 4-5 star scores as a rate.
  rate_counter high_share() const { return rate_counter(high(), count_); }

  friend bool operator==(const score_summary& a, const score_summary& b) { return a.stars_ == b.stars_; }
  friend bool operator!=(const score_summary& a, const score_summary& b) { return !(a == b); }

 private:
  std::array<std::uint64_t, 5> stars_;
  std::uint64_t sum_ = 0;
  std::uint64_t count_ = 0;
};

}  // namespace csmetrics

#endif  // CSMETRICS_RATINGS_SCORE_SUMMARY_HPP_
