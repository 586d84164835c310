// SPDX-License-Identifier: Apache-2.0
// File: bench/generator_state.hpp
//
// The working state that the event generator's parts share
// (generator_journeys.hpp, generator_orders.hpp, generator_ratings.hpp,
// event_generator.hpp): the validated options, the one random stream, the
// shops (names, agents, traffic weights, quality), the heap of events
// scheduled but not yet emitted (push() delivers some late on request), the
// funnel decisions per (shop, buyer) and the statistics. Every random draw
// of the generator comes from `rng` here, in the order the parts make them:
// that order is the output (the golden tests pin it), so the rule for
// editing any part is at most one random draw per full expression (function
// arguments are evaluated in an unspecified order: g++ and clang differ).
#ifndef CSMETRICS_BENCH_GENERATOR_STATE_HPP_
#define CSMETRICS_BENCH_GENERATOR_STATE_HPP_

#include <algorithm>      // std::push_heap, std::lower_bound
#include <cmath>          // std::pow
#include <cstddef>        // std::size_t
#include <cstdint>        // std::uint64_t, std::int64_t, std::uint32_t
#include <string>         // std::string, std::to_string
#include <unordered_map>  // std::unordered_map (per-buyer decisions)
#include <vector>         // std::vector

#include "csmetrics/core/time.hpp"
#include "csmetrics/io/event.hpp"
#include "generator_options.hpp"
#include "generator_random.hpp"

namespace csmetrics {
namespace bench {
namespace detail {

/// Microseconds per unit of the schedule's times.
inline constexpr std::int64_t us_per_second = 1000000;
inline constexpr std::int64_t us_per_minute = 60 * us_per_second;
inline constexpr std::int64_t us_per_hour = 60 * us_per_minute;
inline constexpr std::int64_t us_per_day = 24 * us_per_hour;

/// Seconds -> microseconds, at millisecond resolution.
inline std::int64_t ms(double seconds) { return static_cast<std::int64_t>(seconds * 1000.0 + 0.5) * 1000; }

/// One scheduled event: numbers only, rendered to text when it is emitted.
struct pending_event {
  std::int64_t emit_us;   // heap key: when it is delivered
  std::uint64_t seq;      // tie-break: pop order independent of the heap algorithm
  std::int64_t time_us;   // the event's own time (< emit_us when delivered late)
  std::uint64_t buyer;    // buyer id number; 0: none
  std::uint64_t order;    // order id number; 0: none
  std::int64_t amount;    // cents; -1: none
  std::uint32_t shop;     // shop index
  std::uint16_t agent;    // agent index + 1 within the shop; 0: none
  std::uint8_t type;      // event_type
  std::uint8_t score;     // 0: none
  std::uint8_t tag;       // type-specific index
};

/// The funnel decisions of one (shop, buyer), reused by its later journeys.
struct buyer_decision {
  std::int32_t inquiry_day = -1;  // local day of the last inquiry decision
  std::int32_t order_day = -1;    // local day of the last payment decision
  bool ordered = false;           // the inquiry decision: converts
  bool paid = false;              // the payment decision: pays
};

/// Heap order of the schedule: earliest delivery first, then first scheduled.
inline bool later(const pending_event& a, const pending_event& b) {
  return a.emit_us != b.emit_us ? a.emit_us > b.emit_us : a.seq > b.seq;
}

/// What the generator's parts read and change (see the file comment).
struct generator_state {
  explicit generator_state(const generator_options& options)
      : o(checked(options)), rng(o.seed), buyer_zipf(o.buyers_per_shop, o.buyer_zipf) {
    // Shop names, agent names, shop traffic weights (cumulative) and quality.
    shop_names.reserve(o.shops);
    agent_names.reserve(static_cast<std::size_t>(o.shops) * o.agents_per_shop);
    shop_cdf.reserve(o.shops);
    double total = 0;
    for (std::uint32_t s = 0; s < o.shops; ++s) {
      shop_names.push_back("s" + std::to_string(s + 1));
      for (std::uint32_t a = 0; a < o.agents_per_shop; ++a)
        agent_names.push_back("s" + std::to_string(s + 1) + "_a" + std::to_string(a + 1));
      total += std::pow(static_cast<double>(s + 1), -o.shop_zipf);
      shop_cdf.push_back(total);
      std::uint64_t h = mix64(o.seed ^ (0xA5A5ull + s));
      shop_quality.push_back(static_cast<double>(h >> 11) * 0x1.0p-53);
    }
    for (double& c : shop_cdf) c /= total;
    // Mean journey rate per microsecond over all shops.
    rate_per_us = o.journeys_per_shop_day * o.shops / 86400e6;
  }

  /// Schedules an event at `t`; with probability o.out_of_order it is
  /// delivered late, by up to o.max_out_of_order_delay.
  void push(std::int64_t t, event_type type, std::uint32_t shop, std::uint64_t buyer, std::uint16_t agent,
            std::uint64_t order = 0, std::int64_t amount = -1, std::uint8_t score = 0, std::uint8_t tag = 0) {
    pending_event p{t, seq++, t, buyer, order, amount, shop, agent, static_cast<std::uint8_t>(type), score, tag};
    if (o.out_of_order > 0 && rng.chance(o.out_of_order))
      p.emit_us = t + 1000 + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(o.max_out_of_order_delay.count() - 1000)));
    heap.push_back(p);
    std::push_heap(heap.begin(), heap.end(), later);
    if (heap.size() > stats.peak_pending) stats.peak_pending = heap.size();
  }

  /// The shops' local day of `t_us`.
  day_number day_of(std::int64_t t_us) const { return local_day(timestamp{duration{t_us}}, o.offset); }

  /// A shop index drawn by traffic weight.
  std::uint32_t pick_shop() {
    const double u = rng.uniform();
    return static_cast<std::uint32_t>(std::lower_bound(shop_cdf.begin(), shop_cdf.end(), u) - shop_cdf.begin()) %
           o.shops;
  }

  generator_options o;
  bench::rng rng;
  zipf buyer_zipf;
  std::vector<std::string> shop_names, agent_names;  // agent a (1-based) of shop s: [s * agents_per_shop + a - 1]
  std::vector<double> shop_cdf, shop_quality;
  std::vector<pending_event> heap;
  std::unordered_map<std::uint64_t, buyer_decision> decisions;
  double rate_per_us = 0;
  std::uint64_t seq = 0, orders = 10000000;
  generator_stats stats;

 private:
  static generator_options checked(generator_options options) {
    options.validate();
    return options;
  }
};

}  // namespace detail
}  // namespace bench
}  // namespace csmetrics

#endif  // CSMETRICS_BENCH_GENERATOR_STATE_HPP_
