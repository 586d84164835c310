// SPDX-License-Identifier: Apache-2.0
#include "csmetrics/core/rate.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "support.hpp"

using csmetrics::compare;
using csmetrics::interval;
using csmetrics::rate_counter;
using csmetrics::rate_verdict;

namespace {

constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();

double round2(double percent) { return std::round(percent * 100.0) / 100.0; }

}  // namespace

TEST_CASE("rate_counter: golden seed numbers from the source", "[rate][golden]") {
  // 1-7 Sept: 3873 buyers inquired, 1845 ordered finally -> 47.64 %.
  rate_counter inquiry(1845, 3873);
  REQUIRE(inquiry.rate());
  CHECK(round2(*inquiry.rate() * 100.0) == 47.64);
  // 1855 ordered -> 1697 paid = 91.48 %.
  rate_counter payment(1697, 1855);
  CHECK(round2(*payment.rate() * 100.0) == 91.48);
  // Same day 1808 of 3873.
  CHECK(round2(*rate_counter(1808, 3873).rate() * 100.0) == 46.68);
  CHECK(inquiry.failures() == 2028);  // the source's "2028 lost"
}

TEST_CASE("rate_counter: empty, one trial, edge counts", "[rate]") {
  rate_counter r;
  CHECK(r.empty());
  CHECK(r.trials() == 0);
  CHECK(!r.rate());
  CHECK(!r.wilson());
  r.add(false);
  CHECK(r.rate() == 0.0);
  r.add(true);
  CHECK(r.successes() == 1);
  CHECK(r.trials() == 2);
  CHECK(r.rate() == 0.5);
  r.add(3, 3);
  CHECK(r.rate() == 4.0 / 5.0);
  r.add(0, 0);  // a no-op, not an error
  CHECK(r == rate_counter(4, 5));
  r.reset();
  CHECK(r == rate_counter{});
  CHECK_THROWS_AS(rate_counter(3, 2), std::invalid_argument);
  CHECK_THROWS_AS(r.add(1, 0), std::invalid_argument);
  CHECK(r == rate_counter{});  // unchanged by the rejected add
  CHECK_THROWS_AS(rate_counter(1, 2).wilson(1.0), std::invalid_argument);
  CHECK_THROWS_AS(rate_counter(1, 2).wilson(0.0), std::invalid_argument);
  CHECK_THROWS_AS(rate_counter(1, 2).wilson(std::nan("")), std::invalid_argument);
  CHECK_THROWS_AS(rate_counter{}.wilson(-0.5), std::invalid_argument);  // even with no data
}

TEST_CASE("rate_counter: counts at the limit throw instead of wrapping", "[rate][overflow]") {
  rate_counter full(u64_max, u64_max);
  CHECK(full.rate() == 1.0);
  CHECK_THROWS_AS(full.add(true), std::overflow_error);
  CHECK_THROWS_AS(full.add(false), std::overflow_error);
  CHECK_THROWS_AS(full.add(0, 1), std::overflow_error);
  CHECK_THROWS_AS(full.merge(rate_counter(0, 1)), std::overflow_error);
  CHECK(full == rate_counter(u64_max, u64_max));  // strong guarantee
  rate_counter almost(5, u64_max - 1);
  almost.add(true);
  CHECK(almost == rate_counter(6, u64_max));
  CHECK_THROWS_AS(almost.merge(almost), std::overflow_error);
  CHECK(almost == rate_counter(6, u64_max));
  full.merge(rate_counter{});  // adding nothing at the limit is fine
  // compare() sums trials as doubles: no overflow at the limit either.
  auto c = compare(rate_counter(u64_max / 2, u64_max), rate_counter(u64_max / 2, u64_max));
  REQUIRE(c);
  CHECK(c->difference == 0.0);
}

TEST_CASE("rate_counter: normal quantile against known z values", "[rate][quantile]") {
  // Reference values: scipy.stats.norm.ppf(p) (Debian python3-scipy), printed with repr().
  struct row {
    double p, z;
  };
  const row rows[] = {
      {0.5, 0.0},
      {0.8, 0.8416212335729143},
      {0.9, 1.2815515655446004},
      {0.95, 1.6448536269514722},
      {0.975, 1.959963984540054},
      {0.99, 2.3263478740408408},
      {0.995, 2.5758293035489004},
      {0.999, 3.090232306167813},
      {1e-10, -6.361340902404056},
      {0.02425, -1.972961051311885},  // the region boundary of Acklam's algorithm
      {0.97575, 1.972961051311885},
      {0.3, -0.5244005127080409},
  };
  for (const row& r : rows) {
    INFO("p = " << r.p);
    CHECK(csmetrics::detail::normal_quantile(r.p) == Approx(r.z).epsilon(2e-15).margin(1e-15));
  }
  CHECK(csmetrics::detail::two_sided_z(0.95) == Approx(1.959963984540054).epsilon(1e-15));
  CHECK(csmetrics::detail::two_sided_z(0.99) == Approx(2.5758293035489004).epsilon(1e-15));
  CHECK(std::isnan(csmetrics::detail::normal_quantile(0.0)));
  CHECK(std::isnan(csmetrics::detail::normal_quantile(1.0)));
  // Symmetric and monotone over a fine grid.
  double prev = -std::numeric_limits<double>::infinity();
  for (int i = 1; i < 2000; ++i) {
    const double p = i / 2000.0;
    const double z = csmetrics::detail::normal_quantile(p);
    CHECK(z > prev);
    CHECK(z == Approx(-csmetrics::detail::normal_quantile(1.0 - p)).margin(1e-15));
    // Phi(z) recovers p.
    CHECK(0.5 * std::erfc(-z / std::sqrt(2.0)) == Approx(p).epsilon(1e-14));
    prev = z;
  }
}

TEST_CASE("rate_counter: Wilson interval against statsmodels", "[rate][wilson]") {
  // Reference values produced by Debian's python3-statsmodels 0.13.5 with:
  //   /usr/bin/python3 -c 'from statsmodels.stats.proportion import proportion_confint as c
  //   for s,n in [(1845,3873),(1697,1855),(0,10),(10,10),(1,1),(0,1),(5,7),(1808,3873)]:
  //     for conf in (0.95,0.90,0.99): print(s,n,conf,*map(repr,c(s,n,alpha=1-conf,method="wilson")))'
  struct row {
    std::uint64_t s, n;
    double confidence, lower, upper;
  };
  const row rows[] = {
      {1845, 3873, 0.95, 0.46067680413110346, 0.49211982117746234},
      {1845, 3873, 0.90, 0.46319556044990506, 0.489587230206346},
      {1845, 3873, 0.99, 0.4557611650971287, 0.4970694478658778},
      {1697, 1855, 0.95, 0.9012488694481444, 0.9266861826226163},
      {1697, 1855, 0.90, 0.9035507190742427, 0.9248905833823806},
      {1697, 1855, 0.99, 0.8966162839031152, 0.930076427331462},
      {0, 10, 0.95, 0.0, 0.2775327998628892},
      {0, 10, 0.90, 0.0, 0.2129419700834071},
      {0, 10, 0.99, 0.0, 0.3988540933049081},
      {10, 10, 0.95, 0.7224672001371107, 0.9999999999999999},
      {10, 10, 0.90, 0.7870580299165928, 1.0},
      {10, 10, 0.99, 0.6011459066950919, 1.0},
      {1, 1, 0.95, 0.20654931437723745, 1.0},
      {1, 1, 0.90, 0.269865948784054, 1.0},
      {1, 1, 0.99, 0.13097754328018596, 1.0},
      {0, 1, 0.95, 0.0, 0.7934506856227626},
      {0, 1, 0.90, 0.0, 0.730134051215946},
      {0, 1, 0.99, 0.0, 0.8690224567198142},
      {5, 7, 0.95, 0.35893445183261935, 0.9177810759959433},
      {5, 7, 0.90, 0.40866754551119744, 0.900434156437713},
      {5, 7, 0.99, 0.2780758506447098, 0.9419478200720384},
      {1808, 3873, 0.95, 0.45115004583726626, 0.48255887604416214},
      {1808, 3873, 0.90, 0.4536632631302911, 0.4800262297585423},
      {1808, 3873, 0.99, 0.4462466254807852, 0.4875100276967703},
  };
  for (const row& r : rows) {
    INFO(r.s << "/" << r.n << " at " << r.confidence);
    auto w = rate_counter(r.s, r.n).wilson(r.confidence);
    REQUIRE(w);
    CHECK(w->lower == Approx(r.lower).epsilon(1e-12).margin(1e-14));
    CHECK(w->upper == Approx(r.upper).epsilon(1e-12).margin(1e-14));
    CHECK(w->contains(static_cast<double>(r.s) / static_cast<double>(r.n)));
  }
  // Exact ends at 0 % and 100 %.
  CHECK(rate_counter(0, 10).wilson()->lower == 0.0);
  CHECK(rate_counter(10, 10).wilson()->upper == 1.0);
  // Hand check, 1845/3873 at 95 %, rounded as a report prints it: [46.07 %, 49.21 %].
  auto w = *rate_counter(1845, 3873).wilson();
  CHECK(round2(w.lower * 100) == 46.07);
  CHECK(round2(w.upper * 100) == 49.21);
  // Wider at higher confidence, narrower with more data.
  CHECK(rate_counter(50, 100).wilson(0.99)->lower < rate_counter(50, 100).wilson(0.9)->lower);
  CHECK(rate_counter(500, 1000).wilson()->upper < rate_counter(50, 100).wilson()->upper);
}

TEST_CASE("rate_counter: compare against statsmodels (Newcombe interval, pooled z-test)", "[rate][compare]") {
  // Reference values produced by Debian's python3-statsmodels 0.13.5 with:
  //   /usr/bin/python3 -c 'from statsmodels.stats.proportion import proportions_ztest as zt, confint_proportions_2indep as ci
  //   for a,n1,b,n2 in [(1845,3873,1808,3873),(1697,1855,1650,1855),(30,100,20,100),(10,10,0,10),(5,10,5,10),(120,400,90,410)]:
  //     for conf in (0.95,0.90): print(a,n1,b,n2,conf,*map(repr,ci(a,n1,b,n2,method="newcomb",compare="diff",alpha=1-conf)),*map(repr,zt([a,b],[n1,n2])))'
  struct row {
    std::uint64_t a, n1, b, n2;
    double confidence, lower, upper, z, p;
  };
  const row rows[] = {
      {1845, 3873, 1808, 3873, 0.95, -0.012674876698413658, 0.031768168574415515, 0.8421602948207285,
       0.3996982352286158},
      {1845, 3873, 1808, 3873, 0.90, -0.009102986965659327, 0.028200221841527436, 0.8421602948207285,
       0.3996982352286158},
      {1697, 1855, 1650, 1855, 0.95, 0.006211959514787643, 0.04452320456873403, 2.597189533618097,
       0.00939900453288963},
      {1697, 1855, 1650, 1855, 0.90, 0.009295703456843451, 0.04142154749445262, 2.597189533618097,
       0.00939900453288963},
      {30, 100, 20, 100, 0.95, -0.0202493621530134, 0.21673435401778587, 1.6329931618554518, 0.10247043485974941},
      {30, 100, 20, 100, 0.90, -0.0008724528054071812, 0.1983829756231497, 1.6329931618554518,
       0.10247043485974941},
      {10, 10, 0, 10, 0.95, 0.6075093504305242, 1.0, 4.47213595499958, 7.74421643104407e-06},
      {10, 10, 0, 10, 0.90, 0.6988545779095998, 1.0, 4.47213595499958, 7.74421643104407e-06},
      {5, 10, 5, 10, 0.95, -0.3725136238199143, 0.3725136238199143, 0.0, 1.0},
      {5, 10, 5, 10, 0.90, -0.3262989197679078, 0.3262989197679078, 0.0, 1.0},
      {120, 400, 90, 410, 0.95, 0.020100758143846195, 0.1402441320824705, 2.6134202028748503,
       0.008964101392626428},
      {120, 400, 90, 410, 0.90, 0.029824007760874606, 0.13070699535894129, 2.6134202028748503,
       0.008964101392626428},
  };
  for (const row& r : rows) {
    INFO(r.a << "/" << r.n1 << " vs " << r.b << "/" << r.n2 << " at " << r.confidence);
    auto c = compare(rate_counter(r.a, r.n1), rate_counter(r.b, r.n2), r.confidence);
    REQUIRE(c);
    CHECK(c->confidence == r.confidence);
    CHECK(c->difference ==
          Approx(static_cast<double>(r.a) / static_cast<double>(r.n1) - static_cast<double>(r.b) / static_cast<double>(r.n2)));
    CHECK(c->difference_ci.lower == Approx(r.lower).epsilon(1e-11).margin(1e-14));
    CHECK(c->difference_ci.upper == Approx(r.upper).epsilon(1e-11).margin(1e-14));
    CHECK(c->z == Approx(r.z).epsilon(1e-12).margin(1e-14));
    CHECK(c->p_value == Approx(r.p).epsilon(1e-10).margin(1e-16));
    // At these counts the interval and the test agree.
    CHECK(c->significant() == (r.p < 1.0 - r.confidence));
  }
  // The seed numbers: same-day vs final conversion of the same 3873 buyers is no clear difference.
  auto seed = compare(rate_counter(1845, 3873), rate_counter(1808, 3873));
  CHECK(seed->verdict() == rate_verdict::no_clear_difference);
  CHECK(!seed->significant());
  auto ab = compare(rate_counter(1697, 1855), rate_counter(1650, 1855));
  CHECK(ab->verdict() == rate_verdict::a_higher);
  auto ba = compare(rate_counter(1650, 1855), rate_counter(1697, 1855));
  CHECK(ba->verdict() == rate_verdict::b_higher);
  // Antisymmetric: swapping a and b mirrors the interval.
  CHECK(ba->difference_ci.lower == Approx(-ab->difference_ci.upper));
  CHECK(ba->difference_ci.upper == Approx(-ab->difference_ci.lower));
  CHECK(ba->p_value == Approx(ab->p_value));
}

TEST_CASE("rate_counter: compare edge cases", "[rate][compare]") {
  CHECK(!compare(rate_counter{}, rate_counter(1, 2)));
  CHECK(!compare(rate_counter(1, 2), rate_counter{}));
  CHECK_THROWS_AS(compare(rate_counter(1, 2), rate_counter(1, 2), 1.5), std::invalid_argument);
  // Pooled rate 0: no evidence of a difference; statsmodels gives nan here, we give z 0, p 1.
  auto zero = compare(rate_counter(0, 10), rate_counter(0, 10));
  REQUIRE(zero);
  CHECK(zero->z == 0.0);
  CHECK(zero->p_value == 1.0);
  // statsmodels' Newcombe interval for 0/10 vs 0/10: +-0.2775327998628892 (the Wilson upper end).
  CHECK(zero->difference_ci.lower == Approx(-0.2775327998628892).epsilon(1e-12));
  CHECK(zero->difference_ci.upper == Approx(0.2775327998628892).epsilon(1e-12));
  auto all = compare(rate_counter(7, 7), rate_counter(3, 3));
  CHECK(all->p_value == 1.0);
  CHECK(all->verdict() == rate_verdict::no_clear_difference);
  // Interval stays within [-1, 1] and contains the difference.
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    const std::uint64_t n1 = 1 + rng() % 50, n2 = 1 + rng() % 5000;
    const rate_counter a(rng() % (n1 + 1), n1), b(rng() % (n2 + 1), n2);
    auto c = compare(a, b, 0.5 + 0.49 * static_cast<double>(rng() % 1000) / 1000.0);
    REQUIRE(c);
    CHECK(c->difference_ci.lower >= -1.0);
    CHECK(c->difference_ci.upper <= 1.0);
    CHECK(c->difference_ci.contains(c->difference));
    CHECK(c->p_value >= 0.0);
    CHECK(c->p_value <= 1.0);
  }
}

namespace {

rate_counter random_rate(std::mt19937_64& rng, int events) {
  rate_counter r;
  for (int i = 0; i < events; ++i) {
    if (rng() % 4 == 0)
      r.add(rng() % 3, 3 + rng() % 5);
    else
      r.add(rng() % 2 == 0);
  }
  return r;
}

}  // namespace

TEST_CASE("rate_counter: split and merge equals the whole stream", "[rate][merge]") {
  std::mt19937_64 rng(42);
  std::vector<bool> events;
  for (int i = 0; i < 5000; ++i) events.push_back(rng() % 3 == 0);
  for (int round = 0; round < 20; ++round)
    csm_test::check_split_merge([] { return rate_counter{}; }, events,
                                [](rate_counter& r, bool ok) { r.add(ok); }, rng, 1 + round % 6);
  // An empty stream too.
  csm_test::check_split_merge([] { return rate_counter{}; }, std::vector<bool>{},
                              [](rate_counter& r, bool ok) { r.add(ok); }, rng);
}

TEST_CASE("rate_counter: merge laws", "[rate][merge]") {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 50; ++i)
    csm_test::check_merge_laws(random_rate(rng, 100), random_rate(rng, 7), random_rate(rng, 1), rate_counter{});
}

TEST_CASE("rate_counter: serialize round trip and byte layout", "[rate][serde]") {
  csm_test::check_round_trip(rate_counter{});
  csm_test::check_round_trip(rate_counter(1845, 3873));
  csm_test::check_round_trip(rate_counter(u64_max, u64_max));
  std::mt19937_64 rng(5);
  for (int i = 0; i < 100; ++i) csm_test::check_round_trip(random_rate(rng, i));
  // Header + varint(1) + varint(300).
  const std::vector<std::uint8_t> expected{'C', 'S', 1, 0, 1, 0, 1, 0xAC, 0x02};
  CHECK(csm_test::bare(rate_counter(1, 300)) == expected);  // inside serialize()'s frame
  CHECK(csm_test::bare(rate_counter(u64_max, u64_max)).size() == 6 + 10 + 10);
}

TEST_CASE("rate_counter: corrupt bytes are rejected", "[rate][serde]") {
  std::mt19937_64 rng(11);
  csm_test::check_corruption(rate_counter(1845, 3873), rng, 1000);
  csm_test::check_corruption(rate_counter{}, rng, 1000);
  auto reject = [](std::vector<std::uint8_t> b) {
    CHECK_THROWS_AS(rate_counter::deserialize(b.data(), b.size()), csmetrics::deserialize_error);
  };
  reject({'C', 'S', 1, 0, 1, 0, 5, 3});           // successes 5 > trials 3
  reject({'C', 'S', 2, 0, 1, 0, 1, 3});           // type id of moments
  reject({'C', 'S', 1, 0, 2, 0, 1, 3});           // format version 2 (unknown)
  reject({'C', 'S', 1, 0, 0, 0, 1, 3});           // format version 0
  reject({'C', 'S', 1, 0, 1, 1, 1, 3});           // flags set
  reject({'X', 'S', 1, 0, 1, 0, 1, 3});           // magic
  CHECK_THROWS_AS(rate_counter::deserialize(nullptr, 0), csmetrics::deserialize_error);
  const std::vector<std::uint8_t> bad{'C', 'S', 1, 0, 1, 0, 5, 3};
  CHECK_THROWS_WITH(rate_counter::deserialize(bad.data(), bad.size()), Catch::Contains("successes <= trials"));
}

TEST_CASE("rate_counter: golden serialized form v1", "[rate][serde][golden]") {
  csm_test::check_golden(rate_counter(1845, 3873), "rate_v1.bin");
}
