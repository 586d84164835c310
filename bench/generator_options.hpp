// SPDX-License-Identifier: Apache-2.0
// File: bench/generator_options.hpp
//
// What the event generator (bench/event_generator.hpp) is asked to make,
// generator_options with its limits (validate()), and what it has made so
// far, generator_stats (events by type, the funnel as decided, late events,
// bad rows).
#ifndef CSMETRICS_BENCH_GENERATOR_OPTIONS_HPP_
#define CSMETRICS_BENCH_GENERATOR_OPTIONS_HPP_

#include <array>      // std::array
#include <chrono>     // std::chrono::minutes, std::chrono::hours
#include <cstddef>    // std::size_t
#include <cstdint>    // std::uint64_t, std::uint32_t
#include <stdexcept>  // std::invalid_argument
#include <string>     // std::string, std::to_string

#include "csmetrics/core/error.hpp"  // CSMETRICS_THROW
#include "csmetrics/core/time.hpp"
#include "csmetrics/io/event.hpp"

namespace csmetrics {
namespace bench {

/// What the generator makes. validate() checks the limits.
struct generator_options {
  std::uint64_t seed = 1;                       ///< any value
  std::uint32_t shops = 100;                    ///< [1, 10^6]
  std::uint32_t agents_per_shop = 8;            ///< [1, 1000]
  std::uint64_t buyers_per_shop = 100000;       ///< [1, 10^9] buyer population of each shop (Zipf)
  double buyer_zipf = 1.1;                      ///< (0, 5] Zipf exponent of buyers within a shop
  double shop_zipf = 0.8;                       ///< [0, 5] shop sizes ~ 1/k^shop_zipf (0: all equal)
  double journeys_per_shop_day = 2000;          ///< (0, 10^9] mean buyer journeys per shop per day
  timestamp start = day_start(static_cast<day_number>(days_from_civil(2019, 9, 1)));  ///< first instant
  utc_offset offset{};                          ///< shops' local day, also the CSV's printed offset
  // The funnel (per journey, decisions kept per (shop, buyer, local day)).
  double inquiry_probability = 0.12;            ///< [0, 1] journey opens a conversation
  double inquiry_conversion = 0.4764;           ///< [0, 1] inquiring buyer orders (final)
  double same_day_share = 0.98;                 ///< [0, 1] of conversions, on the inquiry's day
  double silent_order_probability = 0.02;       ///< [0, 1] journey without conversation orders
  double payment_conversion = 0.9148;           ///< [0.8, 1] ordering buyer pays (3-day window)
  double unknown_amount_fraction = 0.01;        ///< [0, 1] orders without amount
  double refund_probability = 0.04;             ///< [0, 1] of paid orders
  double dispute_probability = 0.005;           ///< [0, 1] of paid orders
  double dsr_probability = 0.5;                 ///< [0, 1] paid order gets 3 DSR scores
  double review_probability = 0.2;              ///< [0, 1] paid order gets an after-sales review
  double auto_reply_probability = 0.35;         ///< [0, 1] conversation's first message auto-answered
  double median_reply_seconds = 25;             ///< (0, 3600] lognormal median of agent reply delays
  // Disorder and dirt.
  double out_of_order = 0;                      ///< [0, 1] fraction of events delivered late
  duration max_out_of_order_delay = std::chrono::minutes{20};  ///< (0, 1 h) how late at most
  std::uint64_t bad_rows = 0;                   ///< CSV only: broken rows spread over the output

  /// Throws std::invalid_argument naming the limits.
  void validate() const {
    // "<what> must be in <limits>: <value>" unless `ok`.
    auto require = [](bool ok, const char* what, const char* limits, auto value) {
      if (!ok)
        CSMETRICS_THROW(std::invalid_argument(std::string(what) + " must be in " + limits + ": " + std::to_string(value)));
    };
    auto unit = [&](double p, const char* what) { require(p >= 0 && p <= 1, what, "[0, 1]", p); };
    require(shops >= 1 && shops <= 1000000, "shops", "[1, 1000000]", shops);
    require(agents_per_shop >= 1 && agents_per_shop <= 1000, "agents_per_shop", "[1, 1000]", agents_per_shop);
    require(buyers_per_shop >= 1 && buyers_per_shop <= 1000000000, "buyers_per_shop", "[1, 10^9]", buyers_per_shop);
    require(buyer_zipf > 0 && buyer_zipf <= 5, "buyer_zipf", "(0, 5]", buyer_zipf);
    require(shop_zipf >= 0 && shop_zipf <= 5, "shop_zipf", "[0, 5]", shop_zipf);
    require(journeys_per_shop_day > 0 && journeys_per_shop_day <= 1e9, "journeys_per_shop_day", "(0, 1e9]",
            journeys_per_shop_day);
    unit(inquiry_probability, "inquiry_probability");
    unit(inquiry_conversion, "inquiry_conversion");
    unit(same_day_share, "same_day_share");
    unit(silent_order_probability, "silent_order_probability");
    require(payment_conversion >= 0.8 && payment_conversion <= 1, "payment_conversion", "[0.8, 1]", payment_conversion);
    unit(unknown_amount_fraction, "unknown_amount_fraction");
    unit(refund_probability, "refund_probability");
    unit(dispute_probability, "dispute_probability");
    unit(dsr_probability, "dsr_probability");
    unit(review_probability, "review_probability");
    unit(auto_reply_probability, "auto_reply_probability");
    require(median_reply_seconds > 0 && median_reply_seconds <= 3600, "median_reply_seconds", "(0, 3600]",
            median_reply_seconds);
    unit(out_of_order, "out_of_order");
    if (max_out_of_order_delay <= duration::zero() || max_out_of_order_delay >= std::chrono::hours{1})
      CSMETRICS_THROW(std::invalid_argument("max_out_of_order_delay must be in (0, 1 h)"));
  }
};

/// What the generator has made so far (the funnel as decided, per buyer-day).
struct generator_stats {
  std::uint64_t events = 0;                              ///< events emitted
  std::array<std::uint64_t, event_type_count> by_type{};  ///< indexed by event_type
  std::uint64_t journeys = 0;                            ///< buyer journeys started
  std::uint64_t inquiry_decisions = 0;                   ///< new (shop, buyer, day) inquiry decisions
  std::uint64_t inquiry_converted = 0;                   ///< of them, decided to order
  std::uint64_t payment_decisions = 0;                   ///< new (shop, buyer, day) payment decisions
  std::uint64_t payment_converted = 0;                   ///< of them, decided to pay
  std::uint64_t late_events = 0;                         ///< events delivered out of time order
  std::uint64_t bad_rows = 0;                            ///< broken CSV rows written
  std::size_t peak_pending = 0;                          ///< most events scheduled at once

  std::uint64_t count(event_type t) const { return by_type[static_cast<std::size_t>(t)]; }
};

}  // namespace bench
}  // namespace csmetrics

#endif  // CSMETRICS_BENCH_GENERATOR_OPTIONS_HPP_
