// SPDX-License-Identifier: Apache-2.0
// quantile_sketch against its baselines, on one input: 10 million lognormal
// response times (median 45 s, sigma 1, clipped to 1..600 s, millisecond
// resolution, fixed seed); 100 000 when CSMETRICS_BENCH_TINY is set.
//
//   BM_quantile_sketch_add          one add() per value
//   BM_quantile_sketch_add_batch    add(values, n)
//   BM_boost_p_square_3             Boost.Accumulators P^2, three accumulators (p50, p90, p99)
//   BM_boost_extended_p_square      Boost.Accumulators extended P^2, one accumulator, three quantiles
//   BM_exact_nth_element            copy + std::nth_element for the three ranks
//   BM_quantile_sketch_merge_day    merge one day's sketch into a 30-day window
//   BM_quantile_sketch_roll_day     subtract the oldest day and merge the newest
//   BM_quantile_sketch_query3       p50 + p90 + p99 of the merged 30-day window
//   BM_quantile_sketch_serialize_day / _deserialize_day
//
// The counters p50_err_pct, p90_err_pct, p99_err_pct are each method's
// relative error (in %) against the exact order statistic of rank
// floor(q (n - 1)).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <vector>

#include "bench_support.hpp"
#include "csmetrics/core/quantile_sketch.hpp"

#ifdef CSMETRICS_HAVE_BOOST
#include <boost/accumulators/accumulators.hpp>
#include <boost/accumulators/statistics/extended_p_square.hpp>
#include <boost/accumulators/statistics/p_square_quantile.hpp>
#include <boost/accumulators/statistics/stats.hpp>
#endif

namespace {

using csmetrics::quantile_sketch;

constexpr double probs[3] = {0.5, 0.9, 0.99};
constexpr int days = 30;

std::size_t input_size() { return csmetrics::bench::tiny() ? 100000 : 10000000; }

const std::vector<double>& input() {
  static const std::vector<double> v = [] {
    std::mt19937_64 rng(20240601);
    std::lognormal_distribution<double> d(std::log(45.0), 1.0);
    std::vector<double> out(input_size());
    for (auto& x : out) x = std::clamp(std::round(d(rng) * 1000.0) / 1000.0, 1.0, 600.0);
    return out;
  }();
  return v;
}

double exact(double q) {
  static const std::vector<double> ex = [] {
    std::vector<double> v = input(), r;
    for (double p : probs) {
      auto nth = v.begin() + static_cast<std::ptrdiff_t>(p * static_cast<double>(v.size() - 1));
      std::nth_element(v.begin(), nth, v.end());
      r.push_back(*nth);
    }
    return r;
  }();
  for (int i = 0; i < 3; ++i)
    if (probs[i] == q) return ex[static_cast<std::size_t>(i)];
  return 0.0;
}

template <class Get>
void error_counters(benchmark::State& state, Get get) {
  const char* names[3] = {"p50_err_pct", "p90_err_pct", "p99_err_pct"};
  for (int i = 0; i < 3; ++i) {
    const double q = probs[i];
    state.counters[names[i]] = 100.0 * std::abs(get(i) - exact(q)) / exact(q);
  }
}

void sketch_counters(benchmark::State& state, const quantile_sketch& s) {
  error_counters(state, [&](int i) { return *s.quantile(probs[i]); });
}

void BM_quantile_sketch_add(benchmark::State& state) {
  const auto& v = input();
  quantile_sketch s;
  for (auto _ : state) {
    s.reset();
    for (double x : v) s.add(x);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * v.size()));
  sketch_counters(state, s);
  state.counters["bytes"] = static_cast<double>(s.memory_bytes());
}
BENCHMARK(BM_quantile_sketch_add)->Unit(benchmark::kMillisecond);

void BM_quantile_sketch_add_batch(benchmark::State& state) {
  const auto& v = input();
  quantile_sketch s;
  for (auto _ : state) {
    s.reset();
    s.add(v.data(), v.size());
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * v.size()));
  sketch_counters(state, s);
}
BENCHMARK(BM_quantile_sketch_add_batch)->Unit(benchmark::kMillisecond);

#ifdef CSMETRICS_HAVE_BOOST
namespace acc = boost::accumulators;

void BM_boost_p_square_3(benchmark::State& state) {
  const auto& v = input();
  using p2 = acc::accumulator_set<double, acc::stats<acc::tag::p_square_quantile>>;
  double r[3] = {0, 0, 0};
  for (auto _ : state) {
    p2 a(acc::quantile_probability = probs[0]);
    p2 b(acc::quantile_probability = probs[1]);
    p2 c(acc::quantile_probability = probs[2]);
    for (double x : v) {
      a(x);
      b(x);
      c(x);
    }
    r[0] = acc::p_square_quantile(a);
    r[1] = acc::p_square_quantile(b);
    r[2] = acc::p_square_quantile(c);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * v.size()));
  error_counters(state, [&](int i) { return r[i]; });
}
BENCHMARK(BM_boost_p_square_3)->Unit(benchmark::kMillisecond);

void BM_boost_extended_p_square(benchmark::State& state) {
  const auto& v = input();
  using ep2 = acc::accumulator_set<double, acc::stats<acc::tag::extended_p_square>>;
  const std::vector<double> p(std::begin(probs), std::end(probs));
  double r[3] = {0, 0, 0};
  for (auto _ : state) {
    ep2 a(acc::extended_p_square_probabilities = p);
    for (double x : v) a(x);
    for (int i = 0; i < 3; ++i) r[i] = acc::extended_p_square(a)[static_cast<std::size_t>(i)];
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * v.size()));
  error_counters(state, [&](int i) { return r[i]; });
}
BENCHMARK(BM_boost_extended_p_square)->Unit(benchmark::kMillisecond);
#endif

void BM_exact_nth_element(benchmark::State& state) {
  const auto& v = input();
  std::vector<double> buf(v.size());
  double r[3] = {0, 0, 0};
  for (auto _ : state) {
    std::copy(v.begin(), v.end(), buf.begin());
    auto from = buf.begin();
    for (int i = 0; i < 3; ++i) {  // each rank lies above the previous one
      auto nth = buf.begin() + static_cast<std::ptrdiff_t>(probs[i] * static_cast<double>(buf.size() - 1));
      std::nth_element(from, nth, buf.end());
      r[i] = *nth;
      from = nth + 1;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * v.size()));
  error_counters(state, [&](int i) { return r[i]; });
  state.counters["bytes"] = static_cast<double>(v.size() * sizeof(double));
}
BENCHMARK(BM_exact_nth_element)->Unit(benchmark::kMillisecond);

/// The input cut into 30 consecutive days, one sketch each.
const std::vector<quantile_sketch>& day_sketches() {
  static const std::vector<quantile_sketch> d = [] {
    const auto& v = input();
    std::vector<quantile_sketch> out(days);
    for (std::size_t i = 0; i < v.size(); ++i) out[i * days / v.size()].add(v[i]);
    return out;
  }();
  return d;
}

quantile_sketch window_of_days() {
  quantile_sketch w;
  for (const auto& d : day_sketches()) w.merge(d);
  return w;
}

void BM_quantile_sketch_merge_day(benchmark::State& state) {
  const auto& d = day_sketches();
  quantile_sketch w = window_of_days();
  std::size_t i = 0;
  for (auto _ : state) {
    w.merge(d[i]);
    if (++i == d.size()) i = 0;
    benchmark::DoNotOptimize(w);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["day_buckets"] = static_cast<double>(d[0].bucket_count());
}
BENCHMARK(BM_quantile_sketch_merge_day);

void BM_quantile_sketch_roll_day(benchmark::State& state) {
  const auto& d = day_sketches();
  quantile_sketch w = window_of_days();
  std::size_t i = 0;
  for (auto _ : state) {
    w.subtract(d[i]);  // the oldest day leaves ...
    w.merge(d[i]);     // ... and a new one (here: the same) arrives
    if (++i == d.size()) i = 0;
    benchmark::DoNotOptimize(w);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_quantile_sketch_roll_day);

void BM_quantile_sketch_query3(benchmark::State& state) {
  const quantile_sketch w = window_of_days();
  double r[3] = {0, 0, 0};
  for (auto _ : state) {
    for (int i = 0; i < 3; ++i) r[i] = *w.quantile(probs[i]);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  sketch_counters(state, w);
  state.counters["buckets"] = static_cast<double>(w.bucket_count());
}
BENCHMARK(BM_quantile_sketch_query3);

void BM_quantile_sketch_serialize_day(benchmark::State& state) {
  const quantile_sketch& d = day_sketches()[0];
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto b = d.serialize();
    bytes = b.size();
    benchmark::DoNotOptimize(b);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_quantile_sketch_serialize_day);

void BM_quantile_sketch_deserialize_day(benchmark::State& state) {
  const auto b = day_sketches()[0].serialize();
  for (auto _ : state) {
    auto s = quantile_sketch::deserialize(b.data(), b.size());
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_quantile_sketch_deserialize_day);

}  // namespace

BENCHMARK_MAIN();
