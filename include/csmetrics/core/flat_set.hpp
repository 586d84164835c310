// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/core/flat_set.hpp
//
// A set of keys in keyed's flat table (keyed.hpp) without values: distinct
// buyers served, invited, and the like, without a node per key.
#ifndef CSMETRICS_CORE_FLAT_SET_HPP_
#define CSMETRICS_CORE_FLAT_SET_HPP_

#include <cstddef>  // std::size_t

#include "csmetrics/core/keyed.hpp"

namespace csmetrics {

namespace detail {
/// keyed's value when only the keys matter.
struct no_value {
  static constexpr bool merge_never_throws = true;
  void merge(const no_value&) {}
  bool merges_cleanly(const no_value&) const { return true; }
  friend bool operator==(no_value, no_value) { return true; }
  friend bool operator!=(no_value, no_value) { return false; }
};
}  // namespace detail

/// A set of keys in one flat table (keyed without values): distinct buyers
/// and the like, without a node per key.
template <class Key, class Hash = detail::key_hash<Key>>
class flat_set {
 public:
  /// True when `k` is new.
  bool insert(const Key& k) {
    const std::size_t before = table_.size();
    table_[k];
    return table_.size() != before;
  }
  bool contains(const Key& k) const { return table_.find(k) != nullptr; }
  std::size_t size() const { return table_.size(); }
  bool empty() const { return table_.empty(); }
  void reserve(std::size_t n) { table_.reserve(n); }
  void merge(const flat_set& o) { table_.merge(o.table_); }
  /// Keys in both sets (walks the smaller, probes the larger).
  std::size_t overlap(const flat_set& o) const {
    const flat_set& small = size() < o.size() ? *this : o;
    const flat_set& big = &small == this ? o : *this;
    std::size_t n = 0;
    small.for_each([&](const Key& k) { n += big.contains(k); });
    return n;
  }
  /// f(const Key&) for every key, in unspecified order.
  template <class F>
  void for_each(F f) const {
    table_.for_each([&](const Key& k, const detail::no_value&) { f(k); });
  }
  /// f(const Key&) in increasing key order.
  template <class F>
  void for_each_sorted(F f) const {
    table_.for_each_sorted([&](const Key& k, const detail::no_value&) { f(k); });
  }
  friend bool operator==(const flat_set& a, const flat_set& b) { return a.table_ == b.table_; }
  friend bool operator!=(const flat_set& a, const flat_set& b) { return !(a == b); }

 private:
  keyed<Key, detail::no_value, Hash> table_;
};

}  // namespace csmetrics

#endif  // CSMETRICS_CORE_FLAT_SET_HPP_
