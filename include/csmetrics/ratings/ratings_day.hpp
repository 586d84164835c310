// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/ratings/ratings_day.hpp
//
// The per-local-day buckets the ratings family keeps in its day windows.
// A score distribution is kept as the five counts of 1..5 stars, from which
// the sum, the count, the 1-2 star share and the 4-5 star share all follow
// exactly (nothing derived is stored, so buckets add and subtract exactly):
//
//   dsr_day     three star distributions, one per DSR dimension  (type id 81)
//   review_day  the after-sales star distribution                (type id 82)
//   order_day   paid transactions and dispute refunds            (type id 83)
//
// Serialized form of each (format version 1, flags 0), after the common
// 6-byte header of core/serde.hpp; only ever inside its day_window, so the
// buckets have serialize_to / deserialize_from and no framed serialize():
//
//   dsr_day     3 x (5 x varint star count)   item, service, logistics; 1..5 stars
//   review_day  5 x varint star count
//   order_day   varint payments | varint disputes
#ifndef CSMETRICS_RATINGS_RATINGS_DAY_HPP_
#define CSMETRICS_RATINGS_RATINGS_DAY_HPP_

#include <array>      // std::array
#include <cstddef>    // std::size_t
#include <cstdint>    // std::uint64_t, std::uint8_t
#include <stdexcept>  // std::overflow_error

#include "csmetrics/core/checked.hpp"
#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/error.hpp"

namespace csmetrics {
namespace detail {

/// Type ids of the ratings family's buckets (the family's range is 80..95;
/// serde.hpp reserves 80 for `ratings` itself).
inline constexpr type_id type_id_dsr_day = static_cast<type_id>(81);
inline constexpr type_id type_id_review_day = static_cast<type_id>(82);
inline constexpr type_id type_id_order_day = static_cast<type_id>(83);
inline constexpr type_id type_id_shop_ratings = static_cast<type_id>(84);

/// Counts of 1..5 star scores. REQUIRES on every score: 1 <= score <= 5
/// (callers reject other scores before they get here).
struct star_counts {
  std::array<std::uint64_t, 5> n{};  // n[k - 1] = number of k-star scores

  void add(int score) {
    CSMETRICS_ASSERT(score >= 1 && score <= 5, "score in 1..5");
    n[static_cast<std::size_t>(score - 1)] = checked_add(n[static_cast<std::size_t>(score - 1)], std::uint64_t{1});
  }
  /// Takes back one score added before. REQUIRES: such a score is counted.
  void remove(int score) {
    CSMETRICS_ASSERT(score >= 1 && score <= 5 && n[static_cast<std::size_t>(score - 1)] > 0,
                     "removing a counted score");
    --n[static_cast<std::size_t>(score - 1)];
  }
  void merge(const star_counts& o) {
    star_counts r = *this;  // all or nothing on overflow
    for (std::size_t k = 0; k < 5; ++k) r.n[k] = checked_add(r.n[k], o.n[k]);
    *this = r;
  }
  /// Takes back a distribution added before (sliding sums). REQUIRES: o <= *this per star.
  void subtract(const star_counts& o) {
    for (std::size_t k = 0; k < 5; ++k) {
      CSMETRICS_ASSERT(n[k] >= o.n[k], "subtracting counted scores");
      n[k] -= o.n[k];
    }
  }
  std::uint64_t count() const {
    std::uint64_t c = 0;
    for (std::uint64_t x : n) c = checked_add(c, x);
    return c;
  }
  /// Sum of the scores; throws std::overflow_error past 2^64 - 1.
  std::uint64_t sum() const {
    std::uint64_t s = 0;
    for (std::size_t k = 0; k < 5; ++k) {
      std::uint64_t part;
      if (__builtin_mul_overflow(n[k], static_cast<std::uint64_t>(k + 1), &part))
        CSMETRICS_THROW(std::overflow_error("csmetrics: 64-bit score sum overflow"));
      s = checked_add(s, part);
    }
    return s;
  }
  /// 1- and 2-star scores.
  std::uint64_t low() const { return checked_add(n[0], n[1]); }
  /// 4- and 5-star scores.
  std::uint64_t high() const { return checked_add(n[3], n[4]); }
  bool empty() const { return n[0] == 0 && n[1] == 0 && n[2] == 0 && n[3] == 0 && n[4] == 0; }

  void write(writer& w) const {
    for (std::uint64_t x : n) w.varint(x);
  }
  static star_counts read(reader& r) {
    star_counts s;
    for (std::uint64_t& x : s.n) x = r.varint();
    return s;
  }
  friend bool operator==(const star_counts& a, const star_counts& b) { return a.n == b.n; }
  friend bool operator!=(const star_counts& a, const star_counts& b) { return !(a == b); }
};

/// One local day of DSR scores: a star distribution per dimension
/// (0 item as described, 1 service attitude, 2 logistics).
class dsr_day {
 public:
  static constexpr std::uint8_t format_version = 1;

  void add(std::size_t dimension, int score) { dims_[dimension].add(score); }
  void remove(std::size_t dimension, int score) { dims_[dimension].remove(score); }
  const star_counts& dimension(std::size_t d) const { return dims_[d]; }
  /// Scores of all three dimensions (how many events a dropped day held).
  std::uint64_t count() const {
    return checked_add(checked_add(dims_[0].count(), dims_[1].count()), dims_[2].count());
  }
  bool empty() const { return dims_[0].empty() && dims_[1].empty() && dims_[2].empty(); }

  void merge(const dsr_day& o) {
    dsr_day r = *this;
    for (std::size_t d = 0; d < 3; ++d) r.dims_[d].merge(o.dims_[d]);
    *this = r;
  }
  void subtract(const dsr_day& o) {
    for (std::size_t d = 0; d < 3; ++d) dims_[d].subtract(o.dims_[d]);
  }
  void reset() { *this = dsr_day{}; }

  void serialize_to(writer& w) const {
    w.header(type_id_dsr_day, format_version);
    for (const star_counts& s : dims_) s.write(w);
  }
  static dsr_day deserialize_from(reader& r) {
    r.header(type_id_dsr_day, "dsr_day", format_version);
    dsr_day out;
    for (star_counts& s : out.dims_) s = star_counts::read(r);
    return out;
  }
  friend bool operator==(const dsr_day& a, const dsr_day& b) { return a.dims_ == b.dims_; }
  friend bool operator!=(const dsr_day& a, const dsr_day& b) { return !(a == b); }

 private:
  std::array<star_counts, 3> dims_{};
};

/// One local day of after-sales ratings: the star distribution.
class review_day {
 public:
  static constexpr std::uint8_t format_version = 1;

  void add(int score) { stars_.add(score); }
  const star_counts& stars() const { return stars_; }
  std::uint64_t count() const { return stars_.count(); }
  bool empty() const { return stars_.empty(); }

  void merge(const review_day& o) { stars_.merge(o.stars_); }
  void subtract(const review_day& o) { stars_.subtract(o.stars_); }
  void reset() { *this = review_day{}; }

  void serialize_to(writer& w) const {
    w.header(type_id_review_day, format_version);
    stars_.write(w);
  }
  static review_day deserialize_from(reader& r) {
    r.header(type_id_review_day, "review_day", format_version);
    review_day out;
    out.stars_ = star_counts::read(r);
    return out;
  }
  friend bool operator==(const review_day& a, const review_day& b) { return a.stars_ == b.stars_; }
  friend bool operator!=(const review_day& a, const review_day& b) { return !(a == b); }

 private:
  star_counts stars_{};
};

/// One local day of the order stream's facts the ratings family needs: paid
/// transactions and dispute refunds. Disputes may exceed payments on a day
/// (a dispute refers to an order paid earlier), so no invariant ties them.
class order_day {
 public:
  static constexpr std::uint8_t format_version = 1;

  void add_payment() { payments_ = checked_add(payments_, std::uint64_t{1}); }
  void add_dispute() { disputes_ = checked_add(disputes_, std::uint64_t{1}); }
  std::uint64_t payments() const { return payments_; }
  std::uint64_t disputes() const { return disputes_; }
  /// Events of the day (how many a dropped day held).
  std::uint64_t count() const { return checked_add(payments_, disputes_); }
  bool empty() const { return payments_ == 0 && disputes_ == 0; }

  void merge(const order_day& o) {
    const std::uint64_t p = checked_add(payments_, o.payments_);
    disputes_ = checked_add(disputes_, o.disputes_);
    payments_ = p;
  }
  void subtract(const order_day& o) {
    CSMETRICS_ASSERT(payments_ >= o.payments_ && disputes_ >= o.disputes_, "subtracting counted events");
    payments_ -= o.payments_;
    disputes_ -= o.disputes_;
  }
  void reset() { *this = order_day{}; }

  void serialize_to(writer& w) const {
    w.header(type_id_order_day, format_version);
    w.varint(payments_);
    w.varint(disputes_);
  }
  static order_day deserialize_from(reader& r) {
    r.header(type_id_order_day, "order_day", format_version);
    order_day out;
    out.payments_ = r.varint();
    out.disputes_ = r.varint();
    return out;
  }
  friend bool operator==(const order_day& a, const order_day& b) {
    return a.payments_ == b.payments_ && a.disputes_ == b.disputes_;
  }
  friend bool operator!=(const order_day& a, const order_day& b) { return !(a == b); }

 private:
  std::uint64_t payments_ = 0;
  std::uint64_t disputes_ = 0;
};

}  // namespace detail
}  // namespace csmetrics

#endif  // CSMETRICS_RATINGS_RATINGS_DAY_HPP_
