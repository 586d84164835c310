// SPDX-License-Identifier: Apache-2.0
// Every merge is all or nothing (issue 22): a merge that throws part-way (a
// sum or count would overflow) leaves its target byte for byte as it was.
// Each case gives the other side enough to merge before the failing part,
// so a merge that changed its target step by step would be caught.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "csmetrics/core/day_window.hpp"
#include "csmetrics/core/keyed.hpp"
#include "csmetrics/core/rate.hpp"
#include "csmetrics/io/event_csv.hpp"
#include "csmetrics/orders/orders.hpp"
#include "csmetrics/ratings/ratings.hpp"
#include "csmetrics/sales/sales.hpp"
#include "csmetrics/sessions/sessions.hpp"
#include "csmetrics/shop_metrics.hpp"
#include "support.hpp"

using namespace csmetrics;
using csm_test::bare;

namespace {

constexpr std::uint64_t max64 = std::numeric_limits<std::uint64_t>::max();
// Two of these overflow any 64-bit money sum; one is a valid amount.
const money huge = money::from_minor(std::numeric_limits<std::int64_t>::max() / 2 + 1);

timestamp at(int day, int hour = 10, int second = 0) {
  return timestamp{std::chrono::seconds{1567267200 + day * 86400 + hour * 3600 + second}};  // 2019-09-01 UTC
}

/// A state like `one` whose only counter that differs from `two` (n there,
/// n + 1 in `two`: one varint byte) is 2^64 - 1: made from bytes, since
/// nobody counts 2^64 events in a test.
template <class Acc>
Acc with_counter_at_max(const Acc& one, const Acc& two) {
  std::vector<std::uint8_t> a = bare(one);
  const std::vector<std::uint8_t> b = bare(two);
  REQUIRE(a.size() == b.size());
  std::size_t at_byte = a.size();
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) {
      REQUIRE(at_byte == a.size());  // exactly one byte differs
      at_byte = i;
    }
  REQUIRE(at_byte < a.size());
  REQUIRE(a[at_byte] < 0x7f);  // a one-byte varint
  REQUIRE(b[at_byte] == a[at_byte] + 1);
  static const std::uint8_t varint_max[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  a.erase(a.begin() + static_cast<std::ptrdiff_t>(at_byte));
  a.insert(a.begin() + static_cast<std::ptrdiff_t>(at_byte), varint_max, varint_max + 10);
  return Acc::deserialize(a.data(), a.size());
}

/// `merge` throws std::overflow_error and leaves `target` unchanged.
template <class Acc, class Merge>
void check_unchanged_on_overflow(Acc& target, Merge merge) {
  const std::vector<std::uint8_t> before = bare(target);
  CHECK_THROWS_AS(merge(target), std::overflow_error);
  CHECK(bare(target) == before);
}

}  // namespace

TEST_CASE("keyed: a child that would overflow leaves every key as it was", "[merge][keyed]") {
  keyed<int, rate_counter> a, b;
  for (int k = 0; k < 100; ++k) {
    a[k] = rate_counter(0, 5);
    b[k] = rate_counter(1, 7);
  }
  a[50] = rate_counter(0, max64);
  for (int k = 100; k < 200; ++k) b[k] = rate_counter(1, 1);  // new keys too
  CHECK_FALSE(a.merges_cleanly(b));
  check_unchanged_on_overflow(a, [&](auto& t) { t.merge(b); });
  check_unchanged_on_overflow(a, [&](auto& t) { t.merge(keyed<int, rate_counter>(b)); });
  CHECK(a.size() == 100);
  b.erase(50);
  CHECK(a.merges_cleanly(b));
  a.merge(b);
  CHECK(a.find(1)->trials() == 12);
  CHECK(a.size() == 200);
}

TEST_CASE("keyed of values without merges_cleanly merges into a copy", "[merge][keyed][day_window]") {
  keyed<int, day_window<rate_counter>> a(day_window<rate_counter>(7)), b(day_window<rate_counter>(7));
  for (int k = 0; k < 50; ++k) {
    a[k].add(at(0), true);
    b[k].add(at(1), false);  // another day: merges cleanly
  }
  a[25].at(at(0))->add(0, max64 - 1);  // the day holds 2^64 - 1 trials
  b[25].add(at(0), true);
  check_unchanged_on_overflow(a, [&](auto& t) { t.merge(b); });
}

TEST_CASE("day_window: a day that would overflow leaves every day as it was", "[merge][day_window]") {
  day_window<rate_counter> w(7), v(7);
  w.add(at(1), false);
  w.at(at(1))->add(0, max64 - 1);
  for (int d = 0; d < 7; ++d) v.add(at(d), true);  // the newer days merge first
  check_unchanged_on_overflow(w, [&](auto& t) { t.merge(v); });
  CHECK(w.newest_day() == local_day(at(1)));
}

TEST_CASE("orders: a revenue sum that would overflow leaves the state as it was", "[merge][orders]") {
  string_orders a, b;
  a.inquiry("s", "x", at(0, 9));
  REQUIRE(a.order("s", "x", "o1", huge, std::nullopt, at(0)));
  REQUIRE(a.payment("s", "o1", huge, std::nullopt, at(0, 11)));
  for (int i = 0; i < 20; ++i) b.inquiry("s", "q" + std::to_string(i), at(2, 9));  // merged before the sums
  b.visit("s", "y", at(3));
  REQUIRE(b.order("s", "y", "o2", huge, std::nullopt, at(3)));
  REQUIRE(b.payment("s", "o2", huge, std::nullopt, at(3, 11)));  // another payment day
  check_unchanged_on_overflow(a, [&](auto& t) { t.merge(b); });
}

TEST_CASE("sales: a revenue sum that would overflow leaves the state as it was", "[merge][sales]") {
  string_sales a, b;
  REQUIRE(a.order("s", "x", "o1", huge, false, std::nullopt, at(0)));
  for (int i = 0; i < 50; ++i) b.visit("t" + std::to_string(i), "v", at(0));  // other shops' cells
  REQUIRE(b.order("s", "y", "o2", huge, false, std::nullopt, at(0)));         // the same cell: overflow
  check_unchanged_on_overflow(a, [&](auto& t) { t.merge(b); });
}

TEST_CASE("sessions: a counter that would overflow leaves the state as it was", "[merge][sessions]") {
  using tracker = sessions<std::string, std::string, std::string>;
  auto with_rejects = [](int n) {
    tracker s;
    s.buyer_message("s", "x", at(0));
    s.agent_message("s", "x", "ann", at(0, 10, 20));
    for (int i = 0; i < n; ++i) s.agent_message("s", "nobody", "ann", at(0, 11));  // a reply before any question
    return s;
  };
  tracker a = with_counter_at_max(with_rejects(1), with_rejects(2));
  tracker b;
  for (int i = 0; i < 30; ++i) {  // cells and conversations merged before the counter
    const std::string buyer = "b" + std::to_string(i);
    b.buyer_message("t", buyer, at(1));
    b.agent_message("t", buyer, "bob", at(1, 10, 30));
  }
  b.agent_message("s", "nobody", "ann", at(0, 11));  // the counter at 2^64 - 1
  check_unchanged_on_overflow(a, [&](auto& t) { t.merge(b); });
}

TEST_CASE("ratings: a count that would overflow leaves the state as it was", "[merge][ratings]") {
  using shop_ratings_map = ratings<std::string, std::string>;
  auto with_reviews = [](int n) {
    shop_ratings_map r;
    for (int i = 0; i < n; ++i) r.review("s", 5, at(0));
    return r;
  };
  shop_ratings_map a = with_counter_at_max(with_reviews(1), with_reviews(2));
  shop_ratings_map b;
  for (int i = 0; i < 30; ++i) b.review("t" + std::to_string(i), 4, at(0));  // other shops
  b.review("s", 5, at(0));
  check_unchanged_on_overflow(a, [&](auto& t) { t.merge(b); });
  check_unchanged_on_overflow(a, [&](auto& t) { t.merge(shop_ratings_map(b)); });
}

TEST_CASE("shop_metrics: a family merge that would overflow leaves the state as it was", "[merge][shop_metrics]") {
  auto from_csv = [](const std::string& rows) {
    const std::string csv = "time,type,shop,buyer,agent,order,amount,score,tag\n" + rows;
    event_csv_reader in(csv);
    shop_metrics m;
    event e;
    while (in.next(e)) REQUIRE(m.add(e));
    return m;
  };
  // Each state's amounts fit (one order each); together they overflow the
  // shop's order sums.
  const std::string huge_amount = huge.to_string();
  shop_metrics a = from_csv("2019-09-01T10:00:00+08:00,order,s,x,,o1," + huge_amount + ",,\n");
  std::string rows;
  for (int i = 0; i < 30; ++i) rows += "2019-09-01T12:00:00+08:00,visit,t" + std::to_string(i) + ",v,,,,,\n";
  shop_metrics b = from_csv(rows + "2019-09-01T13:00:00+08:00,order,s,y,,o2," + huge_amount + ",,\n");
  check_unchanged_on_overflow(a, [&](auto& t) { t.merge(b); });
}
