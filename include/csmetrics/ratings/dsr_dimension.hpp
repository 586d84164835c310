// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/ratings/dsr_dimension.hpp
//
// csmetrics::dsr_dimension: the three DSR (店铺动态评分) scores a buyer gives
// a shop, with their names in the event log. Every part of the ratings family
// indexes its per-dimension arrays by this enum, so it stands alone.
#ifndef CSMETRICS_RATINGS_DSR_DIMENSION_HPP_
#define CSMETRICS_RATINGS_DSR_DIMENSION_HPP_

#include <cstdint>      // std::uint8_t
#include <optional>     // std::optional
#include <string_view>  // std::string_view

namespace csmetrics {

/// The three DSR dimensions.
enum class dsr_dimension : std::uint8_t {
  item = 0,       ///< 描述相符 item as described
  service = 1,    ///< 服务态度 service attitude
  logistics = 2,  ///< 物流服务 logistics
};

/// "item", "service", "logistics" (the event log's `tag` values).
inline const char* to_string(dsr_dimension d) {
  switch (d) {
    case dsr_dimension::item: return "item";
    case dsr_dimension::service: return "service";
    case dsr_dimension::logistics: return "logistics";
  }
  return "?";
}

/// Parses an event log `tag`; empty for anything else.
inline std::optional<dsr_dimension> parse_dsr_dimension(std::string_view tag) {
  if (tag == "item") return dsr_dimension::item;
  if (tag == "service") return dsr_dimension::service;
  if (tag == "logistics") return dsr_dimension::logistics;
  return std::nullopt;
}

}  // namespace csmetrics

#endif  // CSMETRICS_RATINGS_DSR_DIMENSION_HPP_
