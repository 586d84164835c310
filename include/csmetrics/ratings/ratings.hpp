// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/ratings/ratings.hpp
//
// The ratings family: what buyers think of a shop, over sliding windows of
// the shop's local days (METRICS.md, "Ratings").
//
//   DSR 店铺动态评分          three 1..5 scores - item as described (描述相符),
//                             service attitude (服务态度), logistics (物流服务);
//                             each = sum of its scores in the last 180 days /
//                             their count; shown with 2 decimals, reported with
//                             the exact sum and count and the 1-2 star share.
//   after-sales 售后满意度     (4 + 5 star ratings) / all ratings, last 30 days.
//   dispute refunds 纠纷退款率 dispute refunds / paid transactions, last 30 days.
//
// "The last N days as of day D" are the local days D-N+1 .. D at the shop's
// UTC offset (default UTC+8). Ratings arriving late but inside the kept days
// count on their own day; older ones are rejected and counted, as are scores
// outside 1..5 and - with the platform's monthly rule on - the ratings beyond
// the first 3 a buyer gives a shop in a natural month. "No ratings in the
// window" is an empty result, never 0.
//
// Every window is a csmetrics::day_window of per-day buckets
// (ratings_day.hpp) that keep star counts, so sums, counts and shares
// are exact, windows merge exactly and sliding a day costs one merge and one
// subtract.
//
// This is the family's public header: it includes every part and holds the
// multi-shop accumulator csmetrics::ratings. The parts, one concept each:
//
//   dsr_dimension.hpp    the three DSR dimensions and their event-log names
//   ratings_config.hpp   window lengths, day boundary, monthly cap; their serialized form
//   ratings_day.hpp      the per-day buckets of the windows (detail)
//   score_summary.hpp    a window's star distribution: sum, count, 2-decimal display, shares
//   ratings_report.hpp   report, DSR series point, dispute and rejection counts
//   peer_comparison.hpp  compare_to_peer: a DSR or a rate against an industry benchmark
//   monthly_rule.hpp     the first 3 DSR scores per buyer, month and dimension (detail)
//   shop_ratings.hpp     one shop: the DSR, after-sales and dispute windows and the rule
#ifndef CSMETRICS_RATINGS_RATINGS_HPP_
#define CSMETRICS_RATINGS_RATINGS_HPP_

#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint64_t, std::uint8_t
#include <iterator>     // std::prev
#include <map>          // std::map (shops, ordered for serialization)
#include <stdexcept>    // std::invalid_argument
#include <type_traits>  // std::is_const_v, std::remove_reference_t
#include <utility>      // std::move, std::pair
#include <vector>       // std::vector

#include "csmetrics/core/checked.hpp"
#include "csmetrics/core/error.hpp"
#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/time.hpp"
#include "csmetrics/ratings/dsr_dimension.hpp"
#include "csmetrics/ratings/peer_comparison.hpp"
#include "csmetrics/ratings/ratings_config.hpp"
#include "csmetrics/ratings/ratings_day.hpp"
#include "csmetrics/ratings/ratings_report.hpp"
#include "csmetrics/ratings/score_summary.hpp"
#include "csmetrics/ratings/shop_ratings.hpp"

namespace csmetrics {

/**
 * Ratings of many shops: one shop_ratings per shop id, all with the same
 * configuration. Shop ids are integers by default; std::string works too
 * (any type with operator< and a detail::key_serde).
 *
 *     csmetrics::ratings<std::string> all;                 // 180 / 30 / 30 days, UTC+8
 *     all.dsr("shop-1", csmetrics::dsr_dimension::service, 5, t, "buyer-7");
 *     all.review("shop-1", 2, t);
 *     all.payment("shop-1", t);
 *     auto r = all.report("shop-1", csmetrics::local_day(now));
 *     csmetrics::compare_to_peer(r.dsr_of(csmetrics::dsr_dimension::item), 4.78);
 *
 * Merge: shop by shop (shop_ratings::merge). Complexity: O(log shops) per
 * event on top of shop_ratings; serialization is sorted by shop id, so equal
 * states give equal bytes. Thread-safety: none inside; one writer.
 */
template <class Shop = std::uint64_t, class Buyer = Shop>
class ratings {
 public:
  using shop_type = Shop;
  using buyer_type = Buyer;
  using shop_state = shop_ratings<Buyer>;
  /// Format version of serialize().
  static constexpr std::uint8_t format_version = 1;

  /// Throws std::invalid_argument on a bad configuration.
  explicit ratings(ratings_config config = {}) : config_(config) { config_.validate(); }

  /// A DSR score from an unnamed buyer.
  void dsr(const Shop& shop, dsr_dimension dimension, int score, timestamp t) {
    state(shop).dsr(dimension, score, t);
  }
  /// A DSR score from `buyer` (the monthly rule applies when on).
  void dsr(const Shop& shop, dsr_dimension dimension, int score, timestamp t, const Buyer& buyer) {
    state(shop).dsr(dimension, score, t, buyer);
  }
  /// An after-sales rating 1..5.
  void review(const Shop& shop, int score, timestamp t) { state(shop).review(score, t); }
  /// A paid transaction.
  void payment(const Shop& shop, timestamp t) { state(shop).payment(t); }
  /// A dispute refund.
  void dispute(const Shop& shop, timestamp t) { state(shop).dispute(t); }

  /// The shop's report as of local day d (every metric empty for a shop never seen).
  /// REQUIRES: as shop_ratings::report().
  ratings_report report(const Shop& shop, day_number d) const {
    if (const shop_state* s = find(shop)) return s->report(d);
    return shop_state(config_).report(d);
  }
  /// The shop's DSR as of every day in [first, last] (empty optionals for a shop never seen).
  std::vector<dsr_point> dsr_series(const Shop& shop, day_number first, day_number last) const {
    if (const shop_state* s = find(shop)) return s->dsr_series(first, last);
    return shop_state(config_).dsr_series(first, last);
  }
  /// The shop's state, or nullptr.
  const shop_state* find(const Shop& shop) const {
    auto it = shops_.find(shop);
    return it == shops_.end() ? nullptr : &it->second;
  }
  std::size_t size() const { return shops_.size(); }
  /// f(const Shop&, const shop_ratings<Buyer>&) for every shop, ascending ids.
  template <class F>
  void for_each(F f) const {
    for (const auto& [shop, s] : shops_) f(shop, s);
  }
  /// Rejections of all shops.
  rating_rejections rejected() const {
    rating_rejections r;
    for (const auto& [shop, s] : shops_) {
      const rating_rejections x = s.rejected();
      r.too_old = detail::checked_add(r.too_old, x.too_old);
      r.bad_score = detail::checked_add(r.bad_score, x.bad_score);
      r.monthly_cap = detail::checked_add(r.monthly_cap, x.monthly_cap);
    }
    return r;
  }
  const ratings_config& config() const { return config_; }

  /// Shop by shop. REQUIRES: the same configuration (std::invalid_argument otherwise).
  void merge(const ratings& other) {
    if (other.config_ != config_) CSMETRICS_THROW(std::invalid_argument("ratings::merge: configurations differ"));
    if (&other == this) {
      ratings copy = other;
      merge_from(copy);
      return;
    }
    merge_from(other);
  }
  /// The same, moving the shops this side lacks instead of copying them.
  /// `other` is left valid but unspecified.
  void merge(ratings&& other) {
    if (&other == this) return merge(static_cast<const ratings&>(other));
    if (other.config_ != config_) CSMETRICS_THROW(std::invalid_argument("ratings::merge: configurations differ"));
    merge_from(other);
  }
  void reset() { shops_.clear(); }

  // Serialized form (type id 80, format version 1, flags 0), after the header:
  //   the configuration as in shop_ratings | varint n shops, ascending ids;
  //   each: shop id (key_serde) | shop_ratings (full form, same configuration)
  std::vector<std::uint8_t> serialize() const { return detail::serialize(*this); }
  /// Throws csmetrics::deserialize_error on truncated, corrupt or foreign bytes.
  static ratings deserialize(const void* data, std::size_t size) { return detail::deserialize<ratings>(data, size); }
  void serialize_to(detail::writer& w) const {
    w.header(detail::type_id::ratings, format_version);
    shop_state::write_config(w, config_);
    w.varint(shops_.size());
    for (const auto& [shop, s] : shops_) {
      detail::key_serde<Shop>::write(w, shop);
      s.serialize_to(w);
    }
  }
  static ratings deserialize_from(detail::reader& r) {
    r.header(detail::type_id::ratings, "ratings", format_version);
    ratings out(shop_state::read_config(r));
    const std::size_t n = r.count(7, "shops");
    for (std::size_t i = 0; i < n; ++i) {
      Shop shop = detail::key_serde<Shop>::read(r);
      r.check(out.shops_.empty() || std::prev(out.shops_.end())->first < shop, "shop ids strictly ascending");
      shop_state s = shop_state::deserialize_from(r);
      r.check(s.config() == out.config_, "every shop has the accumulator's configuration");
      out.shops_.emplace_hint(out.shops_.end(), std::move(shop), std::move(s));
    }
    return out;
  }

  friend bool operator==(const ratings& a, const ratings& b) {
    return a.config_ == b.config_ && a.shops_ == b.shops_;
  }
  friend bool operator!=(const ratings& a, const ratings& b) { return !(a == b); }

 private:
  shop_state& state(const Shop& shop) {
    auto it = shops_.find(shop);
    if (it == shops_.end()) it = shops_.emplace(shop, shop_state(config_)).first;
    return it->second;
  }

  ratings_config config_;
  // All or nothing on overflow: shops present on both sides are merged into
  // copies first; only then is anything changed (shops new to this side are
  // taken whole and cannot overflow). Disjoint shops copy nothing of ours.
  template <class Other>
  void merge_from(Other&& other) {
    constexpr bool take = !std::is_const_v<std::remove_reference_t<Other>>;
    std::vector<std::pair<shop_state*, shop_state>> merged;
    for (const auto& [shop, s] : other.shops_) {
      auto it = shops_.find(shop);
      if (it == shops_.end()) continue;
      shop_state both = it->second;
      both.merge(s);
      merged.emplace_back(&it->second, std::move(both));
    }
    std::map<Shop, shop_state> added;
    for (auto& [shop, s] : other.shops_) {
      if (shops_.find(shop) != shops_.end()) continue;
      if constexpr (take)
        added.emplace_hint(added.end(), shop, std::move(s));
      else
        added.emplace_hint(added.end(), shop, s);
    }
    for (auto& [mine, both] : merged) *mine = std::move(both);
    shops_.merge(added);
  }

  std::map<Shop, shop_state> shops_;
};

}  // namespace csmetrics

#endif  // CSMETRICS_RATINGS_RATINGS_HPP_
