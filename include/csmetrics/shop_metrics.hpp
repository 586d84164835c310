// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/shop_metrics.hpp
//
// Every metric of every family over one event stream: routes each
// csmetrics::event (io/event.hpp) to the sessions, orders, sales and ratings
// accumulators of its shop, keeps them tidy as stream time advances, and
// copies their figures into a csmetrics::report (io/report.hpp) for any
// "as of" day. This is what shop_report runs; shop software that has events
// in the log's shape can use it as is, with text ids.
//
// Routing (EVENTS.md's types):
//   visit      sales traffic, orders traffic
//   buyer_msg  sessions (routed agent if named), orders inquiry, sales inquiry
//   agent_msg  sessions reply, orders agent_reply (attribution)
//   auto_msg   sessions;  invite, vote: sessions
//   lost       orders loss reasons
//   order      orders; when accepted, sales (placed order, consulted flag as
//              the orders family decided it at order time)
//   payment    orders; when accepted, ratings (paid transactions)
//   cancel, reminder: orders;  refund: orders and sales
//   dispute    orders; when accepted, ratings (dispute refunds)
//   dsr, review: ratings
//
// Time: events may arrive out of order by up to `max_lateness`; older ones
// are rejected and counted (too_late), because housekeeping - expiring
// waiting bursts and unpaid orders, freeing idle conversations - runs at
// newest time - max_lateness, once an hour of stream time. finish(now)
// settles everything at `now` (shop_report: the last event's time).
//
// Text ids: each id of an event is interned once into the state's
// text_pool (text_pool.hpp) and the families run on text_ref handles, so an
// event costs a few probes on pointers, not a copy and a hash of every id in
// every family. Copies and merges of states re-intern through the text.
//
// Merge: states fed disjoint (shop, buyer) shards merge into the state of
// the whole stream (order-keyed events - payment, cancel, refund, dispute,
// reminder - belong to the shard of their order's buyer). Serialized form:
// type id 96, version 2: options, then the four families (version 1, the
// same layout with sessions v1 inside, still reads).
// Thread-safety: none inside; one writer per instance.
#ifndef CSMETRICS_SHOP_METRICS_HPP_
#define CSMETRICS_SHOP_METRICS_HPP_

#include <algorithm>    // std::max, std::min, std::sort
#include <array>        // std::array (rejection counts)
#include <chrono>       // std::chrono::hours
#include <cstdint>      // std::uint64_t, std::int64_t
#include <map>          // std::map (report days)
#include <memory>       // std::shared_ptr (the text pool)
#include <optional>     // std::optional
#include <set>          // std::set (agents of a shop)
#include <stdexcept>    // std::invalid_argument, std::out_of_range
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <type_traits>  // std::is_const_v
#include <unordered_map>  // std::unordered_map (per-shop orders)
#include <utility>      // std::pair
#include <vector>       // std::vector

#include "csmetrics/core/checked.hpp"
#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/error.hpp"
#include "csmetrics/io/event.hpp"
#include "csmetrics/io/report.hpp"
#include "csmetrics/orders/orders.hpp"
#include "csmetrics/ratings/ratings.hpp"
#include "csmetrics/sales/sales.hpp"
#include "csmetrics/sessions/sessions.hpp"
#include "csmetrics/core/text_pool.hpp"
#include "csmetrics/core/time.hpp"

namespace csmetrics {

/// The settings of every family, with shop_report's defaults.
struct shop_metrics_options {
  utc_offset offset{};                                   ///< the shops' day boundary (default UTC+8)
  duration session_gap = std::chrono::minutes{10};       ///< sessions: idle gap that ends a conversation
  duration max_wait = std::chrono::hours{24};            ///< sessions: a burst waiting longer is unanswered
  int attribution_days = 3;                              ///< orders: inquiry day .. +N, in [0, 7]
  duration payment_window = std::chrono::hours{72};      ///< orders: order -> payment, in (0, 7 d]
  duration max_lateness = std::chrono::hours{1};         ///< how far out of order events may arrive
  attribution_rule rule = attribution_rule::order_first; ///< the rule behind credited agents and CS share
  double within_seconds = 45.0;                          ///< "answered within" threshold (exact)
  int dsr_days = 180, after_sales_days = 30, dispute_days = 30;
  int curve_days = 180;                                  ///< days of the trailing DSR curve, in [1, 3650]

  /// Throws std::invalid_argument naming the limits.
  void validate() const {
    if (max_lateness < duration::zero() || max_lateness > std::chrono::hours{24 * 30})
      CSMETRICS_THROW(std::invalid_argument("shop_metrics: max_lateness must be in [0, 30 d]"));
    if (curve_days < 1 || curve_days > 3650)
      CSMETRICS_THROW(std::invalid_argument("shop_metrics: curve_days must be in [1, 3650]: " +
                                            std::to_string(curve_days)));
    session_config().validate();
    orders_settings().validate();
    ratings_settings().validate();
  }
  session_options session_config() const {
    session_options o;
    o.session_gap = session_gap;
    o.max_wait = max_wait;
    o.offset = offset;
    o.within_seconds = within_seconds;
    return o;
  }
  orders_config orders_settings() const {
    orders_config o;
    o.offset = offset;
    o.attribution_days = attribution_days;
    o.payment_window = payment_window;
    return o;
  }
  ratings_config ratings_settings() const {
    ratings_config r;
    r.offset = offset;
    r.dsr_days = dsr_days;
    r.after_sales_days = after_sales_days;
    r.dispute_days = dispute_days;
    r.history_days = curve_days - 1;  // the curve asks "as of" each of its days
    return r;
  }
  friend bool operator==(const shop_metrics_options& a, const shop_metrics_options& b) {
    return a.offset == b.offset && a.session_gap == b.session_gap && a.max_wait == b.max_wait &&
           a.attribution_days == b.attribution_days && a.payment_window == b.payment_window &&
           a.max_lateness == b.max_lateness && a.rule == b.rule && a.within_seconds == b.within_seconds &&
           a.dsr_days == b.dsr_days && a.after_sales_days == b.after_sales_days &&
           a.dispute_days == b.dispute_days && a.curve_days == b.curve_days;
  }
  friend bool operator!=(const shop_metrics_options& a, const shop_metrics_options& b) { return !(a == b); }
};

/// What a report shows beyond the shops.
struct report_request {
  std::optional<day_number> as_of;  ///< windows end on this local day; default: the newest event's day
  bool agents = true;               ///< per-agent figures
  bool days = false;                ///< per-day rows
};

/// Events shop_metrics itself refused, by reason (the families count theirs).
enum class shop_metrics_reject : std::uint8_t {
  too_late = 0,       ///< older than newest time - max_lateness
  missing_field = 1,  ///< a field the type needs is empty (events not from the reader)
  bad_tag = 2,        ///< a dsr dimension or loss reason outside its vocabulary
};
inline constexpr std::size_t shop_metrics_reject_count = 3;

/**
 * All four families over one stream of events, per shop, with text ids.
 *
 *     csmetrics::shop_metrics m;                  // shop_report's defaults
 *     csmetrics::event_csv_reader in(file);
 *     csmetrics::event e;
 *     while (in.next(e)) m.add(e);
 *     m.finish(*in.newest_time());                // expire, settle cohorts
 *     csmetrics::report r = m.report({});         // as of the newest day
 *     std::cout << csmetrics::to_json(r);
 *
 * Cost: O(1) expected per event plus hourly housekeeping linear in open
 * conversations; report() linear in the cells of the families.
 */
class shop_metrics {
 public:
  /// Every id (shop, buyer, agent, order, script) as interned in texts().
  using id_type = text_ref;
  using sessions_type = sessions<id_type, id_type, id_type>;
  using orders_type = basic_orders<id_type, id_type, id_type, id_type, id_type>;
  using sales_type = basic_sales<id_type, id_type, id_type, id_type, id_type>;
  using ratings_type = ratings<id_type, id_type>;
  static constexpr std::uint8_t format_version = 2;  // 2: sessions v2 inside (version 1 still reads)

  explicit shop_metrics(shop_metrics_options options = {})
      : options_(validated(options)),
        texts_(std::make_shared<text_pool>()),
        sessions_(options_.session_config()),
        sales_(options_.offset),
        ratings_(options_.ratings_settings()) {}
  /// A copy has a pool of its own (re-interned through the serialized form),
  /// so copies may be fed on different threads.
  shop_metrics(const shop_metrics& o) : shop_metrics(o.rebased(std::make_shared<text_pool>())) {}
  shop_metrics(shop_metrics&&) noexcept = default;
  shop_metrics& operator=(const shop_metrics& o) {
    if (this != &o) *this = shop_metrics(o);
    return *this;
  }
  shop_metrics& operator=(shop_metrics&&) noexcept = default;

  /// Routes one event. Returns false when it was rejected (by shop_metrics
  /// or by a family; each counts its rejections).
  bool add(const event& e);

  /// Settles the stream at `now`: bursts waiting past max_wait become
  /// unanswered, unpaid orders past their window expire, cohorts whose
  /// window has passed become final. Later events older than `now` are too_late.
  void finish(timestamp now);

  /// The figures as of a local day (see report_request).
  report make_report(const report_request& request = {}) const;
  /// Every shop the report covers (any family holds state of it), in increasing order.
  std::vector<std::string> shops() const;

  // ---- state ---------------------------------------------------------------
  const shop_metrics_options& options() const { return options_; }
  /// The families' states. Their ids are refs into texts(): compare the
  /// families of two shop_metrics through serialize(), not operator==.
  const sessions_type& sessions_state() const { return sessions_; }
  const sales_type& sales_state() const { return sales_; }
  const ratings_type& ratings_state() const { return ratings_; }
  /// The ids the families' states refer to.
  const text_pool& texts() const { return *texts_; }
  /// The interned id of `text`; empty when no event named it.
  std::optional<id_type> id_of(std::string_view text) const { return texts_->find(text); }
  /// The orders accumulator of `shop`; nullptr when the shop had no order-family event.
  const orders_type* orders_state(std::string_view shop) const {
    const std::optional<id_type> id = id_of(shop);
    return id ? orders_state(*id) : nullptr;
  }
  const orders_type* orders_state(id_type shop) const {
    auto it = orders_.find(shop);
    return it == orders_.end() ? nullptr : &it->second;
  }
  /// Events accepted (routed to at least one family without rejection).
  std::uint64_t accepted() const { return accepted_; }
  std::uint64_t rejected(shop_metrics_reject why) const { return rejected_[static_cast<std::size_t>(why)]; }
  /// The newest event time seen; empty before any event.
  std::optional<timestamp> newest_time() const {
    if (!have_time_) return std::nullopt;
    return timestamp{duration{newest_us_}};
  }
  /// The oldest event time seen; empty before any event.
  std::optional<timestamp> oldest_time() const {
    if (!have_time_) return std::nullopt;
    return timestamp{duration{oldest_us_}};
  }

  // ---- merge / serialize ----------------------------------------------------
  /// The state of both streams (exact for disjoint (shop, buyer) shards).
  /// REQUIRES: equal options (std::invalid_argument otherwise).
  void merge(const shop_metrics& other);
  /// The same, taking `other`'s state instead of copying it, and without the
  /// copy of *this that makes the const& form all-or-nothing: if a family's
  /// merge throws (a 64-bit counter overflows) *this is valid but partly merged.
  void merge(shop_metrics&& other);
  void reset() { *this = shop_metrics(options_); }
  std::vector<std::uint8_t> serialize() const { return detail::serialize(*this); }
  static shop_metrics deserialize(const void* data, std::size_t size) {
    return detail::deserialize<shop_metrics>(data, size);
  }
  void serialize_to(detail::writer& w) const;
  static shop_metrics deserialize_from(detail::reader& r);
  friend bool operator==(const shop_metrics& a, const shop_metrics& b) { return a.serialize() == b.serialize(); }
  friend bool operator!=(const shop_metrics& a, const shop_metrics& b) { return !(a == b); }

 private:
  static constexpr std::int64_t housekeeping_us = std::int64_t{3600} * 1000000;

  static const shop_metrics_options& validated(const shop_metrics_options& o) {
    o.validate();
    return o;
  }
  bool reject(shop_metrics_reject why) {
    auto& c = rejected_[static_cast<std::size_t>(why)];
    c = detail::checked_add(c, std::uint64_t{1});
    return false;
  }
  orders_type& orders_of(id_type shop) {
    auto it = orders_.find(shop);
    if (it == orders_.end()) it = orders_.emplace(shop, orders_type(options_.orders_settings())).first;
    return it->second;
  }
  /// One shop's rating rejections: O(1), unlike ratings_type::rejected() (every shop).
  rating_rejections rating_rejections_of(id_type shop) const {
    const auto* st = ratings_.find(shop);
    return st ? st->rejected() : rating_rejections{};
  }
  bool route(const event& e);
  /// A state equal to `o` whose ids are interned in `pool` (through the
  /// serialized form): what merging states of two pools takes.
  shop_metrics rebased(std::shared_ptr<text_pool> pool) const;
  /// Makes `o` share this state's pool (rebased when it has another).
  void share_texts(shop_metrics& o) const {
    if (o.texts_ != texts_) o = rebased_into_mine(o);
  }
  shop_metrics rebased_into_mine(const shop_metrics& o) const { return o.rebased(texts_); }
  static shop_metrics deserialize_from(detail::reader& r, std::shared_ptr<text_pool> pool);
  template <class Other>
  void merge_parts(Other&& other);  // shop_metrics& or const shop_metrics&, sharing this pool
  // merge_parts in pieces that touch disjoint members, so that sharded_metrics
  // can merge two shards' families on different threads: merge_family(f, o)
  // for f in [0, family_count), then merge_totals(o).
  static constexpr std::size_t family_count = 4;  // sessions, orders, sales, ratings
  template <class Other>
  void merge_family(std::size_t family, Other&& other);
  void merge_totals(const shop_metrics& other);
  void housekeeping(std::int64_t now_us);
  /// The report with the stream's time span given: a shard holding whole
  /// shops reports them as the merged state would (sharded_metrics).
  friend class sharded_metrics;
  report make_report(const report_request& request, std::int64_t oldest_us, std::int64_t newest_us) const;
  /// The report's as-of day; std::out_of_range when older than the days kept.
  day_number report_day(const report_request& request, std::int64_t newest_us) const;
  // One shop's figures read only that shop's state (its ratings' lazily
  // updated totals included), so threads may report different shops of one
  // state at once (sharded_metrics::make_report).
  shop_report shop_figures(const std::string& shop, day_number as_of, const report_request& request,
                           std::int64_t oldest_us, std::int64_t newest_us) const;

  shop_metrics_options options_;
  std::shared_ptr<text_pool> texts_;  // shared only inside a merge (rebased) and by sharded_metrics' merges
  sessions_type sessions_;
  std::unordered_map<id_type, orders_type> orders_;  // one lookup per event: hashed (serialized sorted)
  sales_type sales_;
  ratings_type ratings_;
  std::uint64_t accepted_ = 0;
  std::array<std::uint64_t, shop_metrics_reject_count> rejected_{};
  bool have_time_ = false;
  std::int64_t newest_us_ = 0, oldest_us_ = 0;
  std::int64_t settled_us_ = 0;  ///< events older than this are too_late (valid when have_time_)
};

// ---- implementation -----------------------------------------------------------

inline bool shop_metrics::add(const event& e) {
  const std::int64_t t = e.time.time_since_epoch().count();
  if (have_time_ && t < settled_us_) return reject(shop_metrics_reject::too_late);
  if (e.shop.empty()) return reject(shop_metrics_reject::missing_field);
  if (!have_time_) {
    have_time_ = true;
    newest_us_ = oldest_us_ = t;
    settled_us_ = t - options_.max_lateness.count();
  }
  const bool ok = route(e);
  if (ok) accepted_ = detail::checked_add(accepted_, std::uint64_t{1});
  oldest_us_ = std::min(oldest_us_, t);
  if (t > newest_us_) {
    newest_us_ = t;
    // Hourly in stream time, and never closer to the newest event than max_lateness.
    if (t - options_.max_lateness.count() >= settled_us_ + housekeeping_us) housekeeping(t - options_.max_lateness.count());
  }
  return ok;
}

inline bool shop_metrics::route(const event& e) {
  using et = event_type;
  text_pool& texts = *texts_;
  const id_type shop = texts.intern(e.shop);
  auto need = [&](std::string_view v) { return !v.empty(); };
  auto agent_opt = [&]() -> std::optional<id_type> {
    if (e.agent.empty()) return std::nullopt;
    return texts.intern(e.agent);
  };
  switch (e.type) {
    case et::visit: {
      if (!need(e.buyer)) return reject(shop_metrics_reject::missing_field);
      const id_type buyer = texts.intern(e.buyer);
      sales_.visit(shop, buyer, e.time);
      orders_of(shop).visit(shop, buyer, e.time);
      return true;
    }
    case et::buyer_msg: {
      if (!need(e.buyer)) return reject(shop_metrics_reject::missing_field);
      const id_type buyer = texts.intern(e.buyer);
      if (e.agent.empty())
        sessions_.buyer_message(shop, buyer, e.time);
      else
        sessions_.buyer_message(shop, buyer, e.time, texts.intern(e.agent));
      sales_.inquiry(shop, buyer, e.time);
      return orders_of(shop).inquiry(shop, buyer, e.time);
    }
    case et::agent_msg: {
      if (!need(e.buyer) || !need(e.agent)) return reject(shop_metrics_reject::missing_field);
      const id_type buyer = texts.intern(e.buyer), agent = texts.intern(e.agent);
      sessions_.agent_message(shop, buyer, agent, e.time);
      return orders_of(shop).agent_reply(shop, buyer, agent, e.time);
    }
    case et::auto_msg:
      if (!need(e.buyer)) return reject(shop_metrics_reject::missing_field);
      sessions_.auto_message(shop, texts.intern(e.buyer), e.time);
      return true;
    case et::invite:
      if (!need(e.buyer) || !need(e.agent)) return reject(shop_metrics_reject::missing_field);
      sessions_.invite(shop, texts.intern(e.buyer), texts.intern(e.agent), e.time);
      return true;
    case et::vote: {
      if (!need(e.buyer) || !need(e.agent)) return reject(shop_metrics_reject::missing_field);
      const std::uint64_t before = sessions_.rejected();
      sessions_.vote(shop, texts.intern(e.buyer), texts.intern(e.agent), e.score, e.time);
      return sessions_.rejected() == before;
    }
    case et::lost: {
      if (!need(e.buyer) || !need(e.agent)) return reject(shop_metrics_reject::missing_field);
      const auto reason = parse_loss_reason(e.tag);
      if (!reason) return reject(shop_metrics_reject::bad_tag);
      orders_of(shop).lost(shop, texts.intern(e.buyer), texts.intern(e.agent), *reason, e.time);
      return true;
    }
    case et::order: {
      if (!need(e.buyer) || !need(e.order)) return reject(shop_metrics_reject::missing_field);
      orders_type& o = orders_of(shop);
      const std::uint64_t consulted_before = o.placed_order_mix().consulted;
      const id_type buyer = texts.intern(e.buyer), id = texts.intern(e.order);
      const std::optional<id_type> agent = agent_opt();
      if (!o.order(shop, buyer, id, e.amount, agent, e.time)) return false;
      const bool consulted = o.placed_order_mix().consulted != consulted_before;
      return sales_.order(shop, buyer, id, e.amount, consulted, agent, e.time);
    }
    case et::payment: {
      if (!need(e.order) || !e.amount) return reject(shop_metrics_reject::missing_field);
      std::optional<id_type> buyer;
      if (!e.buyer.empty()) buyer = texts.intern(e.buyer);
      if (!orders_of(shop).payment(shop, texts.intern(e.order), *e.amount, buyer, e.time)) return false;
      ratings_.payment(shop, e.time);
      return true;
    }
    case et::cancel:
      if (!need(e.order)) return reject(shop_metrics_reject::missing_field);
      return orders_of(shop).cancel(shop, texts.intern(e.order), e.time);
    case et::refund: {
      if (!need(e.order) || !e.amount) return reject(shop_metrics_reject::missing_field);
      const id_type id = texts.intern(e.order);
      if (!orders_of(shop).refund(shop, id, *e.amount, e.time)) return false;
      return sales_.refund(shop, id, *e.amount, e.time);
    }
    case et::dispute:
      if (!need(e.order)) return reject(shop_metrics_reject::missing_field);
      if (!orders_of(shop).dispute(shop, texts.intern(e.order), e.time)) return false;
      ratings_.dispute(shop, e.time);
      return true;
    case et::reminder:
      if (!need(e.order) || !need(e.tag)) return reject(shop_metrics_reject::missing_field);
      return orders_of(shop).reminder(shop, texts.intern(e.order), texts.intern(e.tag), agent_opt(), e.time);
    case et::dsr: {
      const auto dim = parse_dsr_dimension(e.tag);
      if (!dim) return reject(shop_metrics_reject::bad_tag);
      const rating_rejections before = rating_rejections_of(shop);
      if (e.buyer.empty())
        ratings_.dsr(shop, *dim, e.score, e.time);
      else
        ratings_.dsr(shop, *dim, e.score, e.time, texts.intern(e.buyer));
      return rating_rejections_of(shop) == before;
    }
    case et::review: {
      const rating_rejections before = rating_rejections_of(shop);
      ratings_.review(shop, e.score, e.time);
      return rating_rejections_of(shop) == before;
    }
  }
  return reject(shop_metrics_reject::missing_field);
}

inline void shop_metrics::housekeeping(std::int64_t now_us) {
  if (now_us <= settled_us_) return;
  settled_us_ = now_us;
  const timestamp now{duration{now_us}};
  sessions_.flush(now);
  for (auto& [shop, o] : orders_) o.advance(now);
}

inline void shop_metrics::finish(timestamp now) {
  const std::int64_t n = now.time_since_epoch().count();
  if (!have_time_) {
    have_time_ = true;
    newest_us_ = oldest_us_ = n;
    settled_us_ = n - 1;
  }
  newest_us_ = std::max(newest_us_, n);
  // Always settle every family, even when `now` is not past settled_us_: a
  // merged state holds parts that were settled earlier than this one.
  settled_us_ = std::max(settled_us_, n);
  const timestamp at{duration{settled_us_}};
  sessions_.flush(at);
  for (auto& [shop, o] : orders_) o.advance(at);
}

namespace detail {

inline duration_summary summarize(const response_stats& r, bool quantiles = true) {
  duration_summary d;
  d.count = r.count();
  d.mean = r.mean();
  if (quantiles) {
    d.p50 = r.quantile(0.5);
    d.p90 = r.quantile(0.9);
    d.p99 = r.quantile(0.99);
  }
  d.threshold_s = r.within_seconds();
  d.within_count = r.within().successes();
  d.within_threshold = r.within().rate();
  return d;
}

inline count_ratio ratio_of(const rate_counter& r) { return count_ratio{r.successes(), r.trials()}; }

inline dsr_summary dsr_of(const std::optional<score_summary>& s) {
  dsr_summary d;
  if (!s) return d;
  d.count = s->count();
  d.sum = s->sum();
  d.low = s->low();
  return d;
}

/// Half-up rounding of a non-negative total / n to whole minor units.
inline money average_money(money total, std::uint64_t n) {
  const std::int64_t t = total.minor();
  const auto nn = static_cast<std::int64_t>(n);
  const std::int64_t q = t >= 0 ? (t + nn / 2) / nn : -((-t + nn / 2) / nn);
  return money::from_minor(q);
}

}  // namespace detail

inline shop_report shop_metrics::shop_figures(const std::string& shop_text, day_number as_of,
                                              const report_request& request, std::int64_t oldest_us,
                                              std::int64_t newest_us) const {
  // A shop no event named has no state: the empty id, which no family holds.
  const id_type shop = id_of(shop_text).value_or(id_type{});
  shop_report s;
  s.as_of = as_of;
  const timestamp now{duration{newest_us}};
  const day_number first_day = local_day(timestamp{duration{oldest_us}}, options_.offset);

  // Sessions.
  sessions_type::filter shop_filter{shop, std::nullopt, std::nullopt};
  const auto st = sessions_.query(shop_filter);
  s.conversations = st.conversations();
  s.buyer_messages = st.buyer_messages();
  s.agent_messages = st.agent_messages();
  s.auto_messages = st.auto_messages();
  s.answered = st.answered();
  s.unanswered = st.unanswered();
  s.pending = sessions_.pending(shop_filter);
  s.reply_rate = detail::ratio_of(st.reply_rate());
  s.answer_ratio = count_ratio{st.agent_messages(), st.buyer_messages()};
  s.invite_rate = detail::ratio_of(st.invitation_rate());
  s.satisfaction = detail::ratio_of(st.satisfaction());
  s.response_s = detail::summarize(st.response());
  s.first_response_s = detail::summarize(st.first_response());
  s.first_response_with_auto_s = detail::summarize(st.first_response_with_auto());
  s.km_median_response_s = sessions_.km_median(shop_filter, now);
  if (!st.response().empty())
    for (int k = 1; k <= 99; ++k) {
      const double q = k / 100.0;
      s.response_quantiles.emplace_back(q, *st.response().quantile(q));
    }

  // Sales: traffic and placed orders over every day up to as_of.
  sales_type::query q = sales_.query_for(sales_period{std::min(first_day, as_of), as_of});
  q.shop = shop;
  const sales_snapshot snap = sales_.snapshot(q);
  s.visits = snap.visits;
  s.visitors = snap.visitors;
  s.orders = snap.orders;
  s.buyers = snap.paying_buyers;  // sales is fed placed orders: distinct ordering buyers
  s.orders_without_amount = snap.orders_without_amount;
  s.revenue = snap.revenue;
  if (snap.orders_with_amount() > 0) s.aov_per_order = detail::average_money(snap.revenue, snap.orders_with_amount());

  // Orders: conversion, attribution, losses.
  if (const orders_type* o = orders_state(shop)) {
    const inquiry_cohort inq = o->inquiry_total();
    s.inquiry_conversion = count_ratio{inq.ordered, inq.inquired};
    s.inquiry_conversion_same_day = count_ratio{inq.same_day, inq.inquired};
    const payment_cohort pay = o->payment_total();
    s.payment_conversion = count_ratio{pay.paying_buyers, pay.ordering_buyers};
    s.conversion_provisional = inq.provisional || pay.provisional;
    const auto attr = o->attribution(options_.rule);
    s.paid_orders = attr.consulted_paid_orders + attr.silent_paid_orders;
    s.paid_revenue = attr.total_revenue;
    s.cs_sales_share = attr.cs_sales_share();
    const auto losses = o->loss_totals();
    for (std::size_t i = 0; i < loss_reason_count; ++i) {
      s.lost = detail::checked_add(s.lost, losses[i]);
      if (losses[i] != 0) s.lost_by_reason[std::string(to_string(static_cast<loss_reason>(i)))] = losses[i];
    }
  }

  // Ratings.
  if (const auto* st = ratings_.find(shop)) {
    const ratings_report rr = ratings_.report(shop, as_of);
    s.dsr_item = detail::dsr_of(rr.dsr_of(dsr_dimension::item));
    s.dsr_service = detail::dsr_of(rr.dsr_of(dsr_dimension::service));
    s.dsr_logistics = detail::dsr_of(rr.dsr_of(dsr_dimension::logistics));
    if (rr.after_sales) s.aftersales = detail::ratio_of(*rr.after_sales);
    s.dispute_refund_rate = count_ratio{rr.disputes.disputes, rr.disputes.payments};
    // curve_days days up to as_of; an earlier as_of has the days still kept whole.
    const day_number first = std::max(as_of - (options_.curve_days - 1), st->oldest_series_day());
    for (const dsr_point& p : st->dsr_series(first, as_of)) {
      const auto& item = p.dsr[static_cast<std::size_t>(dsr_dimension::item)];
      s.dsr_curve.emplace_back(p.day, item ? std::optional<double>(item->mean()) : std::nullopt);
    }
  }

  // Agents: every agent with a session cell or an orders record in this shop.
  if (request.agents) {
    std::set<id_type> names;  // in text order
    sessions_.for_each_cell(shop, [&](const id_type&, const id_type* agent, day_number, const auto&) {
      if (agent) names.insert(*agent);
    });
    const orders_type* o = orders_state(shop);
    std::optional<attribution_report<id_type>> attr;
    if (o) {
      attr = o->attribution(options_.rule);
      for (const auto& [a, c] : attr->agents) names.insert(a);
      for (const auto& [a, c] : o->losses()) names.insert(a);
    }
    for (const id_type a : names) {
      agent_report& ar = s.agents[a.str()];
      const auto as = sessions_.query(sessions_type::filter{shop, a, std::nullopt});
      ar.conversations = as.agent_conversations();  // the ones the agent wrote in
      ar.buyers_served = as.buyers_served();
      ar.buyer_messages = as.credited_buyer_messages();
      ar.agent_messages = as.agent_messages();
      ar.response_s = detail::summarize(as.response());
      ar.first_response_s = detail::summarize(as.first_response());
      ar.reply_rate = detail::ratio_of(as.reply_rate());
      ar.answer_ratio = count_ratio{as.agent_messages(), as.credited_buyer_messages()};
      ar.invite_rate = detail::ratio_of(as.invitation_rate());
      ar.satisfaction = detail::ratio_of(as.satisfaction());
      if (attr) {
        auto it = attr->agents.find(a);
        if (it != attr->agents.end()) {
          ar.orders_credited = it->second.paid_orders;
          ar.assists = it->second.assists;
          ar.revenue_credited = it->second.revenue;
        }
        auto lo = o->losses().find(a);
        if (lo != o->losses().end())
          for (std::size_t i = 0; i < loss_reason_count; ++i)
            if (lo->second[i] != 0) ar.lost_by_reason[std::string(to_string(static_cast<loss_reason>(i)))] = lo->second[i];
      }
    }
  }

  // Days: one row per local day from the first event to as_of.
  if (request.days) {
    std::map<day_number, inquiry_cohort> inq;
    std::map<day_number, payment_cohort> pay;
    if (const orders_type* o = orders_state(shop)) {
      for (const auto& c : o->inquiry_cohorts()) inq[c.day] = c;
      for (const auto& c : o->payment_cohorts()) pay[c.day] = c;
    }
    for (day_number d = std::min(first_day, as_of); d <= as_of; ++d) {
      day_report& dr = s.days[d];
      const auto ds = sessions_.query(sessions_type::filter{shop, std::nullopt, d});
      dr.conversations = ds.conversations();
      dr.buyer_messages = ds.buyer_messages();
      dr.agent_messages = ds.agent_messages();
      dr.response_s = detail::summarize(ds.response());
      sales_type::query dq = sales_.query_for(sales_period::day(d));
      dq.shop = shop;
      const sales_snapshot x = sales_.snapshot(dq);
      dr.visits = x.visits;
      dr.orders = x.orders;
      dr.revenue = x.revenue;
      if (auto it = inq.find(d); it != inq.end())
        dr.inquiry_conversion = count_ratio{it->second.ordered, it->second.inquired};
      if (auto it = pay.find(d); it != pay.end())
        dr.payment_conversion = count_ratio{it->second.paying_buyers, it->second.ordering_buyers};
    }
  }
  return s;
}

inline report shop_metrics::make_report(const report_request& request) const {
  if (!have_time_) return report{};
  return make_report(request, oldest_us_, newest_us_);
}

inline day_number shop_metrics::report_day(const report_request& request, std::int64_t newest_us) const {
  const day_number newest_day = local_day(timestamp{duration{newest_us}}, options_.offset);
  const day_number as_of = request.as_of.value_or(newest_day);
  if (as_of < newest_day - (options_.curve_days - 1))
    CSMETRICS_THROW(std::out_of_range("shop_metrics: as-of day " + format_day(as_of) +
                                      " is older than the " + std::to_string(options_.curve_days) +
                                      " days kept before the newest day " + format_day(newest_day)));
  return as_of;
}

inline report shop_metrics::make_report(const report_request& request, std::int64_t oldest_us,
                                        std::int64_t newest_us) const {
  report r;
  const day_number as_of = report_day(request, newest_us);
  for (const std::string& sh : shops())
    r.shops.emplace_hint(r.shops.end(), sh, shop_figures(sh, as_of, request, oldest_us, newest_us));
  return r;
}

inline std::vector<std::string> shop_metrics::shops() const {
  std::set<id_type> shops;  // in text order
  sessions_.for_each_cell([&](const id_type& sh, const id_type*, day_number, const auto&) { shops.insert(sh); });
  for (const auto& [sh, o] : orders_) shops.insert(sh);
  ratings_.for_each([&](const id_type& sh, const auto&) { shops.insert(sh); });
  std::vector<std::string> out;
  out.reserve(shops.size());
  for (const id_type sh : shops) out.push_back(sh.str());
  return out;
}

// ---- merge / serialize ---------------------------------------------------------

inline void shop_metrics::merge(const shop_metrics& o) {
  if (o.options_ != options_) CSMETRICS_THROW(std::invalid_argument("shop_metrics::merge: options differ"));
  shop_metrics out = *this;  // a failed family merge leaves *this unchanged (and o may be *this)
  out.merge_parts(out.rebased_into_mine(o));
  *this = std::move(out);
}

inline void shop_metrics::merge(shop_metrics&& o) {
  if (this == &o) return merge(static_cast<const shop_metrics&>(o));
  if (o.options_ != options_) CSMETRICS_THROW(std::invalid_argument("shop_metrics::merge: options differ"));
  if (o.texts_ == texts_)
    merge_parts(o);
  else
    merge_parts(rebased_into_mine(o));
}

inline shop_metrics shop_metrics::rebased(std::shared_ptr<text_pool> pool) const {
  detail::writer w;
  serialize_to(w);
  const std::vector<std::uint8_t> bytes = w.take();
  detail::reader r(bytes.data(), bytes.size());
  shop_metrics m = deserialize_from(r, std::move(pool));
  r.expect_end();
  return m;
}

template <class Other>
void shop_metrics::merge_parts(Other&& o) {
  for (std::size_t f = 0; f < family_count; ++f) merge_family(f, o);
  merge_totals(o);
}

template <class Other>
void shop_metrics::merge_family(std::size_t family, Other&& o) {
  constexpr bool take = !std::is_const_v<std::remove_reference_t<Other>>;
  // With `take`, each family moves over what this side lacks.
  switch (family) {
    case 0:
      if constexpr (take)
        sessions_.merge(std::move(o.sessions_));
      else
        sessions_.merge(o.sessions_);
      break;
    case 1:
      for (auto& [shop, acc] : o.orders_) {
        auto it = orders_.find(shop);
        if (it != orders_.end())
          it->second.merge(acc);
        else if constexpr (take)
          orders_.emplace(shop, std::move(acc));
        else
          orders_.emplace(shop, acc);
      }
      break;
    case 2:
      if constexpr (take)
        sales_.merge(std::move(o.sales_));
      else
        sales_.merge(o.sales_);
      break;
    default:
      if constexpr (take)
        ratings_.merge(std::move(o.ratings_));
      else
        ratings_.merge(o.ratings_);
  }
}

inline void shop_metrics::merge_totals(const shop_metrics& o) {
  accepted_ = detail::checked_add(accepted_, o.accepted_);
  for (std::size_t i = 0; i < shop_metrics_reject_count; ++i)
    rejected_[i] = detail::checked_add(rejected_[i], o.rejected_[i]);
  if (o.have_time_) {
    if (!have_time_) {
      have_time_ = true;
      newest_us_ = o.newest_us_;
      oldest_us_ = o.oldest_us_;
      settled_us_ = o.settled_us_;
    } else {
      newest_us_ = std::max(newest_us_, o.newest_us_);
      oldest_us_ = std::min(oldest_us_, o.oldest_us_);
      settled_us_ = std::max(settled_us_, o.settled_us_);
    }
  }
}

// Layout after the header (type id 96, version 1):
//   options: offset minutes (svarint) | session_gap, max_wait, payment_window,
//            max_lateness in us (svarint) | attribution_days, dsr_days,
//            after_sales_days, dispute_days, curve_days (varint) | rule (varint)
//            | within_seconds (f64)
//   accepted | rejected[3] | has_time (u8) [newest, oldest, settled (svarint)]
//   sessions | count of shops, then (shop string, orders) in increasing shop order | sales | ratings
inline void shop_metrics::serialize_to(detail::writer& w) const {
  w.header(detail::type_id::shop_metrics, format_version, 0);
  const shop_metrics_options& o = options_;
  w.svarint(o.offset.minutes().count());
  for (duration d : {o.session_gap, o.max_wait, o.payment_window, o.max_lateness}) w.svarint(d.count());
  for (int v : {o.attribution_days, o.dsr_days, o.after_sales_days, o.dispute_days, o.curve_days})
    w.varint(static_cast<std::uint64_t>(v));
  w.varint(static_cast<std::uint64_t>(o.rule));
  w.f64(o.within_seconds);
  w.varint(accepted_);
  for (std::uint64_t c : rejected_) w.varint(c);
  w.u8(have_time_ ? 1 : 0);
  if (have_time_)
    for (std::int64_t v : {newest_us_, oldest_us_, settled_us_}) w.svarint(v);
  sessions_.serialize_to(w);
  std::vector<const std::pair<const id_type, orders_type>*> shops;
  shops.reserve(orders_.size());
  for (const auto& entry : orders_) shops.push_back(&entry);
  std::sort(shops.begin(), shops.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  w.varint(shops.size());
  for (const auto* entry : shops) {
    w.str(entry->first.view());
    entry->second.serialize_to(w);
  }
  sales_.serialize_to(w);
  ratings_.serialize_to(w);
}

inline shop_metrics shop_metrics::deserialize_from(detail::reader& r) {
  return deserialize_from(r, std::make_shared<text_pool>());
}

inline shop_metrics shop_metrics::deserialize_from(detail::reader& r, std::shared_ptr<text_pool> pool) {
  const std::uint8_t version = r.header(detail::type_id::shop_metrics, "shop_metrics", format_version);
  shop_metrics_options o;
  const std::int64_t offset = r.svarint();
  r.check(offset >= -18 * 60 && offset <= 18 * 60, "a UTC offset in [-18:00, +18:00]");
  o.offset = utc_offset(std::chrono::minutes{offset});
  for (duration* d : {&o.session_gap, &o.max_wait, &o.payment_window, &o.max_lateness}) *d = duration{r.svarint()};
  for (int* v : {&o.attribution_days, &o.dsr_days, &o.after_sales_days, &o.dispute_days, &o.curve_days}) {
    const std::uint64_t x = r.varint();
    r.check(x <= 3650, "a day count <= 3650");
    *v = static_cast<int>(x);
  }
  const std::uint64_t rule = r.varint();
  r.check(rule < attribution_rule_count, "an attribution rule < 3");
  o.rule = static_cast<attribution_rule>(rule);
  o.within_seconds = r.f64();
  try {
    o.validate();
  } catch (const std::invalid_argument& e) {
    r.fail(std::string("invalid options: ") + e.what());
  }
  shop_metrics m(o);
  m.texts_ = std::move(pool);
  text_pool* const outer = r.texts();
  r.use_texts(m.texts_.get());
  m.accepted_ = r.varint();
  for (std::uint64_t& c : m.rejected_) c = r.varint();
  const std::uint8_t has_time = r.u8();
  r.check(has_time <= 1, "a has-time flag 0 or 1");
  m.have_time_ = has_time == 1;
  if (m.have_time_)
    for (std::int64_t* v : {&m.newest_us_, &m.oldest_us_, &m.settled_us_}) *v = r.svarint();
  m.sessions_ = sessions_type::deserialize_from(r, version);  // v1 holds sessions v1, v2 sessions v2
  r.check(m.sessions_.options() == o.session_config(), "sessions options match the shop_metrics options");
  const std::size_t shops = r.count(1, "shops");
  for (std::size_t i = 0; i < shops; ++i) {
    const id_type shop = detail::key_serde<id_type>::read(r);
    r.check(m.orders_.find(shop) == m.orders_.end(), "each shop once");
    orders_type acc = orders_type::deserialize_from(r);
    r.check(acc.config() == o.orders_settings(), "orders config matches the shop_metrics options");
    m.orders_.emplace(shop, std::move(acc));
  }
  m.sales_ = sales_type::deserialize_from(r);
  m.ratings_ = ratings_type::deserialize_from(r);
  r.check(m.ratings_.config() == o.ratings_settings(), "ratings config matches the shop_metrics options");
  r.use_texts(outer);
  return m;
}

}  // namespace csmetrics

#endif  // CSMETRICS_SHOP_METRICS_HPP_
