// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/io/event.hpp
//
// One row of the event log (../EVENTS.md) as a typed value, without the CSV
// reader: the event types, the columns, which columns each type requires, and
// the closed vocabularies of the `tag` column (DSR dimensions, loss reasons).
// Code that builds events itself (a generator, a shop's own feed) uses this
// header alone; io/event_csv.hpp produces these events from CSV text.
#ifndef CSMETRICS_IO_EVENT_HPP_
#define CSMETRICS_IO_EVENT_HPP_

#include <array>        // std::array (vocabularies)
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint8_t, std::uint16_t, std::uint64_t
#include <optional>     // std::optional
#include <string_view>  // std::string_view

#include "csmetrics/core/money.hpp"
#include "csmetrics/core/swar.hpp"
#include "csmetrics/core/time.hpp"

namespace csmetrics {

/// The `type` column. The numbering is stable (arrays are indexed by it).
enum class event_type : std::uint8_t {
  visit,      ///< a visit to the shop (traffic)
  buyer_msg,  ///< a buyer's customer-service message
  agent_msg,  ///< a message written by an agent
  auto_msg,   ///< an automatic reply; never an agent's response
  invite,     ///< a satisfaction-rating invitation sent by an agent
  vote,       ///< the buyer rated the agent's service 1..5
  lost,       ///< an inquiry recorded as lost; tag = reason
  order,      ///< an order placed; amount = total, empty when unknown
  payment,    ///< the order was paid
  cancel,     ///< the order was closed unpaid
  refund,     ///< money returned after payment
  dispute,    ///< a dispute refund
  reminder,   ///< a payment reminder; tag = script id
  dsr,        ///< a DSR score; tag = item / service / logistics
  review,     ///< an after-sales rating 1..5
};

/// Number of event types (event_type values are 0 .. event_type_count - 1).
inline constexpr std::size_t event_type_count = 15;

namespace detail {
// (at namespace scope: a table local to name() was built anew on each call)
inline constexpr std::array<std::string_view, event_type_count> event_type_names = {
    "visit",   "buyer_msg", "agent_msg", "auto_msg", "invite",   "vote", "lost",  "order",
    "payment", "cancel",    "refund",    "dispute",  "reminder", "dsr",  "review"};
}  // namespace detail

/// The log's spelling: "visit", "buyer_msg", ... "review".
constexpr std::string_view name(event_type t) {
  const auto i = static_cast<std::size_t>(t);
  return i < detail::event_type_names.size() ? detail::event_type_names[i] : std::string_view("unknown");
}

/// The type spelled `s` (exact, case-sensitive); empty for anything else.
inline std::optional<event_type> parse_event_type(std::string_view s) {
  // The first letter and the length pick the one name it can be, compared
  // in a few loads (every row's type passes here).
  if (s.empty()) return std::nullopt;
  auto is = [s](event_type t) -> std::optional<event_type> {
    const std::string_view n = name(t);
    if (s.size() != n.size() || !detail::equal_short(s.data(), n.data(), n.size())) return std::nullopt;
    return t;
  };
  switch (s[0]) {
    case 'v': return s.size() == 5 ? is(event_type::visit) : is(event_type::vote);
    case 'b': return is(event_type::buyer_msg);
    case 'a': return s.size() == 9 ? is(event_type::agent_msg) : is(event_type::auto_msg);
    case 'i': return is(event_type::invite);
    case 'l': return is(event_type::lost);
    case 'o': return is(event_type::order);
    case 'p': return is(event_type::payment);
    case 'c': return is(event_type::cancel);
    case 'r':
      if (s.size() == 8) return is(event_type::reminder);
      return s.size() == 6 && s[2] == 'f' ? is(event_type::refund) : is(event_type::review);
    case 'd': return s.size() == 3 ? is(event_type::dsr) : is(event_type::dispute);
    default: return std::nullopt;
  }
}

/// The columns, in header order: time,type,shop,buyer,agent,order,amount,score,tag.
enum class event_field : std::uint8_t { time, type, shop, buyer, agent, order, amount, score, tag };

/// Number of columns.
inline constexpr std::size_t event_field_count = 9;

/// The column's header name: "time" ... "tag".
constexpr std::string_view name(event_field f) {
  constexpr std::array<std::string_view, event_field_count> names = {"time",  "type",   "shop",  "buyer", "agent",
                                                                     "order", "amount", "score", "tag"};
  const auto i = static_cast<std::size_t>(f);
  return i < names.size() ? names[i] : std::string_view("unknown");
}

/// A set of columns: bit i is event_field i.
using event_field_set = std::uint16_t;

/// The bit of one column in an event_field_set.
constexpr event_field_set field_bit(event_field f) {
  return static_cast<event_field_set>(1u << static_cast<unsigned>(f));
}

/// The columns a type requires besides time and type (EVENTS.md's table).
constexpr event_field_set required_fields(event_type t) {
  constexpr event_field_set shop = field_bit(event_field::shop), buyer = field_bit(event_field::buyer),
                            agent = field_bit(event_field::agent), order = field_bit(event_field::order),
                            amount = field_bit(event_field::amount), score = field_bit(event_field::score),
                            tag = field_bit(event_field::tag);
  switch (t) {
    case event_type::visit:
    case event_type::buyer_msg:
    case event_type::auto_msg: return shop | buyer;
    case event_type::agent_msg:
    case event_type::invite: return shop | buyer | agent;
    case event_type::vote: return shop | buyer | agent | score;
    case event_type::lost: return shop | buyer | agent | tag;
    case event_type::order: return shop | buyer | order;
    case event_type::payment:
    case event_type::refund: return shop | order | amount;
    case event_type::cancel:
    case event_type::dispute: return shop | order;
    case event_type::reminder: return shop | order | tag;
    case event_type::dsr: return shop | score | tag;
    case event_type::review: return shop | score;
  }
  return 0;
}

/// The `tag` values of a dsr event, in the order of csmetrics::dsr_dimension.
inline constexpr std::array<std::string_view, 3> dsr_tag_names = {"item", "service", "logistics"};

/// 0 item, 1 service, 2 logistics (the values of csmetrics::dsr_dimension); -1 otherwise.
constexpr int dsr_tag_index(std::string_view tag) {
  for (std::size_t i = 0; i < dsr_tag_names.size(); ++i)
    if (tag == dsr_tag_names[i]) return static_cast<int>(i);
  return -1;
}

/// The `tag` values of a lost event (the reason), in EVENTS.md's order.
inline constexpr std::array<std::string_view, 7> lost_reason_names = {
    "price", "response_time", "product_knowledge", "attitude", "logistics", "after_sales", "other"};

/// Index of a loss reason in lost_reason_names; -1 when `tag` is not one.
constexpr int lost_reason_index(std::string_view tag) {
  for (std::size_t i = 0; i < lost_reason_names.size(); ++i)
    if (tag == lost_reason_names[i]) return static_cast<int>(i);
  return -1;
}

/**
 * One event of the log. Text columns are views: from event_csv_reader they
 * point into the reader's buffer and stay valid until its next call to next()
 * (copy them into std::string to keep them). An empty view is an empty
 * column.
 *
 *     csmetrics::event e;
 *     e.time = *csmetrics::parse_rfc3339("2019-09-01T10:15:30+08:00");
 *     e.type = csmetrics::event_type::payment;
 *     e.shop = "s1"; e.order = "o42";
 *     e.amount = csmetrics::money::parse("149.90");
 */
struct event {
  timestamp time{};                        ///< the instant (the row's offset already applied)
  event_type type = event_type::visit;     ///< the row's type
  std::string_view shop, buyer, agent, order, tag;
  std::optional<money> amount;             ///< empty when the column is empty
  std::uint8_t score = 0;                  ///< 1..5; 0 when the column is empty
  std::uint64_t line = 0;                  ///< the line the row starts on (1 = header); 0 if not from a file
};

}  // namespace csmetrics

#endif  // CSMETRICS_IO_EVENT_HPP_
