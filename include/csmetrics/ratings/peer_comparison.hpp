// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/ratings/peer_comparison.hpp
//
// csmetrics::compare_to_peer: where a shop stands against an industry
// benchmark (Taobao's "高于/低于同行业 x%"), for a DSR mean and for a rate
// (after-sales satisfaction, dispute refund rate). Free functions over a
// report's values: they need nothing of the accumulators.
#ifndef CSMETRICS_RATINGS_PEER_COMPARISON_HPP_
#define CSMETRICS_RATINGS_PEER_COMPARISON_HPP_

#include <cmath>      // std::isfinite, std::floor
#include <cstdint>    // std::int64_t, std::uint8_t
#include <optional>   // std::optional
#include <stdexcept>  // std::invalid_argument
#include <string>     // std::to_string

#include "csmetrics/core/error.hpp"
#include "csmetrics/core/rate.hpp"
#include "csmetrics/ratings/score_summary.hpp"

namespace csmetrics {

/// Where a shop stands against a peer benchmark (an industry average).
enum class peer_standing : std::uint8_t { below, equal, above };

inline const char* to_string(peer_standing s) {
  switch (s) {
    case peer_standing::below: return "below";
    case peer_standing::equal: return "equal";
    case peer_standing::above: return "above";
  }
  return "?";
}

/// The shop's value against a peer benchmark.
struct peer_comparison {
  peer_standing standing = peer_standing::equal;
  double difference = 0.0;  ///< mine - peer
  /// (mine - peer) / peer: Taobao's "高于/低于同行业 x%"; empty when peer == 0.
  std::optional<double> relative_difference;
};

/// DSR against an industry average `peer_mean` in [1, 5]. "equal" when both
/// show the same 2 decimals (the shop's exact hundredths vs the peer rounded
/// half up to hundredths), so the verdict matches what a report prints.
/// Empty when the shop has no scores. Throws std::invalid_argument on a peer
/// outside [1, 5] or not finite.
inline std::optional<peer_comparison> compare_to_peer(const std::optional<score_summary>& mine, double peer_mean) {
  if (!std::isfinite(peer_mean) || peer_mean < 1.0 || peer_mean > 5.0)
    CSMETRICS_THROW(std::invalid_argument("compare_to_peer: peer mean must be in [1, 5]: " +
                                          std::to_string(peer_mean)));
  if (!mine) return std::nullopt;
  const std::int64_t peer_h = static_cast<std::int64_t>(std::floor(peer_mean * 100.0 + 0.5 + 1e-9));
  const std::int64_t h = mine->hundredths();
  peer_comparison c;
  c.standing = h < peer_h ? peer_standing::below : h > peer_h ? peer_standing::above : peer_standing::equal;
  c.difference = mine->mean() - peer_mean;
  c.relative_difference = c.difference / peer_mean;
  return c;
}

/// A rate (after-sales satisfaction, dispute refund rate) against an
/// industry rate `peer_rate` in [0, 1]: "equal" when the peer lies inside the
/// shop's Wilson interval at `confidence` (the gap may be noise), else above
/// or below. Whether above is good depends on the metric (not for disputes).
/// Empty when the shop has no trials. Throws std::invalid_argument on a peer
/// outside [0, 1] or a confidence outside (0, 1).
inline std::optional<peer_comparison> compare_to_peer(const std::optional<rate_counter>& mine, double peer_rate,
                                                      double confidence = 0.95) {
  if (!std::isfinite(peer_rate) || peer_rate < 0.0 || peer_rate > 1.0)
    CSMETRICS_THROW(std::invalid_argument("compare_to_peer: peer rate must be in [0, 1]: " +
                                          std::to_string(peer_rate)));
  const double z = detail::two_sided_z(confidence);  // validates confidence
  if (!mine || mine->trials() == 0) return std::nullopt;
  const interval w = detail::wilson_interval(mine->successes(), mine->trials(), z);
  peer_comparison c;
  c.standing = w.upper < peer_rate ? peer_standing::below
               : w.lower > peer_rate ? peer_standing::above
                                     : peer_standing::equal;
  c.difference = *mine->rate() - peer_rate;
  if (peer_rate != 0.0) c.relative_difference = c.difference / peer_rate;
  return c;
}

}  // namespace csmetrics

#endif  // CSMETRICS_RATINGS_PEER_COMPARISON_HPP_
