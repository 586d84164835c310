// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/csmetrics.hpp
//
// Umbrella header for examples and quick starts. The library itself never
// includes it; include the one concept you use for faster builds.
#ifndef CSMETRICS_CSMETRICS_HPP_
#define CSMETRICS_CSMETRICS_HPP_

#include "csmetrics/core/day_window.hpp"
#include "csmetrics/core/error.hpp"
#include "csmetrics/core/keyed.hpp"
#include "csmetrics/core/flat_set.hpp"
#include "csmetrics/core/moments.hpp"
#include "csmetrics/core/money.hpp"
#include "csmetrics/orders/orders.hpp"
#include "csmetrics/core/quantile_sketch.hpp"
#include "csmetrics/core/rate.hpp"
#include "csmetrics/ratings/ratings.hpp"
#include "csmetrics/sales/sales.hpp"
#include "csmetrics/sessions/sessions.hpp"
#include "csmetrics/core/time.hpp"
#include "csmetrics/core/version.hpp"
// The event log (io/) and shop_metrics.hpp are optional: include them yourself.

#endif  // CSMETRICS_CSMETRICS_HPP_
