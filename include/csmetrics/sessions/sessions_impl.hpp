// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/sessions/sessions_impl.hpp
//
// Definitions of csmetrics/sessions/sessions.hpp (included at its bottom):
// the events and queries; merge and the serialized forms are in
// sessions_serde_impl.hpp.
#ifndef CSMETRICS_SESSIONS_SESSIONS_IMPL_HPP_
#define CSMETRICS_SESSIONS_SESSIONS_IMPL_HPP_

#include <algorithm>    // std::sort
#include <cmath>        // std::isfinite
#include <cstdio>       // std::snprintf (option values)
#include <string>       // std::to_string
#include <type_traits>  // std::decay_t, std::is_const_v
#include <vector>       // std::vector

namespace csmetrics {
// ---- sessions: events -------------------------------------------------------

template <class S, class B, class A>
void sessions<S, B, A>::on_buyer(std::uint32_t shop, const B& buyer, std::int64_t t, std::uint32_t routed1) {
  auto [c, fresh] = table_.find_or_insert(shop, buyer);
  if (fresh) {
    start_conversation(*c, shop, buyer, t, 0);
  } else {
    if (t < c->last_us) return reject(session_reject::out_of_order);
    expire_if_due(*c, shop, t);
    if (c->burst == 0 && starts_new(*c, t)) start_conversation(*c, shop, buyer, t, 0);
  }
  if (c->burst == 0) {
    c->clock_us = t;
    c->routed = routed1 != 0 ? routed1 : c->agent;
  } else {
    if (opt_.clock_from_last) c->clock_us = t;
    if (routed1 != 0) c->routed = routed1;
  }
  CSMETRICS_ASSERT(c->burst < 0xffffffffu, "burst of 2^32 buyer messages");
  ++c->burst;
  c->last_us = t;
  stats_type::bump(cell(shop, 0, day_of(t)).buyer_msgs_);
}

template <class S, class B, class A>
void sessions<S, B, A>::on_agent(std::uint32_t shop, const B& buyer, std::uint32_t agent1, std::int64_t t) {
  // Only buyer messages open conversations: an agent message outside one
  // (none open, or idle past the gap) is counted but changes no state, the
  // same whether or not flush() has freed the idle conversation.
  slot_type* c = table_.find(shop, buyer);
  if (c != nullptr) {
    if (c->burst != 0 && t < c->clock_us) return reject(session_reject::reply_before_question);
    if (t < c->last_us) return reject(session_reject::out_of_order);
    expire_if_due(*c, shop, t);
    if (c->burst == 0 && starts_new(*c, t)) c = nullptr;
  }
  const day_number d = day_of(t);
  if (c != nullptr && c->burst != 0) {
    const std::int64_t wait = t - c->clock_us;
    stats_type& k = cell(shop, agent1, day_of(c->clock_us));
    const bool first = !(c->flags & slot_type::first_taken);
    if (opt_.calendar) {  // (the options, not the cell: no load from the cell's far end)
      // Stored apart only once some wait differs from wall time (before the
      // wall figures take this sample: own() starts from them).
      const std::int64_t service = service_wait(shop, c->clock_us, t);
      if (service != wait || k.service_.diverged()) {
        detail::service_response& sv = k.service_.own(k.response_, k.first_);
        sv.response.add(duration{service});
        if (first) sv.first.add(duration{service});
      }
    }
    k.response_.add(duration{wait});
    const bool first_auto = !(c->flags & slot_type::first_auto_taken);
    if (first != first_auto) k.first_auto_.part(k.first_);  // a sample for one of the two: they part
    if (first) k.first_.add(duration{wait});
    if (first_auto && k.first_auto_.parted()) k.first_auto_.own().add(duration{wait});
    c->flags = slot_type::all_flags;
    stats_type::bump(k.credited_, c->burst);
    c->burst = 0;
  }
  stats_type& k = cell(shop, agent1, d);
  stats_type::bump(k.agent_msgs_);
  if (c != nullptr && note_agent(*c, agent1)) stats_type::bump(k.agent_conversations_);
  if (opt_.track_buyers && (c == nullptr || c->agent != agent1 || c->served_day != d)) {
    k.served_.insert(buyer);
    if (c != nullptr) c->served_day = d;
  }
  if (c != nullptr) {
    c->agent = agent1;
    c->last_us = t;
  }
}

template <class S, class B, class A>
void sessions<S, B, A>::on_auto(std::uint32_t shop, const B& buyer, std::int64_t t) {
  if (slot_type* c = table_.find(shop, buyer); c != nullptr && c->burst != 0) {
    if (t < c->clock_us) return reject(session_reject::reply_before_question);
    expire_if_due(*c, shop, t);
    if (c->burst != 0 && !(c->flags & slot_type::first_auto_taken)) {
      stats_type& k = cell(shop, 0, day_of(c->clock_us));
      k.first_auto_.part(k.first_);
      k.first_auto_.own().add(duration{t - c->clock_us});
      c->flags |= slot_type::first_auto_taken;
    }
  }
  stats_type::bump(cell(shop, 0, day_of(t)).auto_msgs_);
}

template <class S, class B, class A>
void sessions<S, B, A>::invite(const S& shop, const B& buyer, const A& agent, timestamp t) {
  stats_type& k = cell(intern_shop(shop), intern_agent(agent) + 1, day_of(us(t)));
  stats_type::bump(k.invitations_);
  if (opt_.track_buyers) k.invited_.insert(buyer);
}

template <class S, class B, class A>
void sessions<S, B, A>::vote(const S& shop, const B& buyer, const A& agent, int score, timestamp t) {
  (void)buyer;
  if (score < 1 || score > 5) return reject(session_reject::score_out_of_range);
  cell(intern_shop(shop), intern_agent(agent) + 1, day_of(us(t))).satisfaction_.add(score >= 4);
}

template <class S, class B, class A>
void sessions<S, B, A>::flush(timestamp now) {
  const std::int64_t t = us(now);
  table_.erase_if([&](slot_type& c) {
    expire_if_due(c, c.shop1 - 1, t);
    const bool ended = c.burst == 0 && t >= c.last_us && starts_new(c, t);
    if (ended && !more_agents_.empty()) more_agents_.erase({c.shop1, c.buyer});
    return ended;
  });
}

// ---- sessions: reports ------------------------------------------------------

template <class S, class B, class A>
typename sessions<S, B, A>::stats_type sessions<S, B, A>::query(const filter& f) const {
  std::optional<std::uint32_t> shop, agent1;
  if (f.shop) {
    const std::uint32_t* i = shop_index_.find(*f.shop);
    if (!i) return prototype_;
    shop = *i;
  }
  if (f.agent) {
    const std::uint32_t* i = agent_index_.find(*f.agent);
    if (!i) return prototype_;
    agent1 = *i + 1;
  }
  stats_type out = prototype_;
  auto visit = [&](std::uint32_t i) {
    const cell_key& k = cell_keys_[i];
    if ((shop && k.shop != *shop) || (agent1 && k.agent1 != *agent1) || (f.day && k.day != *f.day)) return;
    out.merge(cells_[i]);
  };
  if (shop) {
    if (*shop < shop_cells_.size())
      for (std::uint32_t i : shop_cells_[*shop]) visit(i);
  } else {
    for (std::size_t i = 0; i < cells_.size(); ++i) visit(static_cast<std::uint32_t>(i));
  }
  return out;
}

template <class S, class B, class A>
typename sessions<S, B, A>::shop_view sessions<S, B, A>::shop_breakdown(const S& s, bool with_days) const {
  shop_view v{prototype_, {}, {}, prototype_};
  const std::uint32_t* shop = shop_index_.find(s);
  if (!shop || *shop >= shop_cells_.size()) return v;
  for (std::uint32_t i : shop_cells_[*shop]) {
    const cell_key& k = cell_keys_[i];
    if (with_days) v.days.try_emplace(k.day, prototype_).first->second.merge(cells_[i]);
    else v.total.merge(cells_[i]);
    if (k.agent1 != 0) v.agents.try_emplace(agents_[k.agent1 - 1], prototype_).first->second.merge(cells_[i]);
  }
  if (with_days)
    for (const auto& [day, stats] : v.days) v.total.merge(stats);  // every cell is in one day
  return v;
}

template <class S, class B, class A>
std::uint64_t sessions<S, B, A>::pending(const filter& f) const {
  std::uint64_t n = 0;
  table_.for_each([&](const slot_type& c) {
    if (c.burst == 0) return;
    if (f.shop && shops_[c.shop1 - 1] != *f.shop) return;
    if (f.agent && (c.routed == 0 || agents_[c.routed - 1] != *f.agent)) return;
    if (f.day && day_of(c.clock_us) != *f.day) return;
    ++n;
  });
  return n;
}

template <class S, class B, class A>
std::optional<double> sessions<S, B, A>::km(const filter& f, timestamp now, bool service,
                                           const stats_type& st) const {
  // Risk set over time: answered samples are events (their values come from
  // the sketch as a fine grid of quantiles), unanswered bursts are censored
  // at max_wait (after every event), pending ones at their current wait.
  const std::uint64_t n_events = st.answered();
  std::vector<double> censored;  // seconds
  const std::int64_t t_now = us(now);
  table_.for_each([&](const slot_type& c) {
    if (c.burst == 0) return;
    if (f.shop && shops_[c.shop1 - 1] != *f.shop) return;
    if (f.agent && (c.routed == 0 || agents_[c.routed - 1] != *f.agent)) return;
    if (f.day && day_of(c.clock_us) != *f.day) return;
    const std::int64_t wait = service ? service_wait(c.shop1 - 1, c.clock_us, t_now) : t_now - c.clock_us;
    censored.push_back(static_cast<double>(std::max<std::int64_t>(0, wait)) / 1e6);
  });
  std::sort(censored.begin(), censored.end());
  const double total = static_cast<double>(n_events + st.unanswered() + censored.size());
  if (n_events == 0 || total == 0) return std::nullopt;
  // Walk the event times in rank order (the r-th smallest answered sample is
  // estimated by the sketch quantile of rank r); before each event, drop the
  // censored waits shorter than it from the risk set.
  double at_risk = total;
  double survival = 1.0;
  std::size_t ci = 0;
  // Each step stands for `w` events of the same (estimated) time: the quantile of its first rank.
  const std::uint64_t steps = std::min<std::uint64_t>(n_events, 4096);
  std::vector<double> weights, qs;
  for (std::uint64_t s = 0; s < steps; ++s) {
    const std::uint64_t lo = s * n_events / steps, hi = (s + 1) * n_events / steps;
    if (hi == lo) continue;
    weights.push_back(static_cast<double>(hi - lo));
    qs.push_back(n_events == 1 ? 0.0 : std::min(1.0, static_cast<double>(lo) / static_cast<double>(n_events - 1)));
  }
  const std::vector<double> times = (service ? st.response_service() : st.response()).sketch().quantiles(qs);
  for (std::size_t s = 0; s < times.size(); ++s) {
    const double w = weights[s], time = times[s];
    while (ci < censored.size() && censored[ci] < time) {
      at_risk -= 1;
      ++ci;
    }
    if (at_risk <= 0) break;
    const double next = survival * (1.0 - w / at_risk);
    if (next <= 0.5) {
      return time;
    }
    survival = next;
    at_risk -= w;
  }
  return std::nullopt;
}

template <class S, class B, class A>
template <class F>
void sessions<S, B, A>::for_each_cell(F f) const {
  for (std::size_t i = 0; i < cells_.size(); ++i) {
    const cell_key& k = cell_keys_[i];
    const A* agent = k.agent1 == 0 ? nullptr : &agents_[k.agent1 - 1];
    f(shops_[k.shop], agent, k.day, cells_[i]);
  }
}

template <class S, class B, class A>
template <class F>
void sessions<S, B, A>::for_each_cell(const S& shop, F f) const {
  const std::uint32_t* s = shop_index_.find(shop);
  if (!s || *s >= shop_cells_.size()) return;
  for (std::uint32_t i : shop_cells_[*s]) {
    const cell_key& k = cell_keys_[i];
    const A* agent = k.agent1 == 0 ? nullptr : &agents_[k.agent1 - 1];
    f(shops_[k.shop], agent, k.day, cells_[i]);
  }
}

template <class S, class B, class A>
std::uint64_t sessions<S, B, A>::rejected() const {
  std::uint64_t n = 0;
  for (std::uint64_t r : rejected_) n = detail::checked_add(n, r);
  return n;
}


}  // namespace csmetrics

#endif  // CSMETRICS_SESSIONS_SESSIONS_IMPL_HPP_
