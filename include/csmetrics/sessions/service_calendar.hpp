// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/sessions/service_calendar.hpp
//
// Service hours: when a shop's customer service is staffed, so that response
// times can be measured on service time as well as on wall time (issue 25).
// A question at 02:00 answered at 08:00:30 waited six hours of wall time but
// 30 s of service time when the service opens at 08:00.
//
//   service_hours     one shop's hours in its local day: weekly intervals
//                     (several a day, closing at 24:00 allowed), closed dates
//                     and special dates (a date with its own intervals).
//   service_calendar  the hours of every shop: per shop by name, and a
//                     default for the shops without their own.
//
// service_hours::between(from, to, offset) is the service time inside
// [from, to): one pass over a day's few intervals (a plan precomputed per
// weekday) when both ends fall on one local day, the usual wait; else also
// table lookups for the whole days between (weeks, a run of weekdays, the
// special dates' gains as prefix sums): O(log special dates) in all, however
// long the wait. A calendar is immutable once built and shared
// (std::shared_ptr<const service_calendar>) by the options that name it:
// copies of states share it, and it travels with them serialized.
//
// Building, text, the serialized form and the CSV reader are in
// service_calendar_impl.hpp, compiled once in src/csmetrics.cpp with
// CSMETRICS_SEPARATE_COMPILATION (core/compiled.hpp); the service-time
// lookups stay inline here.
#ifndef CSMETRICS_SESSIONS_SERVICE_CALENDAR_HPP_
#define CSMETRICS_SESSIONS_SERVICE_CALENDAR_HPP_

#include <algorithm>    // std::lower_bound, std::upper_bound, std::min, std::max
#include <array>        // std::array (weekly plans)
#include <cstdint>      // fixed-width integers
#include <functional>   // std::less<> (heterogeneous lookup)
#include <map>          // std::map (shops, dates)
#include <optional>     // std::optional (the default hours)
#include <string>       // std::string, std::to_string
#include <string_view>  // std::string_view
#include <type_traits>  // std::is_integral_v, std::void_t (id_text)
#include <utility>      // std::declval (id_text)
#include <vector>       // std::vector

#include "csmetrics/core/compiled.hpp"
#include "csmetrics/core/error.hpp"
#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/time.hpp"

namespace csmetrics {

/// One opening interval of a local day, [open, close) in minutes since local
/// midnight: 0 <= open_min < close_min <= 1440 (1440 = 24:00).
struct service_interval {
  std::int32_t open_min = 0;
  std::int32_t close_min = 0;
  friend bool operator==(const service_interval& a, const service_interval& b) {
    return a.open_min == b.open_min && a.close_min == b.close_min;
  }
  friend bool operator!=(const service_interval& a, const service_interval& b) { return !(a == b); }
};

namespace detail {
inline constexpr std::int64_t us_per_minute = 60'000'000;
inline constexpr std::int64_t us_per_day = 1440 * us_per_minute;
inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
/// 0 = Monday .. 6 = Sunday (day 0, 1970-01-01, was a Thursday).
inline int weekday_of(std::int64_t day) {
  const std::int64_t r = (day + 3) % 7;
  return static_cast<int>(r < 0 ? r + 7 : r);
}
/// "HH:MM" in [00:00, 24:00] -> minutes; -1 when malformed.
CSMETRICS_FUNC int parse_hh_mm(std::string_view s);
template <class T, class = void>
struct has_view : std::false_type {};
template <class T>
struct has_view<T, std::void_t<decltype(std::declval<const T&>().view())>> : std::true_type {};

/// The name a calendar knows a shop id by: text ids (std::string,
/// text_ref's view()) as they are, integers in decimal; others have none.
template <class Id>
std::string id_text(const Id& id) {
  if constexpr (std::is_convertible_v<const Id&, std::string_view>) {
    return std::string(std::string_view(id));
  } else if constexpr (std::is_integral_v<Id>) {
    return std::to_string(id);
  } else if constexpr (has_view<Id>::value) {
    return std::string(id.view());
  } else {
    return std::string();
  }
}
}  // namespace detail

/**
 * One shop's service hours in its local day. Weekdays without intervals and
 * closed dates have no service time; a special date's intervals replace its
 * weekday's. Immutable in use; build it with set_weekday / set_date.
 *
 *     csmetrics::service_hours h = csmetrics::service_hours::every_day({8 * 60, 24 * 60});
 *     h.set_date(*csmetrics::parse_day("2026-12-25"), {});   // closed
 *     h.between(t0, t1, csmetrics::utc_offset{});           // service time in [t0, t1)
 */
class service_hours {
 public:
  /// Intervals a day may hold.
  static constexpr std::size_t max_intervals = 8;

  /// Closed every day.
  service_hours() = default;
  /// The same intervals every day.
  static service_hours every_day(std::vector<service_interval> intervals);

  /// The intervals of a weekday (0 = Monday .. 6 = Sunday); empty: closed.
  /// Throws std::invalid_argument on an interval outside [00:00, 24:00], an
  /// empty one, overlapping ones or more than max_intervals.
  void set_weekday(int weekday, std::vector<service_interval> intervals);
  /// A special date with its own intervals (empty: a closed date).
  void set_date(day_number day, std::vector<service_interval> intervals);
  /// Forgets a special or closed date (its weekday's hours apply again).
  void clear_date(day_number day);

  const std::vector<service_interval>& weekday(int d) const { return weekly_[static_cast<std::size_t>(d)]; }
  const std::map<day_number, std::vector<service_interval>>& dates() const { return dates_; }
  /// Service time of a whole week without special dates.
  duration week_total() const { return duration{week_total_us_}; }

  /// Service time inside [from, to) for a shop whose local day is at
  /// `offset`; zero when to <= from.
  duration between(timestamp from, timestamp to, utc_offset offset) const {
    return duration{between_us(from.time_since_epoch().count(), to.time_since_epoch().count(),
                               static_cast<std::int64_t>(offset.minutes().count()) * detail::us_per_minute)};
  }
  /// The same on microseconds since the epoch (offset in microseconds).
  std::int64_t between_us(std::int64_t from_us, std::int64_t to_us, std::int64_t offset_us) const {
    if (to_us <= from_us) return 0;
    const std::int64_t la = from_us + offset_us;
    std::int64_t da = la / detail::us_per_day, ta = la - da * detail::us_per_day;
    if (ta < 0) {  // floor, for times before 1970
      --da;
      ta += detail::us_per_day;
    }
    const std::int64_t tb = to_us + offset_us - da * detail::us_per_day;  // `to` from da's midnight
    if (tb <= detail::us_per_day) return plan(da).span(ta, tb);  // one local day: the usual wait
    return across_days(da, ta, tb);
  }

  /// "daily 08:00-24:00", "mon-fri 09:00-12:00,13:00-18:00; 2026-12-25 closed".
  std::string describe() const;

  void write(detail::writer& w) const;
  /// Reads what write() wrote; invalid hours fail the reader.
  static service_hours read(detail::reader& r);

  friend bool operator==(const service_hours& a, const service_hours& b);
  friend bool operator!=(const service_hours& a, const service_hours& b) { return !(a == b); }

 private:
  /// A day's intervals (minutes, sorted) with their total in microseconds:
  /// 48 bytes, so a week of plans is 6 cache lines (a calendar of many shops
  /// is read from cache, not memory).
  struct day_plan {
    std::int64_t total = 0;
    std::uint32_t n = 0;
    std::array<std::int16_t, max_intervals> open{}, close{};
    /// Service time in [a, b), microseconds into the day (0 <= a < b <= a day):
    /// one pass over the intervals, stopping at the first that opens at b.
    std::int64_t span(std::int64_t a, std::int64_t b) const {
      std::int64_t s = 0;
      for (std::uint32_t i = 0; i < n; ++i) {
        const std::int64_t o = open[i] * detail::us_per_minute;
        if (b <= o) break;
        const std::int64_t lo = std::max(a, o), hi = std::min(b, close[i] * detail::us_per_minute);
        if (hi > lo) s += hi - lo;
      }
      return s;
    }
  };

  /// Sorts a day's intervals; throws std::invalid_argument on bad ones (see set_weekday).
  static void normalize(std::vector<service_interval>& v);
  /// normalize() on intervals read from bytes, which must already be sorted.
  static void normalize_checked(detail::reader& r, std::vector<service_interval>& v);
  static day_plan plan_of(const std::vector<service_interval>& v);
  /// Derives the plans and sums below from weekly_ and dates_.
  void rebuild();
  const day_plan& plan(std::int64_t day) const {
    if (day >= special_first_ && day <= special_last_) {  // (no dates: first > last)
      // the last date <= day (there is one: day >= first), searched inline
      const std::int64_t* d = special_days_.data();
      for (std::size_t n = special_days_.size(); n > 1;) {
        const std::size_t half = n / 2;
        if (d[half] <= day) d += half;
        n -= half;
      }
      if (*d == day) return special_plans_[static_cast<std::size_t>(d - special_days_.data())];
    }
    return weekly_plan_[static_cast<std::size_t>(detail::weekday_of(day))];
  }
  /// between_us past one local day: [ta, tb) from the midnight starting day
  /// da, tb > a day (apart from the one-day path, the usual wait).
  std::int64_t across_days(std::int64_t da, std::int64_t ta, std::int64_t tb) const {
    const std::int64_t k = tb / detail::us_per_day, rest = tb - k * detail::us_per_day;  // `to` is rest into day da + k
    std::int64_t s = plan(da).span(ta, detail::us_per_day);
    if (rest > 0) s += plan(da + k).span(0, rest);
    if (k > 1) s += whole_days(da + 1, da + k - 1);
    return s;
  }
  /// Service time of the whole local days first..last (first <= last): whole
  /// weeks, a run of weekdays and the special dates' gains, each a lookup.
  std::int64_t whole_days(std::int64_t first, std::int64_t last) const {
    const std::int64_t n = last - first + 1;
    const auto w = static_cast<std::size_t>(detail::weekday_of(first)), r = static_cast<std::size_t>(n % 7);
    std::int64_t s = (n / 7) * week_total_us_ + week_prefix_[w + r] - week_prefix_[w];
    if (first > special_last_ || last < special_first_) return s;
    const auto lo = std::lower_bound(special_days_.begin(), special_days_.end(), first) - special_days_.begin();
    const auto hi = std::upper_bound(special_days_.begin() + lo, special_days_.end(), last) - special_days_.begin();
    return s + special_gain_[static_cast<std::size_t>(hi)] - special_gain_[static_cast<std::size_t>(lo)];
  }

  // derived by rebuild(), read by between_us (first: the hot part)
  std::int64_t special_first_ = 1, special_last_ = 0;  // the dates' range, read without touching the vectors
  std::array<day_plan, 7> weekly_plan_{};
  std::int64_t week_total_us_ = 0;
  std::array<std::int64_t, 14> week_prefix_{};  // [k]: service of the k days from a Monday (two weeks: no wrap)
  std::vector<std::int64_t> special_days_;
  std::vector<day_plan> special_plans_;
  std::vector<std::int64_t> special_gain_;  // [i]: the first i dates' total minus their weekdays' (prefix sums)
  // the definition
  std::array<std::vector<service_interval>, 7> weekly_{};
  std::map<day_number, std::vector<service_interval>> dates_;
};

/**
 * The service hours of every shop: a shop's own hours, else the default
 * hours, else none (a shop without hours is always in service: its service
 * time equals wall time). Build it once, share it as
 * std::shared_ptr<const service_calendar> in session_options::calendar or
 * shop_metrics_options::calendar.
 *
 *     auto cal = std::make_shared<csmetrics::service_calendar>();
 *     cal->set_default(csmetrics::service_hours::every_day({{8 * 60, 24 * 60}}));
 *     // or: csmetrics::service_calendar::from_csv(text)
 */
class service_calendar {
 public:
  service_calendar() = default;
  /// Every shop open on the same intervals every day (shop_report --service-hours).
  static service_calendar every_day(std::vector<service_interval> intervals);
  /// Reads the CSV `shop,weekday_or_date,open,close` (see README, "Service
  /// hours"). Throws std::invalid_argument("line N: ...") on a bad row.
  static service_calendar from_csv(std::string_view text);

  /// The hours of the shops without their own.
  void set_default(service_hours h);
  void set_shop(std::string shop, service_hours h);

  /// The hours of `shop`: its own, else the default; nullptr: always in service.
  const service_hours* find(std::string_view shop) const {
    if (!shops_.empty()) {
      auto it = shops_.find(shop);
      if (it != shops_.end()) return &it->second;
    }
    return default_ ? &*default_ : nullptr;
  }
  const std::optional<service_hours>& default_hours() const { return default_; }
  const std::map<std::string, service_hours, std::less<>>& shops() const { return shops_; }
  bool empty() const { return !default_ && shops_.empty(); }

  /// The whole calendar as text when it is short (up to 240 characters:
  /// "*: daily 08:00-24:00"), else its size and digest: for error messages.
  std::string describe() const;
  /// FNV-1a 64 of the serialized calendar: equal calendars, equal digests.
  std::uint64_t digest() const;

  void write(detail::writer& w) const;
  static service_calendar read(detail::reader& r);

  friend bool operator==(const service_calendar& a, const service_calendar& b);
  friend bool operator!=(const service_calendar& a, const service_calendar& b) { return !(a == b); }

 private:
  std::optional<service_hours> default_;
  std::map<std::string, service_hours, std::less<>> shops_;
};

}  // namespace csmetrics

#if CSMETRICS_HEADER_ONLY  // else src/csmetrics.cpp compiles them
#include "csmetrics/sessions/service_calendar_impl.hpp"
#endif

#endif  // CSMETRICS_SESSIONS_SERVICE_CALENDAR_HPP_
