// SPDX-License-Identifier: Apache-2.0
// File: bench/sharded_bench.cpp
//
// sharded_metrics (csmetrics/sharded.hpp) against one shop_metrics over the
// same in-memory stream from bench/event_generator.hpp (100 shops, Zipf
// buyers): events/s for the whole add + finish + merge, so the speed-up is
// BM_sharded_metrics_add/2 over BM_shop_metrics_add (the baseline here).
// CSMETRICS_BENCH_TINY=1: 5 000 events instead of 400 000.
#include <benchmark/benchmark.h>

#include <cstdint>  // std::uint64_t
#include <cstdlib>  // std::getenv
#include <memory>   // std::shared_ptr

#include "csmetrics/sharded.hpp"
#include "csmetrics/shop_metrics.hpp"
#include "event_generator.hpp"

namespace {

const csmetrics::bench::event_batch& stream() {
  static const csmetrics::bench::event_batch events = [] {
    const std::uint64_t n = std::getenv("CSMETRICS_BENCH_TINY") ? 5000 : 400000;
    csmetrics::bench::generator_options o;
    o.seed = 42;
    o.shops = 100;
    csmetrics::bench::event_generator g(o);
    csmetrics::bench::event_batch b;
    b.reserve(n);
    g.generate(n, [&](const csmetrics::event& e) { b.push(e); });
    return b;
  }();
  return events;
}

/// Baseline: one shop_metrics on the calling thread.
void BM_shop_metrics_add(benchmark::State& state) {
  const auto& events = stream().events();
  for (auto _ : state) {
    csmetrics::shop_metrics m;
    for (const csmetrics::event& e : events) m.add(e);
    m.finish(*m.newest_time());
    benchmark::DoNotOptimize(m.accepted());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * events.size()));
}
BENCHMARK(BM_shop_metrics_add)->Unit(benchmark::kMillisecond)->UseRealTime();

/// N shards on N worker threads, each event copied in by add(e); result() merges.
void BM_sharded_metrics_add(benchmark::State& state) {
  const auto& events = stream().events();
  csmetrics::sharded_options so;
  so.threads = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    csmetrics::sharded_metrics m(so);
    for (const csmetrics::event& e : events) m.add(e);
    m.finish(*m.newest_time());
    csmetrics::shop_metrics all = m.result();
    benchmark::DoNotOptimize(all.accepted());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * events.size()));
}
BENCHMARK(BM_sharded_metrics_add)->Arg(1)->Arg(2)->Arg(4)->Unit(benchmark::kMillisecond)->UseRealTime();

/// The same with the stream handed over as one shared batch (no copy).
void BM_sharded_metrics_add_batch(benchmark::State& state) {
  const std::shared_ptr<const csmetrics::event_batch> events(&stream(), [](const csmetrics::event_batch*) {});
  csmetrics::sharded_options so;
  so.threads = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    csmetrics::sharded_metrics m(so);
    m.add(events);
    m.finish(*m.newest_time());
    csmetrics::shop_metrics all = m.result();
    benchmark::DoNotOptimize(all.accepted());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * events->size()));
}
BENCHMARK(BM_sharded_metrics_add_batch)->Arg(1)->Arg(2)->Arg(4)->Unit(benchmark::kMillisecond)->UseRealTime();

/// Routing alone (hash, order map): what every worker repeats for every event.
void BM_shard_router_route(benchmark::State& state) {
  const auto& events = stream().events();
  for (auto _ : state) {
    csmetrics::shard_router m(2);
    std::uint64_t sum = 0;
    for (const csmetrics::event& e : events) sum += m.route(e);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * events.size()));
}
BENCHMARK(BM_shard_router_route)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
