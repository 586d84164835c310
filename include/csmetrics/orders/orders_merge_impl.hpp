// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/orders/orders_merge_impl.hpp
//
// How two csmetrics::basic_orders states combine and compare (included at
// the bottom of csmetrics/orders/orders.hpp): merge() adds the counters and
// unites the tracking tables (exact for states sharded by buyer, see the
// file comment of orders.hpp), operator== compares whole states, and
// rebuild_expiry() requeues every tracked order after a merge or a read.
// Defined out of line so that orders.hpp reads as the accumulator's
// interface; each definition keeps `inline`, as it had when written in the
// class.
#ifndef CSMETRICS_ORDERS_ORDERS_MERGE_IMPL_HPP_
#define CSMETRICS_ORDERS_ORDERS_MERGE_IMPL_HPP_

#include <algorithm>  // std::max
#include <cstddef>    // std::size_t
#include <stdexcept>  // std::invalid_argument
#include <utility>    // std::make_pair, std::move
#include <vector>     // std::vector

#include "csmetrics/orders/orders.hpp"

namespace csmetrics {

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline void basic_orders<Buyer, Order, Agent, Shop, Script>::merge(const basic_orders& other) {
  if (config_ != other.config_)
    CSMETRICS_THROW(std::invalid_argument("csmetrics::orders: merge needs the same orders_config"));
  basic_orders out = *this;  // also right when &other == this
  out.merge_in_place(other);
  *this = std::move(out);
}

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline void basic_orders<Buyer, Order, Agent, Shop, Script>::merge(basic_orders&& other) {
  if (this == &other) return merge(static_cast<const basic_orders&>(other));
  if (config_ != other.config_)
    CSMETRICS_THROW(std::invalid_argument("csmetrics::orders: merge needs the same orders_config"));
  merge_in_place(other);
}

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline void basic_orders<Buyer, Order, Agent, Shop, Script>::merge_in_place(const basic_orders& other) {
  watermark_ = std::max(watermark_, other.watermark_);
  for (const auto& [d, c] : other.inquiry_days_) inquiry_days_[d].merge(c);
  for (const auto& [d, c] : other.payment_days_) payment_days_[d].merge(c);
  for (std::size_t r = 0; r < attribution_rule_count; ++r) {
    rules_[r].merge(other.rules_[r]);
    for (const auto& [a, c] : other.agents_[r]) detail::orders_merge(agents_[r][a], c);
  }
  detail::orders_add(revenue_, other.revenue_);
  detail::orders_merge(mix_, other.mix_);
  for (const auto& [s, c] : other.scripts_) scripts_[s].merge(c);
  for (const auto& [a, c] : other.losses_) {
    auto& m = losses_[a];
    for (std::size_t i = 0; i < loss_reason_count; ++i) detail::orders_inc(m[i], c[i]);
  }
  for (const auto& [k, c] : other.agent_days_) agent_days_[k].merge(c);
  detail::orders_inc(repeat_buyers_, other.repeat_buyers_);
  detail::orders_inc(paying_buyers_, other.paying_buyers_);
  detail::orders_inc(visits_, other.visits_);
  detail::orders_inc(refunds_, other.refunds_);
  refunded_ += other.refunded_;
  detail::orders_inc(disputes_, other.disputes_);
  detail::orders_inc(disputed_orders_, other.disputed_orders_);
  detail::orders_inc(orphaned_, other.orphaned_);
  detail::orders_add(orphaned_amount_, other.orphaned_amount_);
  for (std::size_t i = 0; i < order_reject_count; ++i) detail::orders_inc(rejected_[i], other.rejected_[i]);
  // Tracking state.
  for (std::size_t i = 0; i < other.buyers_.size(); ++i) {
    const buyer_entry& ob = other.buyers_.at(i);
    auto [b, inserted] = buyers_.find_or_insert(bkey(ob.shop, ob.buyer), [&](buyer_entry& e) { e = ob; });
    if (!inserted) detail::orders_merge_buyer(*b, ob);
  }
  for (std::size_t i = 0; i < other.credits_.size(); ++i) {
    const credit_entry& oc = other.credits_.at(i);
    auto [c, inserted] = credits_.find_or_insert(ckey(oc.shop, oc.buyer, oc.day), [&](credit_entry& x) { x = oc; });
    if (!inserted && detail::orders_inquiry_less(oc, *c)) *c = oc;  // both hold the day: keep one deterministically
  }
  bool orders_changed = false;
  for (std::size_t i = 0; i < other.orders_.size(); ++i) {
    const order_entry& oe = other.orders_.at(i);
    auto [e, inserted] = orders_.find_or_insert(okey(oe.shop, oe.order), [&](order_entry& x) { x = oe; });
    if (inserted) {
      schedule(*e);
    } else if (detail::orders_order_less(oe, *e)) {
      *e = oe;  // the same order tracked by both: keep one deterministically
      orders_changed = true;
    }
  }
  if (orders_changed || !other.credits_.empty()) rebuild_expiry();
  for (const auto& [k, h] : other.held_) {
    auto it = held_.find(k);
    if (it == held_.end()) {
      held_.emplace(k, h);
      held_by_time_.emplace(h.t, k);
    } else if (detail::orders_held_less(h, it->second)) {
      held_by_time_.erase(std::make_pair(it->second.t, k));
      it->second = h;
      held_by_time_.emplace(h.t, k);
    }
  }
  // A payment held on one side whose order the other side tracks.
  std::vector<key_pair> ready;
  for (const auto& [k, h] : held_)
    if (orders_.find(okey(k.first, k.second))) ready.push_back(k);
  for (const key_pair& k : ready) {
    const detail::orders_held<Buyer> p = unhold(held_.find(k));
    apply_payment(*orders_.find(okey(k.first, k.second)), money::from_minor(p.amount), p.buyer,
                  timestamp{duration{p.t}});
  }
  while (held_.size() > config_.max_held_payments) orphan_oldest();
}

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline void basic_orders<Buyer, Order, Agent, Shop, Script>::rebuild_expiry() {
  expiry_ = decltype(expiry_){};
  for (std::size_t i = 0; i < orders_.size(); ++i) schedule(orders_.at(i));
  credit_queue_ = decltype(credit_queue_){};
  for (std::size_t i = 0; i < credits_.size(); ++i) schedule(credits_.at(i));
}

template <class Buyer, class Order, class Agent, class Shop, class Script>
inline bool basic_orders<Buyer, Order, Agent, Shop, Script>::equals(const basic_orders& o) const {
  if (!(config_ == o.config_ && watermark_ == o.watermark_ && inquiry_days_ == o.inquiry_days_ &&
        payment_days_ == o.payment_days_ && rules_ == o.rules_ && agents_ == o.agents_ && revenue_ == o.revenue_ &&
        mix_ == o.mix_ && scripts_ == o.scripts_ && losses_ == o.losses_ && repeat_buyers_ == o.repeat_buyers_ &&
        paying_buyers_ == o.paying_buyers_ && visits_ == o.visits_ && refunds_ == o.refunds_ &&
        refunded_ == o.refunded_ && disputes_ == o.disputes_ && disputed_orders_ == o.disputed_orders_ &&
        orphaned_ == o.orphaned_ && orphaned_amount_ == o.orphaned_amount_ && rejected_ == o.rejected_ &&
        held_ == o.held_ && agent_days_ == o.agent_days_ && buyers_.size() == o.buyers_.size() &&
        orders_.size() == o.orders_.size() && credits_.size() == o.credits_.size()))
    return false;
  for (std::size_t i = 0; i < buyers_.size(); ++i) {
    const buyer_entry& b = buyers_.at(i);
    const buyer_entry* ob = o.buyers_.find(bkey(b.shop, b.buyer));
    if (!ob || !(*ob == b)) return false;
  }
  for (std::size_t i = 0; i < orders_.size(); ++i) {
    const order_entry& e = orders_.at(i);
    const order_entry* oe = o.orders_.find(okey(e.shop, e.order));
    if (!oe || *oe != e) return false;
  }
  for (std::size_t i = 0; i < credits_.size(); ++i) {
    const credit_entry& c = credits_.at(i);
    const credit_entry* oc = o.credits_.find(ckey(c.shop, c.buyer, c.day));
    if (!oc || !(*oc == c)) return false;
  }
  return true;
}

}  // namespace csmetrics

#endif  // CSMETRICS_ORDERS_ORDERS_MERGE_IMPL_HPP_
