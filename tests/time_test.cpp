// SPDX-License-Identifier: Apache-2.0
#include "csmetrics/core/time.hpp"

#include <catch2/catch.hpp>

using namespace csmetrics;
using namespace std::chrono;

TEST_CASE("local_day: UTC+8 day boundary", "[time]") {
  // 2019-09-01T15:59:59Z is 23:59:59 in UTC+8; one second later is the next day.
  timestamp before{seconds{1567353599}};
  timestamp after = before + seconds{1};
  day_number sep1 = static_cast<day_number>(days_from_civil(2019, 9, 1));
  CHECK(local_day(before) == sep1);
  CHECK(local_day(after) == sep1 + 1);
  CHECK(local_day(before, utc_offset::utc()) == sep1);
  CHECK(local_day(after, utc_offset::utc()) == sep1);
  CHECK(format_day(local_day(after)) == "2019-09-02");
}

TEST_CASE("local_day: negative offsets and instants before the epoch", "[time]") {
  CHECK(local_day(timestamp{}, utc_offset::hours(-3)) == -1);
  CHECK(local_day(timestamp{seconds{-1}}, utc_offset::utc()) == -1);
  CHECK(day_start(0, utc_offset::hours(8)) == timestamp{hours{-8}});
  for (day_number d : {-400, -1, 0, 1, 18140, 2932896}) {
    CHECK(local_day(day_start(d, utc_offset::hours(-3)), utc_offset::hours(-3)) == d);
    CHECK(local_day(day_start(d) - microseconds{1}) == d - 1);
  }
}

TEST_CASE("civil dates: round trip over 400 years and known dates", "[time]") {
  CHECK(days_from_civil(1970, 1, 1) == 0);
  CHECK(days_from_civil(2000, 3, 1) == 11017);
  CHECK(civil_from_days(-1) == civil_date{1969, 12, 31});
  for (std::int64_t d = -146097; d < 146097 * 2; d += 7) {
    civil_date c = civil_from_days(d);
    REQUIRE(days_from_civil(c.year, c.month, c.day) == d);
  }
}

TEST_CASE("parse_day and format_day", "[time]") {
  CHECK(parse_day("2019-09-07") == static_cast<day_number>(days_from_civil(2019, 9, 7)));
  CHECK(format_day(*parse_day("2020-02-29")) == "2020-02-29");
  for (const char* bad : {"2019-02-29", "2019-13-01", "2019-00-10", "2019-1-01", "20190901", "", "1969-12-31",
                          "2019-09-3x", "2019-04-31"})
    CHECK_FALSE(parse_day(bad).has_value());
}

TEST_CASE("utc_offset: range is checked", "[time]") {
  CHECK_THROWS_AS(utc_offset(hours{19}), std::invalid_argument);
  CHECK_THROWS_WITH(utc_offset(hours{-19}), Catch::Contains("[-18:00, +18:00]"));
  CHECK(utc_offset{}.minutes() == minutes{480});
}
