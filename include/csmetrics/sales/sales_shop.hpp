// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/sales/sales_shop.hpp
//
// One shop's sales days (sales.hpp): a sales_day per (local day, channel),
// in one vector sorted by day, then channel. Events come in time order, so
// a new day is appended and the day in use is at the end: an event finds its
// cell by comparing with the last few entries, and a period is a contiguous
// run (one binary search). The nested tables this replaces (a channel table
// and a day table per shop) cost each shop two allocations and ~350 bytes,
// and each event two more hash probes: for 10^5 small shops, 52 MB.
//
// The serialized form is the one of keyed<Channel, keyed<day_number,
// sales_day>> (channels sorted, each with its days sorted), so states read
// and written by earlier versions are byte for byte the same.
#ifndef CSMETRICS_SALES_SALES_SHOP_HPP_
#define CSMETRICS_SALES_SALES_SHOP_HPP_

#include <algorithm>  // std::lower_bound, std::sort
#include <cstddef>    // std::size_t
#include <utility>    // std::move
#include <vector>     // std::vector

#include "csmetrics/core/keyed.hpp"
#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/time.hpp"
#include "csmetrics/sales/sales_day.hpp"

namespace csmetrics {
namespace detail {

template <class Person, class Agent, class Channel>
class sales_shop {
 public:
  using day_type = sales_day<Person, Agent>;
  struct cell {
    day_number day;
    Channel channel;
    day_type value;
  };

  /// The cell of (channel, day), made empty when new.
  day_type& at(const Channel& channel, day_number day) {
    // The usual case: the newest day, among its few channels.
    for (std::size_t i = cells_.size(); i > 0 && cells_[i - 1].day >= day; --i)
      if (cells_[i - 1].day == day && cells_[i - 1].channel == channel) return cells_[i - 1].value;
    auto pos = std::lower_bound(cells_.begin(), cells_.end(), day, [](const cell& c, day_number d) {
      return c.day < d;
    });
    while (pos != cells_.end() && pos->day == day) {  // a late event: find or place it among its day's channels
      if (pos->channel == channel) return pos->value;
      if (channel < pos->channel) break;
      ++pos;
    }
    return cells_.insert(pos, cell{day, channel, day_type{}})->value;
  }

  /// Calls f(const day_type&) for every cell of days first..last (of
  /// `channel` when not null).
  template <class F>
  void for_each_in(day_number first, day_number last, const Channel* channel, F f) const {
    auto it = std::lower_bound(cells_.begin(), cells_.end(), first,
                               [](const cell& c, day_number d) { return c.day < d; });
    for (; it != cells_.end() && it->day <= last; ++it)
      if (!channel || it->channel == *channel) f(static_cast<const day_type&>(it->value));
  }
  /// Calls f(day_number, const Channel&, const day_type&) for every cell.
  template <class F>
  void for_each(F f) const {
    for (const cell& c : cells_) f(c.day, c.channel, c.value);
  }
  std::size_t size() const { return cells_.size(); }
  bool empty() const { return cells_.empty(); }
  void reset() { cells_.clear(); }

  /// Cell by cell (see sales_day::merge); cells this side lacks are copied.
  void merge(const sales_shop& o) {
    if (&o == this) {
      const sales_shop copy = o;
      return merge(copy);
    }
    merge_cells(o.cells_, [](const cell& c) { return c; });
  }
  /// The same, moving `o`'s cells this side lacks. If a count would
  /// overflow, the shared cells before it are merged and *this stays valid
  /// (basic_sales::merge(const&) merges into a copy: all or nothing).
  void merge(sales_shop&& o) {
    if (&o == this) return merge(static_cast<const sales_shop&>(o));
    merge_cells(o.cells_, [](cell& c) { return std::move(c); });
    o.cells_.clear();
  }

  // Serialized: the form of keyed<Channel, keyed<day_number, day_type>>.
  void serialize_to(writer& w) const {
    using days_table = keyed<day_number, day_type>;
    std::vector<const cell*> order;
    order.reserve(cells_.size());
    for (const cell& c : cells_) order.push_back(&c);
    std::sort(order.begin(), order.end(), [](const cell* x, const cell* y) {
      return x->channel < y->channel || (!(y->channel < x->channel) && x->day < y->day);
    });
    std::size_t channels = 0;
    for (std::size_t i = 0; i < order.size(); ++i) channels += i == 0 || order[i - 1]->channel != order[i]->channel;
    keyed<Channel, days_table>::write_head(w, days_table{}, channels);
    for (std::size_t i = 0; i < order.size();) {
      std::size_t j = i;
      while (j < order.size() && order[j]->channel == order[i]->channel) ++j;
      key_serde<Channel>::write(w, order[i]->channel);
      days_table::write_head(w, day_type{}, j - i);
      for (; i < j; ++i) {
        key_serde<day_number>::write(w, order[i]->day);
        order[i]->value.serialize_to(w);
      }
    }
  }

  static sales_shop deserialize_from(reader& r) {
    // Read as the nested tables (with all their checks), then laid flat.
    auto channels = keyed<Channel, keyed<day_number, day_type>>::deserialize_from(r);
    sales_shop s;
    channels.for_each([&](const Channel& ch, keyed<day_number, day_type>& days) {
      r.check(!days.empty(), "every channel has days");
      days.for_each([&](day_number d, day_type& v) { s.cells_.push_back(cell{d, ch, std::move(v)}); });
    });
    std::sort(s.cells_.begin(), s.cells_.end(), before);
    return s;
  }

  friend bool operator==(const sales_shop& a, const sales_shop& b) {
    if (a.cells_.size() != b.cells_.size()) return false;
    for (std::size_t i = 0; i < a.cells_.size(); ++i) {
      const cell &x = a.cells_[i], &y = b.cells_[i];
      if (x.day != y.day || x.channel != y.channel || !(x.value == y.value)) return false;
    }
    return true;
  }
  friend bool operator!=(const sales_shop& a, const sales_shop& b) { return !(a == b); }

 private:
  static bool before(const cell& x, const cell& y) {
    return x.day < y.day || (x.day == y.day && x.channel < y.channel);
  }
  /// The cells both have merge in place first (a throw leaves *this
  /// whole), then the rest are laid in order; take(c) copies or moves c.
  template <class Cells, class Take>
  void merge_cells(Cells& theirs, Take take) {
    std::vector<bool> shared(theirs.size());
    auto a = cells_.begin();
    for (std::size_t i = 0; i < theirs.size(); ++i) {
      a = std::lower_bound(a, cells_.end(), theirs[i], before);
      if (a != cells_.end() && !before(theirs[i], *a)) {
        a->value.merge(theirs[i].value);
        shared[i] = true;
      }
    }
    std::vector<cell> out;
    out.reserve(cells_.size() + theirs.size());
    std::size_t i = 0, j = 0;
    while (i < cells_.size() || j < theirs.size()) {
      if (j < theirs.size() && shared[j]) {
        ++j;
      } else if (j == theirs.size() || (i < cells_.size() && before(cells_[i], theirs[j]))) {
        out.push_back(std::move(cells_[i++]));
      } else {
        out.push_back(take(theirs[j++]));
      }
    }
    cells_ = std::move(out);
  }

  std::vector<cell> cells_;  // sorted by (day, channel)
};

}  // namespace detail
}  // namespace csmetrics

#endif  // CSMETRICS_SALES_SALES_SHOP_HPP_
