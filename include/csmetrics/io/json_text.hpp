// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/io/json_text.hpp
//
// Writing JSON text: the buffer the report's JSON is written into
// (json_text), strings with their escapes, and numbers as %.10g writes them.
// The report's objects are report_json.hpp's; this is what they write with.
#ifndef CSMETRICS_IO_JSON_TEXT_HPP_
#define CSMETRICS_IO_JSON_TEXT_HPP_

#include <algorithm>    // std::max
#include <charconv>     // std::to_chars (numbers)
#include <cmath>        // std::isfinite
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint64_t, std::uint32_t
#include <cstdio>       // std::snprintf
#include <cstring>      // std::memcpy
#include <memory>       // std::unique_ptr
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view

#include "csmetrics/core/swar.hpp"

namespace csmetrics {
namespace detail {

/// The JSON text being written: a growing buffer whose appends are inline.
/// std::string's are calls into the library (and a copy through a buffer
/// for each field), and a report of 10^5 shops appends ~10^7 times; its
/// fields are written in place instead (room, commit).
class json_text {
 public:
  json_text() : buf_(new char[4096]), cap_(4096) {}
  json_text(const json_text&) = delete;
  json_text& operator=(const json_text&) = delete;

  void append(const char* p, std::size_t n) {
    if (n == 0) return;  // (p may be null then: memcpy's arguments may not)
    std::memcpy(room(n), p, n);
    size_ += n;
  }
  json_text& operator+=(std::string_view s) {
    append(s.data(), s.size());
    return *this;
  }
  json_text& operator+=(char c) {
    *room(1) = c;
    ++size_;
    return *this;
  }
  /// Where the next `n` bytes go: write them there, then commit(their end).
  char* room(std::size_t n) {
    if (n > cap_ - size_) grow(n);
    return buf_.get() + size_;
  }
  void commit(const char* end) { size_ = static_cast<std::size_t>(end - buf_.get()); }
  const char* data() const { return buf_.get(); }
  std::size_t size() const { return size_; }
  void clear() { size_ = 0; }
  std::string str() const { return std::string(data(), size_); }

 private:
  // Out of line: room() stays a compare and an add, inlined everywhere.
  __attribute__((noinline)) void grow(std::size_t n) {
    const std::size_t cap = std::max(cap_ * 2, size_ + n);
    std::unique_ptr<char[]> b(new char[cap]);
    std::memcpy(b.get(), buf_.get(), size_);
    buf_ = std::move(b);
    cap_ = cap;
  }
  std::unique_ptr<char[]> buf_;
  std::size_t size_ = 0, cap_ = 0;
};

/// True when `s` needs no escape in a JSON string: a word at a time (every
/// key passes here; with no byte to escape no flag is set, so "any flag" is
/// exact), words overlapping at the end.
/// The bytes of a word that a JSON string escapes (control bytes, '"', '\\');
/// only the lowest flag is exact (swar.hpp), so a non-zero mask is.
inline std::uint64_t json_escape_flags(std::uint64_t v) {
  return swar_below(v, 0x20) | swar_equal(v, '"') | swar_equal(v, '\\');
}
inline bool json_plain(std::string_view s) {
  const char* p = s.data();
  const std::size_t n = s.size();
  auto escapes = [](std::uint64_t v) { return json_escape_flags(v) != 0; };
  if (swar_enabled && n >= 8) {
    for (std::size_t i = 0; i + 8 < n; i += 8)
      if (escapes(swar_load(p + i))) return false;
    return !escapes(swar_load(p + n - 8));
  }
  if (swar_enabled && n >= 4) {
    std::uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    return !escapes(a | std::uint64_t{b} << 32);
  }
  for (std::size_t i = 0; i < n; ++i)
    if (static_cast<unsigned char>(p[i]) < 0x20 || p[i] == '"' || p[i] == '\\') return false;
  return true;
}

inline void json_string(json_text& out, std::string_view s) {
  if (s.size() <= 62 && json_plain(s)) {  // the usual id or name: written in place
    char* b = out.room(64);
    b[0] = '"';
    std::memcpy(b + 1, s.data(), s.size());
    b[s.size() + 1] = '"';
    out.commit(b + s.size() + 2);
    return;
  }
  out += '"';
  // Runs of bytes that need no escape are appended whole, found eight bytes
  // at a time (ids and keys rarely hold any): a report of 10^5 shops is 10^8 bytes.
  const char* const b = s.data();
  const std::size_t n = s.size();
  std::size_t run = 0, i = 0;
  for (;;) {
    if (swar_enabled && n >= 8) {  // (n >= 8: g++ 12 then sees no read past a short literal key)
      for (; n - i >= 8; i += 8) {
        const std::uint64_t v = swar_load(b + i);
        const std::uint64_t hits = json_escape_flags(v);
        if (hits) {
          i += swar_first(hits);
          break;
        }
      }
    }
    for (; i < n; ++i) {
      const unsigned char u = static_cast<unsigned char>(b[i]);
      if (u < 0x20 || u == '"' || u == '\\') break;
    }
    out.append(b + run, i - run);
    if (i == n) break;
    const unsigned char u = static_cast<unsigned char>(b[i]);
    switch (u) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", u);
        out += buf;
      }
    }
    run = ++i;
  }
  out += '"';
}

/// 10 significant digits, as printf's %.10g (std::to_chars: the same text,
/// without printf's cost, which a report of 10^5 shops pays 10^7 times), or null.
/// Writes it at p (up to 40 bytes); returns the end.
inline char* json_number_chars(char* p, std::optional<double> v) {
  if (!v || !std::isfinite(*v)) {
    std::memcpy(p, "null", 4);
    return p + 4;
  }
  return std::to_chars(p, p + 40, *v, std::chars_format::general, 10).ptr;
}
inline std::string json_number(std::optional<double> v) {
  char b[40];
  return std::string(b, json_number_chars(b, v));
}

}  // namespace detail
}  // namespace csmetrics

#endif  // CSMETRICS_IO_JSON_TEXT_HPP_
