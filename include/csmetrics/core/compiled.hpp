// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/core/compiled.hpp
//
// Header-only, or the heavy definitions compiled once ({fmt}'s choice between
// fmt::fmt-header-only and fmt::fmt). By default every definition is in the
// headers. With CSMETRICS_SEPARATE_COMPILATION (what linking the CMake target
// csmetrics::compiled sets) these headers leave their non-template
// definitions out of the including file, and the static library compiles
// them once (src/csmetrics.cpp):
//   shop_metrics.hpp
//   core/quantile_sketch.hpp         (add() stays inline)
//   sessions/service_calendar.hpp    (the service-time lookups stay inline)
// Templates and the per-event paths stay in the headers in both builds.
#ifndef CSMETRICS_CORE_COMPILED_HPP_
#define CSMETRICS_CORE_COMPILED_HPP_

// Both follow CSMETRICS_SEPARATE_COMPILATION (set that one, not these):
// CSMETRICS_FUNC starts a definition that may move to the library;
// CSMETRICS_HEADER_ONLY is 1 when a header includes its _impl.hpp
// definitions, 0 when src/csmetrics.cpp compiles them (it includes them itself).
#if defined(CSMETRICS_SEPARATE_COMPILATION)
#define CSMETRICS_FUNC
#define CSMETRICS_HEADER_ONLY 0
#else
#define CSMETRICS_FUNC inline
#define CSMETRICS_HEADER_ONLY 1
#endif

#endif  // CSMETRICS_CORE_COMPILED_HPP_
