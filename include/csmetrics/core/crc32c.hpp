// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/core/crc32c.hpp
//
// CRC32C (Castagnoli: reflected polynomial 0x82F63B78, initial value and
// final xor 0xFFFFFFFF; the CRC of iSCSI, ext4 and SCTP), the checksum of the
// serialized form's frame (serde.hpp). Portable: slicing-by-8 over tables
// computed at compile time (8 KiB), a byte at a time for the tail; with
// SSE4.2 enabled at compile time (-msse4.2, -march=native) the CPU's crc32
// instruction instead. Both give the same value: crc32c("123456789") is
// 0xE3069283.
#ifndef CSMETRICS_CORE_CRC32C_HPP_
#define CSMETRICS_CORE_CRC32C_HPP_

#include <cstddef>  // std::size_t
#include <cstdint>  // std::uint32_t, std::uint64_t
#include <cstring>  // std::memcpy

#if defined(__SSE4_2__) && defined(__x86_64__)
#include <nmmintrin.h>  // _mm_crc32_u64, _mm_crc32_u8
#endif

namespace csmetrics {
namespace detail {

struct crc32c_tables {
  std::uint32_t t[8][256];
};

/// t[0] is the byte-at-a-time table; t[k][b] is the CRC of byte b followed
/// by k zero bytes, so that 8 bytes are folded with 8 lookups.
constexpr crc32c_tables make_crc32c_tables() {
  crc32c_tables tab{};
  for (std::uint32_t b = 0; b < 256; ++b) {
    std::uint32_t c = b;
    for (int bit = 0; bit < 8; ++bit) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
    tab.t[0][b] = c;
  }
  for (int k = 1; k < 8; ++k)
    for (int b = 0; b < 256; ++b) {
      const std::uint32_t prev = tab.t[k - 1][b];
      tab.t[k][b] = (prev >> 8) ^ tab.t[0][prev & 0xffu];
    }
  return tab;
}

inline constexpr crc32c_tables crc32c_table = make_crc32c_tables();

/// Continues a CRC32C: crc32c(b, nb, crc32c(a, na)) == crc32c(a + b, na + nb).
inline std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc = 0) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  std::uint32_t c = ~crc;
#if defined(__SSE4_2__) && defined(__x86_64__)
  std::uint64_t c64 = c;
  for (; size >= 8; p += 8, size -= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);  // the instruction reads it little-endian, as x86 stores it
    c64 = _mm_crc32_u64(c64, word);
  }
  c = static_cast<std::uint32_t>(c64);
  for (; size > 0; ++p, --size) c = _mm_crc32_u8(c, *p);
#else
  const auto& t = crc32c_table.t;
  for (; size >= 8; p += 8, size -= 8) {
    const std::uint32_t lo = c ^ (std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
                                  std::uint32_t{p[3]} << 24);
    c = t[7][lo & 0xffu] ^ t[6][(lo >> 8) & 0xffu] ^ t[5][(lo >> 16) & 0xffu] ^ t[4][lo >> 24] ^ t[3][p[4]] ^
        t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
  }
  for (; size > 0; ++p, --size) c = t[0][(c ^ *p) & 0xffu] ^ (c >> 8);
#endif
  return ~c;
}

}  // namespace detail
}  // namespace csmetrics

#endif  // CSMETRICS_CORE_CRC32C_HPP_
