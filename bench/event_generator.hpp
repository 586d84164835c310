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
#ifndef CSMETRICS_BENCH_EVENT_GENERATOR_HPP_
#define CSMETRICS_BENCH_EVENT_GENERATOR_HPP_

#include <algorithm>      // std::push_heap, std::pop_heap, std::min, std::max
#include <array>          // std::array
#include <cmath>          // std::log, std::exp, std::sqrt, std::cos, std::sin, std::log1p, std::expm1
#include <cstddef>        // std::size_t
#include <cstdint>        // std::uint64_t, std::int64_t, std::uint32_t
#include <limits>         // std::numeric_limits
#include <memory>         // std::unique_ptr
#include <stdexcept>      // std::invalid_argument, std::runtime_error
#include <string>         // std::string, std::to_string
#include <string_view>    // std::string_view
#include <unordered_map>  // std::unordered_map (per-buyer decisions)
#include <utility>        // std::move
#include <vector>         // std::vector

#include "csmetrics/io/event.hpp"
#include "csmetrics/io/event_batch.hpp"
#include "csmetrics/core/money.hpp"
#include "csmetrics/core/time.hpp"

namespace csmetrics {
namespace bench {

// ---------------------------------------------------------------------------
// Random numbers: xoshiro256** and distributions written from uniform draws.

/// splitmix64: seeds xoshiro and mixes ids.
inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// One 64-bit mix of `x` (a hash for ids).
inline std::uint64_t mix64(std::uint64_t x) { return splitmix64(x); }

/**
 * xoshiro256** (Blackman & Vigna) with the distributions the generator
 * needs, all from uniform draws and <cmath>, so the same seed gives the same
 * numbers with every standard library.
 *
 *     csmetrics::bench::rng r(42);
 *     double d = r.lognormal(std::log(25.0), 1.0);   // median 25
 */
class rng {
 public:
  explicit rng(std::uint64_t seed) {
    std::uint64_t sm = seed;
    for (auto& w : s_) w = splitmix64(sm);
  }
  /// 64 random bits.
  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  /// Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Uniform in (0, 1].
  double uniform_pos() { return static_cast<double>((next() >> 11) + 1) * 0x1.0p-53; }
  /// Uniform integer in [0, n) (n > 0; modulo bias below 2^-40 for the n used here).
  std::uint64_t below(std::uint64_t n) { return next() % n; }
  /// True with probability p.
  bool chance(double p) { return uniform() < p; }
  /// Exponential with the given mean.
  double exponential(double mean) { return -mean * std::log(uniform_pos()); }
  /// Standard normal (Box-Muller; the second value is kept for the next call).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = uniform_pos(), u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double a = 6.283185307179586 * u2;
    spare_ = r * std::sin(a);
    has_spare_ = true;
    return r * std::cos(a);
  }
  /// Lognormal: exp(mu + sigma * N(0,1)); the median is exp(mu).
  double lognormal(double mu, double sigma) { return std::exp(mu + sigma * normal()); }
  /// Pareto with scale xm and shape alpha (>= xm; heavy tail).
  double pareto(double xm, double alpha) { return xm * std::pow(uniform_pos(), -1.0 / alpha); }
  /// 1 + geometric number of extra successes with continuation probability p (mean 1/(1-p)).
  int one_plus_geometric(double p, int cap) {
    int k = 1;
    while (k < cap && chance(p)) ++k;
    return k;
  }
  /// Index drawn with the given (non-negative, not all zero) weights.
  template <std::size_t N>
  std::size_t pick(const std::array<double, N>& w) {
    double total = 0;
    for (double x : w) total += x;
    double u = uniform() * total;
    for (std::size_t i = 0; i < N; ++i) {
      if (u < w[i]) return i;
      u -= w[i];
    }
    return N - 1;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
  double spare_ = 0;
  bool has_spare_ = false;
};

/**
 * Zipf over ranks 1..n with exponent s > 0 by rejection-inversion
 * (Hörmann & Derflinger 1996): O(1) per draw, no table.
 *
 *     csmetrics::bench::zipf z(100000, 1.1);
 *     std::uint64_t rank = z(r);   // 1 is the most frequent
 */
class zipf {
 public:
  zipf(std::uint64_t n, double s) : n_(static_cast<double>(n)), s_(s) {
    if (n < 1 || !(s > 0)) CSMETRICS_THROW(std::invalid_argument("zipf needs n >= 1 and s > 0"));
    h_x1_ = h_integral(1.5) - 1.0;
    h_n_ = h_integral(n_ + 0.5);
    sc_ = 2.0 - h_integral_inverse(h_integral(2.5) - h(2.0));
  }
  /// A rank in [1, n].
  std::uint64_t operator()(rng& r) const {
    for (;;) {
      const double u = h_n_ + r.uniform() * (h_x1_ - h_n_);
      const double x = h_integral_inverse(u);
      double k = std::floor(x + 0.5);
      if (k < 1) k = 1;
      if (k > n_) k = n_;
      if (k - x <= sc_ || u >= h_integral(k + 0.5) - h(k)) return static_cast<std::uint64_t>(k);
    }
  }

 private:
  double h(double x) const { return std::exp(-s_ * std::log(x)); }
  double h_integral(double x) const {
    const double lx = std::log(x);
    return helper2((1.0 - s_) * lx) * lx;
  }
  double h_integral_inverse(double x) const {
    double t = x * (1.0 - s_);
    if (t < -1.0) t = -1.0;
    return std::exp(helper1(t) * x);
  }
  static double helper1(double x) {
    return std::fabs(x) > 1e-8 ? std::log1p(x) / x : 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
  }
  static double helper2(double x) {
    return std::fabs(x) > 1e-8 ? std::expm1(x) / x : 1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x));
  }
  double n_, s_, h_x1_ = 0, h_n_ = 0, sc_ = 0;
};

// ---------------------------------------------------------------------------
// Options and statistics.

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
    auto unit = [](double p, const char* what) {
      if (!(p >= 0 && p <= 1))
        CSMETRICS_THROW(std::invalid_argument(std::string(what) + " must be in [0, 1]: " + std::to_string(p)));
    };
    if (shops < 1 || shops > 1000000)
      CSMETRICS_THROW(std::invalid_argument("shops must be in [1, 1000000]: " + std::to_string(shops)));
    if (agents_per_shop < 1 || agents_per_shop > 1000)
      CSMETRICS_THROW(std::invalid_argument("agents_per_shop must be in [1, 1000]: " + std::to_string(agents_per_shop)));
    if (buyers_per_shop < 1 || buyers_per_shop > 1000000000)
      CSMETRICS_THROW(std::invalid_argument("buyers_per_shop must be in [1, 10^9]: " + std::to_string(buyers_per_shop)));
    if (!(buyer_zipf > 0 && buyer_zipf <= 5))
      CSMETRICS_THROW(std::invalid_argument("buyer_zipf must be in (0, 5]: " + std::to_string(buyer_zipf)));
    if (!(shop_zipf >= 0 && shop_zipf <= 5))
      CSMETRICS_THROW(std::invalid_argument("shop_zipf must be in [0, 5]: " + std::to_string(shop_zipf)));
    if (!(journeys_per_shop_day > 0 && journeys_per_shop_day <= 1e9))
      CSMETRICS_THROW(std::invalid_argument("journeys_per_shop_day must be in (0, 1e9]: " +
                                            std::to_string(journeys_per_shop_day)));
    unit(inquiry_probability, "inquiry_probability");
    unit(inquiry_conversion, "inquiry_conversion");
    unit(same_day_share, "same_day_share");
    unit(silent_order_probability, "silent_order_probability");
    if (!(payment_conversion >= 0.8 && payment_conversion <= 1))
      CSMETRICS_THROW(std::invalid_argument("payment_conversion must be in [0.8, 1]: " +
                                            std::to_string(payment_conversion)));
    unit(unknown_amount_fraction, "unknown_amount_fraction");
    unit(refund_probability, "refund_probability");
    unit(dispute_probability, "dispute_probability");
    unit(dsr_probability, "dsr_probability");
    unit(review_probability, "review_probability");
    unit(auto_reply_probability, "auto_reply_probability");
    if (!(median_reply_seconds > 0 && median_reply_seconds <= 3600))
      CSMETRICS_THROW(std::invalid_argument("median_reply_seconds must be in (0, 3600]: " +
                                            std::to_string(median_reply_seconds)));
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

// ---------------------------------------------------------------------------
// The generator.

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
  explicit event_generator(generator_options options) : o_(options), rng_(options.seed) {
    o_.validate();
    buyer_zipf_ = std::make_unique<zipf>(o_.buyers_per_shop, o_.buyer_zipf);
    // Shop names, agent names, shop traffic weights (cumulative) and quality.
    shop_names_.reserve(o_.shops);
    agent_names_.reserve(static_cast<std::size_t>(o_.shops) * o_.agents_per_shop);
    shop_cdf_.reserve(o_.shops);
    double total = 0;
    for (std::uint32_t s = 0; s < o_.shops; ++s) {
      shop_names_.push_back("s" + std::to_string(s + 1));
      for (std::uint32_t a = 0; a < o_.agents_per_shop; ++a)
        agent_names_.push_back("s" + std::to_string(s + 1) + "_a" + std::to_string(a + 1));
      total += std::pow(static_cast<double>(s + 1), -o_.shop_zipf);
      shop_cdf_.push_back(total);
      std::uint64_t h = mix64(o_.seed ^ (0xA5A5ull + s));
      shop_quality_.push_back(static_cast<double>(h >> 11) * 0x1.0p-53);
    }
    for (double& c : shop_cdf_) c /= total;
    // Mean journey rate per microsecond over all shops.
    rate_per_us_ = o_.journeys_per_shop_day * o_.shops / 86400e6;
    next_journey_us_ = o_.start.time_since_epoch().count();
  }

  /// Emits the next `n` events to `on_event(const csmetrics::event&)`; returns n.
  template <class F>
  std::uint64_t generate(std::uint64_t n, F&& on_event) {
    for (std::uint64_t i = 0; i < n; ++i) {
      while (heap_.empty() || heap_.front().emit_us > next_journey_us_) {
        start_journey(next_journey_us_);
        next_journey_us_ += next_gap_us(next_journey_us_);
      }
      std::pop_heap(heap_.begin(), heap_.end(), later);
      const pending p = heap_.back();
      heap_.pop_back();
      fill(p);
      ++stats_.events;
      ++stats_.by_type[p.type];
      if (p.emit_us != p.time_us) ++stats_.late_events;
      on_event(static_cast<const event&>(ev_));
    }
    return n;
  }

  /// Generation so far.
  const generator_stats& stats() const { return stats_; }
  /// The options, as validated.
  const generator_options& options() const { return o_; }
  /// Counts one bad row written by a CSV writer (generate_csv / csv_writer).
  void count_bad_row() { ++stats_.bad_rows; }

 private:
  struct pending {
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
  struct decision {
    std::int32_t inquiry_day = -1;  // local day of the last inquiry decision
    std::int32_t order_day = -1;    // local day of the last payment decision
    bool ordered = false;           // the inquiry decision: converts
    bool paid = false;              // the payment decision: pays
  };
  static bool later(const pending& a, const pending& b) {
    return a.emit_us != b.emit_us ? a.emit_us > b.emit_us : a.seq > b.seq;
  }

  static constexpr std::int64_t second = 1000000;
  static constexpr std::int64_t minute = 60 * second;
  static constexpr std::int64_t hour = 60 * minute;
  static constexpr std::int64_t day = 24 * hour;

  // Relative traffic by local hour (mean 1).
  static double hour_weight(int h) {
    constexpr std::array<double, 24> w = {0.45, 0.25, 0.15, 0.10, 0.08, 0.10, 0.25, 0.55, 0.90, 1.30, 1.60, 1.60,
                                          1.25, 1.20, 1.45, 1.50, 1.40, 1.20, 1.10, 1.25, 1.55, 1.65, 1.40, 0.92};
    return w[static_cast<std::size_t>(h)];
  }

  std::int64_t next_gap_us(std::int64_t t) {
    const std::int64_t local = t + o_.offset.minutes().count() * minute;
    const int h = static_cast<int>(((local % day) + day) % day / hour);
    const double gap = rng_.exponential(1.0 / (rate_per_us_ * hour_weight(h)));
    return std::max<std::int64_t>(1, static_cast<std::int64_t>(gap / 1000.0 + 0.5)) * 1000;  // whole ms
  }

  day_number day_of(std::int64_t t_us) const { return local_day(timestamp{duration{t_us}}, o_.offset); }

  static std::int64_t ms(double seconds) {  // seconds -> microseconds, millisecond resolution
    return static_cast<std::int64_t>(seconds * 1000.0 + 0.5) * 1000;
  }

  void push(std::int64_t t, event_type type, std::uint32_t shop, std::uint64_t buyer, std::uint16_t agent,
            std::uint64_t order = 0, std::int64_t amount = -1, std::uint8_t score = 0, std::uint8_t tag = 0) {
    pending p{t, seq_++, t, buyer, order, amount, shop, agent, static_cast<std::uint8_t>(type), score, tag};
    if (o_.out_of_order > 0 && rng_.chance(o_.out_of_order))
      p.emit_us = t + 1000 + static_cast<std::int64_t>(rng_.below(static_cast<std::uint64_t>(o_.max_out_of_order_delay.count() - 1000)));
    heap_.push_back(p);
    std::push_heap(heap_.begin(), heap_.end(), later);
    if (heap_.size() > stats_.peak_pending) stats_.peak_pending = heap_.size();
  }

  std::uint32_t pick_shop() {
    const double u = rng_.uniform();
    return static_cast<std::uint32_t>(std::lower_bound(shop_cdf_.begin(), shop_cdf_.end(), u) - shop_cdf_.begin()) %
           o_.shops;
  }

  std::uint8_t score(double p5) {  // 1..5, mostly 5
    const double rest = 1.0 - p5;
    const std::array<double, 5> w = {rest * 0.12, rest * 0.06, rest * 0.14, rest * 0.68, p5};
    return static_cast<std::uint8_t>(1 + rng_.pick(w));
  }

  double reply_delay_seconds() {
    if (rng_.chance(0.04)) return std::min(rng_.pareto(120.0, 1.3), 4.0 * 3600);  // the heavy tail
    return std::max(1.0, rng_.lognormal(std::log(o_.median_reply_seconds), 0.9));
  }

  /// One buyer journey starting at t: visits, maybe a conversation, maybe orders.
  void start_journey(std::int64_t t) {
    ++stats_.journeys;
    const std::uint32_t shop = pick_shop();
    const std::uint64_t rank = (*buyer_zipf_)(rng_);
    // Buyer ids: the rank scattered over 10 digits, so ids look like a platform's.
    const std::uint64_t buyer = 1000000000ull + mix64((static_cast<std::uint64_t>(shop) << 32) ^ rank ^ o_.seed) % 9000000000ull;
    const std::uint64_t key = (static_cast<std::uint64_t>(shop) << 40) ^ rank;
    const int visits = rng_.one_plus_geometric(0.35, 8);
    std::int64_t at = t;
    for (int v = 0; v < visits; ++v) {
      push(at, event_type::visit, shop, buyer, 0);
      at += ms(rng_.exponential(90.0));
    }
    const day_number today = day_of(t);
    if (rng_.chance(o_.inquiry_probability)) {
      conversation(t + ms(rng_.exponential(60.0)), shop, buyer, key, today);
    } else if (rng_.chance(o_.silent_order_probability)) {
      auto it = decisions_.find(key);
      // A buyer lost in the last 3 days does not order silently (it would convert that inquiry).
      if (it != decisions_.end() && !it->second.ordered && it->second.inquiry_day >= today - 3) return;
      place_order(at + ms(rng_.lognormal(std::log(180.0), 0.8)), shop, buyer, key, 0, false);
    }
  }

  void conversation(std::int64_t t, std::uint32_t shop, std::uint64_t buyer, std::uint64_t key, day_number today) {
    const std::uint16_t agent = static_cast<std::uint16_t>(1 + rng_.below(o_.agents_per_shop));
    // The inquiry decision, per (shop, buyer, day); reused within the attribution window.
    decision& d = decisions_[key];
    bool converts, new_order = true;
    if (d.inquiry_day >= 0 && d.inquiry_day >= today - 3) {
      converts = d.ordered;  // a buyer decided in the last 3 days decides the same way
      if (d.inquiry_day == today) {
        new_order = false;  // already ordered (or lost) today
      } else {
        d.inquiry_day = today;
        ++stats_.inquiry_decisions;
        stats_.inquiry_converted += converts;
      }
    } else {
      converts = rng_.chance(o_.inquiry_conversion);
      d.inquiry_day = today;
      d.ordered = converts;
      ++stats_.inquiry_decisions;
      stats_.inquiry_converted += converts;
    }
    // Rounds of buyer bursts and agent replies.
    const int rounds = rng_.one_plus_geometric(0.55, 12);
    std::int64_t at = t;
    for (int r = 0; r < rounds; ++r) {
      const int burst = rng_.one_plus_geometric(0.4, 6);
      std::int64_t last_buyer = at;
      for (int b = 0; b < burst; ++b) {
        const std::uint16_t routed = rng_.chance(0.9) ? agent : 0;
        push(last_buyer, event_type::buyer_msg, shop, buyer, routed);
        if (r == 0 && b == 0 && rng_.chance(o_.auto_reply_probability))
          push(last_buyer + ms(0.5 + rng_.uniform()), event_type::auto_msg, shop, buyer, 0);
        if (b + 1 < burst) last_buyer += ms(1.0 + rng_.exponential(8.0));
      }
      if (r + 1 == rounds && rng_.chance(0.03)) {  // the last question is never answered
        at = last_buyer;
        break;
      }
      std::int64_t reply = last_buyer + ms(reply_delay_seconds());
      const int answers = rng_.one_plus_geometric(0.5, 6);
      for (int a = 0; a < answers; ++a) {
        push(reply, event_type::agent_msg, shop, buyer, agent);
        reply += ms(2.0 + rng_.exponential(12.0));
      }
      at = reply + ms(5.0 + rng_.exponential(60.0));
    }
    // Invitation and vote at the end.
    if (rng_.chance(0.9)) {
      push(at + ms(10 + rng_.exponential(30)), event_type::invite, shop, buyer, agent);
      if (rng_.chance(0.45)) {
        const double p5 = 0.55 + 0.3 * shop_quality_[shop];
        const std::int64_t when = at + ms(60 + rng_.exponential(600));  // draws in a fixed order
        push(when, event_type::vote, shop, buyer, agent, 0, -1, score(p5));
      }
    }
    if (converts) {
      if (!new_order) return;
      const bool same_day = rng_.chance(o_.same_day_share);
      std::int64_t when = at + ms(rng_.lognormal(std::log(300.0), 1.0));
      if (!same_day) when = at + static_cast<std::int64_t>((20 + rng_.uniform() * 48) * static_cast<double>(hour));
      place_order(when, shop, buyer, key, agent, true);
    } else if (new_order && rng_.chance(0.95)) {
      constexpr std::array<double, 7> reasons = {0.34, 0.12, 0.10, 0.05, 0.11, 0.08, 0.20};
      const std::int64_t when = at + ms(30 + rng_.exponential(300));
      const auto reason = static_cast<std::uint8_t>(rng_.pick(reasons));
      push(when, event_type::lost, shop, buyer, agent, 0, -1, 0, reason);
    }
  }

  void place_order(std::int64_t t, std::uint32_t shop, std::uint64_t buyer, std::uint64_t key, std::uint16_t agent,
                   bool consulted) {
    const std::uint64_t order = ++orders_;
    const double median = consulted ? 180.0 : 150.0;
    const std::int64_t cents = std::max<std::int64_t>(100, static_cast<std::int64_t>(rng_.lognormal(std::log(median * 100), 0.6)));
    const bool unknown = rng_.chance(o_.unknown_amount_fraction);
    // The agent column names the credited agent on half of the consulted orders.
    const std::uint16_t credited = consulted && rng_.chance(0.5) ? agent : 0;
    push(t, event_type::order, shop, buyer, credited, order, unknown ? -1 : cents);
    // The payment decision, per (shop, buyer, day of the order).
    const day_number d = day_of(t);
    decision& dec = decisions_[key];
    bool pays;
    bool quick = true;
    int script = 0;
    const double quick_share = 0.8;  // paid within the hour; the rest is reminded after 24 h
    const std::array<double, 3> script_rate = {0.80, 1.00, 1.20};  // relative success of the 3 scripts
    const double reminded_rate = (o_.payment_conversion - quick_share) / (1.0 - quick_share);
    if (dec.order_day == d) {
      pays = dec.paid;
      script = static_cast<int>(rng_.below(3));
      quick = pays;
    } else {
      dec.order_day = d;
      quick = rng_.chance(quick_share);
      if (quick) {
        pays = true;
      } else {
        script = static_cast<int>(rng_.below(3));
        pays = rng_.chance(std::min(1.0, reminded_rate * script_rate[static_cast<std::size_t>(script)]));
      }
      dec.paid = pays;
      ++stats_.payment_decisions;
      stats_.payment_converted += pays;
    }
    std::int64_t paid_at = 0;
    if (quick && pays) {
      paid_at = t + ms(std::min(3000.0, 20 + rng_.lognormal(std::log(120.0), 1.0)));
    } else {
      const std::int64_t remind = t + 24 * hour + ms(rng_.uniform() * 1800);
      const std::uint16_t by = agent != 0 ? agent : static_cast<std::uint16_t>(1 + rng_.below(o_.agents_per_shop));
      push(remind, event_type::reminder, shop, buyer, rng_.chance(0.8) ? by : 0, order, -1, 0,
           static_cast<std::uint8_t>(script));
      if (pays) {
        paid_at = remind + ms(60 + rng_.uniform() * 40 * 3600);
      } else {
        if (rng_.chance(0.7)) push(remind + ms(3600 + rng_.uniform() * 40 * 3600), event_type::cancel, shop, buyer, 0, order);
        return;
      }
    }
    push(paid_at, event_type::payment, shop, buyer, 0, order, cents);
    if (rng_.chance(o_.refund_probability)) {
      const std::int64_t back = rng_.chance(0.7) ? cents : std::max<std::int64_t>(1, cents * static_cast<std::int64_t>(1 + rng_.below(90)) / 100);
      const std::int64_t when = paid_at + ms(3600 + rng_.uniform() * 7 * 86400);
      push(when, event_type::refund, shop, buyer, 0, order, back);
      if (rng_.chance(o_.dispute_probability / o_.refund_probability))
        push(when + ms(60 + rng_.uniform() * 3600), event_type::dispute, shop, buyer, 0, order);
    }
    const double p5 = 0.70 + 0.2 * shop_quality_[shop];
    if (rng_.chance(o_.dsr_probability)) {
      const std::int64_t when = paid_at + ms((2 + rng_.uniform() * 8) * 86400);
      for (std::uint8_t dim = 0; dim < 3; ++dim)
        push(when + ms(dim), event_type::dsr, shop, buyer, 0, order, -1, score(p5 - 0.05 * dim), dim);
    }
    if (rng_.chance(o_.review_probability)) {
      const std::int64_t when = paid_at + ms((3 + rng_.uniform() * 10) * 86400);
      push(when, event_type::review, shop, buyer, 0, order, -1, score(p5 - 0.1));
    }
  }

  // Renders `p` into ev_ (views into the generator's buffers).
  void fill(const pending& p) {
    const auto type = static_cast<event_type>(p.type);
    const event_field_set need = required_fields(type);
    ev_ = event{};
    ev_.time = timestamp{duration{p.time_us}};
    ev_.type = type;
    ev_.shop = shop_names_[p.shop];
    const bool buyer_col = (need & field_bit(event_field::buyer)) || type == event_type::payment ||
                           type == event_type::cancel;
    if (buyer_col && p.buyer != 0) ev_.buyer = number(buyer_buf_, 'b', p.buyer);
    if (p.agent != 0)
      ev_.agent = agent_names_[static_cast<std::size_t>(p.shop) * o_.agents_per_shop + (p.agent - 1u)];
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

  generator_options o_;
  rng rng_;
  std::unique_ptr<zipf> buyer_zipf_;
  std::vector<std::string> shop_names_, agent_names_;
  std::vector<double> shop_cdf_, shop_quality_;
  std::vector<pending> heap_;
  std::unordered_map<std::uint64_t, decision> decisions_;
  double rate_per_us_ = 0;
  std::int64_t next_journey_us_ = 0;
  std::uint64_t seq_ = 0, orders_ = 10000000;
  std::array<char, 24> buyer_buf_{}, order_buf_{};
  event ev_;
  generator_stats stats_;
};

// ---------------------------------------------------------------------------
// CSV output.

/// The header line of the event log (with its line feed).
inline constexpr std::string_view csv_header = "time,type,shop,buyer,agent,order,amount,score,tag\n";

namespace detail {

/// Appends `t` as RFC 3339 in `offset`'s local time, millisecond fraction when non-zero.
class time_formatter {
 public:
  explicit time_formatter(utc_offset offset) : offset_(offset) {
    const std::int64_t m = offset.minutes().count();
    if (m == 0) {
      suffix_ = "Z";
    } else {
      const std::int64_t a = m < 0 ? -m : m;
      suffix_ = m < 0 ? "-" : "+";
      suffix_ += static_cast<char>('0' + a / 60 / 10);
      suffix_ += static_cast<char>('0' + a / 60 % 10);
      suffix_ += ':';
      suffix_ += static_cast<char>('0' + a % 60 / 10);
      suffix_ += static_cast<char>('0' + a % 60 % 10);
    }
  }
  void append(std::string& out, timestamp t) {
    const std::int64_t us_day = std::int64_t{86400} * 1000000;
    const std::int64_t local = t.time_since_epoch().count() + offset_.minutes().count() * 60 * 1000000;
    std::int64_t d = local / us_day, in_day = local % us_day;
    if (in_day < 0) {
      in_day += us_day;
      --d;
    }
    if (d != day_) {
      day_ = d;
      const civil_date c = civil_from_days(d);
      char b[12];
      const int y = c.year;
      b[0] = static_cast<char>('0' + y / 1000 % 10);
      b[1] = static_cast<char>('0' + y / 100 % 10);
      b[2] = static_cast<char>('0' + y / 10 % 10);
      b[3] = static_cast<char>('0' + y % 10);
      b[4] = '-';
      b[5] = static_cast<char>('0' + c.month / 10);
      b[6] = static_cast<char>('0' + c.month % 10);
      b[7] = '-';
      b[8] = static_cast<char>('0' + c.day / 10);
      b[9] = static_cast<char>('0' + c.day % 10);
      b[10] = 'T';
      date_.assign(b, 11);
    }
    const std::int64_t secs = in_day / 1000000, frac = in_day % 1000000;
    char b[16];
    std::size_t n = 0;
    auto two = [&](std::int64_t v) {
      b[n++] = static_cast<char>('0' + v / 10);
      b[n++] = static_cast<char>('0' + v % 10);
    };
    two(secs / 3600);
    b[n++] = ':';
    two(secs / 60 % 60);
    b[n++] = ':';
    two(secs % 60);
    out += date_;
    out.append(b, n);
    if (frac != 0) {
      out += '.';
      if (frac % 1000 == 0) {
        const std::int64_t f = frac / 1000;
        out += static_cast<char>('0' + f / 100);
        out += static_cast<char>('0' + f / 10 % 10);
        out += static_cast<char>('0' + f % 10);
      } else {
        char f6[6];
        std::int64_t f = frac;
        for (int k = 5; k >= 0; --k) {
          f6[k] = static_cast<char>('0' + f % 10);
          f /= 10;
        }
        out.append(f6, 6);
      }
    }
    out += suffix_;
  }

 private:
  utc_offset offset_;
  std::int64_t day_ = std::numeric_limits<std::int64_t>::min();
  std::string date_, suffix_;
};

inline void append_amount(std::string& out, money m) {
  std::int64_t v = m.minor();  // non-negative here
  char b[24];
  int n = 0;
  b[n++] = static_cast<char>('0' + v % 10);
  v /= 10;
  b[n++] = static_cast<char>('0' + v % 10);
  v /= 10;
  b[n++] = '.';
  do {
    b[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (int i = n - 1; i >= 0; --i) out += b[i];
}

}  // namespace detail

/**
 * Appends events as CSV rows (EVENTS.md) to a string; ids never need quoting.
 * Bad rows (one broken field each) on request, through add_bad_row().
 *
 *     csmetrics::bench::csv_writer w({});
 *     std::string out(csmetrics::bench::csv_header);
 *     g.generate(1000, [&](const csmetrics::event& e) { w.append(out, e); });
 */
class csv_writer {
 public:
  explicit csv_writer(utc_offset offset = {}) : time_(offset) {}

  /// Appends `e` as one row with its line feed.
  void append(std::string& out, const event& e) {
    time_.append(out, e.time);
    out += ',';
    out += name(e.type);
    out += ',';
    out += e.shop;
    out += ',';
    out += e.buyer;
    out += ',';
    out += e.agent;
    out += ',';
    out += e.order;
    out += ',';
    if (e.amount) detail::append_amount(out, *e.amount);
    out += ',';
    if (e.score != 0) out += static_cast<char>('0' + e.score);
    out += ',';
    out += e.tag;
    out += '\n';
  }

  /// Appends one row the reader must reject, broken as variant `k` (k mod 7):
  /// unknown type, missing field, bad time, amount with 3 decimals, score 0,
  /// bad dsr tag, 8 fields. `near` is the time it carries (when it has one).
  void append_bad_row(std::string& out, std::uint64_t k, timestamp near) {
    switch (k % 7) {
      case 0:
        time_.append(out, near);
        out += ",visitt,s1,b1,,,,,\n";
        break;
      case 1:
        time_.append(out, near);
        out += ",buyer_msg,s1,,,,,,\n";
        break;
      case 2: out += "2019-13-01T10:15:30+08:00,visit,s1,b1,,,,,\n"; break;
      case 3:
        time_.append(out, near);
        out += ",payment,s1,b1,,o1,12.345,,\n";
        break;
      case 4:
        time_.append(out, near);
        out += ",vote,s1,b1,s1_a1,,,0,\n";
        break;
      case 5:
        time_.append(out, near);
        out += ",dsr,s1,,,,,5,speed\n";
        break;
      default:
        time_.append(out, near);
        out += ",visit,s1,b1,,,,\n";
        break;
    }
  }

 private:
  detail::time_formatter time_;
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
  // Bad row j goes after good row floor((j + 0.5) * n / bad).
  auto bad_due = [&](std::uint64_t j) {
    return static_cast<std::uint64_t>((static_cast<double>(j) + 0.5) * static_cast<double>(n) / static_cast<double>(bad));
  };
  timestamp last = options.start;
  g.generate(n, [&](const event& e) {
    w.append(buf, e);
    ++i;
    if (e.time > last) last = e.time;
    while (bad_done < bad && bad_due(bad_done) < i) {
      w.append_bad_row(buf, bad_done++, last);
      g.count_bad_row();
    }
    if (buf.size() >= chunk) {
      sink(std::string_view(buf));
      buf.clear();
    }
  });
  while (bad_done < bad) {  // n == 0 or rounding: the rest at the end
    w.append_bad_row(buf, bad_done++, last);
    g.count_bad_row();
  }
  if (!buf.empty()) sink(std::string_view(buf));
  return g.stats();
}

/// Generates `n` events with `options` as CSV text in memory (header first).
inline std::string generate_csv(const generator_options& options, std::uint64_t n) {
  std::string out;
  generate_csv(options, n, [&](std::string_view piece) { out.append(piece.data(), piece.size()); });
  return out;
}

// ---------------------------------------------------------------------------
// Events kept in memory.

/// Generated events kept in memory (csmetrics::event_batch: events owning their text).
using event_batch = csmetrics::event_batch;

}  // namespace bench
}  // namespace csmetrics

#endif  // CSMETRICS_BENCH_EVENT_GENERATOR_HPP_
