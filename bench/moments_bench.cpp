// SPDX-License-Identifier: Apache-2.0
// moments and rate_counter throughput, with Boost.Accumulators
// (count + mean + variance) as the baseline in the same binary.
//
// Input: 10 million reply delays in seconds, lognormal with median 45 s
// (sigma 1), clipped to [1, 600] s, millisecond resolution, fixed seed;
// 100 000 when CSMETRICS_BENCH_TINY is set.
//
//   bench/moments_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <algorithm>  // std::clamp
#include <cmath>      // std::log, std::round
#include <cstdint>    // std::uint8_t
#include <random>     // std::mt19937_64, std::lognormal_distribution
#include <vector>     // std::vector

#include "bench_support.hpp"
#include "csmetrics/core/moments.hpp"
#include "csmetrics/core/rate.hpp"

#ifdef CSMETRICS_HAVE_BOOST
#include <boost/accumulators/accumulators.hpp>
#include <boost/accumulators/statistics/count.hpp>
#include <boost/accumulators/statistics/mean.hpp>
#include <boost/accumulators/statistics/stats.hpp>
#include <boost/accumulators/statistics/variance.hpp>
#endif

namespace {

std::size_t input_size() { return csmetrics::bench::tiny() ? 100'000 : 10'000'000; }

const std::vector<double>& response_times() {
  static const std::vector<double> xs = [] {
    std::mt19937_64 rng(20240901);
    std::lognormal_distribution<double> dist(std::log(45.0), 1.0);
    std::vector<double> v(input_size());
    for (double& x : v) x = std::round(std::clamp(dist(rng), 1.0, 600.0) * 1000.0) / 1000.0;
    return v;
  }();
  return xs;
}

// Reads every statistic at the end, so none of the work is dead code.
void use(const csmetrics::moments& m) {
  double out[4] = {*m.mean(), *m.variance(), *m.min(), *m.max()};
  benchmark::DoNotOptimize(out);
}

/// All the input added to a fresh accumulator every iteration by `add(m, xs)`;
/// then every statistic read: values/s.
template <class Add>
void add_each_iteration(benchmark::State& state, Add add) {
  const std::vector<double>& xs = response_times();
  for (auto _ : state) {
    csmetrics::moments m;
    add(m, xs);
    use(m);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(xs.size()));
}

// A local accumulator: the compiler keeps its state in registers.
void BM_moments_add(benchmark::State& state) {
  add_each_iteration(state, [](csmetrics::moments& m, const std::vector<double>& xs) {
    for (double x : xs) m.add(x);
  });
}
BENCHMARK(BM_moments_add)->Unit(benchmark::kMillisecond);

// An accumulator whose address escaped (one living in a map or a struct):
// every add() loads and stores its state, as the input might alias it.
void BM_moments_add_in_memory(benchmark::State& state) {
  add_each_iteration(state, [](csmetrics::moments& m, const std::vector<double>& xs) {
    benchmark::DoNotOptimize(&m);
    for (double x : xs) m.add(x);
    benchmark::ClobberMemory();
  });
}
BENCHMARK(BM_moments_add_in_memory)->Unit(benchmark::kMillisecond);

// The range overload: register speed for an accumulator that lives in memory.
void BM_moments_add_range(benchmark::State& state) {
  add_each_iteration(state, [](csmetrics::moments& m, const std::vector<double>& xs) {
    benchmark::DoNotOptimize(&m);
    m.add(xs.begin(), xs.end());
    benchmark::ClobberMemory();
  });
}
BENCHMARK(BM_moments_add_range)->Unit(benchmark::kMillisecond);

#ifdef CSMETRICS_HAVE_BOOST
void BM_boost_moments_add(benchmark::State& state) {
  namespace ba = boost::accumulators;
  const std::vector<double>& xs = response_times();
  for (auto _ : state) {
    ba::accumulator_set<double, ba::stats<ba::tag::count, ba::tag::mean, ba::tag::variance>> acc;
    for (double x : xs) acc(x);
    double var = ba::variance(acc);
    benchmark::DoNotOptimize(var);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(xs.size()));
}
BENCHMARK(BM_boost_moments_add)->Unit(benchmark::kMillisecond);
#endif

// Merging 1000 per-shard states (the reduce step of a parallel run).
void BM_moments_merge(benchmark::State& state) {
  const std::vector<double>& xs = response_times();
  std::vector<csmetrics::moments> shards(1000);
  for (std::size_t i = 0; i < xs.size(); ++i) shards[i % shards.size()].add(xs[i]);
  for (auto _ : state) {
    csmetrics::moments m;
    for (const auto& s : shards) m.merge(s);
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(shards.size()));
}
BENCHMARK(BM_moments_merge);

void BM_rate_add(benchmark::State& state) {
  const std::vector<double>& xs = response_times();
  std::vector<std::uint8_t> answered_in_time(xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) answered_in_time[i] = xs[i] <= 45.0;
  for (auto _ : state) {
    csmetrics::rate_counter r;
    for (std::uint8_t ok : answered_in_time) r.add(ok != 0);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(answered_in_time.size()));
}
BENCHMARK(BM_rate_add)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
