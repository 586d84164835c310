// SPDX-License-Identifier: Apache-2.0
#include "csmetrics/ratings/ratings.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "csmetrics/io/rfc3339.hpp"
#include "support.hpp"

using namespace csmetrics;
using std::chrono::seconds;

namespace {

constexpr auto item = dsr_dimension::item;
constexpr auto service = dsr_dimension::service;
constexpr auto logistics = dsr_dimension::logistics;

/// The instant of local time y-m-d h:mi:s at UTC+offset_h.
timestamp at(int y, unsigned m, unsigned d, int h = 12, int mi = 0, int s = 0, int offset_h = 8) {
  const std::int64_t secs = days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + s - offset_h * 3600;
  return timestamp{seconds{secs}};
}
day_number day(int y, unsigned m, unsigned d) { return static_cast<day_number>(days_from_civil(y, m, d)); }

ratings_config small_config() {
  ratings_config c;
  c.dsr_days = 3;
  c.after_sales_days = 2;
  c.dispute_days = 2;
  c.history_days = 10;
  return c;
}

std::array<std::uint64_t, 5> stars_of(const std::optional<score_summary>& s) {
  return s ? s->stars() : std::array<std::uint64_t, 5>{};
}

}  // namespace

TEST_CASE("score_summary: exact sum, count, display and shares", "[ratings]") {
  score_summary s({1, 0, 2, 5, 12});  // 1 + 6 + 20 + 60 = 87 over 20
  CHECK(s.count() == 20);
  CHECK(s.sum() == 87);
  CHECK(s.mean() == Approx(4.35));
  CHECK(s.display() == "4.35");
  CHECK(s.low() == 1);
  CHECK(s.high() == 17);
  CHECK(s.low_share().successes() == 1);
  CHECK(s.low_share().trials() == 20);
  CHECK(*s.high_share().rate() == Approx(0.85));
  // 969 / 200 = 4.845 exactly: half up gives 4.85 (a double 4.845 would print 4.84)
  score_summary h({0, 0, 0, 31, 169});
  CHECK(h.sum() == 969);
  CHECK(h.hundredths() == 485);
  CHECK(h.display() == "4.85");
  CHECK(score_summary({0, 0, 0, 0, 1}).display() == "5.00");
  CHECK(score_summary({1, 0, 0, 0, 0}).display() == "1.00");
  CHECK(score_summary({2, 0, 0, 0, 1}).display() == "2.33");  // 7 / 3
  CHECK(score_summary({1, 0, 0, 0, 2}).display() == "3.67");  // 11 / 3
  CHECK_THROWS_AS(score_summary({0, 0, 0, 0, 0}), std::invalid_argument);
}

TEST_CASE("ratings_config: limits are checked", "[ratings]") {
  ratings_config c;
  c.dsr_days = 0;
  CHECK_THROWS_WITH(shop_ratings<>(c), Catch::Contains("dsr_days must be in [1, 3650]: 0"));
  c = {};
  c.after_sales_days = 3651;
  CHECK_THROWS_WITH(shop_ratings<>(c), Catch::Contains("after_sales_days"));
  c = {};
  c.history_days = -1;
  CHECK_THROWS_AS(ratings<>(c), std::invalid_argument);
  c = {};
  c.monthly_cap = 101;
  CHECK_THROWS_WITH(ratings<>(c), Catch::Contains("monthly_cap must be in [0, 100]: 101"));
  CHECK(ratings_config{}.dsr_days == 180);
  CHECK(ratings_config{}.after_sales_days == 30);
  CHECK(ratings_config{}.dispute_days == 30);
  CHECK(ratings_config{}.offset == utc_offset::hours(8));
}

TEST_CASE("shop_ratings: empty windows are empty, never 0", "[ratings]") {
  shop_ratings<> s;
  ratings_report r = s.report(day(2019, 9, 1));
  for (const auto& d : r.dsr) CHECK_FALSE(d.has_value());
  CHECK_FALSE(r.after_sales.has_value());
  CHECK_FALSE(r.reviews.has_value());
  CHECK_FALSE(r.dispute_refund.has_value());
  CHECK_FALSE(r.disputes.ratio().has_value());
  CHECK_FALSE(s.newest_day().has_value());
  // a payment alone: a dispute rate of 0 out of 1, while the DSR stays empty
  s.payment(at(2019, 9, 1));
  r = s.report(day(2019, 9, 1));
  REQUIRE(r.dispute_refund.has_value());
  CHECK(*r.dispute_refund->rate() == 0.0);
  CHECK_FALSE(r.dsr_of(item).has_value());
  CHECK_FALSE(r.after_sales.has_value());
  CHECK(compare_to_peer(r.dsr_of(item), 4.8) == std::nullopt);
}

TEST_CASE("shop_ratings: a 3-day DSR window across a month end slides day by day", "[ratings]") {
  shop_ratings<> s(small_config());
  s.dsr(item, 5, at(2019, 1, 30));
  s.dsr(item, 3, at(2019, 1, 31));
  s.dsr(item, 4, at(2019, 2, 1));
  s.dsr(item, 1, at(2019, 2, 2));
  s.dsr(service, 2, at(2019, 2, 2));
  // as of Feb 1: Jan 30, 31, Feb 1 = 5 + 3 + 4
  auto a = s.dsr_as_of(item, day(2019, 2, 1));
  REQUIRE(a);
  CHECK(a->sum() == 12);
  CHECK(a->count() == 3);
  CHECK(a->display() == "4.00");
  // as of Feb 2 drops Jan 30 exactly: 3 + 4 + 1
  auto b = s.dsr_as_of(item, day(2019, 2, 2));
  REQUIRE(b);
  CHECK(b->sum() == 8);
  CHECK(b->count() == 3);
  CHECK(b->display() == "2.67");
  CHECK(b->low() == 1);
  // Feb 3, 4: the days slide off one by one; Feb 5 nothing is left
  CHECK(s.dsr_as_of(item, day(2019, 2, 3))->sum() == 5);
  CHECK(s.dsr_as_of(item, day(2019, 2, 4))->sum() == 1);
  CHECK_FALSE(s.dsr_as_of(item, day(2019, 2, 5)).has_value());
  CHECK_FALSE(s.dsr_as_of(logistics, day(2019, 2, 2)).has_value());
  CHECK(s.dsr_as_of(service, day(2019, 2, 2))->low_share().rate() == 1.0);
  // the series gives the same numbers in one pass
  auto series = s.dsr_series(day(2019, 1, 30), day(2019, 2, 5));
  REQUIRE(series.size() == 7);
  const std::uint64_t sums[] = {5, 8, 12, 8, 5, 1, 0};
  for (std::size_t i = 0; i < series.size(); ++i) {
    CHECK(series[i].day == day(2019, 1, 30) + static_cast<day_number>(i));
    const auto& x = series[i].dsr[0];
    CHECK((x ? x->sum() : 0) == sums[i]);
  }
}

TEST_CASE("shop_ratings: 180 days as of D+1 drop day D-179 exactly", "[ratings]") {
  shop_ratings<> s;  // 180 days
  // 2019-03-01 + 179 days = 2019-08-27 (31 + 30 + 31 + 30 + 31 = 153 days to Aug 1, + 26)
  REQUIRE(day(2019, 8, 27) - day(2019, 3, 1) == 179);
  s.dsr(logistics, 1, at(2019, 3, 1));
  s.dsr(logistics, 5, at(2019, 3, 2));
  s.dsr(logistics, 4, at(2019, 8, 27));
  auto r = s.report(day(2019, 8, 27));
  REQUIRE(r.dsr_of(logistics));
  CHECK(r.dsr_of(logistics)->sum() == 10);
  CHECK(r.dsr_of(logistics)->count() == 3);
  CHECK(r.dsr_of(logistics)->display() == "3.33");
  r = s.report(day(2019, 8, 28));  // Mar 1 leaves
  CHECK(r.dsr_of(logistics)->sum() == 9);
  CHECK(r.dsr_of(logistics)->display() == "4.50");
  CHECK(r.dsr_of(logistics)->low() == 0);
  r = s.report(day(2019, 8, 29));  // Mar 2 leaves
  CHECK(r.dsr_of(logistics)->sum() == 4);
  CHECK(r.dsr_of(logistics)->count() == 1);
}

TEST_CASE("shop_ratings: the UTC+8 day boundary decides the window", "[ratings]") {
  ratings_config c;  // after-sales 30 days, UTC+8
  c.history_days = 5;
  shop_ratings<> s(c);
  // 2019-08-31T15:59:59Z is Aug 31 23:59:59 in Beijing; one second later it is Sep 1.
  const timestamp last_aug{seconds{1567267199}};
  REQUIRE(last_aug == at(2019, 8, 31, 23, 59, 59));
  s.review(1, last_aug);
  s.review(5, last_aug + seconds{1});
  s.review(4, at(2019, 9, 30, 23, 59, 59));
  // as of Sep 30: Sep 1 .. Sep 30 holds the 5 and the 4, not the Aug 31 1-star
  auto r = s.report(day(2019, 9, 30));
  REQUIRE(r.after_sales);
  CHECK(r.after_sales->successes() == 2);
  CHECK(r.after_sales->trials() == 2);
  CHECK(r.reviews->stars() == std::array<std::uint64_t, 5>{0, 0, 0, 1, 1});
  // as of Sep 29 the window starts Aug 31: all three
  r = s.report(day(2019, 9, 29));
  CHECK(r.after_sales->successes() == 1);  // the Sep 30 rating is after the day
  CHECK(r.after_sales->trials() == 2);
  // the same instants for a UTC shop: all on Aug 31 UTC but the last
  ratings_config utc;
  utc.offset = utc_offset::utc();
  shop_ratings<> u(utc);
  u.review(1, last_aug);
  u.review(5, last_aug + seconds{1});
  CHECK(u.report(day(2019, 9, 29)).after_sales->trials() == 2);
  CHECK_FALSE(u.report(day(2019, 9, 30)).after_sales.has_value());
}

TEST_CASE("shop_ratings: after-sales satisfaction and its Wilson interval", "[ratings]") {
  shop_ratings<> s;
  const int scores[] = {5, 5, 4, 3, 1, 5, 2, 4, 5, 5};
  for (int i = 0; i < 10; ++i) s.review(scores[i], at(2019, 11, 1 + static_cast<unsigned>(i)));
  auto r = s.report(day(2019, 11, 30));
  REQUIRE(r.after_sales);
  CHECK(r.after_sales->successes() == 7);
  CHECK(r.after_sales->trials() == 10);
  CHECK(r.after_sales->wilson() == rate_counter(7, 10).wilson());
  CHECK(r.reviews->sum() == 39);
  CHECK(r.reviews->low() == 2);
  // Nov 1 leaves on Dec 1 (30 days): 6 of 9
  r = s.report(day(2019, 12, 1));
  CHECK(r.after_sales->successes() == 6);
  CHECK(r.after_sales->trials() == 9);
}

TEST_CASE("shop_ratings: dispute refund rate over 30 days", "[ratings]") {
  shop_ratings<> s;
  for (unsigned d = 1; d <= 20; ++d) s.payment(at(2019, 6, d));
  s.dispute(at(2019, 6, 10));
  s.dispute(at(2019, 6, 30));
  auto r = s.report(day(2019, 6, 30));
  CHECK(r.disputes.disputes == 2);
  CHECK(r.disputes.payments == 20);
  REQUIRE(r.dispute_refund);
  CHECK(*r.dispute_refund->rate() == Approx(0.1));
  // as of Jul 10 the window is Jun 11 .. Jul 10: 10 payments, 1 dispute
  r = s.report(day(2019, 7, 10));
  CHECK(r.disputes.payments == 10);
  CHECK(r.disputes.disputes == 1);
  // more disputes than payments: the ratio, but no proportion
  s.dispute(at(2019, 7, 25));
  s.dispute(at(2019, 7, 26));
  s.payment(at(2019, 7, 26));
  r = s.report(day(2019, 7, 31));  // Jul 2 .. Jul 31
  CHECK(r.disputes.disputes == 2);
  CHECK(r.disputes.payments == 1);
  CHECK(*r.disputes.ratio() == 2.0);
  CHECK_FALSE(r.dispute_refund.has_value());
}

TEST_CASE("shop_ratings: late ratings count on their day, too old and bad ones are rejected", "[ratings]") {
  shop_ratings<> s;  // 180 days, no history: the ring keeps 180 days
  s.dsr(item, 5, at(2019, 8, 27));
  s.dsr(item, 1, at(2019, 3, 1));   // late, day D-179: kept
  s.dsr(item, 1, at(2019, 2, 28));  // day D-180: too old
  s.dsr(item, 0, at(2019, 8, 27));
  s.dsr(item, 6, at(2019, 8, 27));
  s.review(-1, at(2019, 8, 27));
  s.review(4, at(2019, 7, 28));  // the first review: its window starts there
  s.review(4, at(2019, 7, 29));
  s.payment(at(2019, 1, 1));
  auto r = s.report(day(2019, 8, 27));
  CHECK(r.dsr_of(item)->count() == 2);
  CHECK(r.dsr_of(item)->sum() == 6);
  CHECK(r.rejected.bad_score == 3);
  CHECK(r.rejected.too_old == 1);  // only the DSR one: each window starts at its first event
  CHECK(r.rejected.monthly_cap == 0);
  CHECK(r.after_sales->trials() == 1);  // Jul 29 .. Aug 27 holds the Jul 29 review, not the Jul 28 one
  s.review(4, at(2019, 8, 28));  // the 30-day ring is now Jul 30 .. Aug 28
  s.review(4, at(2019, 7, 30));  // late, kept
  s.review(4, at(2019, 7, 29));  // too old
  s.review(4, at(2019, 7, 28));  // too old
  CHECK(s.rejected().too_old == 3);
  CHECK(s.rejected().total() == 6);
  CHECK(s.report(day(2019, 8, 28)).after_sales->trials() == 2);
  // asking before the kept days is an error, not a silent empty answer
  CHECK_THROWS_AS(s.report(day(2019, 8, 26)), std::out_of_range);
}

TEST_CASE("shop_ratings: the monthly rule counts a buyer's first 3 scores per month", "[ratings][monthly]") {
  shop_ratings<std::string> s;  // cap 3, UTC+8
  const std::string b = "buyer-1";
  s.dsr(item, 5, at(2019, 3, 2), b);
  s.dsr(item, 5, at(2019, 3, 3), b);
  s.dsr(item, 5, at(2019, 3, 4), b);
  s.dsr(item, 1, at(2019, 3, 5), b);  // 4th in March: rejected
  CHECK(s.rejected().monthly_cap == 1);
  CHECK(s.dsr_as_of(item, day(2019, 3, 31))->sum() == 15);
  // a late score earlier in March takes a place; the Mar 4 one leaves its day
  s.dsr(item, 2, at(2019, 3, 1), b);
  CHECK(s.rejected().monthly_cap == 2);
  auto m = s.dsr_as_of(item, day(2019, 3, 31));
  CHECK(m->count() == 3);
  CHECK(m->sum() == 12);
  CHECK(m->stars() == std::array<std::uint64_t, 5>{0, 1, 0, 0, 2});
  // other dimensions, buyers, unnamed buyers and months are separate
  s.dsr(service, 1, at(2019, 3, 6), b);
  s.dsr(item, 4, at(2019, 3, 6), "buyer-2");
  s.dsr(item, 4, at(2019, 3, 6));
  s.dsr(item, 4, at(2019, 3, 7));
  // the month is local: 2019-03-31T16:30Z is April 1 in UTC+8
  s.dsr(item, 3, timestamp{seconds{days_from_civil(2019, 3, 31) * 86400 + 16 * 3600 + 1800}}, b);
  s.dsr(item, 3, at(2019, 4, 2), b);
  s.dsr(item, 3, at(2019, 4, 3), b);
  s.dsr(item, 3, at(2019, 4, 4), b);  // 4th in April
  CHECK(s.rejected().monthly_cap == 3);
  auto all = s.report(day(2019, 4, 30));
  CHECK(all.dsr_of(item)->count() == 3 + 3 + 3);
  CHECK(all.dsr_of(item)->sum() == 12 + 12 + 9);
  CHECK(all.dsr_of(service)->count() == 1);
  CHECK(s.monthly_groups() == 4);
  // the rule off: every score counts
  ratings_config off;
  off.monthly_cap = 0;
  shop_ratings<std::string> o(off);
  for (unsigned d = 1; d <= 5; ++d) o.dsr(item, 5, at(2019, 3, d), b);
  CHECK(o.dsr_as_of(item, day(2019, 3, 5))->count() == 5);
  CHECK(o.rejected().monthly_cap == 0);
  CHECK(o.monthly_groups() == 0);
  // cap 1
  ratings_config one;
  one.monthly_cap = 1;
  shop_ratings<std::string> c1(one);
  c1.dsr(item, 5, at(2019, 3, 10), b);
  c1.dsr(item, 1, at(2019, 3, 10, 11), b);  // an hour earlier the same day: replaces it
  CHECK(c1.dsr_as_of(item, day(2019, 3, 10))->sum() == 1);
  CHECK(c1.rejected().monthly_cap == 1);
}

TEST_CASE("shop_ratings: monthly-rule groups leave with their month", "[ratings][monthly]") {
  ratings_config c;
  c.dsr_days = 10;
  shop_ratings<> s(c);
  s.dsr(item, 5, at(2019, 1, 30), 1);
  s.dsr(item, 5, at(2019, 2, 2), 1);
  CHECK(s.monthly_groups() == 2);
  s.dsr(item, 5, at(2019, 2, 9), 2);  // ring Jan 31 .. Feb 9: January still partly kept
  CHECK(s.monthly_groups() == 3);
  s.dsr(item, 5, at(2019, 2, 10), 2);  // ring Feb 1 .. Feb 10: January's group goes
  CHECK(s.monthly_groups() == 2);
  s.dsr(item, 5, at(2019, 1, 31), 1);  // too old now, not a monthly rejection
  CHECK(s.rejected().too_old == 1);
  CHECK(s.rejected().monthly_cap == 0);
  CHECK(s.dsr_as_of(item, day(2019, 2, 10))->count() == 3);
}

TEST_CASE("compare_to_peer: DSR at display precision, rates by Wilson interval", "[ratings][peer]") {
  std::optional<score_summary> mine = score_summary({0, 0, 0, 31, 169});  // 4.845 -> "4.85"
  auto c = compare_to_peer(mine, 4.85);
  REQUIRE(c);
  CHECK(c->standing == peer_standing::equal);
  CHECK(c->difference == Approx(-0.005));
  c = compare_to_peer(mine, 4.80);
  CHECK(c->standing == peer_standing::above);
  CHECK(c->difference == Approx(0.045));
  CHECK(*c->relative_difference == Approx(0.045 / 4.8));
  c = compare_to_peer(mine, 4.86);
  CHECK(c->standing == peer_standing::below);
  CHECK(std::string(to_string(c->standing)) == "below");
  CHECK_THROWS_AS(compare_to_peer(mine, 5.01), std::invalid_argument);
  CHECK_THROWS_AS(compare_to_peer(mine, std::nan("")), std::invalid_argument);
  CHECK(compare_to_peer(std::optional<score_summary>{}, 4.8) == std::nullopt);

  std::optional<rate_counter> sat = rate_counter(70, 100);  // Wilson 95 %: about [0.604, 0.781]
  CHECK(compare_to_peer(sat, 0.75)->standing == peer_standing::equal);
  CHECK(compare_to_peer(sat, 0.60)->standing == peer_standing::above);
  CHECK(compare_to_peer(sat, 0.80)->standing == peer_standing::below);
  CHECK(compare_to_peer(sat, 0.80)->difference == Approx(-0.10));
  CHECK_FALSE(compare_to_peer(sat, 0.0)->relative_difference.has_value());
  CHECK(compare_to_peer(std::optional<rate_counter>{}, 0.5) == std::nullopt);
  CHECK_THROWS_AS(compare_to_peer(sat, 1.5), std::invalid_argument);
  CHECK_THROWS_AS(compare_to_peer(sat, 0.5, 1.0), std::invalid_argument);
}

// --- random streams: brute force, merge, serialize --------------------------

namespace {

enum class kind : std::uint8_t { dsr, dsr_buyer, review, payment, dispute };
struct event {
  kind k;
  dsr_dimension dim;
  int score;
  timestamp t;
  std::string shop;
  std::string buyer;
};

ratings_config property_config() {
  ratings_config c;
  c.dsr_days = 20;
  c.after_sales_days = 7;
  c.dispute_days = 5;
  c.history_days = 80;  // every ring keeps more than the 60 days a stream spans
  return c;
}

/// Events over 60 days from 2019-01-15 (UTC+8 months Jan, Feb, Mar), in time
/// order but up to 4 days late, some with bad scores.
std::vector<event> random_stream(std::mt19937_64& rng, int n, int shops = 1) {
  std::vector<event> out;
  const std::int64_t start = days_from_civil(2019, 1, 15) * 86400 - 8 * 3600;
  for (int i = 0; i < n; ++i) {
    event e;
    std::int64_t secs = start + static_cast<std::int64_t>(i) * (60 * 86400) / n;
    if (rng() % 8 == 0) secs -= static_cast<std::int64_t>(rng() % (4 * 86400));
    e.t = timestamp{seconds{std::max(start, secs)}};
    const unsigned r = static_cast<unsigned>(rng() % 10);
    e.k = r < 4 ? kind::dsr_buyer : r < 5 ? kind::dsr : r < 7 ? kind::review : r < 9 ? kind::payment : kind::dispute;
    e.dim = static_cast<dsr_dimension>(rng() % 3);
    e.score = 1 + static_cast<int>(rng() % 5);
    if (rng() % 40 == 0) e.score = rng() % 2 ? 0 : 6;
    e.shop = "shop-" + std::to_string(rng() % static_cast<unsigned>(shops));
    e.buyer = "b" + std::to_string(rng() % 4);
    out.push_back(e);
  }
  return out;
}

template <class Acc>
void feed_shop(Acc& s, const event& e) {
  switch (e.k) {
    case kind::dsr: s.dsr(e.dim, e.score, e.t); break;
    case kind::dsr_buyer: s.dsr(e.dim, e.score, e.t, e.buyer); break;
    case kind::review: s.review(e.score, e.t); break;
    case kind::payment: s.payment(e.t); break;
    case kind::dispute: s.dispute(e.t); break;
  }
}

void feed(ratings<std::string>& s, const event& e) {
  switch (e.k) {
    case kind::dsr: s.dsr(e.shop, e.dim, e.score, e.t); break;
    case kind::dsr_buyer: s.dsr(e.shop, e.dim, e.score, e.t, e.buyer); break;
    case kind::review: s.review(e.shop, e.score, e.t); break;
    case kind::payment: s.payment(e.shop, e.t); break;
    case kind::dispute: s.dispute(e.shop, e.t); break;
  }
}

/// The metrics as of day `d`, from the raw events by plain loops: the
/// monthly rule applied as "first `cap` by (time, score) per buyer, local
/// month and dimension" over the whole stream.
struct brute {
  std::array<std::array<std::uint64_t, 5>, 3> dsr{};
  std::array<std::uint64_t, 5> reviews{};
  std::uint64_t payments = 0, disputes = 0;
};
brute brute_force(const std::vector<event>& events, const ratings_config& c, day_number d) {
  std::map<std::tuple<std::string, int, unsigned, int>, std::vector<std::pair<std::int64_t, int>>> groups;
  brute b;
  auto in = [&](timestamp t, int n) {
    const day_number x = local_day(t, c.offset);
    return x > d - n && x <= d;
  };
  for (const event& e : events) {
    if (e.score < 1 || e.score > 5) {
      if (e.k != kind::payment && e.k != kind::dispute) continue;
    }
    switch (e.k) {
      case kind::dsr:
        if (in(e.t, c.dsr_days)) ++b.dsr[static_cast<std::size_t>(e.dim)][static_cast<std::size_t>(e.score - 1)];
        break;
      case kind::dsr_buyer: {
        const civil_date cd = civil_from_days(local_day(e.t, c.offset));
        groups[std::make_tuple(e.buyer, cd.year, cd.month, static_cast<int>(e.dim))].push_back(
            {e.t.time_since_epoch().count(), e.score});
        break;
      }
      case kind::review:
        if (in(e.t, c.after_sales_days)) ++b.reviews[static_cast<std::size_t>(e.score - 1)];
        break;
      case kind::payment: b.payments += in(e.t, c.dispute_days); break;
      case kind::dispute: b.disputes += in(e.t, c.dispute_days); break;
    }
  }
  for (auto& [key, v] : groups) {
    std::sort(v.begin(), v.end());
    const std::size_t keep = c.monthly_cap == 0 ? v.size() : std::min(v.size(), std::size_t(c.monthly_cap));
    for (std::size_t i = 0; i < keep; ++i)
      if (in(timestamp{std::chrono::microseconds{v[i].first}}, c.dsr_days))
        ++b.dsr[static_cast<std::size_t>(std::get<3>(key))][static_cast<std::size_t>(v[i].second - 1)];
  }
  return b;
}

void check_against(const ratings_report& r, const brute& b) {
  INFO("as of " << format_day(r.as_of));
  for (std::size_t k = 0; k < 3; ++k) CHECK(stars_of(r.dsr[k]) == b.dsr[k]);
  CHECK(stars_of(r.reviews) == b.reviews);
  const std::uint64_t all = b.reviews[0] + b.reviews[1] + b.reviews[2] + b.reviews[3] + b.reviews[4];
  CHECK(r.after_sales.has_value() == (all > 0));
  if (r.after_sales) {
    CHECK(r.after_sales->trials() == all);
    CHECK(r.after_sales->successes() == b.reviews[3] + b.reviews[4]);
  }
  CHECK(r.disputes.payments == b.payments);
  CHECK(r.disputes.disputes == b.disputes);
}

}  // namespace

TEST_CASE("shop_ratings: reports and series equal a brute-force recount", "[ratings][property]") {
  std::mt19937_64 rng(42);
  for (int cap : {3, 1, 0}) {
    ratings_config c = property_config();
    c.monthly_cap = cap;
    auto events = random_stream(rng, 600);
    shop_ratings<std::string> s(c);
    std::uint64_t bad = 0;
    for (const event& e : events) {
      feed_shop(s, e);
      bad += (e.k == kind::dsr || e.k == kind::dsr_buyer || e.k == kind::review) && (e.score < 1 || e.score > 5);
    }
    CHECK(s.rejected().bad_score == bad);
    CHECK(s.rejected().too_old == 0);
    if (cap > 0) CHECK(s.rejected().monthly_cap > 0);  // the rule is exercised
    const day_number newest = *s.newest_day();
    const day_number first = newest - c.history_days;
    auto series = s.report_series(first, newest + 3);
    auto dsr = s.dsr_series(first, newest + 3);
    REQUIRE(series.size() == static_cast<std::size_t>(c.history_days + 4));
    for (std::size_t i = 0; i < series.size(); ++i) {
      const day_number d = first + static_cast<day_number>(i);
      const brute b = brute_force(events, c, d);
      CHECK(series[i].as_of == d);
      check_against(series[i], b);
      check_against(s.report(d), b);
      for (std::size_t k = 0; k < 3; ++k) CHECK(stars_of(dsr[i].dsr[k]) == b.dsr[k]);
    }
  }
}

TEST_CASE("shop_ratings: merge", "[ratings][merge]") {
  std::mt19937_64 rng(7);
  const ratings_config c = property_config();
  auto make = [&] { return shop_ratings<std::string>(c); };
  for (int round = 0; round < 20; ++round) {
    auto events = random_stream(rng, 300);
    csm_test::check_split_merge(make, events, feed_shop<shop_ratings<std::string>>, rng, 2 + round % 5);
  }
  shop_ratings<std::string> a(c), b(c), x(c), empty(c);
  for (const event& e : random_stream(rng, 200)) feed_shop(a, e);
  for (const event& e : random_stream(rng, 200)) feed_shop(b, e);
  for (const event& e : random_stream(rng, 200)) feed_shop(x, e);
  csm_test::check_merge_laws(a, b, x, empty);
  shop_ratings<std::string> self = a;
  self.merge(self);
  // the stream twice: twice the reviews; named buyers' scores meet the monthly rule again
  const day_number an = *a.newest_day();
  CHECK(self.report(an).after_sales->trials() == 2 * a.report(an).after_sales->trials());
  CHECK(self.report(an).disputes.payments == 2 * a.report(an).disputes.payments);
  CHECK(self.rejected().monthly_cap > 2 * a.rejected().monthly_cap);
  ratings_config other = c;
  other.dsr_days = 21;
  shop_ratings<std::string> y(other);
  CHECK_THROWS_AS(a.merge(y), std::invalid_argument);
  a.reset();
  CHECK(a == empty);
}

TEST_CASE("ratings: many shops, string ids, merge", "[ratings][merge]") {
  std::mt19937_64 rng(11);
  const ratings_config c = property_config();
  auto make = [&] { return ratings<std::string>(c); };
  for (int round = 0; round < 10; ++round) {
    auto events = random_stream(rng, 400, 3);
    csm_test::check_split_merge(make, events, feed, rng, 4);
  }
  ratings<std::string> a(c), b(c), x(c), empty(c);
  for (const event& e : random_stream(rng, 300, 3)) feed(a, e);
  for (const event& e : random_stream(rng, 300, 4)) feed(b, e);
  for (const event& e : random_stream(rng, 300, 2)) feed(x, e);
  csm_test::check_merge_laws(a, b, x, empty);
  // each shop equals a shop_ratings fed only its events
  auto events = random_stream(rng, 500, 3);
  ratings<std::string> all(c);
  for (const event& e : events) feed(all, e);
  CHECK(all.size() == 3);
  std::uint64_t capped = 0;
  all.for_each([&](const std::string& shop, const shop_ratings<std::string>& st) {
    shop_ratings<std::string> alone(c);
    for (const event& e : events)
      if (e.shop == shop) feed_shop(alone, e);
    CHECK(st == alone);
    capped += alone.rejected().monthly_cap;
    const day_number d = *alone.newest_day();
    CHECK(all.report(shop, d).dsr == alone.report(d).dsr);
  });
  CHECK(all.rejected().monthly_cap == capped);
  CHECK(all.find("nobody") == nullptr);
  CHECK_FALSE(all.report("nobody", day(2019, 3, 1)).dsr_of(item).has_value());
}

TEST_CASE("ratings: integer shop ids", "[ratings]") {
  ratings<> r;  // std::uint64_t shops and buyers
  r.dsr(17, service, 4, at(2019, 5, 1), 99);
  r.dsr(17, service, 2, at(2019, 5, 1), 98);
  r.dsr(3, service, 5, at(2019, 5, 1), 99);
  CHECK(r.report(17, day(2019, 5, 1)).dsr_of(service)->display() == "3.00");
  CHECK(r.report(3, day(2019, 5, 1)).dsr_of(service)->display() == "5.00");
  auto bytes = r.serialize();
  CHECK(ratings<>::deserialize(bytes.data(), bytes.size()) == r);
}

TEST_CASE("ratings: serialize", "[ratings][serde]") {
  std::mt19937_64 rng(3);
  const ratings_config c = property_config();
  ratings<std::string> r(c);
  csm_test::check_round_trip(r);
  for (const event& e : random_stream(rng, 400, 3)) feed(r, e);
  csm_test::check_round_trip(r);
  shop_ratings<std::string> s(c);
  csm_test::check_round_trip(s);
  for (const event& e : random_stream(rng, 300)) feed_shop(s, e);
  csm_test::check_round_trip(s);
  ratings<> ints;
  ints.dsr(1, item, 5, at(2019, 1, 1), 2);
  csm_test::check_round_trip(ints);

  SECTION("corruption is rejected or decodes to a valid state") {
    ratings<std::string> small(c);
    for (const event& e : random_stream(rng, 40, 2)) feed(small, e);
    csm_test::check_corruption(small, rng, 400);
    shop_ratings<std::uint64_t> one(c);
    one.dsr(item, 5, at(2019, 1, 1), 1);
    one.review(4, at(2019, 1, 2));
    csm_test::check_corruption(one, rng, 400);
  }
  SECTION("invariants are checked") {
    shop_ratings<std::uint64_t> one;
    one.dsr(item, 5, at(2019, 1, 1), 1);
    auto bytes = csm_test::bare(one);
    // the entry's score is the last byte: 5 -> 4 no longer matches its day's counts
    bytes.back() = 4;
    CHECK_THROWS_WITH(shop_ratings<std::uint64_t>::deserialize(bytes.data(), bytes.size()),
                      Catch::Contains("counted in their day"));
    bytes.back() = 9;
    CHECK_THROWS_WITH(shop_ratings<std::uint64_t>::deserialize(bytes.data(), bytes.size()),
                      Catch::Contains("score in 1..5"));
    auto rb = ratings<std::uint64_t>().serialize();
    CHECK_THROWS_WITH(shop_ratings<std::uint64_t>::deserialize(rb.data(), rb.size()),
                      Catch::Contains("expected type id 84, found 80"));
  }
}

TEST_CASE("ratings: golden v1 bytes", "[ratings][serde][golden]") {
  ratings_config c;  // defaults: 180 / 30 / 30 days, UTC+8, cap 3
  c.history_days = 7;
  ratings<std::string> r(c);
  r.dsr("tmall-1", item, 5, at(2019, 9, 1, 10), "buyer-a");
  r.dsr("tmall-1", service, 4, at(2019, 9, 1, 10), "buyer-a");
  r.dsr("tmall-1", logistics, 3, at(2019, 9, 1, 10), "buyer-a");
  for (unsigned d = 2; d <= 5; ++d) r.dsr("tmall-1", item, 1 + static_cast<int>(d % 5), at(2019, 9, d), "buyer-b");
  r.dsr("tmall-1", item, 2, at(2019, 8, 31, 23, 59, 59));
  r.dsr("tmall-1", item, 7, at(2019, 9, 1));
  r.review("tmall-1", 5, at(2019, 9, 1));
  r.review("tmall-1", 2, at(2019, 9, 2));
  r.payment("tmall-1", at(2019, 9, 1));
  r.payment("tmall-1", at(2019, 9, 2));
  r.dispute("tmall-1", at(2019, 9, 3));
  r.review("taobao-2", 4, at(2019, 9, 3));
  const auto rep = r.report("tmall-1", day(2019, 9, 5));
  CHECK(rep.dsr_of(item)->stars() == std::array<std::uint64_t, 5>{0, 1, 1, 1, 2});  // b's Sep 5 score (1) is capped
  CHECK(rep.rejected.monthly_cap == 1);
  CHECK(rep.rejected.bad_score == 1);
  csm_test::check_golden(r, "ratings_v1.bin");
}

// --- real data ----------------------------------------------------------------

namespace {

/// Days since 1970-01-01 by counting, independent of the library's calendar code.
std::int64_t count_days(int y, int m, int d) {
  std::int64_t n = 0;
  for (int year = 1970; year < y; ++year) n += (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 366 : 365;
  static const int len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  for (int month = 1; month < m; ++month)
    n += len[month - 1] + (month == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 1 : 0);
  return n + d - 1;
}

std::vector<std::string> split_csv_simple(const std::string& line) {
  std::vector<std::string> out(1);
  for (char ch : line) {
    if (ch == ',')
      out.emplace_back();
    else if (ch != '\r')
      out.back() += ch;
  }
  return out;
}

}  // namespace

TEST_CASE("ratings: Olist reviews agree with an independent recount", "[ratings][real]") {
  CSM_REQUIRE_SHARED(path, "olist-events.csv");
  std::ifstream in(path);
  std::string line;
  REQUIRE(std::getline(in, line));
  REQUIRE(line.rfind("time,type,shop,buyer,agent,order,amount,score,tag", 0) == 0);

  ratings_config c;  // 180 / 30 / 30 days
  c.offset = utc_offset::hours(-3);
  c.history_days = 1000;  // the whole data set stays queryable
  ratings<std::string> acc(c);
  struct row {
    std::int64_t day;
    int score;
  };
  std::vector<row> reviews, items, payments;
  std::size_t rows = 0;
  while (std::getline(in, line)) {
    ++rows;
    const auto f = split_csv_simple(line);
    REQUIRE(f.size() == 9);  // the file has no quoted fields (checked with grep)
    const std::string& time = f[0];
    const std::string& type = f[1];
    // Every row is written at the shop's own offset, so the local date is the text's date.
    REQUIRE(time.size() >= 25);
    REQUIRE(time.substr(time.size() - 6) == "-03:00");
    const std::int64_t d = count_days(std::stoi(time.substr(0, 4)), std::stoi(time.substr(5, 2)),
                                      std::stoi(time.substr(8, 2)));
    const auto t = parse_rfc3339(time);
    REQUIRE(t.has_value());
    if (type == "review") {
      const int s = std::stoi(f[7]);
      acc.review(f[2], s, *t);
      reviews.push_back({d, s});
    } else if (type == "dsr") {
      REQUIRE(f[8] == "item");
      const int s = std::stoi(f[7]);
      acc.dsr(f[2], item, s, *t, f[3]);
      items.push_back({d, s});
    } else if (type == "payment") {
      acc.payment(f[2], *t);
      payments.push_back({d, 0});
    }
  }
  CHECK(rows == 14336);
  CHECK(reviews.size() == 3584);
  CHECK(items.size() == 3584);
  REQUIRE(acc.size() == 1);
  CHECK(acc.rejected().total() == 0);  // one order per buyer here: the monthly rule never bites

  std::int64_t first = items[0].day, last = items[0].day;
  for (const row& r : items) {
    first = std::min(first, r.day);
    last = std::max(last, r.day);
  }
  auto series = acc.find("olist")->report_series(static_cast<day_number>(first), static_cast<day_number>(last + 31));
  REQUIRE(series.size() == static_cast<std::size_t>(last + 31 - first + 1));
  std::size_t days_with_dsr = 0;
  for (std::size_t i = 0; i < series.size(); ++i) {
    const std::int64_t d = first + static_cast<std::int64_t>(i);
    std::uint64_t sum = 0, count = 0, low = 0, sat = 0, all = 0, paid = 0;
    for (const row& r : items)
      if (r.day > d - 180 && r.day <= d) {
        sum += static_cast<std::uint64_t>(r.score);
        ++count;
        low += r.score <= 2;
      }
    for (const row& r : reviews)
      if (r.day > d - 30 && r.day <= d) {
        ++all;
        sat += r.score >= 4;
      }
    for (const row& r : payments) paid += r.day > d - 30 && r.day <= d;
    const ratings_report& rep = series[i];
    INFO("as of " << format_day(rep.as_of));
    REQUIRE(rep.as_of == d);
    const auto& x = rep.dsr_of(item);
    REQUIRE(x.has_value() == (count > 0));
    if (x) {
      ++days_with_dsr;
      CHECK(x->sum() == sum);
      CHECK(x->count() == count);
      CHECK(x->low() == low);
      // the 2-decimal display from the recount, rounded half up in integers
      CHECK(x->hundredths() == static_cast<std::int64_t>((sum * 200 + count) / (2 * count)));
    }
    REQUIRE(rep.after_sales.has_value() == (all > 0));
    if (rep.after_sales) {
      CHECK(rep.after_sales->successes() == sat);
      CHECK(rep.after_sales->trials() == all);
    }
    CHECK(rep.disputes.payments == paid);
    CHECK(rep.disputes.disputes == 0);
  }
  CHECK(days_with_dsr == series.size());
  // Spot values, recounted with awk over the file (dates are the text's dates):
  //   DSR item, 2017-11-02 .. 2018-04-30: sum 6378, count 1903, 651 of 1-2 stars;
  //   after-sales, 2018-04-01 .. 2018-04-30: 72 of 153 ratings are 4-5 stars.
  const auto end = acc.report("olist", day(2018, 4, 30));
  REQUIRE(end.dsr_of(item));
  CHECK(end.dsr_of(item)->sum() == 6378);
  CHECK(end.dsr_of(item)->count() == 1903);
  CHECK(end.dsr_of(item)->low() == 651);
  CHECK(end.dsr_of(item)->display() == "3.35");
  REQUIRE(end.after_sales);
  CHECK(end.after_sales->successes() == 72);
  CHECK(end.after_sales->trials() == 153);
  // and below a peer benchmark of 4.0, as the source's shop was below its industry
  CHECK(compare_to_peer(end.dsr_of(item), 4.0)->standing == peer_standing::below);
}
