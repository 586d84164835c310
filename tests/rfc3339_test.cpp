// SPDX-License-Identifier: Apache-2.0
#include "csmetrics/io/rfc3339.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>
#include <utility>
#include <vector>

using namespace csmetrics;
using std::chrono::microseconds;
using std::chrono::seconds;

namespace {

std::int64_t micros(std::string_view s) {
  rfc3339_error why = rfc3339_error::empty;
  auto t = parse_rfc3339(s, &why);
  INFO(std::string(s) << " rejected: " << name(why));
  REQUIRE(t.has_value());
  return t->time_since_epoch().count();
}

rfc3339_error reason_of(std::string_view s) {
  rfc3339_error why = rfc3339_error::empty;
  INFO(std::string(s));
  auto t = parse_rfc3339(s, &why);
  REQUIRE_FALSE(t.has_value());
  return why;
}

}  // namespace

TEST_CASE("parse_rfc3339: known instants (reference: Python datetime.fromisoformat)", "[rfc3339]") {
  CHECK(micros("2019-09-01T10:15:30+08:00") == 1567304130LL * 1000000);
  CHECK(micros("2019-09-01T02:15:30Z") == 1567304130LL * 1000000);
  CHECK(micros("2019-09-01t02:15:30z") == 1567304130LL * 1000000);
  CHECK(micros("2019-09-01 02:15:30+00:00") == 1567304130LL * 1000000);
  CHECK(micros("2019-09-01T02:15:30-00:00") == 1567304130LL * 1000000);
  CHECK(micros("2017-02-22T19:10:13.808801-03:00") == 1487801413LL * 1000000 + 808801);
  CHECK(micros("9999-12-31T23:59:59.999999Z") == 253402300799LL * 1000000 + 999999);
  CHECK(micros("2020-02-29T12:00:00+05:30") == 1582957800LL * 1000000);
  CHECK(micros("1970-01-01T00:00:00Z") == 0);
  CHECK(micros("1970-01-01T00:30:00+08:00") == -27000LL * 1000000);  // before the epoch in UTC: fine
  CHECK(micros("2000-02-29T00:00:00Z") == 951782400LL * 1000000);
  static_assert(parse_rfc3339("1970-01-01T00:00:01Z")->time_since_epoch().count() == 1000000, "constexpr");
}

TEST_CASE("parse_rfc3339: fractions keep microseconds and truncate the rest", "[rfc3339]") {
  const std::int64_t base = 1567304130LL * 1000000;
  CHECK(micros("2019-09-01T02:15:30.2Z") == base + 200000);
  CHECK(micros("2019-09-01T02:15:30.250Z") == base + 250000);
  CHECK(micros("2019-09-01T02:15:30.000001Z") == base + 1);
  CHECK(micros("2019-09-01T02:15:30.1234567Z") == base + 123456);     // 7th digit truncated
  CHECK(micros("2019-09-01T02:15:30.9999999999Z") == base + 999999);  // never rounds into the next second
  CHECK(micros("2019-09-01T02:15:30.000000000000000000001Z") == base);
  CHECK(micros("2019-12-31T23:59:59.9999999+00:00") == micros("2019-12-31T23:59:59.999999Z"));
}

TEST_CASE("parse_rfc3339: rejects with the reason", "[rfc3339]") {
  // Each reason and the texts rejected for it.
  const std::vector<std::pair<rfc3339_error, std::vector<const char*>>> rejected = {
      {rfc3339_error::empty, {""}},
      {rfc3339_error::syntax,
       {"2019-09-01", "2019/09/01T10:15:30Z", "2019-09-01X10:15:30Z", "2019-9-01T10:15:30Z", "2019-09-01T10:15Z",
        "2019-09-01T1a:15:30Z", "2019-09-01T10:15:30.Z", "2019-09-01T10:15:30Zx", "2019-09-01T10:15:30x",
        "2019-09-01T10:15:30 +08:00", "2019-09-01T10:15:301Z", "12019-09-01T10:15:30Z", " 2019-09-01T10:15:30Z",
        "2019-09-01T10:15:30,5Z", "2019-09-01T10-15-30Z", "abcdefghijklmnopqrstuvwxyz"}},
      {rfc3339_error::no_offset, {"2019-09-01T10:15:30", "2019-09-01T10:15:30.250"}},
      {rfc3339_error::bad_offset,
       {"2019-09-01T10:15:30+24:00", "2019-09-01T10:15:30+08:60", "2019-09-01T10:15:30+0800",
        "2019-09-01T10:15:30+8:00", "2019-09-01T10:15:30+08", "2019-09-01T10:15:30+08:00:00",
        "2019-09-01T10:15:30-0a:00", "2019-09-01T10:15:30+"}},
      {rfc3339_error::year_out_of_range, {"1969-12-31T23:59:59Z", "0000-01-01T00:00:00Z"}},
      {rfc3339_error::bad_date,  // impossible dates
       {"2019-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2019-04-31T00:00:00Z", "2019-13-01T00:00:00Z",
        "2019-00-10T00:00:00Z", "2019-09-00T00:00:00Z", "2019-09-32T00:00:00Z"}},
      {rfc3339_error::bad_time,  // impossible times
       {"2019-09-01T24:00:00Z", "2019-09-01T10:60:00Z", "2019-09-01T10:15:60Z", "2016-12-31T23:59:60Z",
        "2019-09-01T99:99:99Z"}},
  };
  for (const auto& [reason, texts] : rejected)
    for (const char* text : texts) {
      INFO("text \"" << text << "\"");
      CHECK(reason_of(text) == reason);
    }
  CHECK(name(rfc3339_error::no_offset) == "no_offset");
  CHECK(name(rfc3339_error::bad_date) == "bad_date");
  CHECK(detail::rfc3339_error_message(rfc3339_error::no_offset, "2019-09-01T10:15:30") ==
        "bad timestamp (no_offset): 2019-09-01T10:15:30");
}

TEST_CASE("parse_rfc3339: agrees with libc timegm on random date-times", "[rfc3339]") {
  std::mt19937_64 rng(7);
  char buf[64];
  for (int i = 0; i < 20000; ++i) {
    int y = 1970 + static_cast<int>(rng() % 8030);
    int mo = 1 + static_cast<int>(rng() % 12);
    int d = 1 + static_cast<int>(rng() % days_in_month(y, static_cast<unsigned>(mo)));
    int h = static_cast<int>(rng() % 24), mi = static_cast<int>(rng() % 60), s = static_cast<int>(rng() % 60);
    int oh = static_cast<int>(rng() % 24), om = static_cast<int>(rng() % 60);
    bool neg = rng() % 2;
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y, mo, d, h, mi, s, neg ? '-' : '+',
                  oh, om);
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    std::int64_t expect = static_cast<std::int64_t>(timegm(&tm)) - (neg ? -1 : 1) * (oh * 3600 + om * 60);
    INFO(buf);
    REQUIRE(micros(buf) == expect * 1000000);
  }
}

TEST_CASE("format_rfc3339: text, fractions and offsets", "[rfc3339]") {
  timestamp t{seconds{1567304130}};
  CHECK(format_rfc3339(t) == "2019-09-01T02:15:30Z");
  CHECK(format_rfc3339(t, utc_offset{}) == "2019-09-01T10:15:30+08:00");
  CHECK(format_rfc3339(t, utc_offset::hours(-3)) == "2019-08-31T23:15:30-03:00");
  CHECK(format_rfc3339(t, utc_offset(std::chrono::minutes{330})) == "2019-09-01T07:45:30+05:30");
  CHECK(format_rfc3339(t, utc_offset(std::chrono::minutes{-90})) == "2019-09-01T00:45:30-01:30");
  CHECK(format_rfc3339(t + microseconds{250000}) == "2019-09-01T02:15:30.250Z");
  CHECK(format_rfc3339(t + microseconds{808801}) == "2019-09-01T02:15:30.808801Z");
  CHECK(format_rfc3339(t + microseconds{1}) == "2019-09-01T02:15:30.000001Z");
  CHECK(format_rfc3339(timestamp{}) == "1970-01-01T00:00:00Z");
  CHECK(format_rfc3339(timestamp{microseconds{-1}}) == "1969-12-31T23:59:59.999999Z");
  CHECK(format_rfc3339(timestamp{seconds{-27000}}, utc_offset{}) == "1970-01-01T00:30:00+08:00");
}

TEST_CASE("format_rfc3339: round trips through parse_rfc3339", "[rfc3339]") {
  std::mt19937_64 rng(8);
  const std::int64_t hi = 253402300799LL * 1000000 - 18LL * 3600 * 1000000;  // local year stays <= 9999
  const std::int64_t lo = 18LL * 3600 * 1000000;                            // local year stays >= 1970
  std::uniform_int_distribution<std::int64_t> us(lo, hi);
  std::uniform_int_distribution<int> off(-18 * 60, 18 * 60);
  for (int i = 0; i < 20000; ++i) {
    std::int64_t v = us(rng);
    if (i % 3 == 0) v -= v % 1000000;  // whole seconds
    if (i % 3 == 1) v -= v % 1000;     // whole milliseconds
    timestamp t{microseconds{v}};
    utc_offset o{std::chrono::minutes{off(rng)}};
    std::string text = format_rfc3339(t, o);
    INFO(text);
    auto back = parse_rfc3339(text);
    REQUIRE(back.has_value());
    REQUIRE(*back == t);
  }
}

TEST_CASE("rfc3339_date_cache: the same instants and errors as parse_rfc3339 on streams sharing dates",
          "[rfc3339]") {
  // Runs of one date with edited clocks, fractions and offsets, and edits of
  // the date itself: a cached date must never let a bad text through.
  const std::string base[] = {"2019-09-01T10:15:30+08:00",       "2019-09-01T10:15:30.250+08:00",
                              "2019-09-01T23:59:59.123456+08:00", "2019-09-01T23:59:59.999999Z",
                              "2019-09-01 00:00:00.5-00:00",      "2020-02-29T12:00:00.001-05:30"};
  const std::string alphabet = "0123456789:-+.TZz x/;?@";  // (the bytes either side of the digits and the colon too)
  std::mt19937_64 rng(7);
  detail::rfc3339_date_cache cache;
  int accepted = 0, rejected = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string s = base[rng() % 6];
    const int edits = static_cast<int>(rng() % 3);
    for (int k = 0; k < edits && !s.empty(); ++k) {
      const std::size_t at = rng() % s.size();
      switch (rng() % 3) {
        case 0: s[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), alphabet[rng() % alphabet.size()]); break;
        default: s.erase(at, 1); break;
      }
    }
    std::int64_t plain = -1, cached = -2;
    rfc3339_error plain_why = rfc3339_error::empty, cached_why = rfc3339_error::empty;
    const bool plain_ok = detail::parse_rfc3339_micros(s, plain, plain_why);
    const bool cached_ok = cache.parse(s, cached, cached_why);
    INFO(s);
    REQUIRE(plain_ok == cached_ok);
    if (plain_ok) {
      REQUIRE(plain == cached);
      ++accepted;
    } else {
      REQUIRE(plain_why == cached_why);
      ++rejected;
    }
  }
  CHECK(accepted > 5000);
  CHECK(rejected > 5000);
}
