// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/shop_metrics/options.hpp
//
// The settings of csmetrics::shop_metrics: every family's rules in one
// struct, with shop_report's defaults, checked, compared and - when two
// states cannot merge - named where they differ.
#ifndef CSMETRICS_SHOP_METRICS_OPTIONS_HPP_
#define CSMETRICS_SHOP_METRICS_OPTIONS_HPP_

#include <algorithm>  // std::min
#include <chrono>     // std::chrono::minutes, hours
#include <memory>     // std::shared_ptr (the service calendar)
#include <stdexcept>  // std::invalid_argument
#include <string>     // std::string, std::to_string

#include "csmetrics/core/error.hpp"
#include "csmetrics/core/time.hpp"
#include "csmetrics/orders/orders_types.hpp"
#include "csmetrics/ratings/ratings_config.hpp"
#include "csmetrics/sessions/session_stats.hpp"

namespace csmetrics {

/// The settings of every family, with shop_report's defaults.
struct shop_metrics_options {
  utc_offset offset{};                                   ///< the shops' day boundary (default UTC+8)
  duration session_gap = std::chrono::minutes{10};       ///< sessions: idle gap that ends a conversation
  duration max_wait = std::chrono::hours{24};            ///< sessions: a burst waiting longer is unanswered
  int attribution_days = 3;                              ///< orders: inquiry day .. +N, in [0, 7]
  duration payment_window = std::chrono::hours{72};      ///< orders: order -> payment, in (0, 7 d]
  duration max_lateness = std::chrono::hours{1};         ///< how far out of order events may arrive
  attribution_rule rule = attribution_rule::order_first; ///< the rule behind credited agents and CS share
  double within_seconds = 45.0;                          ///< "answered within" threshold (exact)
  int dsr_days = 180, after_sales_days = 30, dispute_days = 30;
  int curve_days = 180;                                  ///< days of the trailing DSR curve, in [1, 3650]
  /// sessions: service hours per shop; response figures also on service time (null: none).
  std::shared_ptr<const service_calendar> calendar{};

  /// Throws std::invalid_argument naming the limits.
  void validate() const {
    if (max_lateness < duration::zero() || max_lateness > std::chrono::hours{24 * 30})
      CSMETRICS_THROW(std::invalid_argument("shop_metrics: max_lateness must be in [0, 30 d]"));
    if (curve_days < 1 || curve_days > 3650)
      CSMETRICS_THROW(std::invalid_argument("shop_metrics: curve_days must be in [1, 3650]: " +
                                            std::to_string(curve_days)));
    session_config().validate();
    orders_settings().validate();
    ratings_settings().validate();
  }
  session_options session_config() const {
    session_options o;
    o.session_gap = session_gap;
    o.max_wait = max_wait;
    o.offset = offset;
    o.within_seconds = within_seconds;
    o.calendar = calendar;
    return o;
  }
  orders_config orders_settings() const {
    orders_config o;
    o.offset = offset;
    o.attribution_days = attribution_days;
    o.payment_window = payment_window;
    o.credit_wait = std::min<duration>(max_wait, std::chrono::hours{24 * 7});  // a burst's wait, within the orders' horizon
    return o;
  }
  ratings_config ratings_settings() const {
    ratings_config r;
    r.offset = offset;
    r.dsr_days = dsr_days;
    r.after_sales_days = after_sales_days;
    r.dispute_days = dispute_days;
    r.history_days = curve_days - 1;  // the curve asks "as of" each of its days
    return r;
  }
  friend bool operator==(const shop_metrics_options& a, const shop_metrics_options& b) {
    return a.offset == b.offset && a.session_gap == b.session_gap && a.max_wait == b.max_wait &&
           a.attribution_days == b.attribution_days && a.payment_window == b.payment_window &&
           a.max_lateness == b.max_lateness && a.rule == b.rule && a.within_seconds == b.within_seconds &&
           a.dsr_days == b.dsr_days && a.after_sales_days == b.after_sales_days &&
           a.dispute_days == b.dispute_days && a.curve_days == b.curve_days &&
           session_options::same_calendar(a.calendar, b.calendar);
  }
  friend bool operator!=(const shop_metrics_options& a, const shop_metrics_options& b) { return !(a == b); }
  /// The first option that differs between a and b, named with both values
  /// ("max_wait: 86400000000 us vs 3600000000 us"); empty when a == b.
  static std::string difference(const shop_metrics_options& a, const shop_metrics_options& b) {
    auto both = [](const char* name, const std::string& x, const std::string& y) {
      return std::string(name) + ": " + x + " vs " + y;
    };
    auto us = [](duration d) { return std::to_string(d.count()) + " us"; };
    auto n = [](int v) { return std::to_string(v); };
    if (a.attribution_days != b.attribution_days)
      return both("attribution_days", n(a.attribution_days), n(b.attribution_days));
    if (a.payment_window != b.payment_window) return both("payment_window", us(a.payment_window), us(b.payment_window));
    if (a.max_lateness != b.max_lateness) return both("max_lateness", us(a.max_lateness), us(b.max_lateness));
    if (a.rule != b.rule)
      return both("attribution rule", n(static_cast<int>(a.rule)), n(static_cast<int>(b.rule)));
    if (a.dsr_days != b.dsr_days) return both("dsr_days", n(a.dsr_days), n(b.dsr_days));
    if (a.after_sales_days != b.after_sales_days)
      return both("after_sales_days", n(a.after_sales_days), n(b.after_sales_days));
    if (a.dispute_days != b.dispute_days) return both("dispute_days", n(a.dispute_days), n(b.dispute_days));
    if (a.curve_days != b.curve_days) return both("curve_days", n(a.curve_days), n(b.curve_days));
    return session_options::difference(a.session_config(), b.session_config());  // offset, sessions, calendar
  }
};

}  // namespace csmetrics

#endif  // CSMETRICS_SHOP_METRICS_OPTIONS_HPP_
