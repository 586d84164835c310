// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/ratings/ratings_config.hpp
//
// csmetrics::ratings_config: the window lengths, day boundary and monthly
// rule of a ratings accumulator, with its validation and its serialized form
// (shared by shop_ratings and the multi-shop ratings, so it lives here once):
//
//   varint dsr_days | varint after_sales_days | varint dispute_days |
//   varint history_days | svarint utc offset minutes | varint monthly_cap
#ifndef CSMETRICS_RATINGS_RATINGS_CONFIG_HPP_
#define CSMETRICS_RATINGS_RATINGS_CONFIG_HPP_

#include <chrono>     // std::chrono::minutes
#include <cstdint>    // std::uint64_t, std::int64_t
#include <stdexcept>  // std::invalid_argument
#include <string>     // std::string, std::to_string

#include "csmetrics/core/error.hpp"
#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/time.hpp"

namespace csmetrics {

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

namespace detail {

/// Writes a configuration (the form in the file comment).
inline void write_ratings_config(writer& w, const ratings_config& c) {
  w.varint(static_cast<std::uint64_t>(c.dsr_days));
  w.varint(static_cast<std::uint64_t>(c.after_sales_days));
  w.varint(static_cast<std::uint64_t>(c.dispute_days));
  w.varint(static_cast<std::uint64_t>(c.history_days));
  w.svarint(c.offset.minutes().count());
  w.varint(static_cast<std::uint64_t>(c.monthly_cap));
}

/// Reads a configuration, checking every field against its limits.
inline ratings_config read_ratings_config(reader& r) {
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

}  // namespace detail
}  // namespace csmetrics

#endif  // CSMETRICS_RATINGS_RATINGS_CONFIG_HPP_
