// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/core/text_pool.hpp
//
// Text ids interned once: a text_pool stores each distinct string once in an
// arena and hands out text_ref, a pointer-sized handle. The families then key
// their tables by text_ref: equality is one pointer compare, the hash is the
// one computed when the text was interned, and nothing is copied or
// allocated per event. This is how shop_metrics runs on text ids at the cost
// of integer ids.
//
// A text_ref behaves like the std::string it stands for wherever a family's
// results could depend on it: operator< compares the texts (sorted output and
// serialized bytes are those of std::string ids) and std::hash<text_ref> is
// std::hash of the text (tables iterate in the same order). It serializes as
// the text (detail::key_serde); reading one needs the pool to intern into,
// set on the reader (detail::reader::use_texts).
//
// Refs of one pool compare equal exactly when their texts do; refs of two
// pools must not be mixed (remap through the text first). A ref stays valid
// as long as its pool lives; text_ref{} is the empty text, shared by all pools.
// Thread-safety: none inside a pool; one writer, or readers only.
#ifndef CSMETRICS_CORE_TEXT_POOL_HPP_
#define CSMETRICS_CORE_TEXT_POOL_HPP_

#include <cstddef>      // std::size_t, std::max_align_t
#include <cstdint>      // std::uint32_t
#include <algorithm>    // std::max, std::sort
#include <cstring>      // std::memcpy
#include <functional>   // std::hash
#include <memory>       // std::unique_ptr
#include <new>          // placement new
#include <optional>     // std::optional
#include <stdexcept>    // std::length_error
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <utility>      // std::pair
#include <vector>       // std::vector

#include "csmetrics/core/hash.hpp"
#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/swar.hpp"
#include "csmetrics/core/error.hpp"

namespace csmetrics {

namespace detail {
/// One interned text: its hash and size, the bytes right behind it.
struct text_entry {
  std::size_t hash;
  std::uint32_t size;
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
};
/// The empty text: text_ref{} of every pool.
inline const text_entry& empty_text() {
  struct with_byte {
    text_entry e;
    char nul;
  };
  static const with_byte empty{{std::hash<std::string_view>{}(std::string_view{}), 0}, '\0'};
  return empty.e;
}
}  // namespace detail

/// A handle to a text interned in a text_pool (see the file comment).
class text_ref {
 public:
  text_ref() noexcept : e_(&detail::empty_text()) {}
  std::string_view view() const noexcept { return {e_->data(), e_->size}; }
  std::string str() const { return std::string(view()); }
  bool empty() const noexcept { return e_->size == 0; }
  /// std::hash<std::string_view> of the text, computed once at interning.
  std::size_t hash() const noexcept { return e_->hash; }

  friend bool operator==(text_ref a, text_ref b) noexcept { return a.e_ == b.e_; }
  friend bool operator!=(text_ref a, text_ref b) noexcept { return a.e_ != b.e_; }
  friend bool operator<(text_ref a, text_ref b) noexcept { return a.e_ != b.e_ && a.view() < b.view(); }
  friend bool operator>(text_ref a, text_ref b) noexcept { return b < a; }
  friend bool operator<=(text_ref a, text_ref b) noexcept { return !(b < a); }
  friend bool operator>=(text_ref a, text_ref b) noexcept { return !(a < b); }

 private:
  friend class text_pool;
  explicit text_ref(const detail::text_entry* e) noexcept : e_(e) {}
  const detail::text_entry* e_;
};

/**
 * Each distinct text once: an arena of blocks for the bytes and an
 * open-addressing table of entries (linear probing, at most 1/2 full).
 *
 *     csmetrics::text_pool pool;
 *     csmetrics::text_ref a = pool.intern("buyer-7");   // stored
 *     csmetrics::text_ref b = pool.intern("buyer-7");   // found: a == b
 *     pool.find("nobody");                              // std::nullopt, nothing stored
 *
 * Cost: intern and find hash the text once and probe a few slots. Memory:
 * 16 bytes of header plus the text (+1, rounded up to 8) per entry, plus 8
 * bytes per table slot (2 to 4 slots per entry). Texts are never freed
 * before the pool.
 */
class text_pool {
 public:
  text_pool() = default;
  text_pool(const text_pool&) = delete;
  text_pool& operator=(const text_pool&) = delete;
  text_pool(text_pool&&) noexcept = default;
  text_pool& operator=(text_pool&&) noexcept = default;

  /// The ref of `s`, storing it on first sight. Throws std::length_error for
  /// a text of 4 GiB or more.
  text_ref intern(std::string_view s) {
    if (s.empty()) return text_ref{};
    if ((size_ + 1) * 2 > slots_.size()) grow();
    const std::size_t mask = slots_.size() - 1;
    const std::uint32_t t = tag(s);
    for (std::size_t i = home(t);; i = (i + 1) & mask) {
      slot& sl = slots_[i];
      if (sl.loc == 0) {
        const detail::text_entry* e = store(s);
        sl = slot{t, loc_of(e)};
        ++size_;
        return text_ref(e);
      }
      if (sl.tag == t) {
        const detail::text_entry* e = entry(sl.loc);
        if (same(e, s)) return text_ref(e);
      }
    }
  }
  /// The ref of `s` when it was interned; stores nothing.
  std::optional<text_ref> find(std::string_view s) const {
    if (s.empty()) return text_ref{};
    if (size_ == 0) return std::nullopt;
    const std::size_t mask = slots_.size() - 1;
    const std::uint32_t t = tag(s);
    for (std::size_t i = home(t);; i = (i + 1) & mask) {
      const slot& sl = slots_[i];
      if (sl.loc == 0) return std::nullopt;
      if (sl.tag == t) {
        const detail::text_entry* e = entry(sl.loc);
        if (same(e, s)) return text_ref(e);
      }
    }
  }
  /// Distinct non-empty texts stored.
  std::size_t size() const { return size_; }
  /// Bytes held: the arena's blocks and the table.
  std::size_t memory_bytes() const { return arena_bytes_ + slots_.size() * sizeof(slots_[0]); }

 private:
  static constexpr std::size_t block_bytes = 64 * 1024;
  static constexpr unsigned offset_bits = 13;  // 8-byte steps in a block
  static constexpr std::size_t max_blocks = (std::size_t{1} << (32 - offset_bits)) - 1;

  // 8 bytes: the tag, which a probe compares before it reads the entry, and
  // where the entry is (its block and 8-byte step in it, + 1; 0: an empty
  // slot). Half the 16 of a hash and a pointer: the table of a million ids
  // is 16 MiB, not 32, and more of it stays in cache.
  struct slot {
    std::uint32_t tag = 0;
    std::uint32_t loc = 0;
  };
  // The probe's own hash (detail::text_hash, inlined; std::hash is a call
  // and ~3x the instructions), its high half: every event's ids are probed,
  // while std::hash, which text_ref::hash() promises, is computed only when
  // a text is stored.
  static std::uint32_t tag(std::string_view s) { return static_cast<std::uint32_t>(detail::text_hash(s) >> 32); }
  std::uint32_t loc_of(const detail::text_entry* e) const {
    const auto* base = reinterpret_cast<const char*>(blocks_.back().get());
    const auto step = static_cast<std::size_t>(reinterpret_cast<const char*>(e) - base) / 8;
    return static_cast<std::uint32_t>((((blocks_.size() - 1) << offset_bits) | step) + 1);
  }
  const detail::text_entry* entry(std::uint32_t loc) const {
    const std::uint32_t l = loc - 1;
    const auto* base = reinterpret_cast<const char*>(blocks_[l >> offset_bits].get());
    return reinterpret_cast<const detail::text_entry*>(base + std::size_t{l & ((1u << offset_bits) - 1)} * 8);
  }
  static bool same(const detail::text_entry* e, std::string_view s) {
    return e->size == s.size() && detail::equal_short(e->data(), s.data(), s.size());
  }
  // The tag, mixed, picks the home slot by its high bits.
  std::size_t home(std::uint32_t t) const { return static_cast<std::size_t>((t * 0x9e3779b97f4a7c15ull) >> shift_); }

  const detail::text_entry* store(std::string_view s) {
    if (s.size() >= UINT32_MAX) CSMETRICS_THROW(std::length_error("csmetrics::text_pool: a text of 4 GiB or more"));
    constexpr std::size_t align = alignof(detail::text_entry);
    const std::size_t need = (sizeof(detail::text_entry) + s.size() + 1 + align - 1) / align * align;
    if (need > static_cast<std::size_t>(end_ - next_)) {
      if (blocks_.size() == max_blocks)
        CSMETRICS_THROW(std::length_error("csmetrics::text_pool: more than 2^19 blocks of texts"));
      const std::size_t n = std::max(need, block_bytes);
      blocks_.emplace_back(new std::max_align_t[(n + sizeof(std::max_align_t) - 1) / sizeof(std::max_align_t)]);
      next_ = reinterpret_cast<char*>(blocks_.back().get());
      end_ = next_ + n;
      arena_bytes_ += n;
    }
    auto* e = new (next_) detail::text_entry{std::hash<std::string_view>{}(s), static_cast<std::uint32_t>(s.size())};
    char* bytes = next_ + sizeof(detail::text_entry);
    std::memcpy(bytes, s.data(), s.size());
    bytes[s.size()] = '\0';
    next_ += need;
    return e;
  }

  void grow() {
    std::vector<slot> old(slots_.empty() ? 16 : slots_.size() * 2);
    old.swap(slots_);
    shift_ = 64;
    for (std::size_t n = slots_.size(); n > 1; n >>= 1) --shift_;
    const std::size_t mask = slots_.size() - 1;
    for (const slot& sl : old) {
      if (sl.loc == 0) continue;
      std::size_t i = home(sl.tag);
      while (slots_[i].loc != 0) i = (i + 1) & mask;
      slots_[i] = sl;
    }
  }

  std::vector<slot> slots_;
  std::size_t size_ = 0;
  unsigned shift_ = 64;
  std::vector<std::unique_ptr<std::max_align_t[]>> blocks_;
  char* next_ = nullptr;
  char* end_ = nullptr;
  std::size_t arena_bytes_ = 0;
};

/// Sorts refs into text order (operator<) and drops repeats. Each text's
/// first 8 bytes, as a big-endian word, decide most comparisons without a
/// call to compare the texts: a report sorts 10^5 shop ids this way.
inline void sort_unique_texts(std::vector<text_ref>& refs) {
  std::vector<std::pair<std::uint64_t, text_ref>> keyed;
  keyed.reserve(refs.size());
  for (const text_ref r : refs) {
    const std::string_view t = r.view();
    std::uint64_t k = 0;
    for (std::size_t i = 0; i < 8; ++i) k = k << 8 | (i < t.size() ? static_cast<unsigned char>(t[i]) : 0u);
    keyed.emplace_back(k, r);
  }
  std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second < b.second;  // (a shorter text pads with 0: ties read the texts)
  });
  refs.clear();
  for (const auto& [k, r] : keyed)
    if (refs.empty() || refs.back() != r) refs.push_back(r);
}

namespace detail {
/// text_ref travels as its text; reading interns into the reader's pool.
template <>
struct key_serde<text_ref> {
  static void write(writer& w, text_ref v) { w.str(v.view()); }
  static text_ref read(reader& r) {
    const std::string_view s = r.str_view();
    text_pool* pool = r.texts();
    if (!pool) r.fail("text ids read without a text pool to intern them into");
    return pool->intern(s);
  }
};
}  // namespace detail
}  // namespace csmetrics

namespace std {
template <>
struct hash<csmetrics::text_ref> {
  std::size_t operator()(csmetrics::text_ref r) const noexcept { return r.hash(); }
};
}  // namespace std

#endif  // CSMETRICS_CORE_TEXT_POOL_HPP_
