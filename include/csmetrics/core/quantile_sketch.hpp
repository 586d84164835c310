// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/core/quantile_sketch.hpp
//
// Percentiles of durations (response times in seconds) in bounded memory,
// with a guaranteed relative error: the DDSketch idea of logarithmic
// buckets. A value x goes to the bucket [L, U) with U / L <= (1 + a)/(1 - a);
// a quantile is answered with the midpoint of the bucket that holds the
// order statistic of that rank, so it is within relative error a of that
// order statistic - whatever the input order (sorted, reverse-sorted or
// drifting input does not degrade it, unlike Boost's P^2 estimator).
//
// What the sketch promises:
//   - quantile(q) is within relative error relative_accuracy() of the
//     lower order statistic x_(r), r = floor(q * (n - 1)) (0-based rank,
//     computed in double, n = count()), when x_(r) is 0 or in
//     [min_value, max_value]. 0 is exact (a zero bucket: an instant reply).
//   - values in (0, min_value) or (max_value, inf) are clamped to the range
//     and counted (clamped_low(), clamped_high()); NaN, +-inf and negative
//     values are rejected and counted, never folded in.
//   - count_at_most(t) is EXACT for each threshold t given at construction
//     (the 45 s rule is a count, not an estimate).
//   - merge() adds bucket-wise, so merging the sketches of the parts of a
//     stream gives a sketch == the one fed the whole stream; subtract()
//     removes a contained sketch, so a sliding window rolls in O(buckets).
//   - memory follows the values seen: up to 32 distinct buckets are kept
//     as (index, count) pairs (16 bytes each: a sketch of a few dozen
//     replies, as most per-agent-day cells are, takes < 1 KiB), beyond
//     that a dense array of 64-bit counts over the bucket indexes seen
//     (grown 8 buckets at a time, never past the buckets of [min_value,
//     max_value]). At a = 1 %: a day of 1 s..600 s replies holds ~340
//     buckets (< 3 KiB in all); the whole 1 ms..30 days range is 1095
//     buckets (< 9 KiB in all); a typical day of replies serializes to
//     < 1 KiB (varint counts). The two forms hold the same counts: ==,
//     merge and the serialized bytes do not depend on the form.
//
// The bucket maths lives in log_buckets.hpp; the definitions in
// quantile_sketch_impl.hpp, but add()'s in quantile_sketch_add_impl.hpp
// (inline in every build: see csmetrics/core/compiled.hpp).
//
// Serialized form, format version 1 (after the common 6-byte header, type
// id 4, flags 0; every integer is a LEB128 varint unless said otherwise):
//
//   field                 encoding   meaning
//   relative_accuracy     f64        in [0.001, 0.1]
//   min_value, max_value  f64, f64   must equal this build's range
//   n_thresholds          varint     <= 16, then n_thresholds f64,
//                                    strictly increasing, in the range
//   count                 varint     zero_count + sum of bucket counts
//   zero_count            varint
//   clamped_low           varint     <= count of the lowest bucket
//   clamped_high          varint     <= count of the highest bucket
//   rejected_nan, rejected_infinite, rejected_negative   3 varints
//   at_most[i]            varint     one per threshold; consistent with
//                                    the buckets on either side of it
//   n_buckets             varint     0 when no value > 0 was added, else
//   first_index           svarint    bucket index of the first count, then
//   counts                n varints  first and last > 0 (no padding)
#ifndef CSMETRICS_CORE_QUANTILE_SKETCH_HPP_
#define CSMETRICS_CORE_QUANTILE_SKETCH_HPP_

#include <cstddef>   // std::size_t
#include <cstdint>   // std::uint64_t, std::uint8_t
#include <optional>  // std::optional
#include <vector>    // std::vector

#include "csmetrics/core/compiled.hpp"
#include "csmetrics/core/log_buckets.hpp"
#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/time.hpp"

namespace csmetrics {

/**
 * Streaming quantiles of durations in seconds with relative error at most
 * relative_accuracy(), plus exact counts at fixed thresholds.
 *
 * Mergeable and subtractable: a.merge(b) equals one sketch fed both
 * streams (operator== holds, bucket for bucket); a.subtract(b) undoes a
 * merge of b. Both require the same configuration.
 * Complexity: add O(number of thresholds), ~2-3 ns in the dense array (a
 * binary search over at most 32 pairs before); merge/subtract/==
 * O(buckets); quantile O(buckets) (scans from the nearer end).
 * Thread-safety: none inside; one writer per sketch, shard and merge.
 *
 *     csmetrics::quantile_sketch s;          // 1 %, exact count at 45 s
 *     s.add(12.5);                           // seconds
 *     s.add(std::chrono::seconds{50});       // a duration
 *     s.quantile(0.9);                       // std::optional<double>
 *     s.count_at_most(45.0);                 // 1, exactly
 */
class quantile_sketch {
 public:
  /// Smallest value kept as is: 1 ms. Smaller positive values are clamped.
  static constexpr double min_value = 0.001;
  /// Largest value kept as is: 30 days. Larger values are clamped.
  static constexpr double max_value = 30.0 * 86400.0;
  static constexpr double min_relative_accuracy = 0.001;
  static constexpr double max_relative_accuracy = 0.1;
  static constexpr std::size_t max_thresholds = 16;
  static constexpr std::uint8_t format_version = 1;

  /// REQUIRES: relative_accuracy in [0.001, 0.1]; at most 16 thresholds,
  /// each in [min_value, max_value] (duplicates are dropped, order does not
  /// matter). Throws std::invalid_argument otherwise.
  explicit quantile_sketch(double relative_accuracy = 0.01, std::vector<double> exact_thresholds = {45.0});

  /// Adds `weight` occurrences of a value in seconds. NaN, +-inf and
  /// negative values are rejected and counted by reason (by weight); values
  /// outside [min_value, max_value] are clamped and counted; weight 0 is a
  /// no-op. Throws std::overflow_error if count() would pass 2^64 - 1.
  void add(double seconds, std::uint64_t weight = 1);
  /// Adds a duration (microseconds), as seconds.
  void add(duration d, std::uint64_t weight = 1) {
    add(static_cast<double>(d.count()) / 1e6, weight);
  }
  /// Adds n values of weight 1; the same state as n calls of add(), faster.
  void add(const double* values, std::size_t n);

  /// Adds other's counts. Throws std::invalid_argument if the
  /// configurations differ, std::overflow_error if a count would overflow
  /// (this sketch is then unchanged).
  void merge(const quantile_sketch& other);
  /// True when merge(other) would not throw (same configuration, no count
  /// overflow): lets a container merge in place without a copy to roll back.
  bool merges_cleanly(const quantile_sketch& other) const;
  /// Removes older's counts (e.g. the day leaving a sliding window).
  /// Throws std::invalid_argument, leaving this sketch unchanged, if the
  /// configurations differ or older is not contained in this sketch (some
  /// count of older exceeds the same count here).
  void subtract(const quantile_sketch& older);
  /// Empties the sketch and frees its buckets; keeps the configuration.
  void reset();

  /// Values added (zero, in range and clamped; not the rejected ones).
  std::uint64_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  /// Estimate of the lower order statistic of rank floor(q * (n - 1)),
  /// within relative_accuracy() of it (see the file comment); empty when
  /// count() == 0. Throws std::invalid_argument unless 0 <= q <= 1.
  std::optional<double> quantile(double q) const;
  /// quantile(q) of every q in `qs` (increasing), in one pass over the
  /// buckets instead of one each; empty when count() == 0. Throws
  /// std::invalid_argument unless 0 <= q <= 1 and qs is increasing.
  std::vector<double> quantiles(const std::vector<double>& qs) const;
  /// Exact count of added values <= threshold (zeros and clamped values by
  /// their true value). Throws std::invalid_argument unless threshold is
  /// one of thresholds().
  std::uint64_t count_at_most(double threshold) const;

  /// Values that were exactly 0.
  std::uint64_t zero_count() const { return zero_; }
  /// Values in (0, min_value), counted at min_value.
  std::uint64_t clamped_low() const { return clamped_low_; }
  /// Values in (max_value, inf), counted at max_value.
  std::uint64_t clamped_high() const { return clamped_high_; }
  std::uint64_t rejected_nan() const { return rejected_nan_; }
  /// +inf and -inf.
  std::uint64_t rejected_infinite() const { return rejected_infinite_; }
  /// Finite values < 0 (-0.0 counts as 0).
  std::uint64_t rejected_negative() const { return rejected_negative_; }
  /// All rejected values.
  std::uint64_t rejected() const;

  double relative_accuracy() const { return relative_accuracy_; }
  /// The thresholds of count_at_most, sorted ascending.
  std::vector<double> thresholds() const;
  /// Buckets held now: the (index, count) pairs while there are at most
  /// sparse_limit, then the dense count array (zeros at its ends
  /// included); 0 before the first positive value.
  std::size_t bucket_count() const { return dense_ ? counts_.size() : sparse_.size(); }
  /// Bytes this sketch occupies: sizeof(quantile_sketch) plus the heap
  /// capacity of its bucket and threshold arrays (not the allocator's own
  /// bookkeeping).
  std::size_t memory_bytes() const;
  /// Buckets that the whole [min_value, max_value] range needs at accuracy a.
  static std::size_t max_bucket_count(double relative_accuracy);
  /// Distinct buckets kept as (index, count) pairs before the dense array.
  static constexpr std::size_t sparse_limit = 32;

  std::vector<std::uint8_t> serialize() const { return detail::serialize(*this); }
  static quantile_sketch deserialize(const void* data, std::size_t size) {
    return detail::deserialize<quantile_sketch>(data, size);
  }
  void serialize_to(detail::writer& w) const;
  static quantile_sketch deserialize_from(detail::reader& r);

  /// For a holder that counts at its thresholds itself (response_stats) and
  /// keeps its sketch without any: writes the bytes serialize_to() would
  /// write if this sketch had the n ascending `thresholds` with exact counts
  /// `at_most`. Throws std::logic_error if this sketch has thresholds.
  void serialize_with(detail::writer& w, const double* thresholds, const std::uint64_t* at_most,
                      std::size_t n) const;
  /// Forgets the exact thresholds and their counts (a read sketch whose
  /// holder keeps them): no per-sketch threshold list left on the heap.
  void drop_thresholds();

  /// Same configuration and the same counts (allocated but empty buckets
  /// do not matter).
  friend bool operator==(const quantile_sketch& a, const quantile_sketch& b) { return a.equals(b); }
  friend bool operator!=(const quantile_sketch& a, const quantile_sketch& b) { return !a.equals(b); }

 private:
  struct sparse_bucket {
    int index;            ///< raw bucket index
    std::uint64_t count;  ///< > 0
  };
  /// Buckets added when the count array grows, on the side it grows.
  static constexpr int grow_slack = 8;
  /// The bits of min_value and max_value (tests check them).
  static constexpr std::uint64_t min_bits = 0x3F50624DD2F1A9FCULL;
  static constexpr std::uint64_t max_bits = 0x4143C68000000000ULL;

  bool same_config(const quantile_sketch& o) const;
  void require_same_config(const quantile_sketch& o, const char* verb) const;
  bool equals(const quantile_sketch& o) const;
  void add_slow(double x, std::uint64_t w);
  /// Adds w to (raw) bucket k in either form: the path of add() when k is
  /// outside the dense array.
  void add_to_bucket(int k, std::uint64_t w);
  /// Makes the dense count array cover bucket indexes [lo, hi] (moving the
  /// pairs into it first).
  void cover(int lo, int hi);
  /// The count of (raw) bucket k, in either form.
  std::uint64_t count_of(int k) const;
  /// Merges pairs `o` into sparse_ when the union has at most sparse_limit
  /// buckets; else returns false and changes nothing.
  bool merge_sparse(const std::vector<sparse_bucket>& o);
  /// Calls f(raw index, count) for every nonzero bucket, ascending.
  template <class F>
  void for_each_bucket(F&& f) const;
  /// First and one-past-last nonzero positions of counts_ (equal if none).
  std::size_t first_nonzero() const;
  std::size_t end_nonzero() const;
  /// The value reported for a (raw) bucket index.
  double bucket_value(int raw_index) const;
  void add_near(int index, double x, std::uint64_t w);
  /// Values in the buckets below threshold j's three (zeros included).
  std::uint64_t below_near(std::size_t j) const;
  /// The exact count <= threshold j.
  std::uint64_t at_most(std::size_t j) const;
  /// Checks exact_[j].near against the buckets it counts in.
  bool near_consistent(std::size_t j) const;
  /// The serialized form, with n thresholds value(j) counting at_most(j).
  template <class Value, class AtMost>
  void write(detail::writer& w, std::size_t n, Value value, AtMost at_most) const;

  /// An exact threshold t. Values in buckets below first_bucket are all
  /// <= t, values in buckets above first_bucket + 2 all > t (the bucket
  /// maths errs by far less than a bucket); only the three buckets around t
  /// need the comparison with t, and `near` counts those that passed it.
  /// So count_at_most(t) = zeros + buckets below + near, and add() compares
  /// with t only when a value lands next to it.
  struct exact_threshold {
    double value;
    int first_bucket;  ///< index(value) - 1
    std::uint64_t near;
  };
  double relative_accuracy_;
  detail::log_buckets map_;
  // Bucket indexes inside the sketch are log_buckets' raw indexes (bucket
  // index + 1023 M); the serialized form has the plain bucket index.
  int min_index_;  ///< bucket of min_value
  int max_index_;  ///< bucket of max_value
  int offset_ = 0;  ///< bucket of counts_[0]
  bool dense_ = false;  ///< counts_ holds the buckets; else sparse_ does (the other is empty)
  std::vector<sparse_bucket> sparse_;  ///< ascending by index
  std::vector<std::uint64_t> counts_;
  std::vector<exact_threshold> exact_;  ///< ascending by value
  int hot_lo_;                          ///< the union of the thresholds' buckets:
  unsigned hot_span_;                   ///< [hot_lo_, hot_lo_ + hot_span_]
  std::uint64_t count_ = 0;
  std::uint64_t zero_ = 0;
  std::uint64_t clamped_low_ = 0;
  std::uint64_t clamped_high_ = 0;
  std::uint64_t rejected_nan_ = 0;
  std::uint64_t rejected_infinite_ = 0;
  std::uint64_t rejected_negative_ = 0;
};

}  // namespace csmetrics

#include "csmetrics/core/quantile_sketch_add_impl.hpp"
#if CSMETRICS_HEADER_ONLY  // else src/csmetrics.cpp compiles them
#include "csmetrics/core/quantile_sketch_impl.hpp"
#include "csmetrics/core/quantile_sketch_serde_impl.hpp"
#endif

#endif  // CSMETRICS_CORE_QUANTILE_SKETCH_HPP_
