// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/core/swar.hpp
//
// Scanning text eight bytes at a time in a 64-bit word (SWAR): the CSV
// reader looks for the end of a field, the JSON writer for a byte to escape;
// short texts compare in a few loads (equal_short).
// Ids and keys are mostly plain text, and a byte at a time was a quarter of
// reading a row. Each mask flags a byte in its high bit; above the lowest
// flagged byte a borrow can flag bytes falsely, so only the lowest flagged
// byte of a mask, or of a union of masks, is exact: use swar_first(), or
// swar_below_exact where every hit counts.
// Where the compiler or the byte order does not allow it, swar_enabled is
// false and callers scan a byte at a time.
#ifndef CSMETRICS_CORE_SWAR_HPP_
#define CSMETRICS_CORE_SWAR_HPP_

#include <cstddef>  // std::size_t
#include <cstdint>  // std::uint64_t
#include <cstring>  // std::memcpy

namespace csmetrics {
namespace detail {

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
inline constexpr bool swar_enabled = true;
#else
inline constexpr bool swar_enabled = false;
#endif

inline constexpr std::uint64_t swar_ones = 0x0101010101010101ull;
inline constexpr std::uint64_t swar_highs = 0x8080808080808080ull;

/// Eight bytes from `p` (any alignment).
inline std::uint64_t swar_load(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
/// Bytes below `n` (n <= 128).
constexpr std::uint64_t swar_below(std::uint64_t v, unsigned char n) { return (v - swar_ones * n) & ~v & swar_highs; }
/// Bytes equal to `c`.
constexpr std::uint64_t swar_equal(std::uint64_t v, char c) {
  return swar_below(v ^ (swar_ones * static_cast<unsigned char>(c)), 1);
}
/// Bytes below `n` (n <= 128), each flagged exactly (no borrow runs into
/// the next byte): a mask whose every hit is walked, as a row's commas are.
constexpr std::uint64_t swar_below_exact(std::uint64_t v, unsigned char n) {
  return ~((v | swar_highs) - swar_ones * n) & ~v & swar_highs;
}
/// Bytes >= 0x80.
constexpr std::uint64_t swar_high(std::uint64_t v) { return v & swar_highs; }
/// The index (0..7) of the lowest flagged byte of a non-zero mask.
inline std::size_t swar_first(std::uint64_t hits) {
#if defined(__GNUC__)
  return static_cast<std::size_t>(__builtin_ctzll(hits)) >> 3;
#else
  std::size_t i = 0;
  while (!(hits & 0x80)) hits >>= 8, ++i;
  return i;
#endif
}

/// The n bytes at a and at b are the same. Ids and type names are short: up
/// to 16 bytes compare as two overlapping 8-byte (or 4-byte) loads from each
/// side (or byte by byte below 4), in bounds and without a call to memcmp.
inline bool equal_short(const char* a, const char* b, std::size_t n) {
  auto load4 = [](const char* p) {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
  };
  if (n >= 8 && n <= 16) return swar_load(a) == swar_load(b) && swar_load(a + n - 8) == swar_load(b + n - 8);
  if (n >= 4 && n < 8) return load4(a) == load4(b) && load4(a + n - 4) == load4(b + n - 4);
  if (n < 4) return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);  // each byte
  return std::memcmp(a, b, n) == 0;
}

}  // namespace detail
}  // namespace csmetrics

#endif  // CSMETRICS_CORE_SWAR_HPP_
