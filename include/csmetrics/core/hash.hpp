// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/core/hash.hpp
//
// The integer mix every hand-probed table of the families hashes with.
// std::hash of an integer is the identity in libstdc++ and sequential ids
// differ only in their low bits, which linear probing cannot use as they are.
// And text_hash: the text pool's probe hash, inlined word loads for the
// short ids of an event (std::hash of a text is a call to murmur2).
#ifndef CSMETRICS_CORE_HASH_HPP_
#define CSMETRICS_CORE_HASH_HPP_

#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint64_t, std::uint32_t
#include <cstring>      // std::memcpy
#include <functional>   // std::hash
#include <string_view>  // std::string_view
#include <type_traits>  // std::is_integral_v

#include "csmetrics/core/swar.hpp"

namespace csmetrics {
namespace detail {

/// murmur3's 64-bit finalizer: every input bit reaches every output bit.
inline std::uint64_t mix64(std::uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

/// Hash of any id: integers directly, everything else through std::hash.
template <class Id>
std::uint64_t id_hash(const Id& id) {
  if constexpr (std::is_integral_v<Id>)
    return mix64(static_cast<std::uint64_t>(id));
  else
    return mix64(static_cast<std::uint64_t>(std::hash<Id>{}(id)));
}

/// A hash of a text for probing a table (not std::hash: see the file
/// comment). Up to 16 bytes: two overlapping word loads, as equal_short
/// compares them; longer texts fold each 8 bytes in with a multiply. The
/// size goes in too, so texts differing only in length differ.
inline std::uint64_t text_hash(std::string_view s) {
  const char* p = s.data();
  const std::size_t n = s.size();
  std::uint64_t a, b;
  if (n >= 8) {
    a = swar_load(p);
    for (std::size_t i = 8; i + 8 < n; i += 8) a = mix64(a ^ swar_load(p + i));
    b = swar_load(p + n - 8);
  } else if (n >= 4) {
    std::uint32_t x, y;
    std::memcpy(&x, p, 4);
    std::memcpy(&y, p + n - 4, 4);
    a = x;
    b = y;
  } else {
    a = n == 0 ? 0 : static_cast<unsigned char>(p[0]) | static_cast<unsigned char>(p[n / 2]) << 8 |
                         static_cast<std::uint64_t>(static_cast<unsigned char>(p[n - 1])) << 16;
    b = 0;
  }
  return mix64(a ^ (b * 0x9e3779b97f4a7c15ULL) ^ (static_cast<std::uint64_t>(n) << 56));
}

/// Hash of a (shop, id) pair.
template <class Shop, class Id>
std::uint64_t pair_hash(const Shop& shop, const Id& id) {
  return mix64(id_hash(id) ^ (id_hash(shop) * 0x9e3779b97f4a7c15ULL));
}

}  // namespace detail
}  // namespace csmetrics

#endif  // CSMETRICS_CORE_HASH_HPP_
