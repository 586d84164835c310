// SPDX-License-Identifier: Apache-2.0
#include "csmetrics/core/day_window.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include "support.hpp"
#include "tally.hpp"

#if __has_include("csmetrics/core/rate.hpp")
#include "csmetrics/core/rate.hpp"
#define CSM_TEST_HAVE_RATE 1
#endif

using namespace csmetrics;
using namespace std::chrono;

namespace {

// tally (tally.hpp) can subtract: its windows roll their running total incrementally.
using csm_test::tally;

// Count and maximum: cannot subtract, so the window re-merges.
struct peak {
  std::uint64_t n = 0;
  std::int64_t max = std::numeric_limits<std::int64_t>::min();

  void add(std::int64_t v) {
    n += 1;
    max = std::max(max, v);
  }
  void merge(const peak& o) {
    n += o.n;
    max = std::max(max, o.max);
  }
  friend bool operator==(const peak& a, const peak& b) { return a.n == b.n && a.max == b.max; }
  static constexpr auto type = static_cast<detail::type_id>(251);  // a test-only id
  void serialize_to(detail::writer& w) const { csm_test::write_count_and_figure(w, type, n, max); }
  static peak deserialize_from(detail::reader& r) {
    const auto [values, highest] = csm_test::read_count_and_figure(r, type, "peak");
    return peak{values, highest};
  }
};

static_assert(day_window<tally>::rolls_incrementally);
static_assert(!day_window<peak>::rolls_incrementally);

day_number ymd(int y, unsigned m, unsigned d) { return static_cast<day_number>(days_from_civil(y, m, d)); }

// The reference: a map of day -> events, windows summed by brute force.
template <class Acc>
struct model {
  int window, history;
  std::map<std::int64_t, Acc> days;
  std::optional<std::int64_t> newest;
  std::uint64_t rejected = 0;

  bool add(std::int64_t d, std::int64_t v) {
    if (newest && d <= *newest - window - history) {
      ++rejected;
      return false;
    }
    if (!newest || d > *newest) newest = d;
    days[d].add(v);
    return true;
  }
  Acc as_of(std::int64_t d) const {
    Acc out;
    for (auto it = days.lower_bound(d - window + 1); it != days.end() && it->first <= d; ++it) out.merge(it->second);
    return out;
  }
};

}  // namespace

TEST_CASE("day_window: configuration is checked", "[day_window]") {
  CHECK_THROWS_AS(day_window<tally>(0), std::invalid_argument);
  CHECK_THROWS_WITH(day_window<tally>(0), Catch::Contains("window_days must be in [1, 3650]: 0"));
  CHECK_THROWS_WITH(day_window<tally>(3651), Catch::Contains("[1, 3650]: 3651"));
  CHECK_THROWS_WITH(day_window<tally>(30, {}, {}, -1), Catch::Contains("history_days must be in [0, 3650]: -1"));
  CHECK_THROWS_AS(day_window<tally>(30, {}, {}, 3651), std::invalid_argument);
  day_window<tally> w(3650, utc_offset::hours(-5), tally{}, 3650);
  CHECK(w.window_days() == 3650);
  CHECK(w.history_days() == 3650);
  CHECK(w.offset() == utc_offset::hours(-5));
  CHECK(w.empty());
  CHECK(w.newest_day() == day_window<tally>::no_day);
  CHECK(w.current() == tally{});
  CHECK(w.as_of(12345) == tally{});
}

TEST_CASE("day_window: the UTC+8 day boundary", "[day_window]") {
  // 2019-09-01T15:59:59Z is 23:59:59 on 1 Sept in UTC+8; 16:00:00Z is 2 Sept.
  const timestamp before{seconds{1567353599}};
  const timestamp after = before + seconds{1};
  const day_number sep1 = ymd(2019, 9, 1);

  day_window<tally> shop(1);  // UTC+8 by default; a one-day window
  REQUIRE(shop.add(before, 10));
  CHECK(shop.newest_day() == sep1);
  CHECK(shop.current() == tally{1, 10});
  REQUIRE(shop.add(after, 20));
  CHECK(shop.newest_day() == sep1 + 1);
  CHECK(shop.current() == tally{1, 20});  // 1 Sept left the one-day window
  CHECK(shop.rejected_too_old() == 0);
  CHECK(shop.at(before) == nullptr);      // and is now too old
  CHECK(shop.rejected_too_old() == 1);

  day_window<tally> utc(1, utc_offset::utc());
  REQUIRE(utc.add(before, 10));
  REQUIRE(utc.add(after, 20));
  CHECK(utc.newest_day() == sep1);        // both are 1 Sept in UTC
  CHECK(utc.current() == tally{2, 30});
}

TEST_CASE("day_window: 30 days across month ends and a leap February", "[day_window]") {
  // One event a day, value month * 100 + day, from 1 Jan to 31 Mar.
  for (int year : {2019, 2020}) {
    day_window<tally> w(30, {}, {}, 61);  // 30 Jan is 61 days before 31 Mar in 2020
    for (day_number d = ymd(year, 1, 1); d <= ymd(year, 3, 31); ++d) {
      civil_date c = civil_from_days(d);
      REQUIRE(w.add_at_day(d, static_cast<std::int64_t>(c.month * 100 + c.day)));
    }
    // 30 days ending 1 March: 2019 -> 31 Jan + 1..28 Feb + 1 Mar;
    // 2020 (leap) -> 1..29 Feb + 1 Mar, 31 Jan is out.
    const tally mar1 = w.as_of(ymd(year, 3, 1));
    CHECK(mar1.n == 30);
    if (year == 2019)
      CHECK(mar1.sum == 131 + (201 + 228) * 28 / 2 + 301);
    else
      CHECK(mar1.sum == (201 + 229) * 29 / 2 + 301);
    // 30 days ending 31 March: 2..31 March.
    CHECK(w.current() == tally{30, (302 + 331) * 30 / 2});
    // 30 days ending 30 January: 1..30 January, from the history.
    CHECK(w.as_of(ymd(year, 1, 30)) == tally{30, (101 + 130) * 30 / 2});
    CHECK(w.oldest_as_of_day() == ymd(year, 3, 31) - 61);
    CHECK_THROWS_AS(w.as_of(ymd(year, 3, 31) - 62), std::out_of_range);
  }
}

TEST_CASE("day_window: out-of-order days are accepted, too old ones rejected and counted", "[day_window]") {
  const day_number d0 = ymd(2019, 9, 7);
  day_window<tally> w(7);
  std::vector<int> order{3, 0, 6, 1, 5, 2, 4};  // days d0-6 .. d0 in a shuffled order
  for (int k : order) REQUIRE(w.add_at_day(d0 - 6 + k, 1 << k));
  CHECK(w.newest_day() == d0);
  CHECK(w.current() == tally{7, 127});
  CHECK(w.rejected_too_old() == 0);

  CHECK(w.at_day(d0 - 7) == nullptr);
  CHECK_FALSE(w.add_at_day(d0 - 100, 5));
  CHECK(w.rejected_too_old() == 2);
  CHECK(w.current() == tally{7, 127});  // nothing folded in
  REQUIRE(w.at_day(d0 - 6) != nullptr);  // the oldest kept day is still fine
  w.at_day(d0 - 6)->add(1000);
  CHECK(w.current() == tally{8, 1127});

  // history_days keeps three more days: d0-9 is accepted, d0-10 is not.
  day_window<tally> h(7, {}, {}, 3);
  REQUIRE(h.add_at_day(d0, 1));
  CHECK(h.add_at_day(d0 - 9, 2));
  CHECK_FALSE(h.add_at_day(d0 - 10, 4));
  CHECK(h.rejected_too_old() == 1);
  CHECK(h.current() == tally{1, 1});     // d0-9 is history, not in the window
  CHECK(h.as_of(d0 - 3) == tally{1, 2});  // d0-9 .. d0-3
  CHECK(h.oldest_kept_day() == d0 - 9);
}

TEST_CASE("day_window: as of D+1 drops day D-N+1 exactly", "[day_window]") {
  const day_number d = ymd(2019, 12, 31);
  for (int n : {1, 2, 30, 180}) {
    day_window<tally> w(n, {}, {}, 1);
    for (int k = 0; k < n; ++k) REQUIRE(w.add_at_day(d - k, std::int64_t{1} << (k % 60)));
    const tally full = w.current();
    CHECK(full.n == static_cast<std::uint64_t>(n));
    REQUIRE(w.add_at_day(d + 1, 0));  // slide by one day
    const tally slid = w.current();
    CHECK(slid.n == full.n);                                           // -1 old day, +1 new event
    CHECK(full.sum - slid.sum == std::int64_t{1} << ((n - 1) % 60));  // exactly day d-n+1 left
    CHECK(w.as_of(d) == full);                                         // one day of history keeps it
  }
}

TEST_CASE("day_window: a jump past the whole ring empties it", "[day_window]") {
  day_window<tally> w(30, {}, {}, 10);
  for (day_number d = 100; d < 140; ++d) w.add_at_day(d, 1);
  CHECK(w.current().n == 30);
  REQUIRE(w.add_at_day(139 + 35, 7));  // the window empties, history keeps 5 days
  CHECK(w.current() == tally{1, 7});
  std::vector<day_number> kept;
  w.for_each_day([&](day_number d, const tally&) { kept.push_back(d); });
  CHECK(kept == std::vector<day_number>{135, 136, 137, 138, 139, 174});  // history keeps 135..139
  CHECK(w.day(134) == nullptr);
  REQUIRE(w.add_at_day(139 + 1000, 1));
  CHECK(w.current() == tally{1, 1});
  kept.clear();
  w.for_each_day([&](day_number d, const tally&) { kept.push_back(d); });
  CHECK(kept == std::vector<day_number>{1139});
  CHECK(w.rejected_too_old() == 0);  // sliding is not rejecting
}

/// Events `spread` days back at most from a drifting newest day (and a few
/// jumps): with spread < window + history the ring grows in steps.
template <class Acc>
static void check_against_model(std::mt19937_64& rng, int window, int history, int spread = -1) {
  if (spread < 0) spread = window + history + 3;
  day_window<Acc> w(window, utc_offset::utc(), Acc{}, history);
  day_window<Acc> even(window, utc_offset::utc(), Acc{}, history), odd = even;  // the stream split in two
  model<Acc> m{window, history, {}, {}, 0};
  std::int64_t base = 18000;
  std::uniform_int_distribution<int> op(0, 99);
  for (int i = 0; i < 4000; ++i) {
    int o = op(rng);
    std::int64_t d;
    if (o < 5)
      d = base + static_cast<std::int64_t>(rng() % 3) * window;  // big jumps
    else
      d = base - static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(spread));
    std::int64_t v = static_cast<std::int64_t>(rng() % 1000);
    bool ok = m.add(d, v);
    (i % 2 ? odd : even).add_at_day(static_cast<day_number>(d), v);
    if (o % 2 == 0) {
      CHECK(w.add_at_day(static_cast<day_number>(d), v) == ok);
    } else {
      Acc* b = w.at_day(static_cast<day_number>(d));
      CHECK((b != nullptr) == ok);
      if (b) b->add(v);
    }
    if (d > base) base = d;
    base += (o < 10);  // the stream drifts forward
    if (o % 7 == 0) REQUIRE(w.current() == m.as_of(*m.newest));
    if (o % 31 == 0) {
      std::int64_t back = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(history + 1));
      REQUIRE(w.as_of(static_cast<day_number>(*m.newest - back)) == m.as_of(*m.newest - back));
    }
  }
  CHECK(w.rejected_too_old() == m.rejected);
  CHECK(w.newest_day() == *m.newest);
  // The halves merged hold the whole's days (rejections differ: each half
  // judged lateness against its own newest day).
  day_window<Acc> merged = even;
  merged.merge(odd);
  for (std::int64_t d = *m.newest - window - history + 1; d <= *m.newest; ++d) {
    const Acc* a = merged.day(static_cast<day_number>(d));
    const Acc* b = w.day(static_cast<day_number>(d));
    REQUIRE(a != nullptr);
    REQUIRE(b != nullptr);
  }
  REQUIRE(merged.current() == w.current());
  const auto bytes = w.serialize();
  REQUIRE(day_window<Acc>::deserialize(bytes.data(), bytes.size()) == w);
  // The trailing series equals as_of day by day, including days past the newest.
  std::int64_t from = *m.newest - history;
  std::int64_t to = *m.newest + 3;
  std::int64_t expect = from;
  w.trailing(static_cast<day_number>(from), static_cast<day_number>(to), [&](day_number day, const Acc& s) {
    REQUIRE(day == expect);
    REQUIRE(s == m.as_of(day));
    ++expect;
  });
  CHECK(expect == to + 1);
}

TEST_CASE("day_window: running total and trailing series equal brute force", "[day_window][property]") {
  std::mt19937_64 rng(20190907);
  for (int window : {1, 3, 30}) {
    for (int history : {0, 5}) {
      INFO("window " << window << " history " << history);
      check_against_model<tally>(rng, window, history);  // rolls with subtract
      check_against_model<peak>(rng, window, history);   // re-merges
    }
  }
  // A 180-day window fed a few days at a time: the ring grows in steps.
  for (int spread : {1, 4, 12, 40}) {
    INFO("window 180, spread " << spread);
    check_against_model<tally>(rng, 180, 0, spread);
    check_against_model<peak>(rng, 180, 7, spread);
  }
}

TEST_CASE("day_window: trailing rejects bad ranges", "[day_window]") {
  day_window<tally> w(30, {}, {}, 10);
  w.add_at_day(1000, 1);
  CHECK_THROWS_AS(w.trailing(1000, 999, [](day_number, const tally&) {}), std::out_of_range);
  CHECK_THROWS_AS(w.trailing(989, 1000, [](day_number, const tally&) {}), std::out_of_range);
  int calls = 0;
  w.trailing(990, 990, [&](day_number, const tally& t) {
    ++calls;
    CHECK(t == tally{});
  });
  CHECK(calls == 1);
}

namespace {
struct event {
  day_number day;
  std::int64_t v;
};
std::vector<event> random_events(std::mt19937_64& rng, day_number first, int span, int n) {
  std::vector<event> out;
  for (int i = 0; i < n; ++i)
    out.push_back({static_cast<day_number>(first + static_cast<int>(rng() % static_cast<unsigned>(span))),
                   static_cast<std::int64_t>(rng() % 100000)});
  return out;
}
}  // namespace

TEST_CASE("day_window: merge", "[day_window][merge]") {
  std::mt19937_64 rng(7);
  auto add = [](day_window<tally>& w, const event& e) { w.add_at_day(e.day, e.v); };

  SECTION("split and merge equals the whole stream") {
    for (int round = 0; round < 20; ++round) {
      auto events = random_events(rng, 18000, 40, 500);  // within the 30 + 10 kept days
      csm_test::check_split_merge([] { return day_window<tally>(30, {}, {}, 10); }, events, add, rng, 5);
      auto add_peak = [](day_window<peak>& w, const event& e) { w.at_day(e.day)->add(e.v); };
      csm_test::check_split_merge([] { return day_window<peak>(30, {}, {}, 10); }, events, add_peak, rng, 3);
    }
  }
  SECTION("merge laws, days dropped included") {
    for (int round = 0; round < 20; ++round) {
      day_window<tally> a(30, {}, {}, 5), b = a, c = a;
      const day_window<tally> empty = a;
      for (auto& e : random_events(rng, 18000, 35, 200)) add(a, e);
      for (auto& e : random_events(rng, 18000 + round, 60, 200)) add(b, e);  // may push a's days out
      for (auto& e : random_events(rng, 17990, 30, 50)) add(c, e);
      csm_test::check_merge_laws(a, b, c, empty);
    }
  }
  SECTION("days falling out of the merged ring slide out, as in the one stream") {
    day_window<tally> a(3), b(3);
    a.add_at_day(100, 1);
    a.add_at_day(101, 2);
    a.add_at_day(101, 3);
    a.at_day(90);  // rejected: 1
    b.add_at_day(103, 10);
    day_window<tally> ab = a, ba = b;
    ab.merge(b);
    ba.merge(a);
    CHECK(ab == ba);
    CHECK(ab.newest_day() == 103);
    CHECK(ab.current() == tally{3, 15});  // days 101..103
    CHECK(ab.rejected_too_old() == 1);    // a's own rejection; day 100 slid out
    a.add_at_day(110, 0);
    a.merge(b);                           // all of b has slid out of a's ring
    CHECK(a.rejected_too_old() == 1);
    CHECK(a.current() == tally{1, 0});
  }
  SECTION("a time-ordered stream split by key and merged is the stream's window") {
    // Shard 0 sees the early days only: at the merge they lie before the
    // ring, as they did in the one stream when its later days came.
    std::mt19937_64 split_rng(7);
    day_window<tally> whole(3, {}, {}, 2), shard[2] = {whole, whole};
    for (day_number d = 100; d < 120; ++d)
      for (int k = 0; k < 5; ++k) {
        const int v = static_cast<int>(split_rng() % 100);
        whole.add_at_day(d, v);
        shard[d < 110 ? 0 : (split_rng() % 2)].add_at_day(d, v);
      }
    day_window<tally> merged = shard[0];
    merged.merge(shard[1]);
    CHECK(merged == whole);
    CHECK(merged.rejected_too_old() == 0);
  }
  SECTION("merging into an empty window, and with itself") {
    day_window<tally> a(30), e(30);
    a.add_at_day(500, 4);
    a.add_at_day(480, 6);
    e.merge(a);
    CHECK(e == a);
    CHECK(e.current() == tally{2, 10});
    a.merge(a);
    CHECK(a.current() == tally{4, 20});
  }
  SECTION("a running total survives merges") {
    day_window<tally> a(5), b(5);
    a.add_at_day(10, 1);
    CHECK(a.current() == tally{1, 1});
    b.add_at_day(12, 2);
    a.merge(b);
    CHECK(a.current() == tally{2, 3});
    a.at_day(12)->add(4);
    CHECK(a.current() == tally{3, 7});
    a.add_at_day(15, 8);  // day 10 leaves
    CHECK(a.current() == tally{3, 14});
  }
  SECTION("windows must have the same length and offset") {
    day_window<tally> a(30), b(31), c(30, utc_offset::utc());
    CHECK_THROWS_AS(a.merge(b), std::invalid_argument);
    CHECK_THROWS_WITH(a.merge(c), Catch::Contains("utc offset minutes 480 vs 0"));
    day_window<tally> longer(30, {}, {}, 100);  // history may differ: the result keeps a's
    longer.add_at_day(1000, 1);
    longer.add_at_day(900, 1);
    a.merge(longer);
    CHECK(a.rejected_too_old() == 0);  // day 900 slid out of a's shorter ring
    CHECK(a.history_days() == 0);
  }
}

TEST_CASE("day_window: reset", "[day_window]") {
  day_window<tally> w(30, utc_offset::hours(3), {}, 2);
  w.add_at_day(100, 1);
  w.at_day(10);
  w.reset();
  CHECK(w == day_window<tally>(30, utc_offset::hours(3), {}, 2));
  CHECK(w.current() == tally{});
  w.add_at_day(5, 5);
  CHECK(w.current() == tally{1, 5});
}

static day_window<tally> golden_window() {
  day_window<tally> w(30, utc_offset::hours(8), tally{}, 5);
  const day_number d = ymd(2019, 9, 7);
  for (int k = 0; k < 40; k += 3) w.add_at_day(d - k, 100 + k);
  w.add_at_day(d - 2, -7);
  w.at_day(d - 60);  // rejected
  return w;
}

TEST_CASE("day_window: serialize", "[day_window][serde]") {
  std::mt19937_64 rng(11);
  SECTION("round trips") {
    csm_test::check_round_trip(day_window<tally>(30));
    csm_test::check_round_trip(golden_window());
    day_window<peak> p(180, utc_offset::hours(-11), peak{}, 365);
    for (auto& e : random_events(rng, -400, 500, 300)) p.add_at_day(e.day, e.v);
    csm_test::check_round_trip(p);
    auto back = day_window<peak>::deserialize(p.serialize().data(), p.serialize().size());
    CHECK(back.current() == p.current());
    CHECK(back.as_of(p.newest_day() - 300) == p.as_of(p.newest_day() - 300));
  }
  SECTION("sparse: empty days are not written") {
    day_window<tally> w(3650);
    w.add_at_day(20000, 1);
    CHECK(csm_test::bare(w).size() < 40);
  }
  SECTION("hand-checked bytes of a small window") {
    day_window<tally> w(2, utc_offset::utc());
    w.add_at_day(3, 5);
    const std::vector<std::uint8_t> expect{'C', 'S', 5, 0, 1, 0,  // header: day_window, v1
                                           2, 0, 0,                // window 2, history 0, offset 0
                                           'C', 'S', 250, 0, 1, 0, 0, 0,  // prototype tally{}
                                           0, 1, 6,                // rejected 0, seen, newest day 3
                                           1, 0,                   // one bucket, age 0
                                           'C', 'S', 250, 0, 1, 0, 1, 10};
    CHECK(csm_test::bare(w) == expect);
  }
  SECTION("corrupt and truncated bytes are rejected") {
    csm_test::check_corruption(golden_window(), rng);
    auto bytes = csm_test::bare(golden_window());
    bytes[6] = 0;  // window_days 0
    CHECK_THROWS_WITH(day_window<tally>::deserialize(bytes.data(), bytes.size()), Catch::Contains("window_days"));
  }
  SECTION("golden v1") {
    csm_test::check_golden(golden_window(), "day_window_v1.bin");
  }
}

#ifdef CSM_TEST_HAVE_RATE
TEST_CASE("day_window: with rate_counter", "[day_window][rate]") {
  // After-sales satisfaction: 4-5 star ratings / all ratings over 30 days.
  day_window<rate_counter> sat(30);
  const day_number d = ymd(2019, 9, 30);
  for (int k = 0; k < 40; ++k) {
    REQUIRE(sat.add_at_day(d - 39 + k, true));
    REQUIRE(sat.add_at_day(d - 39 + k, k % 2 == 0));
  }
  // Days d-29 .. d are k = 10 .. 39: 60 ratings, 30 + 15 good.
  CHECK(sat.current().trials() == 60);
  CHECK(sat.current().successes() == 45);
  CHECK(sat.current().rate() == Approx(0.75));
  day_window<rate_counter> other(30);
  other.add_at_day(d - 100, true);
  sat.merge(other);
  CHECK(sat.rejected_too_old() == 0);  // day d - 100 slid out long ago
  csm_test::check_round_trip(sat);
}
#endif
