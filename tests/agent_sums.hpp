// SPDX-License-Identifier: Apache-2.0
// File: tests/agent_sums.hpp
//
// A shop's agent rows summed: io/report.hpp promises that a shop's agents
// plus its unassigned row give the shop's additive figures exactly, and the
// tests of shop_metrics and sharded check it through sum_over_agents.
#ifndef CSMETRICS_TESTS_AGENT_SUMS_HPP_
#define CSMETRICS_TESTS_AGENT_SUMS_HPP_

#include <cstdint>  // std::uint64_t

#include "csmetrics/io/report.hpp"

namespace csm_test {

/// The counts of an agent_report that add up across agents (io/report.hpp).
inline constexpr std::uint64_t csmetrics::agent_report::*additive_counts[] = {
    &csmetrics::agent_report::buyer_messages,   &csmetrics::agent_report::agent_messages,
    &csmetrics::agent_report::answered,         &csmetrics::agent_report::unanswered,
    &csmetrics::agent_report::orders_credited,  &csmetrics::agent_report::inquired,
    &csmetrics::agent_report::ordered_same_day, &csmetrics::agent_report::ordered_final,
    &csmetrics::agent_report::orders_placed,    &csmetrics::agent_report::orders_placed_paid,
};

/// Shop `s`'s agents plus its unassigned row, in the additive figures: the
/// counts above, revenue_credited and lost_by_reason. The other fields stay
/// empty. REQUIRES: s.unassigned.
inline csmetrics::agent_report sum_over_agents(const csmetrics::shop_report& s) {
  csmetrics::agent_report sum;
  const auto add = [&sum](const csmetrics::agent_report& row) {
    for (const auto count : additive_counts) sum.*count += row.*count;
    sum.revenue_credited += row.revenue_credited;
    for (const auto& [why, n] : row.lost_by_reason) sum.lost_by_reason[why] += n;
  };
  add(*s.unassigned);
  for (const auto& [name, row] : s.agents) add(row);
  return sum;
}

}  // namespace csm_test

#endif  // CSMETRICS_TESTS_AGENT_SUMS_HPP_
