// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/io/scorecard.hpp
//
// The agent scorecard (客服绩效考核): the eight figures the seeds judge an
// agent on, over one period (a calendar month by default: the store rules
// are monthly), each checked against its rule, and an optional weighted
// composite score to rank the agents. Plain data and pure functions: the
// period's counts come from shop_metrics (shop_metrics/report_impl.hpp),
// which calls make_scorecard; to_json and the text and HTML pages write it.
//
//   KPI                  seeds' name      value                          default rule
//   inquiry_conversion   询单转化率        ordered_final / inquired      -
//   payment_conversion   下单付款转化率    orders_placed_paid / placed   -
//   aov_per_order        客单价            revenue / paid orders credited -
//   answer_ratio         答问比            agent msgs / buyer msgs        >= 1.3
//   response_s_mean      平均响应时间      mean response, seconds         <= 45
//   invite_rate          评价发送率        invited / buyers served        >= 0.9
//   satisfaction         客户满意度        4-5 votes / votes              >= 0.8
//   reply_rate           回复率            answered / (answered + unanswered) -
//
// Rules: METRICS.md's store rules by default; `--kpi name>=x` or `name<=x`
// sets or replaces one (`name=off` drops it). A KPI passes when its value
// meets its rule; no value or no rule: neither pass nor fail.
// Composite (when weights are given, `--kpi-weights name=w,...`): each
// weighted KPI with a value scores its attainment, value / target for a KPI
// where more is better and target / value for response time, capped at 1.5;
// the target is the KPI's rule, else the figure of all the card's agents
// together (the team). score = 100 x sum(w x attainment) / sum(w) over the
// weighted KPIs that have an attainment: 100 means on target everywhere.
// Agents are listed by score (highest first), then by rules failed (fewest
// first), then by name.
#ifndef CSMETRICS_IO_SCORECARD_HPP_
#define CSMETRICS_IO_SCORECARD_HPP_

#include <algorithm>    // std::min, std::sort
#include <array>        // std::array
#include <cmath>        // std::isfinite
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint64_t
#include <cstdlib>      // std::strtod
#include <map>          // std::map
#include <optional>     // std::optional
#include <stdexcept>    // std::invalid_argument
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "csmetrics/core/error.hpp"
#include "csmetrics/core/money.hpp"
#include "csmetrics/core/time.hpp"

namespace csmetrics {

enum class kpi : std::uint8_t {
  inquiry_conversion,
  payment_conversion,
  aov_per_order,
  answer_ratio,
  response_s_mean,
  invite_rate,
  satisfaction,
  reply_rate
};
inline constexpr std::size_t kpi_count = 8;

inline std::string_view to_string(kpi k) {
  constexpr std::string_view names[kpi_count] = {"inquiry_conversion", "payment_conversion", "aov_per_order",
                                                 "answer_ratio",       "response_s_mean",    "invite_rate",
                                                 "satisfaction",       "reply_rate"};
  return names[static_cast<std::size_t>(k)];
}

/// The KPI named `s`; throws std::invalid_argument listing the names.
inline kpi parse_kpi(std::string_view s) {
  for (std::size_t i = 0; i < kpi_count; ++i)
    if (to_string(static_cast<kpi>(i)) == s) return static_cast<kpi>(i);
  std::string all;
  for (std::size_t i = 0; i < kpi_count; ++i) all += (i ? ", " : "") + std::string(to_string(static_cast<kpi>(i)));
  CSMETRICS_THROW(std::invalid_argument("unknown KPI \"" + std::string(s) + "\" (known: " + all + ")"));
}

/// Response time is the one KPI where less is better.
inline bool higher_is_better(kpi k) { return k != kpi::response_s_mean; }

/// value >= threshold (at_least) or value <= threshold.
struct kpi_rule {
  bool at_least = true;
  double threshold = 0;
  bool met(double v) const { return at_least ? v >= threshold : v <= threshold; }
  friend bool operator==(const kpi_rule& a, const kpi_rule& b) {
    return a.at_least == b.at_least && a.threshold == b.threshold;
  }
};
using kpi_rules = std::array<std::optional<kpi_rule>, kpi_count>;
using kpi_weights = std::array<double, kpi_count>;

/// METRICS.md's store rules, monthly per agent.
inline kpi_rules default_kpi_rules() {
  kpi_rules r;
  r[static_cast<std::size_t>(kpi::answer_ratio)] = kpi_rule{true, 1.3};
  r[static_cast<std::size_t>(kpi::response_s_mean)] = kpi_rule{false, 45};
  r[static_cast<std::size_t>(kpi::invite_rate)] = kpi_rule{true, 0.9};
  r[static_cast<std::size_t>(kpi::satisfaction)] = kpi_rule{true, 0.8};
  return r;
}

namespace detail {
inline double parse_kpi_number(std::string_view s, std::string_view what) {
  const std::string t(s);
  char* end = nullptr;
  const double v = t.empty() ? 0 : std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size() || !std::isfinite(v))
    CSMETRICS_THROW(std::invalid_argument("not a number in " + std::string(what) + ": \"" + t + "\""));
  return v;
}
}  // namespace detail

/// Sets one rule in `rules` from "answer_ratio>=1.3", "response_s_mean<=30"
/// or "reply_rate=off"; throws std::invalid_argument naming what is wrong.
inline void set_kpi_rule(kpi_rules& rules, std::string_view spec) {
  const std::size_t ge = spec.find(">="), le = spec.find("<="), eq = spec.find("=off");
  if (eq != std::string_view::npos && eq + 4 == spec.size() && ge == std::string_view::npos &&
      le == std::string_view::npos) {
    rules[static_cast<std::size_t>(parse_kpi(spec.substr(0, eq)))].reset();
    return;
  }
  const std::size_t op = ge != std::string_view::npos ? ge : le;
  if (op == std::string_view::npos || (ge != std::string_view::npos && le != std::string_view::npos))
    CSMETRICS_THROW(std::invalid_argument("a KPI rule is name>=value, name<=value or name=off: \"" +
                                          std::string(spec) + "\""));
  const kpi k = parse_kpi(spec.substr(0, op));
  rules[static_cast<std::size_t>(k)] = kpi_rule{op == ge, detail::parse_kpi_number(spec.substr(op + 2), spec)};
}

/// "inquiry_conversion=2,answer_ratio=1": the KPIs not named weigh 0.
/// Throws std::invalid_argument on an unknown name, a repeated one, a
/// negative weight, or weights that are all 0.
inline kpi_weights parse_kpi_weights(std::string_view spec) {
  kpi_weights w{};
  std::array<bool, kpi_count> seen{};
  double total = 0;
  while (!spec.empty()) {
    const std::size_t comma = spec.find(',');
    const std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      CSMETRICS_THROW(std::invalid_argument("a KPI weight is name=weight: \"" + std::string(item) + "\""));
    const std::size_t k = static_cast<std::size_t>(parse_kpi(item.substr(0, eq)));
    if (seen[k]) CSMETRICS_THROW(std::invalid_argument("KPI weighted twice: " + std::string(item.substr(0, eq))));
    seen[k] = true;
    w[k] = detail::parse_kpi_number(item.substr(eq + 1), item);
    if (w[k] < 0) CSMETRICS_THROW(std::invalid_argument("a KPI weight is >= 0: \"" + std::string(item) + "\""));
    total += w[k];
  }
  if (!(total > 0)) CSMETRICS_THROW(std::invalid_argument("KPI weights: at least one must be > 0"));
  return w;
}

/// How the scorecards are cut and judged.
struct scorecard_options {
  kpi_rules rules = default_kpi_rules();
  std::optional<kpi_weights> weights;  ///< composite score when set
  int period_days = 0;                 ///< 0: calendar months; N > 0: N local days, the last ending at as_of
};

/// One agent's counts over a period: what its eight KPIs are made of.
struct agent_period {
  std::uint64_t inquired = 0, ordered = 0;          // inquiry days credited, ordered within the window
  std::uint64_t placed = 0, placed_paid = 0;        // consulted orders credited when placed, paid in the window
  std::uint64_t paid_orders = 0;                    // paid orders credited under the rule
  money revenue;                                    // their revenue, net of refunds
  std::uint64_t agent_messages = 0, buyer_messages = 0;  // buyer messages credited to the agent
  std::uint64_t responses = 0;                      // response samples
  double response_s_sum = 0;                        // their sum, seconds
  std::uint64_t invited = 0, served = 0;            // buyers invited / served
  std::uint64_t good_votes = 0, votes = 0;          // 4-5 votes / votes
  std::uint64_t answered = 0, unanswered = 0;       // bursts

  void add(const agent_period& o) {
    inquired += o.inquired, ordered += o.ordered, placed += o.placed, placed_paid += o.placed_paid;
    paid_orders += o.paid_orders, revenue += o.revenue;
    agent_messages += o.agent_messages, buyer_messages += o.buyer_messages;
    responses += o.responses, response_s_sum += o.response_s_sum;
    invited += o.invited, served += o.served, good_votes += o.good_votes, votes += o.votes;
    answered += o.answered, unanswered += o.unanswered;
  }
};

/// One KPI of one agent.
struct kpi_value {
  std::optional<double> value;  ///< rates in [0, 1], seconds, aov in major units (exact in `aov`)
  std::optional<bool> pass;     ///< against its rule; empty without a rule or a value
};

struct scorecard_row {
  std::string agent;
  std::array<kpi_value, kpi_count> kpis;
  std::optional<money> aov;     ///< aov_per_order exactly (half-up cents)
  std::optional<double> score;  ///< composite, when weighted
  std::size_t passed = 0, failed = 0;
};

/// The agents of one shop over one period.
struct scorecard {
  std::string period;            ///< "2019-09", or "2019-09-01..2019-09-07"
  day_number first = 0, last = 0;  ///< its local days
  std::vector<scorecard_row> agents;
};

namespace detail {
inline std::optional<double> kpi_ratio(std::uint64_t n, std::uint64_t d) {
  if (d == 0) return std::nullopt;
  return static_cast<double>(n) / static_cast<double>(d);
}

/// The eight values of a period's counts (aov also exactly).
inline std::array<std::optional<double>, kpi_count> kpi_values(const agent_period& p, std::optional<money>& aov) {
  std::array<std::optional<double>, kpi_count> v;
  v[static_cast<std::size_t>(kpi::inquiry_conversion)] = kpi_ratio(p.ordered, p.inquired);
  v[static_cast<std::size_t>(kpi::payment_conversion)] = kpi_ratio(p.placed_paid, p.placed);
  if (p.paid_orders > 0) {
    aov = average_money(p.revenue, p.paid_orders);
    v[static_cast<std::size_t>(kpi::aov_per_order)] = static_cast<double>(aov->minor()) / 100.0;
  }
  v[static_cast<std::size_t>(kpi::answer_ratio)] = kpi_ratio(p.agent_messages, p.buyer_messages);
  if (p.responses > 0)
    v[static_cast<std::size_t>(kpi::response_s_mean)] = p.response_s_sum / static_cast<double>(p.responses);
  v[static_cast<std::size_t>(kpi::invite_rate)] = kpi_ratio(p.invited, p.served);
  v[static_cast<std::size_t>(kpi::satisfaction)] = kpi_ratio(p.good_votes, p.votes);
  v[static_cast<std::size_t>(kpi::reply_rate)] = kpi_ratio(p.answered, p.answered + p.unanswered);
  return v;
}
}  // namespace detail

/// The scorecard of `agents` (name -> counts over [first, last]).
inline scorecard make_scorecard(std::string period, day_number first, day_number last,
                                const std::map<std::string, agent_period>& agents, const scorecard_options& opt) {
  scorecard card{std::move(period), first, last, {}};
  agent_period team;
  for (const auto& [name, p] : agents) team.add(p);
  std::optional<money> team_aov;
  const auto team_values = detail::kpi_values(team, team_aov);
  for (const auto& [name, p] : agents) {
    scorecard_row row;
    row.agent = name;
    const auto values = detail::kpi_values(p, row.aov);
    double weighted = 0, weights = 0;
    for (std::size_t i = 0; i < kpi_count; ++i) {
      kpi_value& kv = row.kpis[i];
      kv.value = values[i];
      const auto& rule = opt.rules[i];
      if (kv.value && rule) {
        kv.pass = rule->met(*kv.value);
        ++(*kv.pass ? row.passed : row.failed);
      }
      if (!opt.weights || (*opt.weights)[i] <= 0 || !kv.value) continue;
      const std::optional<double> target = rule ? std::optional<double>(rule->threshold) : team_values[i];
      if (!target) continue;
      const bool up = higher_is_better(static_cast<kpi>(i));
      const double num = up ? *kv.value : *target, den = up ? *target : *kv.value;
      const double attainment = den > 0 ? std::min(num / den, 1.5) : (num > 0 ? 1.5 : 1.0);
      weighted += (*opt.weights)[i] * attainment;
      weights += (*opt.weights)[i];
    }
    if (weights > 0) row.score = 100 * weighted / weights;
    card.agents.push_back(std::move(row));
  }
  std::sort(card.agents.begin(), card.agents.end(), [](const scorecard_row& a, const scorecard_row& b) {
    const double sa = a.score.value_or(-1), sb = b.score.value_or(-1);
    if (sa != sb) return sa > sb;
    if (a.failed != b.failed) return a.failed < b.failed;
    return a.agent < b.agent;
  });
  return card;
}

/// The periods of a scorecard from `first_day` to `as_of`: calendar months
/// (period_days 0), else runs of period_days local days, the last ending at
/// as_of. Each is (label, first, last), clipped to [first_day, as_of].
inline std::vector<std::pair<std::string, std::pair<day_number, day_number>>> scorecard_periods(
    day_number first_day, day_number as_of, int period_days) {
  std::vector<std::pair<std::string, std::pair<day_number, day_number>>> out;
  if (as_of < first_day) return out;
  if (period_days > 0) {
    for (std::int64_t last = as_of; last >= first_day; last -= period_days) {
      const day_number l = static_cast<day_number>(last);
      const day_number f = static_cast<day_number>(std::max<std::int64_t>(last - period_days + 1, first_day));
      out.insert(out.begin(), {format_day(f) + ".." + format_day(l), {f, l}});
    }
    return out;
  }
  day_number d = first_day;
  while (d <= as_of) {
    const civil_date c = civil_from_days(d);
    const std::int64_t next_month =
        c.month == 12 ? days_from_civil(c.year + 1, 1, 1) : days_from_civil(c.year, c.month + 1, 1);
    const day_number month_end = static_cast<day_number>(next_month - 1);
    const day_number l = std::min(month_end, as_of);
    out.push_back({format_day(d).substr(0, 7), {d, l}});
    d = static_cast<day_number>(l + 1);
  }
  return out;
}

}  // namespace csmetrics

#endif  // CSMETRICS_IO_SCORECARD_HPP_
