// SPDX-License-Identifier: Apache-2.0
// keyed<Key, Acc> against std::unordered_map<Key, Acc>, accumulating a small
// tally (count + sum, 16 bytes; tests/tally.hpp) per key. Input: 10 million events
// over a universe of 10 million random 64-bit ids (100 000 when
// CSMETRICS_BENCH_TINY is set), keys drawn
//   uniform  every id equally likely (~63 % of the ids appear);
//   zipf     rank r ~ floor(N^u) - 1, u uniform: P(r) ~ 1/(r+1), a few hot
//            keys and a long cold tail (buyers, agents).
//
//   BM_keyed_add/<dist>               fresh table, one operator[]+add per event
//   BM_unordered_map_add/<dist>       the same with std::unordered_map (+ its free)
//   BM_keyed_update/<dist>            table already holding every id: lookups only
//   BM_unordered_map_update/<dist>
//   BM_keyed_add_string / BM_unordered_map_add_string
//                                     1 million events over 100 000 buyer nicks
//                                     ("buyer-<n>", 12-17 chars)
//   BM_keyed_merge / BM_unordered_map_merge
//                                     merge a table of the uniform stream's first
//                                     half into one of its second half (copy + merge)
// items/s counts events (merge: keys of the merged-in table). The add
// benchmarks also report heap_B_per_key: heap bytes the filled table holds
// (glibc mallinfo2 before/after) per distinct key - the bytes of state.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <malloc.h>  // mallinfo2: heap bytes in use (glibc >= 2.33)

#include "bench_support.hpp"
#include "csmetrics/core/keyed.hpp"
#include "../tests/tally.hpp"

namespace {

using csm_test::tally;

using csmetrics::bench::tiny;
std::size_t universe() { return tiny() ? 100000 : 10000000; }

enum dist { uniform = 0, zipf = 1 };

const std::vector<std::uint64_t>& ids() {
  static const std::vector<std::uint64_t> v = [] {
    std::mt19937_64 rng(1);
    std::vector<std::uint64_t> out(universe());
    for (auto& x : out) x = rng();
    return out;
  }();
  return v;
}

const std::vector<std::uint64_t>& stream(int d) {
  static const std::vector<std::uint64_t> s[2] = {[] {
                                                    std::mt19937_64 rng(2);
                                                    const auto& id = ids();
                                                    std::vector<std::uint64_t> out(id.size());
                                                    for (auto& x : out) x = id[rng() % id.size()];
                                                    return out;
                                                  }(),
                                                  [] {
                                                    std::mt19937_64 rng(3);
                                                    std::uniform_real_distribution<double> u(0.0, 1.0);
                                                    const auto& id = ids();
                                                    const double n = static_cast<double>(id.size());
                                                    std::vector<std::uint64_t> out(id.size());
                                                    for (auto& x : out) {
                                                      auto r = static_cast<std::size_t>(std::pow(n, u(rng))) - 1;
                                                      x = id[std::min(r, id.size() - 1)];
                                                    }
                                                    return out;
                                                  }()};
  return s[d];
}

/// Heap bytes in use (0 where mallinfo2 is missing).
std::size_t heap_in_use() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
#else
  return 0;
#endif
}

template <class Table>
void run_add(benchmark::State& state) {
  const auto& events = stream(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    const std::size_t before = heap_in_use();
    Table t;
    for (std::uint64_t k : events) t[k].add(1);
    benchmark::DoNotOptimize(t.size());
    state.counters["heap_B_per_key"] =
        static_cast<double>(heap_in_use() - before) / static_cast<double>(t.size() ? t.size() : 1);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * events.size()));
  state.SetLabel(state.range(0) == uniform ? "uniform" : "zipf");
}

template <class Table>
void run_update(benchmark::State& state) {
  const auto& events = stream(static_cast<int>(state.range(0)));
  Table t;
  for (std::uint64_t k : ids()) t[k].add(0);
  for (auto _ : state) {
    for (std::uint64_t k : events) t[k].add(1);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * events.size()));
  state.SetLabel(state.range(0) == uniform ? "uniform" : "zipf");
}

using keyed_table = csmetrics::keyed<std::uint64_t, tally>;
using map_table = std::unordered_map<std::uint64_t, tally>;

void BM_keyed_add(benchmark::State& state) { run_add<keyed_table>(state); }
void BM_unordered_map_add(benchmark::State& state) { run_add<map_table>(state); }
void BM_keyed_update(benchmark::State& state) { run_update<keyed_table>(state); }
void BM_unordered_map_update(benchmark::State& state) { run_update<map_table>(state); }

const std::vector<std::string>& nicks() {
  static const std::vector<std::string> v = [] {
    std::mt19937_64 rng(4);
    const std::size_t keys = universe() / 100;
    std::vector<std::string> out(universe() / 10);
    for (auto& x : out) x = "buyer-" + std::to_string(rng() % keys * 7919 % 100000000);
    return out;
  }();
  return v;
}

template <class Table>
void run_add_string(benchmark::State& state) {
  const auto& events = nicks();
  for (auto _ : state) {
    Table t;
    for (const std::string& k : events) t[k].add(1);
    benchmark::DoNotOptimize(t.size());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * events.size()));
}
void BM_keyed_add_string(benchmark::State& state) { run_add_string<csmetrics::keyed<std::string, tally>>(state); }
void BM_unordered_map_add_string(benchmark::State& state) {
  run_add_string<std::unordered_map<std::string, tally>>(state);
}

template <class Table>
std::pair<Table, Table> halves() {
  const auto& events = stream(uniform);
  std::pair<Table, Table> out;
  for (std::size_t i = 0; i < events.size(); ++i) (i < events.size() / 2 ? out.first : out.second)[events[i]].add(1);
  return out;
}

void BM_keyed_merge(benchmark::State& state) {
  const auto tables = halves<keyed_table>();
  for (auto _ : state) {
    keyed_table t = tables.second;
    t.merge(tables.first);
    benchmark::DoNotOptimize(t.size());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * tables.first.size()));
}
void BM_unordered_map_merge(benchmark::State& state) {
  const auto tables = halves<map_table>();
  for (auto _ : state) {
    map_table t = tables.second;
    for (const auto& [k, v] : tables.first) t[k].merge(v);
    benchmark::DoNotOptimize(t.size());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * tables.first.size()));
}

}  // namespace

BENCHMARK(BM_keyed_add)->Arg(uniform)->Arg(zipf)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_unordered_map_add)->Arg(uniform)->Arg(zipf)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_keyed_update)->Arg(uniform)->Arg(zipf)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_unordered_map_update)->Arg(uniform)->Arg(zipf)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_keyed_add_string)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_unordered_map_add_string)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_keyed_merge)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_unordered_map_merge)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
