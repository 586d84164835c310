// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/csmetrics.hpp
//
// Umbrella header for examples and quick starts. The library itself never
// includes it; include the one concept you use for faster builds.
#ifndef CSMETRICS_CSMETRICS_HPP_
#define CSMETRICS_CSMETRICS_HPP_

#include "csmetrics/error.hpp"
#include "csmetrics/time.hpp"
#include "csmetrics/version.hpp"

#endif  // CSMETRICS_CSMETRICS_HPP_
