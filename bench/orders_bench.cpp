// SPDX-License-Identifier: Apache-2.0
// Events per second of csmetrics::orders with 10 million distinct buyers and
// integer ids, against a straightforward std::unordered_map implementation of
// the same rules (inquiry cohorts same-day/final, payment cohorts, order- and
// payment-time attribution with assists, revenue, repeat purchase) in the
// same binary. CSMETRICS_BENCH_TINY=1: 10 thousand buyers.
#include <benchmark/benchmark.h>

#include <malloc.h>  // mallinfo2: heap bytes held

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "bench_support.hpp"
#include "csmetrics/orders/orders.hpp"

namespace {

using namespace csmetrics;

struct bench_event {
  std::int64_t t;      // us
  std::uint64_t buyer;
  std::uint64_t order;
  std::uint32_t agent;
  std::uint32_t amount;  // minor units
  std::uint8_t kind;     // 0 inquiry, 1 reply, 2 order, 3 payment
};

std::uint64_t mix(std::uint64_t x) { return detail::mix64(x); }

using csmetrics::bench::tiny;

/// 7 days of traffic: every buyer inquires once; 60 % get a reply (one of
/// 200 agents), 40 % order, 90 % of orders are paid within 1..30 h.
const std::vector<bench_event>& events() {
  static const std::vector<bench_event> evs = [] {
    const std::uint64_t buyers = tiny() ? 10000 : 10000000;
    std::vector<bench_event> v;
    v.reserve(buyers * 24 / 10);
    const std::int64_t day0 = day_start(static_cast<day_number>(days_from_civil(2019, 9, 1))).time_since_epoch().count();
    const std::int64_t hour = 3600LL * 1000000;
    for (std::uint64_t i = 0; i < buyers; ++i) {
      const std::uint64_t r = mix(i + 1);
      const std::uint64_t buyer = mix(r);  // random 64-bit ids
      const std::int64_t t = day0 + static_cast<std::int64_t>(r % (7 * 24 * 3600)) * 1000000;
      v.push_back({t, buyer, 0, 0, 0, 0});
      const std::uint32_t agent = static_cast<std::uint32_t>((r >> 20) % 200);
      if ((r >> 8) % 10 < 6) v.push_back({t + 60 * 1000000, buyer, 0, agent, 0, 1});
      if ((r >> 12) % 10 < 4) {
        const std::int64_t to = t + static_cast<std::int64_t>((r >> 24) % 30) * hour;
        const std::uint32_t amount = 1000 + static_cast<std::uint32_t>((r >> 32) % 50000);
        v.push_back({to, buyer, i + 1, 0, amount, 2});
        if ((r >> 16) % 10 < 9)
          v.push_back({to + (1 + static_cast<std::int64_t>((r >> 40) % 30)) * hour, buyer, i + 1, 0, amount, 3});
      }
    }
    std::sort(v.begin(), v.end(), [](const bench_event& a, const bench_event& b) { return a.t < b.t; });
    return v;
  }();
  return evs;
}

std::size_t heap_bytes() { return mallinfo2().uordblks; }

// ---- the straightforward baseline ------------------------------------------

struct naive_orders {
  struct buyer_state {
    std::map<day_number, bool> inquiries;  // day -> converted
    std::set<day_number> ordered_days, paid_days;
    std::vector<std::pair<std::uint32_t, day_number>> replies;  // agent, day (latest last)
    int paid_orders = 0;
  };
  struct order_state {
    std::uint64_t buyer;
    std::int64_t t;
    std::int64_t amount;
    bool consulted;
    std::optional<std::uint32_t> agent, assist;
    bool paid = false;
  };
  struct inquiry_counts {
    std::uint64_t inquired = 0, same_day = 0, ordered = 0;
  };
  struct payment_counts {
    std::uint64_t ordering = 0, paying = 0, orders = 0, paid = 0, late = 0;
  };
  struct credit {
    std::uint64_t paid_orders = 0, assists = 0;
    std::int64_t revenue = 0;
  };
  int window = 3;
  std::int64_t payment_window = 72LL * 3600 * 1000000;
  utc_offset offset{};
  std::unordered_map<std::uint64_t, buyer_state> buyers;
  std::unordered_map<std::uint64_t, order_state> orders;
  std::map<day_number, inquiry_counts> inquiry_days;
  std::map<day_number, payment_counts> payment_days;
  std::map<std::uint32_t, credit> by_order_rule, by_payment_rule;
  std::int64_t revenue = 0, consulted_order_revenue = 0, consulted_payment_revenue = 0;
  std::uint64_t repeat = 0, paying_buyers = 0;

  day_number day_of(std::int64_t t) const { return local_day(timestamp{duration{t}}, offset); }

  void credit_at(buyer_state& b, day_number d, bool& consulted, std::optional<std::uint32_t>& agent,
                 std::optional<std::uint32_t>& assist) {
    consulted = false;
    for (auto& [day, conv] : b.inquiries)
      if (day >= d - window && day <= d) consulted = true;
    agent.reset();
    assist.reset();
    if (!consulted) return;
    for (auto it = b.replies.rbegin(); it != b.replies.rend(); ++it) {
      if (it->second < d - window || it->second > d) continue;
      if (!agent) agent = it->first;
      else if (!assist && *agent != it->first) assist = it->first;
    }
  }

  void add(const bench_event& e) {
    const day_number d = day_of(e.t);
    switch (e.kind) {
      case 0: {
        buyer_state& b = buyers[e.buyer];
        if (b.inquiries.emplace(d, false).second) ++inquiry_days[d].inquired;
        break;
      }
      case 1: buyers[e.buyer].replies.emplace_back(e.agent, d); break;
      case 2: {
        buyer_state& b = buyers[e.buyer];
        payment_counts& pc = payment_days[d];
        ++pc.orders;
        if (b.ordered_days.insert(d).second) ++pc.ordering;
        for (auto& [day, conv] : b.inquiries) {
          if (day < d - window || day > d || conv) continue;
          conv = true;
          ++inquiry_days[day].ordered;
          if (day == d) ++inquiry_days[day].same_day;
        }
        order_state o{e.buyer, e.t, e.amount, false, {}, {}};
        credit_at(b, d, o.consulted, o.agent, o.assist);
        orders.emplace(e.order, o);
        break;
      }
      case 3: {
        auto it = orders.find(e.order);
        if (it == orders.end() || it->second.paid) break;
        order_state& o = it->second;
        o.paid = true;
        buyer_state& b = buyers[o.buyer];
        const day_number od = day_of(o.t);
        payment_counts& pc = payment_days[od];
        if (e.t - o.t <= payment_window) {
          ++pc.paid;
          if (b.paid_days.insert(od).second) ++pc.paying;
        } else {
          ++pc.late;
        }
        if (++b.paid_orders == 1) ++paying_buyers;
        else if (b.paid_orders == 2) ++repeat;
        revenue += e.amount;
        if (o.consulted) consulted_order_revenue += e.amount;
        if (o.agent) {
          credit& c = by_order_rule[*o.agent];
          ++c.paid_orders;
          c.revenue += e.amount;
        }
        if (o.assist) ++by_order_rule[*o.assist].assists;
        bool consulted;
        std::optional<std::uint32_t> agent, assist;
        credit_at(b, d, consulted, agent, assist);
        if (consulted) consulted_payment_revenue += e.amount;
        if (agent) {
          credit& c = by_payment_rule[*agent];
          ++c.paid_orders;
          c.revenue += e.amount;
        }
        if (assist) ++by_payment_rule[*assist].assists;
        break;
      }
    }
  }
  std::uint64_t final_ordered() const {
    std::uint64_t n = 0;
    for (const auto& [d, c] : inquiry_days) n += c.ordered;
    return n;
  }
};

void feed(orders& acc, const bench_event& e) {
  switch (e.kind) {
    case 0: acc.inquiry(1, e.buyer, timestamp{duration{e.t}}); break;
    case 1: acc.agent_reply(1, e.buyer, e.agent, timestamp{duration{e.t}}); break;
    case 2: acc.order(1, e.buyer, e.order, money::from_minor(e.amount), std::nullopt, timestamp{duration{e.t}}); break;
    case 3: acc.payment(1, e.order, money::from_minor(e.amount), std::nullopt, timestamp{duration{e.t}}); break;
  }
}

void BM_orders_add(benchmark::State& state) {
  const auto& evs = events();
  for (auto _ : state) {
    const std::size_t before = heap_bytes();
    auto* acc = new orders();
    for (const bench_event& e : evs) feed(*acc, e);
    benchmark::DoNotOptimize(acc);
    state.counters["buyers"] = static_cast<double>(acc->tracked_buyers());
    state.counters["final_ordered"] = static_cast<double>(acc->inquiry_total().ordered);
    state.counters["paying_buyers"] = static_cast<double>(acc->payment_total().paying_buyers);
    state.counters["buyer_B_per_buyer"] =
        static_cast<double>(acc->buyer_state_bytes()) / static_cast<double>(acc->tracked_buyers());
    state.counters["heap_B_per_buyer"] =
        static_cast<double>(heap_bytes() - before) / static_cast<double>(acc->tracked_buyers());
    delete acc;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * evs.size()));
}

void BM_orders_add_unordered_map_baseline(benchmark::State& state) {
  const auto& evs = events();
  for (auto _ : state) {
    const std::size_t before = heap_bytes();
    auto* acc = new naive_orders();
    for (const bench_event& e : evs) acc->add(e);
    benchmark::DoNotOptimize(acc);
    state.counters["buyers"] = static_cast<double>(acc->buyers.size());
    state.counters["final_ordered"] = static_cast<double>(acc->final_ordered());
    std::uint64_t paying = 0;
    for (const auto& [d, c] : acc->payment_days) paying += c.paying;
    state.counters["paying_buyers"] = static_cast<double>(paying);
    state.counters["heap_B_per_buyer"] =
        static_cast<double>(heap_bytes() - before) / static_cast<double>(acc->buyers.size());
    delete acc;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * evs.size()));
}

BENCHMARK(BM_orders_add)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_orders_add_unordered_map_baseline)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
