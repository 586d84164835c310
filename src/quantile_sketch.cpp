// SPDX-License-Identifier: Apache-2.0
// File: src/quantile_sketch.cpp
//
// csmetrics::quantile_sketch compiled once, for the CMake target
// csmetrics::compiled: programs that link it include
// csmetrics/core/quantile_sketch.hpp with CSMETRICS_SEPARATE_COMPILATION set
// and see only its adding path (csmetrics/core/compiled.hpp).
#include "csmetrics/core/quantile_sketch.hpp"

#ifndef CSMETRICS_SEPARATE_COMPILATION
#error "src/quantile_sketch.cpp is built with CSMETRICS_SEPARATE_COMPILATION (the csmetrics::compiled target sets it)"
#endif

#include "csmetrics/core/quantile_sketch_impl.hpp"
#include "csmetrics/core/quantile_sketch_serde_impl.hpp"
