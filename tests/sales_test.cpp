// SPDX-License-Identifier: Apache-2.0
#include "csmetrics/sales/sales.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "support.hpp"

using namespace csmetrics;

namespace {

money yuan(std::int64_t units) { return money::from_minor(units * 100); }

sales_snapshot snap(std::uint64_t traffic, std::uint64_t buyers, money revenue) {
  sales_snapshot s;
  s.visits = s.visitors = traffic;
  s.paying_buyers = s.buyers_with_amount = s.orders = buyers;
  s.revenue = revenue;
  return s;
}

}  // namespace

// ---------------------------------------------------------------------------
// exact_ratio
// ---------------------------------------------------------------------------

TEST_CASE("exact_ratio: arithmetic is exact and in lowest terms", "[exact]") {
  exact_ratio third(1, 3);
  CHECK(third * 3 == exact_ratio(1));
  CHECK(third + third + third == exact_ratio(1));
  CHECK(exact_ratio(2, 4) == exact_ratio(1, 2));
  CHECK(exact_ratio(-2, -4) == exact_ratio(1, 2));
  CHECK(exact_ratio(2, -4).to_string() == "-1/2");
  CHECK(exact_ratio(6, 3).to_string() == "2");
  CHECK(exact_ratio(1, 3) < exact_ratio(1, 2));
  CHECK(exact_ratio(-1, 3) > exact_ratio(-1, 2));
  CHECK((exact_ratio(1, 2) - exact_ratio(1, 2)).is_zero());
  CHECK_THROWS_AS(exact_ratio(1, 0), std::invalid_argument);
  CHECK_THROWS_AS(exact_ratio(1) / exact_ratio(0), std::domain_error);

  SECTION("values far beyond 64 bits") {
    const std::int64_t big = 4'000'000'000'000'000'000;  // ~2^62
    exact_ratio x = exact_ratio(big) * exact_ratio(big) * exact_ratio(big);
    CHECK(x.numerator().to_string() == "64000000000000000000000000000000000000000000000000000000");
    CHECK((x / exact_ratio(big) / exact_ratio(big)) == exact_ratio(big));
    exact_ratio y = exact_ratio(big - 1) / exact_ratio(big) * exact_ratio(big) / exact_ratio(big - 1);
    CHECK(y == exact_ratio(1));
    CHECK((x - x + exact_ratio(7, 9)) == exact_ratio(7, 9));
    CHECK(exact_ratio::of_counts(UINT64_MAX, 1).numerator().to_string() == "18446744073709551615");
  }
  SECTION("to_double") {
    CHECK(exact_ratio(1, 3).to_double() == Approx(1.0 / 3).epsilon(1e-15));
    CHECK(exact_ratio(-7, 2).to_double() == -3.5);
    CHECK(exact_ratio(0).to_double() == 0.0);
    CHECK(exact_ratio(1, 1'000'000'007).to_double() == Approx(1e-9 / 1.000000007).epsilon(1e-12));
  }
}

TEST_CASE("exact_ratio: rounding modes from the exact value", "[exact]") {
  exact_ratio tie(1, 8);  // 0.125
  CHECK(tie.to_decimal(2, rounding::half_up) == "0.13");
  CHECK(tie.to_decimal(2, rounding::half_even) == "0.12");
  CHECK(tie.to_decimal(2, rounding::floor) == "0.12");
  CHECK(exact_ratio(27, 200).to_decimal(2, rounding::half_even) == "0.14");  // 0.135: 3 is odd -> 4
  CHECK((-tie).to_decimal(2, rounding::half_up) == "-0.13");
  CHECK((-tie).to_decimal(2, rounding::half_even) == "-0.12");
  CHECK((-tie).to_decimal(2, rounding::floor) == "-0.13");
  CHECK(exact_ratio(1, 3).to_decimal(4) == "0.3333");
  CHECK(exact_ratio(2, 3).to_decimal(0) == "1");
  CHECK(exact_ratio(-1, 300).to_decimal(2) == "0.00");
  CHECK(exact_ratio(5, 1000).to_decimal(1) == "0.0");
  CHECK(exact_ratio(1, 400).percent(1) == "0.3");
  CHECK(tie.round_scaled(100, rounding::half_up) == 13);
  CHECK(tie.round_scaled(100, rounding::half_even) == 12);
  CHECK(exact_ratio(-5, 2).floor().to_string() == "-3");
  CHECK_THROWS_AS(exact_ratio(INT64_MAX).round_scaled(10), std::overflow_error);
}

// ---------------------------------------------------------------------------
// The identity and the seed numbers
// ---------------------------------------------------------------------------

TEST_CASE("sales_snapshot: traffic x conversion x AOV reproduces revenue exactly (seed)", "[identity][golden]") {
  // 200 000 visits x 3 % x 150 = 900 000; AOV 180 -> 1 080 000.
  sales_snapshot before = snap(200'000, 6'000, yuan(900'000));
  sales_snapshot after = snap(200'000, 6'000, yuan(1'080'000));
  CHECK(*before.conversion() == exact_ratio(3, 100));
  CHECK(before.conversion()->percent(2) == "3.00");
  CHECK(*before.aov_per_paying_buyer() == exact_ratio(150'00));
  CHECK(*after.aov_per_paying_buyer() == exact_ratio(180'00));
  CHECK(*before.aov_per_order() == exact_ratio(150'00));
  CHECK(*before.identity_revenue() == exact_ratio(900'000'00));
  CHECK(*after.identity_revenue() == exact_ratio(1'080'000'00));
  CHECK(exact_ratio(200'000) * exact_ratio(3, 100) * exact_ratio(150'00) == exact_ratio(900'000'00));
  for (traffic_basis b : {traffic_basis::visitors, traffic_basis::visits}) {
    sales_change c = decompose_change(before, after, b);
    CHECK(c.explained);
    CHECK(c.change == yuan(180'000));
    CHECK(c.part(sales_factor::traffic).is_zero());
    CHECK(c.part(sales_factor::conversion).is_zero());
    CHECK(c.part(sales_factor::aov) == exact_ratio(180'000'00));
    CHECK(c.part_money(sales_factor::aov) == yuan(180'000));
    CHECK(c.part_money(sales_factor::traffic) == money{});
    CHECK(c.part_money(sales_factor::conversion) == money{});
  }
}

TEST_CASE("sales_snapshot: identity with awkward fractions and missing amounts", "[identity]") {
  sales_snapshot s;
  s.visits = 7;
  s.visitors = 3;
  s.paying_buyers = 2;
  s.buyers_with_amount = 1;
  s.orders = 3;
  s.orders_without_amount = 1;
  s.revenue = money::from_minor(1001);
  CHECK(*s.conversion() == exact_ratio(2, 3));
  CHECK(*s.conversion(traffic_basis::visits) == exact_ratio(2, 7));
  CHECK(*s.aov_per_order() == exact_ratio(1001, 2));        // 2 orders have an amount
  CHECK(*s.aov_per_paying_buyer() == exact_ratio(1001));    // 1 buyer has an amount
  CHECK(*s.identity_aov() == exact_ratio(1001, 2));         // revenue over all paying buyers
  CHECK(*s.identity_revenue() == exact_ratio(1001));
  CHECK(*s.identity_revenue(traffic_basis::visits) == exact_ratio(1001));
  sales_snapshot empty;
  CHECK(!empty.conversion());
  CHECK(!empty.aov_per_order());
  CHECK(!empty.aov_per_paying_buyer());
  CHECK(*empty.identity_revenue() == exact_ratio(0));
  sales_snapshot no_traffic = snap(0, 2, yuan(5));
  CHECK(!no_traffic.identity_defined());
  CHECK(!no_traffic.identity_revenue());
}

TEST_CASE("decompose_change: hand-worked Shapley split", "[decompose]") {
  // T 100 -> 200, c 1/10 -> 1/5, AOV 10 -> 20 (cents): revenue 100 -> 800.
  sales_change c = decompose_change(snap(100, 10, money::from_minor(100)), snap(200, 40, money::from_minor(800)));
  // part_T = 100 * [(1/10*10 + 1/5*20)/3 + (1/10*20 + 1/5*10)/6] = 100 * [5/3 + 4/6] = 700/3
  CHECK(c.part(sales_factor::traffic) == exact_ratio(700, 3));
  CHECK(c.part(sales_factor::conversion) == exact_ratio(700, 3));
  CHECK(c.part(sales_factor::aov) == exact_ratio(700, 3));
  // 233.33.. each: floors 233 * 3 = 699, one cent left goes to the first tie.
  CHECK(c.part_money(sales_factor::traffic) == money::from_minor(234));
  CHECK(c.part_money(sales_factor::conversion) == money::from_minor(233));
  CHECK(c.part_money(sales_factor::aov) == money::from_minor(233));
}

TEST_CASE("decompose_change: zero traffic, zero buyers, broken identity", "[decompose]") {
  SECTION("traffic appears: all of it is traffic") {
    sales_change c = decompose_change(snap(0, 0, money{}), snap(200'000, 6'000, yuan(900'000)));
    CHECK(c.explained);
    CHECK(c.part(sales_factor::traffic) == exact_ratio(900'000'00));
    CHECK(c.part(sales_factor::conversion).is_zero());
    CHECK(c.part(sales_factor::aov).is_zero());
  }
  SECTION("buyers vanish: all of it is conversion") {
    sales_change c = decompose_change(snap(1'000, 10, yuan(500)), snap(1'000, 0, money{}));
    CHECK(c.part(sales_factor::conversion) == exact_ratio(-500'00));
    CHECK(c.part(sales_factor::traffic).is_zero());
    CHECK(c.part(sales_factor::aov).is_zero());
    CHECK(c.part_money(sales_factor::conversion) == yuan(-500));
  }
  SECTION("both periods empty") {
    sales_change c = decompose_change(sales_snapshot{}, sales_snapshot{});
    CHECK(c.explained);
    CHECK(c.change == money{});
    for (const auto& p : c.parts) CHECK(p.is_zero());
  }
  SECTION("buyers without traffic: not explained, never NaN") {
    sales_change c = decompose_change(snap(0, 3, yuan(30)), snap(100, 5, yuan(80)));
    CHECK(!c.explained);
    CHECK(c.unexplained == yuan(50));
    for (const auto& p : c.parts) CHECK(p.is_zero());
    CHECK(!c.parts_money);
    CHECK_THROWS_AS(c.part_money(sales_factor::aov), std::overflow_error);
  }
}

TEST_CASE("decompose_change: parts always sum to the change (property)", "[decompose][property]") {
  std::mt19937_64 rng(20190901);
  auto pick = [&](std::uint64_t hi) { return std::uniform_int_distribution<std::uint64_t>(0, hi)(rng); };
  auto random_snapshot = [&]() {
    sales_snapshot s;
    int shape = static_cast<int>(pick(5));
    std::uint64_t scale = std::uint64_t{1} << pick(40);
    s.visitors = shape == 0 ? 0 : pick(scale);
    s.visits = s.visitors + pick(scale);
    s.paying_buyers = (shape == 1 || s.visitors == 0) ? 0 : pick(s.visitors);
    s.buyers_with_amount = pick(s.paying_buyers);
    s.orders = s.paying_buyers + pick(3);
    s.orders_without_amount = s.buyers_with_amount == 0 ? s.orders : pick(s.orders - s.buyers_with_amount);
    s.revenue = s.buyers_with_amount == 0 ? money{} : money::from_minor(static_cast<std::int64_t>(pick(std::uint64_t{1} << pick(50))));
    return s;
  };
  int too_big = 0;
  for (int i = 0; i < 1500; ++i) {
    sales_snapshot a = random_snapshot(), b = random_snapshot();
    for (traffic_basis basis : {traffic_basis::visitors, traffic_basis::visits}) {
      sales_change c = decompose_change(a, b, basis);
      REQUIRE(c.explained);
      REQUIRE(*a.identity_revenue(basis) == exact_ratio(a.revenue.minor()));
      REQUIRE(c.parts[0] + c.parts[1] + c.parts[2] == exact_ratio(c.change.minor()));
      if (!c.parts_money) {  // only extreme opposite shifts leave the int64 cent range
        ++too_big;
        continue;
      }
      const auto& pm = *c.parts_money;
      REQUIRE(pm[0] + pm[1] + pm[2] == c.change);
      for (std::size_t k = 0; k < 3; ++k) {  // each rounded part is within a cent of the exact one
        exact_ratio err = exact_ratio(pm[k].minor()) - c.parts[k];
        REQUIRE(err < exact_ratio(1));
        REQUIRE(err > exact_ratio(-1));
      }
    }
  }
  CHECK(too_big < 300);
}

// ---------------------------------------------------------------------------
// Target attainment
// ---------------------------------------------------------------------------

TEST_CASE("attainment: exact ratios, not the source's rounding (golden)", "[attainment][golden]") {
  struct row {
    const char* actual;
    const char* target;
    const char* pct;
    std::int64_t hundredths;
  };
  const row rows[] = {{"145.6", "200", "72.80", 7280},
                      {"78.5", "100", "78.50", 7850},
                      {"226.6", "300", "75.53", 7553},   // the source prints 75.3 %
                      {"141.3", "200", "70.65", 7065}};  // the source prints 70.5 %
  for (const row& r : rows) {
    auto a = attainment(money::parse(r.actual), money::parse(r.target));
    REQUIRE(a);
    CHECK(a->percent(2, rounding::half_up) == r.pct);
    CHECK(a->percent(2, rounding::half_even) == r.pct);
    CHECK(a->round_scaled(10000, rounding::half_up) == r.hundredths);
    CHECK(a->round_scaled(10000, rounding::half_even) == r.hundredths);
  }
  CHECK(*attainment(money::parse("226.6"), money::parse("300")) == exact_ratio(1133, 1500));
  CHECK(attainment(money::parse("226.6"), money::parse("300"))->percent(4) == "75.5333");
  CHECK(!attainment(yuan(5), money{}));
  CHECK_THROWS_AS(attainment(yuan(5), yuan(-1)), std::invalid_argument);
  // A tie shows the modes apart: 0.125 % exactly.
  auto tie = attainment(money::from_minor(1), yuan(8));
  CHECK(tie->percent(2, rounding::half_up) == "0.13");
  CHECK(tie->percent(2, rounding::half_even) == "0.12");
}

// ---------------------------------------------------------------------------
// Mix effect
// ---------------------------------------------------------------------------

TEST_CASE("mix_decompose: shift-share of a conversion change", "[mix]") {
  // consulted converts 40 %, silent 2 %, both periods; consulted's share of
  // traffic rises from 10 % to 20 %: the whole change is mix.
  std::map<std::string, mix_group> p0{{"consulted", mix_group::of(rate_counter(40, 100))},
                                      {"silent", mix_group::of(rate_counter(18, 900))}};
  std::map<std::string, mix_group> p1{{"consulted", mix_group::of(rate_counter(80, 200))},
                                      {"silent", mix_group::of(rate_counter(16, 800))}};
  auto m = mix_decompose(p0, p1);
  REQUIRE(m);
  CHECK(m->before == exact_ratio(58, 1000));
  CHECK(m->after == exact_ratio(96, 1000));
  CHECK(m->change == exact_ratio(38, 1000));
  CHECK(m->mix == m->change);
  CHECK(m->rate.is_zero());

  SECTION("same shares, consulted converts better: all rate") {
    std::map<std::string, mix_group> q1{{"consulted", mix_group::of(rate_counter(50, 100))},
                                        {"silent", mix_group::of(rate_counter(18, 900))}};
    auto r = mix_decompose(p0, q1);
    CHECK(r->mix.is_zero());
    CHECK(r->rate == exact_ratio(10, 1000));
    CHECK(r->rate_by_group.at("consulted") == exact_ratio(10, 1000));
    CHECK(r->rate_by_group.at("silent").is_zero());
  }
  SECTION("a group absent in one period; empty periods") {
    std::map<std::string, mix_group> q1{{"consulted", mix_group::of(rate_counter(80, 200))},
                                        {"silent", mix_group::of(rate_counter(16, 800))},
                                        {"agent 7", mix_group::of(rate_counter(5, 10))}};
    auto r = mix_decompose(p0, q1);
    CHECK(r->mix + r->rate == r->change);
    CHECK(r->rate_by_group.at("agent 7").is_zero());
    CHECK(!mix_decompose(std::map<std::string, mix_group>{}, p1));
    std::map<std::string, mix_group> bad{{"x", {exact_ratio(1), exact_ratio(0)}}};
    CHECK_THROWS_AS(mix_decompose(bad, p1), std::invalid_argument);
  }
}

TEST_CASE("mix_decompose: mix + rate == change (property)", "[mix][property]") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 400; ++i) {
    std::map<int, mix_group> g[2];
    for (auto& m : g) {
      int n = 1 + static_cast<int>(rng() % 5);
      for (int k = 0; k < n; ++k) {
        std::uint64_t trials = rng() % 4 == 0 ? 0 : 1 + rng() % 100000;
        std::uint64_t succ = trials == 0 ? 0 : rng() % (trials + 1);
        m[static_cast<int>(rng() % 6)] = mix_group::of(rate_counter(succ, trials));
      }
      m[99] = mix_group::of(rate_counter(1, 2));  // never an empty period
    }
    auto r = mix_decompose(g[0], g[1]);
    REQUIRE(r);
    REQUIRE(r->mix + r->rate == r->change);
    exact_ratio sum;
    for (const auto& kv : r->mix_by_group) sum += kv.second + r->rate_by_group.at(kv.first);
    REQUIRE(sum == r->change);
  }
}

// ---------------------------------------------------------------------------
// The accumulator
// ---------------------------------------------------------------------------

namespace {

// 2019-01-01T00:00:00+08:00 and friends: local days of a UTC+8 shop.
timestamp local_time(int y, unsigned m, unsigned d, int hour = 12) {
  return day_start(static_cast<day_number>(days_from_civil(y, m, d))) + std::chrono::hours{hour};
}

struct event {
  int kind;  // 0 visit, 1 inquiry, 2 order, 3 refund
  std::uint64_t shop, person, order;
  std::optional<money> amount;
  bool consulted;
  std::optional<std::uint64_t> agent;
  timestamp t;
  std::uint32_t channel;
};

void feed(sales& s, const event& e) {
  switch (e.kind) {
    case 0: s.visit(e.shop, e.person, e.t, e.channel); break;
    case 1: s.inquiry(e.shop, e.person, e.t, e.channel); break;
    case 2: s.order(e.shop, e.person, e.order, e.amount, e.consulted, e.agent, e.t, e.channel); break;
    default: s.refund(e.shop, e.order, e.amount.value_or(money{}), e.t, e.channel); break;
  }
}

std::vector<event> random_events(std::mt19937_64& rng, std::size_t n, bool duplicates = true) {
  std::vector<event> out;
  const timestamp t0 = local_time(2019, 1, 1, 0);
  for (std::size_t i = 0; i < n; ++i) {
    event e;
    std::uint64_t r = rng() % 100;
    e.kind = r < 60 ? 0 : r < 70 ? 1 : r < 97 ? 2 : 3;
    e.shop = rng() % 3;
    e.person = rng() % 200;
    e.order = i;  // unique
    if (duplicates && rng() % 50 == 0) e.order = rng() % (i + 1);  // a few duplicates: rejected
    switch (rng() % 6) {
      case 0: e.amount = std::nullopt; break;
      case 1: e.amount = money::from_minor(-static_cast<std::int64_t>(rng() % 100)); break;  // rejected (0 is fine)
      default: e.amount = money::from_minor(static_cast<std::int64_t>(rng() % 100000)); break;
    }
    e.consulted = rng() % 2 == 0;
    if (rng() % 3) e.agent = rng() % 4;
    e.t = t0 + std::chrono::minutes{static_cast<std::int64_t>(rng() % (60 * 24 * 45))};
    e.channel = static_cast<std::uint32_t>(rng() % 2);
    out.push_back(e);
  }
  return out;
}

sales from_events(const std::vector<event>& events) {
  sales s;
  for (const auto& e : events) feed(s, e);
  return s;
}

}  // namespace

TEST_CASE("sales: the seed, end to end from events", "[sales][golden]") {
  // January: 200 000 visitors, 6 000 of them pay 150.00 each; February: the
  // same traffic and buyers, 180.00 each. +180 000, all of it AOV.
  sales s;
  const std::uint64_t shop = 1;
  std::uint64_t order_id = 0;
  for (int month = 1; month <= 2; ++month) {
    const timestamp t = local_time(2019, static_cast<unsigned>(month), 10);
    for (std::uint64_t v = 0; v < 200'000; ++v) s.visit(shop, v, t);
    for (std::uint64_t b = 0; b < 6'000; ++b)
      REQUIRE(s.order(shop, b * 33, ++order_id, yuan(month == 1 ? 150 : 180), b % 4 == 0, std::nullopt, t));
  }
  sales_snapshot jan = s.snapshot(s.query_for(sales_period::month(2019, 1)));
  sales_snapshot feb = s.snapshot(s.query_for(sales_period::month(2019, 2)));
  CHECK(jan.visits == 200'000);
  CHECK(jan.visitors == 200'000);
  CHECK(jan.paying_buyers == 6'000);
  CHECK(jan.revenue == yuan(900'000));
  CHECK(feb.revenue == yuan(1'080'000));
  CHECK(jan.conversion()->percent(2) == "3.00");
  CHECK(*jan.aov_per_paying_buyer() == exact_ratio(150'00));
  CHECK(*feb.aov_per_order() == exact_ratio(180'00));
  CHECK(*jan.identity_revenue() == exact_ratio(900'000'00));
  sales_change c = decompose_change(jan, feb);
  CHECK(c.change == yuan(180'000));
  CHECK(c.part_money(sales_factor::aov) == yuan(180'000));
  CHECK(c.part_money(sales_factor::traffic) == money{});
  CHECK(c.part_money(sales_factor::conversion) == money{});
  // Both months together: the same people, so distinct counts do not add up.
  sales_snapshot both = s.snapshot(s.query_for(sales_period::range(sales_period::month(2019, 1).first, sales_period::month(2019, 2).last)));
  CHECK(both.visits == 400'000);
  CHECK(both.visitors == 200'000);
  CHECK(both.paying_buyers == 6'000);
  CHECK(both.orders == 12'000);
  CHECK(both.revenue == yuan(1'980'000));
}

TEST_CASE("sales: orders without amount, rejections, AOV bases", "[sales]") {
  sales s;
  const timestamp t = local_time(2019, 9, 1);
  s.visit(1, 10, t);
  s.visit(1, 10, t);
  s.visit(1, 11, t);
  s.visit(1, 12, t);
  CHECK(s.order(1, 10, 100, yuan(100), true, 7, t));
  CHECK(s.order(1, 10, 101, yuan(50), true, 7, t));
  CHECK(s.order(1, 11, 102, std::nullopt, false, std::nullopt, t));  // unknown amount
  CHECK_FALSE(s.order(1, 12, 101, yuan(10), false, std::nullopt, t));  // duplicate id
  CHECK_FALSE(s.order(1, 12, 103, money::from_minor(-1), false, std::nullopt, t));
  CHECK(s.order(2, 12, 101, yuan(10), false, std::nullopt, t));  // same id, other shop: fine
  CHECK_FALSE(s.refund(1, 100, money{}, t));
  CHECK(s.refund(1, 100, yuan(20), t));
  CHECK(s.rejected(sales_reject::duplicate_order) == 1);
  CHECK(s.rejected(sales_reject::negative_amount) == 1);
  CHECK(s.rejected(sales_reject::non_positive_refund) == 1);
  CHECK(s.rejected_total() == 3);

  sales::query q = s.query_for(sales_period::day(s.day_of(t)));
  q.shop = 1;
  sales_snapshot x = s.snapshot(q);
  CHECK(x.visits == 4);
  CHECK(x.visitors == 3);
  CHECK(x.paying_buyers == 2);
  CHECK(x.buyers_with_amount == 1);
  CHECK(x.orders == 3);
  CHECK(x.orders_without_amount == 1);
  CHECK(x.revenue == yuan(150));
  CHECK(x.refunds == yuan(20));
  CHECK(x.net_revenue() == yuan(130));
  CHECK(*x.conversion() == exact_ratio(2, 3));
  CHECK(*x.conversion(traffic_basis::visits) == exact_ratio(1, 2));
  CHECK(*x.aov_per_order() == exact_ratio(75'00));         // 150 / 2 orders with an amount
  CHECK(*x.aov_per_paying_buyer() == exact_ratio(150'00)); // 150 / 1 buyer with an amount
  CHECK(*x.identity_aov() == exact_ratio(75'00));          // 150 / 2 paying buyers
  CHECK(*x.identity_revenue() == exact_ratio(150'00));

  SECTION("agent and consulted filters") {
    sales::query a = q;
    a.agent = 7;
    sales_snapshot y = s.snapshot(a);
    CHECK(y.orders == 2);
    CHECK(y.paying_buyers == 1);
    CHECK(y.revenue == yuan(150));
    CHECK(y.visitors == 3);       // traffic is the shop's
    CHECK(y.refunds == money{});  // refunds have no agent
    a.agent = 8;
    CHECK(s.snapshot(a).orders == 0);
    sales_split split = s.consulted_split(q);
    CHECK(split.consulted.revenue == yuan(150));
    CHECK(split.silent.revenue == money{});
    CHECK(split.silent.orders_without_amount == 1);
    CHECK(split.cs_sales_share() == exact_ratio(1));
  }
  SECTION("shops and periods") {
    CHECK(s.shops() == 2);
    sales::query all = s.query_for(sales_period::day(s.day_of(t)));
    CHECK(s.snapshot(all).orders == 4);
    all.period = sales_period::day(s.day_of(t) + 1);
    CHECK(s.snapshot(all) == sales_snapshot{});
  }
}

TEST_CASE("sales: local days, ISO weeks and months at the shop's offset", "[sales][time]") {
  // 2019-01-31T17:30Z is 2019-02-01 01:30 at UTC+8: February for the shop.
  const timestamp t = timestamp{std::chrono::seconds{1548955800}};
  sales s;  // UTC+8
  sales utc(utc_offset::utc());
  for (sales* x : {&s, &utc}) x->order(1, 1, 1, yuan(5), false, std::nullopt, t);
  CHECK(s.snapshot(s.query_for(sales_period::month(2019, 2))).orders == 1);
  CHECK(s.snapshot(s.query_for(sales_period::month(2019, 1))).orders == 0);
  CHECK(utc.snapshot(utc.query_for(sales_period::month(2019, 1))).orders == 1);
  // ISO week: 2019-01-01 is a Tuesday; its week is Mon 2018-12-31 .. Sun 2019-01-06.
  sales_period w = sales_period::iso_week(*parse_day("2019-01-01"));
  CHECK(format_day(w.first) == "2018-12-31");
  CHECK(format_day(w.last) == "2019-01-06");
  CHECK(format_day(sales_period::iso_week(*parse_day("2019-01-06")).first) == "2018-12-31");
  CHECK(format_day(sales_period::iso_week(*parse_day("2019-01-07")).first) == "2019-01-07");
  CHECK(format_day(sales_period::iso_week(-1).first) == "1969-12-29");  // before the epoch
  CHECK(sales_period::month(2020, 2).days() == 29);
  CHECK(sales_period::month_of(*parse_day("2019-02-14")).first == *parse_day("2019-02-01"));
  CHECK_THROWS_AS(sales_period::month(2019, 13), std::invalid_argument);
  CHECK_THROWS_AS(sales_period::range(5, 4), std::invalid_argument);
  // A week and a long range (> 62 days) give the same answers as summing days.
  sales r = from_events([] {
    std::mt19937_64 rng(3);
    return random_events(rng, 3000);
  }());
  sales_snapshot year = r.snapshot(r.query_for(sales_period::range(*parse_day("2018-06-01"), *parse_day("2019-12-31"))));
  std::uint64_t orders = 0, visits = 0;
  money revenue;
  for (day_number d = *parse_day("2018-12-25"); d <= *parse_day("2019-03-01"); ++d) {
    sales_snapshot one = r.snapshot(r.query_for(sales_period::day(d)));
    orders += one.orders;
    visits += one.visits;
    revenue += one.revenue;
  }
  CHECK(year.orders == orders);
  CHECK(year.visits == visits);
  CHECK(year.revenue == revenue);
  CHECK(year.visitors <= 200);
}

TEST_CASE("sales: consulted vs silent and the CS sales share by month (golden)", "[sales][golden]") {
  // Jan-Apr 2019: 79.42 %, 78.58 %, 77.03 %, 78.21 % of revenue from consulted orders.
  const char* consulted_amounts[4][2] = {{"52000.00", "27420.00"},
                                         {"40000.50", "38579.50"},
                                         {"77030.00", "0"},
                                         {"70000", "8210.00"}};
  const char* silent_amounts[4][2] = {{"20000", "580.00"}, {"21420.00", "0.00"}, {"11485", "11485"}, {"21790", "0"}};
  const char* expected[4] = {"79.42", "78.58", "77.03", "78.21"};
  sales s;
  std::uint64_t id = 0;
  for (unsigned m = 1; m <= 4; ++m) {
    const timestamp t = local_time(2019, m, 15);
    for (std::uint64_t v = 0; v < 50; ++v) s.visit(9, v, t);
    for (int k = 0; k < 2; ++k) {
      s.order(9, 100 + static_cast<std::uint64_t>(k), ++id, money::parse(consulted_amounts[m - 1][k]), true, 1, t);
      s.order(9, 200 + static_cast<std::uint64_t>(k), ++id, money::parse(silent_amounts[m - 1][k]), false,
              std::nullopt, t);
    }
  }
  for (unsigned m = 1; m <= 4; ++m) {
    sales_split split = s.consulted_split(s.query_for(sales_period::month(2019, m)));
    REQUIRE(split.cs_sales_share());
    CHECK(split.cs_sales_share()->percent(2) == expected[m - 1]);
    CHECK(split.consulted.revenue + split.silent.revenue == yuan(100'000));
    // consulted buyers spend more per head
    CHECK(*split.consulted.aov_per_paying_buyer() > *split.silent.aov_per_paying_buyer());
    CHECK(split.consulted.paying_buyers == 2);
    CHECK(split.silent.paying_buyers == 2);
  }
}

TEST_CASE("sales: conversion mix of consulted and silent visitors", "[sales][mix]") {
  // Period 1: 100 visitors, 10 inquire and 4 of them buy; 2 of the 90 silent buy.
  // Period 2: 100 visitors, 20 inquire and 8 buy; 2 of the 80 silent buy.
  // Group rates unchanged (40 %, 1/45 -> 2/80): mostly a mix effect.
  sales s;
  std::uint64_t id = 0;
  for (int p = 0; p < 2; ++p) {
    const timestamp t = local_time(2019, 3, 1 + static_cast<unsigned>(p) * 7);
    const std::uint64_t inquirers = p == 0 ? 10 : 20, consulted_buyers = p == 0 ? 4 : 8;
    for (std::uint64_t v = 0; v < 100; ++v) s.visit(1, v, t);
    for (std::uint64_t v = 0; v < inquirers; ++v) s.inquiry(1, v, t);
    for (std::uint64_t v = 0; v < consulted_buyers; ++v) s.order(1, v, ++id, yuan(100), true, std::nullopt, t);
    for (std::uint64_t v = 50; v < 52; ++v) s.order(1, v, ++id, yuan(60), false, std::nullopt, t);
  }
  auto g0 = s.conversion_groups(s.query_for(sales_period::iso_week(*parse_day("2019-03-01"))));
  auto g1 = s.conversion_groups(s.query_for(sales_period::iso_week(*parse_day("2019-03-08"))));
  CHECK(g0.at(sales_group::consulted).numerator == exact_ratio(4));
  CHECK(g0.at(sales_group::consulted).denominator == exact_ratio(10));
  CHECK(g0.at(sales_group::silent).denominator == exact_ratio(90));
  auto m = mix_decompose(g0, g1);
  REQUIRE(m);
  CHECK(m->before == exact_ratio(6, 100));
  CHECK(m->after == exact_ratio(10, 100));
  CHECK(m->mix + m->rate == m->change);
  // consulted rate unchanged: its rate part is exactly 0
  CHECK(m->rate_by_group.at(sales_group::consulted).is_zero());
  // silent 2/90 -> 2/80: rate part (0.9+0.8)/2 * (1/40 - 1/45)
  CHECK(m->rate_by_group.at(sales_group::silent) == exact_ratio(17, 20) * (exact_ratio(1, 40) - exact_ratio(1, 45)));
  CHECK(m->mix > m->rate);
}

TEST_CASE("sales: channels and text ids", "[sales]") {
  string_sales s;
  const timestamp t = local_time(2019, 9, 1);
  s.visit("shop A", "buyer 1", t, "search");
  s.visit("shop A", "buyer 2", t, "ads");
  s.order("shop A", "buyer 1", "o-1", money::parse("149.90"), true, std::string("agent x"), t, "search");
  s.order("shop A", "buyer 2", "o-2", money::parse("30"), false, std::nullopt, t, "ads");
  CHECK_FALSE(s.order("shop A", "buyer 2", "o-2", money::parse("30"), false, std::nullopt, t, "ads"));
  string_sales::query q = s.query_for(sales_period::day(s.day_of(t)));
  q.channel = "search";
  sales_snapshot x = s.snapshot(q);
  CHECK(x.visitors == 1);
  CHECK(x.revenue == money::parse("149.90"));
  q.channel.reset();
  q.agent = "agent x";
  CHECK(s.snapshot(q).orders == 1);
  q.agent.reset();
  CHECK(s.snapshot(q).revenue == money::parse("179.90"));
  csm_test::check_round_trip(s);
  std::mt19937_64 rng(5);
  csm_test::check_corruption(s, rng, 300);
}

TEST_CASE("sales: a shop's days and channels in any arrival order: same state, bytes and figures", "[sales][serde]") {
  // A shop keeps its (day, channel) cells in one sorted vector: late days
  // and channels that sort between the others are placed, not appended.
  struct visit_event {
    int day;
    std::uint32_t channel;
    std::uint64_t shop, person;
  };
  std::mt19937_64 rng(9);
  std::vector<visit_event> events;
  for (int i = 0; i < 3000; ++i)
    events.push_back({static_cast<int>(rng() % 40), static_cast<std::uint32_t>(rng() % 5), rng() % 2, rng() % 150});
  std::vector<visit_event> in_time = events;
  std::stable_sort(in_time.begin(), in_time.end(),
                   [](const visit_event& a, const visit_event& b) { return a.day < b.day; });
  const timestamp t0 = local_time(2019, 9, 1, 10);
  auto feed_all = [&](const std::vector<visit_event>& v) {
    sales s;
    for (const visit_event& e : v) s.visit(e.shop, e.person, t0 + std::chrono::hours{24 * e.day}, e.channel);
    return s;
  };
  const sales shuffled = feed_all(events), ordered = feed_all(in_time);
  CHECK(shuffled == ordered);
  CHECK(shuffled.serialize() == ordered.serialize());
  csm_test::check_round_trip(shuffled);
  const day_number d0 = shuffled.day_of(t0);
  for (std::uint64_t shop = 0; shop < 2; ++shop)
    for (int first = 0; first < 40; first += 7)
      for (std::uint32_t channel = 0; channel <= 5; ++channel) {  // 5: none of the events'
        const int last = first + 9;
        std::uint64_t visits = 0;
        std::set<std::uint64_t> people;
        for (const visit_event& e : events)
          if (e.shop == shop && e.channel == channel && e.day >= first && e.day <= last) {
            ++visits;
            people.insert(e.person);
          }
        sales::query q = shuffled.query_for(sales_period::range(d0 + first, d0 + last));
        q.shop = shop;
        q.channel = channel;
        const sales_snapshot x = shuffled.snapshot(q);
        CHECK(x.visits == visits);
        CHECK(x.visitors == people.size());
      }
}

TEST_CASE("sales: split/merge, merge laws, round trip, corruption, golden", "[sales][merge][serde]") {
  std::mt19937_64 rng(42);
  // Merging assumes the parts saw different order ids (shard by shop or
  // order), so the split stream has no duplicate ids; the parts below do.
  csm_test::check_split_merge([] { return sales{}; }, random_events(rng, 4000, false), feed, rng, 5);
  std::vector<event> events = random_events(rng, 4000);

  sales whole = from_events(events);
  sales a = from_events(std::vector<event>(events.begin(), events.begin() + 1000));
  sales b = from_events(std::vector<event>(events.begin() + 1000, events.begin() + 2500));
  sales c = from_events(std::vector<event>(events.begin() + 2500, events.end()));
  csm_test::check_merge_laws(a, b, c, sales{});
  csm_test::check_round_trip(whole);
  csm_test::check_round_trip(sales{});
  CHECK(whole.rejected(sales_reject::negative_amount) > 0);
  CHECK(whole.rejected(sales_reject::duplicate_order) > 0);

  SECTION("snapshots of a merge equal snapshots of the whole") {
    sales m = a;
    m.merge(b);
    m.merge(c);
    for (unsigned month = 1; month <= 2; ++month) {
      sales::query q = m.query_for(sales_period::month(2019, month));
      q.shop = 1;
      CHECK(m.snapshot(q) == whole.snapshot(q));
      CHECK(*m.snapshot(q).identity_revenue() == exact_ratio(m.snapshot(q).revenue.minor()));
    }
  }
  SECTION("offsets must match; reset keeps the offset") {
    sales utc(utc_offset::utc());
    CHECK_THROWS_AS(utc.merge(whole), std::invalid_argument);
    sales r = whole;
    r.reset();
    CHECK(r == sales{});
  }
  SECTION("corruption") {
    sales small = from_events(std::vector<event>(events.begin(), events.begin() + 40));
    csm_test::check_corruption(small, rng, 2000);
  }
  SECTION("golden v1") {
    sales g;
    const timestamp t = local_time(2019, 9, 1, 10);
    g.visit(1, 10, t);
    g.visit(1, 11, t, 2);
    g.inquiry(1, 10, t);
    g.order(1, 10, 500, money::parse("149.90"), true, 3, t);
    g.order(1, 11, 501, std::nullopt, false, std::nullopt, t + std::chrono::hours{20}, 2);
    g.order(1, 11, 501, money::parse("1"), false, std::nullopt, t);  // duplicate: counted
    g.refund(1, 500, money::parse("20"), t + std::chrono::hours{30});
    g.order(2, 12, 7, money::parse("0.5"), false, 4, t);
    csm_test::check_golden(g, "sales_v1.bin");
  }
}

TEST_CASE("sales_day: the orders part is made at the first order, copied deep, merged in", "[sales][merge]") {
  using day = detail::sales_day<std::uint64_t, std::uint64_t>;
  day visits_only;
  visits_only.visit(1);
  visits_only.visit(2);
  day with_orders;
  with_orders.visit(3);
  const std::uint64_t agent = 7;
  const money amount = money::from_minor(1990);
  with_orders.orders_of(&agent).add(3, &amount, true);
  with_orders.refund(money::from_minor(500));
  CHECK(visits_only.no_agent() == detail::sales_orders<std::uint64_t>{});  // read without a part
  CHECK(visits_only.refunds().count() == 0);

  day copy = with_orders;  // deep: changing the copy leaves the original
  copy.refund(money::from_minor(100));
  CHECK(copy.refunds().count() == 2);
  CHECK(with_orders.refunds().count() == 1);
  CHECK(copy != with_orders);

  day merged = visits_only;
  merged.merge(with_orders);
  CHECK(merged.visits() == 3);
  CHECK(merged.by_agent().size() == 1);
  CHECK(merged.refunds().sum() == money::from_minor(500));
  day other = with_orders;
  other.merge(visits_only);
  CHECK(other == merged);  // either way round

  // Serialized the same whether or not the part exists; read back equal.
  for (const day* d : {&visits_only, &with_orders, &merged}) {
    detail::writer w;
    d->serialize_to(w);
    const std::vector<std::uint8_t> bytes = w.take();
    detail::reader r(bytes.data(), bytes.size());
    CHECK(day::deserialize_from(r) == *d);
  }
}

TEST_CASE("count_union: the largest set counted in place equals the union of all the sets", "[sales][property]") {
  using detail::sales_id_set;
  std::mt19937_64 rng(2026);
  for (int round = 0; round < 300; ++round) {
    const std::size_t n_sets = rng() % 5;  // none, one (no gathering) and several
    std::vector<sales_id_set<std::uint64_t>> sets(n_sets);
    std::map<std::uint64_t, std::uint8_t> all;  // the union, by hand
    for (auto& s : sets)
      for (std::uint64_t k = 0, n = rng() % 60; k < n; ++k) {
        const std::uint64_t id = rng() % 80;  // ids shared between sets
        const auto bits = static_cast<std::uint8_t>(1 + rng() % 63);
        s.add(id, bits);
        all[id] = static_cast<std::uint8_t>(all[id] | bits);
      }
    std::vector<const sales_id_set<std::uint64_t>*> ptrs;
    for (const auto& s : sets) ptrs.push_back(&s);
    const std::array<std::uint8_t, 3> masks{detail::sales_visited,
                                            detail::sales_bought_silent | detail::sales_bought_consulted,
                                            detail::sales_amount_consulted};
    const auto got = detail::count_union(ptrs, masks);
    for (std::size_t m = 0; m < masks.size(); ++m) {
      std::uint64_t want = 0;
      for (const auto& [id, bits] : all) want += (bits & masks[m]) != 0;
      CHECK(got[m] == want);
    }
  }
}
