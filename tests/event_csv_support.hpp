// SPDX-License-Identifier: Apache-2.0
// File: tests/event_csv_support.hpp
//
// What the CSV reader's test and its fuzz target (tests/fuzz/event_csv_fuzz.cpp)
// compare reads made different ways with: events that keep their own text,
// and the reader's statistics field by field. No Catch2 here (the fuzz
// target has no test framework).
#ifndef CSMETRICS_TESTS_EVENT_CSV_SUPPORT_HPP_
#define CSMETRICS_TESTS_EVENT_CSV_SUPPORT_HPP_

#include <cstdint>   // std::uint64_t
#include <optional>  // std::optional
#include <string>    // std::string

#include "csmetrics/io/event_csv.hpp"

namespace csm_test {

/// An event with its own copies of the text columns (event holds views).
struct owned_event {
  csmetrics::timestamp time;
  csmetrics::event_type type;
  std::string shop, buyer, agent, order, tag;
  std::optional<csmetrics::money> amount;
  int score;
  std::uint64_t line;

  explicit owned_event(const csmetrics::event& e)
      : time(e.time), type(e.type), shop(e.shop), buyer(e.buyer), agent(e.agent), order(e.order), tag(e.tag),
        amount(e.amount), score(e.score), line(e.line) {}
  /// Every column equal; the line may differ.
  bool same_values(const owned_event& o) const {
    return time == o.time && type == o.type && shop == o.shop && buyer == o.buyer && agent == o.agent &&
           order == o.order && tag == o.tag && amount == o.amount && score == o.score;
  }
  bool operator==(const owned_event& o) const { return same_values(o) && line == o.line; }
};

/// Every count, the counts by reason and the kept messages equal.
inline bool same_stats(const csmetrics::event_csv_stats& a, const csmetrics::event_csv_stats& b) {
  return a.lines == b.lines && a.rows == b.rows && a.accepted == b.accepted && a.skipped == b.skipped &&
         a.out_of_order == b.out_of_order && a.blank_lines == b.blank_lines && a.bytes == b.bytes &&
         a.skipped_by == b.skipped_by && a.errors == b.errors;
}

}  // namespace csm_test

#endif  // CSMETRICS_TESTS_EVENT_CSV_SUPPORT_HPP_
