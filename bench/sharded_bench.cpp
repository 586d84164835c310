// SPDX-License-Identifier: Apache-2.0
// File: bench/sharded_bench.cpp
//
// sharded_metrics (csmetrics/sharded.hpp) against one shop_metrics over the
// same in-memory stream from bench/event_generator.hpp: wall time for the
// whole add + finish + merge, so the speed-up on N threads is
// BM_sharded_metrics_*/N/E/K over BM_shop_metrics_add/E (the baseline here);
// K = 0 shards by (shop, buyer), K = 1 by shop, K = 2 automatic (counter by_shop: its choice).
// Streams: E = 400 000 events over 100 shops, and 2 000 000 events over 1 000
// shops (end_to_end_bench's shape). CSMETRICS_BENCH_TINY=1: 5 000 events.
//
// BM_skewed_shops: 10 shops, two of them big: can whole shops still balance
// two threads, or does (shop, buyer) win there?
//
// BM_report_from_csv: shop_report's path (read CSV, accumulate, report) with
// the text in memory, one thread against two, in the same run.
//
// BM_machine_*: what this machine gives two threads at all, the ceiling for
// any speed-up: a compute loop (no memory), random read-modify-writes in
// a 256 MB array per thread (memory-bound, like the accumulators' tables),
// and first touches of fresh pages (a growing state: every new page is a
// page fault), 1 GB in all split over the threads.
#include <benchmark/benchmark.h>

#include <sys/mman.h>  // mmap: fresh pages for BM_machine_page_faults

#include <algorithm>  // std::max
#include <cstdint>  // std::uint64_t
#include <map>      // std::map (one stream per size)
#include <memory>   // std::shared_ptr
#include <string>   // std::string (CSV text)
#include <thread>   // std::thread
#include <vector>   // std::vector

#include "bench_support.hpp"
#include "csmetrics/io/event_csv.hpp"
#include "csmetrics/sharded.hpp"
#include "csmetrics/shop_metrics.hpp"
#include "event_generator.hpp"

namespace {

using csmetrics::bench::tiny;

/// The generator's options for a stream of `n` events: 100 shops, or from
/// 1 M events on 1 000 shops (end_to_end_bench's shape).
csmetrics::bench::generator_options stream_options(std::int64_t n) {
  csmetrics::bench::generator_options o;
  o.seed = 42;
  o.shops = n >= 1'000'000 ? 1000 : 100;
  if (n >= 1'000'000) o.journeys_per_shop_day = 1500;
  return o;
}

/// The stream of `n` events (generated once, kept: ~0.3 GB for 2 M).
std::shared_ptr<const csmetrics::event_batch> stream(std::int64_t n) {
  static std::map<std::int64_t, std::shared_ptr<const csmetrics::event_batch>> cache;
  auto it = cache.find(n);
  if (it != cache.end()) return it->second;
  csmetrics::bench::event_generator g(stream_options(n));
  auto b = std::make_shared<csmetrics::event_batch>();
  const auto size = static_cast<std::uint64_t>(tiny() ? 5000 : n);
  b->reserve(size);
  g.generate(size, [&](const csmetrics::event& e) { b->push(e); });
  return cache[n] = b;
}

/// One shop_metrics over `events` on the calling thread (the baseline).
void one_pass(const csmetrics::event_batch& events) {
  csmetrics::shop_metrics m;
  for (const csmetrics::event& e : events.events()) m.add(e);
  m.finish(*m.newest_time());
  benchmark::DoNotOptimize(m.accepted());
}

/// sharded_metrics over `events`, handed over as one shared batch; merged.
/// Returns the key used (shard_key::automatic's choice).
csmetrics::shard_key sharded_pass(const std::shared_ptr<const csmetrics::event_batch>& events,
                                  const csmetrics::sharded_options& so) {
  csmetrics::sharded_metrics m(so);
  m.add(events);
  m.finish(*m.newest_time());
  csmetrics::shop_metrics all = m.result();
  benchmark::DoNotOptimize(all.accepted());
  return m.key();
}

/// The key argument K: 0 (shop, buyer), 1 shop, 2 automatic.
csmetrics::shard_key key_arg(std::int64_t k) {
  return k == 1 ? csmetrics::shard_key::shop : k == 2 ? csmetrics::shard_key::automatic : csmetrics::shard_key::shop_buyer;
}

/// Baseline: one shop_metrics on the calling thread.
void BM_shop_metrics_add(benchmark::State& state) {
  const auto events = stream(state.range(0));
  for (auto _ : state) one_pass(*events);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * events->size()));
}

/// Arguments: threads, events, shard key (key_arg).
csmetrics::sharded_options options_of(const benchmark::State& state) {
  csmetrics::sharded_options so;
  so.threads = static_cast<std::size_t>(state.range(0));
  so.key = key_arg(state.range(2));
  return so;
}

/// N shards on N worker threads, each event copied in by add(e); result() merges.
void BM_sharded_metrics_add(benchmark::State& state) {
  const auto events = stream(state.range(1));
  const csmetrics::sharded_options so = options_of(state);
  for (auto _ : state) {
    csmetrics::sharded_metrics m(so);
    for (const csmetrics::event& e : events->events()) m.add(e);
    m.finish(*m.newest_time());
    csmetrics::shop_metrics all = m.result();
    benchmark::DoNotOptimize(all.accepted());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * events->size()));
}

/// The same with the stream handed over as one shared batch (no copy).
void BM_sharded_metrics_add_batch(benchmark::State& state) {
  const auto events = stream(state.range(1));
  const csmetrics::sharded_options so = options_of(state);
  csmetrics::shard_key used{};
  for (auto _ : state) used = sharded_pass(events, so);
  state.counters["by_shop"] = used == csmetrics::shard_key::shop;
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * events->size()));
}

/// A few dominant shops: 400 000 events over 10 Zipf-sized shops (the two
/// biggest hold 28 % and 16 %). Arguments: threads (0: one shop_metrics, the
/// baseline), shard key as above.
void BM_skewed_shops(benchmark::State& state) {
  static const std::shared_ptr<const csmetrics::event_batch> events = [] {
    csmetrics::bench::generator_options o;
    o.seed = 42;
    o.shops = 10;
    auto b = std::make_shared<csmetrics::event_batch>();
    csmetrics::bench::event_generator(o).generate(tiny() ? 5000 : 400'000,
                                                   [&](const csmetrics::event& e) { b->push(e); });
    return b;
  }();
  csmetrics::sharded_options so;
  so.threads = std::max<std::size_t>(1, static_cast<std::size_t>(state.range(0)));
  so.key = key_arg(state.range(1));
  csmetrics::shard_key used = csmetrics::shard_key::shop;
  for (auto _ : state) {
    if (state.range(0) == 0)
      one_pass(*events);
    else
      used = sharded_pass(events, so);
  }
  if (state.range(0) != 0) state.counters["by_shop"] = used == csmetrics::shard_key::shop;
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * events->size()));
}

/// The CSV text of `n` events, the same stream as stream(n) (kept: ~120 MB for 2 M).
const std::string& csv_text(std::int64_t n) {
  static std::map<std::int64_t, std::string> cache;
  auto it = cache.find(n);
  if (it != cache.end()) return it->second;
  return cache[n] = csmetrics::bench::generate_csv(stream_options(n), static_cast<std::uint64_t>(tiny() ? 5000 : n));
}

/// shop_report's whole path in one process, from CSV text in memory (no disk
/// in the timing): read, accumulate, finish, report. Arguments: threads (0:
/// one shop_metrics on the calling thread, the baseline), events, key.
void BM_report_from_csv(benchmark::State& state) {
  const std::string& text = csv_text(state.range(1));
  const auto threads = static_cast<std::size_t>(state.range(0));
  std::size_t shops = 0;
  std::uint64_t rows = 0;
  csmetrics::shard_key used = csmetrics::shard_key::shop;
  for (auto _ : state) {
    csmetrics::event_csv_reader in(text);
    csmetrics::event e;
    if (threads == 0) {
      csmetrics::shop_metrics m;
      while (in.next(e)) m.add(e);
      m.finish(*m.newest_time());
      shops = m.make_report().shops.size();
    } else {
      csmetrics::sharded_options so = options_of(state);
      so.threads = threads;
      csmetrics::sharded_metrics m(so);
      while (in.next(e)) m.add(e);
      m.finish(*m.newest_time());
      shops = m.make_report().shops.size();
      used = m.key();
    }
    rows = in.stats().rows;
    benchmark::DoNotOptimize(shops);
  }
  state.counters["shops"] = static_cast<double>(shops);
  if (threads != 0) state.counters["by_shop"] = used == csmetrics::shard_key::shop;
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows));
}

/// Routing alone (hash, order map): what every worker repeats for every event.
void BM_shard_router_route(benchmark::State& state) {
  const auto events = stream(400'000);
  for (auto _ : state) {
    csmetrics::shard_router m(2);
    std::uint64_t sum = 0;
    for (const csmetrics::event& e : events->events()) sum += m.route(e);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * events->size()));
}

/// `threads` threads each running `work(i)`; wall time.
template <class F>
void on_threads(std::size_t threads, F work) {
  std::vector<std::thread> ts;
  for (std::size_t i = 0; i < threads; ++i) ts.emplace_back([&work, i] { work(i); });
  for (auto& t : ts) t.join();
}

/// Each thread: a fixed number of dependent multiply-xorshift steps.
void BM_machine_compute(benchmark::State& state) {
  const auto threads = static_cast<std::size_t>(state.range(0));
  const std::uint64_t steps = tiny() ? 100'000 : 200'000'000;
  std::vector<std::uint64_t> out(threads);
  for (auto _ : state)
    on_threads(threads, [&](std::size_t i) {
      std::uint64_t x = i + 1;
      for (std::uint64_t k = 0; k < steps; ++k) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        x ^= x >> 17;
      }
      out[i] = x;
    });
  benchmark::DoNotOptimize(out.data());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * threads * steps));
}

/// Each thread: random increments in its own 256 MB array (2^25 words).
void BM_machine_random_access(benchmark::State& state) {
  const auto threads = static_cast<std::size_t>(state.range(0));
  const std::uint64_t steps = tiny() ? 100'000 : 20'000'000;
  const std::size_t words = tiny() ? (std::size_t{1} << 12) : (std::size_t{1} << 25);
  std::vector<std::vector<std::uint64_t>> arrays(threads, std::vector<std::uint64_t>(words, 1));
  for (auto _ : state)
    on_threads(threads, [&](std::size_t i) {
      std::vector<std::uint64_t>& a = arrays[i];
      std::uint64_t x = i + 1;
      for (std::uint64_t k = 0; k < steps; ++k) {
        x = x * 6364136223846793005ull + 1;
        ++a[(x >> 20) & (words - 1)];
      }
    });
  benchmark::DoNotOptimize(arrays.data());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * threads * steps));
}

/// Each thread: writes one byte to each page of its own fresh anonymous
/// mapping; the threads share 1 GB (tiny: 4 MB), so the work is the same
/// number of page faults whatever the thread count.
void BM_machine_page_faults(benchmark::State& state) {
  const auto threads = static_cast<std::size_t>(state.range(0));
  const std::size_t total = tiny() ? (std::size_t{4} << 20) : (std::size_t{1} << 30), page = 4096;
  for (auto _ : state)
    on_threads(threads, [&](std::size_t) {
      const std::size_t bytes = total / threads;
      void* m = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (m == MAP_FAILED) return;
      auto* p = static_cast<volatile char*>(m);
      for (std::size_t i = 0; i < bytes; i += page) p[i] = 1;
      munmap(m, bytes);
    });
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * (total / page)));
}

}  // namespace

BENCHMARK(BM_shop_metrics_add)->Arg(400'000)->Arg(2'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_sharded_metrics_add)
    ->ArgsProduct({{1, 2, 4}, {400'000, 2'000'000}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_sharded_metrics_add_batch)
    ->ArgsProduct({{2}, {400'000, 2'000'000}, {0, 1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_skewed_shops)
    ->Args({0, 0})
    ->ArgsProduct({{2}, {0, 1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_report_from_csv)
    ->Args({0, 2'000'000, 0})
    ->ArgsProduct({{2}, {2'000'000}, {0, 1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_shard_router_route)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_machine_compute)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_machine_random_access)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_machine_page_faults)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
