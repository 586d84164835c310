// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/core/utf8.hpp
//
// UTF-8 checks for text ids (EVENTS.md: ids are UTF-8). An id that is not
// valid UTF-8 would make every output invalid: a JSON parser refuses the
// whole document, promtool the whole exposition. The event reader rejects
// such rows (io/event_csv.hpp, row_error::invalid_utf8).
//
// is_ascii() is the fast path: almost every id is ASCII, and 8 bytes are
// checked per step. utf8_error_offset() is the full check of RFC 3629 (the
// Unicode standard's table 3-7): no overlong forms, no surrogates
// (U+D800..U+DFFF), nothing past U+10FFFF, no truncated sequence.
#ifndef CSMETRICS_CORE_UTF8_HPP_
#define CSMETRICS_CORE_UTF8_HPP_

#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint64_t
#include <cstring>      // std::memcpy
#include <string>       // std::string (escaped text for messages)
#include <string_view>  // std::string_view

namespace csmetrics {
namespace detail {

/// True when every byte of [p, p + n) is below 0x80.
inline bool is_ascii(const char* p, std::size_t n) noexcept {
  std::uint64_t any = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    any |= w;
  }
  for (; i < n; ++i) any |= static_cast<unsigned char>(p[i]);
  return (any & 0x8080808080808080ull) == 0;
}

/// The offset of the first byte of `s` that does not start a well-formed
/// UTF-8 sequence (RFC 3629), or std::string_view::npos when `s` is valid.
/// ASCII runs go 8 bytes a step; a multi-byte sequence costs a few compares.
inline std::size_t utf8_error_offset(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      for (std::uint64_t w; i + 8 <= n; i += 8) {  // the rest of an ASCII run
        std::memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080ull) break;
      }
      continue;
    }
    if (c < 0xE0) {  // 2 bytes: C2..DF 80..BF (80..C1: a stray continuation or an overlong lead)
      if (c < 0xC2 || n - i < 2 || (p[i + 1] & 0xC0) != 0x80) return i;
      i += 2;
    } else if (c < 0xF0) {  // 3 bytes: E0 A0..BF, ED 80..9F (no surrogates), else 80..BF; then 80..BF
      if (n - i < 3 || (p[i + 1] & 0xC0) != 0x80 || (p[i + 2] & 0xC0) != 0x80) return i;
      if ((c == 0xE0 && p[i + 1] < 0xA0) || (c == 0xED && p[i + 1] > 0x9F)) return i;
      i += 3;
    } else {  // 4 bytes: F0 90..BF, F1..F3 80..BF, F4 80..8F (<= U+10FFFF); then 80..BF twice
      if (c > 0xF4 || n - i < 4 || (p[i + 1] & 0xC0) != 0x80 || (p[i + 2] & 0xC0) != 0x80 ||
          (p[i + 3] & 0xC0) != 0x80)
        return i;
      if ((c == 0xF0 && p[i + 1] < 0x90) || (c == 0xF4 && p[i + 1] > 0x8F)) return i;
      i += 4;
    }
  }
  return std::string_view::npos;
}

/// True when `s` is valid UTF-8: the ASCII fast path, then the full check.
inline bool valid_utf8(std::string_view s) noexcept {
  return is_ascii(s.data(), s.size()) || utf8_error_offset(s) == std::string_view::npos;
}

/// `s` for a message, itself valid UTF-8: printable ASCII and well-formed
/// multi-byte characters as they are, every other byte as \xHH (and '\' as
/// \x5c); the first `max` bytes of `s` or so (never half a character), then "...".
inline std::string escape_bytes(std::string_view s, std::size_t max = 32) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size() && i < max) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (c >= 0x80 && len > 1 && s.size() - i >= len &&
        utf8_error_offset(s.substr(i, len)) == std::string_view::npos) {
      out.append(s.data() + i, len);
      i += len;
      continue;
    }
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += "0123456789abcdef"[c >> 4];
      out += "0123456789abcdef"[c & 15];
    }
    ++i;
  }
  if (i < s.size()) out += "...";
  return out;
}

}  // namespace detail
}  // namespace csmetrics

#endif  // CSMETRICS_CORE_UTF8_HPP_
