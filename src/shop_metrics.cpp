// SPDX-License-Identifier: Apache-2.0
// File: src/shop_metrics.cpp
//
// csmetrics::shop_metrics compiled once: the CMake target csmetrics::compiled
// (a static library). Programs that link it include the same headers with
// CSMETRICS_SEPARATE_COMPILATION set and skip the definitions this file
// holds (csmetrics/shop_metrics.hpp says which). The quantile sketch's and
// the service calendar's are in src/quantile_sketch.cpp and
// src/service_calendar.cpp (csmetrics/core/compiled.hpp).
#define CSMETRICS_COMPILED_UNIT
#include "csmetrics/shop_metrics.hpp"

#ifndef CSMETRICS_SEPARATE_COMPILATION
#error "src/shop_metrics.cpp is built with CSMETRICS_SEPARATE_COMPILATION (the csmetrics::compiled target sets it)"
#endif

namespace csmetrics {
// The member template sharded_metrics calls to merge two shards' families
// on separate threads (csmetrics/sharded.hpp).
template void shop_metrics::merge_family<shop_metrics&>(std::size_t, shop_metrics&);
}  // namespace csmetrics
