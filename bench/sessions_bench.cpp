// SPDX-License-Identifier: Apache-2.0
// Messages per second through the full session tracker (csmetrics::sessions)
// with 1 million concurrent conversations and integer ids, against a
// straightforward std::unordered_map<std::string, ...> implementation of the
// same rules (conversations keyed "shop|buyer", statistics cells keyed
// "shop|agent|day", buyer sets of strings) in the same binary.
// CSMETRICS_BENCH_TINY=1: 10 000 conversations.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bench_support.hpp"
#include "session_stream.hpp"
#include "csmetrics/sessions/sessions.hpp"

using namespace csmetrics;

namespace {

using msg = bench::session_msg;
struct str_msg {
  bool buyer;
  std::string shop, buyer_id, agent;
  timestamp t;
};

std::size_t conversations() { return bench::tiny() ? 10000 : 1000000; }

/// The stream of bench/session_stream.hpp, from 2019-09-01 09:00, a minute a step.
const std::vector<msg>& stream() {
  static const std::vector<msg> events = bench::session_stream(
      conversations(), day_start(*parse_day("2019-09-01")) + std::chrono::hours{9}, std::chrono::minutes{1});
  return events;
}

const std::vector<str_msg>& str_stream() {
  static const std::vector<str_msg> events = [] {
    std::vector<str_msg> out;
    out.reserve(stream().size());
    for (const msg& m : stream())
      out.push_back(str_msg{m.buyer, "shop" + std::to_string(m.shop), "buyer" + std::to_string(m.buyer_id),
                            "agent" + std::to_string(m.agent), m.t});
    return out;
  }();
  return events;
}

/// The same rules, written the obvious way.
class baseline_sessions {
 public:
  struct stats {
    std::uint64_t conversations = 0, buyer_msgs = 0, agent_msgs = 0, credited = 0, unanswered = 0;
    response_stats response, first, first_auto;
    std::unordered_set<std::string> served;
  };
  struct conv {
    std::int64_t clock = 0, last = 0;
    std::uint32_t burst = 0;
    bool first_taken = false, first_auto_taken = false;
    std::string agent, routed;
  };

  void buyer_message(const std::string& shop, const std::string& buyer, timestamp ts) {
    const std::int64_t t = ts.time_since_epoch().count();
    auto [it, fresh] = convs_.try_emplace(shop + "|" + buyer);
    conv& c = it->second;
    if (!fresh) {
      if (t < c.last) return;
      expire(c, shop, t);
    }
    if (fresh || (c.burst == 0 && starts_new(c, t))) {
      c = conv{};
      stats& k = cell(shop, "", day(t));
      ++k.conversations;
      k.served.insert(buyer);
    }
    if (c.burst == 0) {
      c.clock = t;
      c.routed = c.agent;
    }
    ++c.burst;
    c.last = t;
    ++cell(shop, "", day(t)).buyer_msgs;
  }

  void agent_message(const std::string& shop, const std::string& buyer, const std::string& agent, timestamp ts) {
    const std::int64_t t = ts.time_since_epoch().count();
    auto it = convs_.find(shop + "|" + buyer);
    conv* c = it == convs_.end() ? nullptr : &it->second;
    if (c) {
      if (c->burst && t < c->clock) return;
      if (t < c->last) return;
      expire(*c, shop, t);
      if (c->burst == 0 && starts_new(*c, t)) c = nullptr;
    }
    if (c && c->burst) {
      stats& k = cell(shop, agent, day(c->clock));
      const duration wait{t - c->clock};
      k.response.add(wait);
      if (!c->first_taken) k.first.add(wait);
      if (!c->first_auto_taken) k.first_auto.add(wait);
      c->first_taken = c->first_auto_taken = true;
      k.credited += c->burst;
      c->burst = 0;
    }
    stats& k = cell(shop, agent, day(t));
    ++k.agent_msgs;
    k.served.insert(buyer);
    if (c) {
      c->agent = agent;
      c->last = t;
    }
  }

  std::size_t open_conversations() const { return convs_.size(); }

 private:
  static day_number day(std::int64_t t) { return local_day(timestamp{duration{t}}); }
  bool starts_new(const conv& c, std::int64_t t) const {
    return t - c.last > gap_ || day(t) != day(c.last);
  }
  void expire(conv& c, const std::string& shop, std::int64_t t) {
    if (c.burst == 0 || t - c.clock <= wait_) return;
    stats& k = cell(shop, c.routed, day(c.clock));
    ++k.unanswered;
    k.credited += c.burst;
    c.burst = 0;
    c.first_taken = c.first_auto_taken = true;
  }
  stats& cell(const std::string& shop, const std::string& agent, day_number d) {
    return cells_[shop + "|" + agent + "|" + std::to_string(d)];
  }
  std::int64_t gap_ = 600'000'000, wait_ = 86'400'000'000;
  std::unordered_map<std::string, conv> convs_;
  std::unordered_map<std::string, stats> cells_;
};

/// Feeds `events` to `s` (sessions<...> or the baseline), buyer and agent messages in turn.
template <class Tracker, class Message>
void replay(Tracker& s, const std::vector<Message>& events) {
  for (const Message& m : events) {
    if (m.buyer)
      s.buyer_message(m.shop, m.buyer_id, m.t);
    else
      s.agent_message(m.shop, m.buyer_id, m.agent, m.t);
  }
}

/// Replays `events` into a fresh tracker `make()` every iteration: messages/s.
template <class Message, class Make>
void replay_each_iteration(benchmark::State& state, const std::vector<Message>& events, Make make) {
  for (auto _ : state) {
    auto s = make();
    replay(s, events);
    benchmark::DoNotOptimize(s.open_conversations());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * events.size()));
}

void BM_sessions_messages(benchmark::State& state) {
  const auto& events = stream();
  for (auto _ : state) {
    sessions<> s;
    replay(s, events);
    benchmark::DoNotOptimize(s.open_conversations());
    state.counters["open_conversations"] = static_cast<double>(s.open_conversations());
    state.counters["table_bytes_per_open"] =
        static_cast<double>(s.table_bytes()) / static_cast<double>(s.open_conversations());
    state.counters["state_bytes_per_open"] = static_cast<double>(sessions<>::conversation_state_bytes);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * events.size()));
}

void BM_sessions_messages_no_buyer_sets(benchmark::State& state) {
  session_options o;
  o.track_buyers = false;
  replay_each_iteration(state, stream(), [&] { return sessions<>(o); });
}

void BM_sessions_messages_string_ids(benchmark::State& state) {
  replay_each_iteration(state, str_stream(), [] { return sessions<std::string, std::string, std::string>(); });
}

void BM_sessions_baseline_unordered_map_string(benchmark::State& state) {
  replay_each_iteration(state, str_stream(), [] { return baseline_sessions(); });
}

void BM_sessions_flush(benchmark::State& state) {
  const auto& events = stream();
  sessions<> filled;
  replay(filled, events);
  const timestamp now = events.back().t + std::chrono::minutes{1};  // nothing to free: a full scan
  for (auto _ : state) {
    filled.flush(now);
    benchmark::DoNotOptimize(filled.open_conversations());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * filled.open_conversations()));
}

}  // namespace

BENCHMARK(BM_sessions_messages)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_sessions_messages_no_buyer_sets)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_sessions_messages_string_ids)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_sessions_baseline_unordered_map_string)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_sessions_flush)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
