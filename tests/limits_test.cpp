// SPDX-License-Identifier: Apache-2.0
// Overflow and memory limits of issue 10: 64-bit counters throw
// std::overflow_error at the limit and never wrap, merges near the limit
// throw and leave the target unchanged, and the memory figures the README
// states are asserted here.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "csmetrics/core/day_window.hpp"
#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/keyed.hpp"
#include "csmetrics/core/moments.hpp"
#include "csmetrics/core/money.hpp"
#include "csmetrics/orders/orders.hpp"
#include "csmetrics/core/quantile_sketch.hpp"
#include "csmetrics/core/rate.hpp"
#include "csmetrics/sessions/sessions.hpp"

using namespace csmetrics;

namespace {

constexpr std::uint64_t max64 = std::numeric_limits<std::uint64_t>::max();
constexpr std::int64_t max_i64 = std::numeric_limits<std::int64_t>::max();

/// A valid moments state of `n` values all equal to `x` (built as bytes:
/// nobody adds 2^64 values in a test).
moments moments_of(std::uint64_t n, double x) {
  detail::writer w;
  w.header(detail::type_id::moments, moments::format_version);
  w.varint(n);
  w.varint(0);
  w.varint(0);
  for (double v : {x, 0.0, 0.0, 0.0, 0.0, x, x}) w.f64(v);
  const std::vector<std::uint8_t> b = w.take();
  return moments::deserialize(b.data(), b.size());
}

timestamp sept1(double hours = 0) {
  return timestamp{std::chrono::seconds{1567267200}} + duration{static_cast<std::int64_t>(hours * 3600e6)};
}

}  // namespace

TEST_CASE("rate_counter: at 2^64 - 1 trials add and merge throw, never wrap", "[limits][rate]") {
  rate_counter full(max64 - 1, max64);
  const rate_counter before = full;
  CHECK_THROWS_AS(full.add(false), std::overflow_error);
  CHECK_THROWS_AS(full.add(true), std::overflow_error);
  CHECK_THROWS_AS(full.add(1, 1), std::overflow_error);
  CHECK(full == before);
  rate_counter half(max64 / 2, max64 / 2 + 1);
  rate_counter other = half;
  CHECK_THROWS_AS(half.merge(other), std::overflow_error);  // 2^64 trials
  CHECK(half == other);                                     // unchanged
  rate_counter fits(0, max64 / 2);
  fits.merge(rate_counter(0, max64 / 2 + 1));
  CHECK(fits.trials() == max64);  // exactly the limit is fine
}

TEST_CASE("quantile_sketch: weights at the limit throw and leave the sketch unchanged", "[limits][quantile_sketch]") {
  quantile_sketch s;
  s.add(30.0, max64 - 1);
  s.add(0.0);  // count == 2^64 - 1
  REQUIRE(s.count() == max64);
  const quantile_sketch before = s;
  CHECK_THROWS_AS(s.add(50.0), std::overflow_error);
  CHECK_THROWS_AS(s.add(0.0), std::overflow_error);
  CHECK_THROWS_AS(s.add(1e9), std::overflow_error);  // clamped values count too
  const double batch[2] = {1.0, 2.0};
  CHECK_THROWS_AS(s.add(batch, 2), std::overflow_error);
  CHECK(s == before);
  CHECK(s.count_at_most(45.0) == max64);
  // Rejected values have their own counters, checked the same way.
  s.add(-1.0, max64);
  CHECK_THROWS_AS(s.add(-1.0), std::overflow_error);
  CHECK(s.rejected_negative() == max64);

  quantile_sketch a, b;
  a.add(10.0, max64 / 2 + 1);
  b.add(20.0, max64 / 2 + 1);
  const quantile_sketch a_before = a;
  CHECK_THROWS_AS(a.merge(b), std::overflow_error);
  CHECK(a == a_before);
}

TEST_CASE("moments: the count at 2^64 - 1 throws, never wraps", "[limits][moments]") {
  moments full = moments_of(max64, 5.0);
  const moments before = full;
  CHECK_THROWS_AS(full.add(5.0), std::overflow_error);
  const double xs[1] = {5.0};
  CHECK_THROWS_AS(full.add(xs, xs + 1), std::overflow_error);
  CHECK(full == before);
  moments a = moments_of(max64 / 2 + 1, 1.0);
  const moments a_before = a;
  CHECK_THROWS_AS(a.merge(moments_of(max64 / 2 + 1, 2.0)), std::overflow_error);
  CHECK(a == a_before);
  CHECK(*a.mean() == 1.0);
}

TEST_CASE("money: overflow is detected in parse, arithmetic and sums", "[limits][money]") {
  CHECK(money::parse("92233720368547758.07").minor() == max_i64);
  CHECK_THROWS_WITH(money::parse("92233720368547758.08"), Catch::Contains("amount exceeds 92233720368547758.07"));
  CHECK_THROWS_WITH(money::parse("100000000000000000000"), Catch::Contains("amount exceeds"));
  const money top = money::from_minor(max_i64);
  CHECK_THROWS_AS(top + money::from_minor(1), std::overflow_error);
  CHECK_THROWS_AS(money::from_minor(std::numeric_limits<std::int64_t>::min()) - money::from_minor(1),
                  std::overflow_error);
  CHECK_THROWS_AS(-money::from_minor(std::numeric_limits<std::int64_t>::min()), std::overflow_error);
  CHECK_THROWS_AS(top * 2, std::overflow_error);
  money m = top;
  CHECK_THROWS_AS(m += money::from_minor(1), std::overflow_error);
  CHECK(m == top);

  money_sum s;
  s.add(top);
  const money_sum before = s;
  CHECK_THROWS_AS(s.add(money::from_minor(1)), std::overflow_error);
  CHECK(s == before);
  money_sum t;
  t.add(money::from_minor(1));
  CHECK_THROWS_AS(s.merge(t), std::overflow_error);
  CHECK(s == before);
}

TEST_CASE("keyed and day_window: a merge that overflows throws and wraps no count", "[limits][keyed][day_window]") {
  // All or nothing (tests/merge_guarantee_test.cpp has every accumulator).
  keyed<int, rate_counter> a, b;
  a[1] = rate_counter(0, 5);
  a[2] = rate_counter(0, max64);
  b[1] = rate_counter(0, 7);
  b[2] = rate_counter(0, 1);
  CHECK_THROWS_AS(a.merge(b), std::overflow_error);
  CHECK(a.find(2)->trials() == max64);
  CHECK(a.find(1)->trials() == 5);

  day_window<rate_counter> w(7), v(7);
  w.add(sept1(1), false);  // one trial
  w.at(sept1(1))->add(0, max64 - 1);
  v.add(sept1(1), true);
  CHECK_THROWS_AS(w.merge(v), std::overflow_error);
  CHECK(w.day(local_day(sept1(1)))->trials() == max64);
}

// ------------------------------------------------------------- memory figures

TEST_CASE("sessions: bytes per open conversation", "[limits][memory][sessions]") {
  // 48 bytes of conversation, 8 for the first two agents who wrote in it.
  STATIC_REQUIRE(sessions<>::conversation_state_bytes == 56);
  STATIC_REQUIRE(sessions<>::conversation_state_bytes <= 64);
  STATIC_REQUIRE(sessions<std::string, std::string, std::string>::conversation_state_bytes == 80);
  // The table grows at 7/8 load: measure the bytes per open conversation.
  sessions<> s;
  for (std::uint64_t b = 1; b <= 100000; ++b) s.buyer_message(1, b, sept1(1));
  REQUIRE(s.open_conversations() == 100000);
  const double per = static_cast<double>(s.table_bytes()) / 100000.0;
  INFO("table bytes per open conversation " << per);
  CHECK(per <= 2.0 * 56);
}

TEST_CASE("orders: at most 48 bytes per tracked buyer at the worst point", "[limits][memory][orders]") {
  STATIC_REQUIRE(sizeof(detail::orders_buyer<std::uint32_t, std::uint64_t, std::uint32_t>) == 32);
  orders acc;
  double worst = 0;
  for (std::uint64_t b = 1; b <= 229377; ++b) {
    acc.inquiry(static_cast<std::uint32_t>(b % 3), b * 7919, sept1());
    if (b >= 100000 && (b % 10000 == 0 || b == 229377))
      worst = std::max(worst, static_cast<double>(acc.buyer_state_bytes()) / static_cast<double>(acc.tracked_buyers()));
  }
  INFO("worst bytes per tracked buyer " << worst);  // 229377 is right after a rehash
  CHECK(worst <= 48.0);
}

TEST_CASE("quantile_sketch: memory of a day and of the whole range", "[limits][memory][quantile_sketch]") {
  // A busy day of replies: lognormal, median 45 s, clipped to 1..600 s, ms resolution.
  std::mt19937_64 rng(10);
  std::lognormal_distribution<double> d(std::log(45.0), 1.0);
  quantile_sketch day;
  for (int i = 0; i < 200000; ++i) day.add(std::round(std::min(600.0, std::max(1.0, d(rng))) * 1000.0) / 1000.0);
  // Every bucket of 1..600 s, to be sure of the worst case.
  for (double x = 1.0; x <= 600.0; x *= 1.001) day.add(x);
  day.add(600.0);
  INFO("buckets " << day.bucket_count() << ", memory_bytes " << day.memory_bytes());
  CHECK(day.memory_bytes() <= 3 * 1024);

  // A typical day serialized: 5 000 replies.
  quantile_sketch typical;
  for (int i = 0; i < 5000; ++i) typical.add(std::round(std::min(600.0, std::max(1.0, d(rng))) * 1000.0) / 1000.0);
  INFO("typical day serialized bytes " << typical.serialize().size());
  CHECK(typical.serialize().size() <= 1024);

  // The whole 1 ms .. 30 days range.
  quantile_sketch all;
  for (double x = quantile_sketch::min_value; x <= quantile_sketch::max_value; x *= 1.001) all.add(x);
  all.add(quantile_sketch::max_value);
  INFO("whole range buckets " << all.bucket_count() << ", memory_bytes " << all.memory_bytes());
  CHECK(all.bucket_count() <= quantile_sketch::max_bucket_count(0.01));
  CHECK(all.memory_bytes() <= 9 * 1024);
}
