// SPDX-License-Identifier: Apache-2.0
#include "csmetrics/core/quantile_sketch.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include "support.hpp"

using csmetrics::quantile_sketch;
using csmetrics::detail::log_buckets;

namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_v = std::numeric_limits<double>::infinity();

/// The rank convention of quantile_sketch::quantile: the lower order
/// statistic at 0-based rank floor(q * (n - 1)).
std::size_t rank_of(double q, std::size_t n) {
  return static_cast<std::size_t>(q * static_cast<double>(n - 1));
}

/// The exact order statistic of that rank.
double exact_quantile(std::vector<double> v, double q) {
  auto nth = v.begin() + static_cast<std::ptrdiff_t>(rank_of(q, v.size()));
  std::nth_element(v.begin(), nth, v.end());
  return *nth;
}

double rel_error(double estimate, double exact) { return std::abs(estimate - exact) / exact; }

/// Lognormal response times with median `median` seconds, rounded to ms.
std::vector<double> lognormal(std::size_t n, double median, double sigma, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> d(std::log(median), sigma);
  std::vector<double> v(n);
  for (auto& x : v) x = std::max(0.001, std::round(d(rng) * 1000.0) / 1000.0);
  return v;
}

/// Pareto(x_m = 1 s, shape 1.2): a heavy tail (infinite variance).
std::vector<double> pareto(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> v(n);
  for (auto& x : v) x = std::min(quantile_sketch::max_value, std::pow(1.0 - u(rng), -1.0 / 1.2));
  return v;
}

quantile_sketch sketch_of(const std::vector<double>& v, double alpha = 0.01) {
  quantile_sketch s(alpha);
  for (double x : v) s.add(x);
  return s;
}

/// A random mix of every kind of input, with weights.
std::vector<std::pair<double, std::uint64_t>> mixed_events(std::size_t n, std::mt19937_64& rng) {
  std::lognormal_distribution<double> d(std::log(45.0), 1.2);
  std::vector<std::pair<double, std::uint64_t>> ev(n);
  for (auto& e : ev) {
    const unsigned kind = static_cast<unsigned>(rng() % 100);
    double x = d(rng);
    if (kind == 0) x = 0.0;
    if (kind == 1) x = 1e-5;
    if (kind == 2) x = 5e7;
    if (kind == 3) x = nan_v;
    if (kind == 4) x = -3.0;
    if (kind == 5) x = -inf_v;
    if (kind == 6) x = 45.0;
    e = {x, kind < 90 ? 1 : 1 + rng() % 5};
  }
  return ev;
}

}  // namespace

// ------------------------------------------------------------ the mapping

TEST_CASE("log_buckets: every bucket is at most gamma wide", "[mapping]") {
  for (double alpha : {0.001, 0.005, 0.01, 0.02, 0.1}) {
    INFO("alpha " << alpha);
    log_buckets m(alpha);
    const int lo = m.index(quantile_sketch::min_value);
    const int hi = m.index(quantile_sketch::max_value);
    double worst = 0.0;
    for (int k = lo; k <= hi; ++k) {
      const double l = m.lower_bound(k), u = m.lower_bound(k + 1);
      REQUIRE(l < u);
      worst = std::max(worst, (u - l) / (u + l));
      const double rep = m.representative(k);
      REQUIRE(rep > l);
      REQUIRE(rep < u);
    }
    CHECK(worst <= alpha);
    // Not much narrower either (buckets are not wasted) where the whole
    // number of buckets per octave is close to the real one.
    if (alpha == 0.01 || alpha == 0.001) CHECK(worst > alpha * 0.999);
  }
}

TEST_CASE("log_buckets: stand-in log2 is exact at powers of two and inverts", "[mapping]") {
  for (int e = -20; e <= 30; ++e) CHECK(log_buckets::approx_log2(std::ldexp(1.0, e)) == e);
  CHECK(log_buckets::approx_log2(1.5) == Approx(0.5 * (6.0 / 35 * 0.25 - 0.6 * 0.5 + 10.0 / 7)).epsilon(1e-15));
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> t(-12.0, 23.0);
  for (int i = 0; i < 100000; ++i) {
    const double x = std::exp2(t(rng));
    const double l = log_buckets::approx_log2(x);
    const double e = std::floor(l);
    REQUIRE(log_buckets::approx_exp2(static_cast<int>(e), l - e) == Approx(x).epsilon(1e-14));
  }
  // Buckets per octave: ceil(7 / (10 ln2) / log2((1 + a) / (1 - a))).
  CHECK(log_buckets(0.01).per_octave() == 35);
  CHECK(log_buckets(0.001).per_octave() == 350);
  CHECK(log_buckets(0.1).per_octave() == 4);
  CHECK(log_buckets(0.01).index(1.0) == 0);
  CHECK(log_buckets(0.01).index(2.0) == 35);
  CHECK(log_buckets(0.01).index(0.5) == -35);
  CHECK(log_buckets(0.01).index(std::nextafter(2.0, 0.0)) == 34);
  CHECK(log_buckets(0.01).lower_bound(-35) == 0.5);
  CHECK(log_buckets(0.01).lower_bound(70) == 4.0);
}

TEST_CASE("log_buckets: every value is within alpha of its bucket's value", "[mapping]") {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> t(std::log2(quantile_sketch::min_value), std::log2(quantile_sketch::max_value));
  for (double alpha : {0.001, 0.01, 0.1}) {
    log_buckets m(alpha);
    double worst = 0.0;
    for (int i = 0; i < 300000; ++i) {
      const double x = std::exp2(t(rng));
      worst = std::max(worst, rel_error(m.representative(m.index(x)), x));
    }
    INFO("alpha " << alpha << " worst " << worst);
    CHECK(worst <= alpha);
    if (alpha != 0.1) CHECK(worst > alpha * 0.9);  // the bound is tight, not loose
    // The boundaries: just above L_k is bucket k, just below is k - 1.
    for (int k = m.index(0.01); k < m.index(1000.0); ++k) {
      const double l = m.lower_bound(k);
      REQUIRE(m.index(l * (1 + 1e-11)) == k);
      REQUIRE(m.index(l * (1 - 1e-11)) == k - 1);
    }
  }
}

TEST_CASE("log_buckets: index is monotone", "[mapping]") {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> t(-10.0, 22.0);
  std::vector<double> v(200000);
  for (auto& x : v) x = std::exp2(t(rng));
  std::sort(v.begin(), v.end());
  log_buckets m(0.01);
  for (std::size_t i = 1; i < v.size(); ++i) REQUIRE(m.index(v[i - 1]) <= m.index(v[i]));
  // Adjacent doubles around an octave boundary.
  double x = 2.0;
  for (int i = 0; i < 1000; ++i) x = std::nextafter(x, 0.0);
  int prev = m.index(x);
  for (int i = 0; i < 2000; ++i) {
    x = std::nextafter(x, 4.0);
    REQUIRE(m.index(x) >= prev);
    prev = m.index(x);
  }
}

// ------------------------------------------------------- configuration

TEST_CASE("quantile_sketch: configuration is validated", "[config]") {
  CHECK_THROWS_AS(quantile_sketch(0.0), std::invalid_argument);
  CHECK_THROWS_AS(quantile_sketch(0.0009), std::invalid_argument);
  CHECK_THROWS_AS(quantile_sketch(0.11), std::invalid_argument);
  CHECK_THROWS_AS(quantile_sketch(nan_v), std::invalid_argument);
  CHECK_NOTHROW(quantile_sketch(0.001));
  CHECK_NOTHROW(quantile_sketch(0.1));
  CHECK_THROWS_AS(quantile_sketch(0.01, {0.0}), std::invalid_argument);
  CHECK_THROWS_AS(quantile_sketch(0.01, {3e6}), std::invalid_argument);
  CHECK_THROWS_AS(quantile_sketch(0.01, {nan_v}), std::invalid_argument);
  CHECK_THROWS_AS(quantile_sketch(0.01, std::vector<double>(17, 1.0)), std::invalid_argument);
  CHECK_THROWS_WITH(quantile_sketch(0.2), Catch::Contains("[0.001, 0.1]"));

  quantile_sketch s(0.02, {60.0, 45.0, 60.0, 10.0});
  CHECK(s.thresholds() == std::vector<double>{10.0, 45.0, 60.0});
  CHECK(s.relative_accuracy() == 0.02);
  CHECK(quantile_sketch().thresholds() == std::vector<double>{45.0});
  CHECK(quantile_sketch().relative_accuracy() == 0.01);
  CHECK(quantile_sketch(0.01, {}).thresholds().empty());
  CHECK(quantile_sketch(0.01, {60.0, 45.0}) == quantile_sketch(0.01, {45.0, 60.0}));
  CHECK(quantile_sketch(0.01) != quantile_sketch(0.02));
  CHECK(quantile_sketch(0.01, {45.0}) != quantile_sketch(0.01, {60.0}));
}

TEST_CASE("quantile_sketch: empty sketch", "[basic]") {
  quantile_sketch s;
  CHECK(s.empty());
  CHECK(s.count() == 0);
  CHECK_FALSE(s.quantile(0.5).has_value());
  CHECK(s.count_at_most(45.0) == 0);
  CHECK(s.bucket_count() == 0);
  CHECK(s.rejected() == 0);
  CHECK_THROWS_AS(s.quantile(-0.01), std::invalid_argument);
  CHECK_THROWS_AS(s.quantile(1.01), std::invalid_argument);
  CHECK_THROWS_AS(s.quantile(nan_v), std::invalid_argument);
  CHECK_THROWS_AS(s.count_at_most(30.0), std::invalid_argument);
  CHECK_THROWS_WITH(s.count_at_most(30.0), Catch::Contains("45.0"));
  CHECK(s.memory_bytes() <= sizeof(quantile_sketch) + 32);  // + one threshold
}

// ---------------------------------------------------- hand-worked cases

TEST_CASE("quantile_sketch: rank convention is the lower order statistic floor(q (n-1))", "[quantile]") {
  quantile_sketch s;
  for (int i = 1; i <= 100; ++i) s.add(static_cast<double>(i));
  // Neighbours 1 % apart would share a bucket; these are >= 1 % apart, so
  // the answer pins the rank: 50 not 51 for p50 (rank 49 of 0..99).
  CHECK(*s.quantile(0.5) == Approx(50.0).epsilon(0.01));
  CHECK(*s.quantile(0.9) == Approx(90.0).epsilon(0.01));   // rank floor(89.1) = 89
  CHECK(*s.quantile(0.99) == Approx(99.0).epsilon(0.01));  // rank floor(98.01) = 98
  CHECK(*s.quantile(0.0) == Approx(1.0).epsilon(0.01));
  CHECK(*s.quantile(1.0) == Approx(100.0).epsilon(0.01));
  CHECK(*s.quantile(0.505) == Approx(50.0).epsilon(0.01));  // rank floor(49.995) = 49
  CHECK(*s.quantile(0.506) == Approx(51.0).epsilon(0.01));  // rank floor(50.094) = 50

  // Weights count as that many values: {7, 7, 7, 20}.
  quantile_sketch w;
  w.add(7.0, 3);
  w.add(20.0, 1);
  CHECK(w.count() == 4);
  CHECK(*w.quantile(0.5) == Approx(7.0).epsilon(0.01));   // rank 1
  CHECK(*w.quantile(0.67) == Approx(7.0).epsilon(0.01));  // rank floor(2.01) = 2
  CHECK(*w.quantile(0.99) == Approx(7.0).epsilon(0.01));  // rank floor(2.97) = 2
  CHECK(*w.quantile(1.0) == Approx(20.0).epsilon(0.01));  // rank 3
  w.add(3.0, 0);  // weight 0: nothing happened
  CHECK(w.count() == 4);

  quantile_sketch one;
  one.add(12.345);
  for (double q : {0.0, 0.5, 1.0}) CHECK(rel_error(*one.quantile(q), 12.345) <= 0.01);
}

TEST_CASE("quantile_sketch: quantiles() answers each q as quantile(q), in one pass", "[quantile]") {
  std::vector<double> qs;
  for (int k = 0; k <= 1000; ++k) qs.push_back(k / 1000.0);
  qs.push_back(1.0);  // repeated qs are allowed
  std::mt19937_64 rng(5);
  // Empty, the pair form (few buckets), the dense array, zeros and clamped values.
  for (int n : {0, 1, 7, 40, 3000}) {
    quantile_sketch s;
    for (int i = 0; i < n; ++i) {
      const auto r = rng() % 100;
      s.add(r < 5 ? 0.0 : r < 8 ? 1e9 : std::exp(static_cast<double>(rng() % 20000) / 1000.0 - 6.0));
    }
    const std::vector<double> all = s.quantiles(qs);
    if (n == 0) {
      CHECK(all.empty());
      continue;
    }
    REQUIRE(all.size() == qs.size());
    for (std::size_t k = 0; k < qs.size(); ++k) CHECK(all[k] == *s.quantile(qs[k]));
  }
  quantile_sketch s;
  s.add(3.0);
  CHECK(s.quantiles({}).empty());
  CHECK_THROWS_AS(s.quantiles({0.5, 0.4}), std::invalid_argument);
  CHECK_THROWS_AS(s.quantiles({0.5, 1.5}), std::invalid_argument);
  CHECK_THROWS_AS(quantile_sketch().quantiles({-0.1}), std::invalid_argument);
}

TEST_CASE("quantile_sketch: zero, clamped and rejected values", "[basic]") {
  quantile_sketch s(0.01, {0.001, 45.0, quantile_sketch::max_value});
  s.add(0.0);
  s.add(-0.0);  // -0.0 is an instant reply too
  CHECK(s.zero_count() == 2);
  CHECK(*s.quantile(0.5) == 0.0);  // exactly zero
  s.add(1e-6, 2);                  // below 1 ms
  s.add(std::numeric_limits<double>::denorm_min());
  s.add(5e7);  // above 30 days
  CHECK(s.clamped_low() == 3);
  CHECK(s.clamped_high() == 1);
  CHECK(s.count() == 6);
  CHECK(*s.quantile(0.0) == 0.0);
  // Clamped values are counted at the range's ends.
  CHECK(*s.quantile(0.4) == Approx(quantile_sketch::min_value).epsilon(0.01));  // rank 2
  CHECK(*s.quantile(1.0) == Approx(quantile_sketch::max_value).epsilon(0.01));
  // Exact counts use the true values: the tiny ones are <= 1 ms, 5e7 is
  // above even the 30-day threshold.
  CHECK(s.count_at_most(0.001) == 5);
  CHECK(s.count_at_most(45.0) == 5);
  CHECK(s.count_at_most(quantile_sketch::max_value) == 5);

  s.add(nan_v);
  s.add(inf_v, 4);
  s.add(-inf_v);
  s.add(-1.0);
  s.add(-1e-300, 2);
  CHECK(s.rejected_nan() == 1);
  CHECK(s.rejected_infinite() == 5);
  CHECK(s.rejected_negative() == 3);
  CHECK(s.rejected() == 9);
  CHECK(s.count() == 6);  // rejected values are not folded in

  s.add(std::chrono::milliseconds{1500});
  s.add(std::chrono::seconds{-2});
  CHECK(s.count() == 7);
  CHECK(s.rejected_negative() == 4);
  CHECK(*s.quantile(5.0 / 6.0) == Approx(1.5).epsilon(0.01));  // rank 5 of {0,0,c,c,c,1.5,hi}

  // The range ends themselves are not clamped.
  quantile_sketch e;
  e.add(quantile_sketch::min_value);
  e.add(quantile_sketch::max_value);
  e.add(std::nextafter(quantile_sketch::min_value, 1.0));
  e.add(std::nextafter(quantile_sketch::max_value, 0.0));
  CHECK(e.clamped_low() + e.clamped_high() == 0);
  e.add(std::nextafter(quantile_sketch::min_value, 0.0));
  CHECK(e.clamped_low() == 1);
  e.add(std::nextafter(quantile_sketch::max_value, 1e9));
  CHECK(e.clamped_high() == 1);
  CHECK(*e.quantile(0.0) == Approx(quantile_sketch::min_value).epsilon(0.01));
  CHECK(*e.quantile(1.0) == Approx(quantile_sketch::max_value).epsilon(0.01));
}

TEST_CASE("quantile_sketch: exact counts at the thresholds", "[threshold]") {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(40.0, 50.0);
  quantile_sketch s(0.01, {30.0, 45.0, 60.0});
  quantile_sketch one(0.01);  // only 45 s: the single-threshold fast path
  std::vector<double> v;
  for (int i = 0; i < 20000; ++i) {
    double x = u(rng);
    if (i % 10 == 0) x = 45.0;                              // exactly at it
    if (i % 10 == 1) x = std::nextafter(45.0, 100.0);       // one ulp above
    if (i % 10 == 2) x = std::nextafter(45.0, 0.0);         // one ulp below
    if (i % 10 == 3) x = std::round(u(rng) * 1000) / 1000;  // ms resolution
    v.push_back(x);
    s.add(x);
  }
  one.add(v.data(), v.size());
  for (double t : {30.0, 45.0, 60.0}) {
    const auto exact = static_cast<std::uint64_t>(std::count_if(v.begin(), v.end(), [t](double x) { return x <= t; }));
    CHECK(s.count_at_most(t) == exact);
    if (t == 45.0) CHECK(one.count_at_most(t) == exact);
  }
  CHECK(s.count_at_most(30.0) == 0);
  CHECK(s.count_at_most(60.0) == 20000);
  // 45 s and its neighbours share one bucket: the bucket alone could not
  // tell them apart.
  log_buckets m(0.01);
  CHECK(m.index(45.0) == m.index(std::nextafter(45.0, 100.0)));
}

// ------------------------------------------------- the error guarantee

TEST_CASE("quantile_sketch: within alpha of the exact order statistic, any input order", "[quantile][accuracy]") {
  const std::size_t n = 200000;
  struct dataset {
    const char* name;
    std::vector<double> values;
  };
  std::vector<dataset> sets;
  sets.push_back({"lognormal", lognormal(n, 45.0, 1.0, 1)});
  sets.push_back({"pareto", pareto(n, 2)});
  for (auto& d : sets) {
    std::vector<std::pair<const char*, std::vector<double>>> orders;
    orders.emplace_back("random", d.values);
    auto sorted = d.values;
    std::sort(sorted.begin(), sorted.end());
    orders.emplace_back("sorted", sorted);
    orders.emplace_back("reverse", std::vector<double>(sorted.rbegin(), sorted.rend()));
    // Drifting: the level rises tenfold over the stream (a slowing day).
    auto drift = d.values;
    for (std::size_t i = 0; i < n; ++i) drift[i] *= 1.0 + 9.0 * static_cast<double>(i) / static_cast<double>(n);
    orders.emplace_back("drifting", drift);
    for (double alpha : {0.01, 0.001}) {
      std::optional<quantile_sketch> first;
      for (auto& [order, v] : orders) {
        quantile_sketch s = sketch_of(v, alpha);
        REQUIRE(s.count() == n);
        for (double q : {0.0, 0.5, 0.9, 0.99, 0.999, 1.0}) {
          const double exact = exact_quantile(v, q);
          const double est = *s.quantile(q);
          INFO(d.name << " " << order << " alpha " << alpha << " q " << q << ": exact " << exact << " estimate "
                      << est);
          CHECK(rel_error(est, exact) <= alpha);
        }
        // Order cannot matter at all: the same values give the same sketch.
        if (std::string(order) == "drifting") continue;  // other values
        if (!first)
          first = s;
        else
          CHECK(s == *first);
      }
    }
  }
}

TEST_CASE("quantile_sketch: within alpha at every rank of a small stream", "[quantile][accuracy]") {
  std::mt19937_64 rng(9);
  for (int round = 0; round < 20; ++round) {
    const std::size_t n = 1 + rng() % 300;
    auto v = lognormal(n, 30.0, 2.0, rng());
    quantile_sketch s(0.005);
    for (double x : v) s.add(x);
    std::sort(v.begin(), v.end());
    for (int i = 0; i <= 100; ++i) {
      const double q = i / 100.0;
      REQUIRE(rel_error(*s.quantile(q), v[rank_of(q, n)]) <= 0.005);
    }
  }
}

// -------------------------------------------------------------- merging

TEST_CASE("quantile_sketch: split and merge give an identical sketch", "[merge]") {
  std::mt19937_64 rng(21);
  auto make = [] { return quantile_sketch(0.01, {10.0, 45.0}); };
  auto add = [](quantile_sketch& s, const std::pair<double, std::uint64_t>& e) { s.add(e.first, e.second); };
  for (int round = 0; round < 20; ++round) {
    auto ev = mixed_events(1 + rng() % 5000, rng);
    csm_test::check_split_merge(make, ev, add, rng, 2 + static_cast<int>(rng() % 6));
  }
  auto ev = mixed_events(3000, rng);
  quantile_sketch a = make(), b = make(), c = make();
  for (std::size_t i = 0; i < ev.size(); ++i) add(i % 3 == 0 ? a : i % 3 == 1 ? b : c, ev[i]);
  csm_test::check_merge_laws(a, b, c, make());
  // Merged quantiles are the whole stream's, and the thresholds stay exact.
  quantile_sketch whole = make();
  for (const auto& e : ev) add(whole, e);
  quantile_sketch abc = a;
  abc.merge(b);
  abc.merge(c);
  CHECK(*abc.quantile(0.99) == *whole.quantile(0.99));
  CHECK(abc.count_at_most(45.0) == whole.count_at_most(45.0));
}

TEST_CASE("quantile_sketch: the pair form and the dense array hold the same state", "[merge][memory]") {
  // A sketch keeps up to sparse_limit buckets as pairs, then a dense array.
  // `dense_of` forces the array (33 far-off values in, then out again), so
  // every merge, subtract, query and byte is checked against the array.
  const std::vector<double> far = [] {
    std::vector<double> v;
    for (int i = 0; i <= static_cast<int>(quantile_sketch::sparse_limit); ++i) v.push_back(1e5 * std::pow(1.05, i));
    return v;
  }();
  auto make = [] { return quantile_sketch(0.01, {10.0, 45.0}); };
  auto pairs_of = [&](const std::vector<double>& v) {
    quantile_sketch s = make();
    for (double x : v) s.add(x);
    return s;
  };
  auto dense_of = [&](const std::vector<double>& v) {
    quantile_sketch s = make(), out = make();
    for (double x : far) out.add(x);
    s.merge(out);
    for (double x : v) s.add(x);
    s.subtract(out);
    return s;
  };
  std::mt19937_64 rng(23);
  std::lognormal_distribution<double> reply(std::log(45.0), 1.5);
  for (int round = 0; round < 300; ++round) {
    // Parts of 0..60 values: pairs, arrays, and pairs that overflow on merge.
    std::vector<std::vector<double>> parts(2 + rng() % 3);
    std::vector<double> all;
    for (auto& p : parts) {
      p.resize(rng() % 61);
      for (double& x : p) x = rng() % 9 == 0 ? 0.0 : std::min(reply(rng), 1e4);
      all.insert(all.end(), p.begin(), p.end());
    }
    const quantile_sketch whole_pairs = pairs_of(all), whole_dense = dense_of(all);
    INFO("round " << round << ": " << all.size() << " values, " << whole_pairs.bucket_count() << " buckets");
    REQUIRE(whole_pairs == whole_dense);
    REQUIRE(whole_pairs.serialize() == whole_dense.serialize());
    for (double q : {0.0, 0.1, 0.5, 0.9, 1.0}) REQUIRE(whole_pairs.quantile(q) == whole_dense.quantile(q));
    REQUIRE(whole_pairs.count_at_most(10.0) == whole_dense.count_at_most(10.0));
    REQUIRE(whole_pairs.count_at_most(45.0) == whole_dense.count_at_most(45.0));
    // Every part in either form, merged in a random order into either form.
    quantile_sketch merged = rng() % 2 ? make() : dense_of({});
    for (std::size_t i : {std::size_t{0}, std::size_t{1}}) std::swap(parts[i], parts[rng() % parts.size()]);
    for (const auto& p : parts) merged.merge(rng() % 2 ? pairs_of(p) : dense_of(p));
    REQUIRE(merged == whole_dense);
    REQUIRE(merged.serialize() == whole_dense.serialize());
    // Subtracting the parts back leaves the last one, in either form.
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) merged.subtract(rng() % 2 ? pairs_of(parts[i]) : dense_of(parts[i]));
    REQUIRE(merged == dense_of(parts.back()));
    REQUIRE(merged.serialize() == pairs_of(parts.back()).serialize());
    // Deserialized, a sketch of few buckets is in the pair form again.
    const quantile_sketch back = quantile_sketch::deserialize(whole_dense.serialize().data(), whole_dense.serialize().size());
    REQUIRE(back == whole_pairs);
    if (whole_pairs.bucket_count() <= quantile_sketch::sparse_limit)  // the pair form
      REQUIRE(back.bucket_count() == whole_pairs.bucket_count());
  }
  // A cell of 30 replies (most per-agent-day cells) takes under 1 KiB.
  std::vector<double> cell;
  for (int i = 0; i < 30; ++i) cell.push_back(2.0 * std::pow(1.2, i));
  const quantile_sketch small = sketch_of(cell);
  INFO("bytes " << small.memory_bytes());
  CHECK(small.bucket_count() == 30);
  CHECK(small.memory_bytes() <= 1024);
}

TEST_CASE("quantile_sketch: merge and subtract reject other configurations", "[merge]") {
  quantile_sketch a(0.01), b(0.02), c(0.01, {60.0});
  a.add(3.0);
  b.add(3.0);
  c.add(3.0);
  const quantile_sketch before = a;
  CHECK_THROWS_AS(a.merge(b), std::invalid_argument);
  CHECK_THROWS_AS(a.merge(c), std::invalid_argument);
  CHECK_THROWS_AS(a.subtract(b), std::invalid_argument);
  CHECK_THROWS_AS(a.subtract(c), std::invalid_argument);
  CHECK_THROWS_WITH(a.merge(c), Catch::Contains("different configuration"));
  CHECK(a == before);
}

TEST_CASE("quantile_sketch: subtract undoes merge; a 30-day window rolls", "[merge][subtract]") {
  std::mt19937_64 rng(31);
  std::vector<quantile_sketch> days;
  for (int d = 0; d < 40; ++d) {
    days.emplace_back();
    // Some days have outliers, so the window's range changes as they roll.
    for (const auto& e : mixed_events(d % 7 == 0 ? 2000 : 500, rng)) days.back().add(e.first * (1 + d % 5), e.second);
  }
  quantile_sketch window;
  for (int d = 0; d < 30; ++d) window.merge(days[static_cast<std::size_t>(d)]);
  for (int d = 30; d < 40; ++d) {
    window.subtract(days[static_cast<std::size_t>(d - 30)]);
    window.merge(days[static_cast<std::size_t>(d)]);
    quantile_sketch fresh;
    for (int k = d - 29; k <= d; ++k) fresh.merge(days[static_cast<std::size_t>(k)]);
    REQUIRE(window == fresh);
    REQUIRE(window.serialize() == fresh.serialize());
    REQUIRE(window.bucket_count() <= quantile_sketch::max_bucket_count(0.01));
  }
  // Subtracting everything leaves the empty sketch and frees the buckets.
  for (int d = 10; d < 40; ++d) window.subtract(days[static_cast<std::size_t>(d)]);
  CHECK(window == quantile_sketch());
  CHECK(window.empty());
  CHECK(window.bucket_count() == 0);
}

TEST_CASE("quantile_sketch: subtract rejects what is not contained", "[subtract]") {
  quantile_sketch a, b;
  a.add(10.0, 3);
  a.add(100.0);
  const quantile_sketch before = a;
  b.add(10.0, 4);  // more than a holds in that bucket
  CHECK_THROWS_AS(a.subtract(b), std::invalid_argument);
  b.reset();
  b.add(1000.0);  // a bucket a does not have
  CHECK_THROWS_AS(a.subtract(b), std::invalid_argument);
  b.reset();
  b.add(10.5);  // the neighbouring bucket of 10 s: a holds none there
  CHECK(log_buckets(0.01).index(10.5) != log_buckets(0.01).index(10.0));
  CHECK_THROWS_AS(a.subtract(b), std::invalid_argument);
  b.reset();
  b.add(nan_v);  // a rejected count a does not have
  CHECK_THROWS_AS(a.subtract(b), std::invalid_argument);
  b.reset();
  b.add(0.0);
  CHECK_THROWS_AS(a.subtract(b), std::invalid_argument);
  CHECK_THROWS_WITH(a.subtract(b), Catch::Contains("not contained"));
  CHECK(a == before);
  b.reset();
  b.add(10.0, 3);
  a.subtract(b);
  CHECK(a.count() == 1);
  CHECK(a.count_at_most(45.0) == 0);
  CHECK(*a.quantile(0.5) == Approx(100.0).epsilon(0.01));
  quantile_sketch empty;
  a.subtract(empty);
  CHECK(a.count() == 1);
}

// --------------------------------------------------------- batch, reset

TEST_CASE("quantile_sketch: batch add equals one add per value", "[basic]") {
  std::mt19937_64 rng(41);
  auto ev = mixed_events(20000, rng);
  std::vector<double> v;
  for (const auto& e : ev) v.push_back(e.first);
  for (const auto& th : {std::vector<double>{45.0}, std::vector<double>{}, std::vector<double>{1.0, 45.0, 300.0}}) {
    quantile_sketch one(0.01, th), batch(0.01, th);
    for (double x : v) one.add(x);
    batch.add(v.data(), v.size() / 2);
    batch.add(v.data() + v.size() / 2, v.size() - v.size() / 2);
    CHECK(batch == one);
  }
}

TEST_CASE("quantile_sketch: reset and overflow", "[basic]") {
  quantile_sketch s(0.01, {45.0, 60.0});
  for (const auto& x : {0.0, 1.0, 50.0, 1e9, nan_v}) s.add(x);
  s.reset();
  CHECK(s == quantile_sketch(0.01, {45.0, 60.0}));
  CHECK(s.bucket_count() == 0);
  CHECK(s.serialize() == quantile_sketch(0.01, {45.0, 60.0}).serialize());

  const std::uint64_t big = std::numeric_limits<std::uint64_t>::max();
  s.add(5.0, big);
  const quantile_sketch full = s;
  CHECK_THROWS_AS(s.add(5.0), std::overflow_error);
  CHECK_THROWS_AS(s.add(0.0), std::overflow_error);
  const double one = 7.0;
  CHECK_THROWS_AS(s.add(&one, 1), std::overflow_error);
  CHECK(s == full);
  quantile_sketch t(0.01, {45.0, 60.0});
  t.add(9.0);
  CHECK_FALSE(s.merges_cleanly(t));
  CHECK_THROWS_AS(s.merge(t), std::overflow_error);
  CHECK(s == full);
  CHECK(*s.quantile(1.0) == Approx(5.0).epsilon(0.01));
  // merges_cleanly says in advance what merge() would throw.
  CHECK(t.merges_cleanly(quantile_sketch(0.01, {45.0, 60.0})));
  CHECK_FALSE(t.merges_cleanly(quantile_sketch(0.02, {45.0, 60.0})));
  CHECK_FALSE(t.merges_cleanly(quantile_sketch(0.01, {45.0})));
}

// --------------------------------------------------------------- memory

TEST_CASE("quantile_sketch: memory stays within its bounds", "[memory]") {
  constexpr std::size_t kib = 1024;
  // A day of 1 s .. 600 s replies at 1 %, in any order.
  auto day = lognormal(100000, 45.0, 1.0, 51);
  for (auto& x : day) x = std::clamp(x, 1.0, 600.0);
  day.push_back(1.0);
  day.push_back(600.0);
  auto sorted = day;
  std::sort(sorted.begin(), sorted.end());
  for (const auto* v : {&day, &sorted}) {
    quantile_sketch s = sketch_of(*v);
    INFO("buckets " << s.bucket_count() << ", bytes " << s.memory_bytes());
    CHECK(s.memory_bytes() <= 3 * kib);
  }
  // Outward growth from the middle, the worst order for slack.
  {
    quantile_sketch s;
    for (int i = 0; i <= 400; ++i) {
      s.add(std::min(600.0, 24.5 * std::pow(1.0 + 1.0 / 50, i / 2.0)));
      s.add(std::max(1.0, 24.5 / std::pow(1.0 + 1.0 / 50, i / 2.0)));
    }
    INFO("buckets " << s.bucket_count() << ", bytes " << s.memory_bytes());
    CHECK(s.memory_bytes() <= 3 * kib);
  }
  // The whole 1 ms .. 30 days range.
  CHECK(quantile_sketch::max_bucket_count(0.01) == 1095);
  quantile_sketch all;
  for (double x = 0.0005; x < 4e6; x *= 1.001) all.add(x);
  INFO("buckets " << all.bucket_count() << ", bytes " << all.memory_bytes());
  CHECK(all.bucket_count() == 1095);
  CHECK(all.memory_bytes() <= 9 * kib);
  quantile_sketch merged;
  merged.merge(all);
  merged.merge(sketch_of(day));
  CHECK(merged.memory_bytes() <= 9 * kib);
  // A typical day (20 000 replies) serializes to at most 1 KiB; so does a
  // busy one (100 000).
  quantile_sketch typical = sketch_of(std::vector<double>(day.begin(), day.begin() + 20000));
  INFO("typical day: " << typical.serialize().size() << " bytes");
  CHECK(typical.serialize().size() <= kib);
  INFO("busy day: " << sketch_of(day).serialize().size() << " bytes");
  CHECK(sketch_of(day).serialize().size() <= kib);
}

// ---------------------------------------------------------- serialization

TEST_CASE("quantile_sketch: serialize round trip, corruption and truncation", "[serde]") {
  std::mt19937_64 rng(61);
  csm_test::check_round_trip(quantile_sketch());
  csm_test::check_round_trip(quantile_sketch(0.001, {}));
  quantile_sketch s(0.01, {10.0, 45.0});
  for (const auto& e : mixed_events(3000, rng)) s.add(e.first, e.second);
  csm_test::check_round_trip(s);
  csm_test::check_corruption(s, rng, 1000);
  quantile_sketch small;
  small.add(45.0);
  small.add(0.0);
  csm_test::check_round_trip(small);
  csm_test::check_corruption(small, rng, 1000);
  csm_test::check_corruption(quantile_sketch(), rng, 200);
}

TEST_CASE("quantile_sketch: a sketch without thresholds writes the bytes of one with them", "[serde]") {
  // response_stats counts at its thresholds itself and keeps its sketch
  // without any: serialize_with() must write what the thresholded sketch
  // would, and drop_thresholds() must undo the thresholds of a read one.
  std::mt19937_64 rng(67);
  quantile_sketch with(0.01, {45.0, 180.0}), without(0.01, {});
  for (const auto& e : mixed_events(2000, rng)) {
    with.add(e.first, e.second);
    without.add(e.first, e.second);
  }
  const double thresholds[] = {45.0, 180.0};
  const std::uint64_t at_most[] = {with.count_at_most(45.0), with.count_at_most(180.0)};
  csmetrics::detail::writer w;
  without.serialize_with(w, thresholds, at_most, 2);
  csmetrics::detail::writer expected;
  with.serialize_to(expected);
  CHECK(w.take() == expected.take());
  const auto bytes = with.serialize();
  quantile_sketch back = quantile_sketch::deserialize(bytes.data(), bytes.size());
  CHECK(back == with);
  back.drop_thresholds();
  CHECK(back == without);
  CHECK(back.thresholds().empty());
  back.add(30.0);  // no threshold left to count at
  without.add(30.0);
  CHECK(back == without);
  csmetrics::detail::writer w2;
  CHECK_THROWS_AS(with.serialize_with(w2, thresholds, at_most, 2), std::logic_error);
}

TEST_CASE("quantile_sketch: deserialize rejects invalid states", "[serde]") {
  quantile_sketch s(0.01, {45.0});
  s.add(10.0);
  s.add(50.0);
  s.add(0.0);
  const auto bytes = csm_test::bare(s);
  auto rejects = [](std::vector<std::uint8_t> b, const char* what) {
    INFO(what);
    CHECK_THROWS_WITH(quantile_sketch::deserialize(b.data(), b.size()), Catch::Contains(what));
  };
  // Layout: 6 header, 8 alpha, 8 min, 8 max, 1 n_thresholds, 8 threshold,
  // then count, zero, clamped low/high, 3 rejected, at_most, n_buckets,
  // first index, counts.
  const std::size_t count_at = 6 + 8 * 3 + 1 + 8;
  REQUIRE(bytes[count_at] == 3);
  auto b = bytes;
  b[count_at] = 4;
  rejects(b, "count == zero_count");
  b = bytes;
  b[count_at + 7] = 1;  // at_most(45) = 1, but two values are <= 45
  rejects(b, "at_most consistent");
  b = bytes;
  b[count_at + 2] = 1;  // clamped_low without a lowest bucket
  rejects(b, "clamped_low");
  b = bytes;
  b[6 + 7] = 0x40;  // alpha 2.0 (high byte of the f64)
  rejects(b, "relative_accuracy");
  b = bytes;
  b[4] = 2;
  rejects(b, "unsupported format version 2");
  // A count array padded with a zero bucket is not the canonical form.
  b = bytes;
  b[count_at + 8] = static_cast<std::uint8_t>(b[count_at + 8] + 1);  // n_buckets + 1
  b.push_back(0);
  rejects(b, "first and last bucket counts > 0");
}

TEST_CASE("quantile_sketch: golden v1 file", "[serde][golden]") {
  // Inputs from integer arithmetic only, so the file does not depend on a
  // standard library's distributions.
  quantile_sketch s(0.01, {45.0, 300.0});
  std::uint64_t state = 12345;
  for (int i = 0; i < 5000; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const double ms = static_cast<double>((state >> 33) % 600000 + 1);  // 1 ms .. 600 s
    s.add(ms / 1000.0);
  }
  s.add(0.0, 7);
  s.add(1e-4, 2);
  s.add(1e8);
  s.add(nan_v);
  s.add(-inf_v, 3);
  s.add(-5.0);
  csm_test::check_golden(s, "quantile_sketch_v1.bin");
  quantile_sketch back = quantile_sketch::deserialize(csm_test::read_golden("quantile_sketch_v1.bin").data(),
                                                       csm_test::read_golden("quantile_sketch_v1.bin").size());
  CHECK(back.count() == 5010);
  CHECK(back.zero_count() == 7);
  CHECK(back.rejected() == 5);
  CHECK(back.count_at_most(45.0) == s.count_at_most(45.0));
}
