// SPDX-License-Identifier: Apache-2.0
// File: bench/event_generator.hpp
//
// A deterministic generator of realistic shop event streams, for the
// benchmarks, the tests and the examples: csmetrics::event values through a
// callback, or the CSV text of ../shared/EVENTS.md (header line included).
// Same options and seed -> the same events and the same bytes, with
// libstdc++ and libc++ alike: the random numbers come from xoshiro256**
// seeded by splitmix64, and every distribution (exponential, normal,
// lognormal, Pareto, Zipf) is written here from uniform draws, never with
// std::*_distribution (whose output differs between standard libraries).
// Rule for editing: at most one random draw per full expression (function
// arguments are evaluated in an unspecified order: g++ and clang differ).
//
// The shape (each figure an option of generator_options):
//   * many shops (Zipf-sized: shop k gets traffic ~ 1/k^0.8) with several
//     agents each; buyers per shop drawn Zipf (rejection-inversion sampling,
//     exponent 1.1 over 100 000 buyers), so a few buyers come back often;
//   * buyer journeys arrive as a Poisson process shaped by the hour of the
//     shop's local day (quiet nights, peaks at 10-11, 14-16 and 20-22 h);
//   * a journey: 1+ visits; with some probability a conversation: rounds of
//     bursts of buyer messages, an auto reply to the first one sometimes, the
//     agent's replies after a lognormal delay (median 25 s) with a Pareto tail
//     (minutes to hours), rating invitation and vote at the end;
//   * inquiry conversion about 47.64 % and payment conversion about 91.48 %
//     per (shop, buyer, local day), as the source's 1-7 Sept figures: the
//     decision is kept per buyer and day, so Zipf's repeat buyers do not
//     inflate the buyer-level rates; about 98 % of conversions the same day;
//   * an inquiry that does not convert is recorded as lost with a reason;
//   * silent orders (no conversation), consulted orders with a higher AOV,
//     amounts lognormal in cents, a few orders with an unknown amount;
//   * orders unpaid after 24 h get a payment reminder with one of three
//     scripts of different success rates; unpaid orders are cancelled or
//     left to expire; paid orders get refunds, disputes, DSR scores (3 tags)
//     and after-sales reviews days later;
//   * optionally a fraction of events delivered late (out of time order, by
//     at most max_out_of_order_delay, less than the CSV reader's default
//     1 h lateness) and, in CSV, a number of bad rows (each one broken in one
//     way the reader rejects: unknown type, missing field, bad time, amount
//     with 3 decimals, score 0, bad tag, wrong field count).
//
// Memory: a heap of the events scheduled but not yet emitted (~64 bytes
// each; mostly the DSR scores and reviews waiting days after their payment)
// and one 16-byte decision record per (shop, buyer) that inquired or
// ordered. Speed (2.1 GHz Zen 5, shared): about 2.5 M events/s to the
// callback (bench/end_to_end_bench BM_generator_only), 1.3-2.5 M CSV rows/s
// (bench/gen_events --stats).
//
//     csmetrics::bench::generator_options o;
//     o.seed = 7; o.shops = 100;
//     csmetrics::bench::event_generator g(o);
//     g.generate(1'000'000, [](const csmetrics::event& e) { /* views valid during the call */ });
//     std::string csv = csmetrics::bench::generate_csv(o, 10'000);   // header + 10 000 rows
//
// The parts, one header each, all included here:
//   generator_random.hpp    rng (xoshiro256**) and zipf, the distributions
//   generator_options.hpp   generator_options (validate()), generator_stats
//   generator_state.hpp     the shared state: shops, schedule heap, decisions
//   generator_journeys.hpp  journeys: arrivals, visits, conversations
//   generator_orders.hpp    orders, payments, reminders, refunds, disputes
//   generator_ratings.hpp   votes, DSR scores, after-sales reviews
//   event_csv_writer.hpp    csv_header, csv_writer
//   event_bad_rows.hpp      the broken rows of options.bad_rows
// and here the event_generator itself and generate_csv().
#ifndef CSMETRICS_BENCH_EVENT_GENERATOR_HPP_
#define CSMETRICS_BENCH_EVENT_GENERATOR_HPP_

#include <algorithm>    // std::pop_heap
#include <array>        // std::array
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint64_t, std::int64_t
#include <string>       // std::string
#include <string_view>  // std::string_view

#include "csmetrics/core/money.hpp"
#include "csmetrics/core/time.hpp"
#include "csmetrics/io/event.hpp"
#include "csmetrics/io/event_batch.hpp"
#include "event_bad_rows.hpp"
#include "event_csv_writer.hpp"
#include "generator_journeys.hpp"
#include "generator_options.hpp"
#include "generator_random.hpp"
#include "generator_state.hpp"

namespace csmetrics {
namespace bench {

/**
 * Makes a shop event stream in time order (see the file comment for the
 * shape), one event at a time, to a callback. generate() may be called again
 * to continue the same stream. The event's text views point at buffers of the
 * generator: shop, agent and tag stay valid while the generator lives; buyer
 * and order only during the callback (copy them to keep them; event_batch
 * does).
 *
 *     csmetrics::bench::event_generator g({});
 *     std::uint64_t payments = 0;
 *     g.generate(100000, [&](const csmetrics::event& e) {
 *       payments += e.type == csmetrics::event_type::payment;
 *     });
 *
 * Complexity: O(log p) per event for p scheduled events. Thread-safety: one
 * generator per thread (generators with different seeds are independent).
 */
class event_generator {
 public:
  explicit event_generator(generator_options options)
      : g_(options), next_journey_us_(g_.o.start.time_since_epoch().count()) {}

  /// Emits the next `n` events to `on_event(const csmetrics::event&)`; returns n.
  template <class F>
  std::uint64_t generate(std::uint64_t n, F&& on_event) {
    for (std::uint64_t i = 0; i < n; ++i) {
      while (g_.heap.empty() || g_.heap.front().emit_us > next_journey_us_) {
        detail::start_journey(g_, next_journey_us_);
        next_journey_us_ += detail::next_gap_us(g_, next_journey_us_);
      }
      std::pop_heap(g_.heap.begin(), g_.heap.end(), detail::later);
      const detail::pending_event p = g_.heap.back();
      g_.heap.pop_back();
      fill(p);
      ++g_.stats.events;
      ++g_.stats.by_type[p.type];
      if (p.emit_us != p.time_us) ++g_.stats.late_events;
      on_event(static_cast<const event&>(ev_));
    }
    return n;
  }

  /// Generation so far.
  const generator_stats& stats() const { return g_.stats; }
  /// The options, as validated.
  const generator_options& options() const { return g_.o; }
  /// Counts one bad row written by a CSV writer (generate_csv / csv_writer).
  void count_bad_row() { ++g_.stats.bad_rows; }

 private:
  // Renders `p` into ev_ (views into the generator's buffers).
  void fill(const detail::pending_event& p) {
    const auto type = static_cast<event_type>(p.type);
    const event_field_set need = required_fields(type);
    ev_ = event{};
    ev_.time = timestamp{duration{p.time_us}};
    ev_.type = type;
    ev_.shop = g_.shop_names[p.shop];
    const bool buyer_col = (need & field_bit(event_field::buyer)) || type == event_type::payment ||
                           type == event_type::cancel;
    if (buyer_col && p.buyer != 0) ev_.buyer = number(buyer_buf_, 'b', p.buyer);
    if (p.agent != 0)
      ev_.agent = g_.agent_names[static_cast<std::size_t>(p.shop) * g_.o.agents_per_shop + (p.agent - 1u)];
    if (p.order != 0) ev_.order = number(order_buf_, 'o', p.order);
    if (p.amount >= 0) ev_.amount = money::from_minor(p.amount);
    ev_.score = p.score;
    switch (type) {
      case event_type::lost: ev_.tag = lost_reason_names[p.tag]; break;
      case event_type::dsr: ev_.tag = dsr_tag_names[p.tag]; break;
      case event_type::reminder: ev_.tag = script_names()[p.tag]; break;
      default: break;
    }
  }

  static const std::array<std::string_view, 3>& script_names() {
    static constexpr std::array<std::string_view, 3> n = {"script_a", "script_b", "script_c"};
    return n;
  }

  static std::string_view number(std::array<char, 24>& buf, char prefix, std::uint64_t v) {
    char tmp[24];
    int n = 0;
    do {
      tmp[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    buf[0] = prefix;
    for (int i = 0; i < n; ++i) buf[static_cast<std::size_t>(1 + i)] = tmp[n - 1 - i];
    return std::string_view(buf.data(), static_cast<std::size_t>(n + 1));
  }

  detail::generator_state g_;
  std::int64_t next_journey_us_;
  std::array<char, 24> buyer_buf_{}, order_buf_{};
  event ev_;
};

/// Generates `n` events with `options` as CSV (header first) and passes the
/// text in pieces of about `chunk` bytes to `sink(std::string_view)`.
/// options.bad_rows broken rows are spread evenly among the `n` good ones.
/// Returns the generator's statistics.
template <class Sink>
generator_stats generate_csv(const generator_options& options, std::uint64_t n, Sink&& sink,
                             std::size_t chunk = std::size_t{1} << 20) {
  event_generator g(options);
  csv_writer w(options.offset);
  std::string buf(csv_header);
  buf.reserve(chunk + 512);
  const std::uint64_t bad = options.bad_rows;
  std::uint64_t bad_done = 0, i = 0;
  timestamp last = options.start;
  auto write_bad_row = [&] {
    w.append_bad_row(buf, bad_done++, last);
    g.count_bad_row();
  };
  g.generate(n, [&](const event& e) {
    w.append(buf, e);
    ++i;
    if (e.time > last) last = e.time;
    while (bad_done < bad && detail::bad_row_after(bad_done, n, bad) < i) write_bad_row();
    if (buf.size() >= chunk) {
      sink(std::string_view(buf));
      buf.clear();
    }
  });
  while (bad_done < bad) write_bad_row();  // n == 0 or rounding: the rest at the end
  if (!buf.empty()) sink(std::string_view(buf));
  return g.stats();
}

/// Generates `n` events with `options` as CSV text in memory (header first).
inline std::string generate_csv(const generator_options& options, std::uint64_t n) {
  std::string out;
  generate_csv(options, n, [&](std::string_view piece) { out.append(piece.data(), piece.size()); });
  return out;
}

/// Generated events kept in memory (csmetrics::event_batch: events owning their text).
using event_batch = csmetrics::event_batch;

}  // namespace bench
}  // namespace csmetrics

#endif  // CSMETRICS_BENCH_EVENT_GENERATOR_HPP_
