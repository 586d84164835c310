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
// (detail/ratings_day.hpp) that keep star counts, so sums, counts and shares
// are exact, windows merge exactly and sliding a day costs one merge and one
// subtract.
#ifndef CSMETRICS_RATINGS_RATINGS_HPP_
#define CSMETRICS_RATINGS_RATINGS_HPP_

#include <algorithm>    // std::sort, std::upper_bound, std::is_sorted
#include <array>        // std::array
#include <cmath>        // std::isfinite, std::floor
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint64_t, std::int64_t, std::uint8_t
#include <iterator>     // std::prev
#include <map>          // std::map (monthly-rule groups, ordered for pruning and serialization)
#include <optional>     // std::optional
#include <stdexcept>    // std::invalid_argument
#include <string>       // std::string, std::to_string
#include <string_view>  // std::string_view
#include <tuple>        // std::tie, std::make_tuple, std::get
#include <type_traits>  // std::is_const_v
#include <utility>      // std::move
#include <vector>       // std::vector

#include "csmetrics/core/day_window.hpp"
#include "csmetrics/core/checked.hpp"
#include "csmetrics/ratings/ratings_day.hpp"
#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/error.hpp"
#include "csmetrics/core/rate.hpp"
#include "csmetrics/core/time.hpp"

namespace csmetrics {

/// The three DSR dimensions.
enum class dsr_dimension : std::uint8_t {
  item = 0,       ///< 描述相符 item as described
  service = 1,    ///< 服务态度 service attitude
  logistics = 2,  ///< 物流服务 logistics
};

/// "item", "service", "logistics" (the event log's `tag` values).
inline const char* to_string(dsr_dimension d) {
  switch (d) {
    case dsr_dimension::item: return "item";
    case dsr_dimension::service: return "service";
    case dsr_dimension::logistics: return "logistics";
  }
  return "?";
}

/// Parses an event log `tag`; empty for anything else.
inline std::optional<dsr_dimension> parse_dsr_dimension(std::string_view tag) {
  if (tag == "item") return dsr_dimension::item;
  if (tag == "service") return dsr_dimension::service;
  if (tag == "logistics") return dsr_dimension::logistics;
  return std::nullopt;
}

/// Window lengths, day boundary and the monthly rule of a ratings accumulator.
struct ratings_config {
  int dsr_days = 180;          ///< DSR window, local days, in [1, 3650]
  int after_sales_days = 30;   ///< after-sales satisfaction window, in [1, 3650]
  int dispute_days = 30;       ///< dispute refund rate window, in [1, 3650]
  /// Older days kept so that reports and series "as of" up to this many days
  /// before the newest day work; in [0, 3650].
  int history_days = 0;
  utc_offset offset{};         ///< the shop's day boundary (default UTC+8)
  /// The platform rule: within a natural (local) month only the first
  /// `monthly_cap` DSR scores per buyer, shop and dimension count (by time;
  /// later ones are rejected and counted). Applies to dsr() calls that name
  /// the buyer. 0 turns the rule off; in [0, 100].
  int monthly_cap = 3;

  /// Throws std::invalid_argument naming the field and its limits.
  void validate() const {
    auto days = [](const char* name, int v, int lo) {
      if (v < lo || v > 3650)
        CSMETRICS_THROW(std::invalid_argument(std::string("ratings_config: ") + name + " must be in [" +
                                              std::to_string(lo) + ", 3650]: " + std::to_string(v)));
    };
    days("dsr_days", dsr_days, 1);
    days("after_sales_days", after_sales_days, 1);
    days("dispute_days", dispute_days, 1);
    days("history_days", history_days, 0);
    if (monthly_cap < 0 || monthly_cap > 100)
      CSMETRICS_THROW(std::invalid_argument("ratings_config: monthly_cap must be in [0, 100]: " +
                                            std::to_string(monthly_cap)));
  }
  friend bool operator==(const ratings_config& a, const ratings_config& b) {
    return a.dsr_days == b.dsr_days && a.after_sales_days == b.after_sales_days &&
           a.dispute_days == b.dispute_days && a.history_days == b.history_days && a.offset == b.offset &&
           a.monthly_cap == b.monthly_cap;
  }
  friend bool operator!=(const ratings_config& a, const ratings_config& b) { return !(a == b); }
};

/// A distribution of 1..5 star scores with everything derived exactly: one
/// DSR dimension over its window, or the after-sales ratings over theirs.
/// Only made for a non-empty window (reports hold std::optional<score_summary>).
class score_summary {
 public:
  /// REQUIRES: at least one score (throws std::invalid_argument otherwise).
  explicit score_summary(const std::array<std::uint64_t, 5>& stars) : stars_(stars) {
    detail::star_counts s;
    s.n = stars;
    count_ = s.count();
    sum_ = s.sum();
    if (count_ == 0) CSMETRICS_THROW(std::invalid_argument("score_summary: no scores"));
  }

  /// stars()[k - 1] = number of k-star scores.
  const std::array<std::uint64_t, 5>& stars() const { return stars_; }
  /// Exact sum of the scores.
  std::uint64_t sum() const { return sum_; }
  /// Number of scores (> 0).
  std::uint64_t count() const { return count_; }
  /// sum / count.
  double mean() const { return static_cast<double>(sum_) / static_cast<double>(count_); }
  /// sum / count in hundredths, rounded half up, exact: 4.845 -> 485.
  std::int64_t hundredths() const {
    __extension__ using u128 = unsigned __int128;
    const u128 h = (static_cast<u128>(sum_) * 200u + count_) / (static_cast<u128>(count_) * 2u);
    return static_cast<std::int64_t>(h);  // <= 500
  }
  /// The 2-decimal display a shop sees: "4.85".
  std::string display() const {
    const std::int64_t h = hundredths();
    std::string s = std::to_string(h / 100);
    s += '.';
    s += static_cast<char>('0' + (h / 10) % 10);
    s += static_cast<char>('0' + h % 10);
    return s;
  }
  /// 1- and 2-star scores.
  std::uint64_t low() const { return stars_[0] + stars_[1]; }
  /// 4- and 5-star scores.
  std::uint64_t high() const { return stars_[3] + stars_[4]; }
  /// Share of 1-2 star scores as a rate (Wilson interval on request).
  rate_counter low_share() const { return rate_counter(low(), count_); }
  /// Share of 4-5 star scores as a rate.
  rate_counter high_share() const { return rate_counter(high(), count_); }

  friend bool operator==(const score_summary& a, const score_summary& b) { return a.stars_ == b.stars_; }
  friend bool operator!=(const score_summary& a, const score_summary& b) { return !(a == b); }

 private:
  std::array<std::uint64_t, 5> stars_;
  std::uint64_t sum_ = 0;
  std::uint64_t count_ = 0;
};

/// Dispute refunds and paid transactions of a window. Disputes may exceed
/// payments (refunds of orders paid before the window): the ratio is then
/// above 1 and not a proportion.
struct dispute_counts {
  std::uint64_t disputes = 0;
  std::uint64_t payments = 0;

  /// disputes / payments (may exceed 1); empty when there are no payments.
  std::optional<double> ratio() const {
    if (payments == 0) return std::nullopt;
    return static_cast<double>(disputes) / static_cast<double>(payments);
  }
  /// The rate with its Wilson interval; empty when there are no payments or
  /// when disputes > payments (not a proportion: read ratio() and the counts).
  std::optional<rate_counter> rate() const {
    if (payments == 0 || disputes > payments) return std::nullopt;
    return rate_counter(disputes, payments);
  }
  friend bool operator==(const dispute_counts& a, const dispute_counts& b) {
    return a.disputes == b.disputes && a.payments == b.payments;
  }
  friend bool operator!=(const dispute_counts& a, const dispute_counts& b) { return !(a == b); }
};

/// Events rejected, by reason. Never folded into any metric.
struct rating_rejections {
  /// Events (of every kind) older than the oldest kept day, plus the events
  /// of days a merge dropped because the merged windows no longer keep them.
  std::uint64_t too_old = 0;
  std::uint64_t bad_score = 0;    ///< DSR or review score outside 1..5
  std::uint64_t monthly_cap = 0;  ///< DSR scores beyond the monthly per-buyer cap
  std::uint64_t total() const { return detail::checked_add(detail::checked_add(too_old, bad_score), monthly_cap); }
  friend bool operator==(const rating_rejections& a, const rating_rejections& b) {
    return a.too_old == b.too_old && a.bad_score == b.bad_score && a.monthly_cap == b.monthly_cap;
  }
  friend bool operator!=(const rating_rejections& a, const rating_rejections& b) { return !(a == b); }
};

/// What a shop's ratings look like as of one local day.
struct ratings_report {
  day_number as_of = 0;
  /// DSR per dimension (indexed by dsr_dimension) over days as_of-dsr_days+1 .. as_of;
  /// empty when the dimension has no score in the window.
  std::array<std::optional<score_summary>, 3> dsr;
  /// The after-sales star distribution of its window; empty when no ratings.
  std::optional<score_summary> reviews;
  /// After-sales satisfaction: 4-5 star ratings out of all ratings in its window; empty when no ratings.
  std::optional<rate_counter> after_sales;
  /// Dispute refunds and payments in their window.
  dispute_counts disputes;
  /// disputes.rate(): empty without payments (or when disputes > payments).
  std::optional<rate_counter> dispute_refund;
  /// All rejections so far (not only this window's).
  rating_rejections rejected;

  const std::optional<score_summary>& dsr_of(dsr_dimension d) const { return dsr[static_cast<std::size_t>(d)]; }
};

/// One point of a DSR time series: the three dimensions as of `day`.
struct dsr_point {
  day_number day = 0;
  std::array<std::optional<score_summary>, 3> dsr;
};

/// Where a shop stands against a peer benchmark (an industry average).
enum class peer_standing : std::uint8_t { below, equal, above };

inline const char* to_string(peer_standing s) {
  switch (s) {
    case peer_standing::below: return "below";
    case peer_standing::equal: return "equal";
    case peer_standing::above: return "above";
  }
  return "?";
}

/// The shop's value against a peer benchmark.
struct peer_comparison {
  peer_standing standing = peer_standing::equal;
  double difference = 0.0;  ///< mine - peer
  /// (mine - peer) / peer: Taobao's "高于/低于同行业 x%"; empty when peer == 0.
  std::optional<double> relative_difference;
};

/// DSR against an industry average `peer_mean` in [1, 5]. "equal" when both
/// show the same 2 decimals (the shop's exact hundredths vs the peer rounded
/// half up to hundredths), so the verdict matches what a report prints.
/// Empty when the shop has no scores. Throws std::invalid_argument on a peer
/// outside [1, 5] or not finite.
inline std::optional<peer_comparison> compare_to_peer(const std::optional<score_summary>& mine, double peer_mean) {
  if (!std::isfinite(peer_mean) || peer_mean < 1.0 || peer_mean > 5.0)
    CSMETRICS_THROW(std::invalid_argument("compare_to_peer: peer mean must be in [1, 5]: " +
                                          std::to_string(peer_mean)));
  if (!mine) return std::nullopt;
  const std::int64_t peer_h = static_cast<std::int64_t>(std::floor(peer_mean * 100.0 + 0.5 + 1e-9));
  const std::int64_t h = mine->hundredths();
  peer_comparison c;
  c.standing = h < peer_h ? peer_standing::below : h > peer_h ? peer_standing::above : peer_standing::equal;
  c.difference = mine->mean() - peer_mean;
  c.relative_difference = c.difference / peer_mean;
  return c;
}

/// A rate (after-sales satisfaction, dispute refund rate) against an
/// industry rate `peer_rate` in [0, 1]: "equal" when the peer lies inside the
/// shop's Wilson interval at `confidence` (the gap may be noise), else above
/// or below. Whether above is good depends on the metric (not for disputes).
/// Empty when the shop has no trials. Throws std::invalid_argument on a peer
/// outside [0, 1] or a confidence outside (0, 1).
inline std::optional<peer_comparison> compare_to_peer(const std::optional<rate_counter>& mine, double peer_rate,
                                                      double confidence = 0.95) {
  if (!std::isfinite(peer_rate) || peer_rate < 0.0 || peer_rate > 1.0)
    CSMETRICS_THROW(std::invalid_argument("compare_to_peer: peer rate must be in [0, 1]: " +
                                          std::to_string(peer_rate)));
  const double z = detail::two_sided_z(confidence);  // validates confidence
  if (!mine || mine->trials() == 0) return std::nullopt;
  const interval w = detail::wilson_interval(mine->successes(), mine->trials(), z);
  peer_comparison c;
  c.standing = w.upper < peer_rate ? peer_standing::below
               : w.lower > peer_rate ? peer_standing::above
                                     : peer_standing::equal;
  c.difference = *mine->rate() - peer_rate;
  if (peer_rate != 0.0) c.relative_difference = c.difference / peer_rate;
  return c;
}

/**
 * One shop's ratings: DSR over the last 180 local days, after-sales
 * satisfaction and the dispute refund rate over the last 30 (configurable).
 *
 *     csmetrics::shop_ratings<> shop;                       // UTC+8, 180/30/30 days
 *     shop.dsr(csmetrics::dsr_dimension::item, 5, t, buyer);
 *     shop.review(4, t);
 *     shop.payment(t);  shop.dispute(t);
 *     auto r = shop.report(csmetrics::local_day(now));
 *     if (r.dsr_of(csmetrics::dsr_dimension::item))
 *       r.dsr_of(csmetrics::dsr_dimension::item)->display();   // "4.85"
 *     r.after_sales->wilson();                                  // when there were ratings
 *
 * Merge: window by window, day by day (exact), plus the monthly-rule groups:
 * the first `monthly_cap` scores of a buyer-month of the union, by time,
 * count; scores a merge pushes out are taken back from their day and counted
 * as monthly_cap rejections. So merging the states of any split of a stream
 * equals the state of the whole stream, provided no event arrives later than
 * the kept days (rejection reasons of such events can differ between the two).
 *
 * Complexity: every adder O(1) amortized (O(log g) for DSR scores under the
 * monthly rule, g = buyer-months kept); report() O(N) merges at worst, O(1)
 * for the newest day; dsr_series() O(days + N). Memory: a bucket of 15 counts
 * per DSR day, 5 per after-sales day and 2 per order day, plus up to
 * `monthly_cap` timestamps per buyer-month-dimension still in the DSR days.
 *
 * Thread-safety: none inside; one writer. Reading methods update the
 * windows' caches although const: give each reading thread its own copy.
 */
template <class Buyer = std::uint64_t>
class shop_ratings {
 public:
  using buyer_type = Buyer;
  /// Format version of serialize().
  static constexpr std::uint8_t format_version = 1;

  /// Throws std::invalid_argument on a bad configuration.
  explicit shop_ratings(ratings_config config = {})
      : config_(checked(config)),
        dsr_(config.dsr_days, config.offset, detail::dsr_day{}, config.history_days),
        reviews_(config.after_sales_days, config.offset, detail::review_day{}, config.history_days),
        orders_(config.dispute_days, config.offset, detail::order_day{}, config.history_days) {}

  // --- adding ---------------------------------------------------------------

  /// A DSR score from an unnamed buyer (the monthly rule cannot apply).
  void dsr(dsr_dimension dimension, int score, timestamp t) { add_dsr(dimension, score, t, nullptr); }
  /// A DSR score from `buyer`, subject to the monthly rule when it is on.
  void dsr(dsr_dimension dimension, int score, timestamp t, const Buyer& buyer) {
    add_dsr(dimension, score, t, &buyer);
  }
  /// An after-sales rating 1..5 (4 and 5 count as satisfied).
  void review(int score, timestamp t) {
    if (score < 1 || score > 5) {
      bad_score_ = detail::checked_add(bad_score_, std::uint64_t{1});
      return;
    }
    reviews_.add(t, score);
  }
  /// A paid transaction (from the order stream).
  void payment(timestamp t) {
    if (detail::order_day* b = orders_.at(t)) b->add_payment();
  }
  /// A dispute refund (纠纷退款).
  void dispute(timestamp t) {
    if (detail::order_day* b = orders_.at(t)) b->add_dispute();
  }

  // --- reading --------------------------------------------------------------

  /// One DSR dimension over days d-dsr_days+1 .. d; empty when no score.
  /// REQUIRES: d >= newest day - history_days (else std::out_of_range).
  std::optional<score_summary> dsr_as_of(dsr_dimension dimension, day_number d) const {
    const detail::dsr_day w = dsr_.as_of(d);
    return summary(w.dimension(index(dimension)));
  }
  /// After-sales satisfaction over days d-after_sales_days+1 .. d; empty when no rating.
  std::optional<rate_counter> after_sales_as_of(day_number d) const {
    const detail::review_day w = reviews_.as_of(d);
    if (w.empty()) return std::nullopt;
    return rate_counter(w.stars().high(), w.stars().count());
  }
  /// Dispute refunds and payments over days d-dispute_days+1 .. d.
  dispute_counts disputes_as_of(day_number d) const {
    const detail::order_day w = orders_.as_of(d);
    return dispute_counts{w.disputes(), w.payments()};
  }

  /// Everything as of local day d. REQUIRES: d >= newest day - history_days
  /// (std::out_of_range otherwise); days after the newest are fine (empty days).
  ratings_report report(day_number d) const {
    ratings_report r;
    r.as_of = d;
    const detail::dsr_day w = dsr_.as_of(d);
    for (std::size_t k = 0; k < 3; ++k) r.dsr[k] = summary(w.dimension(k));
    const detail::review_day rv = reviews_.as_of(d);
    r.reviews = summary(rv.stars());
    if (r.reviews) r.after_sales = r.reviews->high_share();
    r.disputes = disputes_as_of(d);
    r.dispute_refund = r.disputes.rate();
    r.rejected = rejected();
    return r;
  }

  /// The oldest `first` dsr_series() accepts: the newest DSR day -
  /// history_days (day_window<>::no_day before any DSR day: then any).
  day_number oldest_series_day() const { return dsr_.oldest_as_of_day(); }

  /// DSR as of every day in [first, last], in one pass (one merge and one
  /// subtract per day). REQUIRES: first <= last, first >= newest day -
  /// history_days (std::out_of_range otherwise).
  std::vector<dsr_point> dsr_series(day_number first, day_number last) const {
    std::vector<dsr_point> out;
    if (last >= first) out.reserve(static_cast<std::size_t>(std::int64_t{last} - first + 1));
    dsr_.trailing(first, last, [&](day_number d, const detail::dsr_day& w) {
      dsr_point p;
      p.day = d;
      for (std::size_t k = 0; k < 3; ++k) p.dsr[k] = summary(w.dimension(k));
      out.push_back(std::move(p));
    });
    return out;
  }

  /// Every metric as of every day in [first, last]: three one-pass series.
  /// REQUIRES: as dsr_series().
  std::vector<ratings_report> report_series(day_number first, day_number last) const {
    std::vector<ratings_report> out;
    const rating_rejections rej = rejected();
    dsr_.trailing(first, last, [&](day_number d, const detail::dsr_day& w) {
      ratings_report r;
      r.as_of = d;
      for (std::size_t k = 0; k < 3; ++k) r.dsr[k] = summary(w.dimension(k));
      r.rejected = rej;
      out.push_back(std::move(r));
    });
    std::size_t i = 0;
    reviews_.trailing(first, last, [&](day_number, const detail::review_day& w) {
      ratings_report& r = out[i++];
      r.reviews = summary(w.stars());
      if (r.reviews) r.after_sales = r.reviews->high_share();
    });
    i = 0;
    orders_.trailing(first, last, [&](day_number, const detail::order_day& w) {
      ratings_report& r = out[i++];
      r.disputes = dispute_counts{w.disputes(), w.payments()};
      r.dispute_refund = r.disputes.rate();
    });
    return out;
  }

  /// Rejections so far, by reason.
  rating_rejections rejected() const {
    rating_rejections r;
    r.too_old = detail::checked_add(detail::checked_add(dsr_.rejected_too_old(), reviews_.rejected_too_old()),
                                    orders_.rejected_too_old());
    r.bad_score = bad_score_;
    r.monthly_cap = capped_;
    return r;
  }

  /// The newest local day any event reached; empty before the first event.
  std::optional<day_number> newest_day() const {
    std::optional<day_number> n;
    auto see = [&](bool empty, day_number d) {
      if (!empty && (!n || d > *n)) n = d;
    };
    see(dsr_.empty(), dsr_.newest_day());
    see(reviews_.empty(), reviews_.newest_day());
    see(orders_.empty(), orders_.newest_day());
    return n;
  }

  const ratings_config& config() const { return config_; }
  /// Buyer-month-dimension groups the monthly rule currently tracks.
  std::size_t monthly_groups() const { return months_.size(); }

  // --- the common verbs -----------------------------------------------------

  /// The state of both streams. REQUIRES: the same configuration
  /// (std::invalid_argument otherwise).
  void merge(const shop_ratings& other) {
    if (other.config_ != config_)
      CSMETRICS_THROW(std::invalid_argument("shop_ratings::merge: configurations differ"));
    if (&other == this) {
      const shop_ratings copy = other;
      merge(copy);
      return;
    }
    shop_ratings r = *this;  // all or nothing on overflow
    r.dsr_.merge(other.dsr_);
    r.reviews_.merge(other.reviews_);
    r.orders_.merge(other.orders_);
    r.bad_score_ = detail::checked_add(r.bad_score_, other.bad_score_);
    r.capped_ = detail::checked_add(r.capped_, other.capped_);
    for (const auto& [key, entries] : other.months_) {
      auto it = r.months_.find(key);
      if (it == r.months_.end()) {
        r.months_.emplace(key, entries);
        continue;
      }
      std::vector<entry> all = it->second;
      all.insert(all.end(), entries.begin(), entries.end());
      std::sort(all.begin(), all.end());
      const std::size_t cap = static_cast<std::size_t>(config_.monthly_cap);
      for (std::size_t i = cap; i < all.size(); ++i) r.take_back(key.dimension, all[i]);
      if (all.size() > cap) all.resize(cap);
      it->second = std::move(all);
    }
    r.prune();
    *this = std::move(r);
  }

  /// Back to the freshly constructed state (same configuration).
  void reset() { *this = shop_ratings(config_); }

  // Serialized form (type id 84, format version 1, flags 0), after the header:
  //   varint dsr_days | varint after_sales_days | varint dispute_days |
  //   varint history_days | svarint utc offset minutes | varint monthly_cap
  //   day_window<dsr_day> | day_window<review_day> | day_window<order_day>   (full forms)
  //   varint bad_score rejections | varint monthly_cap rejections
  //   varint g, the monthly-rule groups, ascending (month, dimension, buyer); each:
  //     svarint month (months since 1970-01) | u8 dimension | buyer (key_serde) |
  //     varint k in [1, monthly_cap] | k x (svarint microseconds since epoch | u8 score)
  std::vector<std::uint8_t> serialize() const { return detail::serialize(*this); }
  /// Throws csmetrics::deserialize_error on truncated, corrupt or foreign bytes.
  static shop_ratings deserialize(const void* data, std::size_t size) {
    return detail::deserialize<shop_ratings>(data, size);
  }
  void serialize_to(detail::writer& w) const {
    w.header(detail::type_id_shop_ratings, format_version);
    write_config(w, config_);
    dsr_.serialize_to(w);
    reviews_.serialize_to(w);
    orders_.serialize_to(w);
    w.varint(bad_score_);
    w.varint(capped_);
    w.varint(months_.size());
    for (const auto& [key, entries] : months_) {
      w.svarint(key.month);
      w.u8(key.dimension);
      detail::key_serde<Buyer>::write(w, key.buyer);
      w.varint(entries.size());
      for (const entry& e : entries) {
        w.svarint(e.micros);
        w.u8(static_cast<std::uint8_t>(e.score));
      }
    }
  }
  static shop_ratings deserialize_from(detail::reader& r) {
    std::uint8_t flags = 0;
    r.header(detail::type_id_shop_ratings, "shop_ratings", format_version, &flags);
    r.check(flags == 0, "shop_ratings flags must be 0");
    const ratings_config config = read_config(r);
    shop_ratings out(config);
    out.dsr_ = day_window<detail::dsr_day>::deserialize_from(r);
    out.reviews_ = day_window<detail::review_day>::deserialize_from(r);
    out.orders_ = day_window<detail::order_day>::deserialize_from(r);
    auto same = [&](const auto& w, int days) {
      return w.window_days() == days && w.history_days() == config.history_days && w.offset() == config.offset &&
             w.prototype().empty();
    };
    r.check(same(out.dsr_, config.dsr_days), "DSR window matches the configuration");
    r.check(same(out.reviews_, config.after_sales_days), "after-sales window matches the configuration");
    r.check(same(out.orders_, config.dispute_days), "dispute window matches the configuration");
    out.bad_score_ = r.varint();
    out.capped_ = r.varint();
    const std::size_t g = r.count(4, "monthly-rule groups");
    r.check(g == 0 || (config.monthly_cap > 0 && !out.dsr_.empty()), "monthly-rule groups only with the rule on");
    std::map<std::tuple<day_number, std::size_t, int>, std::uint64_t> kept;  // (day, dimension, score) -> entries
    for (std::size_t i = 0; i < g; ++i) {
      group_key key;
      const std::int64_t month = r.svarint();
      r.check(month >= -1'000'000 && month <= 1'000'000, "month in range");
      key.month = static_cast<std::int32_t>(month);
      key.dimension = r.u8();
      r.check(key.dimension < 3, "dimension in 0..2");
      key.buyer = detail::key_serde<Buyer>::read(r);
      r.check(out.months_.empty() || std::prev(out.months_.end())->first < key, "groups strictly ascending");
      r.check(month_last_day(key.month) >= out.dsr_.oldest_kept_day(), "group's month still in the kept days");
      const std::size_t k = r.count(2, "monthly-rule entries");
      r.check(k >= 1 && k <= static_cast<std::size_t>(config.monthly_cap), "entries per group in [1, monthly_cap]");
      std::vector<entry> entries(k);
      for (entry& e : entries) {
        e.micros = r.svarint();
        r.check(e.micros >= -max_micros && e.micros <= max_micros, "timestamp in range");
        e.score = r.u8();
        r.check(e.score >= 1 && e.score <= 5, "score in 1..5");
        const day_number d = out.day_of(e);
        r.check(month_of(d) == key.month, "entry in its group's month");
        r.check(d <= out.dsr_.newest_day(), "entry not after the newest day");
        if (d >= out.dsr_.oldest_kept_day()) ++kept[std::make_tuple(d, std::size_t{key.dimension}, e.score)];
      }
      r.check(std::is_sorted(entries.begin(), entries.end()), "entries in time order");
      out.months_.emplace_hint(out.months_.end(), std::move(key), std::move(entries));
    }
    for (const auto& [what, n] : kept) {
      const detail::dsr_day* b = out.dsr_.day(std::get<0>(what));
      r.check(b != nullptr && b->dimension(std::get<1>(what)).n[static_cast<std::size_t>(std::get<2>(what) - 1)] >= n,
              "monthly-rule entries are counted in their day");
    }
    return out;
  }

  /// Same configuration, windows, rejections and monthly-rule groups.
  friend bool operator==(const shop_ratings& a, const shop_ratings& b) {
    return a.config_ == b.config_ && a.bad_score_ == b.bad_score_ && a.capped_ == b.capped_ && a.dsr_ == b.dsr_ &&
           a.reviews_ == b.reviews_ && a.orders_ == b.orders_ && a.months_ == b.months_;
  }
  friend bool operator!=(const shop_ratings& a, const shop_ratings& b) { return !(a == b); }

  /// Writes / reads a configuration (shared with the multi-shop `ratings`).
  static void write_config(detail::writer& w, const ratings_config& c) {
    w.varint(static_cast<std::uint64_t>(c.dsr_days));
    w.varint(static_cast<std::uint64_t>(c.after_sales_days));
    w.varint(static_cast<std::uint64_t>(c.dispute_days));
    w.varint(static_cast<std::uint64_t>(c.history_days));
    w.svarint(c.offset.minutes().count());
    w.varint(static_cast<std::uint64_t>(c.monthly_cap));
  }
  static ratings_config read_config(detail::reader& r) {
    ratings_config c;
    auto days = [&](int lo, int hi, const char* what) {
      const std::uint64_t v = r.varint();
      r.check(v >= static_cast<std::uint64_t>(lo) && v <= static_cast<std::uint64_t>(hi), what);
      return static_cast<int>(v);
    };
    c.dsr_days = days(1, 3650, "dsr_days in [1, 3650]");
    c.after_sales_days = days(1, 3650, "after_sales_days in [1, 3650]");
    c.dispute_days = days(1, 3650, "dispute_days in [1, 3650]");
    c.history_days = days(0, 3650, "history_days in [0, 3650]");
    const std::int64_t minutes = r.svarint();
    r.check(minutes >= -18 * 60 && minutes <= 18 * 60, "utc offset in [-18:00, +18:00]");
    c.offset = utc_offset(std::chrono::minutes{minutes});
    c.monthly_cap = days(0, 100, "monthly_cap in [0, 100]");
    return c;
  }

 private:
  // A monthly-rule group: one buyer, one natural month, one dimension.
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

  static const ratings_config& checked(const ratings_config& c) {
    c.validate();
    return c;
  }
  static std::size_t index(dsr_dimension d) {
    const auto i = static_cast<std::size_t>(d);
    if (i >= 3)
      CSMETRICS_THROW(std::invalid_argument("dsr_dimension must be item, service or logistics: " + std::to_string(i)));
    return i;
  }
  static std::optional<score_summary> summary(const detail::star_counts& s) {
    if (s.empty()) return std::nullopt;
    return score_summary(s.n);
  }
  static std::int32_t month_of(day_number d) {
    const civil_date c = civil_from_days(d);
    return static_cast<std::int32_t>((c.year - 1970) * 12 + static_cast<int>(c.month) - 1);
  }
  static day_number month_last_day(std::int32_t month) {
    const std::int32_t y = 1970 + (month >= 0 ? month / 12 : -((-month + 11) / 12));
    const unsigned m = static_cast<unsigned>(month - (y - 1970) * 12 + 1);
    return static_cast<day_number>(days_from_civil(y, m, days_in_month(y, m)));
  }
  day_number day_of(const entry& e) const {
    return local_day(timestamp{duration{e.micros}}, config_.offset);
  }

  void add_dsr(dsr_dimension dimension, int score, timestamp t, const Buyer* buyer) {
    const std::size_t dim = index(dimension);
    if (score < 1 || score > 5) {
      bad_score_ = detail::checked_add(bad_score_, std::uint64_t{1});
      return;
    }
    const day_number d = local_day(t, config_.offset);
    const bool was_empty = dsr_.empty();
    const day_number newest = dsr_.newest_day();
    if (buyer && config_.monthly_cap > 0) {
      if (!was_empty && d < dsr_.oldest_kept_day()) {
        dsr_.at_day(d);  // too old: the window counts it
        return;
      }
      if (was_empty || d > newest) {
        dsr_.at_day(d);  // advance first: the rule's groups slide with the window
        prune();
      }
      if (!admit(group_key{month_of(d), static_cast<std::uint8_t>(dim), *buyer},
                 entry{t.time_since_epoch().count(), score}))
        return;
      dsr_.add_at_day(d, dim, score);
      return;
    }
    if (!dsr_.add_at_day(d, dim, score)) return;  // too old: counted by the window
    if (!was_empty && dsr_.newest_day() != newest && !months_.empty()) prune();
  }

  // The monthly rule: keeps the group's first monthly_cap entries by time.
  // False (one rejection) when the new entry is not among them; when it
  // pushes a later one out, that one is taken back from its day (one
  // rejection) and the new one counts.
  bool admit(const group_key& key, const entry& e) {
    CSMETRICS_ASSERT(e.micros >= -max_micros && e.micros <= max_micros, "timestamp in range");
    std::vector<entry>& g = months_[key];
    const auto at = std::upper_bound(g.begin(), g.end(), e);
    if (g.size() < static_cast<std::size_t>(config_.monthly_cap)) {
      g.insert(at, e);
      return true;
    }
    if (at == g.end()) {
      capped_ = detail::checked_add(capped_, std::uint64_t{1});
      return false;
    }
    const entry out = g.back();
    g.pop_back();
    g.insert(at, e);
    take_back(key.dimension, out);
    return true;
  }

  // Removes a counted entry from its day (when the day is still kept).
  void take_back(std::size_t dim, const entry& e) {
    capped_ = detail::checked_add(capped_, std::uint64_t{1});
    const day_number d = day_of(e);
    if (dsr_.empty() || d < dsr_.oldest_kept_day() || d > dsr_.newest_day()) return;
    if (detail::dsr_day* b = dsr_.at_day(d)) b->remove(dim, e.score);
  }

  // Drops groups whose whole month is older than the kept days.
  void prune() {
    const day_number oldest = dsr_.oldest_kept_day();
    auto it = months_.begin();
    while (it != months_.end() && month_last_day(it->first.month) < oldest) it = months_.erase(it);
  }

  ratings_config config_;
  day_window<detail::dsr_day> dsr_;
  day_window<detail::review_day> reviews_;
  day_window<detail::order_day> orders_;
  std::uint64_t bad_score_ = 0;
  std::uint64_t capped_ = 0;
  std::map<group_key, std::vector<entry>> months_;
};

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
    std::uint8_t flags = 0;
    r.header(detail::type_id::ratings, "ratings", format_version, &flags);
    r.check(flags == 0, "ratings flags must be 0");
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
