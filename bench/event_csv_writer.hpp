// SPDX-License-Identifier: Apache-2.0
// File: bench/event_csv_writer.hpp
//
// The CSV side of the event generator (bench/event_generator.hpp): the
// header line of the event log (../shared/EVENTS.md) and csv_writer, which
// appends csmetrics::event values as rows (RFC 3339 times in the shops'
// offset, amounts with 2 decimals) and, on request, the broken rows of
// event_bad_rows.hpp.
#ifndef CSMETRICS_BENCH_EVENT_CSV_WRITER_HPP_
#define CSMETRICS_BENCH_EVENT_CSV_WRITER_HPP_

#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint64_t, std::int64_t
#include <limits>       // std::numeric_limits
#include <string>       // std::string
#include <string_view>  // std::string_view

#include "csmetrics/core/money.hpp"
#include "csmetrics/core/time.hpp"
#include "csmetrics/io/event.hpp"
#include "event_bad_rows.hpp"

namespace csmetrics {
namespace bench {

/// The header line of the event log (with its line feed).
inline constexpr std::string_view csv_header = "time,type,shop,buyer,agent,order,amount,score,tag\n";

namespace detail {

/// Appends `t` as RFC 3339 in `offset`'s local time, millisecond fraction when non-zero.
class time_formatter {
 public:
  explicit time_formatter(utc_offset offset) : offset_(offset) {
    const std::int64_t m = offset.minutes().count();
    if (m == 0) {
      suffix_ = "Z";
    } else {
      const std::int64_t a = m < 0 ? -m : m;
      suffix_ = m < 0 ? "-" : "+";
      suffix_ += static_cast<char>('0' + a / 60 / 10);
      suffix_ += static_cast<char>('0' + a / 60 % 10);
      suffix_ += ':';
      suffix_ += static_cast<char>('0' + a % 60 / 10);
      suffix_ += static_cast<char>('0' + a % 60 % 10);
    }
  }
  void append(std::string& out, timestamp t) {
    const std::int64_t us_day = std::int64_t{86400} * 1000000;
    const std::int64_t local = t.time_since_epoch().count() + offset_.minutes().count() * 60 * 1000000;
    std::int64_t d = local / us_day, in_day = local % us_day;
    if (in_day < 0) {
      in_day += us_day;
      --d;
    }
    if (d != day_) {
      day_ = d;
      date_ = format_day(d) + 'T';
    }
    const std::int64_t secs = in_day / 1000000, frac = in_day % 1000000;
    char b[16];
    std::size_t n = 0;
    auto two = [&](std::int64_t v) {
      b[n++] = static_cast<char>('0' + v / 10);
      b[n++] = static_cast<char>('0' + v % 10);
    };
    two(secs / 3600);
    b[n++] = ':';
    two(secs / 60 % 60);
    b[n++] = ':';
    two(secs % 60);
    out += date_;
    out.append(b, n);
    if (frac != 0) {
      out += '.';
      if (frac % 1000 == 0) {
        const std::int64_t f = frac / 1000;
        out += static_cast<char>('0' + f / 100);
        out += static_cast<char>('0' + f / 10 % 10);
        out += static_cast<char>('0' + f % 10);
      } else {
        char f6[6];
        std::int64_t f = frac;
        for (int k = 5; k >= 0; --k) {
          f6[k] = static_cast<char>('0' + f % 10);
          f /= 10;
        }
        out.append(f6, 6);
      }
    }
    out += suffix_;
  }

 private:
  utc_offset offset_;
  std::int64_t day_ = std::numeric_limits<std::int64_t>::min();
  std::string date_, suffix_;
};

inline void append_amount(std::string& out, money m) {
  std::int64_t v = m.minor();  // non-negative here
  char b[24];
  int n = 0;
  b[n++] = static_cast<char>('0' + v % 10);
  v /= 10;
  b[n++] = static_cast<char>('0' + v % 10);
  v /= 10;
  b[n++] = '.';
  do {
    b[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (int i = n - 1; i >= 0; --i) out += b[i];
}

}  // namespace detail

/**
 * Appends events as CSV rows (EVENTS.md) to a string; ids never need quoting.
 * Bad rows (one broken field each) on request, through append_bad_row().
 *
 *     csmetrics::bench::csv_writer w({});
 *     std::string out(csmetrics::bench::csv_header);
 *     g.generate(1000, [&](const csmetrics::event& e) { w.append(out, e); });
 */
class csv_writer {
 public:
  explicit csv_writer(utc_offset offset = {}) : time_(offset) {}

  /// Appends `e` as one row with its line feed.
  void append(std::string& out, const event& e) {
    time_.append(out, e.time);
    out += ',';
    out += name(e.type);
    out += ',';
    out += e.shop;
    out += ',';
    out += e.buyer;
    out += ',';
    out += e.agent;
    out += ',';
    out += e.order;
    out += ',';
    if (e.amount) detail::append_amount(out, *e.amount);
    out += ',';
    if (e.score != 0) out += static_cast<char>('0' + e.score);
    out += ',';
    out += e.tag;
    out += '\n';
  }

  /// Appends one row the reader must reject, broken as variant `k` (k mod 7,
  /// see event_bad_rows.hpp). `near` is the time it carries (when it has one).
  void append_bad_row(std::string& out, std::uint64_t k, timestamp near) {
    detail::append_bad_row(out, k, [&](std::string& o) { time_.append(o, near); });
  }

 private:
  detail::time_formatter time_;
};

}  // namespace bench
}  // namespace csmetrics

#endif  // CSMETRICS_BENCH_EVENT_CSV_WRITER_HPP_
