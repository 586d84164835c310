// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/core/time.hpp
//
// Time as the library sees it: instants are microseconds since the Unix
// epoch (std::chrono, sub-second), and a shop's "local day" is the day number
// of an instant shifted by the shop's UTC offset (Chinese shops: UTC+8).
// Day numbers count from 1970-01-01 and convert to and from civil dates with
// Howard Hinnant's algorithms (exact for every proleptic Gregorian date).
#ifndef CSMETRICS_CORE_TIME_HPP_
#define CSMETRICS_CORE_TIME_HPP_

#include <chrono>       // std::chrono::system_clock, durations
#include <cstdint>      // std::int32_t, std::int64_t
#include <optional>     // std::optional
#include <stdexcept>    // std::invalid_argument
#include <string>       // std::string
#include <string_view>  // std::string_view

#include "csmetrics/core/error.hpp"

namespace csmetrics {

/// Library resolution for durations: microseconds.
using duration = std::chrono::microseconds;
/// An instant: microseconds since 1970-01-01T00:00:00Z.
using timestamp = std::chrono::time_point<std::chrono::system_clock, duration>;
/// A local day: days since 1970-01-01 in the shop's local time.
using day_number = std::int32_t;

/// A shop's offset from UTC; its local days start at 00:00 local time.
class utc_offset {
 public:
  /// Default: UTC+8, the day boundary of Chinese shops.
  constexpr utc_offset() = default;
  /// REQUIRES: -18h <= offset <= +18h (RFC 3339's range, with margin).
  explicit utc_offset(std::chrono::minutes offset) : minutes_(offset) {
    if (offset < std::chrono::hours{-18} || offset > std::chrono::hours{18})
      CSMETRICS_THROW(std::invalid_argument("utc_offset must be in [-18:00, +18:00]: " +
                                            std::to_string(offset.count()) + " minutes"));
  }
  static utc_offset utc() { return utc_offset(std::chrono::minutes{0}); }
  static utc_offset hours(int h) { return utc_offset(std::chrono::hours{h}); }

  constexpr std::chrono::minutes minutes() const { return minutes_; }
  friend constexpr bool operator==(utc_offset a, utc_offset b) { return a.minutes_ == b.minutes_; }
  friend constexpr bool operator!=(utc_offset a, utc_offset b) { return !(a == b); }

 private:
  std::chrono::minutes minutes_{8 * 60};
};

/// The local day of instant `t` for a shop at `offset`.
inline day_number local_day(timestamp t, utc_offset offset = {}) {
  auto local = t.time_since_epoch() + offset.minutes();
  return static_cast<day_number>(std::chrono::floor<std::chrono::duration<std::int64_t, std::ratio<86400>>>(local).count());
}

/// The instant local day `d` starts at, for a shop at `offset`.
inline timestamp day_start(day_number d, utc_offset offset = {}) {
  return timestamp{std::chrono::duration_cast<duration>(std::chrono::hours{24} * static_cast<std::int64_t>(d)) -
                   offset.minutes()};
}

/// A proleptic Gregorian calendar date.
struct civil_date {
  int year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
  friend bool operator==(const civil_date& a, const civil_date& b) {
    return a.year == b.year && a.month == b.month && a.day == b.day;
  }
};

/// Days since 1970-01-01 of a civil date (Hinnant's days_from_civil).
constexpr std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

/// The civil date of a day number (Hinnant's civil_from_days).
constexpr civil_date civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return civil_date{static_cast<int>(y + (m <= 2)), m, d};
}

constexpr bool is_leap_year(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

constexpr unsigned days_in_month(int y, unsigned m) {
  constexpr unsigned len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap_year(y) ? 29u : len[m - 1];
}

/// "YYYY-MM-DD" of a day number.
inline std::string format_day(day_number d) {
  civil_date c = civil_from_days(d);
  char buf[16] = {};
  int y = c.year;
  buf[0] = static_cast<char>('0' + (y / 1000) % 10);
  buf[1] = static_cast<char>('0' + (y / 100) % 10);
  buf[2] = static_cast<char>('0' + (y / 10) % 10);
  buf[3] = static_cast<char>('0' + y % 10);
  buf[4] = '-';
  buf[5] = static_cast<char>('0' + c.month / 10);
  buf[6] = static_cast<char>('0' + c.month % 10);
  buf[7] = '-';
  buf[8] = static_cast<char>('0' + c.day / 10);
  buf[9] = static_cast<char>('0' + c.day % 10);
  return std::string(buf, 10);
}

/// Parses "YYYY-MM-DD" (years 1970..9999); empty on any other text or an
/// impossible date such as 2019-02-29.
inline std::optional<day_number> parse_day(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  auto digits = [&](std::size_t at, std::size_t n, unsigned& out) {
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + static_cast<unsigned>(s[i] - '0');
    }
    return true;
  };
  unsigned y, m, d;
  if (!digits(0, 4, y) || !digits(5, 2, m) || !digits(8, 2, d)) return std::nullopt;
  if (y < 1970 || m < 1 || m > 12 || d < 1 || d > days_in_month(static_cast<int>(y), m)) return std::nullopt;
  return static_cast<day_number>(days_from_civil(static_cast<int>(y), m, d));
}

}  // namespace csmetrics

#endif  // CSMETRICS_CORE_TIME_HPP_
