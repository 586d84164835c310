// SPDX-License-Identifier: Apache-2.0
// File: bench/generator_journeys.hpp
//
// The buyers and conversations part of the event generator
// (bench/event_generator.hpp): journeys arriving as a Poisson process shaped
// by the local hour, a journey's visits, and its conversation (rounds of
// buyer bursts, an auto reply, the agent's replies after a lognormal delay
// with a Pareto tail, the inquiry decision kept per (shop, buyer, local day),
// then an order (generator_orders.hpp) or a lost inquiry with a reason), or
// a silent order without conversation.
#ifndef CSMETRICS_BENCH_GENERATOR_JOURNEYS_HPP_
#define CSMETRICS_BENCH_GENERATOR_JOURNEYS_HPP_

#include <algorithm>  // std::min, std::max
#include <array>      // std::array
#include <cmath>      // std::log
#include <cstddef>    // std::size_t
#include <cstdint>    // std::uint64_t, std::int64_t, std::uint32_t, std::uint16_t, std::uint8_t

#include "csmetrics/core/time.hpp"
#include "csmetrics/io/event.hpp"
#include "generator_orders.hpp"
#include "generator_ratings.hpp"
#include "generator_state.hpp"

namespace csmetrics {
namespace bench {
namespace detail {

/// Relative traffic by local hour (mean 1).
inline double hour_weight(int h) {
  constexpr std::array<double, 24> w = {0.45, 0.25, 0.15, 0.10, 0.08, 0.10, 0.25, 0.55, 0.90, 1.30, 1.60, 1.60,
                                        1.25, 1.20, 1.45, 1.50, 1.40, 1.20, 1.10, 1.25, 1.55, 1.65, 1.40, 0.92};
  return w[static_cast<std::size_t>(h)];
}

/// The time from the journey starting at `t` to the next one (whole ms, >= 1 ms).
inline std::int64_t next_gap_us(generator_state& g, std::int64_t t) {
  const std::int64_t local = t + g.o.offset.minutes().count() * us_per_minute;
  const int h = static_cast<int>(((local % us_per_day) + us_per_day) % us_per_day / us_per_hour);
  const double gap = g.rng.exponential(1.0 / (g.rate_per_us * hour_weight(h)));
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(gap / 1000.0 + 0.5)) * 1000;  // whole ms
}

/// An agent's reply delay in seconds: lognormal around the median, sometimes the heavy tail.
inline double reply_delay_seconds(generator_state& g) {
  if (g.rng.chance(0.04)) return std::min(g.rng.pareto(120.0, 1.3), 4.0 * 3600);  // the heavy tail
  return std::max(1.0, g.rng.lognormal(std::log(g.o.median_reply_seconds), 0.9));
}

/// A conversation starting at `t`: bursts and replies, the rating at the end,
/// then the inquiry's outcome (an order or a lost inquiry).
inline void conversation(generator_state& g, std::int64_t t, std::uint32_t shop, std::uint64_t buyer,
                         std::uint64_t key, day_number today) {
  const std::uint16_t agent = static_cast<std::uint16_t>(1 + g.rng.below(g.o.agents_per_shop));
  // The inquiry decision, per (shop, buyer, day); reused within the attribution window.
  buyer_decision& d = g.decisions[key];
  bool converts, new_order = true;
  if (d.inquiry_day >= 0 && d.inquiry_day >= today - 3) {
    converts = d.ordered;  // a buyer decided in the last 3 days decides the same way
    if (d.inquiry_day == today) {
      new_order = false;  // already ordered (or lost) today
    } else {
      d.inquiry_day = today;
      ++g.stats.inquiry_decisions;
      g.stats.inquiry_converted += converts;
    }
  } else {
    converts = g.rng.chance(g.o.inquiry_conversion);
    d.inquiry_day = today;
    d.ordered = converts;
    ++g.stats.inquiry_decisions;
    g.stats.inquiry_converted += converts;
  }
  // Rounds of buyer bursts and agent replies.
  const int rounds = g.rng.one_plus_geometric(0.55, 12);
  std::int64_t at = t;
  for (int r = 0; r < rounds; ++r) {
    const int burst = g.rng.one_plus_geometric(0.4, 6);
    std::int64_t last_buyer = at;
    for (int b = 0; b < burst; ++b) {
      const std::uint16_t routed = g.rng.chance(0.9) ? agent : 0;
      g.push(last_buyer, event_type::buyer_msg, shop, buyer, routed);
      if (r == 0 && b == 0 && g.rng.chance(g.o.auto_reply_probability))
        g.push(last_buyer + ms(0.5 + g.rng.uniform()), event_type::auto_msg, shop, buyer, 0);
      if (b + 1 < burst) last_buyer += ms(1.0 + g.rng.exponential(8.0));
    }
    if (r + 1 == rounds && g.rng.chance(0.03)) {  // the last question is never answered
      at = last_buyer;
      break;
    }
    std::int64_t reply = last_buyer + ms(reply_delay_seconds(g));
    const int answers = g.rng.one_plus_geometric(0.5, 6);
    for (int a = 0; a < answers; ++a) {
      g.push(reply, event_type::agent_msg, shop, buyer, agent);
      reply += ms(2.0 + g.rng.exponential(12.0));
    }
    at = reply + ms(5.0 + g.rng.exponential(60.0));
  }
  invite_and_vote(g, at, shop, buyer, agent);
  if (converts) {
    if (!new_order) return;
    const bool same_day = g.rng.chance(g.o.same_day_share);
    std::int64_t when = at + ms(g.rng.lognormal(std::log(300.0), 1.0));
    if (!same_day) when = at + static_cast<std::int64_t>((20 + g.rng.uniform() * 48) * static_cast<double>(us_per_hour));
    place_order(g, when, shop, buyer, key, agent, true);
  } else if (new_order && g.rng.chance(0.95)) {
    constexpr std::array<double, 7> reasons = {0.34, 0.12, 0.10, 0.05, 0.11, 0.08, 0.20};
    const std::int64_t when = at + ms(30 + g.rng.exponential(300));
    const auto reason = static_cast<std::uint8_t>(g.rng.pick(reasons));
    g.push(when, event_type::lost, shop, buyer, agent, 0, -1, 0, reason);
  }
}

/// One buyer journey starting at `t`: visits, maybe a conversation, maybe a silent order.
inline void start_journey(generator_state& g, std::int64_t t) {
  ++g.stats.journeys;
  const std::uint32_t shop = g.pick_shop();
  const std::uint64_t rank = g.buyer_zipf(g.rng);
  // Buyer ids: the rank scattered over 10 digits, so ids look like a platform's.
  const std::uint64_t buyer = 1000000000ull + mix64((static_cast<std::uint64_t>(shop) << 32) ^ rank ^ g.o.seed) % 9000000000ull;
  const std::uint64_t key = (static_cast<std::uint64_t>(shop) << 40) ^ rank;
  const int visits = g.rng.one_plus_geometric(0.35, 8);
  std::int64_t at = t;
  for (int v = 0; v < visits; ++v) {
    g.push(at, event_type::visit, shop, buyer, 0);
    at += ms(g.rng.exponential(90.0));
  }
  const day_number today = g.day_of(t);
  if (g.rng.chance(g.o.inquiry_probability)) {
    conversation(g, t + ms(g.rng.exponential(60.0)), shop, buyer, key, today);
  } else if (g.rng.chance(g.o.silent_order_probability)) {
    auto it = g.decisions.find(key);
    // A buyer lost in the last 3 days does not order silently (it would convert that inquiry).
    if (it != g.decisions.end() && !it->second.ordered && it->second.inquiry_day >= today - 3) return;
    place_order(g, at + ms(g.rng.lognormal(std::log(180.0), 0.8)), shop, buyer, key, 0, false);
  }
}

}  // namespace detail
}  // namespace bench
}  // namespace csmetrics

#endif  // CSMETRICS_BENCH_GENERATOR_JOURNEYS_HPP_
