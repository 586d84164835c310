// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/sessions/sessions_impl.hpp
//
// Definitions of csmetrics/sessions/sessions.hpp (included at its bottom).
//
// Serialized forms, format version 1 (after the 6-byte header, flags 0;
// v = LEB128 varint, s = zig-zag varint):
//
//   response_stats (type id 35): within_seconds f64, slow_seconds f64,
//     count v, sum_us v, [min_us s, max_us s when count > 0], within v,
//     slow v, quantile_sketch (full form; its count == count).
//   session_stats (type id 34, version 2): conversations, buyer, agent,
//     auto, credited, unanswered, invitations (7 v), agent_conversations v
//     (version 2; 0 when reading version 1), satisfaction rate_counter, response,
//     first, first_with_auto (response_stats), served n v + n buyer ids,
//     invited n v + n ids (ids strictly increasing).
//   sessions (type id 32, version 2): options (gap_us s, max_wait_us s, offset minutes
//     s, within f64, slow f64, accuracy f64, option bits u8: 1 clock_from_last,
//     2 split_at_midnight, 4 track_buyers), rejections (n v, n v),
//     shops (n v + ids, strictly increasing), agents (same), cells
//     (n v; each shop index v, agent index + 1 v, day s, session_stats;
//     strictly increasing by (shop, agent, day)), open conversations (n v;
//     each shop index v, buyer id, clock_us s, last_us s, burst v, agent v,
//     routed v, served_day s, flags u8, then (version 2) the agents who wrote
//     in it: n v + n agent indexes v, increasing; strictly increasing by
//     (shop, buyer)). Version 1 conversations take their last agent as the
//     agents who wrote in it.
// Shops and agents are written in id order, so equal states have equal bytes.
#ifndef CSMETRICS_SESSIONS_SESSIONS_IMPL_HPP_
#define CSMETRICS_SESSIONS_SESSIONS_IMPL_HPP_

#include <algorithm>  // std::sort, std::lower_bound
#include <cmath>      // std::isfinite
#include <numeric>    // std::iota
#include <string>       // std::to_string
#include <tuple>        // std::make_tuple (canonical cell order)
#include <type_traits>  // std::decay_t, std::is_const_v
#include <vector>       // std::vector

namespace csmetrics {
namespace detail {
/// Thresholds in seconds: [0.001, 86400] (NaN fails).
inline bool valid_threshold(double s) { return s >= 0.001 && s <= 86400.0; }
}  // namespace detail

inline void session_options::validate() const {
  if (session_gap <= duration::zero() || session_gap > std::chrono::hours{24 * 30})
    CSMETRICS_THROW(std::invalid_argument("session_gap must be in (0, 30 days]: " +
                                          std::to_string(session_gap.count()) + " us"));
  if (max_wait <= duration::zero() || max_wait > std::chrono::hours{24 * 30})
    CSMETRICS_THROW(std::invalid_argument("max_wait must be in (0, 30 days]: " + std::to_string(max_wait.count()) +
                                          " us"));
  if (!detail::valid_threshold(within_seconds))
    CSMETRICS_THROW(std::invalid_argument("within_seconds must be in [0.001, 86400]: " + std::to_string(within_seconds)));
  if (!detail::valid_threshold(slow_seconds))
    CSMETRICS_THROW(std::invalid_argument("slow_seconds must be in [0.001, 86400]: " + std::to_string(slow_seconds)));
  if (!(relative_accuracy >= quantile_sketch::min_relative_accuracy &&
        relative_accuracy <= quantile_sketch::max_relative_accuracy))
    CSMETRICS_THROW(std::invalid_argument("relative_accuracy must be in [0.001, 0.1]: " +
                                          std::to_string(relative_accuracy)));
}

// ---- response_stats ---------------------------------------------------------

inline response_stats::response_stats(double within_seconds, double slow_seconds, double relative_accuracy)
    : within_s_(within_seconds),
      slow_s_(slow_seconds),
      within_us_(0),
      slow_us_(0),
      sketch_(relative_accuracy, within_seconds == slow_seconds ? std::vector<double>{within_seconds}
                                                                : std::vector<double>{within_seconds, slow_seconds}) {
  if (!detail::valid_threshold(within_seconds) || !detail::valid_threshold(slow_seconds))
    CSMETRICS_THROW(std::invalid_argument("response_stats thresholds must be in [0.001, 86400] seconds: " +
                                          std::to_string(within_seconds) + ", " + std::to_string(slow_seconds)));
  within_us_ = to_us(within_seconds);
  slow_us_ = to_us(slow_seconds);
}

inline void response_stats::add(duration d) {
  const std::int64_t x = d.count();
  CSMETRICS_ASSERT(x >= 0, "response_stats::add: negative sample");
  if (x < 0) return;
  sum_us_ = detail::checked_add(sum_us_, static_cast<std::uint64_t>(x));
  sketch_.add(static_cast<double>(x) / 1e6);
  if (count_ == 0 || x < min_us_) min_us_ = x;
  if (count_ == 0 || x > max_us_) max_us_ = x;
  ++count_;
  if (x <= within_us_) ++within_;
  if (x > slow_us_) ++slow_;
}

inline std::optional<double> response_stats::mean() const {
  if (count_ == 0) return std::nullopt;
  return static_cast<double>(sum_us_) / 1e6 / static_cast<double>(count_);
}
inline std::optional<double> response_stats::min() const {
  if (count_ == 0) return std::nullopt;
  return static_cast<double>(min_us_) / 1e6;
}
inline std::optional<double> response_stats::max() const {
  if (count_ == 0) return std::nullopt;
  return static_cast<double>(max_us_) / 1e6;
}

inline void response_stats::merge(const response_stats& o) {
  if (within_s_ != o.within_s_ || slow_s_ != o.slow_s_)
    CSMETRICS_THROW(std::invalid_argument("response_stats::merge: different thresholds"));
  if (o.count_ == 0) return;
  const std::uint64_t sum = detail::checked_add(sum_us_, o.sum_us_);
  sketch_.merge(o.sketch_);  // throws on another accuracy, before anything changes
  min_us_ = count_ == 0 ? o.min_us_ : std::min(min_us_, o.min_us_);
  max_us_ = count_ == 0 ? o.max_us_ : std::max(max_us_, o.max_us_);
  sum_us_ = sum;
  count_ += o.count_;
  within_ += o.within_;
  slow_ += o.slow_;
}

inline void response_stats::reset() { *this = response_stats(within_s_, slow_s_, sketch_.relative_accuracy()); }

inline void response_stats::serialize_to(detail::writer& w) const {
  w.header(detail::response_stats_type_id, format_version);
  w.f64(within_s_);
  w.f64(slow_s_);
  w.varint(count_);
  w.varint(sum_us_);
  if (count_ > 0) {
    w.svarint(min_us_);
    w.svarint(max_us_);
  }
  w.varint(within_);
  w.varint(slow_);
  sketch_.serialize_to(w);
}

inline response_stats response_stats::deserialize_from(detail::reader& r) {
  std::uint8_t flags = 0;
  r.header(detail::response_stats_type_id, "response_stats", format_version, &flags);
  r.check(flags == 0, "response_stats flags must be 0");
  const double within = r.f64();
  const double slow = r.f64();
  r.check(detail::valid_threshold(within) && detail::valid_threshold(slow), "thresholds in [0.001, 86400]");
  const std::uint64_t count = r.varint();
  const std::uint64_t sum = r.varint();
  std::int64_t mn = 0, mx = 0;
  if (count > 0) {
    mn = r.svarint();
    mx = r.svarint();
  }
  const std::uint64_t in = r.varint();
  const std::uint64_t sl = r.varint();
  quantile_sketch sk = quantile_sketch::deserialize_from(r);
  r.check(count == 0 || (0 <= mn && mn <= mx), "0 <= min <= max");
  r.check(in <= count && sl <= count, "within, slow <= count");
  r.check(sk.count() == count && sk.rejected() == 0, "sketch count == count");
  if (count > 0) {
    // sum within [min * count, max * count], computed without overflow
    const long double c = static_cast<long double>(count);
    r.check(static_cast<long double>(sum) >= static_cast<long double>(mn) * c * (1 - 1e-12L) &&
                static_cast<long double>(sum) <= static_cast<long double>(mx) * c * (1 + 1e-12L),
            "min * count <= sum <= max * count");
  } else {
    r.check(sum == 0 && in == 0 && sl == 0, "empty stats are zero");
  }
  response_stats out(within, slow, sk.relative_accuracy());
  r.check(sk.thresholds() == out.sketch_.thresholds(), "sketch thresholds == within/slow");
  if (count > 0) {
    r.check((in > 0) == (mn <= out.within_us_) && (in == count) == (mx <= out.within_us_),
            "within count consistent with min and max");
    r.check((sl > 0) == (mx > out.slow_us_) && (sl == count) == (mn > out.slow_us_),
            "slow count consistent with min and max");
  }
  out.count_ = count;
  out.sum_us_ = sum;
  out.min_us_ = mn;
  out.max_us_ = mx;
  out.within_ = in;
  out.slow_ = sl;
  out.sketch_ = std::move(sk);
  return out;
}

// ---- session_stats ----------------------------------------------------------

template <class BuyerId>
rate_counter session_stats<BuyerId>::invitation_rate() const {
  std::uint64_t hit = 0;
  const auto& small = invited_.size() < served_.size() ? invited_ : served_;
  const auto& big = invited_.size() < served_.size() ? served_ : invited_;
  small.for_each([&](const BuyerId& b) { hit += big.contains(b); });
  return rate_counter(hit, served_.size());
}

template <class BuyerId>
void session_stats<BuyerId>::merge(const session_stats& o) {
  // In place when no part can fail (the usual case: a report merges many
  // cells); else on copies, so that a failure changes nothing.
  const bool in_place = &o != this && response_.merges_cleanly(o.response_) && first_.merges_cleanly(o.first_) &&
                        first_auto_.merges_cleanly(o.first_auto_);
  std::optional<response_stats> r, f, fa;
  if (!in_place) {
    r = response_;
    r->merge(o.response_);
    f = first_;
    f->merge(o.first_);
    fa = first_auto_;
    fa->merge(o.first_auto_);
  }
  rate_counter sat = satisfaction_;
  sat.merge(o.satisfaction_);
  // The counters summed first (checked_add throws on overflow), then committed:
  // all or nothing without copying the buyer sets.
  std::uint64_t* const mine[] = {&conversations_, &buyer_msgs_, &agent_msgs_,  &auto_msgs_,
                                 &credited_,      &unanswered_, &invitations_, &agent_conversations_};
  const std::uint64_t theirs[] = {o.conversations_, o.buyer_msgs_, o.agent_msgs_,  o.auto_msgs_,
                                  o.credited_,      o.unanswered_, o.invitations_, o.agent_conversations_};
  constexpr std::size_t counters = sizeof theirs / sizeof theirs[0];
  std::uint64_t sums[counters];
  for (std::size_t i = 0; i < counters; ++i) sums[i] = detail::checked_add(*mine[i], theirs[i]);
  if (in_place) {
    response_.merge(o.response_);
    first_.merge(o.first_);
    first_auto_.merge(o.first_auto_);
  } else {
    response_ = std::move(*r);
    first_ = std::move(*f);
    first_auto_ = std::move(*fa);
  }
  for (std::size_t i = 0; i < counters; ++i) *mine[i] = sums[i];
  satisfaction_ = sat;
  served_.merge(o.served_);
  invited_.merge(o.invited_);
}

namespace detail {
template <class Id>
void write_id_set(writer& w, const flat_set<Id>& set) {
  w.varint(set.size());
  set.for_each_sorted([&](const Id& id) { key_serde<Id>::write(w, id); });
}
template <class Id>
flat_set<Id> read_id_set(reader& r, const char* what) {
  std::size_t n = r.count(1, what);
  flat_set<Id> set;
  set.reserve(n);
  std::optional<Id> prev;
  for (std::size_t i = 0; i < n; ++i) {
    Id id = key_serde<Id>::read(r);
    r.check(!prev || *prev < id, "ids strictly increasing");
    set.insert(id);
    prev = std::move(id);
  }
  return set;
}
}  // namespace detail

template <class BuyerId>
void session_stats<BuyerId>::serialize_to(detail::writer& w) const {
  w.header(detail::session_stats_type_id, format_version);
  for (std::uint64_t c : {conversations_, buyer_msgs_, agent_msgs_, auto_msgs_, credited_, unanswered_, invitations_})
    w.varint(c);
  w.varint(agent_conversations_);
  satisfaction_.serialize_to(w);
  response_.serialize_to(w);
  first_.serialize_to(w);
  first_auto_.serialize_to(w);
  detail::write_id_set(w, served_);
  detail::write_id_set(w, invited_);
}

template <class BuyerId>
session_stats<BuyerId> session_stats<BuyerId>::deserialize_from(detail::reader& r, std::uint8_t required) {
  std::uint8_t flags = 0;
  const std::uint8_t version = r.header(detail::session_stats_type_id, "session_stats", format_version, &flags);
  r.check(required == 0 || version == required, "session_stats of its enclosing state's format version");
  r.check(flags == 0, "session_stats flags must be 0");
  std::uint64_t c[7];
  for (auto& x : c) x = r.varint();
  const std::uint64_t agent_conversations = version >= 2 ? r.varint() : 0;
  rate_counter sat = rate_counter::deserialize_from(r);
  response_stats resp = response_stats::deserialize_from(r);
  response_stats first = response_stats::deserialize_from(r);
  response_stats first_auto = response_stats::deserialize_from(r);
  r.check(first.within_seconds() == resp.within_seconds() && first.slow_seconds() == resp.slow_seconds() &&
              first_auto.within_seconds() == resp.within_seconds() &&
              first_auto.slow_seconds() == resp.slow_seconds() &&
              first.sketch().relative_accuracy() == resp.sketch().relative_accuracy() &&
              first_auto.sketch().relative_accuracy() == resp.sketch().relative_accuracy(),
          "the three response_stats share thresholds and accuracy");
  r.check(first.count() <= resp.count(), "first responses <= responses");
  session_stats out;
  out.conversations_ = c[0];
  out.agent_conversations_ = agent_conversations;
  out.buyer_msgs_ = c[1];
  out.agent_msgs_ = c[2];
  out.auto_msgs_ = c[3];
  out.credited_ = c[4];
  out.unanswered_ = c[5];
  out.invitations_ = c[6];
  out.satisfaction_ = sat;
  out.response_ = std::move(resp);
  out.first_ = std::move(first);
  out.first_auto_ = std::move(first_auto);
  out.served_ = detail::read_id_set<BuyerId>(r, "buyers served");
  out.invited_ = detail::read_id_set<BuyerId>(r, "buyers invited");
  r.check(out.invited_.size() <= out.invitations_, "distinct invited <= invitations");
  return out;
}

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
    k.response_.add(duration{wait});
    if (!(c->flags & slot_type::first_taken)) k.first_.add(duration{wait});
    if (!(c->flags & slot_type::first_auto_taken)) k.first_auto_.add(duration{wait});
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
      cell(shop, 0, day_of(c->clock_us)).first_auto_.add(duration{t - c->clock_us});
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
std::optional<double> sessions<S, B, A>::km_median(const filter& f, timestamp now) const {
  // Risk set over time: answered samples are events (their values come from
  // the sketch as a fine grid of quantiles), unanswered bursts are censored
  // at max_wait (after every event), pending ones at their current wait.
  const stats_type st = query(f);
  const std::uint64_t n_events = st.answered();
  std::vector<double> censored;  // seconds
  const std::int64_t t_now = us(now);
  table_.for_each([&](const slot_type& c) {
    if (c.burst == 0) return;
    if (f.shop && shops_[c.shop1 - 1] != *f.shop) return;
    if (f.agent && (c.routed == 0 || agents_[c.routed - 1] != *f.agent)) return;
    if (f.day && day_of(c.clock_us) != *f.day) return;
    censored.push_back(static_cast<double>(std::max<std::int64_t>(0, t_now - c.clock_us)) / 1e6);
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
  const std::uint64_t steps = std::min<std::uint64_t>(n_events, 4096);
  for (std::uint64_t s = 0; s < steps; ++s) {
    // each step stands for `w` events of the same (estimated) time
    const std::uint64_t lo = s * n_events / steps, hi = (s + 1) * n_events / steps;
    const double w = static_cast<double>(hi - lo);
    if (w == 0) continue;
    const double q = n_events == 1 ? 0.0 : static_cast<double>(lo) / static_cast<double>(n_events - 1);
    const double time = *st.response().quantile(std::min(1.0, q));
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

// ---- sessions: merge / serialize --------------------------------------------

template <class S, class B, class A>
void sessions<S, B, A>::merge(const sessions& o) {
  if (opt_ != o.opt_) CSMETRICS_THROW(std::invalid_argument("csmetrics::sessions::merge: different options"));
  if (this == &o) {
    sessions copy = o;
    merge_from(copy);
    return;
  }
  merge_from(o);
}

template <class S, class B, class A>
void sessions<S, B, A>::merge(sessions&& o) {
  if (this == &o) return merge(static_cast<const sessions&>(o));
  if (opt_ != o.opt_) CSMETRICS_THROW(std::invalid_argument("csmetrics::sessions::merge: different options"));
  merge_from(o);
}

template <class S, class B, class A>
template <class Other>
void sessions<S, B, A>::merge_from(Other&& o) {
  constexpr bool take = !std::is_const_v<std::remove_reference_t<Other>>;
  // Conflicts first, so a failed merge changes nothing.
  o.table_.for_each([&](const slot_type& c) {
    const std::uint32_t* s = shop_index_.find(o.shops_[c.shop1 - 1]);
    if (s && table_.find(*s, c.buyer) != nullptr)
      CSMETRICS_THROW(std::invalid_argument(
          "csmetrics::sessions::merge: a conversation is open in both trackers (split streams by shop or buyer, "
          "or resume a time split from the serialized state)"));
  });
  std::vector<std::uint32_t> shop_map(o.shops_.size()), agent_map(o.agents_.size());
  for (std::size_t i = 0; i < o.shops_.size(); ++i) shop_map[i] = intern_shop(o.shops_[i]);
  for (std::size_t i = 0; i < o.agents_.size(); ++i) agent_map[i] = intern_agent(o.agents_[i]);
  // Room for every cell key of o at once (the cells are a deque: they never move).
  cell_keys_.reserve(cell_keys_.size() + o.cell_keys_.size());
  cell_index_.reserve(cell_index_.size() + o.cells_.size());
  for (std::size_t i = 0; i < o.cells_.size(); ++i) {
    const cell_key& k = o.cell_keys_[i];
    const std::size_t before = cells_.size();
    stats_type& mine = cell(shop_map[k.shop], k.agent1 == 0 ? 0 : agent_map[k.agent1 - 1] + 1, k.day);
    if constexpr (take) {
      if (cells_.size() != before) {  // new here: take it whole
        mine = std::move(o.cells_[i]);
        continue;
      }
    }
    mine.merge(o.cells_[i]);
  }
  auto remap = [&](std::uint32_t a1) { return a1 == 0 ? 0u : agent_map[a1 - 1] + 1; };
  o.table_.for_each([&](const slot_type& c) {
    slot_type* mine = table_.find_or_insert(shop_map[c.shop1 - 1], c.buyer).first;
    const std::uint32_t shop1 = mine->shop1;
    *mine = c;
    mine->shop1 = shop1;
    mine->agent = remap(c.agent);
    mine->routed = remap(c.routed);
    for (std::uint32_t& a : mine->agents) a = remap(a);
    if (auto more = o.more_agents_.find({c.shop1, c.buyer}); more != o.more_agents_.end()) {
      std::vector<std::uint32_t>& dst = more_agents_[{shop1, c.buyer}];
      for (std::uint32_t a : more->second) dst.push_back(remap(a));
    }
  });
  for (std::size_t i = 0; i < session_reject_count; ++i)
    rejected_[i] = detail::checked_add(rejected_[i], o.rejected_[i]);
}

template <class S, class B, class A>
void sessions<S, B, A>::serialize_to(detail::writer& w) const {
  w.header(detail::type_id::sessions, format_version);
  w.svarint(opt_.session_gap.count());
  w.svarint(opt_.max_wait.count());
  w.svarint(opt_.offset.minutes().count());
  w.f64(opt_.within_seconds);
  w.f64(opt_.slow_seconds);
  w.f64(opt_.relative_accuracy);
  w.u8(static_cast<std::uint8_t>((opt_.clock_from_last ? 1 : 0) | (opt_.split_at_midnight ? 2 : 0) |
                                 (opt_.track_buyers ? 4 : 0)));
  w.varint(session_reject_count);
  for (std::uint64_t r : rejected_) w.varint(r);
  // canonical order: ids sorted; indexes renumbered
  auto order = [](const auto& ids) {
    std::vector<std::uint32_t> ord(ids.size());
    std::iota(ord.begin(), ord.end(), 0u);
    std::sort(ord.begin(), ord.end(), [&](std::uint32_t a, std::uint32_t b) { return ids[a] < ids[b]; });
    std::vector<std::uint32_t> rank(ids.size());
    for (std::uint32_t i = 0; i < ord.size(); ++i) rank[ord[i]] = i;
    return std::make_pair(ord, rank);
  };
  // (no structured bindings: C++17 lambdas cannot capture them)
  const auto shop_order = order(shops_);
  const auto agent_order = order(agents_);
  const std::vector<std::uint32_t>& shop_ord = shop_order.first;
  const std::vector<std::uint32_t>& shop_rank = shop_order.second;
  const std::vector<std::uint32_t>& agent_ord = agent_order.first;
  const std::vector<std::uint32_t>& agent_rank = agent_order.second;
  w.varint(shops_.size());
  for (std::uint32_t i : shop_ord) detail::key_serde<S>::write(w, shops_[i]);
  w.varint(agents_.size());
  for (std::uint32_t i : agent_ord) detail::key_serde<A>::write(w, agents_[i]);
  auto a1rank = [&](std::uint32_t a1) { return a1 == 0 ? 0u : agent_rank[a1 - 1] + 1; };
  std::vector<std::uint32_t> cells(cells_.size());
  std::iota(cells.begin(), cells.end(), 0u);
  auto ckey = [&](std::uint32_t i) {
    const cell_key& k = cell_keys_[i];
    return std::make_tuple(shop_rank[k.shop], a1rank(k.agent1), k.day);
  };
  std::sort(cells.begin(), cells.end(), [&](std::uint32_t a, std::uint32_t b) { return ckey(a) < ckey(b); });
  w.varint(cells.size());
  for (std::uint32_t i : cells) {
    auto [s, a, d] = ckey(i);
    w.varint(s);
    w.varint(a);
    w.svarint(d);
    cells_[i].serialize_to(w);
  }
  std::vector<const slot_type*> convs;
  convs.reserve(table_.size());
  table_.for_each([&](const slot_type& c) { convs.push_back(&c); });
  std::sort(convs.begin(), convs.end(), [&](const slot_type* a, const slot_type* b) {
    const std::uint32_t sa = shop_rank[a->shop1 - 1], sb = shop_rank[b->shop1 - 1];
    return sa != sb ? sa < sb : a->buyer < b->buyer;
  });
  w.varint(convs.size());
  for (const slot_type* c : convs) {
    w.varint(shop_rank[c->shop1 - 1]);
    detail::key_serde<B>::write(w, c->buyer);
    w.svarint(c->clock_us);
    w.svarint(c->last_us);
    w.varint(c->burst);
    w.varint(a1rank(c->agent));
    w.varint(a1rank(c->routed));
    w.svarint(c->served_day);
    w.u8(c->flags);
    std::vector<std::uint32_t> agents;  // who wrote in it, canonical order
    for (std::uint32_t a : c->agents)
      if (a != 0) agents.push_back(a1rank(a));
    if (auto more = more_agents_.find({c->shop1, c->buyer}); more != more_agents_.end())
      for (std::uint32_t a : more->second) agents.push_back(a1rank(a));
    std::sort(agents.begin(), agents.end());
    w.varint(agents.size());
    for (std::uint32_t a : agents) w.varint(a);
  }
}

template <class S, class B, class A>
sessions<S, B, A> sessions<S, B, A>::deserialize_from(detail::reader& r, std::uint8_t required) {
  std::uint8_t flags = 0;
  const std::uint8_t version = r.header(detail::type_id::sessions, "sessions", format_version, &flags);
  r.check(required == 0 || version == required, "sessions of its enclosing state's format version");
  r.check(flags == 0, "sessions flags must be 0");
  session_options o;
  const std::int64_t gap = r.svarint(), wait = r.svarint(), off = r.svarint();
  const std::int64_t max_us = std::int64_t{30} * 86400 * 1000000;
  r.check(gap > 0 && gap <= max_us && wait > 0 && wait <= max_us, "session_gap and max_wait in (0, 30 days]");
  r.check(off >= -18 * 60 && off <= 18 * 60, "utc offset within +-18 h");
  o.session_gap = duration{gap};
  o.max_wait = duration{wait};
  o.offset = utc_offset(std::chrono::minutes{off});
  o.within_seconds = r.f64();
  o.slow_seconds = r.f64();
  o.relative_accuracy = r.f64();
  const std::uint8_t bits = r.u8();
  r.check(bits <= 7, "option bits <= 7");
  o.clock_from_last = bits & 1;
  o.split_at_midnight = bits & 2;
  o.track_buyers = bits & 4;
  r.check(detail::valid_threshold(o.within_seconds) && detail::valid_threshold(o.slow_seconds) &&
              o.relative_accuracy >= quantile_sketch::min_relative_accuracy &&
              o.relative_accuracy <= quantile_sketch::max_relative_accuracy,
          "thresholds in [0.001, 86400] and accuracy in [0.001, 0.1]");
  sessions out(o);
  r.check(r.varint() == session_reject_count, "rejection reasons == 3");
  for (auto& x : out.rejected_) x = r.varint();
  auto read_ids = [&](auto& ids, auto& index, const char* what) {
    using Id = typename std::decay_t<decltype(ids)>::value_type;
    const std::size_t n = r.count(1, what);
    r.check(n < std::numeric_limits<std::uint32_t>::max() - 1, "fewer than 2^32 - 1 ids");
    for (std::size_t i = 0; i < n; ++i) {
      Id id = detail::key_serde<Id>::read(r);
      r.check(ids.empty() || ids.back() < id, "ids strictly increasing");
      index[id] = static_cast<std::uint32_t>(ids.size());
      ids.push_back(std::move(id));
    }
  };
  read_ids(out.shops_, out.shop_index_, "shops");
  read_ids(out.agents_, out.agent_index_, "agents");
  const std::size_t n_shops = out.shops_.size(), n_agents = out.agents_.size();
  const std::size_t n_cells = r.count(9, "cells");
  std::optional<std::tuple<std::uint64_t, std::uint64_t, std::int64_t>> prev;
  for (std::size_t i = 0; i < n_cells; ++i) {
    const std::uint64_t s = r.varint(), a = r.varint();
    const std::int64_t d = r.svarint();
    r.check(s < n_shops && a <= n_agents, "cell shop/agent index in range");
    r.check(d >= std::numeric_limits<day_number>::min() && d <= std::numeric_limits<day_number>::max(),
            "day in range");
    auto key = std::make_tuple(s, a, d);
    r.check(!prev || *prev < key, "cells strictly increasing");
    prev = key;
    stats_type st = stats_type::deserialize_from(r, version);  // v1 cells in v1, v2 in v2
    r.check(st.response_.within_seconds() == o.within_seconds && st.response_.slow_seconds() == o.slow_seconds &&
                st.response_.sketch().relative_accuracy() == o.relative_accuracy,
            "cell thresholds match the options");
    out.cell(static_cast<std::uint32_t>(s), static_cast<std::uint32_t>(a), static_cast<day_number>(d)) =
        std::move(st);
  }
  const std::size_t n_convs = r.count(10, "open conversations");
  std::optional<std::uint64_t> prev_shop;
  std::optional<B> prev_buyer;
  for (std::size_t i = 0; i < n_convs; ++i) {
    const std::uint64_t s = r.varint();
    B buyer = detail::key_serde<B>::read(r);
    r.check(s < n_shops, "conversation shop index in range");
    r.check(!prev_shop || *prev_shop < s || (*prev_shop == s && *prev_buyer < buyer),
            "conversations strictly increasing");
    prev_shop = s;
    prev_buyer = buyer;
    slot_type c;
    c.clock_us = r.svarint();
    c.last_us = r.svarint();
    const std::uint64_t burst = r.varint(), agent = r.varint(), routed = r.varint();
    const std::int64_t served_day = r.svarint();
    c.flags = r.u8();
    r.check(burst <= 0xffffffffu && agent <= n_agents && routed <= n_agents, "conversation counts in range");
    r.check(served_day >= std::numeric_limits<day_number>::min() &&
                served_day <= std::numeric_limits<day_number>::max(),
            "served day in range");
    r.check(c.flags <= slot_type::all_flags, "conversation flags <= 3");
    r.check(burst == 0 || c.clock_us <= c.last_us, "clock start <= last message of a waiting burst");
    c.burst = static_cast<std::uint32_t>(burst);
    c.agent = static_cast<std::uint32_t>(agent);
    c.routed = static_cast<std::uint32_t>(routed);
    c.served_day = static_cast<day_number>(served_day);
    std::vector<std::uint32_t> agents;
    if (version >= 2) {
      const std::size_t n = r.count(1, "agents of a conversation");
      for (std::size_t k = 0; k < n; ++k) {
        const std::uint64_t a = r.varint();
        r.check(a >= 1 && a <= n_agents && (agents.empty() || agents.back() < a),
                "a conversation's agents in range, strictly increasing");
        agents.push_back(static_cast<std::uint32_t>(a));
      }
    } else if (c.agent != 0) {
      agents.push_back(c.agent);
    }
    slot_type* dst = out.table_.find_or_insert(static_cast<std::uint32_t>(s), buyer).first;
    const std::uint32_t shop1 = dst->shop1;
    c.buyer = buyer;
    *dst = std::move(c);
    dst->shop1 = shop1;
    for (std::uint32_t a : agents) out.note_agent(*dst, a);
  }
  return out;
}

}  // namespace csmetrics

#endif  // CSMETRICS_SESSIONS_SESSIONS_IMPL_HPP_
