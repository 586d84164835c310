// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/ratings/shop_ratings.hpp
//
// csmetrics::shop_ratings: one shop's ratings accumulator. It owns the three
// day windows - DSR scores over dsr_days (180), after-sales ratings over
// after_sales_days (30), payments and dispute refunds over dispute_days (30) -
// and the monthly rule (monthly_rule.hpp) that decides which named buyers'
// DSR scores count; it makes reports and series of them, merges and
// serializes. The multi-shop csmetrics::ratings (ratings.hpp) keeps one per shop.
#ifndef CSMETRICS_RATINGS_SHOP_RATINGS_HPP_
#define CSMETRICS_RATINGS_SHOP_RATINGS_HPP_

#include <array>      // std::array
#include <cstddef>    // std::size_t
#include <cstdint>    // std::uint64_t, std::int64_t, std::uint8_t
#include <optional>   // std::optional
#include <stdexcept>  // std::invalid_argument
#include <string>     // std::to_string
#include <utility>    // std::move
#include <vector>     // std::vector

#include "csmetrics/core/checked.hpp"
#include "csmetrics/core/day_window.hpp"
#include "csmetrics/core/error.hpp"
#include "csmetrics/core/rate.hpp"
#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/time.hpp"
#include "csmetrics/ratings/dsr_dimension.hpp"
#include "csmetrics/ratings/monthly_rule.hpp"
#include "csmetrics/ratings/ratings_config.hpp"
#include "csmetrics/ratings/ratings_day.hpp"
#include "csmetrics/ratings/ratings_report.hpp"
#include "csmetrics/ratings/score_summary.hpp"

namespace csmetrics {

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
        orders_(config.dispute_days, config.offset, detail::order_day{}, config.history_days),
        months_(config.monthly_cap, config.offset) {}

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
  dispute_counts disputes_as_of(day_number d) const { return counts(orders_.as_of(d)); }

  /// Everything as of local day d. REQUIRES: d >= newest day - history_days
  /// (std::out_of_range otherwise); days after the newest are fine (empty days).
  ratings_report report(day_number d) const {
    ratings_report r;
    r.as_of = d;
    r.dsr = summaries(dsr_.as_of(d));
    put_reviews(r, reviews_.as_of(d));
    put_disputes(r, orders_.as_of(d));
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
      p.dsr = summaries(w);
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
      r.dsr = summaries(w);
      r.rejected = rej;
      out.push_back(std::move(r));
    });
    std::size_t i = 0;
    reviews_.trailing(first, last, [&](day_number, const detail::review_day& w) { put_reviews(out[i++], w); });
    i = 0;
    orders_.trailing(first, last, [&](day_number, const detail::order_day& w) { put_disputes(out[i++], w); });
    return out;
  }

  /// Rejections so far, by reason.
  rating_rejections rejected() const {
    rating_rejections r;
    r.too_old = detail::checked_add(detail::checked_add(dsr_.rejected_too_old(), reviews_.rejected_too_old()),
                                    orders_.rejected_too_old());
    r.bad_score = bad_score_;
    r.monthly_cap = months_.rejected();
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
    r.months_.merge(other.months_, r.dsr_);  // after the DSR days: takes pushed-out scores back from them
    *this = std::move(r);
  }

  /// Back to the freshly constructed state (same configuration).
  void reset() { *this = shop_ratings(config_); }

  // Serialized form (type id 84, format version 1, flags 0), after the header:
  //   varint dsr_days | varint after_sales_days | varint dispute_days |
  //   varint history_days | svarint utc offset minutes | varint monthly_cap   (ratings_config.hpp)
  //   day_window<dsr_day> | day_window<review_day> | day_window<order_day>   (full forms)
  //   varint bad_score rejections | varint monthly_cap rejections
  //   varint g, the monthly-rule groups, ascending (month, dimension, buyer); each:   (monthly_rule.hpp)
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
    months_.serialize_to(w);
  }
  static shop_ratings deserialize_from(detail::reader& r) {
    r.header(detail::type_id_shop_ratings, "shop_ratings", format_version);
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
    out.months_ = detail::monthly_rule<Buyer>::deserialize_from(r, config.monthly_cap, config.offset, out.dsr_);
    return out;
  }

  /// Same configuration, windows, rejections and monthly-rule groups.
  friend bool operator==(const shop_ratings& a, const shop_ratings& b) {
    return a.config_ == b.config_ && a.bad_score_ == b.bad_score_ && a.dsr_ == b.dsr_ && a.reviews_ == b.reviews_ &&
           a.orders_ == b.orders_ && a.months_ == b.months_;
  }
  friend bool operator!=(const shop_ratings& a, const shop_ratings& b) { return !(a == b); }

  /// Writes / reads a configuration (shared with the multi-shop `ratings`).
  static void write_config(detail::writer& w, const ratings_config& c) { detail::write_ratings_config(w, c); }
  static ratings_config read_config(detail::reader& r) { return detail::read_ratings_config(r); }

 private:
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
  // The three DSR dimensions of a window, as a report holds them.
  static std::array<std::optional<score_summary>, 3> summaries(const detail::dsr_day& w) {
    std::array<std::optional<score_summary>, 3> s;
    for (std::size_t k = 0; k < 3; ++k) s[k] = summary(w.dimension(k));
    return s;
  }
  static dispute_counts counts(const detail::order_day& w) { return dispute_counts{w.disputes(), w.payments()}; }
  // The after-sales part of a report, from its window.
  static void put_reviews(ratings_report& r, const detail::review_day& w) {
    r.reviews = summary(w.stars());
    if (r.reviews) r.after_sales = r.reviews->high_share();
  }
  // The dispute part of a report, from its window.
  static void put_disputes(ratings_report& r, const detail::order_day& w) {
    r.disputes = counts(w);
    r.dispute_refund = r.disputes.rate();
  }

  void add_dsr(dsr_dimension dimension, int score, timestamp t, const Buyer* buyer) {
    const std::size_t dim = index(dimension);
    if (score < 1 || score > 5) {
      bad_score_ = detail::checked_add(bad_score_, std::uint64_t{1});
      return;
    }
    const day_number d = local_day(t, config_.offset);
    if (buyer && config_.monthly_cap > 0) return months_.add(dsr_, dim, score, t, d, *buyer);
    const bool was_empty = dsr_.empty();
    const day_number newest = dsr_.newest_day();
    if (!dsr_.add_at_day(d, dim, score)) return;  // too old: counted by the window
    if (!was_empty && dsr_.newest_day() != newest && !months_.empty()) months_.prune(dsr_.oldest_kept_day());
  }

  ratings_config config_;
  day_window<detail::dsr_day> dsr_;
  day_window<detail::review_day> reviews_;
  day_window<detail::order_day> orders_;
  std::uint64_t bad_score_ = 0;
  detail::monthly_rule<Buyer> months_;  // its groups and the monthly_cap rejections
};

}  // namespace csmetrics

#endif  // CSMETRICS_RATINGS_SHOP_RATINGS_HPP_
