// SPDX-License-Identifier: Apache-2.0
// text_pool (interning text ids once, text_pool.hpp) against what the data
// path did before it: every family copying the id into a std::string and
// hashing it into its own node-based set. Input: 1 million ids over 200 000
// distinct buyer ids ("b<10 digits>", as gen_events writes them), 20 000
// events over 2 000 when CSMETRICS_BENCH_TINY is set.
//
//   BM_text_pool_intern              intern each id (string_view in, text_ref out)
//   BM_unordered_map_intern          the baseline: std::unordered_map<std::string, uint32_t>
//                                    find-or-insert of a std::string copy
//   BM_distinct_text_ref_flat_set    distinct ids per day after interning: flat_set<text_ref>
//   BM_distinct_string_unordered_set the same as the string families did: std::unordered_set<std::string>
// items/s counts ids.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bench_support.hpp"
#include "csmetrics/core/keyed.hpp"
#include "csmetrics/core/flat_set.hpp"
#include "csmetrics/core/text_pool.hpp"

namespace {

using csmetrics::bench::tiny;

const std::vector<std::string>& ids() {
  static const std::vector<std::string> v = [] {
    const std::size_t n = tiny() ? 20000 : 1000000, distinct = tiny() ? 2000 : 200000;
    std::mt19937_64 rng(42);
    std::vector<std::string> names(distinct);
    for (auto& s : names) s = "b" + std::to_string(1000000000 + rng() % 9000000000ull);
    std::vector<std::string> out(n);
    for (auto& s : out) s = names[rng() % distinct];
    return out;
  }();
  return v;
}

void BM_text_pool_intern(benchmark::State& state) {
  for (auto _ : state) {
    csmetrics::text_pool pool;
    for (const std::string& s : ids()) benchmark::DoNotOptimize(pool.intern(std::string_view(s)));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * ids().size()));
}
BENCHMARK(BM_text_pool_intern)->Unit(benchmark::kMillisecond);

void BM_unordered_map_intern(benchmark::State& state) {
  for (auto _ : state) {
    std::unordered_map<std::string, std::uint32_t> index;
    for (const std::string& s : ids()) {
      std::string key(std::string_view{s});  // the copy route() made of every id
      benchmark::DoNotOptimize(index.try_emplace(std::move(key), static_cast<std::uint32_t>(index.size())));
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * ids().size()));
}
BENCHMARK(BM_unordered_map_intern)->Unit(benchmark::kMillisecond);

void BM_distinct_text_ref_flat_set(benchmark::State& state) {
  csmetrics::text_pool pool;
  std::vector<csmetrics::text_ref> refs;
  for (const std::string& s : ids()) refs.push_back(pool.intern(s));
  for (auto _ : state) {
    csmetrics::flat_set<csmetrics::text_ref> seen;
    for (csmetrics::text_ref r : refs) seen.insert(r);
    benchmark::DoNotOptimize(seen.size());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * refs.size()));
}
BENCHMARK(BM_distinct_text_ref_flat_set)->Unit(benchmark::kMillisecond);

void BM_distinct_string_unordered_set(benchmark::State& state) {
  for (auto _ : state) {
    std::unordered_set<std::string> seen;
    for (const std::string& s : ids()) seen.insert(s);
    benchmark::DoNotOptimize(seen.size());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * ids().size()));
}
BENCHMARK(BM_distinct_string_unordered_set)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
