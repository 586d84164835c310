// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/core/money.hpp
//
// Exact money. An amount is a signed 64-bit count of minor units (cents, fen):
// sums of any number of amounts never drift, and every operation that would
// leave the int64 range throws std::overflow_error instead of wrapping.
//
// Text form (the event log's `amount` column, EVENTS.md): a non-negative
// decimal with at most two decimals - "149.90", "0.5", "1200", "007.5".
// Rejected, each with its own money_parse_error:
//   ""                      empty
//   "1e3" " 5" "+5" ".5" "5." "1,5" "-" "abc"   junk (digits, one optional '.'
//                                                followed by 1..2 digits, nothing else)
//   "-3.50"                 negative (a refund is its own event type)
//   "1.234" "1.230"         too_many_decimals (trailing zeros count: the text is
//                           not what the log format allows)
//   "92233720368547758.08"  overflow (more than INT64_MAX minor units)
// Arithmetic, unlike parsing, allows negative amounts (refunds deducted).
//
// Also here: money_sum, the mergeable "count + exact sum" accumulator that
// revenue, refund totals and average order value are built from.
#ifndef CSMETRICS_CORE_MONEY_HPP_
#define CSMETRICS_CORE_MONEY_HPP_

#include <cstddef>      // std::size_t
#include <cstdint>      // std::int64_t, std::uint64_t
#include <limits>       // std::numeric_limits
#include <optional>     // std::optional
#include <stdexcept>    // std::invalid_argument, std::overflow_error
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector (serialized bytes)

#include "csmetrics/core/checked.hpp"
#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/error.hpp"
#include "csmetrics/core/utf8.hpp"  // escape_bytes (quote_text)

namespace csmetrics {

/// Why a text is not an amount.
enum class money_parse_error : std::uint8_t { empty, junk, negative, too_many_decimals, overflow };

/// "empty", "junk", "negative", "too_many_decimals", "overflow".
constexpr std::string_view name(money_parse_error e) {
  switch (e) {
    case money_parse_error::empty: return "empty";
    case money_parse_error::junk: return "junk";
    case money_parse_error::negative: return "negative";
    case money_parse_error::too_many_decimals: return "too_many_decimals";
    case money_parse_error::overflow: return "overflow";
  }
  return "unknown";
}

namespace detail {

/// `a - b` for int64, throwing std::overflow_error instead of wrapping.
inline std::int64_t checked_sub(std::int64_t a, std::int64_t b) {
  std::int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) CSMETRICS_THROW(std::overflow_error("csmetrics: 64-bit difference overflow"));
  return r;
}

/// Up to `max` bytes of untrusted text for an error message ("..." when
/// cut), never cutting a UTF-8 character and with control and invalid bytes
/// as \xHH (escape_bytes), so a message is always valid UTF-8.
inline std::string quote_text(std::string_view s, std::size_t max = 64) { return escape_bytes(s, max); }

/// Core of money::try_parse: minor units of `s` or the reason it is not an
/// amount. No allocation, no locale; one pass over the characters.
constexpr bool parse_minor_units(std::string_view s, std::int64_t& out, money_parse_error& why) {
  if (s.empty()) {
    why = money_parse_error::empty;
    return false;
  }
  std::size_t i = 0;
  const bool minus = s[0] == '-';
  if (minus) i = 1;
  constexpr std::uint64_t limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  std::uint64_t units = 0;  // whole units, saturates past `limit`
  bool big = false;
  const std::size_t int_begin = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    if (!big) {
      units = units * 10 + static_cast<std::uint64_t>(s[i] - '0');
      if (units > limit / 100) big = true;
    }
    ++i;
  }
  if (i == int_begin) {  // no digit before the point (".5", "-", "abc")
    why = money_parse_error::junk;
    return false;
  }
  std::uint64_t frac = 0;
  if (i < s.size()) {
    if (s[i] != '.') {
      why = money_parse_error::junk;
      return false;
    }
    ++i;
    const std::size_t frac_begin = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    const std::size_t decimals = i - frac_begin;
    if (i != s.size() || decimals == 0) {  // "5.", "1.5x"
      why = money_parse_error::junk;
      return false;
    }
    if (decimals > 2) {
      why = money_parse_error::too_many_decimals;
      return false;
    }
    frac = static_cast<std::uint64_t>(s[frac_begin] - '0') * 10;
    if (decimals == 2) frac += static_cast<std::uint64_t>(s[frac_begin + 1] - '0');
  }
  if (minus) {
    why = money_parse_error::negative;
    return false;
  }
  if (big || units * 100 + frac > limit) {
    why = money_parse_error::overflow;
    return false;
  }
  out = static_cast<std::int64_t>(units * 100 + frac);
  return true;
}

/// Number of digits after the '.' of `s` (0 when there is none).
inline std::size_t count_decimals(std::string_view s) {
  std::size_t dot = s.find('.');
  return dot == std::string_view::npos ? 0 : s.size() - dot - 1;
}

/// The message for a rejected amount: "amount has 3 decimals: 1.234".
inline std::string money_error_message(money_parse_error why, std::string_view text) {
  switch (why) {
    case money_parse_error::empty: return "amount is empty";
    case money_parse_error::junk: return "amount is not a decimal number: " + quote_text(text);
    case money_parse_error::negative: return "amount is negative: " + quote_text(text);
    case money_parse_error::too_many_decimals:
      return "amount has " + std::to_string(count_decimals(text)) + " decimals (at most 2): " + quote_text(text);
    case money_parse_error::overflow: return "amount exceeds 92233720368547758.07: " + quote_text(text);
  }
  return "amount is invalid: " + quote_text(text);
}

}  // namespace detail

/**
 * An exact amount of money: a signed count of minor units (1/100 of the
 * currency unit). Arithmetic is overflow-checked (std::overflow_error), never
 * rounded and never wrapped; comparisons are exact.
 *
 *     csmetrics::money price = csmetrics::money::parse("149.90");
 *     csmetrics::money total = price + csmetrics::money::from_minor(50);  // 150.40
 *     total.to_string();                                                   // "150.40"
 *     auto bad = csmetrics::money::try_parse("1.234", &why);               // empty, why == too_many_decimals
 *
 * A value type of 8 bytes; thread-safe as any int64.
 */
class money {
 public:
  /// Minor units per currency unit.
  static constexpr std::int64_t scale = 100;

  /// Zero.
  constexpr money() = default;
  /// `cents` minor units (any sign).
  static constexpr money from_minor(std::int64_t cents) { return money(cents); }
  /// The amount in minor units.
  constexpr std::int64_t minor() const { return minor_; }

  /// Parses the log's amount text; empty and `*why` set when it is not one.
  static constexpr std::optional<money> try_parse(std::string_view s, money_parse_error* why = nullptr) {
    std::int64_t v = 0;
    money_parse_error e = money_parse_error::junk;
    if (detail::parse_minor_units(s, v, e)) return money(v);
    if (why) *why = e;
    return std::nullopt;
  }
  /// Parses the log's amount text; throws std::invalid_argument saying why
  /// ("csmetrics::money: amount has 3 decimals (at most 2): 1.234").
  static money parse(std::string_view s) {
    money_parse_error why = money_parse_error::junk;
    std::optional<money> m = try_parse(s, &why);
    if (!m) CSMETRICS_THROW(std::invalid_argument("csmetrics::money: " + detail::money_error_message(why, s)));
    return *m;
  }

  /// "149.90", "0.05", "-3.50", "1200.00": always two decimals, no grouping.
  std::string to_string() const {
    char buf[24];
    char* end = buf + sizeof buf;
    char* p = end;
    // Work in unsigned so INT64_MIN formats too.
    std::uint64_t v = minor_ < 0 ? 0 - static_cast<std::uint64_t>(minor_) : static_cast<std::uint64_t>(minor_);
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
    *--p = '.';
    do {
      *--p = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    if (minor_ < 0) *--p = '-';
    return std::string(p, static_cast<std::size_t>(end - p));
  }
  /// The amount in currency units as a double (for reports; not exact).
  constexpr double to_double() const { return static_cast<double>(minor_) / static_cast<double>(scale); }

  money& operator+=(money o) {
    minor_ = detail::checked_add(minor_, o.minor_);
    return *this;
  }
  money& operator-=(money o) {
    minor_ = detail::checked_sub(minor_, o.minor_);
    return *this;
  }
  friend money operator+(money a, money b) { return a += b; }
  friend money operator-(money a, money b) { return a -= b; }
  friend money operator-(money a) { return money(detail::checked_sub(0, a.minor_)); }
  /// `a` times an integer count (e.g. quantity); overflow-checked.
  friend money operator*(money a, std::int64_t n) { return money(detail::checked_mul(a.minor_, n)); }
  friend money operator*(std::int64_t n, money a) { return a * n; }

  friend constexpr bool operator==(money a, money b) { return a.minor_ == b.minor_; }
  friend constexpr bool operator!=(money a, money b) { return a.minor_ != b.minor_; }
  friend constexpr bool operator<(money a, money b) { return a.minor_ < b.minor_; }
  friend constexpr bool operator<=(money a, money b) { return a.minor_ <= b.minor_; }
  friend constexpr bool operator>(money a, money b) { return a.minor_ > b.minor_; }
  friend constexpr bool operator>=(money a, money b) { return a.minor_ >= b.minor_; }

 private:
  constexpr explicit money(std::int64_t v) : minor_(v) {}
  std::int64_t minor_ = 0;
};

/**
 * How many amounts and their exact total: revenue, refunds, average order
 * value (sum / count, derived when asked, never stored). Amounts may be
 * negative (a refund deducted). Mergeable exactly: a.merge(b) equals one
 * accumulator fed both streams. O(1) per add, 16 bytes of state; one writer.
 *
 *     csmetrics::money_sum revenue;
 *     revenue.add(csmetrics::money::parse("149.90"));
 *     revenue.add(csmetrics::money::parse("30"));
 *     revenue.sum().to_string();  // "179.90"
 *     revenue.mean();             // 89.95 (std::optional<double>, currency units)
 *
 * Serialized form (type id 3, version 1): header, varint count, zig-zag
 * varint sum in minor units. Invariant: count == 0 implies sum == 0.
 */
class money_sum {
 public:
  money_sum() = default;

  /// One amount. Throws std::overflow_error if the sum or count would overflow.
  void add(money m) {
    const money s = sum_ + m;  // both checked before either member changes
    count_ = detail::checked_add(count_, std::uint64_t{1});
    sum_ = s;
  }
  /// The state of both streams.
  void merge(const money_sum& o) {
    money s = sum_ + o.sum_;  // both checked before either member changes
    count_ = detail::checked_add(count_, o.count_);
    sum_ = s;
  }
  /// True when merge(o) would not throw.
  bool merges_cleanly(const money_sum& o) const {
    const std::int64_t a = sum_.minor(), b = o.sum_.minor();
    const bool sum_fits = b >= 0 ? a <= INT64_MAX - b : a >= INT64_MIN - b;
    return sum_fits && count_ <= UINT64_MAX - o.count_;
  }
  void reset() { *this = money_sum{}; }

  std::uint64_t count() const { return count_; }
  money sum() const { return sum_; }
  /// sum / count in currency units; empty when count() == 0.
  std::optional<double> mean() const {
    if (count_ == 0) return std::nullopt;
    return sum_.to_double() / static_cast<double>(count_);
  }

  void serialize_to(detail::writer& w) const {
    w.header(detail::type_id::money_sum, 1);
    w.varint(count_);
    w.svarint(sum_.minor());
  }
  static money_sum deserialize_from(detail::reader& r) {
    r.header(detail::type_id::money_sum, "money_sum", 1);
    money_sum s;
    s.count_ = r.varint();
    s.sum_ = money::from_minor(r.svarint());
    r.check(s.count_ != 0 || s.sum_ == money{}, "sum is 0 when count is 0");
    return s;
  }
  std::vector<std::uint8_t> serialize() const { return detail::serialize(*this); }
  static money_sum deserialize(const void* data, std::size_t size) {
    return detail::deserialize<money_sum>(data, size);
  }

  friend bool operator==(const money_sum& a, const money_sum& b) {
    return a.count_ == b.count_ && a.sum_ == b.sum_;
  }
  friend bool operator!=(const money_sum& a, const money_sum& b) { return !(a == b); }

 private:
  std::uint64_t count_ = 0;
  money sum_;
};

namespace detail {
/// total / n rounded half away from zero to whole minor units (n > 0): an
/// average price (客单价) in cents.
inline money average_money(money total, std::uint64_t n) {
  const std::int64_t t = total.minor();
  const auto nn = static_cast<std::int64_t>(n);
  const std::int64_t q = t >= 0 ? (t + nn / 2) / nn : -((-t + nn / 2) / nn);
  return money::from_minor(q);
}
}  // namespace detail

}  // namespace csmetrics

#endif  // CSMETRICS_CORE_MONEY_HPP_
