// SPDX-License-Identifier: Apache-2.0
#include "csmetrics/core/moments.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "support.hpp"

using csmetrics::moments;

namespace {

constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();
const double inf = std::numeric_limits<double>::infinity();

moments of(const std::vector<double>& xs) {
  moments m;
  for (double x : xs) m.add(x);
  return m;
}

/// Reply delays in seconds: lognormal, median 45 s, clipped to [1, 600], millisecond resolution.
std::vector<double> response_times(std::mt19937_64& rng, std::size_t n) {
  std::lognormal_distribution<double> dist(std::log(45.0), 1.0);
  std::vector<double> xs(n);
  for (double& x : xs) x = std::round(std::clamp(dist(rng), 1.0, 600.0) * 1000.0) / 1000.0;
  return xs;
}

/// Two-pass mean and sample variance in long double: the reference.
struct two_pass {
  long double mean = 0, var = 0;
  explicit two_pass(const std::vector<double>& xs) {
    for (double x : xs) mean += x;
    mean /= static_cast<long double>(xs.size());
    for (double x : xs) var += (x - mean) * (x - mean);
    var /= static_cast<long double>(xs.size() - 1);
  }
};

/// The same statistics within `rel` (relative): merged states match the
/// whole stream within the error bound of moments.hpp, not bit for bit.
/// Counts, min and max must match exactly.
void check_close(const moments& got, const moments& want, double rel = 1e-12) {
  REQUIRE(got.count() == want.count());
  CHECK(got.rejected_not_finite() == want.rejected_not_finite());
  CHECK(got.rejected_out_of_range() == want.rejected_out_of_range());
  CHECK(got.min() == want.min());
  CHECK(got.max() == want.max());
  if (want.count() == 0) {
    CHECK(got == want);
    return;
  }
  CHECK(*got.mean() == Approx(*want.mean()).epsilon(rel).margin(0));
  CHECK(*got.population_variance() == Approx(*want.population_variance()).epsilon(rel).margin(0));
  CHECK(got.sum() == Approx(want.sum()).epsilon(rel).margin(0));
}

/// check_split_merge of tests/support.hpp with check_close instead of ==:
/// split `xs` at `parts - 1` random points, merge the parts in random order.
void check_split_merge_close(const std::vector<double>& xs, std::mt19937_64& rng, int parts) {
  const moments whole = of(xs);
  std::vector<std::size_t> cuts{0, xs.size()};
  std::uniform_int_distribution<std::size_t> at(0, xs.size());
  for (int i = 1; i < parts; ++i) cuts.push_back(at(rng));
  std::sort(cuts.begin(), cuts.end());
  std::vector<moments> pieces;
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
    pieces.emplace_back();
    for (std::size_t j = cuts[i]; j < cuts[i + 1]; ++j) pieces.back().add(xs[j]);
  }
  std::shuffle(pieces.begin(), pieces.end(), rng);
  moments merged;
  if (rng() % 2 == 0) {  // left fold
    for (const auto& p : pieces) merged.merge(p);
  } else {  // tree of merges, as parallel reducers do
    while (pieces.size() > 1) {
      std::vector<moments> next;
      for (std::size_t i = 0; i + 1 < pieces.size(); i += 2) {
        next.push_back(pieces[i]);
        next.back().merge(pieces[i + 1]);
      }
      if (pieces.size() % 2 == 1) next.push_back(pieces.back());
      pieces.swap(next);
    }
    merged = pieces.front();
  }
  check_close(merged, whole);
}

/// The byte layout of format v1, for crafted states: fields are
/// K, S1 total, S2 total, S1 block, S2 block, min, max.
std::vector<std::uint8_t> craft(std::uint64_t count, std::vector<double> fields, std::uint8_t version = 1,
                                std::uint8_t flags = 0) {
  csmetrics::detail::writer w;
  w.header(csmetrics::detail::type_id::moments, version, flags);
  w.varint(count);
  w.varint(0);
  w.varint(0);
  for (double f : fields) w.f64(f);
  return w.take();
}

}  // namespace

TEST_CASE("moments: empty and one value", "[moments]") {
  moments m;
  CHECK(m.empty());
  CHECK(m.count() == 0);
  CHECK(!m.mean());
  CHECK(!m.variance());
  CHECK(!m.population_variance());
  CHECK(!m.stddev());
  CHECK(!m.min());
  CHECK(!m.max());
  CHECK(m.sum() == 0.0);
  m.add(42.5);
  CHECK(m.count() == 1);
  CHECK(m.mean() == 42.5);
  CHECK(!m.variance());  // sample variance needs two values
  CHECK(m.population_variance() == 0.0);
  CHECK(m.min() == 42.5);
  CHECK(m.max() == 42.5);
  CHECK(m.sum() == 42.5);
  m.reset();
  CHECK(m == moments{});
}

TEST_CASE("moments: hand-worked values", "[moments]") {
  // Reference: Python's statistics module on exact Fractions, e.g.
  //   /usr/bin/python3 -c 'from fractions import Fraction as F; import statistics as st;
  //   xs=[12,F(455,10),80]; print(*(repr(float(f(xs))) for f in (st.mean, st.variance, st.pvariance)))'
  const moments m = of({12.0, 45.5, 80.0});
  CHECK(m.count() == 3);
  CHECK(*m.mean() == Approx(45.833333333333336).epsilon(1e-15));
  CHECK(*m.variance() == Approx(1156.0833333333333).epsilon(1e-15));
  CHECK(*m.population_variance() == Approx(770.7222222222222).epsilon(1e-15));
  CHECK(*m.stddev() == Approx(std::sqrt(1156.0833333333333)).epsilon(1e-15));
  CHECK(m.min() == 12.0);
  CHECK(m.max() == 80.0);
  CHECK(m.sum() == 137.5);
  // The source's monthly average response times 56.52, 39.13, 65.96, 42.35 s.
  const moments months = of({56.52, 39.13, 65.96, 42.35});
  CHECK(*months.mean() == Approx(50.99).epsilon(1e-15));
  CHECK(*months.variance() == Approx(156.66366666666667).epsilon(1e-14));
  CHECK(*months.population_variance() == Approx(117.49775).epsilon(1e-14));
  // Negative values and zero are ordinary values.
  const moments signs = of({-3.0, 0.0, 3.0});
  CHECK(signs.mean() == 0.0);
  CHECK(signs.variance() == 9.0);
  CHECK(signs.min() == -3.0);
}

TEST_CASE("moments: constant streams have variance exactly 0", "[moments]") {
  moments a = of(std::vector<double>(1000, 0.1));
  CHECK(a.mean() == 0.1);
  CHECK(a.variance() == 0.0);
  moments b = of(std::vector<double>(7, 0.1));
  moments c = of(std::vector<double>(3, 0.1));
  b.merge(c);  // the merged mean is clamped into [min, max]: stays exact
  b.merge(a);
  CHECK(b.count() == 1010);
  CHECK(b.mean() == 0.1);
  CHECK(b.variance() == 0.0);
}

TEST_CASE("moments: numerically stable far from zero", "[moments][accuracy]") {
  // The classic failure of sum-of-squares: 1e9 + {4, 7, 13, 16} has variance 30.
  for (double offset : {0.0, 1e6, 1e9, 1e12}) {
    INFO("offset " << offset);
    const moments m = of({offset + 4, offset + 7, offset + 13, offset + 16});
    CHECK(*m.variance() == Approx(30.0).epsilon(1e-12));
    CHECK(*m.mean() == Approx(offset + 10).epsilon(1e-15));
  }
  // And after merging halves whose shifts differ.
  moments lo = of({1e9 + 4, 1e9 + 7});
  lo.merge(of({1e9 + 13, 1e9 + 16}));
  CHECK(*lo.variance() == Approx(30.0).epsilon(1e-12));
}

TEST_CASE("moments: accuracy on response times against a long double two-pass reference", "[moments][accuracy]") {
  std::mt19937_64 rng(2024);
  for (std::size_t n : {2u, 10u, 1000u, 200000u}) {
    INFO("n = " << n);
    const std::vector<double> xs = response_times(rng, n);
    const two_pass ref(xs);
    const moments m = of(xs);
    CHECK(*m.mean() == Approx(static_cast<double>(ref.mean)).epsilon(1e-14));
    CHECK(*m.variance() == Approx(static_cast<double>(ref.var)).epsilon(1e-14));
    CHECK(m.min() == *std::min_element(xs.begin(), xs.end()));
    CHECK(m.max() == *std::max_element(xs.begin(), xs.end()));
  }
  // A drifting stream (values grow over time): K lags the mean, k > 1.
  std::vector<double> drift(300000);
  for (std::size_t i = 0; i < drift.size(); ++i) drift[i] = 1.0 + static_cast<double>(i) * 1e-3 + (i % 7) * 0.25;
  const two_pass dref(drift);
  CHECK(*of(drift).variance() == Approx(static_cast<double>(dref.var)).epsilon(1e-13));
  CHECK(*of(drift).mean() == Approx(static_cast<double>(dref.mean)).epsilon(1e-14));
  // An outlier first value (far from the mean) still within the bound.
  std::vector<double> xs = response_times(rng, 100000);
  xs.front() = 600.0;
  const two_pass ref(xs);
  CHECK(*of(xs).variance() == Approx(static_cast<double>(ref.var)).epsilon(1e-14));
}

TEST_CASE("moments: the range add gives the same bits as add(x) one by one", "[moments]") {
  std::mt19937_64 rng(77);
  std::vector<double> xs = response_times(rng, 5000);  // several blocks of 1024
  xs[17] = std::nan("");
  xs[2000] = inf;
  xs[3000] = 1e300;
  for (std::size_t start : {0u, 1u, 1023u, 1024u, 1500u}) {
    moments one = of(std::vector<double>(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(start)));
    moments range = one;
    for (std::size_t i = start; i < xs.size(); ++i) one.add(xs[i]);
    range.add(xs.begin() + static_cast<std::ptrdiff_t>(start), xs.end());
    CHECK(range == one);
  }
  CHECK(of(xs).rejected() == 3);
  // Any arithmetic value type; an empty range is a no-op.
  const std::vector<int> ints{3, 1, 4, 1, 5};
  moments m;
  m.add(ints.begin(), ints.end());
  CHECK(m == of({3, 1, 4, 1, 5}));
  m.add(ints.end(), ints.end());
  CHECK(m == of({3, 1, 4, 1, 5}));
  // All or nothing at the count limit.
  const std::vector<std::uint8_t> bytes = craft(u64_max - 2, {5.0, 0.0, 0.0, 0.0, 0.0, 5.0, 5.0});
  moments nearly = moments::deserialize(bytes.data(), bytes.size());
  const moments copy = nearly;
  const std::vector<double> three{5.0, 5.0, 5.0};
  CHECK_THROWS_AS(nearly.add(three.begin(), three.end()), std::overflow_error);
  CHECK(nearly == copy);
  nearly.add(three.begin(), three.begin() + 2);
  CHECK(nearly.count() == u64_max);
}

TEST_CASE("moments: NaN, infinities and huge values are rejected and counted", "[moments][reject]") {
  moments m = of({1.0, 2.0, 3.0});
  const moments before = m;
  m.add(std::nan(""));
  m.add(inf);
  m.add(-inf);
  m.add(2e140);
  m.add(-1e300);
  CHECK(m.count() == 3);
  CHECK(m.rejected_not_finite() == 3);
  CHECK(m.rejected_out_of_range() == 2);
  CHECK(m.rejected() == 5);
  CHECK(m.mean() == 2.0);
  CHECK(m.variance() == 1.0);
  CHECK(m.max() == 3.0);
  // The limit itself is accepted; its square summed stays finite.
  moments big;
  big.add(moments::max_magnitude);
  big.add(-moments::max_magnitude);
  CHECK(big.count() == 2);
  CHECK(std::isfinite(*big.variance()));
  CHECK(*big.variance() == Approx(2e280).epsilon(1e-15));
  // Only rejected values: still empty, but the rejections survive merge and serde.
  moments only_bad;
  only_bad.add(std::nan(""));
  CHECK(only_bad.empty());
  CHECK(!only_bad.mean());
  m.merge(only_bad);
  CHECK(m.rejected_not_finite() == 4);
  csm_test::check_round_trip(only_bad);
  csm_test::check_round_trip(m);
  (void)before;
}

TEST_CASE("moments: counts at the limit throw instead of wrapping", "[moments][overflow]") {
  // A state holding 2^64 - 1 copies of 5.0, crafted in the v1 layout.
  const std::vector<std::uint8_t> bytes = craft(u64_max, {5.0, 0.0, 0.0, 0.0, 0.0, 5.0, 5.0});
  moments full = moments::deserialize(bytes.data(), bytes.size());
  CHECK(full.count() == u64_max);
  CHECK(full.mean() == 5.0);
  const moments copy = full;
  CHECK_THROWS_AS(full.add(5.0), std::overflow_error);
  CHECK(full == copy);  // unchanged
  CHECK_THROWS_AS(full.merge(of({1.0})), std::overflow_error);
  CHECK(full == copy);
  full.merge(moments{});  // merging nothing at the limit is fine
  CHECK(full == copy);
  full.add(std::nan(""));  // a rejection is counted, not added
  CHECK(full.rejected() == 1);
}

TEST_CASE("moments: split and merge match the whole stream within 1e-12", "[moments][merge]") {
  std::mt19937_64 rng(42);
  const std::vector<double> xs = response_times(rng, 20000);
  for (int round = 0; round < 40; ++round) check_split_merge_close(xs, rng, 1 + round % 9);
  // Many small parts, and streams far from zero.
  check_split_merge_close(xs, rng, 500);
  std::vector<double> far(xs);
  for (double& x : far) x += 1e6;
  for (int round = 0; round < 10; ++round) check_split_merge_close(far, rng, 2 + round);
  // Tiny streams (parts of size 0 and 1).
  for (int round = 0; round < 50; ++round)
    check_split_merge_close(std::vector<double>(xs.begin(), xs.begin() + round % 5), rng, 3);
}

TEST_CASE("moments: merge laws (commutative exactly, associative within 1e-12, empty is identity)",
          "[moments][merge]") {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 50; ++i) {
    const moments a = of(response_times(rng, 1 + rng() % 500));
    const moments b = of(response_times(rng, 1 + rng() % 50));
    const moments c = of(response_times(rng, 1 + rng() % 5));
    moments ab = a, ba = b;
    ab.merge(b);
    ba.merge(a);
    CHECK(ab == ba);  // symmetric formula: the same bits
    moments ab_c = ab, bc = b;
    ab_c.merge(c);
    bc.merge(c);
    moments a_bc = a;
    a_bc.merge(bc);
    check_close(ab_c, a_bc);
    moments ae = a, ea;
    ae.merge(moments{});
    ea.merge(a);
    CHECK(ae == a);
    CHECK(ea == a);
  }
}

TEST_CASE("moments: serialize round trip and byte layout", "[moments][serde]") {
  csm_test::check_round_trip(moments{});
  csm_test::check_round_trip(of({42.0}));
  csm_test::check_round_trip(of({-1.5, 0.0, 1e100}));
  std::mt19937_64 rng(5);
  for (int i = 0; i < 50; ++i) {
    moments m = of(response_times(rng, static_cast<std::size_t>(i) * 7));
    if (i % 3 == 0) m.merge(of(response_times(rng, 10)));
    if (i % 4 == 0) m.add(std::nan(""));
    csm_test::check_round_trip(m);
  }
  // Empty: header + three zero varints.
  const std::vector<std::uint8_t> empty{'C', 'S', 2, 0, 1, 0, 0, 0, 0};
  CHECK(csm_test::bare(moments{}) == empty);
  // Two values: after the second (a power of two) K moved to the mean 1.5,
  // S1 = 0, S2 = M2 = 0.5 and the block is empty.
  CHECK(csm_test::bare(of({1.0, 2.0})) == craft(2, {1.5, 0.0, 0.5, 0.0, 0.0, 1.0, 2.0}));
}

TEST_CASE("moments: corrupt bytes are rejected", "[moments][serde]") {
  std::mt19937_64 rng(11);
  csm_test::check_corruption(of(response_times(rng, 1000)), rng, 1000);
  csm_test::check_corruption(of({7.0}), rng, 1000);
  csm_test::check_corruption(moments{}, rng, 1000);
  auto reject = [](const std::vector<std::uint8_t>& b, const char* why) {
    INFO(why);
    CHECK_THROWS_AS(moments::deserialize(b.data(), b.size()), csmetrics::deserialize_error);
  };
  const double nan = std::nan("");
  reject(craft(2, {1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 2.0}, 2), "format version 2");
  reject(craft(2, {1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 2.0}, 1, 1), "flags");
  reject(craft(2, {1.0, 1.0, 1.0, 0.0, 0.0, 2.0, 1.0}), "min > max");
  reject(craft(2, {3.0, 1.0, 1.0, 0.0, 0.0, 1.0, 2.0}), "shift above max");
  reject(craft(2, {1.0, 1.0, -1.0, 0.0, 0.0, 1.0, 2.0}), "S2 < 0");
  reject(craft(2, {1.0, nan, 1.0, 0.0, 0.0, 1.0, 2.0}), "S1 NaN");
  reject(craft(2, {1.0, 1.0, inf, 0.0, 0.0, 1.0, 2.0}), "S2 inf");
  reject(craft(2, {1.0, 1.0, 1.0, inf, 0.0, 1.0, 2.0}), "block S1 inf");
  reject(craft(2, {1.0, 1.0, 1.0, 0.0, -0.5, 1.0, 2.0}), "block S2 < 0");
  reject(craft(2, {1.0, 1.0, 1.0, 4.0, 0.0, 1.0, 2.0}), "|S1 + block| > 2 n R");
  reject(craft(2, {1.0, 1.0, 1.0, 0.0, 0.0, nan, 2.0}), "min NaN");
  reject(craft(2, {1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1e200}), "max beyond max_magnitude");
  reject(craft(2, {1.0, 5.0, 1.0, 0.0, 0.0, 1.0, 2.0}), "|S1| > 2 n R");
  reject(craft(2, {1.0, 1.0, 5.0, 0.0, 0.0, 1.0, 2.0}), "S2 > 2 n R^2");
  reject(craft(1, {1.0, 0.5, 0.0, 0.0, 0.0, 1.0, 1.0}), "one value with S1 != 0");
  reject(craft(1, {1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0}), "one value with min != max");
  reject(craft(0, {1.0}), "trailing bytes after an empty state");
  CHECK_THROWS_WITH(moments::deserialize(craft(2, {1.0, 1.0, 1.0, 0.0, 0.0, 2.0, 1.0}).data(), 6 + 3 + 56),
                    Catch::Contains("min <= max"));
}

TEST_CASE("moments: golden serialized form v1", "[moments][serde][golden]") {
  moments m = of({12.0, 45.5, 80.0, 3.25});
  m.merge(of({600.0, 1.0}));
  m.add(std::nan(""));
  m.add(1e200);
  csm_test::check_golden(m, "moments_v1.bin");
  const std::vector<std::uint8_t> golden = csm_test::read_golden("moments_v1.bin");
  const moments back = moments::deserialize(golden.data(), golden.size());
  CHECK(back.count() == 6);
  CHECK(*back.mean() == Approx((12.0 + 45.5 + 80.0 + 3.25 + 600.0 + 1.0) / 6).epsilon(1e-15));
  CHECK(back.rejected_not_finite() == 1);
  CHECK(back.rejected_out_of_range() == 1);
}
