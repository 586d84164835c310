// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/core/log_buckets.hpp
//
// The bucket maths of quantile_sketch: a map from positive values to integer
// bucket indexes such that every bucket [L, U) is at most gamma wide in
// ratio, gamma = (1 + a) / (1 - a). The harmonic midpoint 2LU / (L + U) of
// such a bucket is then within relative error a of every value in it:
// |2LU/(L+U) - x| / x <= (U - L) / (U + L) <= (gamma - 1) / (gamma + 1) = a.
//
// log2 is replaced by a cheap, monotone, continuous stand-in (the "cubically
// interpolated" idea of DDSketch): for x = 2^e * (1 + s), s in [0, 1),
//
//     approx_log2(x) = e + P(s),   P(s) = ((A s + B) s + C) s,
//     A = 6/35, B = -3/5, C = 10/7,   P(0) = 0, P(1) = 1,
//
// read straight from the IEEE-754 exponent and mantissa bits: no libm call.
// P is increasing on [0, 1] and d log2(x) / d approx_log2(x) =
// 1 / ((1 + s) ln2 P'(s)) is largest at s = 0, where it is 1 / (C ln2) =
// 7 / (10 ln2) ~= 1.00989. So with M buckets per octave,
//
//     index(x) = floor(M * approx_log2(x)) = M e + floor(M P(s)),
//     M = ceil(7 / (10 ln2) / log2(gamma)),
//
// each bucket spans at most log2(gamma) in true log2: at most gamma in ratio.
// M is an integer so the exponent part is integer arithmetic; at a = 1 %
// M = 35 (an exact log2 mapping would need 34.66 per octave: ~1 % more
// buckets), at a = 0.1 % M = 350.
//
// Floating-point: M is computed for a design accuracy a (1 - 1e-7), so the
// ~1e-15 relative rounding of the polynomial and of its inverse can never
// push a value past the stated accuracy a. The index is a pure function of
// the value's bits (no libm), so sketches built by the same binary bucket a
// value identically; a compiler that contracts a*b+c into an FMA may put a
// value lying within ~1e-15 of a bucket boundary into the neighbouring
// bucket, which keeps the error bound (not the bytes).
#ifndef CSMETRICS_CORE_LOG_BUCKETS_HPP_
#define CSMETRICS_CORE_LOG_BUCKETS_HPP_

#include <cmath>    // std::ceil, std::ldexp, std::log2
#include <cstdint>  // std::uint64_t
#include <cstring>  // std::memcpy

namespace csmetrics {
namespace detail {

/// Relative-error bucket mapping; see the file comment.
class log_buckets {
 public:
  static constexpr double poly_a = 6.0 / 35.0;
  static constexpr double poly_b = -3.0 / 5.0;
  static constexpr double poly_c = 10.0 / 7.0;
  /// max d log2 / d approx_log2 = 7 / (10 ln2).
  static constexpr double correction = 7.0 / (10.0 * 0.693147180559945309417232121458176568);
  /// IEEE-754 double exponent bias.
  static constexpr int exponent_bias = 1023;

  log_buckets() = default;
  /// REQUIRES: 0.0005 <= relative_accuracy < 1 (the caller validates).
  explicit log_buckets(double relative_accuracy) {
    const double a = relative_accuracy * (1.0 - 1e-7);
    per_octave_ = static_cast<int>(std::ceil(correction / std::log2((1.0 + a) / (1.0 - a))));
    const double m = per_octave_;
    ma_ = m * poly_a;
    mb_ = m * poly_b;
    mc_ = m * poly_c;
  }

  /// M: buckets per octave (per doubling of the value).
  int per_octave() const { return per_octave_; }

  static std::uint64_t bits_of(double x) {
    std::uint64_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    return bits;
  }

  /// M * (biased IEEE exponent) + floor(M P(s)): the index plus
  /// 1023 M, positive for every positive normal x. The sketch works in raw
  /// indexes to save the subtraction on its hot path.
  /// REQUIRES: bits of a positive normal double.
  int raw_index_of_bits(std::uint64_t bits) const {
    const std::uint64_t mbits = (bits & 0x000FFFFFFFFFFFFFULL) | 0x3FF0000000000000ULL;
    double s;
    std::memcpy(&s, &mbits, sizeof s);
    s -= 1.0;
    const int within = static_cast<int>(((ma_ * s + mb_) * s + mc_) * s);  // in [0, M]
    return per_octave_ * static_cast<int>(bits >> 52) + within;
  }
  int raw_index(double x) const { return raw_index_of_bits(bits_of(x)); }
  /// raw index - 1023 M.
  int raw_bias() const { return exponent_bias * per_octave_; }

  /// The bucket of x: floor(M approx_log2(x)). REQUIRES: x a positive
  /// normal double.
  int index(double x) const { return raw_index(x) - raw_bias(); }

  /// The stand-in for log2(x). REQUIRES: x a positive normal double.
  static double approx_log2(double x) {
    const std::uint64_t bits = bits_of(x);
    const double e = static_cast<double>(static_cast<int>(bits >> 52) - exponent_bias);
    const std::uint64_t mbits = (bits & 0x000FFFFFFFFFFFFFULL) | 0x3FF0000000000000ULL;
    double s;
    std::memcpy(&s, &mbits, sizeof s);
    s -= 1.0;
    return ((poly_a * s + poly_b) * s + poly_c) * s + e;
  }

  /// 2^e (1 + s) with P(s) = u: the inverse of approx_log2 at e + u (~1e-16).
  /// REQUIRES: 0 <= u <= 1.
  static double approx_exp2(int e, double u) {
    // Newton on P(s) = u from s = u: P' is in [26/35, 10/7] and P'' is
    // bounded, so five steps take the error from 0.06 below 1e-16.
    double s = u;
    for (int i = 0; i < 5; ++i) {
      const double p = ((poly_a * s + poly_b) * s + poly_c) * s - u;
      const double dp = (3.0 * poly_a * s + 2.0 * poly_b) * s + poly_c;
      s -= p / dp;
    }
    if (s < 0.0) s = 0.0;
    if (s > 1.0) s = 1.0;
    return std::ldexp(1.0 + s, e);
  }

  /// The smallest value of bucket k (its lower boundary L).
  double lower_bound(int k) const {
    int e = k / per_octave_;
    int r = k % per_octave_;
    if (r < 0) {  // floor division
      r += per_octave_;
      --e;
    }
    return approx_exp2(e, static_cast<double>(r) / per_octave_);
  }
  /// The value reported for bucket k: the harmonic midpoint of [L, U).
  double representative(int k) const {
    const double lo = lower_bound(k);
    const double hi = lower_bound(k + 1);
    return 2.0 * lo * hi / (lo + hi);
  }

 private:
  int per_octave_ = 1;
  double ma_ = poly_a;  ///< M A, M B, M C: the polynomial scaled by M
  double mb_ = poly_b;
  double mc_ = poly_c;
};

}  // namespace detail
}  // namespace csmetrics

#endif  // CSMETRICS_CORE_LOG_BUCKETS_HPP_
