// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/sessions/sessions_serde_impl.hpp
//
// Merge and serialization of csmetrics::sessions (included at the bottom of
// csmetrics/sessions/sessions.hpp, after sessions_impl.hpp, which writes
// response_stats and session_stats).
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
//   sessions version 3 (written only when the options have a service
//     calendar; without one a state keeps its version-2 bytes): version 2
//     with the service_calendar (service_calendar_impl.hpp) after the option
//     bits, and session_stats version 3 cells: version 2 with, after
//     first_with_auto, a u8 (0: service time equals wall time for every sample
//     of the cell; 1: it does not) and, when 1, the service-time response and
//     first response (two response_stats; their sum below the wall sum).
// Shops and agents are written in id order, so equal states have equal bytes.
#ifndef CSMETRICS_SESSIONS_SESSIONS_SERDE_IMPL_HPP_
#define CSMETRICS_SESSIONS_SESSIONS_SERDE_IMPL_HPP_

#include <algorithm>    // std::sort
#include <numeric>      // std::iota
#include <string>       // std::to_string
#include <tuple>        // std::make_tuple (canonical cell order)
#include <type_traits>  // std::decay_t, std::is_const_v
#include <utility>      // std::move
#include <vector>       // std::vector

namespace csmetrics {

// ---- sessions: merge / serialize --------------------------------------------

template <class S, class B, class A>
void sessions<S, B, A>::merge(const sessions& o) {
  if (opt_ != o.opt_)
    CSMETRICS_THROW(std::invalid_argument("csmetrics::sessions::merge: different options: " +
                                          session_options::difference(opt_, o.opt_)));
  sessions out = *this;  // all or nothing (see merge's comment); also right when &o == this
  out.merge_from(o);
  *this = std::move(out);
}

template <class S, class B, class A>
void sessions<S, B, A>::merge(sessions&& o) {
  if (this == &o) return merge(static_cast<const sessions&>(o));
  if (opt_ != o.opt_)
    CSMETRICS_THROW(std::invalid_argument("csmetrics::sessions::merge: different options: " +
                                          session_options::difference(opt_, o.opt_)));
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
  w.header(detail::type_id::sessions, opt_.calendar ? 3 : 2);
  w.svarint(opt_.session_gap.count());
  w.svarint(opt_.max_wait.count());
  w.svarint(opt_.offset.minutes().count());
  w.f64(opt_.within_seconds);
  w.f64(opt_.slow_seconds);
  w.f64(opt_.relative_accuracy);
  w.u8(static_cast<std::uint8_t>((opt_.clock_from_last ? 1 : 0) | (opt_.split_at_midnight ? 2 : 0) |
                                 (opt_.track_buyers ? 4 : 0)));
  if (opt_.calendar) opt_.calendar->write(w);
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
  const std::uint8_t version = r.header(detail::type_id::sessions, "sessions", format_version);
  r.check(required == 0 || version == required, "sessions of its enclosing state's format version");
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
  if (version >= 3) o.calendar = std::make_shared<const service_calendar>(service_calendar::read(r));
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
  if (out.opt_.calendar) out.sync_hours();
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

#endif  // CSMETRICS_SESSIONS_SESSIONS_SERDE_IMPL_HPP_
