// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/core/moments.hpp
//
// Count, mean, variance, min and max of a stream of doubles (response times
// in seconds, order values, scores), in O(1) state, at about one nanosecond
// per value, mergeable across threads, processes and machines.
//
// How. The state is the count n, a shift K, S1 = sum(x - K) and
// S2 = sum((x - K)^2), plus min and max (exact). An add() is one subtraction,
// two additions and a multiplication, with no division (Welford's update
// needs one per value); mean = K + S1/n and M2 = S2 - S1^2/n are derived on
// request. Three measures keep the rounding error small:
//   - shifted data (Chan, Golub & LeVeque 1983): K starts as the first value
//     and is moved to the running mean whenever n reaches a power of two
//     (log2 n times in all), so S1 stays near 0 and S2 near M2;
//   - blocked sums: S1 and S2 are summed in a block of at most 1024 values,
//     folded into the totals every 1024 values, so no sum adds up more than
//     1024 + n/1024 rounding errors;
//   - merge by Chan et al.'s pairwise formula, re-centred on the merged mean;
//     it is symmetric, so a.merge(b) and b.merge(a) give the same bits.
//
// Error bound. Let u = 2^-53, s^2 the population variance, B = 1024 and
// k = 1 + (mean - K)^2 / s^2 (about 1 after the re-centring, unless the
// stream drifts: K is the mean of at least the first half of the values).
//   - variance: relative error <= about (B + n/B + 4) * u * k in the worst
//     case, plus about 3 * u * k per merge (1.2e-13 for n = 10^7); rounding
//     errors add up like a random walk, so (sqrt(B/3) + sqrt(n/(3B))) * u * k
//     is typical: ~1e-15 for 10^7 values;
//   - mean: absolute error <= about (B + n/B) * u * mean(|x - K|) + u * |mean|.
// Hence a state merged from the parts of a split stream matches the state of
// the whole stream within that bound, not bit for bit: operator== compares
// the exact state, and the tests compare mean and variance within 1e-12.
//
// Values that are NaN or infinite, or whose magnitude exceeds
// moments::max_magnitude (1e140: their squares summed 2^64 times would
// overflow), are rejected and counted by reason, never folded in.
#ifndef CSMETRICS_CORE_MOMENTS_HPP_
#define CSMETRICS_CORE_MOMENTS_HPP_

#include <cmath>     // std::fabs, std::isfinite, std::sqrt
#include <cstddef>   // std::size_t
#include <cstdint>   // std::uint64_t
#include <limits>    // std::numeric_limits (infinity)
#include <optional>  // std::optional
#include <vector>    // std::vector (serialized bytes)

#include "csmetrics/core/checked.hpp"
#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/error.hpp"

namespace csmetrics {

/**
 * Count, mean, variance (sample and population), min and max of doubles.
 *
 * Mergeable: a.merge(b) is the state of both streams, within the error bound
 * in the file comment (counts, min and max exactly). O(1) per value (no
 * division), 80 bytes of state. Thread-safety: none inside (single writer);
 * shard and merge for parallelism.
 *
 *     csmetrics::moments rt;                  // reply delays in seconds
 *     for (double s : {12.0, 45.5, 80.0}) rt.add(s);
 *     rt.mean();                              // std::optional<double>: 45.8333...
 *     rt.variance();                          // sample variance (n - 1): 1156.0833...
 *     rt.add(std::nan(""));                   // rejected: rt.rejected_not_finite() == 1
 *
 * Serialized form (format version 1, type id 2) after the common 6-byte
 * header of core/serde.hpp with flags 0:
 *
 *     varint count | varint rejected_not_finite | varint rejected_out_of_range
 *     then, only when count > 0:
 *     f64 shift K | f64 S1 total | f64 S2 total | f64 S1 block | f64 S2 block
 *     | f64 min | f64 max
 *
 * Invariants checked on reading: every double finite and within
 * max_magnitude; min <= K <= max; S2 totals >= 0; |S1| and S2 within what n
 * values in [min, max] can give; with one value, S1 = S2 = 0 and
 * min = K = max.
 */
class moments {
 public:
  /// Format version written by serialize(); deserialize() reads 1..this.
  static constexpr std::uint8_t format_version = 1;
  /// Values with a larger magnitude are rejected (see rejected_out_of_range()).
  static constexpr double max_magnitude = 1e140;
  /// S1 and S2 are folded from the block into the totals every this many values.
  static constexpr std::uint64_t block_size = 1024;

  moments() = default;

  /// Adds one value. NaN and infinities are rejected and counted in
  /// rejected_not_finite(); |x| > max_magnitude in rejected_out_of_range().
  /// Throws std::overflow_error at 2^64 values (the state is then unchanged).
  void add(double x) {
    if (!admit(x, rejected_not_finite_, rejected_out_of_range_)) return;
    count_ = detail::checked_add(count_, std::uint64_t{1});
    step(count_, x, shift_, block_sum_, block_sum_sq_, sum_, sum_sq_, min_, max_);
  }

  /// Adds the values in [first, last) as add(x) would, with the same result
  /// bits, but with the state held in registers for the loop (a member
  /// accumulator otherwise goes through memory on every value, since the
  /// compiler cannot prove the input does not alias it). All or nothing: if a
  /// count would overflow, std::overflow_error and the state is unchanged.
  template <class InputIt>
  void add(InputIt first, InputIt last) {
    // Plain scalars rather than a copy of *this: a struct copy invites the
    // SLP vectorizer to pack neighbouring fields and shuffle them per value.
    std::uint64_t n = count_, not_finite = rejected_not_finite_, out_of_range = rejected_out_of_range_;
    double k = shift_, b1 = block_sum_, b2 = block_sum_sq_, s1 = sum_, s2 = sum_sq_, lo = min_, hi = max_;
    for (; first != last; ++first) {
      const double x = static_cast<double>(*first);
      if (!admit(x, not_finite, out_of_range)) continue;
      n = detail::checked_add(n, std::uint64_t{1});
      step(n, x, k, b1, b2, s1, s2, lo, hi);
    }
    count_ = n;
    rejected_not_finite_ = not_finite;
    rejected_out_of_range_ = out_of_range;
    shift_ = k;
    block_sum_ = b1;
    block_sum_sq_ = b2;
    sum_ = s1;
    sum_sq_ = s2;
    min_ = lo;
    max_ = hi;
  }

  /// Values added (rejected ones not included).
  std::uint64_t count() const { return count_; }
  bool empty() const { return count_ == 0; }

  /// Arithmetic mean; empty when count() == 0. Always within [min(), max()].
  std::optional<double> mean() const {
    if (count_ == 0) return std::nullopt;
    return raw_mean();
  }
  /// Sample variance (divides by n - 1); empty when count() < 2.
  std::optional<double> variance() const {
    if (count_ < 2) return std::nullopt;
    return m2() / static_cast<double>(count_ - 1);
  }
  /// Population variance (divides by n); empty when count() == 0.
  std::optional<double> population_variance() const {
    if (count_ == 0) return std::nullopt;
    return m2() / static_cast<double>(count_);
  }
  /// Sample standard deviation, sqrt(variance()); empty when count() < 2.
  std::optional<double> stddev() const {
    if (count_ < 2) return std::nullopt;
    return std::sqrt(m2() / static_cast<double>(count_ - 1));
  }
  /// Smallest value added (exact); empty when count() == 0.
  std::optional<double> min() const {
    if (count_ == 0) return std::nullopt;
    return min_;
  }
  /// Largest value added (exact); empty when count() == 0.
  std::optional<double> max() const {
    if (count_ == 0) return std::nullopt;
    return max_;
  }
  /// Sum of the values, n * K + S1 (0 when empty); the mean's error times n.
  double sum() const { return count_ == 0 ? 0.0 : static_cast<double>(count_) * shift_ + s1(); }

  /// Values rejected because they were NaN or infinite.
  std::uint64_t rejected_not_finite() const { return rejected_not_finite_; }
  /// Values rejected because their magnitude exceeded max_magnitude.
  std::uint64_t rejected_out_of_range() const { return rejected_out_of_range_; }
  /// All rejected values (saturates at 2^64 - 1).
  std::uint64_t rejected() const {
    const std::uint64_t r = rejected_not_finite_ + rejected_out_of_range_;
    return r < rejected_not_finite_ ? ~std::uint64_t{0} : r;
  }

  /// Folds in the state of another stream (Chan et al.'s pairwise update,
  /// re-centred on the merged mean; symmetric in the two operands). Throws
  /// std::overflow_error if a count would pass 2^64 - 1 (state unchanged).
  void merge(const moments& other) {
    const std::uint64_t rej_nf = detail::checked_add(rejected_not_finite_, other.rejected_not_finite_);
    const std::uint64_t rej_oor = detail::checked_add(rejected_out_of_range_, other.rejected_out_of_range_);
    const std::uint64_t n = detail::checked_add(count_, other.count_);
    if (other.count_ != 0) {
      if (count_ == 0) {
        const std::uint64_t keep_nf = rejected_not_finite_, keep_oor = rejected_out_of_range_;
        *this = other;
        rejected_not_finite_ = keep_nf;
        rejected_out_of_range_ = keep_oor;
      } else {
        const double na = static_cast<double>(count_);
        const double nb = static_cast<double>(other.count_);
        const double mean_a = raw_mean();
        const double mean_b = other.raw_mean();
        const double m2_a = m2();
        const double m2_b = other.m2();
        const double lo = min_ < other.min_ ? min_ : other.min_;
        const double hi = max_ > other.max_ ? max_ : other.max_;
        double k = (na * mean_a + nb * mean_b) / static_cast<double>(n);
        k = k < lo ? lo : (k > hi ? hi : k);
        const double da = mean_a - k;
        const double db = mean_b - k;
        shift_ = k;
        sum_ = na * da + nb * db;
        sum_sq_ = (m2_a + na * da * da) + (m2_b + nb * db * db);
        block_sum_ = 0.0;
        block_sum_sq_ = 0.0;
        min_ = lo;
        max_ = hi;
        count_ = n;
      }
    }
    rejected_not_finite_ = rej_nf;
    rejected_out_of_range_ = rej_oor;
  }
  /// True when merge(other) would not throw.
  bool merges_cleanly(const moments& other) const {
    return count_ <= UINT64_MAX - other.count_ && rejected_not_finite_ <= UINT64_MAX - other.rejected_not_finite_ &&
           rejected_out_of_range_ <= UINT64_MAX - other.rejected_out_of_range_;
  }

  void reset() { *this = moments{}; }

  std::vector<std::uint8_t> serialize() const { return detail::serialize(*this); }
  /// Throws csmetrics::deserialize_error on truncated, corrupt or foreign bytes.
  static moments deserialize(const void* data, std::size_t size) { return detail::deserialize<moments>(data, size); }

  void serialize_to(detail::writer& w) const {
    w.header(detail::type_id::moments, format_version);
    w.varint(count_);
    w.varint(rejected_not_finite_);
    w.varint(rejected_out_of_range_);
    if (count_ == 0) return;
    w.f64(shift_);
    w.f64(sum_);
    w.f64(sum_sq_);
    w.f64(block_sum_);
    w.f64(block_sum_sq_);
    w.f64(min_);
    w.f64(max_);
  }

  static moments deserialize_from(detail::reader& r) {
    r.header(detail::type_id::moments, "moments", format_version);
    moments m;
    m.count_ = r.varint();
    m.rejected_not_finite_ = r.varint();
    m.rejected_out_of_range_ = r.varint();
    if (m.count_ == 0) return m;
    m.shift_ = r.f64();
    m.sum_ = r.f64();
    m.sum_sq_ = r.f64();
    m.block_sum_ = r.f64();
    m.block_sum_sq_ = r.f64();
    m.min_ = r.f64();
    m.max_ = r.f64();
    auto in_range = [](double v) { return std::fabs(v) <= max_magnitude; };  // false for NaN
    r.check(in_range(m.min_) && in_range(m.max_) && m.min_ <= m.max_, "min <= max within max_magnitude");
    r.check(m.min_ <= m.shift_ && m.shift_ <= m.max_, "min <= shift <= max");
    r.check(std::isfinite(m.sum_) && std::isfinite(m.sum_sq_) && std::isfinite(m.block_sum_) &&
                std::isfinite(m.block_sum_sq_),
            "S1 and S2 finite");
    r.check(m.sum_sq_ >= 0.0 && m.block_sum_sq_ >= 0.0, "S2 >= 0");
    const double t1 = m.s1(), t2 = m.s2();
    if (m.count_ == 1) {
      r.check(t1 == 0.0 && t2 == 0.0 && m.min_ == m.max_, "one value: S1 = S2 = 0, min = max");
    } else {
      // n values within [min, max] give |S1| <= n R and S2 <= n R^2 (R = max - min);
      // the factor 2 leaves room for rounding.
      const double n = static_cast<double>(m.count_);
      const double range = m.max_ - m.min_;
      r.check(std::fabs(t1) <= 2.0 * n * range, "|S1| <= 2 n (max - min)");
      r.check(t2 <= 2.0 * n * range * range, "S2 <= 2 n (max - min)^2");
    }
    return m;
  }

  /// Exact comparison of the state (see the file comment for merged states).
  friend bool operator==(const moments& a, const moments& b) {
    return a.count_ == b.count_ && a.shift_ == b.shift_ && a.sum_ == b.sum_ && a.sum_sq_ == b.sum_sq_ &&
           a.block_sum_ == b.block_sum_ && a.block_sum_sq_ == b.block_sum_sq_ && a.min_ == b.min_ &&
           a.max_ == b.max_ && a.rejected_not_finite_ == b.rejected_not_finite_ &&
           a.rejected_out_of_range_ == b.rejected_out_of_range_;
  }
  friend bool operator!=(const moments& a, const moments& b) { return !(a == b); }

 private:
  // The check of add(x), on rejection counters given by reference as in
  // step(): false, with x counted by reason, when x is NaN, infinite or
  // beyond max_magnitude.
  static bool admit(double x, std::uint64_t& not_finite, std::uint64_t& out_of_range) {
    if (std::fabs(x) <= max_magnitude) return true;  // false for NaN
    if (std::isfinite(x))
      out_of_range = detail::checked_add(out_of_range, std::uint64_t{1});
    else
      not_finite = detail::checked_add(not_finite, std::uint64_t{1});
    return false;
  }
  // The update of add(x) on the state given by reference (members or the
  // locals of the range add); `n` is the count including x.
  static void step(std::uint64_t n, double x, double& k, double& b1, double& b2, double& s1, double& s2,
                   double& lo, double& hi) {
    if (n == 1) k = x;
    const double d = x - k;
    b1 += d;
    b2 += d * d;
    lo = x < lo ? x : lo;
    hi = x > hi ? x : hi;
    if ((n & (block_size - 1)) == 0 || (n & (n - 1)) == 0) {
      const folded f = fold(n, k, b1 + s1, b2 + s2, lo, hi);
      k = f.shift;
      s1 = f.sum;
      s2 = f.sum_sq;
      b1 = 0.0;
      b2 = 0.0;
    }
  }
  struct folded {
    double shift, sum, sum_sq;
  };
  // Cold path of step(), by value so the caller's state can stay in
  // registers: the block is folded into the totals (s1, s2 here), and when n
  // is a power of two the shift K moves to the current mean, so S1 becomes ~0
  // and later values add small deviations (the error bound's k returns to ~1).
  static folded fold(std::uint64_t n, double k, double s1, double s2, double lo, double hi) {
    if ((n & (n - 1)) != 0) return {k, s1, s2};
    const double nd = static_cast<double>(n);
    double mean = k + s1 / nd;
    mean = mean < lo ? lo : (mean > hi ? hi : mean);
    const double m2 = s2 - s1 * s1 / nd;
    const double e = s1 / nd - (mean - k);  // the old mean relative to the new shift (tiny)
    return {mean, nd * e, (m2 > 0.0 ? m2 : 0.0) + nd * e * e};
  }
  double s1() const { return sum_ + block_sum_; }
  double s2() const { return sum_sq_ + block_sum_sq_; }
  // REQUIRES: count_ > 0.
  double raw_mean() const {
    const double m = shift_ + s1() / static_cast<double>(count_);
    return m < min_ ? min_ : (m > max_ ? max_ : m);
  }
  // Sum of squared deviations from the mean, S2 - S1^2 / n, never negative.
  double m2() const {
    if (count_ == 0) return 0.0;
    const double t1 = s1();
    const double v = s2() - t1 * t1 / static_cast<double>(count_);
    return v > 0.0 ? v : 0.0;
  }

  std::uint64_t count_ = 0;
  double shift_ = 0.0;         // K: the first value, then the mean at the last power of two or merge
  double sum_ = 0.0;           // S1 = sum(x - K): total of the folded blocks
  double sum_sq_ = 0.0;        // S2 = sum((x - K)^2): total of the folded blocks
  double block_sum_ = 0.0;     // S1 of the values since the last fold
  double block_sum_sq_ = 0.0;  // S2 of the values since the last fold
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
  std::uint64_t rejected_not_finite_ = 0;
  std::uint64_t rejected_out_of_range_ = 0;
};

}  // namespace csmetrics

#endif  // CSMETRICS_CORE_MOMENTS_HPP_
