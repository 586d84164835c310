// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/core/keyed_traits.hpp
//
// What keyed (keyed.hpp) asks of its keys and values: how a key hashes
// (key_hash, spread by mix_hash), whether a lookup may take another key type
// (is_transparent), and whether an accumulator can say beforehand that its
// merge would throw (checks_merge) or never does (merge_never_throws), so
// that a keyed merge is all or nothing without a copy.
#ifndef CSMETRICS_CORE_KEYED_TRAITS_HPP_
#define CSMETRICS_CORE_KEYED_TRAITS_HPP_

#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint64_t
#include <functional>   // std::hash
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <type_traits>  // std::is_integral_v, std::enable_if_t, std::void_t
#include <utility>      // std::declval

namespace csmetrics {
namespace detail {

/// A 64-bit mixer (wyhash's "mum": 128-bit multiply, fold the halves): every
/// input bit reaches every output bit, so weak user hashes (identity for
/// integers) still spread over the table.
inline std::uint64_t mix_hash(std::uint64_t x) {
  __extension__ using u128 = unsigned __int128;
  const u128 p = static_cast<u128>(x ^ 0x2d358dccaa6c78a5ull) * 0x8bb84b93962eacc9ull;
  return static_cast<std::uint64_t>(p) ^ static_cast<std::uint64_t>(p >> 64);
}

/// The default hash of keyed: integers as they are (keyed mixes every hash),
/// strings through std::hash<std::string_view> (and transparently, so
/// lookups by std::string_view or const char* allocate nothing); other types
/// through std::hash.
template <class Key, class = void>
struct key_hash {
  std::size_t operator()(const Key& k) const { return std::hash<Key>{}(k); }
};
template <class Key>
struct key_hash<Key, std::enable_if_t<std::is_integral_v<Key> || std::is_enum_v<Key>>> {
  std::uint64_t operator()(Key k) const { return static_cast<std::uint64_t>(k); }
};
template <>
struct key_hash<std::string> {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

/// True when Acc::merges_cleanly(other) tells beforehand whether
/// Acc::merge(other) would throw: containers of such accumulators check
/// every pair first and merge in place, without a copy to roll back.
template <class Acc, class = void>
struct checks_merge : std::false_type {};
template <class Acc>
struct checks_merge<Acc, std::void_t<decltype(std::declval<const Acc&>().merges_cleanly(std::declval<const Acc&>()))>>
    : std::true_type {};
/// True for accumulators whose merge cannot fail (sets, flags): nothing to
/// check before merging in place.
template <class Acc, class = void>
struct merge_never_throws : std::false_type {};
template <class Acc>
struct merge_never_throws<Acc, std::enable_if_t<Acc::merge_never_throws>> : std::true_type {};

template <class T, class = void>
struct is_transparent : std::false_type {};
template <class T>
struct is_transparent<T, std::void_t<typename T::is_transparent>> : std::true_type {};

}  // namespace detail
}  // namespace csmetrics

#endif  // CSMETRICS_CORE_KEYED_TRAITS_HPP_
