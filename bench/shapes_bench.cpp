// SPDX-License-Identifier: Apache-2.0
// How cost grows on the two extreme logs of event_shapes.hpp, at 1x, 4x and
// 16x input: shop_metrics (every family, then finish() and make_report(), no
// output text) against a straightforward baseline that computes only the
// traffic figures (visits and distinct visitors per shop and local day) with
// std::unordered_map / std::unordered_set of std::string. Both read the same
// CSV text, in memory, with event_csv_reader.
//
//   BM_shapes_csmetrics/<shape>/<events>   shape 0: one shop, 1 day, all visitors distinct
//   BM_shapes_baseline/<shape>/<events>    shape 1: one visit per shop
//
// Sizes: one shop 250 k, 1 M, 4 M visitors; tiny shops 25 k, 100 k, 400 k
// (CSMETRICS_BENCH_TINY: 1 k, 4 k, 16 k). Counters: ns_per_event and
// heap_B_per_event (glibc mallinfo2 after the run, before the state is freed).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <malloc.h>  // mallinfo2

#include "bench_support.hpp"
#include "csmetrics/io/event_csv.hpp"
#include "csmetrics/shop_metrics.hpp"
#include "event_shapes.hpp"

namespace {

using csmetrics::bench::log_shape;

using csmetrics::bench::tiny;

const std::string& csv_of(log_shape shape, std::uint64_t events) {
  static std::map<std::pair<int, std::uint64_t>, std::string> cache;
  std::string& text = cache[{static_cast<int>(shape), events}];
  if (text.empty())
    csmetrics::bench::generate_shape_csv(shape, events, [&](std::string_view piece) { text.append(piece); });
  return text;
}

std::size_t heap_in_use() { return mallinfo2().uordblks; }

template <class Run>
void run_shape(benchmark::State& state, Run run) {
  const auto shape = static_cast<log_shape>(state.range(0));
  const auto events = static_cast<std::uint64_t>(state.range(1));
  const std::string& csv = csv_of(shape, events);
  double heap = 0;
  for (auto _ : state) {
    const std::size_t before = heap_in_use();
    heap = static_cast<double>(run(csv, before));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * events));
  state.counters["ns_per_event"] =
      benchmark::Counter(static_cast<double>(state.iterations() * events), benchmark::Counter::kIsRate |
                                                                               benchmark::Counter::kInvert);
  state.counters["heap_B_per_event"] = heap / static_cast<double>(events);
}

void BM_shapes_csmetrics(benchmark::State& state) {
  run_shape(state, [](const std::string& csv, std::size_t before) {
    csmetrics::shop_metrics m;
    csmetrics::event_csv_reader in(csv);
    csmetrics::event e;
    while (in.next(e)) m.add(e);
    m.finish(*m.newest_time());
    const csmetrics::report r = m.make_report();
    benchmark::DoNotOptimize(r.shops.size());
    return heap_in_use() - before;
  });
}

void BM_shapes_baseline(benchmark::State& state) {
  run_shape(state, [](const std::string& csv, std::size_t before) {
    struct day_traffic {
      std::uint64_t visits = 0;
      std::unordered_set<std::string> visitors;
    };
    std::unordered_map<std::string, std::unordered_map<int, day_traffic>> shops;
    csmetrics::event_csv_reader in(csv);
    csmetrics::event e;
    const csmetrics::utc_offset offset{};
    while (in.next(e)) {
      day_traffic& d = shops[std::string(e.shop)][csmetrics::local_day(e.time, offset)];
      ++d.visits;
      d.visitors.insert(std::string(e.buyer));
    }
    std::uint64_t visitors = 0;
    for (const auto& [shop, days] : shops)
      for (const auto& [day, d] : days) visitors += d.visitors.size();
    benchmark::DoNotOptimize(visitors);
    return heap_in_use() - before;
  });
}

void shapes(benchmark::internal::Benchmark* b) {
  const std::int64_t one = tiny() ? 1000 : 250000, few = tiny() ? 1000 : 25000;
  for (std::int64_t k : {1, 4, 16}) b->Args({0, one * k});
  for (std::int64_t k : {1, 4, 16}) b->Args({1, few * k});
  b->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();
}

BENCHMARK(BM_shapes_csmetrics)->Apply(shapes);
BENCHMARK(BM_shapes_baseline)->Apply(shapes);

}  // namespace

BENCHMARK_MAIN();
