// SPDX-License-Identifier: Apache-2.0
// File: bench/generator_random.hpp
//
// The event generator's random numbers (bench/event_generator.hpp): the
// xoshiro256** engine seeded by splitmix64 and every distribution it draws
// from (exponential, normal, lognormal, Pareto, geometric, weighted pick,
// Zipf), all written here from uniform draws, never with
// std::*_distribution, so the same seed gives the same numbers with
// libstdc++ and libc++ alike.
#ifndef CSMETRICS_BENCH_GENERATOR_RANDOM_HPP_
#define CSMETRICS_BENCH_GENERATOR_RANDOM_HPP_

#include <array>      // std::array
#include <cmath>      // std::log, std::exp, std::sqrt, std::cos, std::sin, std::pow, std::floor, std::fabs, std::log1p, std::expm1
#include <cstddef>    // std::size_t
#include <cstdint>    // std::uint64_t
#include <stdexcept>  // std::invalid_argument

#include "csmetrics/core/error.hpp"  // CSMETRICS_THROW

namespace csmetrics {
namespace bench {

/// splitmix64: seeds xoshiro and mixes ids.
inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// One 64-bit mix of `x` (a hash for ids).
inline std::uint64_t mix64(std::uint64_t x) { return splitmix64(x); }

/**
 * xoshiro256** (Blackman & Vigna) with the distributions the generator
 * needs, all from uniform draws and <cmath>, so the same seed gives the same
 * numbers with every standard library.
 *
 *     csmetrics::bench::rng r(42);
 *     double d = r.lognormal(std::log(25.0), 1.0);   // median 25
 */
class rng {
 public:
  explicit rng(std::uint64_t seed) {
    std::uint64_t sm = seed;
    for (auto& w : s_) w = splitmix64(sm);
  }
  /// 64 random bits.
  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  /// Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Uniform in (0, 1].
  double uniform_pos() { return static_cast<double>((next() >> 11) + 1) * 0x1.0p-53; }
  /// Uniform integer in [0, n) (n > 0; modulo bias below 2^-40 for the n used here).
  std::uint64_t below(std::uint64_t n) { return next() % n; }
  /// True with probability p.
  bool chance(double p) { return uniform() < p; }
  /// Exponential with the given mean.
  double exponential(double mean) { return -mean * std::log(uniform_pos()); }
  /// Standard normal (Box-Muller; the second value is kept for the next call).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = uniform_pos(), u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double a = 6.283185307179586 * u2;
    spare_ = r * std::sin(a);
    has_spare_ = true;
    return r * std::cos(a);
  }
  /// Lognormal: exp(mu + sigma * N(0,1)); the median is exp(mu).
  double lognormal(double mu, double sigma) { return std::exp(mu + sigma * normal()); }
  /// Pareto with scale xm and shape alpha (>= xm; heavy tail).
  double pareto(double xm, double alpha) { return xm * std::pow(uniform_pos(), -1.0 / alpha); }
  /// 1 + geometric number of extra successes with continuation probability p (mean 1/(1-p)).
  int one_plus_geometric(double p, int cap) {
    int k = 1;
    while (k < cap && chance(p)) ++k;
    return k;
  }
  /// Index drawn with the given (non-negative, not all zero) weights.
  template <std::size_t N>
  std::size_t pick(const std::array<double, N>& w) {
    double total = 0;
    for (double x : w) total += x;
    double u = uniform() * total;
    for (std::size_t i = 0; i < N; ++i) {
      if (u < w[i]) return i;
      u -= w[i];
    }
    return N - 1;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
  double spare_ = 0;
  bool has_spare_ = false;
};

/**
 * Zipf over ranks 1..n with exponent s > 0 by rejection-inversion
 * (Hörmann & Derflinger 1996): O(1) per draw, no table.
 *
 *     csmetrics::bench::zipf z(100000, 1.1);
 *     std::uint64_t rank = z(r);   // 1 is the most frequent
 */
class zipf {
 public:
  zipf(std::uint64_t n, double s) : n_(static_cast<double>(n)), s_(s) {
    if (n < 1 || !(s > 0)) CSMETRICS_THROW(std::invalid_argument("zipf needs n >= 1 and s > 0"));
    h_x1_ = h_integral(1.5) - 1.0;
    h_n_ = h_integral(n_ + 0.5);
    sc_ = 2.0 - h_integral_inverse(h_integral(2.5) - h(2.0));
  }
  /// A rank in [1, n].
  std::uint64_t operator()(rng& r) const {
    for (;;) {
      const double u = h_n_ + r.uniform() * (h_x1_ - h_n_);
      const double x = h_integral_inverse(u);
      double k = std::floor(x + 0.5);
      if (k < 1) k = 1;
      if (k > n_) k = n_;
      if (k - x <= sc_ || u >= h_integral(k + 0.5) - h(k)) return static_cast<std::uint64_t>(k);
    }
  }

 private:
  double h(double x) const { return std::exp(-s_ * std::log(x)); }
  double h_integral(double x) const {
    const double lx = std::log(x);
    return helper2((1.0 - s_) * lx) * lx;
  }
  double h_integral_inverse(double x) const {
    double t = x * (1.0 - s_);
    if (t < -1.0) t = -1.0;
    return std::exp(helper1(t) * x);
  }
  static double helper1(double x) {
    return std::fabs(x) > 1e-8 ? std::log1p(x) / x : 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
  }
  static double helper2(double x) {
    return std::fabs(x) > 1e-8 ? std::expm1(x) / x : 1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x));
  }
  double n_, s_, h_x1_ = 0, h_n_ = 0, sc_ = 0;
};

}  // namespace bench
}  // namespace csmetrics

#endif  // CSMETRICS_BENCH_GENERATOR_RANDOM_HPP_
