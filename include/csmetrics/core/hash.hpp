// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/core/hash.hpp
//
// The integer mix every hand-probed table of the families hashes with.
// std::hash of an integer is the identity in libstdc++ and sequential ids
// differ only in their low bits, which linear probing cannot use as they are.
#ifndef CSMETRICS_CORE_HASH_HPP_
#define CSMETRICS_CORE_HASH_HPP_

#include <cstdint>      // std::uint64_t
#include <functional>   // std::hash
#include <type_traits>  // std::is_integral_v

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

/// Hash of a (shop, id) pair.
template <class Shop, class Id>
std::uint64_t pair_hash(const Shop& shop, const Id& id) {
  return mix64(id_hash(id) ^ (id_hash(shop) * 0x9e3779b97f4a7c15ULL));
}

}  // namespace detail
}  // namespace csmetrics

#endif  // CSMETRICS_CORE_HASH_HPP_
