// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/io/rfc3339.hpp
//
// RFC 3339 timestamps, the `time` column of the event log (EVENTS.md):
//
//   2019-09-01T10:15:30+08:00     2019-09-01T02:15:30Z     2019-09-01T02:15:30.250Z
//
// Parsing is hand-written digit arithmetic at fixed positions (no sscanf, no
// locale, no allocation), about 20 ns per timestamp. What it accepts:
//   - date `YYYY-MM-DD`, years 1970..9999, a real calendar day (2019-02-29 and
//     2019-04-31 are rejected; 2020-02-29 is fine);
//   - separator `T`, `t` or one space (RFC 3339 section 5.6 allows the space);
//   - time `hh:mm:ss`, hh 00..23, mm 00..59, ss 00..59. A leap second (`:60`)
//     is rejected: the library's clock (std::chrono::system_clock) has none;
//   - an optional fraction `.d+` of any length: the first 6 digits are kept
//     (microseconds), further digits are TRUNCATED (toward the past), never
//     rounded, so a timestamp never moves into the next second or day;
//   - a REQUIRED offset: `Z`, `z` or `+hh:mm` / `-hh:mm` (hh 00..23,
//     mm 00..59). A time without an offset is ambiguous and rejected
//     (rfc3339_error::no_offset). `-00:00` is accepted as UTC.
// The year range is checked on the text as written; an instant shortly before
// 1970-01-01T00:00Z (e.g. 1970-01-01T00:30+08:00) is valid. A far-future
// limit ("not after now + 1 day") is a reader option, not a syntax rule.
#ifndef CSMETRICS_IO_RFC3339_HPP_
#define CSMETRICS_IO_RFC3339_HPP_

#include <cstdint>      // std::int64_t, std::uint32_t
#include <cstring>      // std::memcpy (the date cache)
#include <optional>     // std::optional
#include <string>       // std::string (formatting, messages)
#include <string_view>  // std::string_view

#include "csmetrics/core/swar.hpp"
#include "csmetrics/core/time.hpp"

namespace csmetrics {

/// Why a text is not an RFC 3339 timestamp.
enum class rfc3339_error : std::uint8_t {
  empty,               ///< ""
  syntax,              ///< not the shape YYYY-MM-DDThh:mm:ss[.f]offset (a missing digit, "2019/09/01", junk after)
  year_out_of_range,   ///< a year before 1970 (years have exactly 4 digits: 9999 is the last)
  bad_date,            ///< month 0 or 13, day 0, 2019-02-29, 2019-04-31
  bad_time,            ///< hour 24, minute 60, second 60
  no_offset,           ///< "2019-09-01T10:15:30": local time of an unknown zone
  bad_offset,          ///< "+24:00", "+08:60", "+0800", "+8:00"
};

/// "empty", "syntax", "year_out_of_range", "bad_date", "bad_time", "no_offset", "bad_offset".
constexpr std::string_view name(rfc3339_error e) {
  switch (e) {
    case rfc3339_error::empty: return "empty";
    case rfc3339_error::syntax: return "syntax";
    case rfc3339_error::year_out_of_range: return "year_out_of_range";
    case rfc3339_error::bad_date: return "bad_date";
    case rfc3339_error::bad_time: return "bad_time";
    case rfc3339_error::no_offset: return "no_offset";
    case rfc3339_error::bad_offset: return "bad_offset";
  }
  return "unknown";
}

namespace detail {

/// Two ASCII digits at `p` as 0..99, or a value >= 100 when either is not a digit.
constexpr unsigned two_digits(const char* p) {
  unsigned a = static_cast<unsigned>(static_cast<unsigned char>(p[0])) - '0';
  unsigned b = static_cast<unsigned>(static_cast<unsigned char>(p[1])) - '0';
  return (a > 9 || b > 9) ? 1000u : a * 10 + b;
}

/// Days since 1970-01-01 for years >= 1970 (same result as days_from_civil,
/// shorter arithmetic: no negative eras).
constexpr std::int64_t days_since_epoch(unsigned y, unsigned m, unsigned d) {
  y -= m <= 2;
  const unsigned era = y / 400;
  const unsigned yoe = y - era * 400;
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

/// The offset at s[i..]: "Z", "z", "+hh:mm" or "-hh:mm", to the end of `s`.
constexpr bool parse_rfc3339_offset(std::string_view s, std::size_t i, std::int64_t& offset_minutes,
                                    rfc3339_error& why) {
  const std::size_t n = s.size();
  offset_minutes = 0;
  const char c = s[i];
  if (c == 'Z' || c == 'z') {
    if (i + 1 != n) {
      why = rfc3339_error::syntax;
      return false;
    }
  } else if (c == '+' || c == '-') {
    if (n - i != 6 || s[i + 3] != ':') {
      why = rfc3339_error::bad_offset;
      return false;
    }
    const unsigned oh = two_digits(s.data() + i + 1), om = two_digits(s.data() + i + 4);
    if (oh > 23 || om > 59) {
      why = rfc3339_error::bad_offset;
      return false;
    }
    offset_minutes = static_cast<std::int64_t>(oh * 60 + om);
    if (c == '-') offset_minutes = -offset_minutes;
  } else {
    why = rfc3339_error::syntax;  // "10:15:30x", "10:15:301", "10:15:30 +08:00"
    return false;
  }
  return true;
}

/// Microseconds since the epoch of local day `days`, clock h:mi:sec, the
/// fraction and the offset.
constexpr std::int64_t rfc3339_micros(std::int64_t days, unsigned h, unsigned mi, unsigned sec, std::int64_t micros,
                                      std::int64_t offset_minutes) {
  const std::int64_t seconds =
      days * 86400 + static_cast<std::int64_t>(h * 3600 + mi * 60 + sec) - offset_minutes * 60;
  return seconds * 1000000 + micros;
}

/// Core of parse_rfc3339: microseconds since the epoch, or false and `why`.
constexpr bool parse_rfc3339_micros(std::string_view s, std::int64_t& out, rfc3339_error& why) {
  const std::size_t n = s.size();
  if (n == 0) {
    why = rfc3339_error::empty;
    return false;
  }
  // Shortest valid text: "YYYY-MM-DDThh:mm:ssZ" (20 characters).
  if (n < 19) {
    why = rfc3339_error::syntax;
    return false;
  }
  const char* p = s.data();
  const unsigned y_hi = two_digits(p), y_lo = two_digits(p + 2);
  const unsigned mo = two_digits(p + 5), d = two_digits(p + 8);
  const unsigned h = two_digits(p + 11), mi = two_digits(p + 14), sec = two_digits(p + 17);
  // Seven valid pairs sum to at most 693; one bad pair alone gives 1000.
  if (y_hi + y_lo + mo + d + h + mi + sec >= 1000 || p[4] != '-' || p[7] != '-' || p[13] != ':' ||
      p[16] != ':' || (p[10] != 'T' && p[10] != 't' && p[10] != ' ')) {
    why = rfc3339_error::syntax;
    return false;
  }
  const unsigned y = y_hi * 100 + y_lo;
  // Fraction: keep 6 digits, truncate the rest.
  std::size_t i = 19;
  std::int64_t micros = 0;
  if (i < n && s[i] == '.') {
    ++i;
    const std::size_t begin = i;
    unsigned kept = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
      if (kept < 6) {
        micros = micros * 10 + (s[i] - '0');
        ++kept;
      }
      ++i;
    }
    if (i == begin) {  // "10:15:30.Z"
      why = rfc3339_error::syntax;
      return false;
    }
    for (; kept < 6; ++kept) micros *= 10;
  }
  if (i == n) {
    why = rfc3339_error::no_offset;
    return false;
  }
  std::int64_t offset_minutes = 0;
  if (!parse_rfc3339_offset(s, i, offset_minutes, why)) return false;
  if (y < 1970) {
    why = rfc3339_error::year_out_of_range;
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(static_cast<int>(y), mo)) {
    why = rfc3339_error::bad_date;
    return false;
  }
  if (h > 23 || mi > 59 || sec > 59) {
    why = rfc3339_error::bad_time;
    return false;
  }
  out = rfc3339_micros(days_since_epoch(y, mo, d), h, mi, sec, micros, offset_minutes);
  return true;
}

/// parse_rfc3339_micros for a stream of timestamps, which mostly share their
/// date and offset: the first 11 bytes ("YYYY-MM-DDT") of the last valid one
/// with its day number, and its offset when "+hh:mm"/"-hh:mm". A text with
/// both the same, and a fraction of 0, 3 or 6 digits, parses only its clock;
/// any other text, or one that fails on that path, goes through
/// parse_rfc3339_micros: results and errors are its own.
class rfc3339_date_cache {
 public:
  bool parse(std::string_view s, std::int64_t& out, rfc3339_error& why) {
    const std::size_t n = s.size();
    const char* p = s.data();
    if (swar_enabled && n >= 25 && have_offset_ && load8(p) == date_lo_ && load4(p + 7) == date_hi_ &&
        load4(p + n - 6) == offset_lo_ && p[n - 2] == offset_end_[0] && p[n - 1] == offset_end_[1]) {
      // "hh:mm:ss" in one word: XOR with "00:00:00" leaves each digit's value
      // and zero for each colon; a byte above 9 fails the two mask tests.
      const std::uint64_t t = load8(p + 11) ^ 0x30303a30303a3030ull;
      auto at = [t](int i) { return static_cast<unsigned>(t >> (8 * i)) & 0xffu; };
      const unsigned h = at(0) * 10 + at(1), mi = at(3) * 10 + at(4), sec = at(6) * 10 + at(7);
      const std::size_t digits = n == 25 ? 0 : n - 26;  // of the fraction, between '.' and the offset
      if ((t & 0xf0f0fff0f0fff0f0ull) == 0 && ((t + 0x0606000606000606ull) & 0xf0f000f0f000f0f0ull) == 0 && h <= 23 &&
          mi <= 59 && sec <= 59 && (n == 25 || (p[19] == '.' && (digits == 3 || digits == 6)))) {
        std::int64_t micros = 0;
        unsigned bad = 0;
        for (std::size_t i = 0; i < digits; ++i) {
          const unsigned d = static_cast<unsigned>(static_cast<unsigned char>(p[20 + i])) - '0';
          bad |= d > 9;
          micros = micros * 10 + d;
        }
        if (!bad) {
          out = rfc3339_micros(days_, h, mi, sec, digits == 3 ? micros * 1000 : micros, offset_minutes_);
          return true;
        }
      }
    }
    if (!parse_rfc3339_micros(s, out, why)) return false;
    date_lo_ = load8(p);
    date_hi_ = load4(p + 7);
    days_ = days_since_epoch(two_digits(p) * 100 + two_digits(p + 2), two_digits(p + 5), two_digits(p + 8));
    have_offset_ = p[n - 6] == '+' || p[n - 6] == '-';
    if (have_offset_) {
      rfc3339_error unused = rfc3339_error::syntax;
      parse_rfc3339_offset(s, n - 6, offset_minutes_, unused);  // valid: the whole text was
      offset_lo_ = load4(p + n - 6);
      offset_end_[0] = p[n - 2];
      offset_end_[1] = p[n - 1];
    }
    return true;
  }

 private:
  static std::uint64_t load8(const char* p) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  static std::uint32_t load4(const char* p) {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  bool have_offset_ = false;  // the last valid text ended in "+hh:mm" or "-hh:mm"
  std::uint64_t date_lo_ = 0;  // its bytes 0..7
  std::uint32_t date_hi_ = 0;  // its bytes 7..10
  std::int64_t days_ = 0;
  std::uint32_t offset_lo_ = 0;  // its offset's first 4 bytes
  char offset_end_[2] = {};      // and last 2
  std::int64_t offset_minutes_ = 0;
};

/// The message for a rejected timestamp: "bad timestamp (no_offset): 2019-09-01T10:15:30".
inline std::string rfc3339_error_message(rfc3339_error why, std::string_view text) {
  std::string msg = "bad timestamp (";
  msg += name(why);
  msg += ")";
  if (why == rfc3339_error::empty) return "timestamp is empty";
  msg += ": ";
  msg.append(text.data(), text.size() > 64 ? 64 : text.size());
  if (text.size() > 64) msg += "...";
  return msg;
}

}  // namespace detail

/// Parses an RFC 3339 timestamp with offset (see the file comment for the
/// exact rules); empty, and `*why` set, when `s` is not one.
constexpr std::optional<timestamp> parse_rfc3339(std::string_view s, rfc3339_error* why = nullptr) {
  std::int64_t us = 0;
  rfc3339_error e = rfc3339_error::syntax;
  if (detail::parse_rfc3339_micros(s, us, e)) return timestamp{duration{us}};
  if (why) *why = e;
  return std::nullopt;
}

/// `t` as RFC 3339 in the local time of `offset`: "2019-09-01T10:15:30+08:00",
/// "Z" for UTC; a fraction only when non-zero: 3 digits when whole
/// milliseconds, else 6. Round-trips through parse_rfc3339 for every instant
/// whose local year is 1970..9999 (other years print with more digits or a
/// sign and are not accepted back).
inline std::string format_rfc3339(timestamp t, utc_offset offset) {
  const std::int64_t off_min = offset.minutes().count();
  const std::int64_t local_us = t.time_since_epoch().count() + off_min * 60 * 1000000;
  const std::int64_t us_per_day = std::int64_t{86400} * 1000000;
  std::int64_t days = local_us / us_per_day;
  std::int64_t in_day = local_us % us_per_day;
  if (in_day < 0) {
    in_day += us_per_day;
    --days;
  }
  const civil_date c = civil_from_days(days);
  const std::int64_t secs = in_day / 1000000;
  const std::int64_t frac = in_day % 1000000;
  char buf[48];
  char* o = buf;
  auto put2 = [&o](std::int64_t v) {
    *o++ = static_cast<char>('0' + v / 10);
    *o++ = static_cast<char>('0' + v % 10);
  };
  std::string year;
  if (c.year >= 0 && c.year <= 9999) {
    put2(c.year / 100);
    put2(c.year % 100);
  } else {
    year = std::to_string(c.year);
  }
  *o++ = '-';
  put2(c.month);
  *o++ = '-';
  put2(c.day);
  *o++ = 'T';
  put2(secs / 3600);
  *o++ = ':';
  put2(secs / 60 % 60);
  *o++ = ':';
  put2(secs % 60);
  if (frac != 0) {
    *o++ = '.';
    const int digits = frac % 1000 == 0 ? 3 : 6;
    std::int64_t f = digits == 3 ? frac / 1000 : frac;
    for (int k = digits - 1; k >= 0; --k) {
      o[k] = static_cast<char>('0' + f % 10);
      f /= 10;
    }
    o += digits;
  }
  if (off_min == 0) {
    *o++ = 'Z';
  } else {
    const std::int64_t a = off_min < 0 ? -off_min : off_min;
    *o++ = off_min < 0 ? '-' : '+';
    put2(a / 60);
    *o++ = ':';
    put2(a % 60);
  }
  return year + std::string(buf, static_cast<std::size_t>(o - buf));
}

/// `t` in UTC: "2019-09-01T02:15:30Z".
inline std::string format_rfc3339(timestamp t) { return format_rfc3339(t, utc_offset::utc()); }

}  // namespace csmetrics

#endif  // CSMETRICS_IO_RFC3339_HPP_
