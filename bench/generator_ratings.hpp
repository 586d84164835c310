// SPDX-License-Identifier: Apache-2.0
// File: bench/generator_ratings.hpp
//
// The ratings part of the event generator (bench/event_generator.hpp): the
// rating invitation and the buyer's vote at the end of a conversation, and
// the three DSR scores (item, service, logistics) and the after-sales review
// days after a payment. Scores run 1..5, mostly 5, better in better shops.
#ifndef CSMETRICS_BENCH_GENERATOR_RATINGS_HPP_
#define CSMETRICS_BENCH_GENERATOR_RATINGS_HPP_

#include <array>    // std::array
#include <cstdint>  // std::uint8_t, std::uint16_t, std::uint32_t, std::uint64_t, std::int64_t

#include "csmetrics/io/event.hpp"
#include "generator_state.hpp"

namespace csmetrics {
namespace bench {
namespace detail {

/// A score 1..5, 5 with probability `p5`.
inline std::uint8_t draw_score(generator_state& g, double p5) {
  const double rest = 1.0 - p5;
  const std::array<double, 5> w = {rest * 0.12, rest * 0.06, rest * 0.14, rest * 0.68, p5};
  return static_cast<std::uint8_t>(1 + g.rng.pick(w));
}

/// The end of a conversation at `at`: often an invitation to rate the agent,
/// and sometimes the buyer's vote.
inline void invite_and_vote(generator_state& g, std::int64_t at, std::uint32_t shop, std::uint64_t buyer,
                            std::uint16_t agent) {
  if (g.rng.chance(0.9)) {
    g.push(at + ms(10 + g.rng.exponential(30)), event_type::invite, shop, buyer, agent);
    if (g.rng.chance(0.45)) {
      const double p5 = 0.55 + 0.3 * g.shop_quality[shop];
      const std::int64_t when = at + ms(60 + g.rng.exponential(600));  // draws in a fixed order
      g.push(when, event_type::vote, shop, buyer, agent, 0, -1, draw_score(g, p5));
    }
  }
}

/// After the payment of `order` at `paid_at`: maybe the 3 DSR scores, 2-10
/// days later, and maybe an after-sales review, 3-13 days later.
inline void rate_order(generator_state& g, std::int64_t paid_at, std::uint32_t shop, std::uint64_t buyer,
                       std::uint64_t order) {
  const double p5 = 0.70 + 0.2 * g.shop_quality[shop];
  if (g.rng.chance(g.o.dsr_probability)) {
    const std::int64_t when = paid_at + ms((2 + g.rng.uniform() * 8) * 86400);
    for (std::uint8_t dim = 0; dim < 3; ++dim)
      g.push(when + ms(dim), event_type::dsr, shop, buyer, 0, order, -1, draw_score(g, p5 - 0.05 * dim), dim);
  }
  if (g.rng.chance(g.o.review_probability)) {
    const std::int64_t when = paid_at + ms((3 + g.rng.uniform() * 10) * 86400);
    g.push(when, event_type::review, shop, buyer, 0, order, -1, draw_score(g, p5 - 0.1));
  }
}

}  // namespace detail
}  // namespace bench
}  // namespace csmetrics

#endif  // CSMETRICS_BENCH_GENERATOR_RATINGS_HPP_
