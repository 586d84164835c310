// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/core/error.hpp
//
// The library's one exception type for untrusted bytes, and the two macros
// every header throws and asserts through. Users may define CSMETRICS_THROW
// and CSMETRICS_ASSERT before including any csmetrics header, e.g. to build
// with -fno-exceptions (the default then aborts).
#ifndef CSMETRICS_CORE_ERROR_HPP_
#define CSMETRICS_CORE_ERROR_HPP_

#include <cassert>    // assert
#include <cstdlib>    // std::abort
#include <stdexcept>  // std::runtime_error

#ifndef CSMETRICS_THROW
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define CSMETRICS_THROW(x) throw x
#else
#define CSMETRICS_THROW(x) std::abort()
#endif
#endif

// REQUIRES-style checks on hot paths; on by default in debug builds only.
#ifndef CSMETRICS_ASSERT
#define CSMETRICS_ASSERT(cond, msg) assert((cond) && msg)
#endif

namespace csmetrics {

/// Thrown by every `deserialize`: the bytes are truncated, corrupt, of another
/// type or of an unknown format version. what() says what was expected and
/// what was found.
class deserialize_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace csmetrics

#endif  // CSMETRICS_CORE_ERROR_HPP_
