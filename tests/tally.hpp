// SPDX-License-Identifier: Apache-2.0
// File: tests/tally.hpp
//
// The smallest accumulators, for the tests and benchmarks of the generic
// containers (core/keyed.hpp, core/day_window.hpp): a count and one signed
// figure folded over int64 values. No Catch2 here: bench/keyed_bench.cpp
// counts with tally too.
#ifndef CSMETRICS_TESTS_TALLY_HPP_
#define CSMETRICS_TESTS_TALLY_HPP_

#include <cstdint>    // std::uint64_t, std::int64_t
#include <stdexcept>  // std::logic_error
#include <utility>    // std::pair

#include "csmetrics/core/serde.hpp"

namespace csm_test {

/// A test accumulator's serialized form: a header of type `id`, version 1,
/// then its count and its one signed figure.
inline void write_count_and_figure(csmetrics::detail::writer& w, csmetrics::detail::type_id id, std::uint64_t n,
                                   std::int64_t figure) {
  w.header(id, 1);
  w.varint(n);
  w.svarint(figure);
}

/// Reads what write_count_and_figure wrote: {count, figure}. `name` is the
/// type's name in the error messages.
inline std::pair<std::uint64_t, std::int64_t> read_count_and_figure(csmetrics::detail::reader& r,
                                                                    csmetrics::detail::type_id id,
                                                                    const char* name) {
  r.header(id, name, 1);
  const std::uint64_t n = r.varint();
  return {n, r.svarint()};
}

/// Count and sum (16 bytes). It can subtract, so a day_window of tallies
/// rolls its running total incrementally.
struct tally {
  static constexpr auto type = static_cast<csmetrics::detail::type_id>(250);  // a test-only id

  std::uint64_t n = 0;
  std::int64_t sum = 0;

  void add(std::int64_t v) {
    n += 1;
    sum += v;
  }
  void merge(const tally& o) {
    n += o.n;
    sum += o.sum;
  }
  /// REQUIRES: `o` is part of what was merged in. Throws std::logic_error
  /// otherwise, which fails the test that made the container do it.
  void subtract(const tally& o) {
    if (o.n > n) throw std::logic_error("tally::subtract: more values taken out than were added");
    n -= o.n;
    sum -= o.sum;
  }
  std::uint64_t count() const { return n; }
  friend bool operator==(const tally& a, const tally& b) { return a.n == b.n && a.sum == b.sum; }
  void serialize_to(csmetrics::detail::writer& w) const { write_count_and_figure(w, type, n, sum); }
  static tally deserialize_from(csmetrics::detail::reader& r) {
    const auto [values, total] = read_count_and_figure(r, type, "tally");
    r.check(values != 0 || total == 0, "an empty tally sums to 0");
    return tally{values, total};
  }
};

}  // namespace csm_test

#endif  // CSMETRICS_TESTS_TALLY_HPP_
