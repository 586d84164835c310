// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/core/quantile_sketch_impl.hpp
//
// Definitions of csmetrics::quantile_sketch; the public header
// csmetrics/core/quantile_sketch.hpp is the reference. The serialized form
// is in quantile_sketch_serde_impl.hpp, the adding path in
// quantile_sketch_add_impl.hpp. With CSMETRICS_SEPARATE_COMPILATION these
// definitions are compiled once, in src/csmetrics.cpp.
#ifndef CSMETRICS_CORE_QUANTILE_SKETCH_IMPL_HPP_
#define CSMETRICS_CORE_QUANTILE_SKETCH_IMPL_HPP_

#include "csmetrics/core/quantile_sketch.hpp"

#include <algorithm>  // std::sort, std::unique, std::copy, std::find, std::min, std::max
#include <cmath>      // std::isnan, std::isinf, std::isfinite
#include <cstddef>    // std::size_t
#include <cstdint>    // std::uint64_t
#include <optional>   // std::optional
#include <stdexcept>  // std::invalid_argument, std::overflow_error
#include <string>     // std::string, std::to_string
#include <utility>    // std::move, std::swap
#include <vector>     // std::vector

#include "csmetrics/core/checked.hpp"
#include "csmetrics/core/log_buckets.hpp"
#include "csmetrics/core/error.hpp"

namespace csmetrics {

namespace detail {

/// "[45, 60]": thresholds for error messages.
CSMETRICS_FUNC std::string format_thresholds(const std::vector<double>& t) {
  std::string s = "[";
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(t[i]);
  }
  return s + "]";
}

[[noreturn]] CSMETRICS_FUNC void throw_count_overflow() {
  CSMETRICS_THROW(std::overflow_error("csmetrics::quantile_sketch: 64-bit count overflow"));
}

}  // namespace detail

CSMETRICS_FUNC quantile_sketch::quantile_sketch(double relative_accuracy, std::vector<double> exact_thresholds)
    : relative_accuracy_(relative_accuracy) {
  if (!(relative_accuracy >= min_relative_accuracy && relative_accuracy <= max_relative_accuracy))
    CSMETRICS_THROW(std::invalid_argument("quantile_sketch: relative_accuracy must be in [0.001, 0.1]: " +
                                          std::to_string(relative_accuracy)));
  if (exact_thresholds.size() > max_thresholds)
    CSMETRICS_THROW(std::invalid_argument("quantile_sketch: at most 16 exact thresholds: " +
                                          std::to_string(exact_thresholds.size())));
  for (double t : exact_thresholds)
    if (!(t >= min_value && t <= max_value))
      CSMETRICS_THROW(std::invalid_argument(
          "quantile_sketch: exact thresholds must be in [0.001, 2592000] seconds: " + std::to_string(t)));
  std::sort(exact_thresholds.begin(), exact_thresholds.end());
  exact_thresholds.erase(std::unique(exact_thresholds.begin(), exact_thresholds.end()), exact_thresholds.end());
  map_ = detail::log_buckets(relative_accuracy);
  min_index_ = map_.raw_index(min_value);
  max_index_ = map_.raw_index(max_value);
  // No threshold: a window no bucket index reaches.
  int lo = max_index_ + 8, hi = max_index_ + 8;
  exact_.reserve(exact_thresholds.size());
  for (double t : exact_thresholds) {
    const int first = map_.raw_index(t) - 1;
    if (exact_.empty()) lo = hi = first;
    lo = std::min(lo, first);
    hi = std::max(hi, first + 2);
    exact_.push_back(exact_threshold{t, first, 0});
  }
  hot_lo_ = lo;
  hot_span_ = static_cast<unsigned>(hi - lo);
}

CSMETRICS_FUNC std::size_t quantile_sketch::max_bucket_count(double relative_accuracy) {
  detail::log_buckets m(relative_accuracy);
  return static_cast<std::size_t>(m.index(max_value) - m.index(min_value) + 1);
}

CSMETRICS_FUNC std::vector<double> quantile_sketch::thresholds() const {
  std::vector<double> t;
  for (const auto& e : exact_) t.push_back(e.value);
  return t;
}

// ---------------------------------------------------------------- adding

CSMETRICS_FUNC void quantile_sketch::add_slow(double x, std::uint64_t w) {
  if (w == 0) return;
  if (std::isnan(x)) {
    rejected_nan_ = detail::checked_add(rejected_nan_, w);
    return;
  }
  if (std::isinf(x)) {
    rejected_infinite_ = detail::checked_add(rejected_infinite_, w);
    return;
  }
  if (x < 0.0) {
    rejected_negative_ = detail::checked_add(rejected_negative_, w);
    return;
  }
  std::uint64_t n;
  if (__builtin_add_overflow(count_, w, &n)) detail::throw_count_overflow();
  if (x == 0.0) {
    zero_ += w;  // <= count_; below every threshold, counted by count_at_most
  } else {
    // Clamped: counted at the range's end, compared with thresholds by its
    // true value.
    const int k = x < min_value ? min_index_ : max_index_;
    add_to_bucket(k, w);
    (x < min_value ? clamped_low_ : clamped_high_) += w;
    add_near(k, x, w);
  }
  count_ = n;
}

CSMETRICS_FUNC void quantile_sketch::add_to_bucket(int k, std::uint64_t w) {
  if (w == 0) return;  // a pair holds a count > 0
  if (!dense_) {
    const auto it = std::lower_bound(sparse_.begin(), sparse_.end(), k,
                                     [](const sparse_bucket& b, int key) { return b.index < key; });
    if (it != sparse_.end() && it->index == k) {
      it->count += w;  // <= count_, cannot overflow
      return;
    }
    if (sparse_.size() < sparse_limit) {
      const auto at = it - sparse_.begin();
      if (sparse_.empty()) sparse_.reserve(8);  // 8, 16, 32: three allocations, not six
      sparse_.insert(sparse_.begin() + at, sparse_bucket{k, w});
      return;
    }
  }
  cover(k, k);
  counts_[static_cast<std::size_t>(k - offset_)] += w;
}

CSMETRICS_FUNC void quantile_sketch::cover(int lo, int hi) {
  const int size = static_cast<int>(counts_.size());
  if (size != 0 && lo >= offset_ && hi < offset_ + size) return;
  int new_lo, new_hi;
  if (size == 0) {  // from the pairs (or from nothing) to the dense array
    if (!sparse_.empty()) {
      lo = std::min(lo, sparse_.front().index);
      hi = std::max(hi, sparse_.back().index);
    }
    new_lo = lo - grow_slack;
    new_hi = hi + grow_slack;
  } else {
    new_lo = lo < offset_ ? lo - grow_slack : offset_;
    new_hi = hi >= offset_ + size ? hi + grow_slack : offset_ + size - 1;
  }
  new_lo = std::max(new_lo, min_index_);
  new_hi = std::min(new_hi, max_index_);
  std::vector<std::uint64_t> grown(static_cast<std::size_t>(new_hi - new_lo + 1), 0);
  std::copy(counts_.begin(), counts_.end(), grown.begin() + (offset_ - new_lo) * (size != 0));
  for (const sparse_bucket& b : sparse_) grown[static_cast<std::size_t>(b.index - new_lo)] = b.count;
  counts_.swap(grown);
  offset_ = new_lo;
  std::vector<sparse_bucket>().swap(sparse_);
  dense_ = true;
}

template <class F>
void quantile_sketch::for_each_bucket(F&& f) const {
  if (!dense_) {
    for (const sparse_bucket& b : sparse_) f(b.index, b.count);
    return;
  }
  for (std::size_t i = 0; i < counts_.size(); ++i)
    if (counts_[i] != 0) f(offset_ + static_cast<int>(i), counts_[i]);
}

CSMETRICS_FUNC std::uint64_t quantile_sketch::count_of(int k) const {
  if (!dense_) {
    const auto it = std::lower_bound(sparse_.begin(), sparse_.end(), k,
                                     [](const sparse_bucket& b, int key) { return b.index < key; });
    return it != sparse_.end() && it->index == k ? it->count : 0;
  }
  const std::size_t i = static_cast<unsigned>(k - offset_);
  return i < counts_.size() ? counts_[i] : 0;
}

// ------------------------------------------------------ merge and subtract

CSMETRICS_FUNC bool quantile_sketch::same_config(const quantile_sketch& o) const {
  return relative_accuracy_ == o.relative_accuracy_ &&
         std::equal(exact_.begin(), exact_.end(), o.exact_.begin(), o.exact_.end(),
                    [](const exact_threshold& a, const exact_threshold& b) { return a.value == b.value; });
}

CSMETRICS_FUNC void quantile_sketch::require_same_config(const quantile_sketch& o, const char* verb) const {
  if (!same_config(o))
    CSMETRICS_THROW(std::invalid_argument(
        std::string("quantile_sketch: cannot ") + verb + " sketches of different configuration: relative_accuracy " +
        std::to_string(relative_accuracy_) + " thresholds " + detail::format_thresholds(thresholds()) + " vs " +
        std::to_string(o.relative_accuracy_) + " thresholds " + detail::format_thresholds(o.thresholds())));
}

CSMETRICS_FUNC bool quantile_sketch::merges_cleanly(const quantile_sketch& o) const {
  auto fits = [](std::uint64_t a, std::uint64_t b) { return a <= UINT64_MAX - b; };
  return same_config(o) && fits(count_, o.count_) && fits(rejected_nan_, o.rejected_nan_) &&
         fits(rejected_infinite_, o.rejected_infinite_) && fits(rejected_negative_, o.rejected_negative_);
}

CSMETRICS_FUNC void quantile_sketch::merge(const quantile_sketch& o) {
  require_same_config(o, "merge");
  // Every sum first, so an overflow leaves this sketch unchanged.
  const std::uint64_t count = detail::checked_add(count_, o.count_);
  const std::uint64_t nan = detail::checked_add(rejected_nan_, o.rejected_nan_);
  const std::uint64_t inf = detail::checked_add(rejected_infinite_, o.rejected_infinite_);
  const std::uint64_t neg = detail::checked_add(rejected_negative_, o.rejected_negative_);
  if (o.dense_) {
    const std::size_t first = o.first_nonzero(), end = o.end_nonzero();
    if (first != end) {
      const int lo = o.offset_ + static_cast<int>(first);
      cover(lo, o.offset_ + static_cast<int>(end) - 1);
      std::uint64_t* dst = counts_.data() + (lo - offset_);
      const std::uint64_t* src = o.counts_.data() + first;
      for (std::size_t i = 0, n = end - first; i < n; ++i) dst[i] += src[i];  // each <= count
    }
  } else if (!o.sparse_.empty()) {
    if (dense_ || !merge_sparse(o.sparse_)) {
      cover(o.sparse_.front().index, o.sparse_.back().index);
      for (const sparse_bucket& b : o.sparse_) counts_[static_cast<std::size_t>(b.index - offset_)] += b.count;
    }
  }
  count_ = count;
  zero_ += o.zero_;
  clamped_low_ += o.clamped_low_;
  clamped_high_ += o.clamped_high_;
  rejected_nan_ = nan;
  rejected_infinite_ = inf;
  rejected_negative_ = neg;
  for (std::size_t j = 0; j < exact_.size(); ++j) exact_[j].near += o.exact_[j].near;
}

CSMETRICS_FUNC bool quantile_sketch::merge_sparse(const std::vector<sparse_bucket>& o) {
  std::vector<sparse_bucket> merged;
  merged.reserve(std::min(sparse_.size() + o.size(), sparse_limit + 1));
  auto a = sparse_.cbegin();
  auto b = o.cbegin();
  while ((a != sparse_.cend() || b != o.cend()) && merged.size() <= sparse_limit) {
    if (b == o.cend() || (a != sparse_.cend() && a->index < b->index)) {
      merged.push_back(*a++);
    } else if (a == sparse_.cend() || b->index < a->index) {
      merged.push_back(*b++);
    } else {
      merged.push_back(sparse_bucket{a->index, a->count + b->count});  // each <= count
      ++a;
      ++b;
    }
  }
  if (merged.size() > sparse_limit) return false;
  sparse_.swap(merged);
  return true;
}

CSMETRICS_FUNC void quantile_sketch::subtract(const quantile_sketch& o) {
  require_same_config(o, "subtract");
  bool contained = o.count_ <= count_ && o.zero_ <= zero_ && o.clamped_low_ <= clamped_low_ &&
                   o.clamped_high_ <= clamped_high_ && o.rejected_nan_ <= rejected_nan_ &&
                   o.rejected_infinite_ <= rejected_infinite_ && o.rejected_negative_ <= rejected_negative_;
  for (std::size_t j = 0; contained && j < exact_.size(); ++j) contained = o.exact_[j].near <= exact_[j].near;
  if (contained) o.for_each_bucket([&](int k, std::uint64_t c) { contained = contained && c <= count_of(k); });
  if (!contained)
    CSMETRICS_THROW(std::invalid_argument(
        "quantile_sketch: cannot subtract a sketch that is not contained in this one (count " +
        std::to_string(o.count_) + " from " + std::to_string(count_) + ")"));
  if (dense_) {
    o.for_each_bucket([&](int k, std::uint64_t c) { counts_[static_cast<std::size_t>(k - offset_)] -= c; });
  } else {
    o.for_each_bucket([&](int k, std::uint64_t c) {
      std::lower_bound(sparse_.begin(), sparse_.end(), k, [](const sparse_bucket& b, int key) {
        return b.index < key;
      })->count -= c;
    });
    sparse_.erase(std::remove_if(sparse_.begin(), sparse_.end(), [](const sparse_bucket& b) { return b.count == 0; }),
                  sparse_.end());
  }
  count_ -= o.count_;
  zero_ -= o.zero_;
  clamped_low_ -= o.clamped_low_;
  clamped_high_ -= o.clamped_high_;
  rejected_nan_ -= o.rejected_nan_;
  rejected_infinite_ -= o.rejected_infinite_;
  rejected_negative_ -= o.rejected_negative_;
  for (std::size_t j = 0; j < exact_.size(); ++j) exact_[j].near -= o.exact_[j].near;
  // Let memory follow the range still held: drop empty ends wider than the
  // growth slack.
  if (!dense_) return;
  const std::size_t f = first_nonzero(), e = end_nonzero();
  if (f == e) {
    std::vector<std::uint64_t>().swap(counts_);
    offset_ = 0;
    dense_ = false;
  } else if (f > static_cast<std::size_t>(grow_slack) || counts_.size() - e > static_cast<std::size_t>(grow_slack)) {
    std::vector<std::uint64_t> kept(counts_.begin() + static_cast<std::ptrdiff_t>(f),
                                    counts_.begin() + static_cast<std::ptrdiff_t>(e));
    counts_.swap(kept);
    offset_ += static_cast<int>(f);
  }
}

CSMETRICS_FUNC void quantile_sketch::drop_thresholds() {
  std::vector<exact_threshold>().swap(exact_);
  hot_lo_ = max_index_ + 8;  // as constructed without thresholds: a window no bucket index reaches
  hot_span_ = 0;
}

CSMETRICS_FUNC void quantile_sketch::reset() {
  std::vector<std::uint64_t>().swap(counts_);
  std::vector<sparse_bucket>().swap(sparse_);
  dense_ = false;
  offset_ = 0;
  for (auto& e : exact_) e.near = 0;
  count_ = zero_ = clamped_low_ = clamped_high_ = 0;
  rejected_nan_ = rejected_infinite_ = rejected_negative_ = 0;
}

// --------------------------------------------------------------- queries

CSMETRICS_FUNC std::uint64_t quantile_sketch::rejected() const {
  return detail::checked_add(detail::checked_add(rejected_nan_, rejected_infinite_), rejected_negative_);
}

CSMETRICS_FUNC std::size_t quantile_sketch::memory_bytes() const {
  return sizeof(quantile_sketch) + counts_.capacity() * sizeof(std::uint64_t) +
         sparse_.capacity() * sizeof(sparse_bucket) + exact_.capacity() * sizeof(exact_threshold);
}

CSMETRICS_FUNC std::size_t quantile_sketch::first_nonzero() const {
  std::size_t i = 0;
  while (i < counts_.size() && counts_[i] == 0) ++i;
  return i == counts_.size() ? 0 : i;  // 0 == end_nonzero() when all are 0
}

CSMETRICS_FUNC std::size_t quantile_sketch::end_nonzero() const {
  std::size_t e = counts_.size();
  while (e > 0 && counts_[e - 1] == 0) --e;
  return e;
}

CSMETRICS_FUNC double quantile_sketch::bucket_value(int k) const {
  const double v = map_.representative(k - map_.raw_bias());
  // The end buckets reach past the range; the range's end is nearer to
  // every value they hold, so clamping keeps the bound.
  return v < min_value ? min_value : v > max_value ? max_value : v;
}

namespace detail {
inline void check_quantile(double q) {
  if (!(q >= 0.0 && q <= 1.0))
    CSMETRICS_THROW(std::invalid_argument("quantile_sketch: q must be in [0, 1]: " + std::to_string(q)));
}
/// The rank quantile(q) estimates: floor(q * (n - 1)), n > 0 (q checked by the caller).
inline std::uint64_t quantile_rank(double q, std::uint64_t n) {
  const double rd = q * static_cast<double>(n - 1);
  // Near 2^64 the double product can round past the last rank: clamp before converting.
  return rd >= static_cast<double>(n - 1) ? n - 1 : static_cast<std::uint64_t>(rd);
}
}  // namespace detail

CSMETRICS_FUNC std::vector<double> quantile_sketch::quantiles(const std::vector<double>& qs) const {
  for (std::size_t i = 0; i < qs.size(); ++i) {
    detail::check_quantile(qs[i]);
    if (i > 0 && !(qs[i - 1] <= qs[i]))
      CSMETRICS_THROW(std::invalid_argument("quantile_sketch::quantiles: q not increasing"));
  }
  std::vector<double> out;
  if (count_ == 0) return out;
  std::vector<std::uint64_t> ranks;  // once each, not once per bucket walked
  ranks.reserve(qs.size());
  for (double q : qs) ranks.push_back(detail::quantile_rank(q, count_));
  out.reserve(qs.size());
  // Walk up the zero bucket and the others once; each rank is answered by
  // the first bucket whose running count passes it, as quantile() answers.
  std::size_t next = 0;
  std::uint64_t below = zero_;
  auto answer = [&](double value) {
    while (next < ranks.size() && ranks[next] < below) {
      out.push_back(value);
      ++next;
    }
  };
  answer(0.0);
  if (!dense_) {
    for (const sparse_bucket& b : sparse_) {
      below += b.count;
      answer(bucket_value(b.index));
    }
  } else {
    for (std::size_t i = 0; i < counts_.size() && next < qs.size(); ++i) {
      if (counts_[i] == 0) continue;
      below += counts_[i];
      answer(bucket_value(offset_ + static_cast<int>(i)));
    }
  }
  while (out.size() < qs.size()) out.push_back(0.0);  // unreachable for a valid state, as in quantile()
  return out;
}

CSMETRICS_FUNC std::optional<double> quantile_sketch::quantile(double q) const {
  detail::check_quantile(q);
  if (count_ == 0) return std::nullopt;
  const std::uint64_t rank = detail::quantile_rank(q, count_);
  if (rank < zero_) return 0.0;
  if (!dense_) {
    std::uint64_t below = zero_;
    for (const sparse_bucket& b : sparse_) {
      below += b.count;
      if (below > rank) return bucket_value(b.index);
    }
    return 0.0;  // unreachable for a valid state
  }
  const std::size_t n = counts_.size();
  if (rank < count_ / 2) {  // scan up from the zero bucket
    std::uint64_t below = zero_;
    for (std::size_t i = 0; i < n; ++i) {
      below += counts_[i];
      if (below > rank) return bucket_value(offset_ + static_cast<int>(i));
    }
  } else {  // scan down: rank from the top
    const std::uint64_t top_rank = count_ - 1 - rank;
    std::uint64_t above = 0;
    for (std::size_t i = n; i-- > 0;) {
      above += counts_[i];
      if (above > top_rank) return bucket_value(offset_ + static_cast<int>(i));
    }
  }
  return 0.0;  // unreachable for a valid state
}

CSMETRICS_FUNC std::uint64_t quantile_sketch::count_at_most(double threshold) const {
  for (std::size_t j = 0; j < exact_.size(); ++j)
    if (exact_[j].value == threshold) return at_most(j);
  CSMETRICS_THROW(std::invalid_argument("quantile_sketch: count_at_most(" + std::to_string(threshold) +
                                        "): not one of the exact thresholds " +
                                        detail::format_thresholds(thresholds())));
}

CSMETRICS_FUNC std::uint64_t quantile_sketch::below_near(std::size_t j) const {
  // Buckets below a threshold's three hold only values below it.
  std::uint64_t sum = zero_;
  if (!dense_) {
    for (const sparse_bucket& b : sparse_) {
      if (b.index >= exact_[j].first_bucket) break;
      sum += b.count;
    }
    return sum;
  }
  const int end = std::min(exact_[j].first_bucket - offset_, static_cast<int>(counts_.size()));
  for (int i = 0; i < end; ++i) sum += counts_[static_cast<std::size_t>(i)];
  return sum;
}

CSMETRICS_FUNC std::uint64_t quantile_sketch::at_most(std::size_t j) const { return below_near(j) + exact_[j].near; }

CSMETRICS_FUNC bool quantile_sketch::equals(const quantile_sketch& o) const {
  if (!same_config(o) || count_ != o.count_ || zero_ != o.zero_ || clamped_low_ != o.clamped_low_ ||
      clamped_high_ != o.clamped_high_ || rejected_nan_ != o.rejected_nan_ ||
      rejected_infinite_ != o.rejected_infinite_ || rejected_negative_ != o.rejected_negative_ ||
      !std::equal(exact_.begin(), exact_.end(), o.exact_.begin(), o.exact_.end(),
                  [](const exact_threshold& a, const exact_threshold& b) { return a.near == b.near; }))
    return false;
  if (!dense_ || !o.dense_) {  // compare the nonzero buckets
    std::vector<sparse_bucket> a, b;
    for_each_bucket([&](int k, std::uint64_t c) { a.push_back(sparse_bucket{k, c}); });
    o.for_each_bucket([&](int k, std::uint64_t c) { b.push_back(sparse_bucket{k, c}); });
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const sparse_bucket& x, const sparse_bucket& y) {
      return x.index == y.index && x.count == y.count;
    });
  }
  const std::size_t f1 = first_nonzero(), e1 = end_nonzero();
  const std::size_t f2 = o.first_nonzero(), e2 = o.end_nonzero();
  if (e1 - f1 != e2 - f2) return false;
  if (f1 == e1) return true;
  if (offset_ + static_cast<int>(f1) != o.offset_ + static_cast<int>(f2)) return false;
  return std::equal(counts_.begin() + static_cast<std::ptrdiff_t>(f1), counts_.begin() + static_cast<std::ptrdiff_t>(e1),
                    o.counts_.begin() + static_cast<std::ptrdiff_t>(f2));
}

CSMETRICS_FUNC bool quantile_sketch::near_consistent(std::size_t j) const {
  // near counts values of the threshold's three buckets: at most what they
  // hold less the clamped-high values (above every threshold), at least the
  // clamped-low values among them (below every threshold).
  const int first = exact_[j].first_bucket;
  std::uint64_t held = 0;
  for (int k = first; k <= first + 2; ++k) held += count_of(k);
  if (max_index_ - first <= 2) held -= clamped_high_;
  const std::uint64_t low = min_index_ - first >= 0 ? clamped_low_ : 0;
  return low <= exact_[j].near && exact_[j].near <= held;
}

}  // namespace csmetrics

#endif  // CSMETRICS_CORE_QUANTILE_SKETCH_IMPL_HPP_
