// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/io/csv_bytes.hpp
//
// The CSV reader's byte scanners (io/event_csv_impl.hpp): which bytes end or
// spoil an unquoted field, found a byte, a word or a 16-byte block at a time.
// Every row passes here, so each takes the widest step the platform allows.
#ifndef CSMETRICS_IO_CSV_BYTES_HPP_
#define CSMETRICS_IO_CSV_BYTES_HPP_

#include <cstddef>  // std::size_t
#include <cstdint>  // std::uint32_t, std::uint64_t

#include "csmetrics/core/swar.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>  // the row splitter's 16-byte blocks
#endif

namespace csmetrics {
namespace detail {

/// Byte classes of unquoted field text: 0 plain ASCII, 1 ',', 2 '"', 3 CR,
/// 4 a byte >= 0x80 (plain too, but the field needs the UTF-8 check).
struct csv_byte_table {
  unsigned char cls[256] = {};
  constexpr csv_byte_table() {
    cls[static_cast<unsigned char>(',')] = 1;
    cls[static_cast<unsigned char>('"')] = 2;
    cls[static_cast<unsigned char>('\r')] = 3;
    for (int c = 0x80; c < 0x100; ++c) cls[c] = 4;
  }
};
inline constexpr csv_byte_table csv_bytes{};

/// The first byte in [p, e) of class != 0 (',', '"', CR or >= 0x80), or e.
inline const char* skip_plain(const char* p, const char* e) {
  if constexpr (swar_enabled) {
    for (; e - p >= 8; p += 8) {
      const std::uint64_t v = swar_load(p);
      const std::uint64_t hits = swar_equal(v, ',') | swar_equal(v, '"') | swar_equal(v, '\r') | swar_high(v);
      if (hits) return p + swar_first(hits);
    }
  }
  while (p < e && csv_bytes.cls[static_cast<unsigned char>(*p)] == 0) ++p;
  return p;
}

/// A block of a row's bytes, marked: its commas, its line feeds and the
/// bytes that spoil a plain field ('"', CR, >= 0x80), one flag per byte in
/// address order (the row splitter walks the commas before the first line
/// feed). With SSE2 (every x86-64) a block is 16 bytes compared at once; else
/// 8 bytes in a word, flagged exactly (each byte's high bit).
struct csv_block {
#if defined(__SSE2__)
  static constexpr std::size_t size = 16;
  using flags = std::uint32_t;
  struct marks {
    flags comma, lf, spoil;
  };
  static marks scan(const char* p) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    auto is = [v](char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); };
    auto bits = [](__m128i m) { return static_cast<flags>(_mm_movemask_epi8(m)); };
    return {bits(is(',')), bits(is('\n')), bits(_mm_or_si128(_mm_or_si128(is('"'), is('\r')), v))};  // (v: bytes >= 0x80)
  }
  /// The byte of the lowest flag.
  static std::size_t first(flags f) { return static_cast<std::size_t>(__builtin_ctz(f)); }
#else
  static constexpr std::size_t size = 8;
  using flags = std::uint64_t;
  struct marks {
    flags comma, lf, spoil;
  };
  static marks scan(const char* p) {
    const std::uint64_t v = swar_load(p);
    auto is = [v](char c) { return swar_below_exact(v ^ (swar_ones * static_cast<unsigned char>(c)), 1); };
    return {is(','), is('\n'), is('"') | is('\r') | swar_high(v)};
  }
  static std::size_t first(flags f) { return swar_first(f); }
#endif
};

}  // namespace detail
}  // namespace csmetrics

#endif  // CSMETRICS_IO_CSV_BYTES_HPP_
