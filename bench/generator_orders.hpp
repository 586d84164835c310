// SPDX-License-Identifier: Apache-2.0
// File: bench/generator_orders.hpp
//
// The orders and payments part of the event generator
// (bench/event_generator.hpp): an order (amount lognormal in cents, a few
// unknown), the payment decision kept per (shop, buyer, local day), quick
// payment or a reminder after 24 h with one of three scripts, cancel or
// expiry of unpaid orders, and for paid orders refunds, disputes and then
// the ratings (generator_ratings.hpp).
#ifndef CSMETRICS_BENCH_GENERATOR_ORDERS_HPP_
#define CSMETRICS_BENCH_GENERATOR_ORDERS_HPP_

#include <algorithm>  // std::min, std::max
#include <array>      // std::array
#include <cmath>      // std::log
#include <cstddef>    // std::size_t
#include <cstdint>    // std::uint64_t, std::int64_t, std::uint32_t, std::uint16_t, std::uint8_t

#include "csmetrics/core/time.hpp"
#include "csmetrics/io/event.hpp"
#include "generator_ratings.hpp"
#include "generator_state.hpp"

namespace csmetrics {
namespace bench {
namespace detail {

/// An order placed at `t` by `buyer` (`key`: its decision record), credited
/// to `agent` (0: none) on half of the `consulted` orders, and what follows.
inline void place_order(generator_state& g, std::int64_t t, std::uint32_t shop, std::uint64_t buyer, std::uint64_t key,
                        std::uint16_t agent, bool consulted) {
  const std::uint64_t order = ++g.orders;
  const double median = consulted ? 180.0 : 150.0;
  const std::int64_t cents = std::max<std::int64_t>(100, static_cast<std::int64_t>(g.rng.lognormal(std::log(median * 100), 0.6)));
  const bool unknown = g.rng.chance(g.o.unknown_amount_fraction);
  // The agent column names the credited agent on half of the consulted orders.
  const std::uint16_t credited = consulted && g.rng.chance(0.5) ? agent : 0;
  g.push(t, event_type::order, shop, buyer, credited, order, unknown ? -1 : cents);
  // The payment decision, per (shop, buyer, day of the order).
  const day_number d = g.day_of(t);
  buyer_decision& dec = g.decisions[key];
  bool pays;
  bool quick = true;
  int script = 0;
  const double quick_share = 0.8;  // paid within the hour; the rest is reminded after 24 h
  const std::array<double, 3> script_rate = {0.80, 1.00, 1.20};  // relative success of the 3 scripts
  const double reminded_rate = (g.o.payment_conversion - quick_share) / (1.0 - quick_share);
  if (dec.order_day == d) {
    pays = dec.paid;
    script = static_cast<int>(g.rng.below(3));
    quick = pays;
  } else {
    dec.order_day = d;
    quick = g.rng.chance(quick_share);
    if (quick) {
      pays = true;
    } else {
      script = static_cast<int>(g.rng.below(3));
      pays = g.rng.chance(std::min(1.0, reminded_rate * script_rate[static_cast<std::size_t>(script)]));
    }
    dec.paid = pays;
    ++g.stats.payment_decisions;
    g.stats.payment_converted += pays;
  }
  std::int64_t paid_at = 0;
  if (quick && pays) {
    paid_at = t + ms(std::min(3000.0, 20 + g.rng.lognormal(std::log(120.0), 1.0)));
  } else {
    const std::int64_t remind = t + 24 * us_per_hour + ms(g.rng.uniform() * 1800);
    const std::uint16_t by = agent != 0 ? agent : static_cast<std::uint16_t>(1 + g.rng.below(g.o.agents_per_shop));
    g.push(remind, event_type::reminder, shop, buyer, g.rng.chance(0.8) ? by : 0, order, -1, 0,
           static_cast<std::uint8_t>(script));
    if (pays) {
      paid_at = remind + ms(60 + g.rng.uniform() * 40 * 3600);
    } else {
      if (g.rng.chance(0.7)) g.push(remind + ms(3600 + g.rng.uniform() * 40 * 3600), event_type::cancel, shop, buyer, 0, order);
      return;
    }
  }
  g.push(paid_at, event_type::payment, shop, buyer, 0, order, cents);
  if (g.rng.chance(g.o.refund_probability)) {
    const std::int64_t back = g.rng.chance(0.7) ? cents : std::max<std::int64_t>(1, cents * static_cast<std::int64_t>(1 + g.rng.below(90)) / 100);
    const std::int64_t when = paid_at + ms(3600 + g.rng.uniform() * 7 * 86400);
    g.push(when, event_type::refund, shop, buyer, 0, order, back);
    if (g.rng.chance(g.o.dispute_probability / g.o.refund_probability))
      g.push(when + ms(60 + g.rng.uniform() * 3600), event_type::dispute, shop, buyer, 0, order);
  }
  rate_order(g, paid_at, shop, buyer, order);
}

}  // namespace detail
}  // namespace bench
}  // namespace csmetrics

#endif  // CSMETRICS_BENCH_GENERATOR_ORDERS_HPP_
