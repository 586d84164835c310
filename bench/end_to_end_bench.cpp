// SPDX-License-Identifier: Apache-2.0
// End to end in memory: every metric of shop_report (csmetrics::shop_metrics:
// sessions, orders, sales, ratings per shop, then finish() and the report)
// over events from bench/event_generator.hpp. One thread, so events/s is per
// core. Goal (issue 8): >= 20 M events/s per core.
//
//   BM_end_to_end_in_memory/N   N events generated before the timing (kept in
//                               an event_batch), timed: add all + finish + report
//   BM_end_to_end_stream/N      generator -> shop_metrics, the generator's cost
//                               included (no batch in memory: its peak RSS is
//                               the accumulators' plus the generator's)
//   BM_generator_only/N         the generator alone, to subtract
//   BM_state_serialize{,_bare}  the finished 1 M-event state to bytes, in the
//                               checksummed frame (serialize()) or bare
//                               (serialize_to, no CRC): what the CRC costs
//   BM_state_deserialize{,_bare} and back (the frame's length and CRC checked first)
//   BM_state_crc32c             the CRC32C alone over the state's bytes
//
// Counters: rss_peak_MB (getrusage, the whole process so far: the stream
// benchmarks run first), open_conversations and tracked_buyers at the end
// (memory is bounded by them, not by events), state_MB (the serialized state).
// Sizes: 1 M (every repetition asked) and 10 M in memory (one run);
// CSMETRICS_BENCH_HUGE=1 adds the stream at 10 M and 100 M (one run each);
// CSMETRICS_BENCH_TINY=1: 20 000 events whatever the argument.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <vector>

#include <sys/resource.h>  // getrusage

#include "bench_support.hpp"
#include "csmetrics/shop_metrics.hpp"
#include "event_generator.hpp"

using namespace csmetrics;

namespace {

using csmetrics::bench::tiny;
bool huge() { return std::getenv("CSMETRICS_BENCH_HUGE") != nullptr; }

double rss_peak_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

/// 1000 shops of 8 agents; 10 M events span about 2 days.
bench::generator_options options() {
  bench::generator_options o;
  o.seed = 42;
  o.shops = tiny() ? 20 : 1000;
  o.journeys_per_shop_day = 1500;
  return o;
}

std::int64_t size_of(const benchmark::State& state) { return tiny() ? 20000 : state.range(0); }

void end_counters(benchmark::State& state, const shop_metrics& m) {
  state.counters["open_conversations"] = static_cast<double>(m.sessions_state().open_conversations());
  std::size_t buyers = 0;
  for (std::uint32_t s = 1; s <= options().shops; ++s)
    if (const auto* o = m.orders_state("s" + std::to_string(s))) buyers += o->tracked_buyers();
  state.counters["tracked_buyers"] = static_cast<double>(buyers);
  state.counters["rss_peak_MB"] = rss_peak_mb();
}

void BM_end_to_end_stream(benchmark::State& state) {
  const auto n = static_cast<std::uint64_t>(size_of(state));
  for (auto _ : state) {
    bench::event_generator g(options());
    auto m = std::make_unique<shop_metrics>();
    timestamp newest{};
    g.generate(n, [&](const event& e) {
      m->add(e);
      if (e.time > newest) newest = e.time;
    });
    m->finish(newest);
    report r = m->make_report();
    benchmark::DoNotOptimize(r);
    state.PauseTiming();
    end_counters(state, *m);
    m.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(n) * state.iterations());
}

void BM_generator_only(benchmark::State& state) {
  const auto n = static_cast<std::uint64_t>(size_of(state));
  for (auto _ : state) {
    bench::event_generator g(options());
    std::uint64_t check = 0;
    g.generate(n, [&](const event& e) { check += e.buyer.size() + static_cast<std::uint64_t>(e.type); });
    benchmark::DoNotOptimize(check);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(n) * state.iterations());
}

/// The batch of the largest size asked so far (generated once).
const bench::event_batch& batch(std::uint64_t n) {
  static std::map<std::uint64_t, std::unique_ptr<bench::event_batch>> batches;
  auto& b = batches[n];
  if (!b) {
    batches.clear();  // keep one in memory
    auto& fresh = batches[n];
    fresh = std::make_unique<bench::event_batch>();
    fresh->reserve(n);
    bench::event_generator g(options());
    g.generate(n, [&](const event& e) { fresh->push(e); });
    return *fresh;
  }
  return *b;
}

void BM_end_to_end_in_memory(benchmark::State& state) {
  const auto n = static_cast<std::uint64_t>(size_of(state));
  const bench::event_batch& b = batch(n);
  std::uint64_t rejected = 0;
  for (auto _ : state) {
    auto m = std::make_unique<shop_metrics>();
    for (const event& e : b.events()) rejected += !m->add(e);
    m->finish(b.events().back().time);
    report r = m->make_report();
    benchmark::DoNotOptimize(r);
    state.PauseTiming();
    end_counters(state, *m);
    state.counters["state_MB"] = static_cast<double>(m->serialize().size()) / 1e6;
    m.reset();
    state.ResumeTiming();
  }
  state.counters["rejected"] = static_cast<double>(rejected) / static_cast<double>(state.iterations());
  state.counters["batch_MB"] = static_cast<double>(b.memory_bytes()) / 1e6;
  state.SetItemsProcessed(static_cast<std::int64_t>(n) * state.iterations());
}

/// The finished state of 1 M events (20 000 when tiny), built once.
const shop_metrics& finished_state() {
  static const std::unique_ptr<shop_metrics> m = [] {
    auto s = std::make_unique<shop_metrics>();
    const bench::event_batch& b = batch(tiny() ? 20000 : 1'000'000);
    for (const event& e : b.events()) s->add(e);
    s->finish(b.events().back().time);
    return s;
  }();
  return *m;
}
std::vector<std::uint8_t> bare_bytes(const shop_metrics& m) {
  detail::writer w;
  m.serialize_to(w);
  return w.take();
}

/// Times `make(state bytes)` or `read(bytes)` over the finished state.
template <class Make>
void time_serialize(benchmark::State& state, Make make) {
  const shop_metrics& m = finished_state();
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::vector<std::uint8_t> b = make(m);
    bytes = b.size();
    benchmark::DoNotOptimize(b.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes) * state.iterations());
}
void time_deserialize(benchmark::State& state, const std::vector<std::uint8_t>& b) {
  for (auto _ : state) {
    shop_metrics back = shop_metrics::deserialize(b.data(), b.size());
    benchmark::DoNotOptimize(back);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(b.size()) * state.iterations());
}
void BM_state_serialize(benchmark::State& state) {
  time_serialize(state, [](const shop_metrics& m) { return m.serialize(); });
}
void BM_state_serialize_bare(benchmark::State& state) { time_serialize(state, bare_bytes); }
void BM_state_deserialize(benchmark::State& state) { time_deserialize(state, finished_state().serialize()); }
void BM_state_deserialize_bare(benchmark::State& state) { time_deserialize(state, bare_bytes(finished_state())); }
void BM_state_crc32c(benchmark::State& state) {
  const std::vector<std::uint8_t> b = bare_bytes(finished_state());
  for (auto _ : state) benchmark::DoNotOptimize(detail::crc32c(b.data(), b.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(b.size()) * state.iterations());
}

}  // namespace

BENCHMARK(BM_state_serialize)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_state_serialize_bare)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_state_deserialize)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_state_deserialize_bare)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_state_crc32c)->Unit(benchmark::kMillisecond);

// 1 M events: the repetitions bench/run asks for. 10 M: one run (a minute or
// more each here), stream and 100 M only with CSMETRICS_BENCH_HUGE=1.
BENCHMARK(BM_end_to_end_stream)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_generator_only)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_end_to_end_in_memory)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_end_to_end_in_memory)->Arg(10'000'000)->Unit(benchmark::kMillisecond)->Iterations(1)->Repetitions(1);
[[maybe_unused]] const bool huge_registered = [] {
  if (huge())
    benchmark::RegisterBenchmark("BM_end_to_end_stream", BM_end_to_end_stream)
        ->Arg(10'000'000)
        ->Arg(100'000'000)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1)
        ->Repetitions(1);
  return true;
}();

BENCHMARK_MAIN();
