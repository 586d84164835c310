// SPDX-License-Identifier: Apache-2.0
// Tests of csmetrics::sharded_metrics (sharded.hpp): the state and the JSON
// report are the same bytes as one shop_metrics for N = 1, 2, 3, 8 threads
// on the demo week and on generated data (out of order, bad rows, many
// shops); routing of order-keyed events; live snapshots; the state file as
// interchange (split by (shop, buyer), finish each part, merge, re-finish:
// what csm_merge does) and its golden bytes, tests/data/shop_metrics_v1.bin.
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "../bench/event_generator.hpp"
#include "../bench/event_shapes.hpp"
#include "../examples/demo_week.hpp"
#include "agent_sums.hpp"
#include "csmetrics/io/event_csv.hpp"
#include "csmetrics/io/report.hpp"
#include "csmetrics/sharded.hpp"
#include "csmetrics/shop_metrics.hpp"
#include "support.hpp"

namespace {

using csmetrics::event;
using csmetrics::event_type;
using csmetrics::shop_metrics;
using csmetrics::sharded_metrics;
using csmetrics::sharded_options;

const std::string& demo_csv() {
  static const std::string csv = demo::demo_week_builder().csv();
  return csv;
}

const std::string& generated_csv() {
  static const std::string csv = [] {
    csmetrics::bench::generator_options o;
    o.seed = 9;
    o.shops = 12;
    o.journeys_per_shop_day = 300;
    o.out_of_order = 0.05;
    o.bad_rows = 40;
    return csmetrics::bench::generate_csv(o, 60000);
  }();
  return csv;
}

/// One shop_metrics over `csv`, finished at the newest event (shop_report's way).
shop_metrics one_thread(const std::string& csv, const csmetrics::shop_metrics_options& o = {}) {
  shop_metrics m(o);
  csmetrics::event_csv_reader in(csv);
  event e;
  while (in.next(e)) m.add(e);
  if (auto t = m.newest_time()) m.finish(*t);
  return m;
}

/// The same on `threads` shards.
shop_metrics sharded(const std::string& csv, std::size_t threads, std::size_t batch = 1024,
                     std::uint64_t* beyond = nullptr, csmetrics::shard_key key = csmetrics::shard_key::shop_buyer) {
  sharded_options so;
  so.threads = threads;
  so.key = key;
  so.batch_events = batch;
  so.queue_batches = 2;
  sharded_metrics m(so);
  csmetrics::event_csv_reader in(csv);
  event e;
  while (in.next(e)) m.add(e);
  m.finish(*in.newest_time());
  if (beyond) *beyond = m.beyond_lateness();
  return m.result();
}

std::string json_of(const shop_metrics& m) { return csmetrics::to_json(m.make_report()); }

csmetrics::timestamp at(const char* rfc3339) { return *csmetrics::parse_rfc3339(rfc3339); }

}  // namespace

TEST_CASE("sharded_metrics: the demo week is the same bytes on 1, 2, 3 and 8 threads", "[sharded][merge]") {
  const shop_metrics whole = one_thread(demo_csv());
  const std::vector<std::uint8_t> bytes = whole.serialize();
  const std::string json = json_of(whole);
  for (std::size_t n : {1u, 2u, 3u, 8u}) {
    INFO("threads " << n);
    const shop_metrics m = sharded(demo_csv(), n);
    CHECK(m.serialize() == bytes);
    CHECK(json_of(m) == json);
  }
  // Tiny batches and queues exercise the blocking hand-over.
  CHECK(sharded(demo_csv(), 3, 1).serialize() == bytes);
}

TEST_CASE("sharded_metrics: whole shops per shard (shard_key::shop) give the same bytes", "[sharded][merge]") {
  for (const std::string* csv : {&demo_csv(), &generated_csv()}) {
    const shop_metrics whole = one_thread(*csv);
    for (std::size_t n : {2, 3, 8}) {
      INFO("threads " << n);
      const shop_metrics m = sharded(*csv, n, 700, nullptr, csmetrics::shard_key::shop);
      CHECK(m.serialize() == whole.serialize());
      CHECK(json_of(m) == json_of(whole));
    }
  }
  // Every event of a shop, orders and payments included, lands on one shard; no order map.
  csmetrics::shard_router r(8, csmetrics::shard_key::shop);
  event e;
  e.type = event_type::payment;
  e.shop = "s";
  e.order = "o1";
  const std::size_t home = r.route(e);
  CHECK(home == csmetrics::detail::shard_hash("s", "") % 8);
  e.type = event_type::order;
  e.buyer = "b9";
  CHECK(r.route(e) == home);
  CHECK(r.orders_remembered() == 0);
  CHECK(r.unknown_order_routes() == 0);
}

TEST_CASE("choose_shard_key: whole shops when the busiest shard holds at most 1/(0.7 N)", "[sharded][route]") {
  using csmetrics::shard_key;
  auto batch_of = [](const std::vector<std::string>& shops) {
    csmetrics::event_batch b;
    event e;
    e.type = event_type::visit;
    e.buyer = "b";
    for (const std::string& s : shops) {
      e.shop = s;
      b.push(e);
    }
    return b;
  };
  std::vector<std::string> many;
  for (int i = 0; i < 1000; ++i) many.push_back("shop" + std::to_string(i));
  const csmetrics::event_batch balanced = batch_of(many);
  CHECK(csmetrics::choose_shard_key(balanced, 2, 16384) == shard_key::shop);
  CHECK(csmetrics::choose_shard_key(balanced, 8, 16384) == shard_key::shop);
  const csmetrics::event_batch one_shop = batch_of(std::vector<std::string>(1000, "big"));
  CHECK(csmetrics::choose_shard_key(one_shop, 2, 16384) == shard_key::shop_buyer);
  CHECK(csmetrics::choose_shard_key(one_shop, 1, 16384) == shard_key::shop);  // one shard: no order map
  CHECK(csmetrics::choose_shard_key(csmetrics::event_batch{}, 2, 16384) == shard_key::shop_buyer);
  // Only the first max_events count: ten events of one shop, then many shops.
  std::vector<std::string> head(10, "big");
  head.insert(head.end(), many.begin(), many.end());
  CHECK(csmetrics::choose_shard_key(batch_of(head), 2, 10) == shard_key::shop_buyer);
  CHECK(csmetrics::choose_shard_key(batch_of(head), 2, 16384) == shard_key::shop);
  // The boundary on two shards: 1 / (0.7 * 2) = 71.4 % on the busiest. Two
  // shops on different shards, 7:3 (70 %) and 8:2 (80 %).
  std::string x = "x", y = "y0";
  for (int i = 1; csmetrics::detail::shard_hash(y, "") % 2 == csmetrics::detail::shard_hash(x, "") % 2; ++i)
    y = "y" + std::to_string(i);
  std::vector<std::string> seven(7, x), eight(8, x);
  seven.insert(seven.end(), 3, y);
  eight.insert(eight.end(), 2, y);
  CHECK(csmetrics::choose_shard_key(batch_of(seven), 2, 100) == shard_key::shop);
  CHECK(csmetrics::choose_shard_key(batch_of(eight), 2, 100) == shard_key::shop_buyer);
  // A router takes a decided key only; sharded_options refuses an unknown one.
  CHECK_THROWS_WITH(csmetrics::shard_router(2, shard_key::automatic), Catch::Contains("shop_buyer or shop"));
  sharded_options so;
  so.key = static_cast<shard_key>(7);
  CHECK_THROWS_WITH(sharded_metrics(so), Catch::Contains("unknown shard_key 7"));
}

TEST_CASE("sharded_metrics: shard_key::automatic decides at the first batch, the same bytes either way",
          "[sharded][merge]") {
  csmetrics::bench::generator_options o;
  o.seed = 5;
  o.shops = 1;
  o.journeys_per_shop_day = 400;
  const std::string single_shop = csmetrics::bench::generate_csv(o, 20000);
  for (const std::string* csv : {&generated_csv(), &single_shop}) {
    const shop_metrics whole = one_thread(*csv);
    for (std::size_t n : {1, 2, 3}) {
      INFO("threads " << n << (csv == &single_shop ? ", one shop" : ", 12 shops"));
      sharded_options so;
      so.threads = n;
      so.batch_events = 2000;
      CHECK(so.key == csmetrics::shard_key::automatic);  // the default
      sharded_metrics m(so);
      CHECK(m.key() == csmetrics::shard_key::automatic);  // nothing handed over yet
      csmetrics::event_csv_reader in(*csv);
      csmetrics::event_batch first;
      event e;
      while (in.next(e)) {
        if (first.size() < so.batch_events) first.push(e);
        m.add(e);
      }
      m.finish(*in.newest_time());
      const csmetrics::shard_key chosen = csmetrics::choose_shard_key(first, n, so.batch_events);
      CHECK(m.key() == chosen);
      if (n == 1) CHECK(chosen == csmetrics::shard_key::shop);
      if (n == 2 && csv == &single_shop) CHECK(chosen == csmetrics::shard_key::shop_buyer);
      // The workers route with the chosen key: only (shop, buyer) keeps an order map.
      CHECK((m.orders_remembered() > 0) == (chosen == csmetrics::shard_key::shop_buyer));
      CHECK(csmetrics::to_json(m.make_report()) == json_of(whole));
      CHECK(m.result().serialize() == whole.serialize());
    }
  }
}

TEST_CASE("sharded_metrics: make_report on the workers is the merged state's report", "[sharded][report]") {
  for (const std::string* csv : {&demo_csv(), &generated_csv()}) {
    const shop_metrics whole = one_thread(*csv);
    const csmetrics::day_number newest = csmetrics::local_day(*whole.newest_time(), {});
    for (auto key : {csmetrics::shard_key::shop, csmetrics::shard_key::shop_buyer}) {
      for (std::size_t n : {1, 2, 3, 8}) {
        INFO("threads " << n << ", key " << static_cast<int>(key));
        sharded_options so;
        so.threads = n;
        so.key = key;
        sharded_metrics m(so);
        CHECK_THROWS_AS(m.make_report(), std::logic_error);  // before finish
        csmetrics::event_csv_reader in(*csv);
        event e;
        while (in.next(e)) m.add(e);
        m.finish(*in.newest_time());
        // The default as_of (the newest day), an earlier day, per-day rows.
        csmetrics::report_request earlier;
        earlier.as_of = newest - 2;
        earlier.days = true;
        CHECK(csmetrics::to_json(m.make_report()) == csmetrics::to_json(whole.make_report()));
        CHECK(csmetrics::to_json(m.make_report(earlier)) == csmetrics::to_json(whole.make_report(earlier)));
        csmetrics::report_request too_old;  // older than the days kept: refused, the state kept
        too_old.as_of = newest - 400;
        CHECK_THROWS_AS(m.make_report(too_old), std::out_of_range);
        CHECK(csmetrics::to_json(m.make_report()) == csmetrics::to_json(whole.make_report()));  // and again
        CHECK(m.snapshot().serialize() == whole.serialize());
        CHECK(m.result().serialize() == whole.serialize());  // the state was kept
        CHECK_THROWS_AS(m.make_report(), std::logic_error);
        CHECK_THROWS_AS(m.result(), std::logic_error);
      }
    }
  }
}

namespace {
/// The JSON of json_report_writer fed by for_each_shop_report.
template <class State>
std::string streamed_json(State& state, const csmetrics::report_request& request) {
  csmetrics::report head;
  head.rows = 7;  // the input counts come from the head
  head.skipped_by_reason["bad_time"] = 2;
  if (request.scorecard) head.scorecard_rules = request.scorecard->rules;
  std::ostringstream os;
  csmetrics::json_report_writer out(os, head);
  state.for_each_shop_report(request, [&](const std::string& shop, csmetrics::shop_report&& s) {
    out.shop(shop, std::move(s));
  });
  out.finish();
  return os.str();
}
std::string whole_json(csmetrics::report r) {
  r.rows = 7;
  r.skipped_by_reason["bad_time"] = 2;
  return csmetrics::to_json(r);
}
}  // namespace

TEST_CASE("for_each_shop_report and json_report_writer: the JSON of make_report, one shop at a time",
          "[sharded][report]") {
  // 4 500 tiny shops: more than one of the workers' windows (4 096 shops);
  // the demo week: agents, days, scorecards and a sales change too.
  std::string tiny;
  csmetrics::bench::generate_shape_csv(csmetrics::bench::log_shape::tiny_shops, 4500,
                                       [&](std::string_view piece) { tiny.append(piece); });
  csmetrics::report_request full;
  full.days = true;
  full.sales_change_days = 7;
  full.scorecard = csmetrics::scorecard_options{};
  for (const std::string* csv : {static_cast<const std::string*>(&tiny), &demo_csv()}) {
    const shop_metrics whole = one_thread(*csv);
    for (const csmetrics::report_request& request : {csmetrics::report_request{}, full}) {
      if (csv == &tiny && request.days) continue;
      const std::string expected = whole_json(whole.make_report(request));
      CHECK(streamed_json(whole, request) == expected);
      for (std::size_t n : {1, 3}) {
        if (csv == &tiny && n == 1) continue;  // (the same path as 3, at a cost under the sanitizers)
        INFO("threads " << n);
        sharded_options so;
        so.threads = n;
        so.key = csmetrics::shard_key::shop;
        sharded_metrics m(so);
        csmetrics::event_csv_reader in(*csv);
        event e;
        while (in.next(e)) m.add(e);
        m.finish(*in.newest_time());
        CHECK(streamed_json(m, request) == expected);
        CHECK(whole_json(m.make_report(request)) == expected);
      }
    }
  }
  // Nothing added: an empty report.
  const shop_metrics empty;
  CHECK(streamed_json(empty, {}) == whole_json(empty.make_report()));
}

TEST_CASE("json_report_writer: shops out of name order and use after finish are refused", "[report]") {
  std::ostringstream os;
  csmetrics::json_report_writer out(os, csmetrics::report{});
  out.shop("b", csmetrics::shop_report{});
  CHECK_THROWS_AS(out.shop("a", csmetrics::shop_report{}), std::invalid_argument);
  CHECK_THROWS_AS(out.shop("b", csmetrics::shop_report{}), std::invalid_argument);
  out.shop("c", csmetrics::shop_report{});
  out.finish();
  CHECK_THROWS_AS(out.shop("d", csmetrics::shop_report{}), std::logic_error);
  CHECK_THROWS_AS(out.finish(), std::logic_error);
  csmetrics::report r;
  r.shops["b"];
  r.shops["c"];
  CHECK(os.str() == csmetrics::to_json(r));
}

TEST_CASE("sharded_metrics: batches handed over without a copy give the same bytes as add(e)", "[sharded][merge]") {
  const std::string& csv = generated_csv();
  const shop_metrics whole = one_thread(csv);
  for (std::size_t n : {1, 2, 5}) {
    INFO("threads " << n);
    sharded_options so;
    so.threads = n;
    so.queue_batches = 1;
    so.key = csmetrics::shard_key::shop_buyer;  // the order map is under test
    sharded_metrics m(so);
    csmetrics::event_csv_reader in(csv);
    event e;
    auto batch = std::make_shared<csmetrics::event_batch>();
    std::uint64_t k = 0;
    while (in.next(e)) {
      if (++k % 97 == 0) {  // some events one at a time, between batches: order kept
        m.add(std::shared_ptr<const csmetrics::event_batch>(std::move(batch)));
        batch = std::make_shared<csmetrics::event_batch>();
        m.add(e);
      } else {
        batch->push(e);
      }
    }
    m.add(std::shared_ptr<const csmetrics::event_batch>(std::move(batch)));
    m.add(std::shared_ptr<const csmetrics::event_batch>{});  // null: ignored
    CHECK(m.dispatched() == k);
    m.finish(*in.newest_time());
    CHECK(m.unknown_order_routes() == 0);
    CHECK(m.orders_remembered() > 0);
    CHECK(m.result().serialize() == whole.serialize());
  }
}

TEST_CASE("sharded_metrics: generated data (many shops, out of order, bad rows) is the same bytes",
          "[sharded][merge]") {
  const shop_metrics whole = one_thread(generated_csv());
  REQUIRE(whole.make_report().shops.size() > 5);
  const std::vector<std::uint8_t> bytes = whole.serialize();
  const std::string json = json_of(whole);
  csmetrics::report_request days;
  days.days = true;
  const std::string json_days = csmetrics::to_json(whole.make_report(days));
  for (std::size_t n : {1u, 2u, 3u, 8u}) {
    INFO("threads " << n);
    std::uint64_t beyond = 99;
    const shop_metrics m = sharded(generated_csv(), n, 512, &beyond);
    CHECK(beyond == 0);  // the reader already skipped rows later than max_lateness
    CHECK(m.serialize() == bytes);
    CHECK(json_of(m) == json);
    CHECK(csmetrics::to_json(m.make_report(days)) == json_days);
  }
}

TEST_CASE("shop_metrics: every row is counted once, accepted or skipped with its reason", "[shop_metrics][input]") {
  // The generated log has out-of-order rows: some are out of order inside
  // their conversation, which the sessions family refuses.
  csmetrics::event_csv_reader in(generated_csv());
  shop_metrics m;
  event e;
  std::uint64_t refused = 0;
  std::vector<std::pair<std::uint64_t, std::string>> first;  // (line, reason) of the first 100
  while (in.next(e))
    if (!m.add(e) && ++refused <= sharded_metrics::refusals_kept) first.emplace_back(e.line, m.last_refusal());
  m.finish(*m.newest_time());
  const std::map<std::string, std::uint64_t> by_reason = m.refused_by_reason();
  std::uint64_t sum = 0;
  for (const auto& [why, n] : by_reason) sum += n;
  CHECK(refused > 0);
  CHECK(sum == refused);
  CHECK(by_reason.count("conversation_out_of_order") == 1);
  CHECK(m.accepted() + refused == in.stats().accepted);
  csmetrics::report r = m.make_report();
  r.rows = in.stats().rows;
  r.accepted = in.stats().accepted;
  r.skipped = in.stats().skipped;
  for (const auto& [why, n] : in.stats().skipped_by_reason()) r.skipped_by_reason[std::string(why)] += n;
  csmetrics::count_refused(r, by_reason);
  CHECK(r.rows == r.accepted + r.skipped);
  CHECK(r.accepted == m.accepted());
  std::uint64_t reasons = 0;
  for (const auto& [why, n] : r.skipped_by_reason) reasons += n;
  CHECK(reasons == r.skipped);
  // On shards: the same refusals (they are part of the state's bytes too).
  for (std::size_t n : {2u, 3u}) {
    sharded_options so;
    so.threads = n;
    sharded_metrics s(so);
    csmetrics::event_csv_reader again(generated_csv());
    while (again.next(e)) s.add(e);
    s.finish(*again.newest_time());
    CHECK(s.refused_by_reason() == by_reason);
    // And the same first rows, named by line in stream order, as one thread names them.
    std::vector<std::pair<std::uint64_t, std::string>> named;
    for (const auto& x : s.first_refusals()) named.emplace_back(x.line, std::string(x.reason));
    CHECK(named == first);
  }
}

namespace {
/// Each additive figure: the shop's agents plus its unassigned row equal the shop.
void check_books_balance(const csmetrics::report& r, const shop_metrics& m) {
  for (const auto& [name, s] : r.shops) {
    INFO("shop " << name);
    REQUIRE(s.unassigned);
    for (const auto& [a, x] : s.agents) CHECK(x.orders_placed_paid <= x.orders_placed);
    const csmetrics::agent_report sum = csm_test::sum_over_agents(s);
    CHECK(sum.buyer_messages == s.buyer_messages);
    CHECK(sum.agent_messages == s.agent_messages);
    CHECK(sum.answered == s.answered);
    CHECK(sum.unanswered == s.unanswered);
    CHECK(sum.lost_by_reason == s.lost_by_reason);
    CHECK(sum.inquired == s.inquiry_conversion.denominator);
    CHECK(sum.ordered_same_day == s.inquiry_conversion_same_day.numerator);
    CHECK(sum.ordered_final == s.inquiry_conversion.numerator);
    if (const auto* o = m.orders_state(name)) {
      CHECK(sum.orders_placed == o->placed_order_mix().consulted);
      const auto attr = o->attribution(m.options().rule);
      CHECK(sum.orders_credited == attr.consulted_paid_orders);
      CHECK(sum.revenue_credited == attr.consulted_revenue);
    }
  }
}
}  // namespace

TEST_CASE("report: a shop's agents plus its unassigned row add up to the shop", "[shop_metrics][agents]") {
  const shop_metrics whole = one_thread(generated_csv());
  const csmetrics::report r = whole.make_report();
  check_books_balance(r, whole);
  std::uint64_t unassigned_unanswered = 0;
  for (const auto& [name, s] : r.shops) unassigned_unanswered += s.unassigned->unanswered;
  CHECK(unassigned_unanswered > 0);  // the generated log has unrouted bursts that expire
  // The same report on 2 shards, made on the workers.
  sharded_options so;
  so.threads = 2;
  so.key = csmetrics::shard_key::shop;
  sharded_metrics s(so);
  csmetrics::event_csv_reader in(generated_csv());
  event e;
  while (in.next(e)) s.add(e);
  s.finish(*in.newest_time());
  CHECK(csmetrics::to_json(s.make_report()) == csmetrics::to_json(r));
  // By hand: a burst routed to a2 that expires is a2's; one routed nowhere is unassigned.
  const std::string csv =
      "time,type,shop,buyer,agent,order,amount,score,tag\n"
      "2019-09-01T10:00:00+08:00,buyer_msg,s1,b1,,,,,\n"
      "2019-09-01T10:00:30+08:00,agent_msg,s1,b1,a1,,,,\n"
      "2019-09-01T10:01:00+08:00,buyer_msg,s1,b2,a2,,,,\n"
      "2019-09-01T10:01:05+08:00,buyer_msg,s1,b2,,,,,\n"
      "2019-09-01T10:02:00+08:00,buyer_msg,s1,b3,,,,,\n"
      "2019-09-03T10:00:00+08:00,visit,s1,b9,,,,,\n";
  const shop_metrics m = one_thread(csv);
  const csmetrics::report h = m.make_report();
  const auto& shop = h.shops.at("s1");
  CHECK(shop.buyer_messages == 4);
  CHECK(shop.unanswered == 2);
  CHECK(shop.agents.at("a1").buyer_messages == 1);
  CHECK(shop.agents.at("a1").answered == 1);
  CHECK(shop.agents.at("a2").buyer_messages == 2);
  CHECK(shop.agents.at("a2").unanswered == 1);
  CHECK(shop.unassigned->buyer_messages == 1);
  CHECK(shop.unassigned->unanswered == 1);
  CHECK(shop.unassigned->agent_messages == 0);
  // Inquiry days: b1's answered by a1, b2's routed to a2 and never answered, b3's nobody's.
  CHECK(shop.agents.at("a1").inquired == 1);
  CHECK(shop.agents.at("a2").inquired == 1);
  CHECK(shop.unassigned->inquired == 1);
  check_books_balance(h, m);
}

TEST_CASE("shard_router: order-keyed events follow their order's buyer", "[sharded][route]") {
  csmetrics::shard_router m(8);
  event order;
  order.type = event_type::order;
  order.shop = "s";
  order.order = "o1";
  // A buyer whose hash differs from the shop-only hash, so the test can tell them apart.
  std::string buyer = "b0";
  for (int i = 1; csmetrics::detail::shard_hash("s", buyer) % 8 == csmetrics::detail::shard_hash("s", "") % 8; ++i)
    buyer = "b" + std::to_string(i);
  order.buyer = buyer;
  const std::size_t home = m.route(order);
  CHECK(home == csmetrics::detail::shard_hash("s", buyer) % 8);
  CHECK(m.orders_remembered() == 1);
  event pay;
  pay.type = event_type::payment;
  pay.shop = "s";
  pay.order = "o1";
  CHECK(m.route(pay) == home);  // buyer column empty: the order's shard
  pay.type = event_type::reminder;
  CHECK(m.route(pay) == home);
  pay.order = "o2";  // unknown order, no buyer: the shop's shard
  CHECK(m.route(pay) == csmetrics::detail::shard_hash("s", "") % 8);
  pay.buyer = buyer;  // unknown order with a buyer column: the buyer's shard
  CHECK(m.route(pay) == home);
  event other_shop = order;  // the same order id in another shop is another order
  other_shop.shop = "t";
  other_shop.buyer = "zz";
  m.route(other_shop);
  CHECK(m.orders_remembered() == 2);
  // FNV-1a 64 is fixed: processes on other machines route alike.
  CHECK(csmetrics::detail::fnv1a("") == 14695981039346656037ull);
  CHECK(csmetrics::detail::fnv1a("a") == 0xaf63dc4c8601ec8cull);
  CHECK(m.unknown_order_routes() == 1);  // o2 without a buyer column
  CHECK_THROWS_WITH(csmetrics::shard_router(0), Catch::Contains("shards must be in [1, 256]: 0"));
  CHECK_THROWS_AS(csmetrics::shard_router(257), std::invalid_argument);
}

TEST_CASE("sharded_metrics: a snapshot mid-stream equals one shop_metrics finished at the same time",
          "[sharded][snapshot]") {
  const std::string& csv = generated_csv();
  shop_metrics single;
  sharded_options so;
  so.threads = 3;
  sharded_metrics m(so);
  csmetrics::event_csv_reader in(csv);
  event e;
  std::uint64_t n = 0;
  while (in.next(e)) {
    single.add(e);
    m.add(e);
    if (++n == 20000) {
      const csmetrics::timestamp now = *in.newest_time();
      shop_metrics copy = single;
      copy.finish(now);
      const shop_metrics snap = m.snapshot(now);
      CHECK(snap.serialize() == copy.serialize());
      CHECK(json_of(snap) == json_of(copy));
    }
  }
  REQUIRE(n > 20000);
  CHECK(m.dispatched() == n);
  single.finish(*in.newest_time());
  m.finish(*in.newest_time());
  CHECK(m.snapshot() == single);
  CHECK(m.result() == single);
  CHECK_THROWS_AS(m.result(), std::logic_error);  // moved out: once
  CHECK_THROWS_AS(m.snapshot(), std::logic_error);
  CHECK_THROWS_AS(m.add(e), std::logic_error);
  CHECK_THROWS_AS(m.add(std::make_shared<const csmetrics::event_batch>()), std::logic_error);
  CHECK_THROWS_AS(m.finish(*in.newest_time()), std::logic_error);
}

TEST_CASE("sharded_metrics: bad options are refused with their limits; events beyond lateness are counted",
          "[sharded][errors]") {
  sharded_options so;
  so.threads = 0;
  CHECK_THROWS_WITH(sharded_metrics(so), Catch::Contains("threads must be in [1, 256]: 0"));
  so.threads = 257;
  CHECK_THROWS_AS(sharded_metrics(so), std::invalid_argument);
  so.threads = 2;
  so.batch_events = 0;
  CHECK_THROWS_AS(sharded_metrics(so), std::invalid_argument);
  so.batch_events = 4;
  csmetrics::shop_metrics_options bad;
  bad.curve_days = 0;
  CHECK_THROWS_AS(sharded_metrics(so, bad), std::invalid_argument);

  sharded_metrics m(so);
  CHECK(m.result() == shop_metrics{});
  CHECK_FALSE(m.newest_time());
  event e;
  e.type = event_type::visit;
  e.shop = "s";
  e.buyer = "b";
  e.time = at("2019-09-02T10:00:00+08:00");
  m.add(e);
  e.time = at("2019-09-02T09:00:00+08:00");  // exactly max_lateness behind: fine
  m.add(e);
  e.time = at("2019-09-02T08:59:59+08:00");  // beyond
  m.add(e);
  CHECK(m.beyond_lateness() == 1);
  CHECK(m.newest_time() == at("2019-09-02T10:00:00+08:00"));
  m.finish(at("2019-09-02T10:00:00+08:00"));
  const shop_metrics r = m.result();
  CHECK(r.accepted() + r.rejected(csmetrics::shop_metrics_reject::too_late) == 3);
  // Destroying without finish() joins the workers cleanly.
  sharded_metrics unfinished(so);
  unfinished.add(e);
}

TEST_CASE("shop_metrics: state files of a (shop, buyer) split merge and re-finish into the whole",
          "[sharded][interchange]") {
  // What `shop_report --save-state` on each part and `csm_merge` do: each part
  // is finished at its own last event, the merged state again at the newest.
  for (const std::string* csv : {&demo_csv(), &generated_csv()}) {
    const shop_metrics whole = one_thread(*csv);
    // Split the rows (one line each in these inputs) with the dispatcher's routing.
    std::vector<std::string_view> lines;
    for (std::size_t pos = 0; pos < csv->size();) {
      const std::size_t end = csv->find('\n', pos) + 1;
      lines.push_back(std::string_view(*csv).substr(pos, end - pos));
      pos = end;
    }
    std::vector<std::string> parts(2, std::string(lines[0]));
    sharded_options so;
    so.threads = 2;
    csmetrics::shard_router router(2);
    csmetrics::event_csv_reader in(*csv);
    event e;
    while (in.next(e)) parts[router.route(e)] += lines.at(e.line - 1);
    REQUIRE(parts[0].size() > 1000);
    REQUIRE(parts[1].size() > 1000);
    std::vector<std::vector<std::uint8_t>> files;
    for (const std::string& p : parts) files.push_back(one_thread(p).serialize());
    shop_metrics merged;
    for (const auto& f : files) merged.merge(shop_metrics::deserialize(f.data(), f.size()));
    merged.finish(*merged.newest_time());
    // The report is the same. (The orders family's bytes are not: a part
    // finished at its own earlier time and finished again after the merge
    // keeps its order table differently from one pass; the figures agree.)
    CHECK(json_of(merged) == json_of(whole));
    csmetrics::report_request days;
    days.days = true;
    CHECK(csmetrics::to_json(merged.make_report(days)) == csmetrics::to_json(whole.make_report(days)));
    // Families of two states hold ids of two pools: compared through their bytes.
    CHECK(merged.sessions_state().serialize() == whole.sessions_state().serialize());
    CHECK(merged.sales_state().serialize() == whole.sales_state().serialize());
    CHECK(merged.ratings_state().serialize() == whole.ratings_state().serialize());
    // Parts finished at the same global time merge into the same bytes.
    shop_metrics exact;
    for (const std::string& p : parts) {
      shop_metrics part;
      csmetrics::event_csv_reader pin(p);
      while (pin.next(e)) part.add(e);
      part.finish(*whole.newest_time());
      exact.merge(part);
    }
    CHECK(exact == whole);
  }
}

TEST_CASE("shop_metrics: golden state files, v3, v2 and v1", "[shop_metrics][serde][golden]") {
  // The first 400 rows of the demo week, finished: every family has state.
  std::string csv = demo_csv();
  std::size_t pos = 0;
  for (int i = 0; i < 401; ++i) pos = csv.find('\n', pos) + 1;
  csv.resize(pos);
  const shop_metrics m = one_thread(csv);
  REQUIRE(m.accepted() == 400);
  csm_test::check_golden(m, "shop_metrics_v3.bin");
  // Version 2 (before refused counts were kept) reads as the same state:
  // these rows have no refusal.
  const std::vector<std::uint8_t> v2 = csm_test::read_golden("shop_metrics_v2.bin");
  REQUIRE(!v2.empty());
  CHECK(shop_metrics::deserialize(v2.data(), v2.size()) == m);
  // Version 1 (sessions v1 inside, before agents' conversations were kept)
  // still reads: the same report but for those counts, which it lacks.
  const std::vector<std::uint8_t> v1 = csm_test::read_golden("shop_metrics_v1.bin");
  REQUIRE(!v1.empty());
  const shop_metrics old = shop_metrics::deserialize(v1.data(), v1.size());
  auto without_agent_conversations = [](csmetrics::report r) {
    for (auto& [shop, s] : r.shops)
      for (auto& [agent, a] : s.agents) a.conversations = 0;
    return csmetrics::to_json(r);
  };
  CHECK(without_agent_conversations(old.make_report()) == without_agent_conversations(m.make_report()));
  CHECK(old.sessions_state().serialize() == m.sessions_state().serialize());  // no messages in these rows
}
