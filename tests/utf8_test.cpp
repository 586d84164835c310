// SPDX-License-Identifier: Apache-2.0
// UTF-8 checks (core/utf8.hpp): every 1-, 2- and 3-byte string and every
// 4-byte string with a 4-byte lead against a decoder written from RFC 3629's
// definition (code point ranges, not byte tables); the ASCII fast path; the
// escaping of bytes for messages.
#include "csmetrics/core/utf8.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>

using csmetrics::detail::escape_bytes;
using csmetrics::detail::is_ascii;
using csmetrics::detail::utf8_error_offset;
using csmetrics::detail::valid_utf8;

namespace {

constexpr std::size_t npos = std::string_view::npos;

/// RFC 3629 by its definition: decode each sequence to a code point, then
/// refuse the overlong (a shorter form exists), surrogates and > U+10FFFF.
std::size_t reference_error(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len;
    std::uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07u;
    } else {
      return i;
    }
    if (s.size() - i < len) return i;
    for (std::size_t k = 1; k < len; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (d & 0x3Fu);
    }
    const std::uint32_t least = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
    if (cp < least || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return i;
    i += len;
  }
  return npos;
}

}  // namespace

TEST_CASE("utf8: every short string agrees with the definition", "[utf8]") {
  std::uint64_t checked = 0, bad = 0;
  std::string s;
  for (int a = 0; a < 256; ++a) {
    s.assign(1, static_cast<char>(a));
    bad += utf8_error_offset(s) != reference_error(s);
    for (int b = 0; b < 256; ++b) {
      s.assign({static_cast<char>(a), static_cast<char>(b)});
      bad += utf8_error_offset(s) != reference_error(s);
      if (a < 0xC0) continue;  // a 3-byte string that starts with ASCII or a stray byte: covered above
      for (int c = 0; c < 256; ++c) {
        s.assign({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)});
        bad += utf8_error_offset(s) != reference_error(s);
        ++checked;
      }
    }
  }
  for (int a = 0xF0; a < 0x100; ++a)  // every 4-byte lead with continuation-ish bytes around the edges
    for (int b : {0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0})
      for (int c : {0x7F, 0x80, 0xBF, 0xC0})
        for (int d : {0x41, 0x80, 0xBF, 0xC0}) {
          s.assign({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c), static_cast<char>(d)});
          bad += utf8_error_offset(s) != reference_error(s);
          ++checked;
        }
  CHECK(checked > 4000000);
  CHECK(bad == 0);
}

TEST_CASE("utf8: offsets, long ASCII runs and the fast path", "[utf8]") {
  CHECK(utf8_error_offset("") == npos);
  CHECK(utf8_error_offset("plain ascii id 12345678901234567890") == npos);
  CHECK(utf8_error_offset("\xe6\x97\x97\xe8\x88\xb0\xe5\xba\x97") == npos);  // 旗舰店
  CHECK(utf8_error_offset("s\xff\xfe") == 1);
  CHECK(utf8_error_offset("abcdefghijklmnopq\x80") == 17);   // after two 8-byte ASCII steps
  CHECK(utf8_error_offset("abcdefgh\xc3\xa9" "abcdefgh\xe4") == 18);  // a cut character at the end
  CHECK(utf8_error_offset("\xed\x9f\xbf") == npos);          // U+D7FF
  CHECK(utf8_error_offset("\xed\xa0\x80") == 0);             // U+D800
  CHECK(utf8_error_offset("\xf4\x8f\xbf\xbf") == npos);      // U+10FFFF
  CHECK(utf8_error_offset("\xf4\x90\x80\x80") == 0);         // U+110000
  CHECK(is_ascii("", 0));
  const std::string ascii(100, 'a');
  CHECK(is_ascii(ascii.data(), ascii.size()));
  for (std::size_t at = 0; at < ascii.size(); ++at) {
    std::string t = ascii;
    t[at] = '\xc3';
    CHECK_FALSE(is_ascii(t.data(), t.size()));
    CHECK(utf8_error_offset(t) == at);
  }
  CHECK(valid_utf8("J\xc3\xbcrgen"));
  CHECK_FALSE(valid_utf8("J\xfcrgen"));
}

TEST_CASE("utf8: escape_bytes keeps characters and shows other bytes as \\xHH", "[utf8]") {
  CHECK(escape_bytes("s1") == "s1");
  CHECK(escape_bytes("s\xff\xfe") == "s\\xff\\xfe");
  CHECK(escape_bytes("\xe5\xba\x97\x80") == "\xe5\xba\x97\\x80");   // 店 kept, the stray byte shown
  CHECK(escape_bytes("a\tb\\c\x7f") == "a\\x09b\\x5cc\\x7f");
  CHECK(escape_bytes(std::string(40, 'x')) == std::string(32, 'x') + "...");
  const std::string han = "\xe5\xba\x97";  // 3 bytes: 11 of them pass 32 bytes
  std::string many;
  for (int i = 0; i < 20; ++i) many += han;
  std::string want;
  for (int i = 0; i < 11; ++i) want += han;
  CHECK(escape_bytes(many) == want + "...");  // never half a character
  CHECK(valid_utf8(escape_bytes("\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc")));
}
