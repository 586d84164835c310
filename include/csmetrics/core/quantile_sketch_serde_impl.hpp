// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/core/quantile_sketch_serde_impl.hpp
//
// The serialized form of csmetrics::quantile_sketch (included at the bottom
// of csmetrics/core/quantile_sketch.hpp, after quantile_sketch_impl.hpp).
#ifndef CSMETRICS_CORE_QUANTILE_SKETCH_SERDE_IMPL_HPP_
#define CSMETRICS_CORE_QUANTILE_SKETCH_SERDE_IMPL_HPP_

#include "csmetrics/core/quantile_sketch.hpp"

#include <algorithm>  // std::count_if
#include <cstdint>    // std::uint64_t
#include <stdexcept>  // std::logic_error
#include <utility>    // std::move
#include <vector>     // std::vector

#include "csmetrics/core/serde.hpp"

namespace csmetrics {

// ----------------------------------------------------------- serialization

CSMETRICS_FUNC void quantile_sketch::serialize_to(detail::writer& w) const {
  write(w, exact_.size(), [&](std::size_t j) { return exact_[j].value; }, [&](std::size_t j) { return at_most(j); });
}

CSMETRICS_FUNC void quantile_sketch::serialize_with(detail::writer& w, const double* thresholds,
                                                    const std::uint64_t* at_most, std::size_t n) const {
  if (!exact_.empty()) CSMETRICS_THROW(std::logic_error("quantile_sketch::serialize_with: the sketch has thresholds"));
  write(w, n, [&](std::size_t j) { return thresholds[j]; }, [&](std::size_t j) { return at_most[j]; });
}

template <class Value, class AtMost>
void quantile_sketch::write(detail::writer& w, std::size_t n, Value value, AtMost at_most) const {
  w.header(detail::type_id::quantile_sketch, format_version);
  w.f64(relative_accuracy_);
  w.f64(min_value);
  w.f64(max_value);
  w.varint(n);
  for (std::size_t j = 0; j < n; ++j) w.f64(value(j));
  w.varint(count_);
  w.varint(zero_);
  w.varint(clamped_low_);
  w.varint(clamped_high_);
  w.varint(rejected_nan_);
  w.varint(rejected_infinite_);
  w.varint(rejected_negative_);
  for (std::size_t j = 0; j < n; ++j) w.varint(at_most(j));
  if (!dense_) {  // the same bytes as the dense array would give
    w.varint(sparse_.empty() ? 0 : static_cast<std::uint64_t>(sparse_.back().index - sparse_.front().index + 1));
    if (sparse_.empty()) return;
    w.svarint(sparse_.front().index - map_.raw_bias());
    auto b = sparse_.begin();
    for (int k = sparse_.front().index; k <= sparse_.back().index; ++k) w.varint(b->index == k ? (b++)->count : 0);
    return;
  }
  const std::size_t f = first_nonzero(), e = end_nonzero();
  w.varint(e - f);
  if (f == e) return;
  w.svarint(offset_ + static_cast<int>(f) - map_.raw_bias());
  for (std::size_t i = f; i < e; ++i) w.varint(counts_[i]);
}

CSMETRICS_FUNC quantile_sketch quantile_sketch::deserialize_from(detail::reader& r) {
  r.header(detail::type_id::quantile_sketch, "quantile_sketch", format_version);
  const double alpha = r.f64();
  r.check(alpha >= min_relative_accuracy && alpha <= max_relative_accuracy, "relative_accuracy in [0.001, 0.1]");
  r.check(r.f64() == min_value, "min_value is 0.001 s");
  r.check(r.f64() == max_value, "max_value is 2592000 s");
  const std::size_t nt = r.count(8, "thresholds");
  r.check(nt <= max_thresholds, "at most 16 thresholds");
  std::vector<double> th(nt);
  for (std::size_t j = 0; j < nt; ++j) {
    th[j] = r.f64();
    r.check(th[j] >= min_value && th[j] <= max_value, "thresholds in [min_value, max_value]");
    r.check(j == 0 || th[j - 1] < th[j], "thresholds strictly increasing");
  }
  quantile_sketch s(alpha, std::move(th));
  s.count_ = r.varint();
  s.zero_ = r.varint();
  s.clamped_low_ = r.varint();
  s.clamped_high_ = r.varint();
  s.rejected_nan_ = r.varint();
  s.rejected_infinite_ = r.varint();
  s.rejected_negative_ = r.varint();
  std::vector<std::uint64_t> at_most(nt);
  for (std::size_t j = 0; j < nt; ++j) {
    at_most[j] = r.varint();
    r.check(at_most[j] <= s.count_, "at_most <= count");
  }
  const std::size_t nb = r.count(1, "buckets");
  std::uint64_t sum = s.zero_;
  if (nb != 0) {
    const std::int64_t first = r.svarint() + s.map_.raw_bias();
    r.check(first >= s.min_index_ && first <= s.max_index_ &&
                static_cast<std::int64_t>(nb) <= static_cast<std::int64_t>(s.max_index_) - first + 1,
            "buckets within the range's bucket indexes");
    s.offset_ = static_cast<int>(first);
    s.counts_.assign(nb, 0);
    s.dense_ = true;
    for (std::size_t i = 0; i < nb; ++i) {
      s.counts_[i] = r.varint();
      r.check(!__builtin_add_overflow(sum, s.counts_[i], &sum), "bucket counts sum below 2^64");
    }
    r.check(s.counts_.front() != 0 && s.counts_.back() != 0, "first and last bucket counts > 0");
  }
  r.check(sum == s.count_, "count == zero_count + sum of bucket counts");
  const std::uint64_t lowest = nb != 0 && s.offset_ == s.min_index_ ? s.counts_.front() : 0;
  const std::uint64_t highest =
      nb != 0 && s.offset_ + static_cast<int>(nb) - 1 == s.max_index_ ? s.counts_.back() : 0;
  r.check(s.clamped_low_ <= lowest, "clamped_low <= count of the lowest bucket");
  r.check(s.clamped_high_ <= highest, "clamped_high <= count of the highest bucket");
  for (std::size_t j = 0; j < nt; ++j) {
    const std::uint64_t below = s.below_near(j);
    r.check(below <= at_most[j], "at_most consistent with the buckets around its threshold");
    s.exact_[j].near = at_most[j] - below;
    r.check(s.near_consistent(j), "at_most consistent with the buckets around its threshold");
  }
  // Few buckets: the pairs, as adding them would have left them.
  if (s.dense_ && static_cast<std::size_t>(std::count_if(s.counts_.begin(), s.counts_.end(),
                                                          [](std::uint64_t c) { return c != 0; })) <= sparse_limit) {
    for (std::size_t i = 0; i < nb; ++i)
      if (s.counts_[i] != 0) s.sparse_.push_back(sparse_bucket{s.offset_ + static_cast<int>(i), s.counts_[i]});
    std::vector<std::uint64_t>().swap(s.counts_);
    s.offset_ = 0;
    s.dense_ = false;
  }
  return s;
}

}  // namespace csmetrics

#endif  // CSMETRICS_CORE_QUANTILE_SKETCH_SERDE_IMPL_HPP_
