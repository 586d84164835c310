// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/core/checked.hpp
//
// Counter arithmetic that never wraps: a 64-bit count that would overflow
// throws std::overflow_error instead of silently restarting at zero.
#ifndef CSMETRICS_CORE_CHECKED_HPP_
#define CSMETRICS_CORE_CHECKED_HPP_

#include <cstdint>    // std::uint64_t, std::int64_t
#include <stdexcept>  // std::overflow_error

#include "csmetrics/core/error.hpp"

namespace csmetrics {
namespace detail {

/// Throws std::overflow_error(what). Out of line and cold: with the throw
/// inside them the adds below were calls (gcc does not inline the throwing
/// code), and every event bumps a few counters.
[[noreturn]] __attribute__((noinline, cold)) inline void throw_overflow(const char* what) {
  CSMETRICS_THROW(std::overflow_error(what));
}

inline std::uint64_t checked_add(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r;
  if (__builtin_add_overflow(a, b, &r)) throw_overflow("csmetrics: 64-bit counter overflow");
  return r;
}

inline std::int64_t checked_add(std::int64_t a, std::int64_t b) {
  std::int64_t r;
  if (__builtin_add_overflow(a, b, &r)) throw_overflow("csmetrics: 64-bit sum overflow");
  return r;
}

/// a + b, or the nearest of INT64_MAX / INT64_MIN when it would overflow.
inline std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  std::int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
  return r;
}

inline std::int64_t checked_mul(std::int64_t a, std::int64_t b) {
  std::int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) throw_overflow("csmetrics: 64-bit product overflow");
  return r;
}

}  // namespace detail
}  // namespace csmetrics

#endif  // CSMETRICS_CORE_CHECKED_HPP_
