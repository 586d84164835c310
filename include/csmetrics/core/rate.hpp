// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/core/rate.hpp
//
// A rate is a pair of counts before it is a double: successes out of trials
// (buyers who ordered / buyers who inquired, orders paid / orders placed,
// reminded orders later paid / reminded orders). `rate_counter` keeps the two
// counts exactly, so it merges exactly, and derives on request:
//
//   - rate()    successes / trials, empty when trials == 0 ("no data" is a
//               normal state, not an error);
//   - wilson()  the Wilson score interval at a chosen confidence (good
//               coverage also for small counts and for 0 % / 100 %);
//   - compare() the difference of two rates a - b with its Newcombe
//               hybrid-score interval and the pooled two-proportion z-test,
//               so a report can say whether agent A really converts better
//               than agent B or whether the gap is noise.
//
// The normal quantile for the confidence is Acklam's rational approximation
// refined by one Halley step on std::erfc (relative error ~1e-15).
#ifndef CSMETRICS_CORE_RATE_HPP_
#define CSMETRICS_CORE_RATE_HPP_

#include <cmath>      // std::sqrt, std::log, std::exp, std::erfc, std::isnan
#include <cstdint>    // std::uint64_t
#include <cstddef>    // std::size_t
#include <optional>   // std::optional
#include <stdexcept>  // std::invalid_argument
#include <string>     // std::to_string
#include <vector>     // std::vector (serialized bytes)

#include "csmetrics/core/checked.hpp"
#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/error.hpp"

namespace csmetrics {

/// A closed interval [lower, upper] of a statistic.
struct interval {
  double lower;
  double upper;

  /// True when lower <= x <= upper.
  bool contains(double x) const { return lower <= x && x <= upper; }
  friend bool operator==(const interval& a, const interval& b) {
    return a.lower == b.lower && a.upper == b.upper;
  }
  friend bool operator!=(const interval& a, const interval& b) { return !(a == b); }
};

namespace detail {

/// The standard normal quantile: x with P(Z <= x) = p.
/// REQUIRES: 0 < p < 1 (callers validate; returns NaN otherwise).
/// Acklam's algorithm (relative error < 1.15e-9) refined by one Halley step
/// using std::erfc, which brings it to about 1e-15. The upper half is computed
/// as -quantile(1 - p) (1 - p is exact there), so both tails are refined where
/// erfc is accurate.
inline double normal_quantile(double p) {
  if (!(p > 0.0 && p < 1.0)) return std::nan("");
  if (p > 0.5) return -normal_quantile(1.0 - p);
  static constexpr double a[6] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                  1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[5] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                  6.680131188771972e+01,  -1.328068155288572e+01};
  static constexpr double c[6] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                  -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[4] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                  3.754408661907416e+00};
  constexpr double p_low = 0.02425;
  double x;
  if (p < p_low) {  // lower tail
    const double q = std::sqrt(-2.0 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  } else {  // central region
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
  }
  // One Halley step on f(x) = Phi(x) - p.
  constexpr double sqrt_2pi = 2.50662827463100050242;
  constexpr double inv_sqrt2 = 0.70710678118654752440;
  const double e = 0.5 * std::erfc(-x * inv_sqrt2) - p;
  const double u = e * sqrt_2pi * std::exp(0.5 * x * x);
  return x - u / (1.0 + 0.5 * x * u);
}

/// The two-sided critical value z with P(|Z| <= z) = confidence.
/// Throws std::invalid_argument unless 0 < confidence < 1.
inline double two_sided_z(double confidence) {
  if (!(confidence > 0.0 && confidence < 1.0))
    CSMETRICS_THROW(std::invalid_argument("confidence must be in (0, 1): " + std::to_string(confidence)));
  return -normal_quantile(0.5 * (1.0 - confidence));
}

/// Wilson score interval for s successes out of n > 0 trials at critical value z.
inline interval wilson_interval(std::uint64_t s, std::uint64_t n, double z) {
  const double nd = static_cast<double>(n);
  const double p = static_cast<double>(s) / nd;
  const double z2 = z * z;
  const double denom = 1.0 + z2 / nd;
  const double center = (p + z2 / (2.0 * nd)) / denom;
  const double half = z * std::sqrt(p * (1.0 - p) / nd + z2 / (4.0 * nd * nd)) / denom;
  double lo = center - half;
  double hi = center + half;
  if (s == 0 || lo < 0.0) lo = 0.0;
  if (s == n || hi > 1.0) hi = 1.0;
  return {lo, hi};
}

}  // namespace detail

/**
 * Successes out of trials: a conversion, reply, payment or satisfaction rate.
 *
 * Stores the two counts only; rate() and the intervals are derived when asked.
 * Mergeable exactly: a.merge(b) adds the counts, so merging the states of any
 * split of a stream gives the state of the whole stream. O(1) per event,
 * 16 bytes of state. Thread-safety: none inside (single writer); shard and
 * merge for parallelism.
 *
 *     csmetrics::rate_counter conv;          // inquiries that ordered
 *     conv.add(true);                        // one buyer ordered
 *     conv.add(1844, 3872);                  // 1844 more out of 3872
 *     conv.rate();                           // std::optional<double>: 0.4764...
 *     conv.wilson(0.95);                     // interval{0.4607, 0.4921}
 *
 * Serialized form (format version 1, type id 1), after the common 6-byte
 * header of core/serde.hpp with flags 0:
 *
 *     varint successes | varint trials          (successes <= trials)
 */
class rate_counter {
 public:
  /// Format version written by serialize(); deserialize() reads 1..this.
  static constexpr std::uint8_t format_version = 1;

  rate_counter() = default;
  /// Starts from known counts. Throws std::invalid_argument if successes > trials.
  rate_counter(std::uint64_t successes, std::uint64_t trials) : successes_(successes), trials_(trials) {
    check_counts(successes, trials);
  }

  /// One trial: a success or a failure. Throws std::overflow_error at 2^64 trials.
  void add(bool success) {
    trials_ = detail::checked_add(trials_, std::uint64_t{1});
    successes_ += success ? 1 : 0;  // cannot overflow: successes_ <= trials_
  }
  /// `trials` more trials of which `successes` succeeded. Throws
  /// std::invalid_argument if successes > trials, std::overflow_error if a
  /// count would pass 2^64 - 1 (the state is then unchanged).
  void add(std::uint64_t successes, std::uint64_t trials) {
    check_counts(successes, trials);
    const std::uint64_t t = detail::checked_add(trials_, trials);
    successes_ += successes;  // cannot overflow: <= t
    trials_ = t;
  }

  std::uint64_t successes() const { return successes_; }
  std::uint64_t trials() const { return trials_; }
  std::uint64_t failures() const { return trials_ - successes_; }
  bool empty() const { return trials_ == 0; }

  /// successes / trials; empty when trials == 0.
  std::optional<double> rate() const {
    if (trials_ == 0) return std::nullopt;
    return static_cast<double>(successes_) / static_cast<double>(trials_);
  }

  /// Wilson score interval for the true rate at `confidence` (two-sided);
  /// empty when trials == 0. Clamped to [0, 1]; lower is exactly 0 when there
  /// is no success and upper exactly 1 when every trial succeeded. Throws
  /// std::invalid_argument unless 0 < confidence < 1.
  std::optional<interval> wilson(double confidence = 0.95) const {
    const double z = detail::two_sided_z(confidence);
    if (trials_ == 0) return std::nullopt;
    return detail::wilson_interval(successes_, trials_, z);
  }

  /// Adds the counts of `other` (the state of both streams). Throws
  /// std::overflow_error if the trials would pass 2^64 - 1 (state unchanged).
  void merge(const rate_counter& other) { add(other.successes_, other.trials_); }
  /// True when merge(other) would not throw.
  bool merges_cleanly(const rate_counter& other) const { return trials_ <= UINT64_MAX - other.trials_; }

  void reset() { *this = rate_counter{}; }

  std::vector<std::uint8_t> serialize() const { return detail::serialize(*this); }
  /// Throws csmetrics::deserialize_error on truncated, corrupt or foreign bytes.
  static rate_counter deserialize(const void* data, std::size_t size) {
    return detail::deserialize<rate_counter>(data, size);
  }
  void serialize_to(detail::writer& w) const {
    w.header(detail::type_id::rate, format_version);
    w.varint(successes_);
    w.varint(trials_);
  }
  static rate_counter deserialize_from(detail::reader& r) {
    r.header(detail::type_id::rate, "rate_counter", format_version);
    rate_counter out;
    out.successes_ = r.varint();
    out.trials_ = r.varint();
    r.check(out.successes_ <= out.trials_, "successes <= trials");
    return out;
  }

  friend bool operator==(const rate_counter& a, const rate_counter& b) {
    return a.successes_ == b.successes_ && a.trials_ == b.trials_;
  }
  friend bool operator!=(const rate_counter& a, const rate_counter& b) { return !(a == b); }

 private:
  static void check_counts(std::uint64_t successes, std::uint64_t trials) {
    if (successes > trials)
      CSMETRICS_THROW(std::invalid_argument("successes must be in [0, trials = " + std::to_string(trials) +
                                            "]: " + std::to_string(successes)));
  }

  std::uint64_t successes_ = 0;
  std::uint64_t trials_ = 0;
};

/// What compare() concludes at its confidence.
enum class rate_verdict {
  a_higher,            ///< the whole interval of a - b is above 0
  b_higher,            ///< the whole interval of a - b is below 0
  no_clear_difference  ///< the interval contains 0: the gap may be noise
};

/// The difference of two rates and how sure we are of it.
struct rate_comparison {
  double difference;     ///< rate(a) - rate(b)
  interval difference_ci;  ///< Newcombe hybrid-score interval of a - b at `confidence`
  double z;              ///< pooled two-proportion z statistic (0 when the pooled rate is 0 or 1)
  double p_value;        ///< two-sided p-value of that z-test (1 when the pooled rate is 0 or 1)
  double confidence;     ///< the confidence the interval was computed at

  /// From the interval: a_higher / b_higher when it excludes 0. (The z-test
  /// p-value and the interval agree except very near the boundary; the
  /// verdict follows the interval, which is what a report prints.)
  rate_verdict verdict() const {
    if (difference_ci.lower > 0.0) return rate_verdict::a_higher;
    if (difference_ci.upper < 0.0) return rate_verdict::b_higher;
    return rate_verdict::no_clear_difference;
  }
  /// True when the interval excludes 0.
  bool significant() const { return verdict() != rate_verdict::no_clear_difference; }
};

/// Compares rate(a) with rate(b): the difference a - b, its Newcombe
/// hybrid-score interval (method 10 of Newcombe 1998, built from the two
/// Wilson intervals; statsmodels' confint_proportions_2indep(method="newcomb"))
/// and the pooled two-proportion z-test (statsmodels' proportions_ztest).
/// Empty when either has no trials. Throws std::invalid_argument unless
/// 0 < confidence < 1.
///
///     auto c = csmetrics::compare(agent_a, agent_b);
///     if (c && c->verdict() == csmetrics::rate_verdict::a_higher) ...
inline std::optional<rate_comparison> compare(const rate_counter& a, const rate_counter& b,
                                              double confidence = 0.95) {
  const double zc = detail::two_sided_z(confidence);
  if (a.trials() == 0 || b.trials() == 0) return std::nullopt;
  const double n1 = static_cast<double>(a.trials());
  const double n2 = static_cast<double>(b.trials());
  const double p1 = static_cast<double>(a.successes()) / n1;
  const double p2 = static_cast<double>(b.successes()) / n2;
  const double d = p1 - p2;
  const interval w1 = detail::wilson_interval(a.successes(), a.trials(), zc);
  const interval w2 = detail::wilson_interval(b.successes(), b.trials(), zc);
  const double lower = d - std::sqrt((p1 - w1.lower) * (p1 - w1.lower) + (w2.upper - p2) * (w2.upper - p2));
  const double upper = d + std::sqrt((w1.upper - p1) * (w1.upper - p1) + (p2 - w2.lower) * (p2 - w2.lower));
  // Pooled z-test. Counts are summed as doubles: the two trials may add past 2^64.
  const double pooled =
      (static_cast<double>(a.successes()) + static_cast<double>(b.successes())) / (n1 + n2);
  const double se = std::sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2));
  double z = 0.0;
  double p_value = 1.0;
  if (se > 0.0) {
    z = d / se;
    p_value = std::erfc(std::fabs(z) * 0.70710678118654752440);
  }
  return rate_comparison{d, interval{lower < -1.0 ? -1.0 : lower, upper > 1.0 ? 1.0 : upper}, z, p_value,
                         confidence};
}

}  // namespace csmetrics

#endif  // CSMETRICS_CORE_RATE_HPP_
