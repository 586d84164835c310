// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/sessions/sessions.hpp
//
// Customer-service sessions: turns a stream of chat messages into the
// metrics shops are judged on (METRICS.md, "Sessions"): response time and
// first response time (count, mean, min, max, p50/p90/p99, share within
// 45 s, slow replies), reply rate, answer/question ratio (答问比),
// conversations, buyers served, rating-invitation send rate and
// satisfaction - per shop, per agent, per local day, or any combination.
//
// The rules (each a field of session_options):
//   - A conversation is keyed by (shop, buyer). A buyer or agent message
//     opens a new one when nothing is waiting for an answer and the last
//     buyer/agent message of the conversation is more than `session_gap`
//     (10 min) old, or (split_at_midnight, default on) on another local day.
//     An agent message outside a conversation is counted (agent messages,
//     buyers served) but opens none.
//   - A burst is the run of buyer messages waiting for an answer. Its clock
//     starts at the FIRST of them (clock_from_last: at the last). The next
//     agent message answers the whole burst: one response sample = reply
//     time - clock start, credited to the replying agent and to the local
//     day of the clock start. The first sample of a conversation is its
//     first response time.
//   - auto_message never stops the clock; the first auto or agent reply is
//     the "first response with auto replies".
//   - A burst waiting more than `max_wait` (24 h) after its clock start is
//     unanswered, credited to the agent it was routed to (buyer_message's
//     routed agent, else the conversation's last replying agent, else no
//     agent); it is counted when the next event of the conversation or
//     flush(now) shows it expired. A later agent message answers nothing.
//     Waiting bursts not yet expired are pending (pending()), never counted
//     as answered or lost. If the first burst expires, the conversation has
//     no first response.
//   - Rejected and counted by reason, never folded in: a reply (agent or
//     auto) earlier than the clock start of the burst it would answer
//     (reply_before_question); a buyer/agent message older than the
//     conversation's last buyer/agent message (out_of_order); a vote outside
//     1..5 (score_out_of_range).
//   - Service time (session_options::calendar, issue 25): with a calendar,
//     every response sample is also measured on the shop's service time
//     (service_hours::between(clock start, reply)): a question at 02:00
//     answered at 08:00:30 when service opens at 08:00 waited 30 s of
//     service time. Wall time stays the primary figure and decides max_wait;
//     without a calendar nothing is measured twice.
//   - Answer ratio: shop view agent messages / buyer messages; agent view
//     the agent's messages / the buyer messages credited to it (the buyer
//     messages of each burst go to the agent who answers it, or to the agent
//     an unanswered burst is attributed to).
//
// Storage: statistics live in cells keyed by (shop, agent or none, local
// day); every report merges the cells matching a filter, so shop, agent, day
// and any combination come from one update per event. Buyer, auto and
// conversation counts are kept in the cells of "no agent".
//
// State per open conversation: one 48-byte slot (integer ids; std::string
// buyer ids: 72 bytes) in an open-addressing table that grows at 7/8 load.
// flush(now) expires waiting bursts and frees every conversation that a
// later event would start afresh (idle over session_gap or from an earlier
// day) in one linear scan of the table: no per-event bookkeeping, no
// deadline heap (which would add 16+ bytes per conversation and a stale
// entry per message); call it as often as memory needs, e.g. once a minute
// of stream time.
#ifndef CSMETRICS_SESSIONS_SESSIONS_HPP_
#define CSMETRICS_SESSIONS_SESSIONS_HPP_

#include <algorithm>      // std::sort, std::min, std::max
#include <array>          // std::array (rejection counts)
#include <chrono>         // std::chrono::minutes, hours
#include <cstddef>        // std::size_t
#include <cstdint>        // fixed-width integers
#include <deque>          // std::deque (cells)
#include <limits>         // std::numeric_limits
#include <map>            // std::map (more agents of a conversation)
#include <memory>         // std::shared_ptr (the service calendar), std::unique_ptr (service-time stats)
#include <optional>       // std::optional
#include <stdexcept>      // std::invalid_argument
#include <string>         // std::string, std::to_string
#include <utility>        // std::move, std::pair
#include <vector>         // std::vector

#include "csmetrics/core/checked.hpp"
#include "csmetrics/core/serde.hpp"
#include "csmetrics/sessions/service_calendar.hpp"
#include "csmetrics/sessions/session_stats.hpp"
#include "csmetrics/sessions/sessions_table.hpp"
#include "csmetrics/core/error.hpp"
#include "csmetrics/core/keyed.hpp"
#include "csmetrics/core/quantile_sketch.hpp"
#include "csmetrics/core/rate.hpp"
#include "csmetrics/core/time.hpp"

namespace csmetrics {
/**
 * The session tracker: conversations, bursts and their statistics for many
 * shops at once. Feed it the messages in time order (per conversation:
 * older ones are rejected as out_of_order), call flush(now) from time to
 * time, and ask for reports with shop(), agent(), shop_day(), agent_day() or
 * query(filter). Ids are any hashable, ordered type (integers, std::string).
 *
 * Merge: trackers fed disjoint conversations (a stream split by shop or by
 * buyer) merge into the tracker of the whole stream, open conversations
 * included; a conversation open in both throws std::invalid_argument. A
 * stream split by time is resumed instead: serialize, deserialize, go on.
 * Cost: O(1) expected per event (one table probe, one or two cell lookups);
 * flush is O(table capacity); reports O(cells). Single writer.
 *
 *     csmetrics::sessions<> s;                      // uint64 ids, UTC+8 days
 *     s.buyer_message(shop, buyer, t0);
 *     s.agent_message(shop, buyer, agent, t0 + std::chrono::seconds{30});
 *     s.flush(now);
 *     auto r = s.shop(shop);                        // session_stats
 *     r.response().mean();                          // 30.0
 *     s.agent(shop, agent).agent_answer_ratio();    // 1.0
 */
template <class ShopId = std::uint64_t, class BuyerId = std::uint64_t, class AgentId = std::uint64_t>
class sessions {
 public:
  using shop_type = ShopId;
  using buyer_type = BuyerId;
  using agent_type = AgentId;
  using stats_type = session_stats<BuyerId>;
  using slot_type = detail::conversation_slot<BuyerId>;
  // 2: the agents of each open conversation; 3: the service calendar and the
  // cells' service-time figures (written only with a calendar: without one a
  // state keeps its version-2 bytes)
  static constexpr std::uint8_t format_version = 3;

  /// Bytes of state per open conversation (one table slot).
  static constexpr std::size_t conversation_state_bytes = sizeof(slot_type);

  /// Which cells a report merges; an empty field matches everything.
  struct filter {
    std::optional<ShopId> shop;
    std::optional<AgentId> agent;
    std::optional<day_number> day;
  };

  explicit sessions(session_options opt = {}) : opt_(validated(opt)), prototype_(opt_) {
    gap_us_ = opt_.session_gap.count();
    wait_us_ = opt_.max_wait.count();
    offset_us_ = static_cast<std::int64_t>(opt_.offset.minutes().count()) * 60'000'000;
  }

  // ---- events -------------------------------------------------------------
  /// A buyer message; `routed` is the agent it was routed to, if known.
  void buyer_message(const ShopId& shop, const BuyerId& buyer, timestamp t) { on_buyer(intern_shop(shop), buyer, us(t), 0); }
  void buyer_message(const ShopId& shop, const BuyerId& buyer, timestamp t, const AgentId& routed) {
    on_buyer(intern_shop(shop), buyer, us(t), intern_agent(routed) + 1);
  }
  void agent_message(const ShopId& shop, const BuyerId& buyer, const AgentId& agent, timestamp t) {
    on_agent(intern_shop(shop), buyer, intern_agent(agent) + 1, us(t));
  }
  void auto_message(const ShopId& shop, const BuyerId& buyer, timestamp t) { on_auto(intern_shop(shop), buyer, us(t)); }
  /// The agent sent the buyer a rating invitation.
  void invite(const ShopId& shop, const BuyerId& buyer, const AgentId& agent, timestamp t);
  /// The buyer rated the agent 1..5 (4 and 5 are satisfied); others are rejected.
  void vote(const ShopId& shop, const BuyerId& buyer, const AgentId& agent, int score, timestamp t);
  /// Expires bursts waiting more than max_wait at `now` (unanswered) and frees
  /// conversations a later event would start afresh.
  /// REQUIRES: later events are not older than `now` (else results may differ
  /// from an unflushed run).
  void flush(timestamp now);

  // ---- reports ------------------------------------------------------------
  /// Merge of the cells matching `f`.
  stats_type query(const filter& f) const;
  stats_type total() const { return query(filter{}); }
  stats_type shop(const ShopId& s) const { return query(filter{s, std::nullopt, std::nullopt}); }
  stats_type agent(const ShopId& s, const AgentId& a) const { return query(filter{s, a, std::nullopt}); }
  stats_type shop_day(const ShopId& s, day_number d) const { return query(filter{s, std::nullopt, d}); }
  stats_type agent_day(const ShopId& s, const AgentId& a, day_number d) const { return query(filter{s, a, d}); }
  /// One shop's figures as a report wants them: its total, each agent's and
  /// (with_days) each day's, equal to shop(), agent() and shop_day() but in
  /// one pass over its cells.
  struct shop_view {
    stats_type total;
    std::map<AgentId, stats_type> agents;   ///< agents with a cell in the shop
    std::map<day_number, stats_type> days;  ///< days with a cell in the shop (with_days)
    stats_type none;                        ///< the figures of an agent or day without cells
    const stats_type& agent(const AgentId& a) const { return at(agents, a); }
    const stats_type& day(day_number d) const { return at(days, d); }

   private:
    template <class Map, class Key>
    const stats_type& at(const Map& m, const Key& k) const {
      const auto it = m.find(k);
      return it == m.end() ? none : it->second;
    }
  };
  shop_view shop_breakdown(const ShopId& s, bool with_days = true) const;
  /// Bursts waiting now and not yet known to be expired, matching `f` (agent =
  /// the agent the burst is attributed to, day = local day of its clock start).
  std::uint64_t pending(const filter& f = filter{}) const;
  /// Kaplan-Meier median response time in seconds as of `now`: answered
  /// bursts are events; pending bursts (censored at now - clock start) and
  /// unanswered ones (censored at max_wait) stay in the risk set instead of
  /// being dropped. Event times come from the sketch buckets (relative error
  /// of the sketch). Empty when the survival curve never reaches 1/2.
  std::optional<double> km_median(const filter& f, timestamp now) const { return km(f, now, false, query(f)); }
  /// The same on service time (pending bursts censored at their service
  /// wait); empty without a calendar.
  std::optional<double> km_median_service(const filter& f, timestamp now) const {
    if (!opt_.calendar) return std::nullopt;
    return km(f, now, true, query(f));
  }
  /// Both with query(f) at hand (a report saves merging the cells again).
  /// REQUIRES: `of_f` is query(f).
  std::optional<double> km_median(const filter& f, timestamp now, const stats_type& of_f) const {
    return km(f, now, false, of_f);
  }
  std::optional<double> km_median_service(const filter& f, timestamp now, const stats_type& of_f) const {
    if (!opt_.calendar) return std::nullopt;
    return km(f, now, true, of_f);
  }
  /// Service time of a wait of `shop` from `from` to `to`: wall time when the
  /// options have no calendar or the calendar has no hours for the shop.
  duration service_time(const ShopId& shop, timestamp from, timestamp to) const {
    const std::uint32_t* i = shop_index_.find(shop);
    const service_hours* h = nullptr;
    if (opt_.calendar) h = i ? shop_hours_[*i] : opt_.calendar->find(detail::id_text(shop));
    if (!h) return to > from ? to - from : duration::zero();
    return h->between(from, to, opt_.offset);
  }
  /// Calls f(shop, agent or nullptr, day, stats) for every cell.
  template <class F>
  void for_each_cell(F f) const;
  /// The same for the cells of one shop only (its index: no walk over the others).
  template <class F>
  void for_each_cell(const ShopId& shop, F f) const;
  std::uint64_t rejected(session_reject why) const { return rejected_[static_cast<std::size_t>(why)]; }
  /// The reason of the latest rejection (valid after one; not part of the state).
  session_reject last_reject() const { return last_reject_; }
  std::uint64_t rejected() const;
  std::size_t open_conversations() const { return table_.size(); }
  /// Bytes of the open-conversation table (slots, empty ones included).
  std::size_t table_bytes() const { return table_.memory_bytes(); }
  const session_options& options() const { return opt_; }

  // ---- merge / serialize --------------------------------------------------
  /// All or nothing: merged into a copy that replaces *this at the end, so
  /// if a counter would overflow (or a conversation is open on both sides)
  /// *this is unchanged.
  void merge(const sessions& other);
  /// The same, moving `other`'s cells that this side lacks instead of copying
  /// them, and without the copy of *this (for a caller that drops *this on
  /// failure, as sharded_metrics does): open conversations on both sides are
  /// still refused before anything changes, but if a counter would overflow
  /// *this is valid and partly merged. `other` is left valid but unspecified.
  void merge(sessions&& other);
  void reset() { *this = sessions(opt_); }
  std::vector<std::uint8_t> serialize() const { return detail::serialize(*this); }
  static sessions deserialize(const void* data, std::size_t size) { return detail::deserialize<sessions>(data, size); }
  void serialize_to(detail::writer& w) const;
  /// `version`: when not 0, the only format version accepted (that of the enclosing state).
  static sessions deserialize_from(detail::reader& r, std::uint8_t version = 0);
  /// Same options, cells, open conversations and rejections (compares the
  /// canonical serialized forms: O(n log n)).
  friend bool operator==(const sessions& a, const sessions& b) { return a.serialize() == b.serialize(); }
  friend bool operator!=(const sessions& a, const sessions& b) { return !(a == b); }

 private:
  struct cell_key {
    std::uint32_t shop;
    std::uint32_t agent1;  ///< agent index + 1; 0 = no agent
    day_number day;
    friend bool operator==(const cell_key& a, const cell_key& b) {
      return a.shop == b.shop && a.agent1 == b.agent1 && a.day == b.day;
    }
  };
  struct cell_hash {
    std::size_t operator()(const cell_key& k) const {
      return static_cast<std::size_t>(detail::mix64((static_cast<std::uint64_t>(k.shop) << 32 | k.agent1) ^
                                                    (static_cast<std::uint64_t>(static_cast<std::uint32_t>(k.day)) *
                                                     0x9e3779b97f4a7c15ULL)));
    }
  };

  static const session_options& validated(const session_options& o) {
    o.validate();
    return o;
  }
  static std::int64_t us(timestamp t) { return t.time_since_epoch().count(); }
  day_number day_of(std::int64_t t_us) const { return local_day(timestamp{duration{t_us}}, opt_.offset); }

  std::uint32_t intern_shop(const ShopId& s) {
    const std::uint32_t i = intern(s, shop_index_, shops_);
    if (shop_hours_.size() < shops_.size() && opt_.calendar) sync_hours();
    return i;
  }
  /// The calendar's hours of every shop interned since the last call.
  void sync_hours() {
    for (std::size_t i = shop_hours_.size(); i < shops_.size(); ++i)
      shop_hours_.push_back(opt_.calendar->find(detail::id_text(shops_[i])));
  }
  /// A wait on service time (a calendar is set).
  std::int64_t service_wait(std::uint32_t shop, std::int64_t from, std::int64_t to) const {
    const service_hours* h = shop_hours_[shop];
    return h ? h->between_us(from, to, offset_us_) : to - from;
  }
  std::optional<double> km(const filter& f, timestamp now, bool service, const stats_type& st) const;
  std::uint32_t intern_agent(const AgentId& a) { return intern(a, agent_index_, agents_); }
  template <class Id>
  static std::uint32_t intern(const Id& id, keyed<Id, std::uint32_t>& index, std::vector<Id>& ids) {
    if (const std::uint32_t* i = index.find(id)) return *i;
    if (ids.size() >= std::numeric_limits<std::uint32_t>::max() - 1)
      CSMETRICS_THROW(std::length_error("csmetrics::sessions: more than 2^32 - 2 shops or agents"));
    const auto i = static_cast<std::uint32_t>(ids.size());
    ids.push_back(id);
    index[id] = i;
    return i;
  }
  template <class Other>
  void merge_from(Other&& o);  // sessions& (cells moved) or const sessions&
  stats_type& cell(std::uint32_t shop, std::uint32_t agent1, day_number day) {
    const std::size_t before = cell_index_.size();
    std::uint32_t& index = cell_index_[cell_key{shop, agent1, day}];
    if (cell_index_.size() != before) {
      index = static_cast<std::uint32_t>(cells_.size());
      cells_.push_back(prototype_);
      cell_keys_.push_back(cell_key{shop, agent1, day});
      if (shop >= shop_cells_.size()) shop_cells_.resize(shop + 1);
      shop_cells_[shop].push_back(index);
    }
    return cells_[index];
  }
  void reject(session_reject why) {
    last_reject_ = why;
    auto& c = rejected_[static_cast<std::size_t>(why)];
    c = detail::checked_add(c, 1);
  }
  bool starts_new(const slot_type& c, std::int64_t t) const {
    return t - c.last_us > gap_us_ || (opt_.split_at_midnight && day_of(t) != day_of(c.last_us));
  }
  void start_conversation(slot_type& c, std::uint32_t shop, const BuyerId& buyer, std::int64_t t, std::uint8_t flags) {
    c.burst = 0;
    c.agent = 0;
    c.routed = 0;
    c.agents[0] = c.agents[1] = 0;
    if (!more_agents_.empty()) more_agents_.erase({c.shop1, buyer});
    c.served_day = 0;
    c.flags = flags;
    stats_type& k = cell(shop, 0, day_of(t));
    stats_type::bump(k.conversations_);
    if (opt_.track_buyers) k.served_.insert(buyer);
  }
  /// True when agent1 writes in conversation c for the first time.
  bool note_agent(slot_type& c, std::uint32_t agent1) {
    if (c.agents[0] == agent1 || c.agents[1] == agent1) return false;
    for (std::uint32_t& a : c.agents)
      if (a == 0) {
        a = agent1;
        return true;
      }
    std::vector<std::uint32_t>& more = more_agents_[{c.shop1, c.buyer}];
    if (std::find(more.begin(), more.end(), agent1) != more.end()) return false;
    more.push_back(agent1);
    return true;
  }
  void expire_if_due(slot_type& c, std::uint32_t shop, std::int64_t t) {
    if (c.burst == 0 || t - c.clock_us <= wait_us_) return;
    stats_type& k = cell(shop, c.routed, day_of(c.clock_us));
    stats_type::bump(k.unanswered_);
    stats_type::bump(k.credited_, c.burst);
    c.burst = 0;
    c.flags = slot_type::all_flags;  // the first burst's fate is "unanswered"
  }
  void on_buyer(std::uint32_t shop, const BuyerId& buyer, std::int64_t t, std::uint32_t routed1);
  void on_agent(std::uint32_t shop, const BuyerId& buyer, std::uint32_t agent1, std::int64_t t);
  void on_auto(std::uint32_t shop, const BuyerId& buyer, std::int64_t t);

  session_options opt_;
  stats_type prototype_;
  std::int64_t gap_us_ = 0;
  std::int64_t wait_us_ = 0;
  std::int64_t offset_us_ = 0;
  std::vector<ShopId> shops_;
  std::vector<const service_hours*> shop_hours_;  // per shop index, with a calendar: its hours (null: none)
  keyed<ShopId, std::uint32_t> shop_index_;
  std::vector<AgentId> agents_;
  keyed<AgentId, std::uint32_t> agent_index_;
  // The third and later agents of an open conversation, by (shop index + 1,
  // buyer): rare (transfers), so a map beside the table, not slot bytes.
  std::map<std::pair<std::uint32_t, BuyerId>, std::vector<std::uint32_t>> more_agents_;
  std::deque<stats_type> cells_;  // a deque: growing never moves the cells (three sketches each)
  std::vector<cell_key> cell_keys_;
  keyed<cell_key, std::uint32_t, cell_hash> cell_index_;
  std::vector<std::vector<std::uint32_t>> shop_cells_;  // per shop id: its cells (a shop's report reads only those)
  detail::conversation_table<BuyerId> table_;
  std::array<std::uint64_t, session_reject_count> rejected_{};
  session_reject last_reject_{};
};

static_assert(sizeof(detail::conversation_slot<std::uint64_t>) <= 64,
              "an open conversation must fit in 64 bytes with integer ids");

}  // namespace csmetrics

#include "csmetrics/sessions/sessions_impl.hpp"
#include "csmetrics/sessions/sessions_serde_impl.hpp"

#endif  // CSMETRICS_SESSIONS_SESSIONS_HPP_
