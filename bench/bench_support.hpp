// SPDX-License-Identifier: Apache-2.0
// File: bench/bench_support.hpp
//
// What the Google Benchmark binaries bench/*_bench.cpp share: tiny(), true
// when CSMETRICS_BENCH_TINY is set (the ctest runs of bench/CMakeLists.txt
// and bench/run --quick), when every benchmark takes a tiny input so that
// all of them run in seconds.
#ifndef CSMETRICS_BENCH_BENCH_SUPPORT_HPP_
#define CSMETRICS_BENCH_BENCH_SUPPORT_HPP_

#include <cstdlib>  // std::getenv

namespace csmetrics {
namespace bench {

/// True when CSMETRICS_BENCH_TINY is set: benchmarks use tiny inputs.
inline bool tiny() { return std::getenv("CSMETRICS_BENCH_TINY") != nullptr; }

}  // namespace bench
}  // namespace csmetrics

#endif  // CSMETRICS_BENCH_BENCH_SUPPORT_HPP_
