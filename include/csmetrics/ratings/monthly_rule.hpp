// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/ratings/monthly_rule.hpp
//
// The platform's monthly rule for DSR scores: within a natural (local) month
// only the first `monthly_cap` scores a buyer gives a shop in one dimension
// count, by time. detail::monthly_rule keeps, per buyer-month-dimension
// group, the counted scores' timestamps, decides which new score counts and
// takes pushed-out ones back from the DSR days. It is a part of shop_ratings
// (kept apart because it is the one piece with its own state and invariants);
// shop_ratings owns the DSR day window it acts on.
//
// Serialized form (inside shop_ratings', after the bad_score rejections):
//   varint monthly_cap rejections
//   varint g, the groups, ascending (month, dimension, buyer); each:
//     svarint month (months since 1970-01) | u8 dimension | buyer (key_serde) |
//     varint k in [1, monthly_cap] | k x (svarint microseconds since epoch | u8 score)
#ifndef CSMETRICS_RATINGS_MONTHLY_RULE_HPP_
#define CSMETRICS_RATINGS_MONTHLY_RULE_HPP_

#include <algorithm>  // std::sort, std::upper_bound, std::is_sorted
#include <cstddef>    // std::size_t
#include <cstdint>    // std::uint64_t, std::int64_t, std::int32_t, std::uint8_t
#include <iterator>   // std::prev
#include <map>        // std::map (groups, ordered for pruning and serialization)
#include <tuple>      // std::tie, std::make_tuple, std::get
#include <utility>    // std::move
#include <vector>     // std::vector

#include "csmetrics/core/checked.hpp"
#include "csmetrics/core/day_window.hpp"
#include "csmetrics/core/error.hpp"
#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/time.hpp"
#include "csmetrics/ratings/ratings_day.hpp"

namespace csmetrics {
namespace detail {

/// The monthly rule's groups and rejections for one shop. `cap` > 0 when
/// any group exists (0 turns the rule off: the shop never calls add()).
template <class Buyer>
class monthly_rule {
 public:
  monthly_rule(int cap, utc_offset offset) : cap_(cap), offset_(offset) {}

  /// Buyer-month-dimension groups tracked.
  std::size_t size() const { return groups_.size(); }
  bool empty() const { return groups_.empty(); }
  /// Scores the rule rejected: never counted, or taken back when an earlier
  /// score of their group arrived.
  std::uint64_t rejected() const { return rejected_; }

  /// A DSR score of `buyer` at t, on local day d = local_day(t): counted in
  /// `days` when it is among the first `cap` of its group by time.
  void add(day_window<dsr_day>& days, std::size_t dim, int score, timestamp t, day_number d, const Buyer& buyer) {
    if (!days.empty() && d < days.oldest_kept_day()) {
      days.at_day(d);  // too old: the window counts it
      return;
    }
    if (days.empty() || d > days.newest_day()) {
      days.at_day(d);  // advance first: the rule's groups slide with the window
      prune(days.oldest_kept_day());
    }
    if (!admit(days, group_key{month_of(d), static_cast<std::uint8_t>(dim), buyer},
               entry{t.time_since_epoch().count(), score}))
      return;
    days.add_at_day(d, dim, score);
  }

  /// The groups of both: the first `cap` scores of a group of the union, by
  /// time, count; those pushed out are taken back from `days` (the merged
  /// DSR days). Not all or nothing: shop_ratings merges into a copy.
  void merge(const monthly_rule& other, day_window<dsr_day>& days) {
    rejected_ = checked_add(rejected_, other.rejected_);
    for (const auto& [key, entries] : other.groups_) {
      auto it = groups_.find(key);
      if (it == groups_.end()) {
        groups_.emplace(key, entries);
        continue;
      }
      std::vector<entry> all = it->second;
      all.insert(all.end(), entries.begin(), entries.end());
      std::sort(all.begin(), all.end());
      const std::size_t cap = static_cast<std::size_t>(cap_);
      for (std::size_t i = cap; i < all.size(); ++i) take_back(days, key.dimension, all[i]);
      if (all.size() > cap) all.resize(cap);
      it->second = std::move(all);
    }
    prune(days.oldest_kept_day());
  }

  /// Drops groups whose whole month is older than `oldest` (the oldest kept DSR day).
  void prune(day_number oldest) {
    auto it = groups_.begin();
    while (it != groups_.end() && month_last_day(it->first.month) < oldest) it = groups_.erase(it);
  }

  void serialize_to(writer& w) const {
    w.varint(rejected_);
    w.varint(groups_.size());
    for (const auto& [key, entries] : groups_) {
      w.svarint(key.month);
      w.u8(key.dimension);
      key_serde<Buyer>::write(w, key.buyer);
      w.varint(entries.size());
      for (const entry& e : entries) {
        w.svarint(e.micros);
        w.u8(static_cast<std::uint8_t>(e.score));
      }
    }
  }
  /// Reads the groups of a shop whose DSR days `days` are already read, and
  /// checks them against those days: every counted entry is in its day.
  static monthly_rule deserialize_from(reader& r, int cap, utc_offset offset, const day_window<dsr_day>& days) {
    monthly_rule out(cap, offset);
    out.rejected_ = r.varint();
    const std::size_t g = r.count(4, "monthly-rule groups");
    r.check(g == 0 || (cap > 0 && !days.empty()), "monthly-rule groups only with the rule on");
    std::map<std::tuple<day_number, std::size_t, int>, std::uint64_t> kept;  // (day, dimension, score) -> entries
    for (std::size_t i = 0; i < g; ++i) {
      group_key key;
      const std::int64_t month = r.svarint();
      r.check(month >= -1'000'000 && month <= 1'000'000, "month in range");
      key.month = static_cast<std::int32_t>(month);
      key.dimension = r.u8();
      r.check(key.dimension < 3, "dimension in 0..2");
      key.buyer = key_serde<Buyer>::read(r);
      r.check(out.groups_.empty() || std::prev(out.groups_.end())->first < key, "groups strictly ascending");
      r.check(month_last_day(key.month) >= days.oldest_kept_day(), "group's month still in the kept days");
      const std::size_t k = r.count(2, "monthly-rule entries");
      r.check(k >= 1 && k <= static_cast<std::size_t>(cap), "entries per group in [1, monthly_cap]");
      std::vector<entry> entries(k);
      for (entry& e : entries) {
        e.micros = r.svarint();
        r.check(e.micros >= -max_micros && e.micros <= max_micros, "timestamp in range");
        e.score = r.u8();
        r.check(e.score >= 1 && e.score <= 5, "score in 1..5");
        const day_number d = out.day_of(e);
        r.check(month_of(d) == key.month, "entry in its group's month");
        r.check(d <= days.newest_day(), "entry not after the newest day");
        if (d >= days.oldest_kept_day()) ++kept[std::make_tuple(d, std::size_t{key.dimension}, e.score)];
      }
      r.check(std::is_sorted(entries.begin(), entries.end()), "entries in time order");
      out.groups_.emplace_hint(out.groups_.end(), std::move(key), std::move(entries));
    }
    for (const auto& [what, n] : kept) {
      const dsr_day* b = days.day(std::get<0>(what));
      r.check(b != nullptr && b->dimension(std::get<1>(what)).n[static_cast<std::size_t>(std::get<2>(what) - 1)] >= n,
              "monthly-rule entries are counted in their day");
    }
    return out;
  }

  /// Same rejections and groups.
  friend bool operator==(const monthly_rule& a, const monthly_rule& b) {
    return a.rejected_ == b.rejected_ && a.groups_ == b.groups_;
  }
  friend bool operator!=(const monthly_rule& a, const monthly_rule& b) { return !(a == b); }

 private:
  // A group: one buyer, one natural month, one dimension.
  struct group_key {
    std::int32_t month = 0;  // months since 1970-01 (local)
    std::uint8_t dimension = 0;
    Buyer buyer{};
    friend bool operator<(const group_key& a, const group_key& b) {
      return std::tie(a.month, a.dimension, a.buyer) < std::tie(b.month, b.dimension, b.buyer);
    }
    friend bool operator==(const group_key& a, const group_key& b) {
      return a.month == b.month && a.dimension == b.dimension && a.buyer == b.buyer;
    }
  };
  // One counted score of a group, ordered by time then score.
  struct entry {
    std::int64_t micros = 0;
    int score = 0;
    friend bool operator<(const entry& a, const entry& b) {
      return a.micros != b.micros ? a.micros < b.micros : a.score < b.score;
    }
    friend bool operator==(const entry& a, const entry& b) { return a.micros == b.micros && a.score == b.score; }
  };
  static constexpr std::int64_t max_micros = std::int64_t{1} << 60;

  static std::int32_t month_of(day_number d) {
    const civil_date c = civil_from_days(d);
    return static_cast<std::int32_t>((c.year - 1970) * 12 + static_cast<int>(c.month) - 1);
  }
  static day_number month_last_day(std::int32_t month) {
    const std::int32_t y = 1970 + (month >= 0 ? month / 12 : -((-month + 11) / 12));
    const unsigned m = static_cast<unsigned>(month - (y - 1970) * 12 + 1);
    return static_cast<day_number>(days_from_civil(y, m, days_in_month(y, m)));
  }
  day_number day_of(const entry& e) const { return local_day(timestamp{duration{e.micros}}, offset_); }

  // Keeps the group's first cap_ entries by time. False (one rejection) when
  // the new entry is not among them; when it pushes a later one out, that
  // one is taken back from its day (one rejection) and the new one counts.
  bool admit(day_window<dsr_day>& days, const group_key& key, const entry& e) {
    CSMETRICS_ASSERT(e.micros >= -max_micros && e.micros <= max_micros, "timestamp in range");
    std::vector<entry>& g = groups_[key];
    const auto at = std::upper_bound(g.begin(), g.end(), e);
    if (g.size() < static_cast<std::size_t>(cap_)) {
      g.insert(at, e);
      return true;
    }
    if (at == g.end()) {
      rejected_ = checked_add(rejected_, std::uint64_t{1});
      return false;
    }
    const entry out = g.back();
    g.pop_back();
    g.insert(at, e);
    take_back(days, key.dimension, out);
    return true;
  }

  // Removes a counted entry from its day (when the day is still kept).
  void take_back(day_window<dsr_day>& days, std::size_t dim, const entry& e) {
    rejected_ = checked_add(rejected_, std::uint64_t{1});
    const day_number d = day_of(e);
    if (days.empty() || d < days.oldest_kept_day() || d > days.newest_day()) return;
    if (dsr_day* b = days.at_day(d)) b->remove(dim, e.score);
  }

  int cap_;
  utc_offset offset_;
  std::uint64_t rejected_ = 0;
  std::map<group_key, std::vector<entry>> groups_;
};

}  // namespace detail
}  // namespace csmetrics

#endif  // CSMETRICS_RATINGS_MONTHLY_RULE_HPP_
