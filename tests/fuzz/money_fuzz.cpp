// SPDX-License-Identifier: Apache-2.0
// File: tests/fuzz/money_fuzz.cpp
//
// Fuzz target: money parsing and arithmetic. The input is the amount text.
// Invariants:
//   - try_parse agrees with an independent reference (a regex-like scan and
//     128-bit arithmetic) on whether the text is an amount, on its value, and
//     on the reason when it is not;
//   - an accepted amount formats (to_string) and parses back to the same
//     value; parse() throws std::invalid_argument exactly when try_parse is
//     empty, with a message naming the text's problem;
//   - the text split at its first '|' gives two amounts whose sum and
//     difference are either exact (checked in 128 bits) or overflow_error.
#include <cstddef>      // std::size_t
#include <cstdint>      // std::int64_t, std::uint8_t
#include <limits>       // std::numeric_limits
#include <optional>     // std::optional
#include <stdexcept>    // std::invalid_argument, std::overflow_error
#include <string>       // std::string
#include <string_view>  // std::string_view

#include "csmetrics/core/money.hpp"
#include "fuzz_support.hpp"

namespace {

using csmetrics::money;
using csmetrics::money_parse_error;
__extension__ typedef __int128 i128;

struct reference_result {
  bool ok;
  i128 minor;  // when ok
  money_parse_error why;
};

// The grammar of money.hpp's comment, written plainly: optional '-', 1+
// digits, optionally '.' and 1..2 digits (more digits: too_many_decimals).
reference_result reference_parse(std::string_view s) {
  if (s.empty()) return {false, 0, money_parse_error::empty};
  std::size_t i = 0;
  const bool minus = s[0] == '-';
  if (minus) ++i;
  const std::size_t int_begin = i;
  i128 units = 0;
  bool huge = false;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    units = units * 10 + (s[i] - '0');
    if (units > (i128{1} << 80)) {  // far past INT64_MAX: stop growing
      huge = true;
      units = i128{1} << 80;
    }
  }
  if (i == int_begin) return {false, 0, money_parse_error::junk};
  i128 frac = 0;
  if (i < s.size()) {
    if (s[i] != '.') return {false, 0, money_parse_error::junk};
    ++i;
    const std::size_t fb = i;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    }
    const std::size_t decimals = i - fb;
    if (i != s.size() || decimals == 0) return {false, 0, money_parse_error::junk};
    if (decimals > 2) return {false, 0, money_parse_error::too_many_decimals};
    frac = (s[fb] - '0') * 10 + (decimals == 2 ? s[fb + 1] - '0' : 0);
  }
  if (minus) return {false, 0, money_parse_error::negative};
  const i128 v = units * 100 + frac;
  if (huge || v > std::numeric_limits<std::int64_t>::max()) return {false, 0, money_parse_error::overflow};
  return {true, v, money_parse_error::junk};
}

std::optional<money> check_one(std::string_view s) {
  const reference_result ref = reference_parse(s);
  money_parse_error why = money_parse_error::junk;
  const std::optional<money> m = money::try_parse(s, &why);
  FUZZ_CHECK(m.has_value() == ref.ok, "try_parse accepts exactly the amounts of the grammar");
  bool threw = false;
  try {
    const money p = money::parse(s);
    FUZZ_CHECK(m && p == *m, "parse() == try_parse()");
  } catch (const std::invalid_argument& e) {
    threw = true;
    FUZZ_CHECK(std::string(e.what()).rfind("csmetrics::money: amount ", 0) == 0, "parse() error names the amount");
  }
  FUZZ_CHECK(threw == !m, "parse() throws exactly when try_parse() is empty");
  if (!m) {
    FUZZ_CHECK(why == ref.why, "the rejection reason matches the reference");
    return std::nullopt;
  }
  FUZZ_CHECK(m->minor() == static_cast<std::int64_t>(ref.minor), "value matches the reference");
  const std::string text = m->to_string();
  const std::optional<money> back = money::try_parse(text);
  FUZZ_CHECK(back && *back == *m, "to_string() parses back to the same amount");
  FUZZ_CHECK(back->to_string() == text, "to_string() is stable");
  return m;
}

void check_arithmetic(money a, money b) {
  const i128 sum = i128{a.minor()} + b.minor();
  const i128 diff = i128{a.minor()} - b.minor();
  const auto fits = [](i128 v) {
    return v >= std::numeric_limits<std::int64_t>::min() && v <= std::numeric_limits<std::int64_t>::max();
  };
  try {
    const money s = a + b;
    FUZZ_CHECK(fits(sum) && s.minor() == static_cast<std::int64_t>(sum), "a + b exact");
  } catch (const std::overflow_error&) {
    FUZZ_CHECK(!fits(sum), "a + b throws only on overflow");
  }
  try {
    const money d = b - a;  // may be negative: arithmetic allows it
    FUZZ_CHECK(fits(-diff) && d.minor() == static_cast<std::int64_t>(-diff), "b - a exact");
    const std::string text = d.to_string();  // negative amounts format with '-'
    FUZZ_CHECK(!text.empty(), "to_string of a difference");
  } catch (const std::overflow_error&) {
    FUZZ_CHECK(!fits(-diff), "b - a throws only on overflow");
  }
  csmetrics::money_sum total;
  try {
    total.add(a);
    total.add(b);
    FUZZ_CHECK(total.count() == 2 && total.sum().minor() == static_cast<std::int64_t>(sum), "money_sum exact");
  } catch (const std::overflow_error&) {
    FUZZ_CHECK(!fits(sum), "money_sum throws only on overflow");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view s(reinterpret_cast<const char*>(data), size);
  const std::optional<money> whole = check_one(s);
  (void)whole;
  const std::size_t bar = s.find('|');
  if (bar != std::string_view::npos) {
    const std::optional<money> a = check_one(s.substr(0, bar));
    const std::optional<money> b = check_one(s.substr(bar + 1));
    if (a && b) check_arithmetic(*a, *b);
  }
  return 0;
}
