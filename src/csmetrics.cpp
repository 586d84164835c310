// SPDX-License-Identifier: Apache-2.0
// File: src/csmetrics.cpp
//
// What the CMake target csmetrics::compiled (a static library) compiles once:
// shop_metrics, and the non-template definitions of quantile_sketch and the
// service calendar. Programs that link it include the same headers with
// CSMETRICS_SEPARATE_COMPILATION set and skip these definitions
// (csmetrics/core/compiled.hpp says which; the per-event paths stay inline).
#define CSMETRICS_COMPILED_UNIT
#include "csmetrics/shop_metrics.hpp"

#ifndef CSMETRICS_SEPARATE_COMPILATION
#error "src/csmetrics.cpp is built with CSMETRICS_SEPARATE_COMPILATION (the csmetrics::compiled target sets it)"
#endif

#include "csmetrics/core/quantile_sketch_impl.hpp"
#include "csmetrics/core/quantile_sketch_serde_impl.hpp"
#include "csmetrics/sessions/service_calendar_impl.hpp"

namespace csmetrics {
// The member template sharded_metrics calls to merge two shards' families
// on separate threads (csmetrics/sharded.hpp).
template void shop_metrics::merge_family<shop_metrics&>(std::size_t, shop_metrics&);
}  // namespace csmetrics
