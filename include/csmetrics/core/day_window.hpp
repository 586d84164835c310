// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/core/day_window.hpp
//
// A sliding window over a shop's local days: a ring of per-day buckets, each
// bucket any mergeable accumulator (rate_counter, quantile_sketch, a family's
// own state ...), covering the last N days ("DSR over the last 180 days",
// "after-sales satisfaction over the last 30 days"). The day boundary is the
// shop's UTC offset (default UTC+8). Events for any kept day are accepted in
// any order; events older than the ring are rejected and counted, never mixed
// in. `as_of(D)` combines exactly the days D-N+1 .. D.
//
// When the accumulator can `subtract(const Acc&)` the window keeps its
// running total, so the current window is O(1) to read and rolling it forward
// by a day costs one merge and one subtract; otherwise the total is re-merged
// from the N buckets (and cached until the next change).
#ifndef CSMETRICS_CORE_DAY_WINDOW_HPP_
#define CSMETRICS_CORE_DAY_WINDOW_HPP_

#include <algorithm>    // std::min, std::max
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint8_t, std::uint64_t, std::int64_t
#include <limits>       // std::numeric_limits
#include <stdexcept>    // std::invalid_argument, std::out_of_range
#include <string>       // std::to_string
#include <type_traits>  // std::void_t, std::is_integral_v
#include <utility>      // std::declval, std::move
#include <vector>       // std::vector

#include "csmetrics/core/checked.hpp"
#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/error.hpp"
#include "csmetrics/core/time.hpp"

namespace csmetrics {
namespace detail {

/// True when `Acc` has `subtract(const Acc&)`: a window can then roll its
/// running total forward instead of re-merging every bucket.
template <class Acc, class = void>
struct has_subtract : std::false_type {};
template <class Acc>
struct has_subtract<Acc, std::void_t<decltype(std::declval<Acc&>().subtract(std::declval<const Acc&>()))>>
    : std::true_type {};
template <class Acc>
inline constexpr bool has_subtract_v = has_subtract<Acc>::value;

}  // namespace detail

/**
 * The last N local days of a shop, one mergeable accumulator per day.
 *
 *     // after-sales satisfaction: 4-5 star ratings / all ratings, last 30 days
 *     csmetrics::day_window<csmetrics::rate_counter> sat{30};   // UTC+8 days
 *     if (auto* day = sat.at(rating_time)) day->add(stars >= 4);
 *     sat.add(rating_time, stars >= 4);         // the same, and O(1) current()
 *     sat.current().rate();                      // as of the newest day
 *     sat.as_of(*csmetrics::parse_day("2019-09-07")).rate();
 *     sat.rejected_too_old();                    // events older than the ring
 *
 * The ring keeps window_days + history_days days ending at the newest day
 * seen; a newer day advances it (the days that fall off are dropped as the
 * window slides: not an error). An event older than the oldest kept day is
 * rejected and counted. `history_days` keeps extra days so that as_of() an
 * earlier day and trailing() series work.
 *
 * Merge: day by day, the ring aligned on the newer of the two newest days.
 * Days of either window older than the merged ring keeps are dropped as if
 * the window had slid past them, not counted: in the one time-ordered stream
 * two shards come from, those days slid out the same way, so the merge of
 * the shards is the state of the whole stream, byte for byte (counting them
 * made a (shop, buyer)-sharded state differ from one thread's). rejected_too_old()
 * sums the two windows' own rejections. Both windows need
 * the same window_days and offset (std::invalid_argument otherwise); the
 * result keeps this window's history_days.
 *
 * Complexity: at()/add() O(1) (O(days advanced) when the window moves);
 * current() O(1) for an unchanged window, else one merge per touched day when
 * Acc has subtract, else N merges; as_of() N merges; trailing() one merge and
 * one subtract per day (N merges per day without subtract). Memory: one Acc
 * per kept day.
 *
 * Thread-safety: none inside; one writer. current() and as_of() update a
 * cache although const: give each reading thread its own copy.
 */
template <class Acc>
class day_window {
 public:
  using accumulator_type = Acc;
  /// Format version of serialize().
  static constexpr std::uint8_t format_version = 1;
  static constexpr int max_window_days = 3650;
  static constexpr int max_history_days = 3650;
  /// True when the running total is rolled with Acc::subtract.
  static constexpr bool rolls_incrementally = detail::has_subtract_v<Acc>;

  /// A window of `window_days` local days in [1, 3650], days starting at
  /// 00:00 at `offset`, each bucket starting as a copy of `prototype` (an
  /// empty accumulator carrying only configuration, such as a sketch's
  /// accuracy), plus `history_days` in [0, 3650] older days kept for as_of()
  /// and trailing().
  explicit day_window(int window_days, utc_offset offset = {}, Acc prototype = Acc{}, int history_days = 0)
      : window_(window_days), history_(history_days), offset_(offset), prototype_(std::move(prototype)) {
    if (window_days < 1 || window_days > max_window_days)
      CSMETRICS_THROW(std::invalid_argument("day_window: window_days must be in [1, 3650]: " +
                                            std::to_string(window_days)));
    if (history_days < 0 || history_days > max_history_days)
      CSMETRICS_THROW(std::invalid_argument("day_window: history_days must be in [0, 3650]: " +
                                            std::to_string(history_days)));
    cap_ = static_cast<std::size_t>(window_) + static_cast<std::size_t>(history_);
    total_ = prototype_;
  }

  // --- adding ---------------------------------------------------------------

  /// The bucket of the local day of `t`; nullptr (rejected and counted) when
  /// that day is older than the ring keeps. A newer day advances the window.
  /// The pointer stays valid until the next non-const call.
  Acc* at(timestamp t) { return at_day(local_day(t, offset_)); }

  /// The bucket of local day `d`, as at().
  Acc* at_day(day_number d) {
    const bool fresh = !has_newest_ || d > newest_;  // a new day's bucket is the prototype
    std::size_t s = accept(d);
    if (s == npos) return nullptr;
    if (total_valid_ && in_window(d)) {
      // The caller will change this bucket: take it out of the running total
      // and fold it back in when the total is next read.
      if constexpr (rolls_incrementally) {
        if (!dirty_[s]) {
          if (dirty_days_.size() >= cap_) {
            invalidate_total();
          } else {
            if (!fresh) total_.subtract(buckets_[s]);
            dirty_[s] = 1;
            dirty_days_.push_back(d);
          }
        }
      } else {
        total_valid_ = false;
      }
    }
    return &buckets_[s];
  }

  /// Calls `add(args...)` on the bucket of the local day of `t` and keeps the
  /// running total in step, so current() stays O(1). False (rejected and
  /// counted) when the day is older than the ring keeps.
  template <class... Args>
  bool add(timestamp t, const Args&... args) {
    return add_at_day(local_day(t, offset_), args...);
  }

  /// add() for local day `d`.
  template <class... Args>
  bool add_at_day(day_number d, const Args&... args) {
    std::size_t s = accept(d);
    if (s == npos) return false;
    buckets_[s].add(args...);
    if (total_valid_ && in_window(d)) {
      if constexpr (rolls_incrementally) {
        if (!dirty_[s]) total_.add(args...);
      } else {
        total_.add(args...);
      }
    }
    return true;
  }

  // --- reading --------------------------------------------------------------

  /// The window as of the newest day: days newest-N+1 .. newest (the
  /// prototype when empty). The reference is valid until the next non-const
  /// call.
  const Acc& current() const {
    if (!has_newest_) return prototype_;
    if (!total_valid_) {
      total_ = prototype_;
      const std::size_t n = std::min(static_cast<std::size_t>(window_), buckets_.size());
      for (std::size_t age = 0; age < n; ++age) total_.merge(buckets_[slot_of_age(age)]);
      clear_dirty();
      total_valid_ = true;
    } else if constexpr (rolls_incrementally) {
      for (day_number d : dirty_days_) {
        std::size_t s = slot_of_age(static_cast<std::size_t>(std::int64_t{newest_} - d));
        total_.merge(buckets_[s]);
        dirty_[s] = 0;
      }
      dirty_days_.clear();
    }
    return total_;
  }

  /// The merge of days d-N+1 .. d. Days after the newest are empty.
  /// REQUIRES: d >= oldest_as_of_day() (else std::out_of_range).
  Acc as_of(day_number d) const {
    if (has_newest_ && d == newest_) return current();
    check_as_of(d, "as_of");
    Acc out = prototype_;
    merge_days(out, std::int64_t{d} - window_ + 1, d);
    return out;
  }

  /// Calls f(day, window) for every day in [from, to] in order, `window` being
  /// as_of(day) (a const Acc&, valid during the call). One pass: rolls the
  /// window one day at a time (merge the new day, subtract the expired one)
  /// when Acc has subtract, else re-merges the N days of each step.
  /// REQUIRES: from <= to, from >= oldest_as_of_day() (else std::out_of_range).
  template <class F>
  void trailing(day_number from, day_number to, F f) const {
    if (from > to)
      CSMETRICS_THROW(std::out_of_range("day_window::trailing: from " + std::to_string(from) + " is after to " +
                                        std::to_string(to)));
    check_as_of(from, "trailing");
    Acc state = prototype_;
    merge_days(state, std::int64_t{from} - window_ + 1, from);
    f(from, static_cast<const Acc&>(state));
    for (std::int64_t d = std::int64_t{from} + 1; d <= to; ++d) {
      if constexpr (rolls_incrementally) {
        if (const Acc* in = kept(d)) state.merge(*in);
        if (const Acc* out = kept(d - window_)) state.subtract(*out);
      } else {
        state = prototype_;
        merge_days(state, d - window_ + 1, d);
      }
      f(static_cast<day_number>(d), static_cast<const Acc&>(state));
    }
  }

  /// The bucket of one kept day, or nullptr when the day is not kept (older
  /// than the ring or newer than the newest day).
  const Acc* day(day_number d) const { return kept(d); }

  /// Calls f(day, bucket) for every kept day whose bucket differs from the
  /// prototype, oldest first.
  template <class F>
  void for_each_day(F f) const {
    if (!has_newest_) return;
    for (std::size_t age = buckets_.size(); age-- > 0;) {
      const Acc& b = buckets_[slot_of_age(age)];
      if (!(b == prototype_)) f(static_cast<day_number>(std::int64_t{newest_} - static_cast<std::int64_t>(age)), b);
    }
  }

  /// True until the first accepted day.
  bool empty() const { return !has_newest_; }
  /// The newest day seen. REQUIRES: !empty() (returns no_day when empty).
  day_number newest_day() const { return has_newest_ ? newest_ : no_day; }
  /// The oldest day the ring keeps (newest - window - history + 1).
  /// REQUIRES: !empty() (returns no_day when empty).
  day_number oldest_kept_day() const {
    return has_newest_ ? static_cast<day_number>(std::int64_t{newest_} - static_cast<std::int64_t>(cap_) + 1) : no_day;
  }
  /// The oldest day as_of() and trailing() accept (newest - history_days).
  day_number oldest_as_of_day() const {
    return has_newest_ ? static_cast<day_number>(std::int64_t{newest_} - history_) : no_day;
  }
  /// Events (at/add calls) rejected because their day was older than the
  /// ring, plus the events a merge dropped.
  std::uint64_t rejected_too_old() const { return rejected_; }

  int window_days() const { return window_; }
  int history_days() const { return history_; }
  utc_offset offset() const { return offset_; }
  const Acc& prototype() const { return prototype_; }
  /// newest_day() of an empty window.
  static constexpr day_number no_day = std::numeric_limits<day_number>::min();

  // --- the common verbs -----------------------------------------------------

  /// Day by day; see the class comment for dropped days. All or nothing:
  /// the days merge into a copy that replaces *this at the end, so a day's
  /// merge that throws (a count would overflow) leaves *this unchanged.
  /// REQUIRES: same window_days and offset (else std::invalid_argument).
  void merge(const day_window& other) {
    if (other.window_ != window_ || other.offset_ != offset_)
      CSMETRICS_THROW(std::invalid_argument(
          "day_window::merge: windows differ: window_days " + std::to_string(window_) + " vs " +
          std::to_string(other.window_) + ", utc offset minutes " + std::to_string(offset_.minutes().count()) +
          " vs " + std::to_string(other.offset_.minutes().count())));
    day_window out = *this;  // also right when &other == this
    out.merge_in_place(other);
    *this = std::move(out);
  }

  /// Back to the freshly constructed state (same configuration).
  void reset() {
    std::vector<Acc>().swap(buckets_);
    std::vector<std::uint8_t>().swap(dirty_);
    has_newest_ = false;
    newest_ = 0;
    head_ = 0;
    rejected_ = 0;
    invalidate_total();
    total_ = prototype_;
    total_valid_ = true;
  }

  // Serialized form (after the common header, type id 5, version 1):
  //   varint   window_days
  //   varint   history_days
  //   svarint  utc offset, minutes
  //   ...      prototype (its own full form)
  //   varint   rejected_too_old
  //   u8       1 when a day was seen, else 0; then only when 1:
  //   svarint  newest day (days since 1970-01-01)
  //   varint   k, the number of buckets that differ from the prototype
  //   k times: varint age (newest - day, strictly decreasing), bucket (full form)
  void serialize_to(detail::writer& w) const {
    w.header(detail::type_id::day_window, format_version);
    w.varint(static_cast<std::uint64_t>(window_));
    w.varint(static_cast<std::uint64_t>(history_));
    w.svarint(offset_.minutes().count());
    prototype_.serialize_to(w);
    w.varint(rejected_);
    w.u8(has_newest_ ? 1 : 0);
    if (!has_newest_) return;
    w.svarint(newest_);
    std::size_t k = 0;
    for (const Acc& b : buckets_) k += !(b == prototype_);
    w.varint(k);
    for (std::size_t age = buckets_.size(); age-- > 0;) {
      const Acc& b = buckets_[slot_of_age(age)];
      if (b == prototype_) continue;
      w.varint(age);
      b.serialize_to(w);
    }
  }

  static day_window deserialize_from(detail::reader& r) {
    r.header(detail::type_id::day_window, "day_window", format_version);
    const std::uint64_t window = r.varint();
    r.check(window >= 1 && window <= static_cast<std::uint64_t>(max_window_days), "window_days in [1, 3650]");
    const std::uint64_t history = r.varint();
    r.check(history <= static_cast<std::uint64_t>(max_history_days), "history_days in [0, 3650]");
    const std::int64_t minutes = r.svarint();
    r.check(minutes >= -18 * 60 && minutes <= 18 * 60, "utc offset in [-18:00, +18:00]");
    Acc prototype = Acc::deserialize_from(r);
    r.check(detail::is_empty_prototype(prototype), "the prototype is empty (configuration only)");
    day_window out(static_cast<int>(window), utc_offset(std::chrono::minutes{minutes}), std::move(prototype),
                   static_cast<int>(history));
    out.rejected_ = r.varint();
    const std::uint8_t seen = r.u8();
    r.check(seen <= 1, "day-seen flag is 0 or 1");
    if (seen == 0) return out;
    const std::int64_t newest = r.svarint();
    r.check(newest >= std::numeric_limits<day_number>::min() + static_cast<std::int64_t>(out.cap_) &&
                newest <= std::numeric_limits<day_number>::max(),
            "newest day in range");
    out.has_newest_ = true;
    out.newest_ = static_cast<day_number>(newest);
    out.head_ = 0;
    out.total_valid_ = false;
    const std::size_t k = r.count(7, "day buckets");  // age + a bucket header at least
    std::uint64_t previous_age = out.cap_;
    for (std::size_t i = 0; i < k; ++i) {
      const std::uint64_t age = r.varint();
      r.check(age < previous_age, "bucket ages strictly decreasing and below window_days + history_days");
      previous_age = age;
      Acc b = Acc::deserialize_from(r);
      r.check(!(b == out.prototype_), "a bucket equal to the prototype is never written");
      r.check(detail::same_configuration(out.prototype_, b), "every bucket has the prototype's configuration");
      out.cover_age(static_cast<std::size_t>(age));
      out.buckets_[out.slot_of_age(static_cast<std::size_t>(age))] = std::move(b);
    }
    return out;
  }

  std::vector<std::uint8_t> serialize() const { return detail::serialize(*this); }
  static day_window deserialize(const void* data, std::size_t size) {
    return detail::deserialize<day_window>(data, size);
  }

  /// Same configuration, prototype, newest day, rejections and kept buckets.
  friend bool operator==(const day_window& a, const day_window& b) {
    if (a.window_ != b.window_ || a.history_ != b.history_ || a.offset_ != b.offset_ ||
        a.has_newest_ != b.has_newest_ || a.rejected_ != b.rejected_ || !(a.prototype_ == b.prototype_))
      return false;
    if (!a.has_newest_) return true;
    if (a.newest_ != b.newest_) return false;
    for (std::size_t age = 0, n = std::max(a.buckets_.size(), b.buckets_.size()); age < n; ++age)
      if (!(a.bucket_at_age(age) == b.bucket_at_age(age))) return false;
    return true;
  }
  friend bool operator!=(const day_window& a, const day_window& b) { return !(a == b); }

 private:
  void merge_in_place(const day_window& other) {
    rejected_ = detail::checked_add(rejected_, other.rejected_);
    if (!other.has_newest_) return;
    invalidate_total();
    if (!has_newest_) {
      has_newest_ = true;
      newest_ = other.newest_;
      head_ = 0;
    } else if (other.newest_ > newest_) {
      advance_to(other.newest_);  // our days older than the merged ring slide out
    }
    const std::int64_t oldest = std::int64_t{newest_} - static_cast<std::int64_t>(cap_) + 1;
    for (std::size_t age = other.buckets_.size(); age-- > 0;) {
      const std::int64_t d = std::int64_t{other.newest_} - static_cast<std::int64_t>(age);
      const Acc& b = other.buckets_[other.slot_of_age(age)];
      if (d < oldest) continue;  // slid out of the merged ring
      const std::size_t mine = static_cast<std::size_t>(std::int64_t{newest_} - d);
      cover_age(mine);
      buckets_[slot_of_age(mine)].merge(b);
    }
  }

  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  // The ring grows with the days it has to hold (up to cap_ slots): a shop
  // seen for a week keeps ~8 buckets, not window + history. Ages at or past
  // buckets_.size() are empty days (the prototype).
  std::size_t slot_of_age(std::size_t age) const {
    return head_ >= age ? head_ - age : head_ + buckets_.size() - age;
  }
  const Acc& bucket_at_age(std::size_t age) const {
    return age < buckets_.size() ? buckets_[slot_of_age(age)] : prototype_;
  }

  /// Grows the ring to hold age `age` (< cap_): doubles (at least 8 slots,
  /// at most cap_) and lays the days out again with the newest in slot 0.
  void cover_age(std::size_t age) {
    const std::size_t n = buckets_.size();
    if (age < n) return;
    const std::size_t grown = std::min(cap_, std::max({age + 1, 2 * n, std::size_t{8}}));
    std::vector<Acc> b(grown, prototype_);
    std::vector<std::uint8_t> dirty;
    if constexpr (rolls_incrementally) dirty.assign(grown, 0);
    for (std::size_t a = 0; a < n; ++a) {
      const std::size_t to = a == 0 ? 0 : grown - a;
      b[to] = std::move(buckets_[slot_of_age(a)]);
      if constexpr (rolls_incrementally) dirty[to] = dirty_[slot_of_age(a)];
    }
    buckets_.swap(b);
    dirty_.swap(dirty);
    head_ = 0;
  }

  bool in_window(day_number d) const { return std::int64_t{newest_} - d < window_; }

  /// The slot of day d, advancing the ring when d is newer; npos (and one
  /// rejection counted) when d is older than the oldest kept day.
  std::size_t accept(day_number d) {
    if (!has_newest_) {
      cover_age(0);
      has_newest_ = true;
      newest_ = d;
      head_ = 0;
      return head_;
    }
    if (d > newest_) {
      advance_to(d);
      return head_;
    }
    const std::uint64_t age = static_cast<std::uint64_t>(std::int64_t{newest_} - d);
    if (age >= cap_) {
      rejected_ = detail::checked_add(rejected_, std::uint64_t{1});
      return npos;
    }
    cover_age(static_cast<std::size_t>(age));
    return slot_of_age(static_cast<std::size_t>(age));
  }

  /// Moves the newest day to d > newest_, rolling the running total.
  void advance_to(day_number d) {
    const std::int64_t gap = std::int64_t{d} - newest_;
    if (total_valid_) {
      if (gap >= window_) {
        total_ = prototype_;
        clear_dirty();
      } else if constexpr (rolls_incrementally) {
        // Days newest-N+1 .. d-N leave the window.
        for (std::int64_t e = std::int64_t{newest_} - window_ + 1; e <= std::int64_t{d} - window_; ++e) {
          const std::size_t age = static_cast<std::size_t>(std::int64_t{newest_} - e);
          if (age >= buckets_.size()) continue;  // an empty day
          const std::size_t s = slot_of_age(age);
          if (dirty_[s])
            dirty_[s] = 0;  // already out of the total; its dirty_days_ entry is skipped
          else
            total_.subtract(buckets_[s]);
        }
        // Stale dirty_days_ entries point at days that left the window.
        std::size_t keep = 0;
        for (day_number x : dirty_days_)
          if (std::int64_t{d} - x < window_) dirty_days_[keep++] = x;
        dirty_days_.resize(keep);
      } else {
        total_valid_ = false;
      }
    }
    if (static_cast<std::uint64_t>(gap) >= cap_) {
      for (Acc& b : buckets_) b = prototype_;
      head_ = 0;
      cover_age(0);  // a state read with no bucket has none yet
    } else {
      // Room for the kept days at their new ages (those past cap_ fall off).
      cover_age(std::min(cap_, buckets_.size() + static_cast<std::size_t>(gap)) - 1);
      const std::size_t n = buckets_.size();
      for (std::int64_t i = 0; i < gap; ++i) {
        head_ = head_ + 1 == n ? 0 : head_ + 1;
        buckets_[head_] = prototype_;
      }
    }
    newest_ = d;
  }

  /// The bucket of a kept day, or nullptr.
  const Acc* kept(std::int64_t d) const {
    if (!has_newest_ || d > newest_) return nullptr;
    const std::uint64_t age = static_cast<std::uint64_t>(std::int64_t{newest_} - d);
    if (age >= cap_) return nullptr;
    return &bucket_at_age(static_cast<std::size_t>(age));
  }

  /// out.merge(bucket) for every kept day in [first, last].
  void merge_days(Acc& out, std::int64_t first, std::int64_t last) const {
    if (!has_newest_) return;
    first = std::max(first, std::int64_t{newest_} - static_cast<std::int64_t>(buckets_.size()) + 1);
    last = std::min(last, std::int64_t{newest_});
    for (std::int64_t d = first; d <= last; ++d)
      out.merge(buckets_[slot_of_age(static_cast<std::size_t>(std::int64_t{newest_} - d))]);
  }

  void check_as_of(day_number d, const char* what) const {
    if (has_newest_ && std::int64_t{d} < std::int64_t{newest_} - history_)
      CSMETRICS_THROW(std::out_of_range(std::string("day_window::") + what + ": day " + std::to_string(d) +
                                        " is older than the oldest day with a whole window kept, " +
                                        std::to_string(std::int64_t{newest_} - history_) +
                                        " (raise history_days)"));
  }

  void clear_dirty() const {
    if constexpr (rolls_incrementally) {
      for (day_number x : dirty_days_) {
        const std::int64_t age = std::int64_t{newest_} - x;
        if (age >= 0 && static_cast<std::uint64_t>(age) < buckets_.size())
          dirty_[slot_of_age(static_cast<std::size_t>(age))] = 0;
      }
      dirty_days_.clear();
    }
  }
  void invalidate_total() {
    clear_dirty();
    total_valid_ = false;
  }

  int window_;
  int history_;
  utc_offset offset_;
  Acc prototype_;
  std::size_t cap_ = 0;            // window_ + history_: the most slots the ring grows to
  std::vector<Acc> buckets_;       // ring; buckets_[head_] is the newest day
  std::size_t head_ = 0;
  day_number newest_ = 0;
  bool has_newest_ = false;
  std::uint64_t rejected_ = 0;
  // The running total: when total_valid_, total_ is the merge of the window's
  // buckets except the dirty ones (handed out by at_day since the last read).
  mutable Acc total_;
  mutable bool total_valid_ = true;
  mutable std::vector<std::uint8_t> dirty_;      // per slot; used when Acc has subtract
  mutable std::vector<day_number> dirty_days_;
};

}  // namespace csmetrics

#endif  // CSMETRICS_CORE_DAY_WINDOW_HPP_
