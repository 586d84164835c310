// SPDX-License-Identifier: Apache-2.0
// Ratings per second and query latency for a 180-day DSR window, against a
// baseline that keeps every rating in a std::deque (dropping the expired
// ones) and rescans it for every query. CSMETRICS_BENCH_TINY=1: tiny sizes.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <deque>
#include <random>
#include <vector>

#include "bench_support.hpp"
#include "csmetrics/ratings/ratings.hpp"

namespace {

using namespace csmetrics;

using csmetrics::bench::tiny;

struct rating {
  timestamp t;
  std::uint64_t buyer;
  dsr_dimension dim;
  int score;
};

/// `n` DSR ratings spread evenly over `days` days (a few minutes late at
/// random), 20 000 buyers, scores skewed to 5.
std::vector<rating> make_ratings(std::size_t n, int days) {
  std::mt19937_64 rng(2019);
  std::vector<rating> out;
  out.reserve(n);
  const std::int64_t start = days_from_civil(2019, 1, 1) * 86400LL * 1'000'000LL;
  const std::int64_t span = static_cast<std::int64_t>(days) * 86400LL * 1'000'000LL;
  for (std::size_t i = 0; i < n; ++i) {
    std::int64_t us = start + span / static_cast<std::int64_t>(n) * static_cast<std::int64_t>(i);
    us -= static_cast<std::int64_t>(rng() % 600'000'000ULL);
    const unsigned r = static_cast<unsigned>(rng() % 100);
    const int score = r < 70 ? 5 : r < 85 ? 4 : r < 92 ? 3 : r < 96 ? 2 : 1;
    out.push_back({timestamp{duration{us}}, rng() % 20000, static_cast<dsr_dimension>(i % 3), score});
  }
  return out;
}

/// The baseline: every rating kept; a query rescans the deque.
class deque_baseline {
 public:
  explicit deque_baseline(int window_days, utc_offset offset = {}) : n_(window_days), offset_(offset) {}
  void add(const rating& r) {
    const day_number d = local_day(r.t, offset_);
    if (d > newest_) newest_ = d;
    kept_.push_back({d, r.dim, r.score});
    while (!kept_.empty() && kept_.front().day <= newest_ - n_) kept_.pop_front();
  }
  /// Sum and count per dimension over days d-n+1 .. d (n = the window by default).
  std::array<std::array<std::uint64_t, 2>, 3> as_of(day_number d, int n = 0) const {
    if (n == 0) n = n_;
    std::array<std::array<std::uint64_t, 2>, 3> out{};
    for (const item& x : kept_)
      if (x.day > d - n && x.day <= d) {
        auto& o = out[static_cast<std::size_t>(x.dim)];
        o[0] += static_cast<std::uint64_t>(x.score);
        ++o[1];
      }
    return out;
  }

 private:
  struct item {
    day_number day;
    dsr_dimension dim;
    int score;
  };
  int n_;
  utc_offset offset_;
  day_number newest_ = 0;
  std::deque<item> kept_;
};

std::size_t events(std::int64_t n) { return tiny() ? 2000 : static_cast<std::size_t>(n); }

/// No monthly rule (monthly_cap 0); `history_days` older days kept for
/// reports as of past days.
ratings_config uncapped(int history_days = 0) {
  ratings_config c;
  c.monthly_cap = 0;
  c.history_days = history_days;
  return c;
}

/// shop_ratings(uncapped(history_days)) holding `input`.
shop_ratings<> filled(const std::vector<rating>& input, int history_days = 0) {
  shop_ratings<> s(uncapped(history_days));
  for (const rating& r : input) s.dsr(r.dim, r.score, r.t);
  return s;
}

/// A deque_baseline of `window_days` holding `input`.
deque_baseline filled_baseline(const std::vector<rating>& input, int window_days) {
  deque_baseline b(window_days);
  for (const rating& r : input) b.add(r);
  return b;
}

// --- ratings per second ---------------------------------------------------------

/// range(0) ratings over 360 days added to a fresh `make()` every iteration
/// with `add(x, rating)`: ratings/s.
template <class Make, class Add>
void add_each_iteration(benchmark::State& state, Make make, Add add) {
  const auto input = make_ratings(events(state.range(0)), 360);
  for (auto _ : state) {
    auto x = make();
    for (const rating& r : input) add(x, r);
    benchmark::DoNotOptimize(x);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(input.size()));
}

void BM_ratings_add(benchmark::State& state) {
  const ratings_config c = uncapped();
  add_each_iteration(state, [&] { return shop_ratings<>(c); },
                     [](shop_ratings<>& s, const rating& r) { s.dsr(r.dim, r.score, r.t); });
}
BENCHMARK(BM_ratings_add)->Arg(1 << 20);

void BM_ratings_add_monthly_rule(benchmark::State& state) {
  add_each_iteration(state, [] { return shop_ratings<>(); },  // cap 3 per buyer, month and dimension
                     [](shop_ratings<>& s, const rating& r) { s.dsr(r.dim, r.score, r.t, r.buyer); });
}
BENCHMARK(BM_ratings_add_monthly_rule)->Arg(1 << 20);

void BM_deque_add(benchmark::State& state) {
  add_each_iteration(state, [] { return deque_baseline(180); }, [](deque_baseline& b, const rating& r) { b.add(r); });
}
BENCHMARK(BM_deque_add)->Arg(1 << 20);

// --- query latency: a 180-day window holding range(0) ratings -------------------

/// One new rating, then the report as of its day (the running total rolls).
void BM_ratings_add_then_query(benchmark::State& state) {
  const auto input = make_ratings(events(state.range(0)), 180);
  shop_ratings<> s = filled(input);
  const rating last = input.back();
  const day_number d = local_day(last.t);
  for (auto _ : state) {
    s.dsr(last.dim, last.score, last.t);
    benchmark::DoNotOptimize(s.dsr_as_of(last.dim, d));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ratings_add_then_query)->Arg(1 << 12)->Arg(1 << 16)->Arg(1 << 20);

/// A full report (3 DSR dimensions, after-sales, disputes) as of an earlier
/// day: N merges, independent of how many ratings the window holds.
void BM_ratings_report_past_day(benchmark::State& state) {
  const auto input = make_ratings(events(state.range(0)), 180);
  shop_ratings<> s = filled(input, 30);
  const day_number d = local_day(input.back().t) - 7;
  for (auto _ : state) benchmark::DoNotOptimize(s.report(d));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ratings_report_past_day)->Arg(1 << 12)->Arg(1 << 16)->Arg(1 << 20);

void BM_deque_query(benchmark::State& state) {
  const auto input = make_ratings(events(state.range(0)), 180);
  deque_baseline b = filled_baseline(input, 180);
  const day_number d = local_day(input.back().t);
  for (auto _ : state) benchmark::DoNotOptimize(b.as_of(d));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_deque_query)->Arg(1 << 12)->Arg(1 << 16)->Arg(1 << 20);

// --- time series: DSR as of each of 365 days ---------------------------------------

void BM_ratings_dsr_series(benchmark::State& state) {
  const auto input = make_ratings(events(state.range(0)), 545);
  shop_ratings<> s = filled(input, 365);
  const day_number last = local_day(input.back().t);
  for (auto _ : state) benchmark::DoNotOptimize(s.dsr_series(last - 364, last));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 365);
}
BENCHMARK(BM_ratings_dsr_series)->Arg(1 << 16);

void BM_deque_dsr_series(benchmark::State& state) {
  const auto input = make_ratings(events(state.range(0)), 545);
  deque_baseline b = filled_baseline(input, 545);  // keeps everything the series needs
  const day_number last = local_day(input.back().t);
  for (auto _ : state) {
    // the baseline rescans its ratings once per day of the series
    std::array<std::array<std::uint64_t, 2>, 3> acc{};
    for (day_number d = last - 364; d <= last; ++d) {
      auto x = b.as_of(d, 180);
      benchmark::DoNotOptimize(x);
      acc[0][0] += x[0][0];
    }
    benchmark::DoNotOptimize(acc);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 365);
}
BENCHMARK(BM_deque_dsr_series)->Arg(1 << 16);

}  // namespace

BENCHMARK_MAIN();
