// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/sessions/sessions_table.hpp
//
// The open-conversation table of csmetrics::sessions: an open-addressing
// hash table with linear probing and backward-shift deletion (no
// tombstones), keyed by (interned shop index, buyer id). Each slot holds the
// whole state of one open conversation; with integer buyer ids a slot is 48
// bytes (checked by a static_assert in sessions.hpp and measured by a test).
// Capacity is a power of two; the table grows at 7/8 load and never shrinks
// by itself (reset() frees it).
#ifndef CSMETRICS_SESSIONS_SESSIONS_TABLE_HPP_
#define CSMETRICS_SESSIONS_SESSIONS_TABLE_HPP_

#include <cstddef>      // std::size_t
#include <cstdint>      // fixed-width integers
#include <utility>      // std::pair, std::move
#include <vector>       // std::vector

#include "csmetrics/core/hash.hpp"

namespace csmetrics {
namespace detail {

/// State of one open conversation. `burst == 0` means nothing is waiting.
///   layout (BuyerId = uint64): buyer 8 | clock_us 8 | last_us 8 | shop1 4 |
///   burst 4 | agent 4 | routed 4 | served_day 4 | flags 1 | pad 3 = 48 bytes
template <class BuyerId>
struct conversation_slot {
  BuyerId buyer{};
  std::int64_t clock_us = 0;     ///< clock start of the waiting burst
  std::int64_t last_us = 0;      ///< last buyer or agent message
  std::uint32_t shop1 = 0;       ///< interned shop index + 1; 0 = empty slot
  std::uint32_t burst = 0;       ///< buyer messages in the waiting burst
  std::uint32_t agent = 0;       ///< agent index + 1 of the last agent reply; 0 = none
  std::uint32_t routed = 0;      ///< agent index + 1 the waiting burst is attributed to
  std::uint32_t agents[2] = {};  ///< the first two agents (index + 1) who wrote in it; more: sessions::more_agents_
  std::int32_t served_day = 0;   ///< local day `agent` was last recorded as serving
  std::uint8_t flags = 0;        ///< conversation_flags

  static constexpr std::uint8_t first_taken = 1;       ///< first response recorded (or forfeited)
  static constexpr std::uint8_t first_auto_taken = 2;  ///< first response incl. auto replies recorded
  static constexpr std::uint8_t all_flags = 3;
};

template <class BuyerId>
class conversation_table {
 public:
  using slot = conversation_slot<BuyerId>;

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return slots_.size(); }
  std::size_t memory_bytes() const { return slots_.capacity() * sizeof(slot); }

  /// The slot of (shop, buyer), or nullptr.
  slot* find(std::uint32_t shop, const BuyerId& buyer) {
    if (slots_.empty()) return nullptr;
    std::size_t i = home(shop, buyer);
    for (;;) {
      slot& s = slots_[i];
      if (s.shop1 == 0) return nullptr;
      if (s.shop1 == shop + 1 && s.buyer == buyer) return &s;
      i = (i + 1) & mask_;
    }
  }
  const slot* find(std::uint32_t shop, const BuyerId& buyer) const {
    return const_cast<conversation_table*>(this)->find(shop, buyer);
  }

  /// The slot of (shop, buyer) and whether it was created now (zeroed state).
  std::pair<slot*, bool> find_or_insert(std::uint32_t shop, const BuyerId& buyer) {
    if ((size_ + 1) * 8 > slots_.size() * 7) grow();
    std::size_t i = home(shop, buyer);
    for (;;) {
      slot& s = slots_[i];
      if (s.shop1 == 0) {
        s = slot{};
        s.buyer = buyer;
        s.shop1 = shop + 1;
        ++size_;
        return {&s, true};
      }
      if (s.shop1 == shop + 1 && s.buyer == buyer) return {&s, false};
      i = (i + 1) & mask_;
    }
  }

  /// Calls f(slot&) for every open conversation; erases it when f returns
  /// true. Every slot is visited at least once (some twice: f must be
  /// idempotent on a slot it keeps).
  template <class F>
  void erase_if(F f) {
    std::size_t i = 0;
    while (i < slots_.size()) {
      if (slots_[i].shop1 != 0 && f(slots_[i])) {
        erase_at(i);  // a later slot may have moved into i: look at i again
      } else {
        ++i;
      }
    }
  }

  template <class F>
  void for_each(F f) const {
    for (const slot& s : slots_)
      if (s.shop1 != 0) f(s);
  }

  void clear() {
    std::vector<slot>().swap(slots_);
    size_ = 0;
    mask_ = 0;
  }

 private:
  std::size_t home(std::uint32_t shop, const BuyerId& buyer) const {
    return static_cast<std::size_t>(mix64(id_hash(buyer) ^ (static_cast<std::uint64_t>(shop) * 0x9e3779b97f4a7c15ULL))) &
           mask_;
  }

  void grow() {
    std::vector<slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, slot{});
    mask_ = slots_.size() - 1;
    for (slot& s : old) {
      if (s.shop1 == 0) continue;
      std::size_t i = home(s.shop1 - 1, s.buyer);
      while (slots_[i].shop1 != 0) i = (i + 1) & mask_;
      slots_[i] = std::move(s);
    }
  }

  /// Backward-shift deletion: pulls later members of the probe run into the
  /// hole so lookups never need tombstones.
  void erase_at(std::size_t hole) {
    std::size_t j = hole;
    for (;;) {
      j = (j + 1) & mask_;
      slot& s = slots_[j];
      if (s.shop1 == 0) break;
      std::size_t h = home(s.shop1 - 1, s.buyer);
      // s may move into the hole iff its home is not in (hole, j] cyclically.
      bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
      if (stays) continue;
      slots_[hole] = std::move(s);
      hole = j;
    }
    slots_[hole] = slot{};
    --size_;
  }

  std::vector<slot> slots_;
  std::size_t size_ = 0;
  std::size_t mask_ = 0;
};

}  // namespace detail
}  // namespace csmetrics

#endif  // CSMETRICS_SESSIONS_SESSIONS_TABLE_HPP_
