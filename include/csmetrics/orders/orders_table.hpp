// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/orders/orders_table.hpp
//
// The compact hash table behind csmetrics::basic_orders' per-buyer and
// per-order tracking state. Entries live densely in chunks of 1024 (the
// first grows by doubling: a small table is small; no per-entry
// allocation); an open-addressing index of
// 1 tag byte + 4 index bytes per slot, linear probing over the tag bytes,
// max load 7/8, finds them. Memory per entry is therefore
//     sizeof(Entry) + 5 / load,  load in (7/16, 7/8]   (after the first chunk)
// i.e. at most sizeof(Entry) + 11.5 bytes: 43.5 bytes for the 32-byte buyer
// entry of integer ids. Erase moves the last entry into the hole (indices of
// entries are not stable across erase) and uses backward-shift deletion.
#ifndef CSMETRICS_ORDERS_ORDERS_TABLE_HPP_
#define CSMETRICS_ORDERS_ORDERS_TABLE_HPP_

#include <algorithm>    // std::min, std::max (chunk growth)
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint8_t, std::uint32_t, std::uint64_t
#include <limits>       // std::numeric_limits
#include <stdexcept>    // std::length_error
#include <utility>      // std::move, std::pair
#include <vector>       // std::vector

#include "csmetrics/core/error.hpp"
#include "csmetrics/core/hash.hpp"  // pair_hash: the families' one integer mix

namespace csmetrics {
namespace detail {

/**
 * Open-addressing table of `Entry`, found by a probe key.
 * `Traits` provides:
 *   static std::uint64_t hash(const Entry&);
 *   template <class K> static std::uint64_t hash_key(const K&);
 *   template <class K> static bool equal(const Entry&, const K&);
 * Not thread-safe (one writer). Copyable.
 */
template <class Entry, class Traits>
class orders_table {
 public:
  static constexpr std::size_t chunk_bits = 10;
  static constexpr std::size_t chunk_size = std::size_t{1} << chunk_bits;

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  /// Entry by dense index, 0 <= i < size().
  Entry& at(std::size_t i) { return chunks_[i >> chunk_bits][i & (chunk_size - 1)]; }
  const Entry& at(std::size_t i) const { return chunks_[i >> chunk_bits][i & (chunk_size - 1)]; }

  /// The entry whose key equals `k`, or nullptr.
  template <class K>
  Entry* find(const K& k) {
    std::size_t slot = find_slot(k, Traits::hash_key(k));
    return slot == npos ? nullptr : &at(index_[slot]);
  }
  template <class K>
  const Entry* find(const K& k) const {
    return const_cast<orders_table*>(this)->find(k);
  }

  /// Finds the entry for `k`, or appends a default one and calls init(entry)
  /// on it (which must set the key). Returns {entry, inserted}.
  template <class K, class Init>
  std::pair<Entry*, bool> find_or_insert(const K& k, Init init) {
    const std::uint64_t h = Traits::hash_key(k);
    if (!tags_.empty()) {
      std::size_t slot = find_slot(k, h);
      if (slot != npos) return {&at(index_[slot]), false};
    }
    Entry& e = append();
    init(e);
    place(h, static_cast<std::uint32_t>(size_ - 1));
    return {&e, true};
  }

  /// Appends `e`, whose key must not be present yet.
  Entry& insert_new(Entry e) {
    const std::uint64_t h = Traits::hash(e);
    Entry& slot_entry = append();
    slot_entry = std::move(e);
    place(h, static_cast<std::uint32_t>(size_ - 1));
    return slot_entry;
  }

  /// Removes the entry for `k`; false if absent. The last entry moves into
  /// the hole.
  template <class K>
  bool erase(const K& k) {
    if (tags_.empty()) return false;
    std::size_t slot = find_slot(k, Traits::hash_key(k));
    if (slot == npos) return false;
    const std::uint32_t i = index_[slot];
    remove_slot(slot);
    const std::uint32_t last = static_cast<std::uint32_t>(size_ - 1);
    if (i != last) {
      Entry& moved = at(last);
      std::size_t s = slot_of_index(Traits::hash(moved), last);
      index_[s] = i;
      at(i) = std::move(moved);
    }
    chunks_[last >> chunk_bits].pop_back();
    --size_;
    // One spare chunk: a table hovering at a chunk boundary must not free and
    // rebuild a whole chunk on every erase/append pair.
    while (chunks_.size() > ((size_ + chunk_size - 1) >> chunk_bits) + 1) chunks_.pop_back();
    return true;
  }

  void clear() {
    chunks_.clear();
    tags_.clear();
    index_.clear();
    size_ = 0;
  }

  /// Makes room for `n` entries without rehashing.
  void reserve(std::size_t n) {
    std::size_t cap = 16;
    while (cap * 7 / 8 < n) cap *= 2;
    if (cap > tags_.size()) rehash(cap);
  }

  /// Heap bytes held (the chunks' capacity, tag and index arrays, the
  /// chunk pointer vector). Excludes heap memory owned by the entries
  /// themselves (e.g. long std::string ids).
  std::size_t memory_bytes() const {
    std::size_t entries = 0;
    for (const auto& c : chunks_) entries += c.capacity();
    return entries * sizeof(Entry) + tags_.capacity() + index_.capacity() * sizeof(std::uint32_t) +
           chunks_.capacity() * sizeof(std::vector<Entry>);
  }

 private:
  static constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();

  static std::uint8_t tag_of(std::uint64_t h) { return static_cast<std::uint8_t>(0x80u | (h & 0x7fu)); }
  std::size_t home_of(std::uint64_t h) const { return static_cast<std::size_t>(h >> 7) & (tags_.size() - 1); }

  template <class K>
  std::size_t find_slot(const K& k, std::uint64_t h) const {
    if (tags_.empty()) return npos;
    const std::size_t mask = tags_.size() - 1;
    const std::uint8_t tag = tag_of(h);
    for (std::size_t s = home_of(h);; s = (s + 1) & mask) {
      const std::uint8_t t = tags_[s];
      if (t == 0) return npos;
      if (t == tag && Traits::equal(at(index_[s]), k)) return s;
    }
  }

  std::size_t slot_of_index(std::uint64_t h, std::uint32_t i) const {
    const std::size_t mask = tags_.size() - 1;
    for (std::size_t s = home_of(h);; s = (s + 1) & mask)
      if (tags_[s] != 0 && index_[s] == i) return s;
  }

  Entry& append() {
    if (size_ >= std::numeric_limits<std::uint32_t>::max())
      CSMETRICS_THROW(std::length_error("csmetrics::orders: more than 2^32 - 1 tracked entries"));
    if ((size_ + 1) * 8 > tags_.size() * 7) rehash(tags_.empty() ? 16 : tags_.size() * 2);
    // A chunk grows by doubling up to chunk_size and then stays: a table of
    // a few entries (a small shop's) takes a few entries' memory, not a
    // whole chunk's (which huge pages would fault in whole). Growing moves
    // the chunk's entries: no pointer into the table outlives an insert.
    if ((size_ >> chunk_bits) == chunks_.size()) chunks_.emplace_back();
    std::vector<Entry>& chunk = chunks_[size_ >> chunk_bits];
    if (chunk.size() == chunk.capacity())
      chunk.reserve(std::min(chunk_size, std::max<std::size_t>(8, chunk.capacity() * 2)));
    chunk.emplace_back();
    ++size_;
    return chunk.back();
  }

  void place(std::uint64_t h, std::uint32_t i) {
    const std::size_t mask = tags_.size() - 1;
    std::size_t s = home_of(h);
    while (tags_[s] != 0) s = (s + 1) & mask;
    tags_[s] = tag_of(h);
    index_[s] = i;
  }

  void rehash(std::size_t cap) {
    tags_.assign(cap, 0);
    tags_.shrink_to_fit();
    index_.assign(cap, 0);
    index_.shrink_to_fit();
    // Entries appended but not yet placed (append() grows before placing)
    // are placed by the caller; place only the ones already counted.
    std::size_t placed = size_;
    for (std::size_t i = 0; i < placed; ++i) place(Traits::hash(at(i)), static_cast<std::uint32_t>(i));
  }

  void remove_slot(std::size_t hole) {
    const std::size_t mask = tags_.size() - 1;
    std::size_t j = hole;
    for (;;) {
      j = (j + 1) & mask;
      if (tags_[j] == 0) break;
      const std::size_t home = home_of(Traits::hash(at(index_[j])));
      // Move j into the hole unless its home lies cyclically in (hole, j].
      const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
      if (!stays) {
        tags_[hole] = tags_[j];
        index_[hole] = index_[j];
        hole = j;
      }
    }
    tags_[hole] = 0;
    index_[hole] = 0;
  }

  std::vector<std::vector<Entry>> chunks_;
  std::vector<std::uint8_t> tags_;     // 0 empty, else 0x80 | 7 hash bits
  std::vector<std::uint32_t> index_;   // dense index of the slot's entry
  std::size_t size_ = 0;
};

}  // namespace detail
}  // namespace csmetrics

#endif  // CSMETRICS_ORDERS_ORDERS_TABLE_HPP_
