// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/sharded/shard_router.hpp
//
// Which shard an event belongs to (csmetrics/sharded.hpp explains the
// routing): the shard keys, the FNV-1a routing hash that every process and
// platform agrees on (examples/mpi_report.cpp routes with it too), the
// router that remembers each order's shard, and the automatic key choice.
#ifndef CSMETRICS_SHARDED_SHARD_ROUTER_HPP_
#define CSMETRICS_SHARDED_SHARD_ROUTER_HPP_

#include <algorithm>      // std::max_element, std::min
#include <cstddef>        // std::size_t
#include <cstdint>        // std::uint64_t, std::uint32_t
#include <stdexcept>      // std::invalid_argument
#include <string>         // std::string (order map keys, messages)
#include <string_view>    // std::string_view
#include <unordered_map>  // std::unordered_map (order id -> shard)
#include <vector>         // std::vector

#include "csmetrics/core/error.hpp"
#include "csmetrics/io/event.hpp"
#include "csmetrics/io/event_batch.hpp"

namespace csmetrics {

/// What decides an event's shard. Every key gives the same bytes; only the speed differs.
enum class shard_key : std::uint8_t {
  /// hash(shop, buyer): a shop's buyers spread over every shard, so one big
  /// shop still uses every thread; each shard keeps its own per-shop cells
  /// (sessions, sales days, ratings windows), duplicated across shards.
  shop_buyer = 0,
  /// hash(shop): a shop lives on one shard, so nothing is duplicated and the
  /// final merge only gathers; a shop larger than 1/N of the stream caps the
  /// speed-up. The better choice for many similar shops.
  shop = 1,
  /// One of the two, chosen from the first batch (choose_shard_key): shop
  /// when whole shops spread evenly enough over the shards, else shop_buyer.
  automatic = 2,
};

namespace detail {

/// FNV-1a 64 over `s`, continuing from `h`: the same on every platform.
inline std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 14695981039346656037ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

/// The routing hash of (shop, key): shop bytes, a 0x1f separator, key bytes.
inline std::uint64_t shard_hash(std::string_view shop, std::string_view key) {
  std::uint64_t h = fnv1a(shop);
  h ^= 0x1f;
  h *= 1099511628211ull;
  return fnv1a(key, h);
}

/// True for the types whose `order` column, not the buyer, decides the shard.
constexpr bool order_keyed(event_type t) {
  return t == event_type::payment || t == event_type::cancel || t == event_type::refund ||
         t == event_type::dispute || t == event_type::reminder;
}

}  // namespace detail

/**
 * The shard of each event (see the file comment): hash(shop, buyer) % shards,
 * order-keyed events to their order's shard. Remembers (shop, order id) ->
 * shard from the order events it routes, so feed it the stream in order.
 *
 *     csmetrics::shard_router r(4);
 *     while (in.next(e)) parts[r.route(e)].push(e);
 *
 * Cost: one FNV-1a hash of shop and buyer; an order event also inserts its
 * (shop, order id), an order-keyed event looks it up.
 */
class shard_router {
 public:
  /// REQUIRES: shards in [1, 256] (std::invalid_argument otherwise).
  /// REQUIRES: key not automatic (choose_shard_key decides it; std::invalid_argument otherwise).
  explicit shard_router(std::size_t shards, shard_key key = shard_key::shop_buyer) : shards_(shards), key_kind_(key) {
    if (shards < 1 || shards > 256)
      CSMETRICS_THROW(std::invalid_argument("shard_router: shards must be in [1, 256]: " + std::to_string(shards)));
    if (key != shard_key::shop_buyer && key != shard_key::shop)
      CSMETRICS_THROW(std::invalid_argument("shard_router: the key must be shop_buyer or shop"));
  }

  /// The shard `e` belongs to (and, for an order event, remembers its order).
  std::size_t route(const event& e) {
    if (key_kind_ == shard_key::shop) return static_cast<std::size_t>(detail::shard_hash(e.shop, {}) % shards_);
    if (detail::order_keyed(e.type)) {
      if (!orders_.empty() && !e.order.empty()) {
        auto it = orders_.find(order_key(e));
        if (it != orders_.end()) return it->second;
      }
      if (e.buyer.empty()) ++unknown_order_;
      return shard_of(e);
    }
    const std::size_t s = shard_of(e);
    if (e.type == event_type::order && !e.order.empty() && !e.buyer.empty())
      orders_.try_emplace(order_key(e), static_cast<std::uint32_t>(s));  // the first order event with this id wins
    return s;
  }

  std::size_t shards() const { return shards_; }
  shard_key key() const { return key_kind_; }
  /// Order-keyed events routed before their order was seen and without a
  /// buyer column (exactness precondition 2 at risk: see the file comment).
  std::uint64_t unknown_order_routes() const { return unknown_order_; }
  /// Distinct (shop, order id) remembered.
  std::size_t orders_remembered() const { return orders_.size(); }

 private:
  std::size_t shard_of(const event& e) const {
    return static_cast<std::size_t>(detail::shard_hash(e.shop, e.buyer) % shards_);
  }
  const std::string& order_key(const event& e) {
    key_.assign(e.shop.data(), e.shop.size());
    key_ += '\x1f';
    key_.append(e.order.data(), e.order.size());
    return key_;
  }

  std::size_t shards_;
  shard_key key_kind_;
  std::unordered_map<std::string, std::uint32_t> orders_;  // "shop\x1forder" -> shard
  std::string key_;                                        // scratch
  std::uint64_t unknown_order_ = 0;
};

/**
 * The key shard_key::automatic takes for `shards` shards, from the shops of
 * the first `max_events` events of `sample`: shard_key::shop when hash(shop)
 * puts at most 1/(0.7 N) of them on the busiest shard, else shop_buyer.
 * Why 0.7: on this project's 2-core machine (BENCHMARKS.md) whole shops gave
 * ~2x with an even spread and 1.58x with a 28 % shop, (shop, buyer) ~1.4x,
 * i.e. 0.7 N; whole shops run about as fast as the sample share of the
 * busiest shard allows (1 / its share). One shard: shop (no order map).
 *
 *     csmetrics::choose_shard_key(first_batch, 4, 16384)  // shop for 1 000 similar shops
 */
inline shard_key choose_shard_key(const event_batch& sample, std::size_t shards, std::size_t max_events) {
  if (shards <= 1) return shard_key::shop;
  const std::size_t n = std::min(sample.size(), max_events);
  if (n == 0) return shard_key::shop_buyer;
  std::vector<std::size_t> load(shards);
  for (std::size_t i = 0; i < n; ++i) ++load[detail::shard_hash(sample.events()[i].shop, {}) % shards];
  const std::size_t busiest = *std::max_element(load.begin(), load.end());
  // busiest / n <= 1 / (0.7 shards), in integers (n, shards < 2^40: no overflow).
  return busiest * shards * 7 <= n * 10 ? shard_key::shop : shard_key::shop_buyer;
}

}  // namespace csmetrics

#endif  // CSMETRICS_SHARDED_SHARD_ROUTER_HPP_
