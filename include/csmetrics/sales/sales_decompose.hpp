// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/sales/sales_decompose.hpp
//
// The sales identity on one period's counts, and the exact split of a change
// between two periods (part of sales.hpp's API; include sales.hpp).
//
//   sales = traffic × conversion × average order value
//   revenue = T × (B / T) × (R / B)                       (telescopes exactly)
//
// T is the traffic (distinct visitors by default, or visits: traffic_basis),
// B the paying buyers (distinct buyers with at least one counted order, with
// or without a known amount) and R the revenue in minor units. All three
// factors are exact_ratio values, so the product is R to the cent.
//
// Change decomposition: Shapley, not LMDI. Both split ΔR exactly in real
// arithmetic, but LMDI-I weights each factor's log-change by the logarithmic
// mean L(R1, R0) = (R1 - R0) / ln(R1 / R0): its parts are irrational, so in
// a computer they only sum to ΔR up to rounding, and ln(0) makes it undefined
// whenever a period has zero traffic, zero buyers or zero revenue (LMDI
// papers then substitute a small epsilon, which is an arbitrary answer). The
// Shapley split averages each factor's marginal effect over the 3! orders in
// which the factors can change (for V = x·y·z):
//
//   part_x = Δx · [ (y0·z0 + y1·z1) / 3 + (y0·z1 + y1·z0) / 6 ]   (same for y, z)
//
// which is a polynomial in the counts: exact in rationals, defined at zero,
// symmetric (no factor is privileged by the order of evaluation), and a factor
// that does not move gets exactly 0 (the seed: AOV 150 -> 180 gets all
// +180 000). Shapley is used throughout, so there is no fallback seam.
//
// Zero factors. Conversion B / T is undefined when T = 0 and AOV R / B when
// B = 0. Such a period has revenue 0 (no buyer, no revenue), so any value of
// the undefined factor reproduces it; the library takes the other period's
// value (or 0 when both are undefined). The factor then does not move, and
// the change goes to the factors that did: traffic 0 -> 200 000 is all
// traffic. A period where the identity cannot hold at all - buyers without any
// traffic (orders from visitors the traffic log never saw), or revenue without
// buyers (hand-made snapshots) - is reported as `explained == false` with the
// whole change in `unexplained`; never a NaN, never a silent guess.
//
// Cents. The exact parts are fractions of a cent. `*_money` rounds them with
// the largest-remainder method: each part is floored, and the cents the floors
// lost (0, 1 or 2, since the exact parts sum to a whole number of cents) go
// to the parts with the largest fractional remainders (ties: traffic, then
// conversion, then AOV). The rounded parts then sum to Δrevenue exactly.
//
// Mix effect (shift-share). A rate over groups - overall conversion over
// consulted and silent buyers, or over agents - is Σ w_g · r_g with w_g the
// group's share of the denominator and r_g its own rate. Its change splits
// exactly, with midpoint weights, into
//
//   mix  = Σ (w1_g - w0_g) · (r0_g + r1_g) / 2    (the group shares changed)
//   rate = Σ (w0_g + w1_g) / 2 · (r1_g - r0_g)    (the groups converted differently)
//
// A group absent in one period (no trials) has weight 0 there and borrows its
// rate from the other period, which keeps the sum exact.
#ifndef CSMETRICS_SALES_SALES_DECOMPOSE_HPP_
#define CSMETRICS_SALES_SALES_DECOMPOSE_HPP_

#include <array>        // std::array (three parts)
#include <cstdint>      // std::uint64_t
#include <map>          // std::map (groups, deterministic order)
#include <optional>     // std::optional
#include <stdexcept>    // std::invalid_argument, std::overflow_error
#include <string>       // std::string
#include <utility>      // std::swap

#include "csmetrics/sales/sales_exact.hpp"
#include "csmetrics/core/error.hpp"
#include "csmetrics/core/money.hpp"
#include "csmetrics/core/rate.hpp"

namespace csmetrics {

/// Which traffic measure the identity and conversion use.
enum class traffic_basis : std::uint8_t {
  /// Distinct visitors (UV, 访客数) of the period: conversion is then a share of
  /// people (paying buyers / visitors, at most 100 %), as shop dashboards
  /// report it. The default.
  visitors = 0,
  /// Visits (page views / sessions, 流量 in the seed's sense): conversion is
  /// then paying buyers per visit.
  visits = 1,
};

/**
 * One period's (and one key's) sales counts: a plain value obtained from a
 * `sales` accumulator, or filled in by hand. Derived figures are computed on
 * request as exact fractions; money-valued ones are in minor units (cents).
 *
 *     csmetrics::sales_snapshot s;
 *     s.visits = s.visitors = 200000;
 *     s.paying_buyers = s.buyers_with_amount = s.orders = 6000;
 *     s.revenue = csmetrics::money::from_minor(900000'00);
 *     s.conversion()->percent(2);            // "3.00"
 *     s.aov_per_paying_buyer()->to_double(); // 15000 (cents: 150.00)
 *     s.identity_revenue() == 900000'00;     // exactly
 */
struct sales_snapshot {
  std::uint64_t visits = 0;                 ///< visit events
  std::uint64_t visitors = 0;               ///< distinct visitors
  std::uint64_t paying_buyers = 0;          ///< distinct buyers with >= 1 counted order (amount known or not)
  std::uint64_t buyers_with_amount = 0;     ///< distinct buyers with >= 1 order whose amount is known
  std::uint64_t orders = 0;                 ///< counted orders, with or without amount
  std::uint64_t orders_without_amount = 0;  ///< of `orders`: amount unknown (in conversion, not in revenue/AOV)
  money revenue;                            ///< sum of the known amounts (gross sales)
  money refunds;                            ///< money returned (only in selections without agent/consulted filter)
  std::uint64_t refund_count = 0;           ///< refund events behind `refunds`

  /// revenue - refunds.
  money net_revenue() const { return revenue - refunds; }

  std::uint64_t orders_with_amount() const { return orders - orders_without_amount; }
  /// visitors or visits.
  std::uint64_t traffic(traffic_basis basis = traffic_basis::visitors) const {
    return basis == traffic_basis::visits ? visits : visitors;
  }
  /// paying_buyers / traffic; empty when traffic is 0.
  std::optional<exact_ratio> conversion(traffic_basis basis = traffic_basis::visitors) const {
    if (traffic(basis) == 0) return std::nullopt;
    return exact_ratio::of_counts(paying_buyers, traffic(basis));
  }
  /// revenue / orders with a known amount (客单价 per order), in cents;
  /// empty when no order has an amount.
  std::optional<exact_ratio> aov_per_order() const {
    if (orders_with_amount() == 0) return std::nullopt;
    return exact_ratio(revenue.minor()) / exact_ratio::of_count(orders_with_amount());
  }
  /// revenue / buyers with a known amount (客单价 per paying buyer, the
  /// dashboard figure), in cents; empty when no buyer has an amount.
  std::optional<exact_ratio> aov_per_paying_buyer() const {
    if (buyers_with_amount == 0) return std::nullopt;
    return exact_ratio(revenue.minor()) / exact_ratio::of_count(buyers_with_amount);
  }
  /// The identity's AOV factor: revenue / paying_buyers, in cents. Equal to
  /// aov_per_paying_buyer() when every order has an amount; lower when some
  /// lack one (those buyers count in conversion but bring no revenue).
  std::optional<exact_ratio> identity_aov() const {
    if (paying_buyers == 0) return std::nullopt;
    return exact_ratio(revenue.minor()) / exact_ratio::of_count(paying_buyers);
  }
  /// False when the counts cannot satisfy the identity: buyers without
  /// traffic, or revenue without buyers.
  bool identity_defined(traffic_basis basis = traffic_basis::visitors) const {
    return !(traffic(basis) == 0 && paying_buyers != 0) && !(paying_buyers == 0 && revenue != money{});
  }
  /// traffic × conversion × identity_aov, in cents: equals revenue exactly
  /// whenever identity_defined(); empty otherwise.
  std::optional<exact_ratio> identity_revenue(traffic_basis basis = traffic_basis::visitors) const {
    if (!identity_defined(basis)) return std::nullopt;
    if (traffic(basis) == 0 || paying_buyers == 0) return exact_ratio{};
    return exact_ratio::of_count(traffic(basis)) * *conversion(basis) * *identity_aov();
  }

  friend bool operator==(const sales_snapshot& a, const sales_snapshot& b) {
    return a.visits == b.visits && a.visitors == b.visitors && a.paying_buyers == b.paying_buyers &&
           a.buyers_with_amount == b.buyers_with_amount && a.orders == b.orders &&
           a.orders_without_amount == b.orders_without_amount && a.revenue == b.revenue &&
           a.refunds == b.refunds && a.refund_count == b.refund_count;
  }
  friend bool operator!=(const sales_snapshot& a, const sales_snapshot& b) { return !(a == b); }
};

/// Index of a factor in sales_change's arrays.
enum class sales_factor : std::uint8_t { traffic = 0, conversion = 1, aov = 2 };

/**
 * Δrevenue between two snapshots split into a traffic, a conversion and an
 * AOV part (Shapley; see the file comment). `parts` are exact (cents as
 * fractions) and sum to `change`; `parts_money` are the same rounded to cents
 * by largest remainder and sum to `change` exactly.
 */
struct sales_change {
  traffic_basis basis = traffic_basis::visitors;
  money before;                          ///< revenue of the earlier period
  money after;                           ///< revenue of the later period
  money change;                          ///< after - before
  std::array<exact_ratio, 3> parts;      ///< exact, indexed by sales_factor; sum + unexplained == change
  /// Rounded to cents; sum == change. Empty when !explained, and when a part leaves money's
  /// int64 range (opposite parts of extreme shifts, e.g. traffic x 10^9 while
  /// conversion falls as much); the exact parts are always there.
  std::optional<std::array<money, 3>> parts_money;
  bool explained = true;                 ///< false: a period breaks the identity, parts are 0
  money unexplained;                     ///< change when !explained, else 0

  const exact_ratio& part(sales_factor f) const { return parts[static_cast<std::size_t>(f)]; }
  /// The rounded part; throws std::overflow_error when parts_money is empty.
  money part_money(sales_factor f) const {
    if (!parts_money) CSMETRICS_THROW(std::overflow_error("csmetrics::sales_change: part exceeds the money range"));
    return (*parts_money)[static_cast<std::size_t>(f)];
  }
};

namespace detail {

/// Exact parts (x, y, z) of x1·y1·z1 - x0·y0·z0 (3-factor Shapley).
inline std::array<exact_ratio, 3> shapley3(const std::array<exact_ratio, 3>& f0, const std::array<exact_ratio, 3>& f1) {
  std::array<exact_ratio, 3> out;
  const exact_ratio third(1, 3), sixth(1, 6);
  for (std::size_t i = 0; i < 3; ++i) {
    const std::size_t j = (i + 1) % 3, k = (i + 2) % 3;
    exact_ratio same = (f0[j] * f0[k] + f1[j] * f1[k]) * third;
    exact_ratio cross = (f0[j] * f1[k] + f1[j] * f0[k]) * sixth;
    out[i] = (f1[i] - f0[i]) * (same + cross);
  }
  return out;
}

/// Rounds exact parts whose sum is the integer `total` to integers with the
/// same sum (largest remainder; ties to the lower index). Empty when a
/// rounded part does not fit in int64.
inline std::optional<std::array<std::int64_t, 3>> largest_remainder(const std::array<exact_ratio, 3>& parts,
                                                                    std::int64_t total) {
  std::array<std::int64_t, 3> out{};
  std::array<exact_ratio, 3> rem;
  std::int64_t floors = 0;
  constexpr std::size_t fits = 62;  // |floor| < 2^62 leaves room for the sum and the +1s
  for (std::size_t i = 0; i < 3; ++i) {
    sales_bigint f = parts[i].floor();
    if (f.bit_length() > fits) return std::nullopt;
    out[i] = f.to_i64();
    rem[i] = parts[i] - exact_ratio(out[i]);
    floors += out[i];
  }
  std::int64_t left = total - floors;  // 0..2 when the parts sum to total
  CSMETRICS_ASSERT(left >= 0 && left <= 2, "exact parts sum to the total");
  std::array<std::size_t, 3> order{0, 1, 2};
  for (std::size_t a = 0; a < 3; ++a)  // stable selection by remainder, largest first
    for (std::size_t b = a + 1; b < 3; ++b)
      if (rem[order[b]] > rem[order[a]] || (rem[order[b]] == rem[order[a]] && order[b] < order[a]))
        std::swap(order[a], order[b]);
  for (std::int64_t i = 0; i < left && i < 3; ++i) out[order[static_cast<std::size_t>(i)]] += 1;
  return out;
}

}  // namespace detail

/// Splits revenue(after) - revenue(before) into traffic, conversion and AOV
/// parts (Shapley; exact; see the file comment for zero factors).
inline sales_change decompose_change(const sales_snapshot& before, const sales_snapshot& after,
                                     traffic_basis basis = traffic_basis::visitors) {
  sales_change c;
  c.basis = basis;
  c.before = before.revenue;
  c.after = after.revenue;
  c.change = after.revenue - before.revenue;
  if (!before.identity_defined(basis) || !after.identity_defined(basis)) {
    c.explained = false;
    c.unexplained = c.change;
    return c;
  }
  auto conv0 = before.conversion(basis), conv1 = after.conversion(basis);
  auto aov0 = before.identity_aov(), aov1 = after.identity_aov();
  auto fill = [](std::optional<exact_ratio>& a, std::optional<exact_ratio>& b) {
    if (!a && !b) a = b = exact_ratio{};
    if (!a) a = b;
    if (!b) b = a;
  };
  fill(conv0, conv1);
  fill(aov0, aov1);
  std::array<exact_ratio, 3> f0{exact_ratio::of_count(before.traffic(basis)), *conv0, *aov0};
  std::array<exact_ratio, 3> f1{exact_ratio::of_count(after.traffic(basis)), *conv1, *aov1};
  c.parts = detail::shapley3(f0, f1);
  if (auto cents = detail::largest_remainder(c.parts, c.change.minor())) {
    c.parts_money.emplace();
    for (std::size_t i = 0; i < 3; ++i) (*c.parts_money)[i] = money::from_minor((*cents)[i]);
  }
  return c;
}

/// actual / target exactly (72.8 %: attainment(145.60, 200.00)->percent(2) ==
/// "72.80"); empty when target is 0. Throws std::invalid_argument when target
/// is negative.
inline std::optional<exact_ratio> attainment(money actual, money target) {
  if (target < money{})
    CSMETRICS_THROW(std::invalid_argument("csmetrics::attainment: target must be >= 0: " + target.to_string()));
  if (target == money{}) return std::nullopt;
  return exact_ratio(actual.minor(), target.minor());
}

/// One group of a shift-share: numerator / denominator (buyers / visitors,
/// revenue in cents / buyers ...). A group with denominator 0 is absent.
struct mix_group {
  exact_ratio numerator;
  exact_ratio denominator;  ///< >= 0

  static mix_group of(const rate_counter& r) {
    return {exact_ratio::of_count(r.successes()), exact_ratio::of_count(r.trials())};
  }
};

/**
 * The change of a rate over groups split into mix (the groups' shares moved)
 * and rate (the groups' own rates moved); `mix + rate == change` exactly, and
 * so per group. See the file comment for the formula.
 */
template <class Key>
struct mix_change {
  exact_ratio before;  ///< overall rate of the earlier period
  exact_ratio after;   ///< overall rate of the later period
  exact_ratio change;  ///< after - before
  exact_ratio mix;     ///< Σ (w1 - w0)(r0 + r1) / 2
  exact_ratio rate;    ///< Σ (w0 + w1)/2 (r1 - r0)
  std::map<Key, exact_ratio> mix_by_group;
  std::map<Key, exact_ratio> rate_by_group;
};

/// Shift-share split of the overall rate Σnum / Σden between two periods.
/// Empty when either period has no denominator at all (no rate to compare).
/// Throws std::invalid_argument on a negative denominator or a non-zero
/// numerator over a zero denominator.
template <class Key>
std::optional<mix_change<Key>> mix_decompose(const std::map<Key, mix_group>& before,
                                             const std::map<Key, mix_group>& after) {
  auto totals = [](const std::map<Key, mix_group>& g, exact_ratio& num, exact_ratio& den) {
    for (const auto& kv : g) {
      if (kv.second.denominator.sign() < 0)
        CSMETRICS_THROW(std::invalid_argument("csmetrics::mix_decompose: negative denominator " +
                                              kv.second.denominator.to_string()));
      if (kv.second.denominator.is_zero() && !kv.second.numerator.is_zero())
        CSMETRICS_THROW(std::invalid_argument("csmetrics::mix_decompose: numerator " +
                                              kv.second.numerator.to_string() + " over a zero denominator"));
      num += kv.second.numerator;
      den += kv.second.denominator;
    }
  };
  exact_ratio n0, d0, n1, d1;
  totals(before, n0, d0);
  totals(after, n1, d1);
  if (d0.is_zero() || d1.is_zero()) return std::nullopt;
  mix_change<Key> m;
  m.before = n0 / d0;
  m.after = n1 / d1;
  m.change = m.after - m.before;
  std::map<Key, int> keys;
  for (const auto& kv : before) keys[kv.first] = 0;
  for (const auto& kv : after) keys[kv.first] = 0;
  const exact_ratio half(1, 2);
  for (const auto& kv : keys) {
    auto b = before.find(kv.first), a = after.find(kv.first);
    const bool has0 = b != before.end() && !b->second.denominator.is_zero();
    const bool has1 = a != after.end() && !a->second.denominator.is_zero();
    if (!has0 && !has1) continue;
    exact_ratio w0 = has0 ? b->second.denominator / d0 : exact_ratio{};
    exact_ratio w1 = has1 ? a->second.denominator / d1 : exact_ratio{};
    exact_ratio r0 = has0 ? b->second.numerator / b->second.denominator : exact_ratio{};
    exact_ratio r1 = has1 ? a->second.numerator / a->second.denominator : exact_ratio{};
    if (!has0) r0 = r1;
    if (!has1) r1 = r0;
    exact_ratio mix = (w1 - w0) * (r0 + r1) * half;
    exact_ratio rate = (w0 + w1) * half * (r1 - r0);
    m.mix += mix;
    m.rate += rate;
    m.mix_by_group[kv.first] = mix;
    m.rate_by_group[kv.first] = rate;
  }
  return m;
}

}  // namespace csmetrics

#endif  // CSMETRICS_SALES_SALES_DECOMPOSE_HPP_
