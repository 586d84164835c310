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
// type id 96, version 3 (4 with a service calendar or an amount_overflow
// count): options, counts, then the four families; versions 1 and 2 still
// read (shop_metrics/serde_impl.hpp has the layout).
// Thread-safety: none inside; one writer per instance.
//
// Files: this one routes events; shop_metrics/report_impl.hpp fills
// reports, shop_metrics/serde_impl.hpp merges and serializes,
// shop_metrics/refusals.hpp names why an event is refused;
// src/csmetrics.cpp compiles them once for csmetrics::compiled.
#ifndef CSMETRICS_SHOP_METRICS_HPP_
#define CSMETRICS_SHOP_METRICS_HPP_

#include <algorithm>    // std::max, std::min
#include <array>        // std::array (rejection counts)
#include <chrono>       // std::chrono::hours
#include <cstdint>      // std::uint64_t, std::int64_t
#include <functional>   // std::function (shop_report_sink)
#include <map>          // std::map (refused_by_reason)
#include <memory>       // std::shared_ptr (the text pool)
#include <optional>     // std::optional
#include <stdexcept>    // std::invalid_argument, std::out_of_range
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <type_traits>  // std::is_const_v
#include <unordered_map>  // std::unordered_map (per-shop orders)
#include <vector>       // std::vector

#include "csmetrics/core/checked.hpp"
#include "csmetrics/core/compiled.hpp"
#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/error.hpp"
#include "csmetrics/io/event.hpp"
#include "csmetrics/io/report.hpp"
#include "csmetrics/orders/orders.hpp"
#include "csmetrics/ratings/ratings.hpp"
#include "csmetrics/sales/sales.hpp"
#include "csmetrics/sessions/sessions.hpp"
#include "csmetrics/shop_metrics/options.hpp"
#include "csmetrics/shop_metrics/refusals.hpp"
#include "csmetrics/core/text_pool.hpp"
#include "csmetrics/core/time.hpp"

// Header-only by default. With CSMETRICS_SEPARATE_COMPILATION (what linking
// the CMake target csmetrics::compiled sets; core/compiled.hpp) the
// definitions below and in shop_metrics/*_impl.hpp are left out of the
// including file and compiled once in src/csmetrics.cpp, which sets
// CSMETRICS_COMPILED_UNIT: a program that feeds and reports a shop_metrics
// compiles in about a seventh of the time (BENCHMARKS.md).
#if CSMETRICS_HEADER_ONLY || defined(CSMETRICS_COMPILED_UNIT)
#define CSMETRICS_SHOP_METRICS_DEFINITIONS 1
#else
#define CSMETRICS_SHOP_METRICS_DEFINITIONS 0
#endif

namespace csmetrics {

/// What a report shows beyond the shops.
struct report_request {
  std::optional<day_number> as_of;  ///< windows end on this local day; default: the newest event's day
  bool agents = true;               ///< per-agent figures
  bool days = false;                ///< per-day rows
  /// Trends (shop_report --period and its HTML page), when > 0: each shop's
  /// sales change between the last `sales_change_days` local days up to
  /// as_of and as many days before (7: "week", 30: "month"), split by
  /// decompose_change; and, with `days`, each day's same-day inquiry conversion.
  int sales_change_days = 0;
  std::optional<money> sales_target;  ///< the later period's sales goal: its attainment
  /// Agents' scorecards (io/scorecard.hpp): one per calendar month (or per
  /// period_days) from the first event's day to as_of, each KPI judged by its rule.
  std::optional<scorecard_options> scorecard;
};

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
  // 2: sessions v2 inside; 3: refused counts; 4: the service calendar (sessions
  // v3 inside) and the amount_overflow count, written only when the state
  // holds either (else version 3's bytes; versions 1 to 3 still read).
  static constexpr std::uint8_t format_version = 4;

  explicit shop_metrics(shop_metrics_options options = {});
  /// A copy has a pool of its own (re-interned through the serialized form),
  /// so copies may be fed on different threads.
  shop_metrics(const shop_metrics& o);
  shop_metrics(shop_metrics&&) noexcept;
  shop_metrics& operator=(const shop_metrics& o);
  shop_metrics& operator=(shop_metrics&&) noexcept;
  ~shop_metrics();

  /// Routes one event. Returns false when it was refused, by shop_metrics
  /// (rejected(why)) or by a family (refused(why)): a refused event goes to
  /// no further family, so it is counted once, under one reason. (A family
  /// that took the event before another refused it keeps it: sessions before
  /// orders for messages, orders before sales and ratings for orders and
  /// payments; only logs beyond the lateness or with duplicates do that.)
  bool add(const event& e);

  /// Settles the stream at `now`: bursts waiting past max_wait become
  /// unanswered, unpaid orders past their window expire, cohorts whose
  /// window has passed become final. Later events older than `now` are too_late.
  void finish(timestamp now);

  /// The figures as of a local day (see report_request).
  report make_report(const report_request& request = {}) const;
  /// Receives one shop's figures (for_each_shop_report).
  using shop_report_sink = std::function<void(const std::string& shop, shop_report&& figures)>;
  /// make_report's shops one at a time, in name order, without the whole
  /// report in memory (json_report_writer writes them as they come).
  void for_each_shop_report(const report_request& request, const shop_report_sink& sink) const;
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
  std::uint64_t refused(shop_metrics_refusal why) const { return refused_[static_cast<std::size_t>(why)]; }
  /// Every event add() returned false for, by reason name: rejected() under
  /// "too_late", "missing_field", "bad_tag", "amount_overflow" and refused() under refusal_name().
  /// Report them with the reader's skipped rows (count_refused in io/report.hpp).
  std::map<std::string, std::uint64_t> refused_by_reason() const;
  /// The reason name of the latest event add() returned false for (not part of the state).
  std::string_view last_refusal() const { return last_refusal_; }
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
    last_refusal_ = reject_name(why);
    auto& c = rejected_[static_cast<std::size_t>(why)];
    c = detail::checked_add(c, std::uint64_t{1});
    return false;
  }
  bool refuse(shop_metrics_refusal why) {
    last_refusal_ = refusal_name(why);
    auto& c = refused_[static_cast<std::size_t>(why)];
    c = detail::checked_add(c, std::uint64_t{1});
    return false;
  }
  // A family's reason as a refusal (the enums list them in the same order).
  bool refuse(session_reject why) { return refuse(static_cast<shop_metrics_refusal>(why)); }
  bool refuse(order_reject why) {
    return refuse(static_cast<shop_metrics_refusal>(static_cast<int>(why) + 3));
  }
  bool refuse(sales_reject why) {
    return refuse(why == sales_reject::negative_amount   ? shop_metrics_refusal::negative_amount
                  : why == sales_reject::duplicate_order ? shop_metrics_refusal::duplicate_order
                                                         : shop_metrics_refusal::non_positive_refund);
  }
  bool refuse_rating(const rating_rejections& before, const rating_rejections& after) {
    if (after == before) return true;
    return refuse(after.too_old != before.too_old     ? shop_metrics_refusal::rating_too_old
                  : after.bad_score != before.bad_score ? shop_metrics_refusal::rating_score_out_of_range
                                                        : shop_metrics_refusal::dsr_monthly_cap);
  }
  // A shop's orders, whether it is on the awake_ list, and a running total
  // of the amounts its rows brought (from orders_type::amounts_bound() after
  // a merge or a read): at least every money sum of the shop in any family,
  // so a row whose amount would overflow the total is refused before any
  // family sees it (amount_overflow) instead of aborting the run.
  struct shop_orders : orders_type {
    explicit shop_orders(orders_type o);
    bool awake = false;
    std::int64_t amounts = 0;
    /// Adds `a` to the total; false (nothing changed) when the total, and so
    /// possibly a sum, would overflow.
    bool take_amount(const std::optional<money>& a) {
      if (!a || a->minor() <= 0) return true;  // negative amounts: the families refuse them
      std::int64_t sum;
      if (__builtin_add_overflow(amounts, a->minor(), &sum)) return false;
      amounts = sum;
      return true;
    }
  };
  /// The orders of `shop` (created empty), put on the awake_ list.
  shop_orders& orders_of(id_type shop);
  /// Puts every shop on the awake_ list and renews its amounts total (after
  /// a merge or a read).
  void wake_all();
  /// One shop's rating rejections: O(1), unlike ratings_type::rejected() (every shop).
  rating_rejections rating_rejections_of(id_type shop) const;
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
  /// Format 4 holds what 3 cannot: a calendar, an amount_overflow count.
  bool uses_version_4() const {
    return options_.calendar || rejected_[static_cast<std::size_t>(shop_metrics_reject::amount_overflow)] != 0;
  }
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
  // A shard holding whole shops reports them as the merged state would,
  // given the stream's time span (sharded_metrics).
  friend class sharded_metrics;
  /// The report's as-of day; std::out_of_range when older than the days kept.
  day_number report_day(const report_request& request, std::int64_t newest_us) const;
  // One shop's figures read only that shop's state (its ratings' lazily
  // updated totals included), so threads may report different shops of one
  // state at once (sharded_metrics::make_report).
  /// The shop's scorecards from first_day to as_of (report_request::scorecard).
  std::vector<scorecard> scorecards(id_type shop, day_number first_day, day_number as_of,
                                    const scorecard_options& opt) const;
  shop_report shop_figures(const std::string& shop, day_number as_of, const report_request& request,
                           std::int64_t oldest_us, std::int64_t newest_us) const;
  /// The same for an interned shop (`known`: named by an event; else the empty id, held by no family).
  shop_report shop_figures(id_type shop, bool known, day_number as_of, const report_request& request,
                           std::int64_t oldest_us, std::int64_t newest_us) const;
  std::vector<id_type> shop_ids() const;  // shops(), interned

  shop_metrics_options options_;
  std::shared_ptr<text_pool> texts_;  // shared only inside a merge (rebased) and by sharded_metrics' merges
  sessions_type sessions_;
  std::unordered_map<id_type, shop_orders> orders_;  // one lookup per event: hashed (serialized sorted)
  // The shops housekeeping advances: those touched since the last one and
  // those still holding deadlines. The others only wait for finish(), so
  // 10^5 quiet shops cost nothing per hour.
  std::vector<id_type> awake_;
  sales_type sales_;
  ratings_type ratings_;
  std::uint64_t accepted_ = 0;
  std::array<std::uint64_t, shop_metrics_reject_count> rejected_{};
  std::array<std::uint64_t, shop_metrics_refusal_count> refused_{};
  std::string_view last_refusal_;
  bool have_time_ = false;
  std::int64_t newest_us_ = 0, oldest_us_ = 0;
  std::int64_t settled_us_ = 0;  ///< events older than this are too_late (valid when have_time_)
};

// ---- implementation -----------------------------------------------------------

#if CSMETRICS_SHOP_METRICS_DEFINITIONS
// Out of line, so that a file using csmetrics::compiled does not build the
// families' constructors and destructors either (nor the orders table's
// insertion these helpers need).
CSMETRICS_FUNC shop_metrics::shop_orders::shop_orders(orders_type o) : orders_type(std::move(o)) {}

CSMETRICS_FUNC shop_metrics::shop_orders& shop_metrics::orders_of(id_type shop) {
  auto it = orders_.find(shop);
  if (it == orders_.end()) it = orders_.emplace(shop, shop_orders(orders_type(options_.orders_settings()))).first;
  if (!it->second.awake) {
    it->second.awake = true;
    awake_.push_back(shop);
  }
  return it->second;
}

CSMETRICS_FUNC void shop_metrics::wake_all() {
  awake_.clear();
  for (auto& [shop, o] : orders_) {
    o.awake = true;
    o.amounts = o.amounts_bound().minor();
    awake_.push_back(shop);
  }
}

CSMETRICS_FUNC rating_rejections shop_metrics::rating_rejections_of(id_type shop) const {
  const auto* st = ratings_.find(shop);
  return st ? st->rejected() : rating_rejections{};
}

CSMETRICS_FUNC shop_metrics::shop_metrics(shop_metrics_options options)
    : options_(validated(options)),
      texts_(std::make_shared<text_pool>()),
      sessions_(options_.session_config()),
      sales_(options_.offset),
      ratings_(options_.ratings_settings()) {}
CSMETRICS_FUNC shop_metrics::shop_metrics(const shop_metrics& o)
    : shop_metrics(o.rebased(std::make_shared<text_pool>())) {}
CSMETRICS_FUNC shop_metrics::shop_metrics(shop_metrics&&) noexcept = default;
CSMETRICS_FUNC shop_metrics& shop_metrics::operator=(const shop_metrics& o) {
  if (this != &o) *this = shop_metrics(o);
  return *this;
}
CSMETRICS_FUNC shop_metrics& shop_metrics::operator=(shop_metrics&&) noexcept = default;
CSMETRICS_FUNC shop_metrics::~shop_metrics() = default;

CSMETRICS_FUNC bool shop_metrics::add(const event& e) {
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

CSMETRICS_FUNC bool shop_metrics::route(const event& e) {
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
      sales_.visit(shop, buyer, e.time);  // traffic is the sales family's: no orders state for a visit
      return true;
    }
    case et::buyer_msg: {
      if (!need(e.buyer)) return reject(shop_metrics_reject::missing_field);
      const id_type buyer = texts.intern(e.buyer);
      const std::optional<id_type> routed = agent_opt();
      const std::uint64_t before = sessions_.rejected();
      if (routed)
        sessions_.buyer_message(shop, buyer, e.time, *routed);
      else
        sessions_.buyer_message(shop, buyer, e.time);
      if (sessions_.rejected() != before) return refuse(sessions_.last_reject());
      orders_type& o = orders_of(shop);
      if (!o.inquiry(shop, buyer, e.time, routed)) return refuse(o.last_reject());
      sales_.inquiry(shop, buyer, e.time);
      return true;
    }
    case et::agent_msg: {
      if (!need(e.buyer) || !need(e.agent)) return reject(shop_metrics_reject::missing_field);
      const id_type buyer = texts.intern(e.buyer), agent = texts.intern(e.agent);
      const std::uint64_t before = sessions_.rejected();
      sessions_.agent_message(shop, buyer, agent, e.time);
      if (sessions_.rejected() != before) return refuse(sessions_.last_reject());
      orders_type& o = orders_of(shop);
      return o.agent_reply(shop, buyer, agent, e.time) || refuse(o.last_reject());
    }
    case et::auto_msg: {
      if (!need(e.buyer)) return reject(shop_metrics_reject::missing_field);
      const std::uint64_t before = sessions_.rejected();
      sessions_.auto_message(shop, texts.intern(e.buyer), e.time);
      return sessions_.rejected() == before || refuse(sessions_.last_reject());
    }
    case et::invite: {
      if (!need(e.buyer) || !need(e.agent)) return reject(shop_metrics_reject::missing_field);
      const std::uint64_t before = sessions_.rejected();
      sessions_.invite(shop, texts.intern(e.buyer), texts.intern(e.agent), e.time);
      return sessions_.rejected() == before || refuse(sessions_.last_reject());
    }
    case et::vote: {
      if (!need(e.buyer) || !need(e.agent)) return reject(shop_metrics_reject::missing_field);
      const std::uint64_t before = sessions_.rejected();
      sessions_.vote(shop, texts.intern(e.buyer), texts.intern(e.agent), e.score, e.time);
      return sessions_.rejected() == before || refuse(sessions_.last_reject());
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
      shop_orders& o = orders_of(shop);
      if (!o.take_amount(e.amount)) return reject(shop_metrics_reject::amount_overflow);
      const std::uint64_t consulted_before = o.placed_order_mix().consulted;
      const id_type buyer = texts.intern(e.buyer), id = texts.intern(e.order);
      const std::optional<id_type> agent = agent_opt();
      if (!o.order(shop, buyer, id, e.amount, agent, e.time)) return refuse(o.last_reject());
      const bool consulted = o.placed_order_mix().consulted != consulted_before;
      return sales_.order(shop, buyer, id, e.amount, consulted, agent, e.time) || refuse(sales_.last_reject());
    }
    case et::payment: {
      if (!need(e.order) || !e.amount) return reject(shop_metrics_reject::missing_field);
      std::optional<id_type> buyer;
      if (!e.buyer.empty()) buyer = texts.intern(e.buyer);
      shop_orders& o = orders_of(shop);
      if (!o.take_amount(e.amount)) return reject(shop_metrics_reject::amount_overflow);
      if (!o.payment(shop, texts.intern(e.order), *e.amount, buyer, e.time)) return refuse(o.last_reject());
      ratings_.payment(shop, e.time);  // too old for the ratings windows: counted there, not refused
      return true;
    }
    case et::cancel: {
      if (!need(e.order)) return reject(shop_metrics_reject::missing_field);
      orders_type& o = orders_of(shop);
      return o.cancel(shop, texts.intern(e.order), e.time) || refuse(o.last_reject());
    }
    case et::refund: {
      if (!need(e.order) || !e.amount) return reject(shop_metrics_reject::missing_field);
      const id_type id = texts.intern(e.order);
      shop_orders& o = orders_of(shop);
      if (!o.take_amount(e.amount)) return reject(shop_metrics_reject::amount_overflow);
      if (!o.refund(shop, id, *e.amount, e.time)) return refuse(o.last_reject());
      return sales_.refund(shop, id, *e.amount, e.time) || refuse(sales_.last_reject());
    }
    case et::dispute: {
      if (!need(e.order)) return reject(shop_metrics_reject::missing_field);
      orders_type& o = orders_of(shop);
      if (!o.dispute(shop, texts.intern(e.order), e.time)) return refuse(o.last_reject());
      ratings_.dispute(shop, e.time);  // as payments
      return true;
    }
    case et::reminder: {
      if (!need(e.order) || !need(e.tag)) return reject(shop_metrics_reject::missing_field);
      orders_type& o = orders_of(shop);
      return o.reminder(shop, texts.intern(e.order), texts.intern(e.tag), agent_opt(), e.time) ||
             refuse(o.last_reject());
    }
    case et::dsr: {
      const auto dim = parse_dsr_dimension(e.tag);
      if (!dim) return reject(shop_metrics_reject::bad_tag);
      const rating_rejections before = rating_rejections_of(shop);
      if (e.buyer.empty())
        ratings_.dsr(shop, *dim, e.score, e.time);
      else
        ratings_.dsr(shop, *dim, e.score, e.time, texts.intern(e.buyer));
      return refuse_rating(before, rating_rejections_of(shop));
    }
    case et::review: {
      const rating_rejections before = rating_rejections_of(shop);
      ratings_.review(shop, e.score, e.time);
      return refuse_rating(before, rating_rejections_of(shop));
    }
  }
  return reject(shop_metrics_reject::missing_field);
}

CSMETRICS_FUNC std::map<std::string, std::uint64_t> shop_metrics::refused_by_reason() const {
  std::map<std::string, std::uint64_t> out;
  for (std::size_t i = 0; i < shop_metrics_reject_count; ++i)
    if (rejected_[i] != 0) out[std::string(reject_name(static_cast<shop_metrics_reject>(i)))] = rejected_[i];
  for (std::size_t i = 0; i < shop_metrics_refusal_count; ++i)
    if (refused_[i] != 0) out[std::string(refusal_name(static_cast<shop_metrics_refusal>(i)))] = refused_[i];
  return out;
}

CSMETRICS_FUNC void shop_metrics::housekeeping(std::int64_t now_us) {
  if (now_us <= settled_us_) return;
  settled_us_ = now_us;
  const timestamp now{duration{now_us}};
  sessions_.flush(now);
  std::size_t kept = 0;
  for (const id_type shop : awake_) {
    shop_orders& o = orders_.find(shop)->second;
    o.advance(now);
    if (o.has_deadlines())
      awake_[kept++] = shop;
    else
      o.awake = false;
  }
  awake_.resize(kept);
}

CSMETRICS_FUNC void shop_metrics::finish(timestamp now) {
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

#endif
}  // namespace csmetrics

#if CSMETRICS_SHOP_METRICS_DEFINITIONS
#include "csmetrics/shop_metrics/report_impl.hpp"
#include "csmetrics/shop_metrics/serde_impl.hpp"
#endif

#endif  // CSMETRICS_SHOP_METRICS_HPP_
