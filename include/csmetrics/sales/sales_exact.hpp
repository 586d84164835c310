// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/sales/sales_exact.hpp
//
// Exact rational numbers for the sales identity and its change decomposition
// (part of sales.hpp's API; include sales.hpp). A ratio of money and counts,
// such as a conversion rate (buyers / visitors), an average order value
// (revenue / buyers) or a target attainment (actual / target), is kept as a
// fraction of arbitrary-precision integers, so that
//
//     traffic × (buyers / traffic) × (revenue / buyers) == revenue
//
// holds exactly, and the parts of a change decomposition add up to the change
// to the last bit. Doubles appear only when a caller asks for one
// (to_double()); rounding to cents or to a printed percentage happens once,
// at the end, with a named rounding mode.
//
// The integers are small sign-magnitude vectors of 32-bit limbs: the sales
// formulas multiply at most a handful of 64-bit counts together (a few
// hundred bits), so schoolbook multiplication and bitwise long division are
// plenty; fractions are kept in lowest terms (binary GCD).
#ifndef CSMETRICS_SALES_SALES_EXACT_HPP_
#define CSMETRICS_SALES_SALES_EXACT_HPP_

#include <algorithm>    // std::max, std::min, std::reverse
#include <cmath>        // std::ldexp
#include <cstddef>      // std::size_t
#include <cstdint>      // fixed-width integers
#include <limits>       // std::numeric_limits
#include <stdexcept>    // std::invalid_argument, std::domain_error, std::overflow_error
#include <string>       // std::string
#include <utility>      // std::move, std::swap
#include <vector>       // std::vector (limbs)

#include "csmetrics/core/error.hpp"

namespace csmetrics {
namespace detail {

/// Arbitrary-precision signed integer, just enough for exact_ratio.
class sales_bigint {
 public:
  using limbs = std::vector<std::uint32_t>;

  sales_bigint() = default;
  sales_bigint(std::int64_t v) {  // NOLINT: implicit on purpose (literals)
    neg_ = v < 0;
    set_u64(neg_ ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v));
  }
  static sales_bigint from_u64(std::uint64_t v) {
    sales_bigint b;
    b.set_u64(v);
    return b;
  }

  bool is_zero() const { return mag_.empty(); }
  int sign() const { return mag_.empty() ? 0 : (neg_ ? -1 : 1); }
  bool is_odd() const { return !mag_.empty() && (mag_[0] & 1u); }
  sales_bigint abs() const {
    sales_bigint r = *this;
    r.neg_ = false;
    return r;
  }
  sales_bigint operator-() const {
    sales_bigint r = *this;
    if (!r.mag_.empty()) r.neg_ = !r.neg_;
    return r;
  }

  friend sales_bigint operator+(const sales_bigint& a, const sales_bigint& b) {
    if (a.neg_ == b.neg_) return make(a.neg_, add_mag(a.mag_, b.mag_));
    int c = cmp_mag(a.mag_, b.mag_);
    if (c == 0) return sales_bigint{};
    if (c > 0) return make(a.neg_, sub_mag(a.mag_, b.mag_));
    return make(b.neg_, sub_mag(b.mag_, a.mag_));
  }
  friend sales_bigint operator-(const sales_bigint& a, const sales_bigint& b) { return a + (-b); }
  friend sales_bigint operator*(const sales_bigint& a, const sales_bigint& b) {
    return make(a.neg_ != b.neg_, mul_mag(a.mag_, b.mag_));
  }
  /// Truncating division (C++ semantics): a = q*b + r, |r| < |b|, sign(r) = sign(a).
  /// REQUIRES: b != 0.
  static void divmod(const sales_bigint& a, const sales_bigint& b, sales_bigint& q, sales_bigint& r) {
    limbs qm, rm;
    divmod_mag(a.mag_, b.mag_, qm, rm);
    q = make(a.neg_ != b.neg_, std::move(qm));
    r = make(a.neg_, std::move(rm));
  }
  /// Greatest common divisor of |a| and |b| (binary GCD); gcd(0, b) = |b|.
  static sales_bigint gcd(const sales_bigint& a, const sales_bigint& b) {
    if (a.is_zero()) return b.abs();
    if (b.is_zero()) return a.abs();
    limbs u = a.mag_, v = b.mag_;
    std::size_t zu = trailing_zeros(u), zv = trailing_zeros(v);
    std::size_t k = std::min(zu, zv);
    shr(u, zu);
    shr(v, zv);
    for (;;) {  // both odd here
      int c = cmp_mag(u, v);
      if (c == 0) break;
      if (c < 0) std::swap(u, v);
      u = sub_mag(u, v);  // even, non-zero
      shr(u, trailing_zeros(u));
    }
    shl(u, k);
    return make(false, std::move(u));
  }

  friend bool operator==(const sales_bigint& a, const sales_bigint& b) {
    return a.neg_ == b.neg_ && a.mag_ == b.mag_;
  }
  friend bool operator!=(const sales_bigint& a, const sales_bigint& b) { return !(a == b); }
  /// -1, 0, +1 as a <, ==, > b.
  static int compare(const sales_bigint& a, const sales_bigint& b) {
    if (a.sign() != b.sign()) return a.sign() < b.sign() ? -1 : 1;
    int c = cmp_mag(a.mag_, b.mag_);
    return a.neg_ ? -c : c;
  }

  std::size_t bit_length() const {
    if (mag_.empty()) return 0;
    std::size_t n = 32 * (mag_.size() - 1);
    for (std::uint32_t top = mag_.back(); top; top >>= 1) ++n;
    return n;
  }
  /// The value when it fits in int64; throws std::overflow_error otherwise.
  std::int64_t to_i64() const {
    if (mag_.size() > 2) overflow();
    std::uint64_t m = mag_.empty() ? 0 : mag_[0];
    if (mag_.size() == 2) m |= static_cast<std::uint64_t>(mag_[1]) << 32;
    constexpr std::uint64_t max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (!neg_ && m > max) overflow();
    if (neg_ && m > max + 1) overflow();
    return neg_ ? static_cast<std::int64_t>(0 - m) : static_cast<std::int64_t>(m);
  }
  /// Nearest-ish double: |value| / 2^shift, exact to about 1e-16 relative.
  double to_double_scaled(int shift) const {
    double d = 0;
    for (std::size_t i = mag_.size(); i-- > 0;) d = d * 4294967296.0 + static_cast<double>(mag_[i]);
    d = std::ldexp(d, -shift);
    return neg_ ? -d : d;
  }
  /// Decimal digits, '-' first when negative.
  std::string to_string() const {
    if (mag_.empty()) return "0";
    std::string s;
    limbs m = mag_;
    while (!m.empty()) {  // divide by 10^9 repeatedly
      std::uint64_t rem = 0;
      for (std::size_t i = m.size(); i-- > 0;) {
        std::uint64_t cur = (rem << 32) | m[i];
        m[i] = static_cast<std::uint32_t>(cur / 1000000000u);
        rem = cur % 1000000000u;
      }
      trim(m);
      for (int k = 0; k < 9; ++k) {
        s.push_back(static_cast<char>('0' + rem % 10));
        rem /= 10;
        if (m.empty() && rem == 0) break;
      }
    }
    if (neg_) s.push_back('-');
    std::reverse(s.begin(), s.end());
    return s;
  }
  /// a × 2^k for k >= 0.
  sales_bigint shifted_left(std::size_t k) const {
    sales_bigint r = *this;
    shl(r.mag_, k);
    return r;
  }

 private:
  [[noreturn]] static void overflow() {
    CSMETRICS_THROW(std::overflow_error("csmetrics: exact value does not fit in 64 bits"));
  }
  void set_u64(std::uint64_t m) {
    mag_.clear();
    if (m) mag_.push_back(static_cast<std::uint32_t>(m));
    if (m >> 32) mag_.push_back(static_cast<std::uint32_t>(m >> 32));
    if (mag_.empty()) neg_ = false;
  }
  static sales_bigint make(bool neg, limbs m) {
    sales_bigint r;
    trim(m);
    r.mag_ = std::move(m);
    r.neg_ = neg && !r.mag_.empty();
    return r;
  }
  static void trim(limbs& m) {
    while (!m.empty() && m.back() == 0) m.pop_back();
  }
  static int cmp_mag(const limbs& a, const limbs& b) {
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    for (std::size_t i = a.size(); i-- > 0;)
      if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    return 0;
  }
  static limbs add_mag(const limbs& a, const limbs& b) {
    limbs r(std::max(a.size(), b.size()) + 1, 0);
    std::uint64_t carry = 0;
    for (std::size_t i = 0; i + 1 < r.size(); ++i) {
      std::uint64_t s = carry;
      if (i < a.size()) s += a[i];
      if (i < b.size()) s += b[i];
      r[i] = static_cast<std::uint32_t>(s);
      carry = s >> 32;
    }
    r.back() = static_cast<std::uint32_t>(carry);
    trim(r);
    return r;
  }
  // REQUIRES: a >= b.
  static limbs sub_mag(const limbs& a, const limbs& b) {
    limbs r(a.size(), 0);
    std::int64_t borrow = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      std::int64_t d = static_cast<std::int64_t>(a[i]) - borrow - (i < b.size() ? static_cast<std::int64_t>(b[i]) : 0);
      borrow = d < 0 ? 1 : 0;
      if (d < 0) d += std::int64_t{1} << 32;
      r[i] = static_cast<std::uint32_t>(d);
    }
    trim(r);
    return r;
  }
  static limbs mul_mag(const limbs& a, const limbs& b) {
    if (a.empty() || b.empty()) return {};
    limbs r(a.size() + b.size(), 0);
    for (std::size_t i = 0; i < a.size(); ++i) {
      std::uint64_t carry = 0;
      for (std::size_t j = 0; j < b.size(); ++j) {
        std::uint64_t cur = static_cast<std::uint64_t>(a[i]) * b[j] + r[i + j] + carry;
        r[i + j] = static_cast<std::uint32_t>(cur);
        carry = cur >> 32;
      }
      std::size_t k = i + b.size();
      while (carry) {
        std::uint64_t cur = static_cast<std::uint64_t>(r[k]) + carry;
        r[k++] = static_cast<std::uint32_t>(cur);
        carry = cur >> 32;
      }
    }
    trim(r);
    return r;
  }
  static std::size_t trailing_zeros(const limbs& m) {
    std::size_t n = 0, i = 0;
    while (i < m.size() && m[i] == 0) {
      n += 32;
      ++i;
    }
    if (i < m.size())
      for (std::uint32_t w = m[i]; !(w & 1u); w >>= 1) ++n;
    return n;
  }
  static void shr(limbs& m, std::size_t k) {
    std::size_t words = k / 32, bits = k % 32;
    if (words >= m.size()) {
      m.clear();
      return;
    }
    m.erase(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(words));
    if (bits) {
      for (std::size_t i = 0; i < m.size(); ++i) {
        std::uint32_t hi = i + 1 < m.size() ? m[i + 1] : 0;
        m[i] = (m[i] >> bits) | (hi << (32 - bits));
      }
    }
    trim(m);
  }
  static void shl(limbs& m, std::size_t k) {
    if (m.empty()) return;
    std::size_t words = k / 32, bits = k % 32;
    if (bits) {
      std::uint32_t carry = 0;
      for (auto& w : m) {
        std::uint32_t next = w >> (32 - bits);
        w = (w << bits) | carry;
        carry = next;
      }
      if (carry) m.push_back(carry);
    }
    m.insert(m.begin(), words, 0u);
  }
  // Long division of magnitudes: one limb divisor by short division, longer
  // ones bit by bit (operands here are a few hundred bits).
  static void divmod_mag(const limbs& a, const limbs& b, limbs& q, limbs& r) {
    if (b.empty()) CSMETRICS_THROW(std::domain_error("csmetrics: division by zero"));
    q.assign(a.size(), 0);
    if (b.size() == 1) {
      std::uint64_t rem = 0;
      for (std::size_t i = a.size(); i-- > 0;) {
        std::uint64_t cur = (rem << 32) | a[i];
        q[i] = static_cast<std::uint32_t>(cur / b[0]);
        rem = cur % b[0];
      }
      trim(q);
      r.clear();
      if (rem) r.push_back(static_cast<std::uint32_t>(rem));
      return;
    }
    r.clear();
    for (std::size_t bit = a.size() * 32; bit-- > 0;) {
      shl(r, 1);
      if ((a[bit / 32] >> (bit % 32)) & 1u) {
        if (r.empty()) r.push_back(1u);
        else r[0] |= 1u;
      }
      if (cmp_mag(r, b) >= 0) {
        r = sub_mag(r, b);
        q[bit / 32] |= 1u << (bit % 32);
      }
    }
    trim(q);
    trim(r);
  }

  bool neg_ = false;
  limbs mag_;  // little-endian limbs, no leading zero limb; zero is empty
};

}  // namespace detail

/// How an exact value becomes a fixed number of decimals.
enum class rounding : std::uint8_t {
  half_up,    ///< ties away from zero (commercial rounding: 0.125 -> 0.13, -0.125 -> -0.13)
  half_even,  ///< ties to the even neighbour (banker's rounding: 0.125 -> 0.12, 0.135 -> 0.14)
  floor,      ///< towards minus infinity
};

/**
 * An exact fraction of arbitrary-precision integers, always in lowest terms
 * with a positive denominator. The value type of every derived sales figure:
 * conversion, average order value, attainment, the parts of a change.
 *
 *     csmetrics::exact_ratio a(1456, 2000);          // 145.6 / 200
 *     a.percent(2);                                  // "72.80"
 *     a.round_scaled(10000);                         // 7280 (hundredths of a percent)
 *     (csmetrics::exact_ratio(1, 3) * 3) == 1;       // true
 *
 * Arithmetic never rounds and never overflows (the integers grow); division
 * by zero throws std::domain_error. A value type; thread-safe as any value.
 */
class exact_ratio {
 public:
  /// Zero.
  exact_ratio() : num_(0), den_(1) {}
  /// n / d. Throws std::invalid_argument when d == 0.
  exact_ratio(std::int64_t n, std::int64_t d = 1) : num_(n), den_(d) {  // NOLINT: implicit from integers
    if (d == 0) CSMETRICS_THROW(std::invalid_argument("csmetrics::exact_ratio: denominator is 0"));
    normalize();
  }
  /// n / d for unsigned counts. Throws std::invalid_argument when d == 0.
  static exact_ratio of_counts(std::uint64_t n, std::uint64_t d) {
    if (d == 0) CSMETRICS_THROW(std::invalid_argument("csmetrics::exact_ratio: denominator is 0"));
    return exact_ratio(detail::sales_bigint::from_u64(n), detail::sales_bigint::from_u64(d));
  }
  /// An unsigned count.
  static exact_ratio of_count(std::uint64_t n) { return of_counts(n, 1); }

  const detail::sales_bigint& numerator() const { return num_; }
  const detail::sales_bigint& denominator() const { return den_; }
  int sign() const { return num_.sign(); }
  bool is_zero() const { return num_.is_zero(); }
  bool is_integer() const { return den_ == detail::sales_bigint(1); }

  friend exact_ratio operator+(const exact_ratio& a, const exact_ratio& b) {
    return exact_ratio(a.num_ * b.den_ + b.num_ * a.den_, a.den_ * b.den_);
  }
  friend exact_ratio operator-(const exact_ratio& a, const exact_ratio& b) {
    return exact_ratio(a.num_ * b.den_ - b.num_ * a.den_, a.den_ * b.den_);
  }
  friend exact_ratio operator*(const exact_ratio& a, const exact_ratio& b) {
    return exact_ratio(a.num_ * b.num_, a.den_ * b.den_);
  }
  /// Throws std::domain_error when b == 0.
  friend exact_ratio operator/(const exact_ratio& a, const exact_ratio& b) {
    if (b.is_zero()) CSMETRICS_THROW(std::domain_error("csmetrics::exact_ratio: division by zero"));
    return exact_ratio(a.num_ * b.den_, a.den_ * b.num_);
  }
  exact_ratio operator-() const { return exact_ratio(-num_, den_); }
  exact_ratio& operator+=(const exact_ratio& o) { return *this = *this + o; }
  exact_ratio& operator-=(const exact_ratio& o) { return *this = *this - o; }

  friend bool operator==(const exact_ratio& a, const exact_ratio& b) { return a.num_ == b.num_ && a.den_ == b.den_; }
  friend bool operator!=(const exact_ratio& a, const exact_ratio& b) { return !(a == b); }
  friend bool operator<(const exact_ratio& a, const exact_ratio& b) { return compare(a, b) < 0; }
  friend bool operator>(const exact_ratio& a, const exact_ratio& b) { return compare(a, b) > 0; }
  friend bool operator<=(const exact_ratio& a, const exact_ratio& b) { return compare(a, b) <= 0; }
  friend bool operator>=(const exact_ratio& a, const exact_ratio& b) { return compare(a, b) >= 0; }

  /// The value × scale rounded to an integer by `mode`: round_scaled(10000)
  /// is the value in hundredths of a percent. Throws std::overflow_error
  /// when the result leaves int64.
  std::int64_t round_scaled(std::int64_t scale, rounding mode = rounding::half_up) const {
    return rounded(num_ * detail::sales_bigint(scale), mode).to_i64();
  }
  /// floor(value): the largest integer <= value (exact, any size).
  detail::sales_bigint floor() const { return rounded(num_, rounding::floor); }
  /// The value with `decimals` digits after the point ("0.73", "-1.50").
  std::string to_decimal(int decimals, rounding mode = rounding::half_up) const {
    detail::sales_bigint scale(1);
    for (int i = 0; i < decimals; ++i) scale = scale * detail::sales_bigint(10);
    detail::sales_bigint v = rounded(num_ * scale, mode);
    bool neg = v.sign() < 0;
    std::string digits = v.abs().to_string();
    if (decimals > 0) {
      if (digits.size() <= static_cast<std::size_t>(decimals))
        digits.insert(0, static_cast<std::size_t>(decimals) + 1 - digits.size(), '0');
      digits.insert(digits.size() - static_cast<std::size_t>(decimals), 1, '.');
    }
    return neg ? "-" + digits : digits;
  }
  /// The value as a percentage with `decimals` decimals, without the sign:
  /// exact_ratio(1456, 2000).percent(2) == "72.80".
  std::string percent(int decimals = 2, rounding mode = rounding::half_up) const {
    return (*this * exact_ratio(100)).to_decimal(decimals, mode);
  }
  /// "n/d" (or "n" for integers), in lowest terms.
  std::string to_string() const {
    return is_integer() ? num_.to_string() : num_.to_string() + "/" + den_.to_string();
  }
  /// The nearest double (for charts and logs; not for further sums).
  double to_double() const {
    if (num_.is_zero()) return 0.0;
    // Scale so the integer quotient carries >= 64 significant bits.
    long shift = 64 + static_cast<long>(den_.bit_length()) - static_cast<long>(num_.bit_length());
    if (shift < 0) shift = 0;
    detail::sales_bigint q, r;
    detail::sales_bigint::divmod(num_.shifted_left(static_cast<std::size_t>(shift)), den_, q, r);
    return q.to_double_scaled(static_cast<int>(shift));
  }

 private:
  exact_ratio(detail::sales_bigint n, detail::sales_bigint d) : num_(std::move(n)), den_(std::move(d)) {
    if (den_.is_zero()) CSMETRICS_THROW(std::invalid_argument("csmetrics::exact_ratio: denominator is 0"));
    normalize();
  }
  void normalize() {
    if (den_.sign() < 0) {
      num_ = -num_;
      den_ = -den_;
    }
    if (num_.is_zero()) {
      den_ = detail::sales_bigint(1);
      return;
    }
    detail::sales_bigint g = detail::sales_bigint::gcd(num_, den_);
    if (g != detail::sales_bigint(1)) {
      detail::sales_bigint q, r;
      detail::sales_bigint::divmod(num_, g, q, r);
      num_ = q;
      detail::sales_bigint::divmod(den_, g, q, r);
      den_ = q;
    }
  }
  static int compare(const exact_ratio& a, const exact_ratio& b) {
    return detail::sales_bigint::compare(a.num_ * b.den_, b.num_ * a.den_);
  }
  // n / den_ rounded to an integer by `mode`.
  detail::sales_bigint rounded(const detail::sales_bigint& n, rounding mode) const {
    detail::sales_bigint q, r;
    detail::sales_bigint::divmod(n, den_, q, r);  // truncated; r has n's sign
    if (r.is_zero()) return q;
    const int s = n.sign();
    if (mode == rounding::floor) return s < 0 ? q - detail::sales_bigint(1) : q;
    int c = detail::sales_bigint::compare(r.abs() * detail::sales_bigint(2), den_);
    bool away = c > 0 || (c == 0 && (mode == rounding::half_up || q.is_odd()));
    return away ? q + detail::sales_bigint(s) : q;
  }

  detail::sales_bigint num_;
  detail::sales_bigint den_;
};

}  // namespace csmetrics

#endif  // CSMETRICS_SALES_SALES_EXACT_HPP_
