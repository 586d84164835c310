// SPDX-License-Identifier: Apache-2.0
// File: src/service_calendar.cpp
//
// csmetrics::service_hours and csmetrics::service_calendar compiled once, for
// the CMake target csmetrics::compiled: programs that link it include
// csmetrics/sessions/service_calendar.hpp with CSMETRICS_SEPARATE_COMPILATION
// set and see only its service-time lookups (csmetrics/core/compiled.hpp).
#include "csmetrics/sessions/service_calendar.hpp"

#ifndef CSMETRICS_SEPARATE_COMPILATION
#error "src/service_calendar.cpp is built with CSMETRICS_SEPARATE_COMPILATION (the csmetrics::compiled target sets it)"
#endif

#include "csmetrics/sessions/service_calendar_impl.hpp"
