// SPDX-License-Identifier: Apache-2.0
// What service hours cost (issue 25, target: <= 10 % of sessions
// throughput): messages per second through csmetrics::sessions without a
// calendar (the baseline, in the same binary) and with one - the same hours
// for every shop, and hours of its own for each of 1000 shops (two intervals
// a day, a closed Sunday, special dates) - plus the raw service_hours::between
// on same-day and multi-day spans. Two streams: waits inside service hours
// (the usual case), and waits across closings and nights (the worst case:
// replies take the multi-day path and every cell stores service figures).
// CSMETRICS_BENCH_TINY=1: 10 000 conversations.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "session_stream.hpp"
#include "csmetrics/sessions/service_calendar.hpp"
#include "csmetrics/sessions/sessions.hpp"

using namespace csmetrics;

namespace {

using msg = bench::session_msg;

std::size_t conversations() { return bench::tiny() ? 10000 : 200000; }

/// The stream of bench/session_stream.hpp. `night`: steps 2 h 15 min apart
/// from 19:00 local, so waits span closings and nights (every cell's service
/// figures differ from wall time); else 1 min apart from 10:00, inside
/// service hours (the usual case).
std::vector<msg> make_stream(bool night) {
  return bench::session_stream(conversations(),
                               day_start(*parse_day("2019-09-06")) + std::chrono::hours{night ? 19 : 10},
                               std::chrono::minutes{night ? 135 : 1});
}
const std::vector<msg>& stream(bool night) {
  static const std::vector<msg> day_events = make_stream(false), night_events = make_stream(true);
  return night ? night_events : day_events;
}

session_options options(int calendar) {
  session_options o;
  o.session_gap = std::chrono::hours{12};  // one conversation per buyer through the night
  if (calendar == 1) {
    o.calendar = std::make_shared<const service_calendar>(
        service_calendar::every_day({service_interval{8 * 60, 24 * 60}}));
  } else if (calendar == 2) {
    auto cal = std::make_shared<service_calendar>();
    for (int s = 0; s < 1000; ++s) {
      service_hours h;
      for (int d = 0; d < 6; ++d)
        h.set_weekday(d, {service_interval{8 * 60 + s % 60, 12 * 60}, service_interval{13 * 60, 22 * 60 + s % 120}});
      h.set_date(*parse_day("2019-09-07"), {service_interval{10 * 60, 16 * 60}});
      h.set_date(*parse_day("2019-10-01"), {});
      cal->set_shop(std::to_string(s), std::move(h));
    }
    o.calendar = cal;
  }
  return o;
}

void run(benchmark::State& state, int calendar, bool night) {
  const auto& events = stream(night);
  const session_options opt = options(calendar);
  for (auto _ : state) {
    sessions<> s(opt);
    for (const msg& m : events) {
      if (m.buyer)
        s.buyer_message(m.shop, m.buyer_id, m.t);
      else
        s.agent_message(m.shop, m.buyer_id, m.agent, m.t);
    }
    benchmark::DoNotOptimize(s.open_conversations());
    state.counters["open_conversations"] = static_cast<double>(s.open_conversations());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * events.size()));
}

// In service hours: the calendar's cost is computing each wait's service time.
void BM_sessions_messages_day_no_calendar(benchmark::State& state) { run(state, 0, false); }
void BM_sessions_messages_day_calendar(benchmark::State& state) { run(state, 1, false); }
void BM_sessions_messages_day_calendar_per_shop(benchmark::State& state) { run(state, 2, false); }
// Across nights: every cell keeps its own service-time figures as well.
void BM_sessions_messages_night_no_calendar(benchmark::State& state) { run(state, 0, true); }
void BM_sessions_messages_night_calendar(benchmark::State& state) { run(state, 1, true); }
void BM_sessions_messages_night_calendar_per_shop(benchmark::State& state) { run(state, 2, true); }

/// service_hours::between alone: waits of under a minute (0), of up to 3
/// days (1), or of up to 60 days over a year with 40 special dates (2).
void BM_service_hours_between(benchmark::State& state) {
  const bool long_waits = state.range(0) != 0;
  service_hours h;
  for (int d = 0; d < 6; ++d) h.set_weekday(d, {service_interval{9 * 60, 12 * 60}, service_interval{13 * 60, 24 * 60}});
  h.set_date(*parse_day("2019-09-10"), {});
  if (state.range(0) == 2)
    for (int i = 0; i < 40; ++i) h.set_date(*parse_day("2019-09-01") + 9 * i + 3, {service_interval{10 * 60, 14 * 60}});
  std::mt19937_64 rng(2);
  std::vector<std::pair<timestamp, timestamp>> spans(4096);
  const timestamp start = day_start(*parse_day("2019-09-01"));
  for (auto& [a, b] : spans) {
    a = start + std::chrono::microseconds{static_cast<std::int64_t>(rng() % (std::uint64_t{30} * 86'400'000'000))};
    b = a + std::chrono::microseconds{static_cast<std::int64_t>(
                rng() % (state.range(0) == 2 ? std::uint64_t{60} * 86'400'000'000
                         : long_waits           ? std::uint64_t{3} * 86'400'000'000
                                                : std::uint64_t{60'000'000}))};
  }
  const utc_offset off{};
  for (auto _ : state)
    for (const auto& [a, b] : spans) benchmark::DoNotOptimize(h.between(a, b, off));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * spans.size()));
}

}  // namespace

BENCHMARK(BM_sessions_messages_day_no_calendar)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_sessions_messages_day_calendar)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_sessions_messages_day_calendar_per_shop)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_sessions_messages_night_no_calendar)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_sessions_messages_night_calendar)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_sessions_messages_night_calendar_per_shop)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_service_hours_between)->Arg(0)->Arg(1)->Arg(2);

BENCHMARK_MAIN();
