// SPDX-License-Identifier: Apache-2.0
// File: tests/fuzz/fuzz_support.hpp
//
// What every fuzz target shares: the libFuzzer entry point's signature and
// FUZZ_CHECK, which prints what broke and aborts (libFuzzer and the replay
// driver both report an abort as a failure and keep the input).
#ifndef CSMETRICS_TESTS_FUZZ_SUPPORT_HPP_
#define CSMETRICS_TESTS_FUZZ_SUPPORT_HPP_

#include <cstddef>  // std::size_t
#include <cstdint>  // std::uint8_t
#include <cstdio>   // std::fprintf
#include <cstdlib>  // std::abort

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

/// An invariant of the library that an input broke: print it and abort.
#define FUZZ_CHECK(cond, what)                                                                    \
  do {                                                                                            \
    if (!(cond)) {                                                                                \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s (%s)\n", __FILE__, __LINE__, #cond, \
                   what);                                                                         \
      std::abort();                                                                               \
    }                                                                                             \
  } while (0)

#endif  // CSMETRICS_TESTS_FUZZ_SUPPORT_HPP_
