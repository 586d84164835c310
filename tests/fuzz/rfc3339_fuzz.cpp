// SPDX-License-Identifier: Apache-2.0
// File: tests/fuzz/rfc3339_fuzz.cpp
//
// Fuzz target: RFC 3339 parsing (io/rfc3339.hpp). The input is the text.
// Invariants:
//   - parse_rfc3339 agrees with a plain reference parser (character classes,
//     then time.hpp's days_from_civil, a different day-count formula) on
//     acceptance and on the instant;
//   - an accepted time formats (format_rfc3339) in UTC and in the text's own
//     offset and parses back to the same instant; formatted in its own
//     offset, the date and time of day are the text's;
//   - the format of any instant parsed is stable (format(parse(format(t))) ==
//     format(t)).
#include <cstddef>      // std::size_t
#include <cstdint>      // std::int64_t, std::uint8_t
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view

#include "csmetrics/io/rfc3339.hpp"
#include "csmetrics/core/time.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace csmetrics;

bool digit(char c) { return c >= '0' && c <= '9'; }
int num(std::string_view s, std::size_t at, std::size_t n) {
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) v = v * 10 + (s[at + i] - '0');
  return v;
}

struct reference {
  bool ok = false;
  std::int64_t us = 0;
  int offset_minutes = 0;
};

reference reference_parse(std::string_view s) {
  reference r;
  // YYYY-MM-DD?hh:mm:ss
  static const char shape[] = "dddd-dd-dd?dd:dd:dd";
  if (s.size() < 20) return r;
  for (std::size_t i = 0; i < 19; ++i) {
    const char want = shape[i];
    if (want == 'd' && !digit(s[i])) return r;
    if (want == '?' && s[i] != 'T' && s[i] != 't' && s[i] != ' ') return r;
    if (want != 'd' && want != '?' && s[i] != want) return r;
  }
  std::size_t i = 19;
  std::int64_t frac = 0;
  if (s[i] == '.') {
    ++i;
    const std::size_t b = i;
    while (i < s.size() && digit(s[i])) ++i;
    if (i == b) return r;
    for (std::size_t k = 0; k < 6; ++k) frac = frac * 10 + (b + k < i ? s[b + k] - '0' : 0);
  }
  if (i >= s.size()) return r;
  if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == s.size()) {
    r.offset_minutes = 0;
  } else if ((s[i] == '+' || s[i] == '-') && i + 6 == s.size() && digit(s[i + 1]) && digit(s[i + 2]) &&
             s[i + 3] == ':' && digit(s[i + 4]) && digit(s[i + 5])) {
    const int oh = num(s, i + 1, 2), om = num(s, i + 4, 2);
    if (oh > 23 || om > 59) return r;
    r.offset_minutes = (s[i] == '-' ? -1 : 1) * (oh * 60 + om);
  } else {
    return r;
  }
  const int y = num(s, 0, 4), mo = num(s, 5, 2), d = num(s, 8, 2);
  const int h = num(s, 11, 2), mi = num(s, 14, 2), sec = num(s, 17, 2);
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > static_cast<int>(days_in_month(y, static_cast<unsigned>(mo))))
    return r;
  if (h > 23 || mi > 59 || sec > 59) return r;
  const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  r.us = ((days * 86400 + h * 3600 + mi * 60 + sec) - std::int64_t{r.offset_minutes} * 60) * 1000000 + frac;
  r.ok = true;
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view s(reinterpret_cast<const char*>(data), size);
  rfc3339_error why = rfc3339_error::empty;
  const std::optional<timestamp> t = parse_rfc3339(s, &why);
  const reference ref = reference_parse(s);
  FUZZ_CHECK(t.has_value() == ref.ok, "parse_rfc3339 accepts exactly the reference's timestamps");
  if (!t) {
    FUZZ_CHECK(!detail::rfc3339_error_message(why, s).empty(), "a rejection has a message");
    if (s.empty()) FUZZ_CHECK(why == rfc3339_error::empty, "empty text: reason empty");
    return 0;
  }
  FUZZ_CHECK(t->time_since_epoch().count() == ref.us, "the instant matches the reference");

  const std::string utc = format_rfc3339(*t);
  const std::optional<timestamp> back = parse_rfc3339(utc);
  // Instants before 1970-01-01T00:00Z (e.g. 1970-01-01T00:30+08:00) format
  // with a local year 1969 in UTC, which the parser does not take back.
  // Likewise instants from 10000-01-01T00:00Z on (9999-12-31T23:00-05:00).
  const std::int64_t year_10000_us = days_from_civil(10000, 1, 1) * 86400 * std::int64_t{1000000};
  if (t->time_since_epoch().count() >= 0 && t->time_since_epoch().count() < year_10000_us) {
    FUZZ_CHECK(back && *back == *t, "UTC format parses back to the same instant");
    FUZZ_CHECK(format_rfc3339(*back) == utc, "UTC format is stable");
  }
  if (ref.offset_minutes >= -18 * 60 && ref.offset_minutes <= 18 * 60) {
    const std::string local = format_rfc3339(*t, utc_offset(std::chrono::minutes{ref.offset_minutes}));
    const std::optional<timestamp> back_local = parse_rfc3339(local);
    FUZZ_CHECK(back_local && *back_local == *t, "own-offset format parses back to the same instant");
    FUZZ_CHECK(local.compare(0, 10, s.substr(0, 10)) == 0 && local.compare(11, 8, s.substr(11, 8)) == 0,
               "own-offset format keeps the text's date and time of day");
  }
  return 0;
}
