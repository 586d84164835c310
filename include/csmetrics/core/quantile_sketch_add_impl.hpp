// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/core/quantile_sketch_add_impl.hpp
//
// The adding path of csmetrics::quantile_sketch (included at the bottom of
// csmetrics/core/quantile_sketch.hpp): inline in every build, also with
// CSMETRICS_SEPARATE_COMPILATION, where the rest of the definitions
// (quantile_sketch_impl.hpp) is compiled once in src/csmetrics.cpp;
// a call into the library for every value would slow every user.
#ifndef CSMETRICS_CORE_QUANTILE_SKETCH_ADD_IMPL_HPP_
#define CSMETRICS_CORE_QUANTILE_SKETCH_ADD_IMPL_HPP_

#include "csmetrics/core/quantile_sketch.hpp"

#include <cstddef>  // std::size_t
#include <cstdint>  // std::uint64_t

#include "csmetrics/core/compiled.hpp"
#include "csmetrics/core/log_buckets.hpp"

namespace csmetrics {

namespace detail {
/// Throws std::overflow_error (quantile_sketch_impl.hpp: off the adding path).
[[noreturn]] CSMETRICS_FUNC void throw_count_overflow();
}  // namespace detail

inline void quantile_sketch::add(double x, std::uint64_t w) {
  // One unsigned comparison of the bits tests min_value <= x <= max_value:
  // positive doubles order as their bits; negatives, -0.0 and NaN fall out.
  const std::uint64_t b = detail::log_buckets::bits_of(x);
  if (b - min_bits <= max_bits - min_bits) {
    std::uint64_t n;
    if (__builtin_add_overflow(count_, w, &n)) detail::throw_count_overflow();
    const int k = map_.raw_index_of_bits(b);
    const std::size_t i = static_cast<unsigned>(k - offset_);
    if (i < counts_.size())
      counts_[i] += w;  // <= count_, cannot overflow
    else
      add_to_bucket(k, w);
    count_ = n;
    if (static_cast<unsigned>(k - hot_lo_) <= hot_span_) add_near(k, x, w);
    return;
  }
  add_slow(x, w);
}

inline void quantile_sketch::add_near(int k, double x, std::uint64_t w) {
  for (auto& e : exact_)
    if (static_cast<unsigned>(k - e.first_bucket) <= 2u && x <= e.value) e.near += w;
}

inline void quantile_sketch::add(const double* values, std::size_t n) {
  // The same steps as add(x, 1), with the total in a register: a store to
  // counts_[i] may alias count_ for the compiler, which would otherwise
  // chain the iterations through memory.
  std::uint64_t total = count_;
  if (n > ~total) detail::throw_count_overflow();
  std::uint64_t* c = counts_.data();
  std::size_t size = counts_.size();
  int offset = offset_;
  const int hot_lo = hot_lo_;
  const unsigned hot_span = hot_span_;
  for (std::size_t v = 0; v < n; ++v) {
    const double x = values[v];
    const std::uint64_t b = detail::log_buckets::bits_of(x);
    if (b - min_bits <= max_bits - min_bits) {
      const int k = map_.raw_index_of_bits(b);
      const std::size_t i = static_cast<unsigned>(k - offset);
      if (i < size) {
        ++c[i];
      } else {
        count_ = total;  // a consistent state should add_to_bucket() throw bad_alloc
        add_to_bucket(k, 1);
        c = counts_.data();
        size = counts_.size();
        offset = offset_;
      }
      ++total;
      if (static_cast<unsigned>(k - hot_lo) <= hot_span) add_near(k, x, 1);
    } else {
      count_ = total;
      add_slow(x, 1);  // may grow counts_
      total = count_;
      c = counts_.data();
      size = counts_.size();
      offset = offset_;
    }
  }
  count_ = total;
}

}  // namespace csmetrics

#endif  // CSMETRICS_CORE_QUANTILE_SKETCH_ADD_IMPL_HPP_
