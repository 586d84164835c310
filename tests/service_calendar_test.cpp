// SPDX-License-Identifier: Apache-2.0
// Tests of csmetrics/sessions/service_calendar.hpp and of response figures on
// service time (issue 25): hand-computed waits, sessions and shop_metrics
// with a calendar (split and merge, serialized form, golden files, corrupt
// bytes, the merge error naming the option), the CSV reader's errors.
#include "csmetrics/sessions/service_calendar.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "../examples/demo_week.hpp"
#include "csmetrics/io/event_csv.hpp"
#include "csmetrics/io/report.hpp"
#include "csmetrics/sessions/sessions.hpp"
#include "csmetrics/shop_metrics.hpp"
#include "support.hpp"

using namespace csmetrics;
using Catch::Matchers::Contains;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

/// Local time `hh:mm:ss` of `date` for a shop at `off` (default UTC+8).
timestamp at(const char* date, int h, int m, int s = 0, utc_offset off = {}) {
  return day_start(*parse_day(date), off) + hours{h} + minutes{m} + seconds{s};
}
double secs(duration d) { return static_cast<double>(d.count()) / 1e6; }
service_interval iv(int open_h, int open_m, int close_h, int close_m) {
  return service_interval{open_h * 60 + open_m, close_h * 60 + close_m};
}
std::shared_ptr<const service_calendar> daily(std::vector<service_interval> v) {
  return std::make_shared<const service_calendar>(service_calendar::every_day(std::move(v)));
}

/// The reference: service time summed day by day, interval by interval.
std::int64_t brute_force(const service_hours& h, std::int64_t from, std::int64_t to, utc_offset off) {
  if (to <= from) return 0;
  const std::int64_t off_us = off.minutes().count() * std::int64_t{60'000'000};
  const std::int64_t day_us = std::int64_t{86'400'000'000};
  std::int64_t s = 0;
  for (std::int64_t d = detail::floor_div(from + off_us, day_us); d <= detail::floor_div(to + off_us, day_us); ++d) {
    auto it = h.dates().find(static_cast<day_number>(d));
    const std::vector<service_interval>& v = it != h.dates().end() ? it->second : h.weekday(detail::weekday_of(d));
    for (const service_interval& i : v) {
      const std::int64_t a = d * day_us - off_us + i.open_min * std::int64_t{60'000'000};
      const std::int64_t b = d * day_us - off_us + i.close_min * std::int64_t{60'000'000};
      s += std::max<std::int64_t>(0, std::min(b, to) - std::max(a, from));
    }
  }
  return s;
}

}  // namespace

TEST_CASE("service_hours: hand-computed service time", "[service_calendar]") {
  const utc_offset cn{};
  SECTION("08:00-24:00: overnight waits, a reply before opening, 24:00 closing") {
    const service_hours h = service_hours::every_day({iv(8, 0, 24, 0)});
    // the case: asked at 02:00, answered at 08:00:30 -> 30 s since opening
    CHECK(secs(h.between(at("2026-12-07", 2, 0), at("2026-12-07", 8, 0, 30), cn)) == 30.0);
    // a wait inside service hours is wall time
    CHECK(secs(h.between(at("2026-12-07", 10, 0), at("2026-12-07", 10, 0, 40), cn)) == 40.0);
    // overnight: 23:50 -> 08:00:30 next day = 10 min before midnight + 30 s
    CHECK(secs(h.between(at("2026-12-07", 23, 50), at("2026-12-08", 8, 0, 30), cn)) == 630.0);
    // a reply before opening: no service time at all
    CHECK(secs(h.between(at("2026-12-07", 2, 0), at("2026-12-07", 7, 59), cn)) == 0.0);
    // 24:00 closing: open up to midnight, closed after it
    CHECK(secs(h.between(at("2026-12-07", 23, 59, 50), at("2026-12-08", 0, 0, 10), cn)) == 10.0);
    // empty and reversed spans
    CHECK(h.between(at("2026-12-07", 9, 0), at("2026-12-07", 9, 0), cn) == duration::zero());
    CHECK(h.between(at("2026-12-07", 9, 0), at("2026-12-07", 8, 0), cn) == duration::zero());
    // three whole days and two part days: 16 h a day
    CHECK(secs(h.between(at("2026-12-07", 12, 0), at("2026-12-11", 9, 0), cn)) == (12 + 3 * 16 + 1) * 3600.0);
  }
  SECTION("00:00-24:00 is wall time") {
    const service_hours h = service_hours::every_day({iv(0, 0, 24, 0)});
    CHECK(secs(h.between(at("2026-12-07", 23, 59, 50), at("2026-12-08", 0, 0, 10), cn)) == 20.0);
    CHECK(secs(h.between(at("2026-12-01", 3, 0), at("2026-12-31", 4, 0), cn)) == 30 * 86400.0 + 3600.0);
  }
  SECTION("a closed day: Monday to Saturday 09:00-18:00, Sunday closed") {
    service_hours h;
    for (int d = 0; d < 6; ++d) h.set_weekday(d, {iv(9, 0, 18, 0)});
    REQUIRE(detail::weekday_of(*parse_day("2026-12-05")) == 5);  // a Saturday
    // Saturday 17:59 -> Monday 09:01: one minute each side of the closed Sunday
    CHECK(secs(h.between(at("2026-12-05", 17, 59), at("2026-12-07", 9, 1), cn)) == 120.0);
    // asked and answered on the Sunday
    CHECK(secs(h.between(at("2026-12-06", 10, 0), at("2026-12-06", 11, 0), cn)) == 0.0);
    CHECK(h.week_total() == hours{6 * 9});
  }
  SECTION("two intervals a day, a burst spanning closing time") {
    const service_hours h = service_hours::every_day({iv(13, 0, 18, 0), iv(9, 0, 12, 0)});  // any order
    CHECK(h.weekday(0).front() == iv(9, 0, 12, 0));
    // across lunch: 11:59 -> 13:01 = 2 min
    CHECK(secs(h.between(at("2026-12-07", 11, 59), at("2026-12-07", 13, 1), cn)) == 120.0);
    // across the evening closing: 17:59:30 -> 09:00:15 next day = 30 s + 15 s
    CHECK(secs(h.between(at("2026-12-07", 17, 59, 30), at("2026-12-08", 9, 0, 15), cn)) == 45.0);
    // inside lunch only
    CHECK(secs(h.between(at("2026-12-07", 12, 10), at("2026-12-07", 12, 50), cn)) == 0.0);
  }
  SECTION("special dates: a closed date, a date of its own hours") {
    service_hours h = service_hours::every_day({iv(9, 0, 18, 0)});
    h.set_date(*parse_day("2026-12-25"), {});                  // closed
    h.set_date(*parse_day("2026-12-24"), {iv(10, 0, 12, 0)});  // short day
    // 12-24 11:00 -> 12-26 09:00:10: 1 h on the 24th, nothing on the 25th, 10 s
    CHECK(secs(h.between(at("2026-12-24", 11, 0), at("2026-12-26", 9, 0, 10), cn)) == 3600.0 + 10.0);
    // a fortnight over both: 14 days of 9 h, less the 25th's 9 h and 7 of the 24th's
    CHECK(secs(h.between(at("2026-12-20", 0, 0), at("2027-01-03", 0, 0), cn)) == (14 * 9 - 9 - 7) * 3600.0);
    h.clear_date(*parse_day("2026-12-25"));
    CHECK(secs(h.between(at("2026-12-25", 9, 0), at("2026-12-25", 9, 1), cn)) == 60.0);
  }
  SECTION("the local day follows the offset") {
    const utc_offset brazil(minutes{-3 * 60});
    const service_hours h = service_hours::every_day({iv(8, 0, 24, 0)});
    CHECK(secs(h.between(at("2026-12-07", 2, 0, 0, brazil), at("2026-12-07", 8, 0, 30, brazil), brazil)) == 30.0);
  }
  SECTION("bad intervals are refused") {
    service_hours h;
    CHECK_THROWS_AS(h.set_weekday(0, {iv(9, 0, 9, 0)}), std::invalid_argument);
    CHECK_THROWS_AS(h.set_weekday(0, {service_interval{0, 1441}}), std::invalid_argument);
    CHECK_THROWS_WITH(h.set_weekday(0, {iv(9, 0, 12, 0), iv(11, 0, 13, 0)}), Contains("overlapping"));
    CHECK_THROWS_AS(h.set_weekday(7, {}), std::invalid_argument);
  }
}

TEST_CASE("service_hours: between equals a day-by-day sum and adds up", "[service_calendar]") {
  std::mt19937_64 rng(25);
  service_hours h;
  h.set_weekday(0, {iv(9, 0, 12, 0), iv(13, 0, 18, 0)});
  h.set_weekday(1, {iv(8, 0, 24, 0)});
  h.set_weekday(2, {iv(0, 0, 2, 0), iv(8, 0, 24, 0)});
  h.set_weekday(4, {iv(9, 30, 17, 45)});
  h.set_weekday(5, {iv(10, 0, 16, 0)});
  for (int i = 0; i < 20; ++i)
    h.set_date(static_cast<day_number>(*parse_day("2026-11-01") + static_cast<int>(rng() % 90)),
               rng() % 2 ? std::vector<service_interval>{} : std::vector<service_interval>{iv(11, 0, 15, 0)});
  for (const utc_offset off : {utc_offset{}, utc_offset::utc(), utc_offset(minutes{-210})}) {
    const std::int64_t base = at("2026-10-25", 0, 0).time_since_epoch().count();
    for (int i = 0; i < 3000; ++i) {
      const std::int64_t a = base + static_cast<std::int64_t>(rng() % (std::uint64_t{120} * 86'400'000'000));
      const std::int64_t span = i % 3 == 0 ? static_cast<std::int64_t>(rng() % 86'400'000'000)
                                           : static_cast<std::int64_t>(rng() % (std::uint64_t{40} * 86'400'000'000));
      const std::int64_t b = a + span, c = b + static_cast<std::int64_t>(rng() % 86'400'000'000);
      const timestamp ta{duration{a}}, tb{duration{b}}, tc{duration{c}};
      REQUIRE(h.between(ta, tb, off).count() == brute_force(h, a, b, off));
      REQUIRE(h.between(ta, tb, off) + h.between(tb, tc, off) == h.between(ta, tc, off));
      REQUIRE(h.between(ta, tb, off) <= tb - ta);
    }
  }
}

// The one-day path, the whole-day tables and the special dates' prefix sums
// where random microseconds rarely land: on interval edges and midnights,
// before 1970, across hundreds of days and many special dates.
TEST_CASE("service_hours: between on edges, before 1970 and across many dates", "[service_calendar]") {
  std::mt19937_64 rng(2525);
  service_hours h;
  h.set_weekday(0, {iv(0, 0, 0, 1), iv(9, 0, 12, 0), iv(13, 0, 24, 0)});
  h.set_weekday(2, {iv(8, 0, 24, 0)});
  h.set_weekday(3, {iv(0, 0, 24, 0)});
  h.set_weekday(5, {iv(10, 0, 10, 30), iv(11, 0, 11, 30), iv(12, 0, 16, 0)});
  for (int i = 0; i < 60; ++i)
    h.set_date(static_cast<day_number>(-200 + static_cast<int>(rng() % 600)),
               rng() % 2 ? std::vector<service_interval>{} : std::vector<service_interval>{iv(0, 0, 6, 0), iv(20, 0, 24, 0)});
  const std::int64_t day_us = 86'400'000'000, min_us = 60'000'000;
  for (const utc_offset off : {utc_offset{}, utc_offset(minutes{330}), utc_offset(minutes{-600})}) {
    for (int i = 0; i < 4000; ++i) {
      // minute-aligned ends (every edge is a whole minute), days -300 .. 400
      const std::int64_t a = (static_cast<std::int64_t>(rng() % 700) - 300) * day_us +
                             static_cast<std::int64_t>(rng() % 1441) * min_us;
      const std::int64_t span = i % 4 == 0   ? static_cast<std::int64_t>(rng() % 1441) * min_us
                                : i % 4 == 1 ? static_cast<std::int64_t>(rng() % 15) * day_us
                                             : static_cast<std::int64_t>(rng() % (400 * 1440)) * min_us;
      REQUIRE(h.between_us(a, a + span, off.minutes().count() * min_us) == brute_force(h, a, a + span, off));
    }
  }
}

TEST_CASE("service_calendar: CSV rows, defaults and bad rows named by line", "[service_calendar][csv]") {
  const std::string csv =
      "shop,weekday_or_date,open,close\n"
      "# every shop without rows of its own\n"
      "*,daily,08:00,24:00\n"
      "*,2026-10-01,closed,\n"
      "tmall-a,mon-fri,09:00,12:00\n"
      "tmall-a,mon-fri,13:00,18:00\r\n"
      "tmall-a,Saturday,10:00,16:00\n"
      "tmall-b,2026-12-24,10:00,12:00\n";
  const service_calendar cal = service_calendar::from_csv(csv);
  REQUIRE(cal.default_hours());
  CHECK(*cal.find("anyone") == *cal.default_hours());
  const service_hours* a = cal.find("tmall-a");
  REQUIRE(a);
  CHECK(a->weekday(0).size() == 2);
  CHECK(a->weekday(5) == std::vector<service_interval>{iv(10, 0, 16, 0)});
  CHECK(a->weekday(6).empty());  // weekday rows replace the default's week: Sunday closed
  CHECK(a->dates().at(*parse_day("2026-10-01")).empty());  // the default's closed date stays
  const service_hours* b = cal.find("tmall-b");
  REQUIRE(b);
  CHECK(b->weekday(6) == std::vector<service_interval>{iv(8, 0, 24, 0)});  // the default's week
  CHECK(b->dates().at(*parse_day("2026-12-24")) == std::vector<service_interval>{iv(10, 0, 12, 0)});
  CHECK(cal.describe() == "*: daily 08:00-24:00; 2026-10-01 closed | tmall-a: mon-fri 09:00-12:00,13:00-18:00; "
                          "sat 10:00-16:00; sun closed; 2026-10-01 closed | tmall-b: daily 08:00-24:00; "
                          "2026-10-01 closed; 2026-12-24 10:00-12:00");
  CHECK(service_calendar::from_csv("").empty());
  CHECK(service_calendar{}.describe() == "none");
  // Without a default, a shop's rows are its whole week; a shop with no hours is always open.
  const service_calendar only = service_calendar::from_csv("x,mon,09:00,10:00\n");
  CHECK(only.find("y") == nullptr);
  CHECK(only.find("x")->weekday(1).empty());

  auto error_of = [](const std::string& text) {
    try {
      service_calendar::from_csv(text);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  // Each bad calendar and the error it gets.
  const std::pair<const char*, const char*> bad_calendars[] = {
      {"shop,weekday_or_date,open,close\n*,daily,08:00\n",
       "line 2: expected 4 fields shop,weekday_or_date,open,close, found 3"},
      {"*,daily,08:00,24:00\n\n*,funday,08:00,09:00\n",
       "line 3: expected a weekday (mon..sun, mon-fri, daily) or a date YYYY-MM-DD: 'funday'"},
      {"*,mon,8:00,09:00\n", "line 1: open must be a time HH:MM or closed: '8:00'"},
      {"*,mon,08:00,24:30\n", "line 1: close must be a time HH:MM (24:00 allowed): '24:30'"},
      {"*,mon,18:00,09:00\n", "line 1: open 18:00 is not before close 09:00"},
      {"a,mon,09:00,12:00\na,mon,11:00,13:00\n",
       "line 2: service_hours: overlapping intervals 09:00-12:00 and 11:00-13:00"},
      {"a,2026-02-30,09:00,12:00\n",
       "line 1: expected a weekday (mon..sun, mon-fri, daily) or a date YYYY-MM-DD: '2026-02-30'"},
      {"a,2026-12-25,closed,\na,2026-12-25,09:00,12:00\n", "line 2: 2026-12-25 is both closed and open (line 1)"},
      {",mon,09:00,12:00\n", "line 1: empty shop (use * for every shop)"},
      {"a,fri-mon,09:00,12:00\n", "line 1: weekday range must run forward (mon-fri): 'fri-mon'"},
  };
  for (const auto& [csv, message] : bad_calendars) {
    INFO("calendar: " << csv);
    CHECK(error_of(csv) == message);
  }
}

TEST_CASE("sessions: response figures on service time beside wall time", "[service_calendar][sessions]") {
  session_options opt;
  opt.calendar = daily({iv(8, 0, 24, 0)});
  sessions<std::string, std::string, std::string> s(opt);
  // asked at 02:00, answered at 08:00:30: 6 h of wall time, 30 s of service time
  s.buyer_message("shop", "b1", at("2026-12-07", 2, 0));
  s.buyer_message("shop", "b1", at("2026-12-07", 2, 5));
  s.agent_message("shop", "b1", "ann", at("2026-12-07", 8, 0, 30));
  // asked at 12:00, answered at 12:01: the same on both clocks
  s.buyer_message("shop", "b2", at("2026-12-07", 12, 0));
  s.agent_message("shop", "b2", "bob", at("2026-12-07", 12, 1));
  // a reply before opening: 0 s of service time
  s.buyer_message("shop", "b3", at("2026-12-07", 3, 0));
  s.agent_message("shop", "b3", "ann", at("2026-12-07", 7, 0));
  const auto r = s.shop("shop");
  REQUIRE(r.has_service_time());
  CHECK(r.response().count() == 3);
  CHECK(r.response_service().count() == 3);
  CHECK(*r.response().mean() == Approx((21630.0 + 60 + 14400) / 3));
  CHECK(*r.response_service().mean() == Approx((30.0 + 60 + 0) / 3));
  CHECK(*r.response_service().min() == 0.0);
  CHECK(*r.response_service().max() == 60.0);
  // the 45 s rule: two of three on service time, none on wall time
  CHECK(r.response().within().successes() == 0);
  CHECK(r.response_service().within().successes() == 2);
  CHECK(r.response().slow() == 2);
  CHECK(r.response_service().slow() == 0);
  CHECK(r.first_response_service().count() == 3);
  CHECK(*r.first_response_service().mean() == Approx(30.0));
  CHECK(*s.agent("shop", "ann").response_service().mean() == Approx(15.0));
  CHECK(s.service_time("shop", at("2026-12-07", 2, 0), at("2026-12-07", 8, 0, 30)) == seconds{30});
  // Kaplan-Meier on service time: a burst pending since 23:59:00, censored at 60 s of service time
  s.buyer_message("shop", "b4", at("2026-12-07", 23, 59));
  CHECK(s.km_median(sessions<std::string, std::string, std::string>::filter{}, at("2026-12-08", 7, 0)).has_value());
  CHECK(*s.km_median_service(sessions<std::string, std::string, std::string>::filter{}, at("2026-12-08", 7, 0)) <=
        60.0 * 1.02);

  SECTION("without a calendar only wall time exists, and the bytes are version 2") {
    sessions<> plain;
    plain.buyer_message(1, 1, at("2026-12-07", 2, 0));
    plain.agent_message(1, 1, 9, at("2026-12-07", 8, 0, 30));
    CHECK_FALSE(plain.shop(1).has_service_time());
    CHECK_FALSE(plain.km_median_service({}, at("2026-12-07", 9, 0)));
    CHECK(plain.service_time(1, at("2026-12-07", 2, 0), at("2026-12-07", 8, 0, 30)) == seconds{21630});
    const std::vector<std::uint8_t> bare = csm_test::bare(plain);
    CHECK(bare[4] == 2);  // format version byte
  }
  SECTION("a shop the calendar has no hours for is on wall time") {
    session_options per_shop;
    auto cal = std::make_shared<service_calendar>();
    cal->set_shop("7", service_hours::every_day({iv(8, 0, 24, 0)}));
    per_shop.calendar = cal;
    sessions<> t(per_shop);
    for (std::uint64_t shop : {7, 8}) {
      t.buyer_message(shop, 1, at("2026-12-07", 2, 0));
      t.agent_message(shop, 1, 9, at("2026-12-07", 8, 0, 30));
    }
    CHECK(*t.shop(7).response_service().mean() == 30.0);
    CHECK(*t.shop(8).response_service().mean() == 21630.0);
  }
}

namespace {

/// A random message stream over `shops` x `buyers` with nights and long waits.
template <class Tracker>
Tracker fed(const session_options& opt, std::uint64_t seed, int n, int shops, int buyers, int part = -1,
            int parts = 1) {
  std::mt19937_64 rng(seed);
  Tracker s(opt);
  timestamp t = at("2026-12-04", 20, 0);
  for (int i = 0; i < n; ++i) {
    const int r = static_cast<int>(rng() % 100);
    t += r < 4 ? duration{hours{5}} : duration{seconds{static_cast<int>(rng() % 120)}};
    const std::uint64_t shop = rng() % static_cast<std::uint64_t>(shops), buyer = rng() % static_cast<std::uint64_t>(buyers);
    const std::uint64_t agent = 100 + rng() % 3;
    const int what = static_cast<int>(rng() % 100);
    if (what < 96 && part >= 0 &&
        static_cast<int>(detail::mix64(buyer * 31 + shop) % static_cast<std::uint64_t>(parts)) != part)
      continue;  // the shard of (shop, buyer); flushes go to every shard
    if (what < 45) s.buyer_message(shop, buyer, t);
    else if (what < 85) s.agent_message(shop, buyer, agent, t);
    else if (what < 92) s.auto_message(shop, buyer, t);
    else if (what < 96) s.invite(shop, buyer, agent, t);
    else s.flush(t);
  }
  return s;
}

std::shared_ptr<const service_calendar> mixed_calendar() {
  auto cal = std::make_shared<service_calendar>(service_calendar::from_csv(
      "*,daily,08:00,24:00\n"
      "1,mon-fri,09:00,12:00\n1,mon-fri,13:00,18:00\n1,2026-12-08,closed,\n"
      "2,sat-sun,10:00,16:00\n"));
  return cal;
}

}  // namespace

TEST_CASE("sessions: with a calendar, shards merge into the one-pass state", "[service_calendar][merge]") {
  session_options opt;
  opt.calendar = mixed_calendar();
  using tracker = sessions<>;
  const tracker whole = fed<tracker>(opt, 11, 4000, 4, 40);
  REQUIRE(whole.total().response_service().count() > 200);
  CHECK(whole.total().response_service().total() < whole.total().response().total());
  for (int parts : {2, 3}) {
    tracker merged(opt);
    for (int p = 0; p < parts; ++p) merged.merge(fed<tracker>(opt, 11, 4000, 4, 40, p, parts));
    CHECK(merged == whole);
    CHECK(merged.total().response_service() == whole.total().response_service());
  }
  // merge laws
  const tracker a = fed<tracker>(opt, 11, 4000, 4, 40, 0, 3), b = fed<tracker>(opt, 11, 4000, 4, 40, 1, 3),
                c = fed<tracker>(opt, 11, 4000, 4, 40, 2, 3);
  csm_test::check_merge_laws(a, b, c, tracker(opt));
}

TEST_CASE("sessions: with a calendar, serialized form round trips and rejects corruption",
          "[service_calendar][serde]") {
  session_options opt;
  opt.calendar = mixed_calendar();
  std::mt19937_64 rng(5);
  const auto big = fed<sessions<>>(opt, 3, 2000, 4, 30);
  csm_test::check_round_trip(big);
  csm_test::check_round_trip(sessions<>(opt));
  const auto few = fed<sessions<>>(opt, 4, 300, 3, 5);
  csm_test::check_round_trip(few);
  const auto small = fed<sessions<>>(opt, 4, 14, 3, 3);
  csm_test::check_corruption(small, rng, 300);
  CHECK(csm_test::bare(big)[4] == 3);  // version 3: the calendar travels with the state
  const auto back = sessions<>::deserialize(big.serialize().data(), big.serialize().size());
  REQUIRE(back.options().calendar);
  CHECK(*back.options().calendar == *opt.calendar);
  CHECK(back.options() == opt);
  const auto cell = big.total();
  csm_test::check_round_trip(cell);
}

TEST_CASE("sessions: golden v3 bytes (a calendar)", "[service_calendar][serde][golden]") {
  session_options opt;
  opt.calendar = mixed_calendar();
  sessions<> s(opt);
  s.buyer_message(1, 7, at("2026-12-07", 2, 0), 3);
  s.agent_message(1, 7, 3, at("2026-12-07", 9, 0, 30));
  s.buyer_message(3, 8, at("2026-12-07", 23, 50));
  s.agent_message(3, 8, 4, at("2026-12-08", 8, 1));
  s.buyer_message(2, 8, at("2026-12-07", 23, 50));  // shop 2 is open on weekends only
  s.agent_message(2, 8, 4, at("2026-12-08", 8, 1));
  s.buyer_message(5, 9, at("2026-12-08", 11, 0));
  csm_test::check_golden(s, "sessions_v3.bin");
  CHECK(*s.shop(1).response_service().mean() == 30.0);
  CHECK(*s.shop(3).response_service().mean() == 600.0 + 60.0);
  CHECK(*s.shop(2).response_service().mean() == 0.0);
  CHECK(s.open_conversations() == 4);
}

TEST_CASE("sessions: states of different calendars refuse to merge, naming the option", "[service_calendar][merge]") {
  session_options with;
  with.calendar = daily({iv(8, 0, 24, 0)});
  sessions<> a(with), b, c(with);
  CHECK_THROWS_WITH(a.merge(b), "csmetrics::sessions::merge: different options: service calendar: "
                                "*: daily 08:00-24:00 vs none");
  session_options other;
  other.calendar = daily({iv(9, 0, 18, 0)});
  CHECK_THROWS_WITH(a.merge(sessions<>(other)), Contains("*: daily 08:00-24:00 vs *: daily 09:00-18:00"));
  session_options slow = with;
  slow.within_seconds = 30;
  CHECK_THROWS_WITH(a.merge(sessions<>(slow)), Contains("within_seconds: 45 vs 30"));
  a.merge(c);  // equal calendars, different objects
  // a large calendar is named by its digest
  auto big = std::make_shared<service_calendar>();
  for (int i = 0; i < 40; ++i) big->set_shop("shop-" + std::to_string(i), service_hours::every_day({iv(9, 0, 18, 0)}));
  session_options large;
  large.calendar = big;
  CHECK_THROWS_WITH(a.merge(sessions<>(large)), Contains("vs a calendar of 40 shop(s), digest "));
}

namespace {

std::vector<event> demo_events(std::vector<std::string>& keep) {
  static const std::string csv = demo::demo_week_builder().csv();
  std::vector<event> out;
  event_csv_reader in(csv);
  event e;
  while (in.next(e)) {
    // the reader's views live until its next row: own the texts
    for (std::string_view* v : {&e.shop, &e.buyer, &e.agent, &e.order, &e.tag}) {
      keep.emplace_back(*v);
    }
    out.push_back(e);
  }
  // re-point the views once every string has its final address
  std::size_t k = 0;
  for (event& x : out)
    for (std::string_view* v : {&x.shop, &x.buyer, &x.agent, &x.order, &x.tag}) *v = keep[k++];
  return out;
}

}  // namespace

TEST_CASE("shop_metrics: the seed week's 45 s rule on service time", "[service_calendar][seed]") {
  std::vector<std::string> keep;
  keep.reserve(1 << 20);
  const std::vector<event> events = demo_events(keep);
  auto run = [&](std::shared_ptr<const service_calendar> cal) {
    shop_metrics_options o;
    o.calendar = std::move(cal);
    shop_metrics m(o);
    for (const event& e : events) m.add(e);
    m.finish(*m.newest_time());
    return m;
  };
  const shop_metrics wall = run(nullptr), always = run(daily({iv(0, 0, 24, 0)})),
                     day = run(daily({iv(8, 0, 24, 0)}));
  const shop_report w = wall.make_report().shops.at("tmall-demo");
  const shop_report a = always.make_report().shops.at("tmall-demo");
  const shop_report d = day.make_report().shops.at("tmall-demo");
  CHECK_FALSE(w.response_service_s);
  CHECK(to_json(wall.make_report()).find("response_service_s") == std::string::npos);
  REQUIRE(a.response_service_s);
  REQUIRE(d.response_service_s);
  // always open: service time is wall time, figure by figure
  CHECK(a.response_service_s->count == w.response_s.count);
  CHECK(a.response_service_s->within_count == w.response_s.within_count);
  CHECK(a.response_service_s->mean == w.response_s.mean);
  CHECK(a.response_service_s->p90 == w.response_s.p90);
  CHECK(a.first_response_service_s->mean == w.first_response_s.mean);
  CHECK(a.km_median_response_service_s == w.km_median_response_s);
  // 08:00-24:00: never slower, at least as many within 45 s, the same bursts
  CHECK(d.response_service_s->count == w.response_s.count);
  CHECK(d.response_service_s->within_count >= w.response_s.within_count);
  CHECK(*d.response_service_s->mean <= *w.response_s.mean);
  CHECK(d.response_s.within_count == w.response_s.within_count);  // wall figures unchanged by the calendar
  for (const auto& [name, ag] : d.agents) {
    REQUIRE(ag.response_service_s);
    CHECK(ag.response_service_s->count == ag.response_s.count);
  }
  const std::string json = to_json(day.make_report());
  CHECK_THAT(json, Contains("\"response_service_s\":{\"count\":"));
  CHECK_THAT(json, Contains("\"first_response_service_s\":{\"count\":"));
  CHECK_THAT(to_prometheus(day.make_report()), Contains("csmetrics_response_service_seconds_count{shop=\"tmall-demo\"}"));
  CHECK(to_prometheus(wall.make_report()).find("service_seconds") == std::string::npos);
}

TEST_CASE("shop_metrics: a calendar travels with the state", "[service_calendar][serde]") {
  std::vector<std::string> keep;
  keep.reserve(1 << 20);
  const std::vector<event> events = demo_events(keep);
  shop_metrics_options o;
  o.calendar = mixed_calendar();
  shop_metrics m(o);
  for (std::size_t i = 0; i < events.size(); i += 40) m.add(events[i]);
  csm_test::check_round_trip(m);
  CHECK(csm_test::bare(m)[4] == 4);  // version 4 only with a calendar
  CHECK(csm_test::bare(shop_metrics{})[4] == 3);
  const std::vector<std::uint8_t> bytes = m.serialize();
  const shop_metrics back = shop_metrics::deserialize(bytes.data(), bytes.size());
  CHECK(back.options() == o);
  CHECK(to_json(back.make_report()) == to_json(m.make_report()));
  std::mt19937_64 rng(9);
  shop_metrics small(o);
  for (std::size_t i = 0; i < 60; ++i) small.add(events[i]);
  csm_test::check_corruption(small, rng, 200);

  SECTION("golden v4") {
    shop_metrics g(o);
    for (std::size_t i = 0; i < 80; ++i) g.add(events[i]);
    g.finish(*g.newest_time());
    csm_test::check_golden(g, "shop_metrics_v4.bin");
  }
  SECTION("shards by (shop, buyer) merge into the one-pass state") {
    shop_metrics whole(o);
    std::vector<shop_metrics> parts(3, shop_metrics(o));
    std::map<std::string_view, std::string_view> buyer_of_order;
    for (const event& e : events)
      if (e.type == event_type::order) buyer_of_order[e.order] = e.buyer;
    for (const event& e : events) {
      whole.add(e);
      std::string key(e.shop);
      key += '\x1f';
      key += !e.buyer.empty() ? e.buyer : buyer_of_order[e.order];
      parts[std::hash<std::string>{}(key) % 3].add(e);
    }
    const timestamp now = *whole.newest_time();
    whole.finish(now);
    shop_metrics merged(o);
    for (auto& p : parts) {
      p.finish(now);
      merged.merge(p);
    }
    CHECK(merged == whole);
    CHECK(to_json(merged.make_report()) == to_json(whole.make_report()));
  }
  SECTION("different definitions refuse to merge, naming the option and both values") {
    shop_metrics plain;
    CHECK_THROWS_WITH(plain.merge(m), Contains("shop_metrics::merge: options differ: service calendar: none vs *: "
                                               "daily 08:00-24:00 | 1: mon-fri"));
    shop_metrics_options gap;
    gap.session_gap = minutes{30};
    CHECK_THROWS_WITH(plain.merge(shop_metrics(gap)),
                      "shop_metrics::merge: options differ: session_gap: 600000000 us vs 1800000000 us");
    shop_metrics_options attribution;
    attribution.attribution_days = 5;
    CHECK_THROWS_WITH(plain.merge(shop_metrics(attribution)),
                      "shop_metrics::merge: options differ: attribution_days: 3 vs 5");
  }
}
