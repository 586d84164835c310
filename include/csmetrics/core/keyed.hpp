// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/core/keyed.hpp
//
// Per-key breakdowns: one accumulator per agent, shop, day or reminder script,
// in a flat open-addressing hash table (linear probing, power-of-two
// capacity, keys and accumulators stored together in one array) that stays
// fast with millions of keys. Merging merges key by key; the serialized form
// lists the keys in order, so equal states give equal bytes whatever order
// the keys arrived in.
#ifndef CSMETRICS_CORE_KEYED_HPP_
#define CSMETRICS_CORE_KEYED_HPP_

#include <algorithm>    // std::sort, std::max
#include <cstddef>      // std::size_t, std::ptrdiff_t
#include <cstdint>      // std::uint8_t, std::uint32_t, std::uint64_t
#include <functional>   // std::hash, std::equal_to
#include <iterator>     // std::forward_iterator_tag
#include <memory>       // std::unique_ptr, std::shared_ptr
#include <new>          // placement new
#include <stdexcept>    // std::length_error, std::overflow_error
#include <string>       // std::string, std::to_string
#include <string_view>  // std::string_view
#include <type_traits>  // std::is_integral_v, std::enable_if_t
#include <utility>      // std::move, std::swap
#include <vector>       // std::vector

#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/error.hpp"
#include "csmetrics/core/keyed_traits.hpp"

namespace csmetrics {

/**
 * One accumulator per key: responses per agent, orders per shop, sales per
 * day, conversions per reminder script.
 *
 *     csmetrics::keyed<std::string, csmetrics::rate_counter> by_script;
 *     by_script["reminder-b"].add(paid);            // created from the prototype
 *     if (auto* r = by_script.find("reminder-b")) r->rate();
 *     for (auto [script, rate] : by_script) ...;   // unspecified order
 *     by_script.for_each_sorted([](const std::string& k, const rate_counter& r) { ... });
 *
 * A new key's accumulator is a copy of the prototype given at construction
 * (e.g. a quantile_sketch with its accuracy). merge() merges key by key with
 * Acc::merge (keys missing on one side are copied). operator== compares the
 * key sets and accumulators, independent of insertion order and capacity;
 * serialize() writes the keys sorted (Key needs operator<), so the bytes are
 * deterministic.
 *
 * The table: open addressing with linear probing, power-of-two capacity
 * (at most 3/4 full), each slot holding 32 hash bits, the key and the
 * accumulator side by side; a lookup usually touches one cache line. The
 * key's hash (Hash, then a 64-bit mixer) picks the home slot from its top
 * bits. erase() shifts the following entries back (no tombstones). Pointers
 * and references to accumulators stay valid until the next insertion or
 * erase; iteration order is unspecified.
 *
 * Complexity: operator[]/find/erase expected O(1); merge O(other.size());
 * serialize O(n log n) (sorting). Memory: capacity x (8 + sizeof(Key) +
 * sizeof(Acc)) bytes, roughly, capacity < 2.7 x size() past 16 keys; a table
 * starts with 2 slots.
 *
 * Thread-safety: none inside; one writer (shard by key and merge for more).
 */
template <class Key, class Acc, class Hash = detail::key_hash<Key>, class KeyEqual = std::equal_to<>>
class keyed {
  struct slot;

 public:
  using key_type = Key;
  using accumulator_type = Acc;
  /// Format version of serialize().
  static constexpr std::uint8_t format_version = 1;

  /// What iteration yields: `for (auto [key, acc] : table)` or `e.key`, `e.value`.
  template <class V>
  struct entry_ref {
    const Key& key;
    V& value;
  };

  template <bool Const>
  class basic_iterator {
    using slot_ptr = std::conditional_t<Const, const slot*, slot*>;

   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = entry_ref<std::conditional_t<Const, const Acc, Acc>>;
    using reference = value_type;
    using difference_type = std::ptrdiff_t;
    struct pointer {
      value_type ref;
      const value_type* operator->() const { return &ref; }
    };

    basic_iterator() = default;
    basic_iterator(slot_ptr p, slot_ptr end) : p_(p), end_(end) { skip(); }
    template <bool C = Const, class = std::enable_if_t<C>>
    basic_iterator(const basic_iterator<false>& o) : p_(o.p_), end_(o.end_) {}

    reference operator*() const { return {p_->key, p_->value}; }
    pointer operator->() const { return pointer{**this}; }
    basic_iterator& operator++() {
      ++p_;
      skip();
      return *this;
    }
    basic_iterator operator++(int) {
      basic_iterator t = *this;
      ++*this;
      return t;
    }
    friend bool operator==(const basic_iterator& a, const basic_iterator& b) { return a.p_ == b.p_; }
    friend bool operator!=(const basic_iterator& a, const basic_iterator& b) { return a.p_ != b.p_; }

   private:
    friend class keyed;
    friend class basic_iterator<!Const>;
    void skip() {
      while (p_ != end_ && p_->meta == 0) ++p_;
    }
    slot_ptr p_ = nullptr;
    slot_ptr end_ = nullptr;
  };
  using iterator = basic_iterator<false>;
  using const_iterator = basic_iterator<true>;

  /// An empty table; new keys start as copies of `prototype`.
  explicit keyed(Acc prototype = Acc{}, Hash hash = Hash{}, KeyEqual eq = KeyEqual{})
      : prototype_(std::make_shared<const Acc>(std::move(prototype))), hash_(std::move(hash)), eq_(std::move(eq)) {}

  keyed(const keyed& o) : prototype_(o.prototype_), hash_(o.hash_), eq_(o.eq_) {
    if (o.size_ == 0) return;
    allocate(o.bits_);
    for (std::size_t i = 0; i < o.capacity_; ++i) {
      const slot& s = o.slots_[i];
      if (s.meta == 0) continue;
      slot& d = slots_[i];  // same capacity: same positions
      new (&d.key) Key(s.key);
      new (&d.value) Acc(s.value);
      d.meta = s.meta;
      ++size_;
    }
  }
  keyed(keyed&& o) noexcept
      : prototype_(o.prototype_),  // shared, and o stays usable
        hash_(std::move(o.hash_)),
        eq_(std::move(o.eq_)),
        slots_(std::move(o.slots_)),
        capacity_(o.capacity_),
        size_(o.size_),
        bits_(o.bits_) {
    o.capacity_ = o.size_ = 0;
    o.bits_ = 0;
  }
  keyed& operator=(const keyed& o) {
    if (this != &o) {
      keyed t(o);
      swap(t);
    }
    return *this;
  }
  keyed& operator=(keyed&& o) noexcept {
    if (this != &o) {
      destroy_all();
      slots_.reset();
      prototype_ = o.prototype_;
      hash_ = std::move(o.hash_);
      eq_ = std::move(o.eq_);
      slots_ = std::move(o.slots_);
      capacity_ = o.capacity_;
      size_ = o.size_;
      bits_ = o.bits_;
      o.capacity_ = o.size_ = 0;
      o.bits_ = 0;
    }
    return *this;
  }
  ~keyed() { destroy_all(); }

  void swap(keyed& o) noexcept {
    using std::swap;
    swap(prototype_, o.prototype_);
    swap(hash_, o.hash_);
    swap(eq_, o.eq_);
    swap(slots_, o.slots_);
    swap(capacity_, o.capacity_);
    swap(size_, o.size_);
    swap(bits_, o.bits_);
  }

  // --- access ---------------------------------------------------------------

  /// The accumulator of `k`, created from the prototype when new.
  Acc& operator[](const Key& k) { return emplace_key(k); }
  Acc& operator[](Key&& k) { return emplace_key(std::move(k)); }
  /// Heterogeneous lookup (std::string keys by std::string_view or const
  /// char*): the key is built only when it is new.
  template <class K, class H = Hash,
            class = std::enable_if_t<detail::is_transparent<H>::value && !std::is_same_v<std::decay_t<K>, Key>>>
  Acc& operator[](const K& k) {
    return emplace_key(k);
  }

  /// The accumulator of `k`, or nullptr.
  template <class K>
  const Acc* find(const K& k) const {
    const slot* s = lookup(k);
    return s ? &s->value : nullptr;
  }
  template <class K>
  Acc* find(const K& k) {
    const slot* s = lookup(k);
    return s ? &const_cast<slot*>(s)->value : nullptr;
  }
  const Acc* find(const Key& k) const { return find<Key>(k); }
  Acc* find(const Key& k) { return find<Key>(k); }
  bool contains(const Key& k) const { return lookup(k) != nullptr; }

  /// Removes `k`; true when it was there.
  bool erase(const Key& k) {
    const slot* found = lookup(k);
    if (!found) return false;
    std::size_t i = static_cast<std::size_t>(found - slots_.get());
    destroy(slots_[i]);
    // Backward shift: move later entries of the cluster into the hole when
    // their home slot is not after the hole.
    const std::size_t mask = capacity_ - 1;
    for (std::size_t j = (i + 1) & mask; slots_[j].meta != 0; j = (j + 1) & mask) {
      const std::size_t home = home_of(slots_[j].meta);
      if (((j - home) & mask) >= ((j - i) & mask)) {
        move_slot(slots_[j], slots_[i]);
        i = j;
      }
    }
    --size_;
    return true;
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  /// Slots allocated (a power of two, or 0).
  std::size_t capacity() const { return capacity_; }
  /// Makes room for `n` keys without rehashing.
  void reserve(std::size_t n) {
    unsigned bits = 1;  // 2 slots: most keyed tables (a shop's channels, a day's agents) stay tiny
    while (max_load(std::size_t{1} << bits) < n) ++bits;
    if (bits > bits_ || capacity_ == 0) rehash(bits);
  }
  const Acc& prototype() const { return *prototype_; }

  /// Calls f(const Key&, const Acc&) for every key, in unspecified order.
  template <class F>
  void for_each(F f) const {
    for (std::size_t i = 0; i < capacity_; ++i)
      if (slots_[i].meta != 0) f(static_cast<const Key&>(slots_[i].key), static_cast<const Acc&>(slots_[i].value));
  }
  /// Calls f(const Key&, Acc&) for every key, in unspecified order.
  template <class F>
  void for_each(F f) {
    for (std::size_t i = 0; i < capacity_; ++i)
      if (slots_[i].meta != 0) f(static_cast<const Key&>(slots_[i].key), slots_[i].value);
  }
  /// Calls f(const Key&, const Acc&) for every key in increasing key order.
  template <class F>
  void for_each_sorted(F f) const {
    for (const slot* s : sorted()) f(static_cast<const Key&>(s->key), static_cast<const Acc&>(s->value));
  }

  iterator begin() { return iterator(slots_.get(), slots_.get() + capacity_); }
  iterator end() { return iterator(slots_.get() + capacity_, slots_.get() + capacity_); }
  const_iterator begin() const { return const_iterator(slots_.get(), slots_.get() + capacity_); }
  const_iterator end() const { return const_iterator(slots_.get() + capacity_, slots_.get() + capacity_); }

  // --- the common verbs -----------------------------------------------------

  /// Key by key: this[k].merge(other[k]) for every key of other. All or
  /// nothing: if a child's merge throws (a counter would overflow), *this is
  /// unchanged. Accumulators with merges_cleanly() (the counters, sketches,
  /// sets) are checked first and merged in place; others are merged into a
  /// copy that replaces *this at the end.
  void merge(const keyed& other) {
    if (&other == this) {
      const keyed copy = other;
      merge(copy);
      return;
    }
    if constexpr (detail::merge_never_throws<Acc>::value) {
      merge_in_place(other);
    } else if constexpr (detail::checks_merge<Acc>::value) {
      throw_unless_clean(other);
      merge_in_place(other);
    } else {
      keyed out = *this;
      out.merge_in_place(other);
      *this = std::move(out);
    }
  }

  /// The same, taking `other`'s entries: a key this table lacks moves over
  /// whole (no copy), a shared key merges as above (child.merge(std::move(v))).
  /// `other` ends empty. All or nothing for accumulators with
  /// merges_cleanly(); for others (the families' nested tables) a failing
  /// child leaves the keys merged before it merged (nothing wraps): the
  /// families' own merge(const&) copies first where they promise more.
  void merge(keyed&& other) {
    if (&other == this) return merge(static_cast<const keyed&>(other));
    if constexpr (!detail::merge_never_throws<Acc>::value && detail::checks_merge<Acc>::value)
      throw_unless_clean(other);
    if (other.size_ != 0) reserve(std::max(size_, other.size_));  // see merge_in_place
    for (std::size_t i = 0; i < other.capacity_; ++i) {
      slot& s = other.slots_[i];
      if (s.meta == 0) continue;
      if (const slot* mine = lookup(s.key))
        const_cast<slot*>(mine)->value.merge(std::move(s.value));
      else
        insert_new(std::move(s.key), std::move(s.value));
    }
    other.destroy_all();
  }

  /// True when merge(other) would not throw: every key of both merges cleanly.
  template <class A = Acc, std::enable_if_t<detail::checks_merge<A>::value, int> = 0>
  bool merges_cleanly(const keyed& other) const {
    return first_unclean(other) == nullptr;
  }

  /// Removes every key (the capacity stays).
  void reset() { destroy_all(); }

  // Serialized form (after the common header, type id 6, version 1):
  //   ...      prototype (its own full form)
  //   varint   n, the number of keys
  //   n times, keys strictly increasing:
  //     key    detail::key_serde<Key> (integers: varint / zig-zag varint;
  //            strings: varint length + bytes)
  //     ...    accumulator (its own full form)
  void serialize_to(detail::writer& w) const {
    write_head(w, *prototype_, size_);
    for (const slot* s : sorted()) {
      detail::key_serde<Key>::write(w, s->key);
      s->value.serialize_to(w);
    }
  }

  /// The form's start (header, prototype, n), for a container that holds its
  /// entries another way but writes this form (sales_shop); n entries follow.
  static void write_head(detail::writer& w, const Acc& prototype, std::size_t n) {
    w.header(detail::type_id::keyed, format_version);
    prototype.serialize_to(w);
    w.varint(n);
  }

  static keyed deserialize_from(detail::reader& r) {
    r.header(detail::type_id::keyed, "keyed", format_version);
    keyed out(Acc::deserialize_from(r));
    r.check(detail::is_empty_prototype(*out.prototype_), "the prototype is empty (configuration only)");
    const std::size_t n = r.count(7, "keys");  // a key byte + an accumulator header at least
    out.reserve(n);
    const Key* previous = nullptr;  // stays put: the table has room for n keys
    for (std::size_t i = 0; i < n; ++i) {
      Key k = detail::key_serde<Key>::read(r);
      r.check(previous == nullptr || *previous < k, "keys strictly increasing");
      Acc v = Acc::deserialize_from(r);
      r.check(detail::same_configuration(*out.prototype_, v), "every value has the prototype's configuration");
      previous = &out.insert_new(std::move(k), std::move(v)).key;
    }
    return out;
  }

  std::vector<std::uint8_t> serialize() const { return detail::serialize(*this); }
  static keyed deserialize(const void* data, std::size_t size) { return detail::deserialize<keyed>(data, size); }

  /// Same prototype and the same keys with equal accumulators.
  friend bool operator==(const keyed& a, const keyed& b) {
    if (a.size_ != b.size_ || (a.prototype_ != b.prototype_ && !(*a.prototype_ == *b.prototype_))) return false;
    for (std::size_t i = 0; i < a.capacity_; ++i) {
      const slot& s = a.slots_[i];
      if (s.meta == 0) continue;
      const slot* t = b.lookup(s.key);
      if (!t || !(t->value == s.value)) return false;
    }
    return true;
  }
  friend bool operator!=(const keyed& a, const keyed& b) { return !(a == b); }

 private:
  // The value before the key: a small value (a set's empty one, flag bits)
  // then fits in the padding after meta (16-byte slots for 8-byte keys, not 24).
  struct slot {
    std::uint32_t meta;  // 0: empty; else the hash's top 32 bits | 1
    union {
      Acc value;
    };
    union {
      Key key;
    };
    slot() : meta(0) {}
    ~slot() {}
  };

  // At most 3/4 full; a table of 2 holds 1 (a lookup must meet an empty slot).
  static std::size_t max_load(std::size_t capacity) {
    return capacity < 2 ? 0 : capacity <= 4 ? capacity - 1 : capacity / 4 * 3;
  }

  std::uint32_t meta_of(std::uint64_t h) const { return static_cast<std::uint32_t>(h >> 32) | 1u; }
  std::size_t home_of(std::uint32_t meta) const { return static_cast<std::size_t>(std::uint64_t{meta} >> (32 - bits_)); }

  template <class K>
  std::uint32_t meta_for(const K& k) const {
    return meta_of(detail::mix_hash(static_cast<std::uint64_t>(hash_(k))));
  }

  template <class K>
  const slot* lookup(const K& k) const {
    if (size_ == 0) return nullptr;
    const std::uint32_t m = meta_for(k);
    const std::size_t mask = capacity_ - 1;
    for (std::size_t i = home_of(m);; i = (i + 1) & mask) {
      const slot& s = slots_[i];
      if (s.meta == m && eq_(s.key, k)) return &s;
      if (s.meta == 0) return nullptr;
    }
  }

  template <class K>
  Acc& emplace_key(K&& k) {
    if (size_ >= max_load(capacity_)) grow();
    const std::uint32_t m = meta_for(k);
    const std::size_t mask = capacity_ - 1;
    for (std::size_t i = home_of(m);; i = (i + 1) & mask) {
      slot& s = slots_[i];
      if (s.meta == m && eq_(s.key, k)) return s.value;
      if (s.meta == 0) {
        new (&s.key) Key(std::forward<K>(k));
        try_construct_value(s);
        s.meta = m;
        ++size_;
        return s.value;
      }
    }
  }

  void try_construct_value(slot& s) {
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
    try {
      new (&s.value) Acc(*prototype_);
    } catch (...) {
      s.key.~Key();
      throw;
    }
#else
    new (&s.value) Acc(*prototype_);
#endif
  }

  /// Inserts a key known to be absent.
  slot& insert_new(Key&& k, Acc&& v) {
    if (size_ >= max_load(capacity_)) grow();
    const std::uint32_t m = meta_for(k);
    const std::size_t mask = capacity_ - 1;
    std::size_t i = home_of(m);
    while (slots_[i].meta != 0) i = (i + 1) & mask;
    slot& s = slots_[i];
    new (&s.key) Key(std::move(k));
    new (&s.value) Acc(std::move(v));
    s.meta = m;
    ++size_;
    return s;
  }

  void grow() { rehash(capacity_ == 0 ? 1 : bits_ + 1); }

  void allocate(unsigned bits) {
    if (bits > 31) CSMETRICS_THROW(std::length_error("csmetrics::keyed: more than 2^31 slots"));
    slots_.reset(new slot[std::size_t{1} << bits]);
    capacity_ = std::size_t{1} << bits;
    bits_ = bits;
    size_ = 0;
  }

  void rehash(unsigned bits) {
    std::unique_ptr<slot[]> old = std::move(slots_);
    const std::size_t old_capacity = capacity_;
    const std::size_t n = size_;
    allocate(bits);
    const std::size_t mask = capacity_ - 1;
    for (std::size_t j = 0; j < old_capacity; ++j) {
      slot& s = old[j];
      if (s.meta == 0) continue;
      std::size_t i = home_of(s.meta);
      while (slots_[i].meta != 0) i = (i + 1) & mask;
      move_slot(s, slots_[i]);
    }
    size_ = n;
  }

  /// Moves a full slot into an empty one; `from` ends empty.
  static void move_slot(slot& from, slot& to) {
    new (&to.key) Key(std::move(from.key));
    new (&to.value) Acc(std::move(from.value));
    to.meta = from.meta;
    destroy(from);
  }
  static void destroy(slot& s) {
    s.key.~Key();
    s.value.~Acc();
    s.meta = 0;
  }
  void destroy_all() {
    for (std::size_t i = 0; i < capacity_; ++i)
      if (slots_[i].meta != 0) destroy(slots_[i]);
    size_ = 0;
  }

  std::vector<const slot*> sorted() const {
    std::vector<const slot*> out;
    out.reserve(size_);
    for (std::size_t i = 0; i < capacity_; ++i)
      if (slots_[i].meta != 0) out.push_back(&slots_[i]);
    std::sort(out.begin(), out.end(), [](const slot* a, const slot* b) { return a->key < b->key; });
    return out;
  }

  // Shared by copies: a nested keyed (a shop's days) does not carry its own
  // copy of the prototype in every value, and it is never changed.
  std::shared_ptr<const Acc> prototype_;
  void merge_in_place(const keyed& other) {
    // Room for other's keys first: inserting a larger table's slots in their
    // order into a smaller table (homes from the same hash bits) piles them
    // into one cluster, which made merges quadratic.
    if (other.size_ != 0) reserve(std::max(size_, other.size_));
    for (std::size_t i = 0; i < other.capacity_; ++i) {
      const slot& s = other.slots_[i];
      if (s.meta != 0) emplace_key(s.key).merge(s.value);
    }
  }
  /// other's first slot whose key this table holds with a value that would
  /// not merge cleanly with it; nullptr when there is none.
  const slot* first_unclean(const keyed& other) const {
    if (size_ == 0) return nullptr;
    for (std::size_t i = 0; i < other.capacity_; ++i) {
      const slot& s = other.slots_[i];
      if (s.meta == 0) continue;
      if (const slot* mine = lookup(s.key); mine && !mine->value.merges_cleanly(s.value)) return &s;
    }
    return nullptr;
  }
  /// Throws what the failing child's merge throws, before anything changes.
  void throw_unless_clean(const keyed& other) const {
    const slot* bad = first_unclean(other);
    if (!bad) return;
    Acc probe = lookup(bad->key)->value;
    probe.merge(bad->value);  // throws
    CSMETRICS_THROW(std::overflow_error("csmetrics::keyed::merge: a value would not merge"));
  }

  Hash hash_;
  KeyEqual eq_;
  std::unique_ptr<slot[]> slots_;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
  unsigned bits_ = 0;
};

}  // namespace csmetrics

#endif  // CSMETRICS_CORE_KEYED_HPP_
