// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/csmetrics.hpp
//
// Umbrella header for examples and quick starts. The library itself never
// includes it; include the one concept you use for faster builds.
#ifndef CSMETRICS_CSMETRICS_HPP_
#define CSMETRICS_CSMETRICS_HPP_

#include "csmetrics/day_window.hpp"
#include "csmetrics/error.hpp"
#include "csmetrics/keyed.hpp"
#include "csmetrics/moments.hpp"
#include "csmetrics/money.hpp"
#include "csmetrics/orders.hpp"
#include "csmetrics/quantile_sketch.hpp"
#include "csmetrics/rate.hpp"
#include "csmetrics/ratings.hpp"
#include "csmetrics/sales.hpp"
#include "csmetrics/sessions.hpp"
#include "csmetrics/time.hpp"
#include "csmetrics/version.hpp"
// The event log (io/) and shop_metrics.hpp are optional: include them yourself.

#endif  // CSMETRICS_CSMETRICS_HPP_
