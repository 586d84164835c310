// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/core/version.hpp
//
// The library version. CMake reads these three lines with a regex, so keep
// their shape.
#ifndef CSMETRICS_CORE_VERSION_HPP_
#define CSMETRICS_CORE_VERSION_HPP_

#define CSMETRICS_VERSION_MAJOR 0
#define CSMETRICS_VERSION_MINOR 1
#define CSMETRICS_VERSION_PATCH 0

#endif  // CSMETRICS_CORE_VERSION_HPP_
