// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/sessions/session_stats.hpp
//
// What csmetrics::sessions counts in every cell (shop x agent x local day)
// and the rules it counts by: session_options (the gap, the 45 s threshold,
// the service calendar, ...), response_stats (a response-time distribution:
// count, mean, min/max, quantiles, share within the threshold, slow
// replies) and session_stats (one cell's conversations, messages, bursts,
// buyers served, invitations and satisfaction). Definitions in
// session_stats_impl.hpp; the tracker that fills them is sessions.hpp.
#ifndef CSMETRICS_SESSIONS_SESSION_STATS_HPP_
#define CSMETRICS_SESSIONS_SESSION_STATS_HPP_

#include <chrono>    // std::chrono::minutes
#include <cstddef>   // std::size_t
#include <cstdint>   // fixed-width integers
#include <memory>    // std::shared_ptr (the service calendar), std::unique_ptr (service-time stats)
#include <optional>  // std::optional
#include <string>    // std::string
#include <utility>   // std::move

#include "csmetrics/core/checked.hpp"
#include "csmetrics/core/error.hpp"
#include "csmetrics/core/flat_set.hpp"
#include "csmetrics/core/keyed.hpp"
#include "csmetrics/core/quantile_sketch.hpp"
#include "csmetrics/core/rate.hpp"
#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/time.hpp"
#include "csmetrics/sessions/service_calendar.hpp"

namespace csmetrics {
namespace detail {
/// Type ids of the session statistics (family range 32..47; serde.hpp
/// reserves 32 sessions and 33 conversation_tracker).
inline constexpr type_id session_stats_type_id = static_cast<type_id>(34);
inline constexpr type_id response_stats_type_id = static_cast<type_id>(35);
}  // namespace detail

/// The rules of csmetrics::sessions; every default is the one in the issue.
struct session_options {
  /// Idle time after which the next buyer/agent message opens a new conversation.
  duration session_gap = std::chrono::minutes{10};
  /// A burst waiting longer than this is unanswered.
  duration max_wait = std::chrono::hours{24};
  /// Start the clock at the last buyer message of a burst instead of the first.
  bool clock_from_last = false;
  /// A message on a new local day opens a new conversation (when nothing waits).
  bool split_at_midnight = true;
  /// The shop's day boundary (default UTC+8).
  utc_offset offset{};
  /// "Answered within" threshold in seconds (exact count).
  double within_seconds = 45.0;
  /// Replies slower than this (seconds) are counted as slow (exact count).
  double slow_seconds = 180.0;
  /// Relative accuracy of the percentiles.
  double relative_accuracy = 0.01;
  /// Keep distinct buyers served and invited (exact sets). Off: those counts stay 0.
  bool track_buyers = true;
  /// Service hours per shop (shared, immutable); null: response figures on wall time only.
  std::shared_ptr<const service_calendar> calendar{};

  /// Throws std::invalid_argument naming the limits.
  void validate() const;
  friend bool operator==(const session_options& a, const session_options& b) {
    return a.session_gap == b.session_gap && a.max_wait == b.max_wait && a.clock_from_last == b.clock_from_last &&
           a.split_at_midnight == b.split_at_midnight && a.offset == b.offset &&
           a.within_seconds == b.within_seconds && a.slow_seconds == b.slow_seconds &&
           a.relative_accuracy == b.relative_accuracy && a.track_buyers == b.track_buyers &&
           same_calendar(a.calendar, b.calendar);
  }
  friend bool operator!=(const session_options& a, const session_options& b) { return !(a == b); }
  /// Both none, or equal calendars.
  static bool same_calendar(const std::shared_ptr<const service_calendar>& a,
                            const std::shared_ptr<const service_calendar>& b) {
    return a == b || (a && b && *a == *b);
  }
  /// The first option that differs between a and b, with both values
  /// ("within_seconds: 45 vs 30"); empty when a == b.
  static std::string difference(const session_options& a, const session_options& b);
};

/// Why an event was rejected.
enum class session_reject : std::uint8_t {
  reply_before_question = 0,  ///< an agent/auto reply earlier than the burst it would answer
  out_of_order = 1,           ///< older than the conversation's last buyer/agent message
  score_out_of_range = 2,     ///< a vote outside 1..5
};
inline constexpr std::size_t session_reject_count = 3;

/**
 * Response-time statistics: count, exact mean/min/max (integer
 * microseconds), exact counts within and over two thresholds, and
 * percentiles from a quantile_sketch. Mergeable exactly (the sketch merges
 * bucket-wise). O(1) per sample. Single writer.
 *
 *     csmetrics::response_stats r;          // 45 s / 180 s thresholds
 *     r.add(std::chrono::seconds{30});
 *     r.mean();                             // 30.0 (seconds)
 *     r.within().rate();                    // 1.0
 */
class response_stats {
 public:
  static constexpr std::uint8_t format_version = 1;

  explicit response_stats(double within_seconds = 45.0, double slow_seconds = 180.0,
                          double relative_accuracy = 0.01);

  /// One sample. REQUIRES: d >= 0 (negative samples are rejected upstream).
  void add(duration d);

  std::uint64_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  /// Mean in seconds; empty without samples.
  std::optional<double> mean() const;
  std::optional<double> min() const;
  std::optional<double> max() const;
  /// Sum of all samples.
  duration total() const { return duration{static_cast<duration::rep>(sum_us_)}; }
  /// Percentile in seconds from the sketch (within relative_accuracy).
  std::optional<double> quantile(double q) const { return sketch_.quantile(q); }
  /// Samples <= within_seconds out of all samples (exact).
  rate_counter within() const { return rate_counter(within_, count_); }
  /// Samples > slow_seconds (exact).
  std::uint64_t slow() const { return slow_; }
  double within_seconds() const { return within_s_; }
  double slow_seconds() const { return slow_s_; }
  /// The percentiles' sketch. It keeps no exact thresholds of its own: the
  /// exact counts are within() and slow() (serialized as the sketch's).
  const quantile_sketch& sketch() const { return sketch_; }

  /// Throws std::invalid_argument if the thresholds or accuracy differ.
  void merge(const response_stats& other);
  /// True when merge(other) would not throw.
  bool merges_cleanly(const response_stats& o) const {
    return within_s_ == o.within_s_ && slow_s_ == o.slow_s_ &&
           (o.count_ == 0 || (sum_us_ <= UINT64_MAX - o.sum_us_ && sketch_.merges_cleanly(o.sketch_)));
  }
  void reset();
  std::vector<std::uint8_t> serialize() const { return detail::serialize(*this); }
  static response_stats deserialize(const void* data, std::size_t size) {
    return detail::deserialize<response_stats>(data, size);
  }
  void serialize_to(detail::writer& w) const;
  static response_stats deserialize_from(detail::reader& r);
  friend bool operator==(const response_stats& a, const response_stats& b) {
    return a.within_s_ == b.within_s_ && a.slow_s_ == b.slow_s_ && a.count_ == b.count_ && a.sum_us_ == b.sum_us_ &&
           a.min_us_ == b.min_us_ && a.max_us_ == b.max_us_ && a.within_ == b.within_ && a.slow_ == b.slow_ &&
           a.sketch_ == b.sketch_;
  }
  friend bool operator!=(const response_stats& a, const response_stats& b) { return !(a == b); }

 private:
  /// The largest x with x / 1e6 <= seconds (the comparison the sketch makes
  /// in seconds): `x <= to_us(t)` counts exactly what count_at_most(t) would.
  static std::int64_t to_us(double seconds) {
    auto at_most = [seconds](std::int64_t x) { return static_cast<double>(x) / 1e6 <= seconds; };
    auto x = static_cast<std::int64_t>(seconds * 1e6);
    while (at_most(x + 1)) ++x;
    while (x > 0 && !at_most(x)) --x;
    return x;
  }
  double within_s_;
  double slow_s_;
  std::int64_t within_us_;
  std::int64_t slow_us_;
  std::uint64_t count_ = 0;
  std::uint64_t sum_us_ = 0;
  std::int64_t min_us_ = 0;  ///< meaningful when count_ > 0
  std::int64_t max_us_ = 0;
  std::uint64_t within_ = 0;
  std::uint64_t slow_ = 0;
  quantile_sketch sketch_;
};

template <class ShopId, class BuyerId, class AgentId>
class sessions;

namespace detail {
/// A unique_ptr whose copies are deep (the boxes below are values).
template <class T>
class deep_ptr {
 public:
  deep_ptr() = default;
  deep_ptr(const deep_ptr& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  deep_ptr(deep_ptr&&) noexcept = default;
  deep_ptr& operator=(const deep_ptr& o) {
    if (this != &o) p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
    return *this;
  }
  deep_ptr& operator=(deep_ptr&&) noexcept = default;
  T* get() { return p_.get(); }
  const T* get() const { return p_.get(); }
  explicit operator bool() const { return p_ != nullptr; }
  void reset(T v) { p_ = std::make_unique<T>(std::move(v)); }

 private:
  std::unique_ptr<T> p_;
};

/// The service-time twins of a cell's response figures (with a calendar only).
struct service_response {
  response_stats response;
  response_stats first;
  friend bool operator==(const service_response& a, const service_response& b) {
    return a.response == b.response && a.first == b.first;
  }
};
/// A cell's service-time figures in one of three states: none (no
/// calendar), the same as wall time (every sample so far fell inside service
/// hours: nothing stored beyond a pointer and a flag), or their own (copied from the wall
/// figures at the first sample that differs). Own figures always differ
/// from the wall ones (some sample is shorter, so the sum is), so equal
/// contents have one representation.
class service_response_box {
 public:
  /// Enabled and the same as wall time.
  static service_response_box same() {
    service_response_box b;
    b.enabled_ = true;
    return b;
  }
  bool enabled() const { return enabled_; }
  /// Own figures (else the same as wall time, or none).
  bool diverged() const { return static_cast<bool>(p_); }
  /// The own figures, made from the wall ones the first time.
  service_response& own(const response_stats& wall, const response_stats& wall_first) {
    if (!p_) p_.reset(service_response{wall, wall_first});
    return *p_.get();
  }
  void set(service_response v) { p_.reset(std::move(v)); }
  const service_response* get() const { return p_.get(); }
  service_response* get() { return p_.get(); }
  friend bool operator==(const service_response_box& a, const service_response_box& b) {
    return a.enabled_ == b.enabled_ && (a.p_ ? (b.p_ && *a.p_.get() == *b.p_.get()) : !b.p_);
  }

 private:
  bool enabled_ = false;
  deep_ptr<service_response> p_;
};

/// Response figures that mirror another set of the cell's until a sample
/// reaches one and not the other: the first responses counting auto
/// replies are the agents' first responses in every cell where no auto
/// reply came first, so most cells store them once. Then a copy of their own.
class mirrored_stats {
 public:
  /// The figures, given what they mirror.
  const response_stats& get(const response_stats& mirror) const { return p_ ? *p_.get() : mirror; }
  bool parted() const { return static_cast<bool>(p_); }
  /// Own figures from now on: a copy of `mirror` (before `mirror` changes).
  void part(const response_stats& mirror) {
    if (!p_) p_.reset(mirror);
  }
  /// REQUIRES: parted().
  response_stats& own() { return *p_.get(); }
  void set(response_stats v) { p_.reset(std::move(v)); }

 private:
  deep_ptr<response_stats> p_;
};
}  // namespace detail

/**
 * The session statistics of one cell (shop x agent x local day) or of any
 * merge of cells (a report). Counts and sets only; rates are derived.
 * Mergeable exactly (sums, set unions, sketch merges). Single writer.
 *
 *     auto shop = tracker.shop("shop-1");       // a session_stats
 *     shop.response().quantile(0.9);            // p90 in seconds
 *     shop.reply_rate().rate();                 // answered / (answered + unanswered)
 *     shop.answer_ratio();                      // agent msgs / buyer msgs
 */
template <class BuyerId = std::uint64_t>
class session_stats {
 public:
  // 2: agent_conversations; 3: the service-time figures (written only with a calendar)
  static constexpr std::uint8_t format_version = 3;

  explicit session_stats(const session_options& opt = {})
      : response_(opt.within_seconds, opt.slow_seconds, opt.relative_accuracy),
        first_(response_) {
    if (opt.calendar) service_ = detail::service_response_box::same();
  }

  /// Conversations started (shop and day views; an agent's cells hold none).
  std::uint64_t conversations() const { return conversations_; }
  /// Conversations in which an agent of these cells wrote at least one
  /// message; one that two agents served counts for each (agent views).
  std::uint64_t agent_conversations() const { return agent_conversations_; }
  std::uint64_t buyer_messages() const { return buyer_msgs_; }
  std::uint64_t agent_messages() const { return agent_msgs_; }
  std::uint64_t auto_messages() const { return auto_msgs_; }
  /// Buyer messages credited to agents (the answer ratio's per-agent denominator).
  std::uint64_t credited_buyer_messages() const { return credited_; }
  std::uint64_t answered() const { return response_.count(); }
  std::uint64_t unanswered() const { return unanswered_; }
  /// Answered bursts / (answered + unanswered); pending bursts are apart.
  rate_counter reply_rate() const {
    return rate_counter(answered(), detail::checked_add(answered(), unanswered_));
  }
  /// Agent messages / buyer messages (shop and day views; 2.0 = 200 %).
  std::optional<double> answer_ratio() const { return ratio(agent_msgs_, buyer_msgs_); }
  /// Agent messages / buyer messages credited to the agent(s) (agent views).
  std::optional<double> agent_answer_ratio() const { return ratio(agent_msgs_, credited_); }
  /// Every response sample.
  const response_stats& response() const { return response_; }
  /// The first response of each conversation (agent replies only).
  const response_stats& first_response() const { return first_; }
  /// The first response of each conversation counting auto replies.
  const response_stats& first_response_with_auto() const { return first_auto_.get(first_); }
  /// True when the options had a calendar: the service-time figures exist.
  bool has_service_time() const { return service_.enabled(); }
  /// Every response sample on service time (without a calendar: response()).
  const response_stats& response_service() const { return service_.diverged() ? service_.get()->response : response_; }
  /// The first response of each conversation on service time (without a calendar: first_response()).
  const response_stats& first_response_service() const {
    return service_.diverged() ? service_.get()->first : first_;
  }
  /// Distinct buyers who wrote to the shop or got an agent message (exact).
  std::size_t buyers_served() const { return served_.size(); }
  /// Distinct buyers sent a rating invitation.
  std::size_t buyers_invited() const { return invited_.size(); }
  /// The buyers served and invited (for unions over cells, as scorecards make).
  const flat_set<BuyerId>& served_buyers() const { return served_; }
  const flat_set<BuyerId>& invited_buyers() const { return invited_; }
  /// Invitations sent (not distinct).
  std::uint64_t invitations() const { return invitations_; }
  /// Served buyers who were invited / buyers served (Wilson via rate_counter).
  rate_counter invitation_rate() const;
  /// Votes of 4-5 / all votes.
  const rate_counter& satisfaction() const { return satisfaction_; }

  /// REQUIRES (throws std::invalid_argument): the same thresholds/accuracy.
  void merge(const session_stats& other);
  void reset() {
    const bool service = has_service_time();
    *this = session_stats(options_of());
    if (service) service_ = detail::service_response_box::same();
  }
  std::vector<std::uint8_t> serialize() const { return detail::serialize(*this); }
  static session_stats deserialize(const void* data, std::size_t size) {
    return detail::deserialize<session_stats>(data, size);
  }
  void serialize_to(detail::writer& w) const;
  /// `version`: when not 0, the only format version accepted (that of the enclosing state).
  static session_stats deserialize_from(detail::reader& r, std::uint8_t version = 0);
  friend bool operator==(const session_stats& a, const session_stats& b) {
    return a.conversations_ == b.conversations_ && a.agent_conversations_ == b.agent_conversations_ &&
           a.buyer_msgs_ == b.buyer_msgs_ &&
           a.agent_msgs_ == b.agent_msgs_ && a.auto_msgs_ == b.auto_msgs_ && a.credited_ == b.credited_ &&
           a.unanswered_ == b.unanswered_ && a.invitations_ == b.invitations_ &&
           a.satisfaction_ == b.satisfaction_ && a.response_ == b.response_ && a.first_ == b.first_ &&
           a.first_response_with_auto() == b.first_response_with_auto() && a.served_ == b.served_ && a.invited_ == b.invited_ &&
           a.service_ == b.service_;
  }
  friend bool operator!=(const session_stats& a, const session_stats& b) { return !(a == b); }

 private:
  template <class S, class B, class A>
  friend class sessions;

  static std::optional<double> ratio(std::uint64_t num, std::uint64_t den) {
    if (den == 0) return std::nullopt;
    return static_cast<double>(num) / static_cast<double>(den);
  }
  session_options options_of() const {
    session_options o;
    o.within_seconds = response_.within_seconds();
    o.slow_seconds = response_.slow_seconds();
    o.relative_accuracy = response_.sketch().relative_accuracy();
    return o;
  }
  static void bump(std::uint64_t& c, std::uint64_t by = 1) { c = detail::checked_add(c, by); }

  std::uint64_t conversations_ = 0;
  std::uint64_t agent_conversations_ = 0;
  std::uint64_t buyer_msgs_ = 0;
  std::uint64_t agent_msgs_ = 0;
  std::uint64_t auto_msgs_ = 0;
  std::uint64_t credited_ = 0;
  std::uint64_t unanswered_ = 0;
  std::uint64_t invitations_ = 0;
  // with a calendar: the same as wall time, or its own figures (beside the
  // counters a reply updates: one cache line, not a miss at the cell's end)
  detail::service_response_box service_;
  rate_counter satisfaction_;
  response_stats response_;
  response_stats first_;
  detail::mirrored_stats first_auto_;  ///< mirrors first_ while no sample parts them
  flat_set<BuyerId> served_;
  flat_set<BuyerId> invited_;
};

}  // namespace csmetrics

#include "csmetrics/sessions/session_stats_impl.hpp"

#endif  // CSMETRICS_SESSIONS_SESSION_STATS_HPP_
