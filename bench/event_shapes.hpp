// SPDX-License-Identifier: Apache-2.0
// Two extreme shapes of event log that the journey generator
// (event_generator.hpp) never reaches, for the scaling benchmarks:
//
//   one_shop    N visits to one shop in one local day (2019-09-01, UTC+8),
//               every visitor distinct: a large shop's traffic; cost must
//               stay linear in N (a quadratic merge once hid here).
//   tiny_shops  N shops with one visit each: a marketplace's long tail; a
//               shop must cost little until it has data.
//
// Rows are EVENTS.md CSV, in time order; ids are "s<n>" and "v<n>".
#ifndef CSMETRICS_BENCH_EVENT_SHAPES_HPP_
#define CSMETRICS_BENCH_EVENT_SHAPES_HPP_

#include <cstdint>      // std::uint64_t
#include <cstdio>       // std::snprintf
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view

namespace csmetrics {
namespace bench {

enum class log_shape { one_shop, tiny_shops };

inline std::optional<log_shape> parse_log_shape(std::string_view s) {
  if (s == "one-shop") return log_shape::one_shop;
  if (s == "tiny-shops") return log_shape::tiny_shops;
  return std::nullopt;
}

/// Calls sink(std::string_view) with the header and then pieces of rows.
template <class Sink>
void generate_shape_csv(log_shape shape, std::uint64_t events, Sink&& sink) {
  std::string out = "time,type,shop,buyer,agent,order,amount,score,tag\n";
  char row[128];
  for (std::uint64_t i = 0; i < events; ++i) {
    // Spread over 10:00-20:00 local time, in order, microsecond steps.
    const std::uint64_t us = i * (36000ull * 1000000 / (events ? events : 1));
    const unsigned h = static_cast<unsigned>(10 + us / 3600000000ull);
    const unsigned m = static_cast<unsigned>(us / 60000000ull % 60), s = static_cast<unsigned>(us / 1000000 % 60);
    const unsigned frac = static_cast<unsigned>(us % 1000000);
    const unsigned long long shop = shape == log_shape::one_shop ? 1 : i;
    const int n = std::snprintf(row, sizeof row, "2019-09-01T%02u:%02u:%02u.%06u+08:00,visit,s%llu,v%llu,,,,,\n", h, m,
                                s, frac, shop, static_cast<unsigned long long>(i));
    out.append(row, static_cast<std::size_t>(n));
    if (out.size() > (std::size_t{1} << 20)) {
      sink(std::string_view(out));
      out.clear();
    }
  }
  sink(std::string_view(out));
}

}  // namespace bench
}  // namespace csmetrics

#endif  // CSMETRICS_BENCH_EVENT_SHAPES_HPP_
