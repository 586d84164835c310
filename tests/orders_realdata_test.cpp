// SPDX-License-Identifier: Apache-2.0
// csmetrics/orders/orders.hpp on the real order logs of ../shared/data (skipped when
// ../shared is absent):
//   olist-events.csv   3 584 Olist orders and their payments, UTC-3 shop days;
//   taobao-events.csv  Tianchi page views (`visit`) and purchases (`order`,
//                      no amount, no payment), UTC+8 shop days.
// Every figure of the library is checked against an independent computation
// written here with std::map / std::set over the parsed rows (the documented
// definitions of orders.hpp, applied plainly), on the data as it is and on
// the data with a deterministic overlay (duplicates, orders that never come,
// cancels, refunds, disputes, buyer mismatches; for Taobao also visits read as
// inquiries and synthetic payments, since the log has neither). Then the
// stream is split by buyer into shards and the merged shards must equal one
// pass, byte for byte, and a live feed calling advance() before every event
// is compared with one pass. Both files are small (14 336 and 77 621 rows): no
// sampling is needed.
#include "csmetrics/orders/orders.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "csmetrics/io/event_csv.hpp"
#include "support.hpp"

using namespace csmetrics;


namespace {

constexpr std::int64_t second_us = 1000000;
constexpr std::int64_t hour_us = 3600 * second_us;
constexpr std::int64_t day_us = 24 * hour_us;

/// One row of the log, owning its text.
struct row {
  std::int64_t t = 0;  // microseconds since the epoch
  event_type type = event_type::visit;
  std::string shop, buyer, agent, order, tag;
  std::optional<money> amount;
};

/// The whole file through csmetrics::event_csv_reader (both files are sorted
/// by time; the lateness allowance only guards against a regression there).
std::vector<row> load(const std::string& path, std::uint64_t expected_rows) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  REQUIRE(f);
  event_csv_options opt;
  opt.max_lateness = std::chrono::hours{24 * 365};
  event_csv_reader in(f.get(), opt);
  std::vector<row> rows;
  event e;
  while (in.next(e))
    rows.push_back(row{e.time.time_since_epoch().count(), e.type, std::string(e.shop), std::string(e.buyer),
                       std::string(e.agent), std::string(e.order), std::string(e.tag), e.amount});
  INFO(path);
  CHECK(in.stats().skipped == 0);
  CHECK(in.stats().out_of_order == 0);
  CHECK(rows.size() == expected_rows);
  return rows;
}

/// The order-family events of a row into the library (other families' rows are ignored).
void feed(string_orders& acc, const row& r) {
  const timestamp t{duration{r.t}};
  auto opt = [](const std::string& s) { return s.empty() ? std::optional<std::string>{} : std::optional<std::string>{s}; };
  switch (r.type) {
    case event_type::visit: acc.visit(r.shop, r.buyer, t); break;
    case event_type::buyer_msg: acc.inquiry(r.shop, r.buyer, t); break;
    case event_type::agent_msg: acc.agent_reply(r.shop, r.buyer, r.agent, t); break;
    case event_type::order: acc.order(r.shop, r.buyer, r.order, r.amount, opt(r.agent), t); break;
    case event_type::payment: acc.payment(r.shop, r.order, *r.amount, opt(r.buyer), t); break;
    case event_type::cancel: acc.cancel(r.shop, r.order, t); break;
    case event_type::refund: acc.refund(r.shop, r.order, *r.amount, t); break;
    case event_type::dispute: acc.dispute(r.shop, r.order, t); break;
    case event_type::reminder: acc.reminder(r.shop, r.order, r.tag, opt(r.agent), t); break;
    case event_type::lost: acc.lost(r.shop, r.buyer, r.agent, *parse_loss_reason(r.tag), t); break;
    default: break;  // auto_msg, invite, vote, dsr, review: other families
  }
}

using key = std::pair<std::string, std::string>;  // (shop, order) or (shop, buyer)

/// The documented rules of orders.hpp written plainly for a stream that has
/// no agents, reminders or losses (neither real log has them), with
/// advance() called once after the last event, past every window: a late
/// payment is late (revenue, not conversion), never an unknown order; with
/// event-time expiry it also counts its order as expired.
struct reference {
  std::int64_t offset_us = 0;
  std::int64_t window_us = 72 * hour_us;
  std::int64_t attribution_days = 3;

  struct order_state {
    std::string shop, buyer;
    std::int64_t t = 0, day = 0;
    std::optional<std::int64_t> amount;
    std::size_t pos = 0;  // stream position of the order
    bool paid = false, cancelled = false, within = false, disputed = false, expired = false;
    std::int64_t t_paid = 0, paid_amount = 0, refunded = 0, pay_day = 0;
    std::size_t pay_pos = 0;  // stream position at which the payment took effect
  };
  struct held_payment {
    std::int64_t t = 0, amount = 0;
    std::optional<std::string> buyer;
  };

  std::map<key, order_state> orders;
  std::map<key, held_payment> held;
  std::map<key, std::vector<std::pair<std::size_t, std::int64_t>>> inquiries;  // (shop, buyer) -> (pos, day)
  std::array<std::uint64_t, order_reject_count> rejected{};
  std::uint64_t visits = 0, refunds = 0, disputes = 0, disputed_orders = 0;
  std::int64_t refunded = 0;
  std::size_t pos = 0;

  reference(std::int64_t offset_hours) : offset_us(offset_hours * hour_us) {}

  /// Local day by plain floor division.
  std::int64_t day(std::int64_t t) const {
    const std::int64_t x = t + offset_us;
    return x >= 0 ? x / day_us : -((-x + day_us - 1) / day_us);
  }
  void reject(order_reject why) { ++rejected[static_cast<std::size_t>(why)]; }

  void pay(order_state& o, std::int64_t t, std::int64_t amount, const std::optional<std::string>& buyer) {
    if (buyer && *buyer != o.buyer) return reject(order_reject::buyer_mismatch);
    if (o.paid) return reject(order_reject::duplicate_payment);
    if (o.cancelled) return reject(order_reject::cancelled_order);
    o.paid = true;
    o.t_paid = t;
    o.paid_amount = amount;
    o.within = t - o.t <= window_us;  // measured from the order time, inclusive
    o.pay_day = std::max(o.day, day(t));
    o.pay_pos = pos;
  }

  /// The order as an event at `t` sees it (orders.hpp decides expiry from
  /// event times): expired first when its window passed unpaid;
  /// nullptr once it is past the time it is tracked for.
  order_state* tracked(order_state& o, std::int64_t t) {
    if (!o.paid && !o.cancelled && !o.expired && t > o.t + window_us) o.expired = true;
    const std::int64_t deadline = o.paid      ? o.t_paid + 30 * day_us
                                  : o.expired ? o.t + window_us + 30 * day_us
                                              : o.t + window_us;
    return t > deadline ? nullptr : &o;
  }

  void add(const row& r) {
    ++pos;
    const key k{r.shop, r.order};
    auto found = orders.find(k);
    order_state* it = found == orders.end() || r.type == event_type::order ? nullptr : tracked(found->second, r.t);
    switch (r.type) {
      case event_type::visit: ++visits; break;
      case event_type::buyer_msg: inquiries[{r.shop, r.buyer}].emplace_back(pos, day(r.t)); break;
      case event_type::order: {
        if (found != orders.end()) return reject(order_reject::duplicate_order);
        order_state o;
        o.shop = r.shop;
        o.buyer = r.buyer;
        o.t = r.t;
        o.day = day(r.t);
        if (r.amount) o.amount = r.amount->minor();
        o.pos = pos;
        order_state& stored = orders.emplace(k, o).first->second;
        auto h = held.find(k);
        if (h != held.end()) {
          const held_payment p = h->second;
          held.erase(h);
          pay(stored, p.t, p.amount, p.buyer);
        }
        break;
      }
      case event_type::payment: {
        std::optional<std::string> buyer;
        if (!r.buyer.empty()) buyer = r.buyer;
        if (it) return pay(*it, r.t, r.amount->minor(), buyer);
        if (held.count(k)) return reject(order_reject::duplicate_payment);
        held.emplace(k, held_payment{r.t, r.amount->minor(), buyer});
        break;
      }
      case event_type::cancel:
        if (!it) return reject(order_reject::unknown_order);
        if (it->paid) return reject(order_reject::already_paid);
        if (it->cancelled) return reject(order_reject::duplicate_cancel);
        if (it->expired) return reject(order_reject::unknown_order);  // closed when its window passed
        it->cancelled = true;
        break;
      case event_type::refund:
        if (!it) return reject(order_reject::unknown_order);
        if (!it->paid) return reject(order_reject::not_paid);
        if (r.amount->minor() > it->paid_amount - it->refunded) return reject(order_reject::refund_exceeds_payment);
        it->refunded += r.amount->minor();
        refunded += r.amount->minor();
        ++refunds;
        break;
      case event_type::dispute:
        if (!it) return reject(order_reject::unknown_order);
        if (!it->paid) return reject(order_reject::not_paid);
        ++disputes;
        if (!it->disputed) ++disputed_orders;
        it->disputed = true;
        break;
      case event_type::dsr:
      case event_type::review: break;  // the ratings family's rows
      default: FAIL("the reference covers only the events of the real logs and their overlay");
    }
  }

  /// The buyer inquired before stream position `p` on a day in [d - window, d].
  bool consulted(const std::string& shop, const std::string& buyer, std::size_t p, std::int64_t d) const {
    auto it = inquiries.find({shop, buyer});
    if (it == inquiries.end()) return false;
    for (const auto& [ip, iday] : it->second)
      if (ip < p && iday >= d - attribution_days && iday <= d) return true;
    return false;
  }

  // ---- figures, computed after the stream ------------------------------

  struct payment_day {
    std::set<key> ordering, paying;  // (shop, buyer)
    std::uint64_t orders = 0, paid = 0, late = 0, cancelled = 0, expired = 0;
    std::int64_t paid_amount = 0;
  };
  std::map<std::int64_t, payment_day> payment_days() const {
    std::map<std::int64_t, payment_day> out;
    for (const auto& [k, o] : orders) {
      payment_day& p = out[o.day];
      ++p.orders;
      p.ordering.insert({o.shop, o.buyer});
      if (o.paid && o.within) {
        ++p.paid;
        p.paid_amount += o.paid_amount;
        p.paying.insert({o.shop, o.buyer});
      }
      if (o.paid && !o.within) ++p.late;
      if (o.cancelled) ++p.cancelled;
      // advance() went past every window; with event-time expiry a late payment
      // finds its order expired (and counts as late too)
      if (!o.cancelled && !(o.paid && o.within)) ++p.expired;
    }
    return out;
  }

  struct inquiry_day {
    std::uint64_t inquired = 0, same_day = 0, ordered = 0;
  };
  std::map<std::int64_t, inquiry_day> inquiry_days() const {
    std::map<key, std::vector<std::pair<std::size_t, std::int64_t>>> placed;  // (shop, buyer) -> orders
    for (const auto& [k, o] : orders) placed[{o.shop, o.buyer}].emplace_back(o.pos, o.day);
    std::map<std::int64_t, inquiry_day> out;
    for (const auto& [b, list] : inquiries) {
      std::map<std::int64_t, std::size_t> first;  // day -> first inquiry's position
      for (const auto& [p, d] : list)
        if (!first.count(d)) first[d] = p;
      auto pl = placed.find(b);
      for (const auto& [d, p] : first) {
        inquiry_day& c = out[d];
        ++c.inquired;
        bool ordered = false, same = false;
        if (pl != placed.end())
          for (const auto& [op, od] : pl->second) {
            if (op <= p || od < d || od > d + attribution_days) continue;
            ordered = true;
            same = same || od == d;
          }
        c.ordered += ordered;
        c.same_day += same;
      }
    }
    return out;
  }

  /// Paid orders consulted / silent and consulted revenue under `rule` (no agents here).
  struct rule_figures {
    std::uint64_t consulted = 0, silent = 0;
    std::int64_t consulted_revenue = 0, total_revenue = 0;
  };
  rule_figures rule(attribution_rule r) const {
    rule_figures f;
    for (const auto& [k, o] : orders) {
      if (!o.paid) continue;
      const bool at_order = consulted(o.shop, o.buyer, o.pos, o.day);
      const bool at_payment = consulted(o.shop, o.buyer, o.pay_pos, o.pay_day);
      const bool c = r == attribution_rule::credit_on_order     ? at_order
                     : r == attribution_rule::credit_on_payment ? at_payment
                                                                : (at_order || at_payment);
      const std::int64_t net = o.paid_amount - o.refunded;
      (c ? f.consulted : f.silent) += 1;
      if (c) f.consulted_revenue += net;
      f.total_revenue += net;
    }
    return f;
  }

  /// (buyers with >= 2 paid orders, buyers with >= 1), late payments included.
  std::pair<std::uint64_t, std::uint64_t> repeat() const {
    std::map<key, int> paid;
    for (const auto& [k, o] : orders)
      if (o.paid) ++paid[{o.shop, o.buyer}];
    std::uint64_t two = 0;
    for (const auto& [b, n] : paid) two += n >= 2;
    return {two, paid.size()};
  }

  order_mix mix() const {
    order_mix m;
    std::int64_t ca = 0, sa = 0;
    for (const auto& [k, o] : orders) {
      const bool c = consulted(o.shop, o.buyer, o.pos, o.day);
      (c ? m.consulted : m.silent) += 1;
      if (o.amount) {
        (c ? m.consulted_with_amount : m.silent_with_amount) += 1;
        (c ? ca : sa) += *o.amount;
      }
    }
    m.consulted_amount = money::from_minor(ca);
    m.silent_amount = money::from_minor(sa);
    return m;
  }

  /// Orders still tracked after advance(end): paid ones whose refund_days
  /// (30) after payment have not passed, with event-time expiry also expired
  /// ones within refund_days of their window's end; cancelled ones are gone.
  std::size_t tracked_after(std::int64_t end) const {
    std::size_t n = 0;
    for (const auto& [k, o] : orders) {
      if (o.paid) n += o.t_paid + 30 * day_us >= end;
      else if (!o.cancelled) n += o.t + window_us + 30 * day_us >= end;
    }
    return n;
  }

  std::int64_t orphaned_amount() const {
    std::int64_t s = 0;
    for (const auto& [k, h] : held) s += h.amount;
    return s;
  }
};

/// Every figure of `acc` (after advance(end)) against the reference.
void check_against(const string_orders& acc, const reference& ref, timestamp end) {
  // Payment cohorts, day by day.
  const auto pdays = ref.payment_days();
  const auto pc = acc.payment_cohorts();
  REQUIRE(pc.size() == pdays.size());
  std::size_t i = 0;
  std::uint64_t ordering = 0, paying = 0;
  for (const auto& [d, p] : pdays) {
    const payment_cohort& c = pc[i++];
    INFO("order day " << format_day(static_cast<day_number>(d)));
    REQUIRE(c.day == d);
    CHECK(c.ordering_buyers == p.ordering.size());
    CHECK(c.paying_buyers == p.paying.size());
    CHECK(c.orders == p.orders);
    CHECK(c.paid_orders == p.paid);
    CHECK(c.late_paid_orders == p.late);
    CHECK(c.cancelled_orders == p.cancelled);
    CHECK(c.expired_orders == p.expired);
    CHECK(c.paid_amount.minor() == p.paid_amount);
    CHECK(!c.provisional);
    ordering += p.ordering.size();
    paying += p.paying.size();
  }
  const payment_cohort total = acc.payment_total();
  CHECK(total.orders == ref.orders.size());
  CHECK(total.ordering_buyers == ordering);
  CHECK(total.paying_buyers == paying);

  // Inquiry cohorts, day by day.
  const auto idays = ref.inquiry_days();
  const auto ic = acc.inquiry_cohorts();
  REQUIRE(ic.size() == idays.size());
  i = 0;
  for (const auto& [d, q] : idays) {
    const inquiry_cohort& c = ic[i++];
    INFO("inquiry day " << format_day(static_cast<day_number>(d)));
    REQUIRE(c.day == d);
    CHECK(c.inquired == q.inquired);
    CHECK(c.same_day == q.same_day);
    CHECK(c.ordered == q.ordered);
    CHECK(!c.provisional);
  }

  // Attribution under the three rules (no agents: consulted = unassigned).
  for (attribution_rule r :
       {attribution_rule::credit_on_order, attribution_rule::credit_on_payment, attribution_rule::order_first}) {
    INFO("rule " << static_cast<int>(r));
    const auto lib = acc.attribution(r);
    const auto want = ref.rule(r);
    CHECK(lib.consulted_paid_orders == want.consulted);
    CHECK(lib.silent_paid_orders == want.silent);
    CHECK(lib.unassigned_paid_orders == want.consulted);
    CHECK(lib.consulted_revenue.minor() == want.consulted_revenue);
    CHECK(lib.total_revenue.minor() == want.total_revenue);
    CHECK(lib.agents.empty());
  }
  CHECK(acc.placed_order_mix() == ref.mix());

  const auto [two, one] = ref.repeat();
  CHECK(acc.repeat_purchase().successes() == two);
  CHECK(acc.repeat_purchase().trials() == one);

  CHECK(acc.visits() == ref.visits);
  CHECK(acc.refunds() == ref.refunds);
  CHECK(acc.refunded().minor() == ref.refunded);
  CHECK(acc.disputes() == ref.disputes);
  CHECK(acc.disputed_orders() == ref.disputed_orders);
  CHECK(acc.orphaned_payments() == ref.held.size());  // every held payment's window has passed
  CHECK(acc.orphaned_amount().minor() == ref.orphaned_amount());
  CHECK(acc.held_payments() == 0);
  CHECK(acc.tracked_orders() == ref.tracked_after(end.time_since_epoch().count()));
  for (std::size_t k = 0; k < order_reject_count; ++k) {
    INFO("rejection reason " << k);
    CHECK(acc.rejected(static_cast<order_reject>(k)) == ref.rejected[k]);
  }
}

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

/// The real rows plus a deterministic overlay of the situations the logs
/// lack, keyed by a hash of the order id: duplicate orders and payments,
/// payments and cancels for orders that never come, cancels of paid orders,
/// refunds (some exceeding the payment), disputes (some twice), payments
/// naming another buyer. Orders without a payment in the data (Taobao) get a
/// synthetic one: 70 % paid 0..96 h after the order, 5 % paid 5 minutes
/// BEFORE the order (held), 10 % cancelled (half of them then paid), 15 %
/// left to expire (some refunded unpaid). With `visits_as_inquiries` every
/// visit becomes an inquiry, to run the inquiry cohorts on real timing.
std::vector<row> overlay(const std::vector<row>& base, bool visits_as_inquiries) {
  std::map<std::string, const row*> payment_of;
  for (const row& r : base)
    if (r.type == event_type::payment) payment_of.emplace(r.order, &r);
  std::vector<row> out;
  for (const row& r : base) {
    row x = r;
    if (visits_as_inquiries && x.type == event_type::visit) x.type = event_type::buyer_msg;
    if (r.type != event_type::order) {
      out.push_back(x);
      continue;
    }
    const std::uint64_t h = fnv1a(r.order);
    auto add = [&](std::int64_t t, event_type type, std::string buyer, std::string order, std::optional<money> amount) {
      out.push_back(row{t, type, r.shop, std::move(buyer), "", std::move(order), "", amount});
    };
    // The order's payment: the data's, or a synthetic one.
    const auto found = payment_of.find(r.order);
    const bool synthetic = found == payment_of.end();
    const std::uint64_t kind = (h >> 8) % 20;
    const money amount = synthetic ? money::from_minor(static_cast<std::int64_t>(100 + (h >> 24) % 50000))
                                   : *found->second->amount;
    if (synthetic && kind < 13) x.amount = amount;  // kind 13 and up keep the log's empty amount
    out.push_back(x);
    if (h % 7 == 0) add(r.t + 60 * second_us, event_type::order, r.buyer, r.order, x.amount);  // duplicate
    if (h % 11 == 0) {  // an order that never comes
      add(r.t, event_type::cancel, "", "ghost-" + r.order, std::nullopt);
      add(r.t, event_type::payment, r.buyer, "ghost-" + r.order, money::from_minor(1234));
    }
    std::int64_t tp = 0;
    if (!synthetic) {
      tp = found->second->t;
    } else if (kind < 14) {
      tp = r.t + static_cast<std::int64_t>((h >> 40) % (96 * 3600)) * second_us;
      add(tp, event_type::payment, kind % 2 ? r.buyer : "", r.order, amount);
    } else if (kind == 14) {
      tp = r.t - 300 * second_us;
      add(tp, event_type::payment, r.buyer, r.order, amount);
    } else if (kind <= 16) {
      add(r.t + hour_us, event_type::cancel, "", r.order, std::nullopt);
      if (kind == 16) add(r.t + 2 * hour_us, event_type::payment, "", r.order, amount);  // cancelled_order
      continue;
    } else {
      if (kind == 17) add(r.t + hour_us, event_type::refund, "", r.order, money::from_minor(100));  // not_paid
      if (kind == 18) add(r.t + hour_us, event_type::dispute, "", r.order, std::nullopt);           // not_paid
      continue;
    }
    // Things that happen to a paid order.
    if ((h >> 4) % 5 == 0) add(tp + 30 * second_us, event_type::payment, "", r.order, amount);  // duplicate
    switch ((h >> 12) % 8) {
      case 0:
        add(tp + day_us, event_type::refund, "", r.order, money::from_minor(amount.minor() / 2));
        add(tp + day_us + 1, event_type::dispute, "", r.order, std::nullopt);
        add(tp + 2 * day_us, event_type::dispute, "", r.order, std::nullopt);  // the same order again
        break;
      case 1: add(tp + 2 * day_us, event_type::refund, "", r.order, money::from_minor(amount.minor() + 1)); break;
      case 2: add(tp + hour_us, event_type::cancel, "", r.order, std::nullopt); break;  // already_paid
      case 3:
        if (tp - second_us >= r.t) add(tp - second_us, event_type::payment, "not-" + r.buyer, r.order, amount);
        break;
      default: break;
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const row& a, const row& b) { return a.t < b.t; });
  return out;
}

orders_config config_at(int offset_hours) {
  orders_config c;  // attribution 3 days, payment window 72 h
  c.offset = utc_offset::hours(offset_hours);
  return c;
}

/// One pass of the library, advance() once past every window at the end.
string_orders one_pass(const std::vector<row>& rows, const orders_config& c, timestamp end) {
  string_orders acc(c);
  for (const row& r : rows) feed(acc, r);
  acc.advance(end);
  return acc;
}

/// The same with advance() before every event, as a live feed would call it.
string_orders live_pass(const std::vector<row>& rows, const orders_config& c, timestamp end) {
  string_orders acc(c);
  for (const row& r : rows) {
    acc.advance(timestamp{duration{r.t}});
    feed(acc, r);
  }
  acc.advance(end);
  return acc;
}

/// The reference over the same rows.
reference recount(const std::vector<row>& rows, int offset_hours) {
  reference ref(offset_hours);
  for (const row& r : rows) ref.add(r);
  return ref;
}

timestamp end_of(const std::vector<row>& rows) { return timestamp{duration{rows.back().t + 8 * day_us}}; }

/// Shards the rows by a hash of the buyer (order-keyed rows follow their
/// order's buyer), runs each shard, merges, and compares with one pass.
void check_split_by_buyer(const std::vector<row>& rows, const orders_config& c, const string_orders& whole,
                          std::size_t shards) {
  std::map<std::string, std::string> buyer_of;  // order -> its (first) order row's buyer
  for (const row& r : rows)
    if (r.type == event_type::order) buyer_of.emplace(r.order, r.buyer);
  const timestamp end = end_of(rows);
  std::vector<string_orders> part(shards, string_orders(c));
  for (const row& r : rows) {
    std::string b = r.buyer;
    if (r.type != event_type::order && !r.order.empty()) {
      auto it = buyer_of.find(r.order);
      if (it != buyer_of.end()) b = it->second;
      else if (b.empty()) b = r.order;  // an order that never comes: anywhere will do
    }
    feed(part[std::hash<std::string>{}(r.shop + '\x1f' + b) % shards], r);
  }
  for (auto& p : part) {
    p.advance(end);
    CHECK(p.tracked_buyers() < whole.tracked_buyers());  // each shard really holds a part
  }
  string_orders forward(c), backward(c);
  for (std::size_t k = 0; k < shards; ++k) {
    forward.merge(part[k]);
    backward.merge(part[shards - 1 - k]);
  }
  CHECK(forward == whole);
  CHECK(backward == whole);
  CHECK(forward.serialize() == whole.serialize());
  CHECK(backward.serialize() == whole.serialize());
  CHECK(forward.payment_cohorts() == whole.payment_cohorts());
  CHECK(forward.inquiry_cohorts() == whole.inquiry_cohorts());
  CHECK(forward.repeat_purchase() == whole.repeat_purchase());
  CHECK(forward.attribution(attribution_rule::order_first).consulted_revenue ==
        whole.attribution(attribution_rule::order_first).consulted_revenue);
}

double pct(std::uint64_t a, std::uint64_t b) { return b == 0 ? 0.0 : 100.0 * static_cast<double>(a) / static_cast<double>(b); }

}  // namespace

TEST_CASE("orders: Olist orders and payments agree with an independent computation", "[orders][real]") {
  CSM_REQUIRE_SHARED(path, "olist-events.csv");
  const std::vector<row> rows = load(path, 14336);
  const orders_config c = config_at(-3);  // the shop's timestamps are UTC-3
  const string_orders acc = one_pass(rows, c, end_of(rows));
  const reference ref = recount(rows, -3);
  check_against(acc, ref, end_of(rows));

  // The figures themselves (recounted with a Python script over the file):
  // one order per buyer, every order paid, 72 of them more than 72 h after
  // the order (up to 299 h), none before it.
  const payment_cohort total = acc.payment_total();
  CHECK(total.orders == 3584);
  CHECK(total.ordering_buyers == 3584);
  CHECK(total.paying_buyers == 3512);
  CHECK(total.paid_orders == 3512);
  CHECK(total.late_paid_orders == 72);
  CHECK(total.expired_orders == 72);  // late ones are expired too
  const auto rule = acc.attribution(attribution_rule::order_first);
  CHECK(rule.total_revenue == money::parse("557821.53"));  // exact sum of the 3 584 payments
  CHECK(rule.consulted_paid_orders == 0);                  // the log has no inquiries: all silent
  CHECK(rule.silent_paid_orders == 3584);
  REQUIRE(rule.cs_sales_share().has_value());              // revenue > 0: a share exists ...
  CHECK(*rule.cs_sales_share() == 0.0);                    // ... and it is 0
  CHECK(acc.repeat_purchase().successes() == 0);
  CHECK(acc.repeat_purchase().trials() == 3584);
  CHECK(acc.inquiry_cohorts().empty());
  CHECK(acc.rejected_total() == 0);
  CHECK(acc.orphaned_payments() == 0);
  WARN("Olist: " << total.paying_buyers << " / " << total.ordering_buyers << " buyers paid within 72 h ("
                 << pct(total.paying_buyers, total.ordering_buyers) << " %), " << total.late_paid_orders
                 << " late; revenue " << rule.total_revenue.to_string() << ", AOV per order "
                 << money::from_minor(rule.total_revenue.minor() / 3584).to_string() << "; repeat "
                 << acc.repeat_purchase().successes() << " / " << acc.repeat_purchase().trials());
  csm_test::check_round_trip(acc);

  SECTION("a live feed that calls advance() before every event") {
    const string_orders live = live_pass(rows, c, end_of(rows));
    CHECK(live == acc);  // results never depend on when advance() runs
    CHECK(live.serialize() == acc.serialize());
  }

  SECTION("with duplicates, unknown orders, cancels, refunds and disputes overlaid") {
    const std::vector<row> more = overlay(rows, false);
    const string_orders lib = one_pass(more, c, end_of(more));
    const reference want = recount(more, -3);
    check_against(lib, want, end_of(more));
    // the overlay really exercises every rejection it is meant to
    for (order_reject why : {order_reject::duplicate_order, order_reject::duplicate_payment,
                             order_reject::unknown_order, order_reject::already_paid,
                             order_reject::refund_exceeds_payment, order_reject::buyer_mismatch})
      CHECK(lib.rejected(why) > 0);
    CHECK(lib.orphaned_payments() > 0);
    CHECK(lib.refunds() > 0);
    CHECK(lib.disputes() > lib.disputed_orders());
    check_split_by_buyer(more, c, lib, 4);
    CHECK(live_pass(more, c, end_of(more)) == lib);  // advance() timing is irrelevant
  }
}

TEST_CASE("orders: Taobao purchases agree with an independent computation", "[orders][real]") {
  CSM_REQUIRE_SHARED(path, "taobao-events.csv");
  const std::vector<row> rows = load(path, 77621);
  const orders_config c = config_at(8);  // Unix times converted to UTC+8
  const string_orders acc = one_pass(rows, c, end_of(rows));
  const reference ref = recount(rows, 8);
  check_against(acc, ref, end_of(rows));

  std::set<std::string> buyers;
  for (const auto& [k, o] : ref.orders) buyers.insert(o.buyer);
  const payment_cohort total = acc.payment_total();
  CHECK(total.orders == 1750);
  CHECK(buyers.size() == 559);  // distinct ordering buyers over the whole log
  CHECK(total.paying_buyers == 0);  // the log has no payments ...
  CHECK(total.expired_orders == 1750);  // ... so every order expires unpaid
  CHECK(acc.visits() == 75871);
  CHECK(acc.placed_order_mix().silent == 1750);
  CHECK(acc.placed_order_mix().silent_with_amount == 0);  // purchases carry no amount
  CHECK(acc.repeat_purchase().trials() == 0);
  CHECK(!acc.repeat_purchase().rate().has_value());  // no paying buyer: no rate, not 0
  CHECK(acc.rejected_total() == 0);
  WARN("Taobao: " << acc.visits() << " visits, " << total.orders << " orders by " << buyers.size()
                  << " buyers (" << total.ordering_buyers << " buyer-days); no payments");

  SECTION("visits read as inquiries, synthetic payments and the overlay") {
    const std::vector<row> more = overlay(rows, true);
    const string_orders lib = one_pass(more, c, end_of(more));
    const reference want = recount(more, 8);
    check_against(lib, want, end_of(more));
    const inquiry_cohort in = lib.inquiry_total();
    CHECK(in.inquired > 0);
    CHECK(in.same_day > 0);
    CHECK(in.ordered > in.same_day);
    CHECK(lib.payment_total().paying_buyers > 0);
    CHECK(lib.payment_total().late_paid_orders > 0);
    CHECK(lib.repeat_purchase().successes() > 0);
    CHECK(lib.attribution(attribution_rule::credit_on_order).consulted_paid_orders > 0);
    for (order_reject why : {order_reject::duplicate_order, order_reject::duplicate_payment,
                             order_reject::unknown_order, order_reject::cancelled_order, order_reject::already_paid,
                             order_reject::not_paid, order_reject::refund_exceeds_payment,
                             order_reject::buyer_mismatch})
      CHECK(lib.rejected(why) > 0);
    WARN("Taobao, visits as inquiries: " << in.ordered << " / " << in.inquired << " inquiry buyer-days ordered ("
                                         << pct(in.ordered, in.inquired) << " %), " << in.same_day << " the same day");
    check_split_by_buyer(more, c, lib, 4);
    CHECK(live_pass(more, c, end_of(more)) == lib);  // advance() timing is irrelevant
  }

  SECTION("the log as it is, split by buyer") { check_split_by_buyer(rows, c, acc, 4); }
}
