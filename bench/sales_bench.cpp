// SPDX-License-Identifier: Apache-2.0
// Sales accumulator throughput: events/s with the money already parsed and
// with money::parse on the path, against a plain struct of counters and an
// int64 revenue sum (no keys, no distinct sets: the floor) and, when Boost is
// there, a Boost.Accumulators sum. Plus the report side: a month snapshot and
// a change decomposition.
#include "csmetrics/sales/sales.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "bench_support.hpp"

#ifdef CSMETRICS_HAVE_BOOST
#include <boost/accumulators/accumulators.hpp>
#include <boost/accumulators/statistics/count.hpp>
#include <boost/accumulators/statistics/stats.hpp>
#include <boost/accumulators/statistics/sum.hpp>
#endif

namespace {

using csmetrics::money;
using csmetrics::timestamp;

struct bench_event {
  bool is_order;
  std::uint64_t shop, person, order, agent;
  bool consulted, has_agent;
  std::string amount_text;  // "" = unknown amount
  std::optional<money> amount;
  timestamp t;
};

std::size_t event_count() { return csmetrics::bench::tiny() ? 10'000 : 1'000'000; }

/// 90 % visits, 10 % orders (5 % of them without an amount) over 10 shops,
/// 100 000 people, 30 local days.
const std::vector<bench_event>& events() {
  static const std::vector<bench_event> ev = [] {
    std::mt19937_64 rng(2019);
    std::vector<bench_event> out(event_count());
    const timestamp t0 = csmetrics::day_start(*csmetrics::parse_day("2019-09-01"));
    std::uint64_t order_id = 0;
    for (auto& e : out) {
      e.is_order = rng() % 10 == 0;
      e.shop = rng() % 10;
      e.person = rng() % 100'000;
      e.order = ++order_id;
      e.agent = rng() % 20;
      e.has_agent = rng() % 2 == 0;
      e.consulted = e.has_agent || rng() % 4 == 0;
      if (e.is_order && rng() % 20 != 0) {
        std::int64_t cents = 100 + static_cast<std::int64_t>(rng() % 50'000);
        e.amount = money::from_minor(cents);
        e.amount_text = e.amount->to_string();
      }
      e.t = t0 + std::chrono::seconds{static_cast<std::int64_t>(rng() % (30 * 86400))};
    }
    return out;
  }();
  return ev;
}

/// Adds `e` to `s`, an order with `amount`.
void add(csmetrics::sales& s, const bench_event& e, const std::optional<money>& amount) {
  if (e.is_order)
    s.order(e.shop, e.person, e.order, amount, e.consulted,
            e.has_agent ? std::optional<std::uint64_t>(e.agent) : std::nullopt, e.t);
  else
    s.visit(e.shop, e.person, e.t);
}

/// The floor: what a hand-written loop of totals costs (no keys, no days, no
/// distinct people, no duplicate check).
struct plain_totals {
  std::uint64_t visits = 0, orders = 0, orders_without_amount = 0;
  std::int64_t revenue_cents = 0;
};

/// Adds `e` to `p`, an order with `amount`.
void add(plain_totals& p, const bench_event& e, const std::optional<money>& amount) {
  if (!e.is_order) {
    ++p.visits;
  } else {
    ++p.orders;
    if (amount) p.revenue_cents += amount->minor();
    else ++p.orders_without_amount;
  }
}

/// Every event into a fresh `Totals` (csmetrics::sales or plain_totals) per
/// iteration; `Parse`: each order's amount parsed from its text on the way
/// (money::parse), else taken as parsed already.
template <class Totals, bool Parse>
void add_each_iteration(benchmark::State& state) {
  const auto& ev = events();
  for (auto _ : state) {
    Totals t;
    for (const auto& e : ev) {
      if constexpr (Parse) {
        std::optional<money> amount;
        if (e.is_order && !e.amount_text.empty()) amount = money::parse(e.amount_text);
        add(t, e, amount);
      } else {
        add(t, e, e.amount);
      }
    }
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * ev.size()));
}

void BM_sales_add(benchmark::State& state) { add_each_iteration<csmetrics::sales, false>(state); }
BENCHMARK(BM_sales_add)->Unit(benchmark::kMillisecond);

void BM_sales_add_parse(benchmark::State& state) { add_each_iteration<csmetrics::sales, true>(state); }
BENCHMARK(BM_sales_add_parse)->Unit(benchmark::kMillisecond);

void BM_baseline_struct_add(benchmark::State& state) { add_each_iteration<plain_totals, false>(state); }
BENCHMARK(BM_baseline_struct_add)->Unit(benchmark::kMillisecond);

void BM_baseline_struct_add_parse(benchmark::State& state) { add_each_iteration<plain_totals, true>(state); }
BENCHMARK(BM_baseline_struct_add_parse)->Unit(benchmark::kMillisecond);

#ifdef CSMETRICS_HAVE_BOOST
void BM_boost_accumulators_sum(benchmark::State& state) {
  namespace ba = boost::accumulators;
  const auto& ev = events();
  for (auto _ : state) {
    ba::accumulator_set<std::int64_t, ba::stats<ba::tag::sum, ba::tag::count>> revenue;
    std::uint64_t visits = 0;
    for (const auto& e : ev) {
      if (!e.is_order) ++visits;
      else if (e.amount) revenue(e.amount->minor());
    }
    benchmark::DoNotOptimize(visits);
    benchmark::DoNotOptimize(ba::sum(revenue));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * ev.size()));
}
BENCHMARK(BM_boost_accumulators_sum)->Unit(benchmark::kMillisecond);
#endif

const csmetrics::sales& filled() {
  static const csmetrics::sales s = [] {
    csmetrics::sales x;
    for (const auto& e : events()) add(x, e, e.amount);
    return x;
  }();
  return s;
}

void BM_sales_snapshot_month(benchmark::State& state) {
  const csmetrics::sales& s = filled();
  csmetrics::sales::query q = s.query_for(csmetrics::sales_period::month(2019, 9));
  q.shop = 3;
  for (auto _ : state) benchmark::DoNotOptimize(s.snapshot(q));
}
BENCHMARK(BM_sales_snapshot_month)->Unit(benchmark::kMicrosecond);

void BM_sales_decompose_change(benchmark::State& state) {
  const csmetrics::sales& s = filled();
  const auto a = s.snapshot(s.query_for(csmetrics::sales_period::iso_week(*csmetrics::parse_day("2019-09-02"))));
  const auto b = s.snapshot(s.query_for(csmetrics::sales_period::iso_week(*csmetrics::parse_day("2019-09-09"))));
  for (auto _ : state) benchmark::DoNotOptimize(csmetrics::decompose_change(a, b));
}
BENCHMARK(BM_sales_decompose_change)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
