// SPDX-License-Identifier: Apache-2.0
// File: bench/event_bad_rows.hpp
//
// Bad-row injection for the generated CSV (bench/event_generator.hpp,
// options.bad_rows): the seven ways a row is broken so that the event-log
// reader rejects it, one reason each (unknown type, missing field, bad time,
// amount with 3 decimals, score 0, bad dsr tag, 8 fields), and where the bad
// rows go among the good ones (evenly spread).
#ifndef CSMETRICS_BENCH_EVENT_BAD_ROWS_HPP_
#define CSMETRICS_BENCH_EVENT_BAD_ROWS_HPP_

#include <array>        // std::array
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint64_t
#include <string>       // std::string
#include <string_view>  // std::string_view

namespace csmetrics {
namespace bench {
namespace detail {

/// Appends one row the reader must reject, broken as variant `k` (k mod 7):
/// unknown type, missing field, bad time, amount with 3 decimals, score 0,
/// bad dsr tag, 8 fields. `append_time(out)` appends the time the row
/// carries (every variant but the bad time has a good one).
template <class AppendTime>
void append_bad_row(std::string& out, std::uint64_t k, AppendTime&& append_time) {
  constexpr std::size_t bad_time = 2;
  static constexpr std::array<std::string_view, 7> rows = {
      ",visitt,s1,b1,,,,,\n",                          // unknown type
      ",buyer_msg,s1,,,,,,\n",                         // missing field (the buyer)
      "2019-13-01T10:15:30+08:00,visit,s1,b1,,,,,\n",  // bad time: the whole row
      ",payment,s1,b1,,o1,12.345,,\n",                 // amount with 3 decimals
      ",vote,s1,b1,s1_a1,,,0,\n",                      // score 0
      ",dsr,s1,,,,,5,speed\n",                         // bad dsr tag
      ",visit,s1,b1,,,,\n",                            // 8 fields
  };
  const std::size_t v = static_cast<std::size_t>(k % rows.size());
  if (v != bad_time) append_time(out);
  out += rows[v];
}

/// Where `bad` bad rows go among `n` good ones, evenly: bad row j after good
/// row floor((j + 0.5) * n / bad) (bad > 0).
inline std::uint64_t bad_row_after(std::uint64_t j, std::uint64_t n, std::uint64_t bad) {
  return static_cast<std::uint64_t>((static_cast<double>(j) + 0.5) * static_cast<double>(n) / static_cast<double>(bad));
}

}  // namespace detail
}  // namespace bench
}  // namespace csmetrics

#endif  // CSMETRICS_BENCH_EVENT_BAD_ROWS_HPP_
