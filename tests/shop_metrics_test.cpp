// SPDX-License-Identifier: Apache-2.0
// Tests of csmetrics::shop_metrics: routing, the demo week's seed figures,
// sharded merge, serialization and the report renderers.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "../examples/demo_week.hpp"
#include "agent_sums.hpp"
#include "csmetrics/io/event_csv.hpp"
#include "csmetrics/io/report.hpp"
#include "csmetrics/shop_metrics.hpp"
#include "support.hpp"

namespace {

using csmetrics::event;
using csmetrics::event_type;
using csmetrics::shop_metrics;

/// Events with their text kept alive (event holds views).
struct owned_event {
  csmetrics::timestamp time;
  event_type type;
  std::string shop, buyer, agent, order, tag, amount;
  int score = 0;
  event view() const {
    event e;
    e.time = time;
    e.type = type;
    e.shop = shop;
    e.buyer = buyer;
    e.agent = agent;
    e.order = order;
    e.tag = tag;
    if (!amount.empty()) e.amount = csmetrics::money::parse(amount);
    e.score = static_cast<std::uint8_t>(score);
    return e;
  }
};

std::vector<owned_event> read_all(const std::string& csv) {
  std::vector<owned_event> out;
  csmetrics::event_csv_reader in(csv);
  event e;
  while (in.next(e)) {
    owned_event o{e.time, e.type, std::string(e.shop), std::string(e.buyer), std::string(e.agent),
                  std::string(e.order), std::string(e.tag), e.amount ? e.amount->to_string() : "", e.score};
    out.push_back(std::move(o));
  }
  REQUIRE(in.stats().skipped == 0);
  return out;
}

const std::vector<owned_event>& demo_events() {
  static const std::vector<owned_event> events = read_all(demo::demo_week_builder().csv());
  return events;
}

csmetrics::timestamp at(const char* rfc3339) { return *csmetrics::parse_rfc3339(rfc3339); }

std::string pct2(std::optional<double> v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", *v * 100);
  return b;
}

}  // namespace

TEST_CASE("shop_metrics: the demo week reproduces the seed's figures exactly", "[shop_metrics][seed]") {
  shop_metrics m;
  for (const auto& e : demo_events()) REQUIRE(m.add(e.view()));
  m.finish(*m.newest_time());
  const csmetrics::report r = m.make_report();
  REQUIRE(r.shops.size() == 1);
  const csmetrics::shop_report& s = r.shops.at("tmall-demo");
  CHECK(s.inquiry_conversion.denominator == 3873);
  CHECK(s.inquiry_conversion.numerator == 1845);
  CHECK(s.inquiry_conversion_same_day.numerator == 1808);
  CHECK(s.lost == 2028);
  CHECK(pct2(s.inquiry_conversion.value()) == "47.64");
  CHECK(s.payment_conversion.denominator == 1855);
  CHECK(s.payment_conversion.numerator == 1697);
  CHECK(pct2(s.payment_conversion.value()) == "91.48");
  // Response times sit around the source's 39-66 s agent averages.
  REQUIRE(s.response_s.mean);
  CHECK(*s.response_s.mean > 39);
  CHECK(*s.response_s.mean < 66);
  CHECK(s.agents.size() == 4);
  CHECK(s.dsr_item.count > 0);
  CHECK(s.dsr_curve.size() == 180);
}

TEST_CASE("shop_metrics: a report as of an earlier day", "[shop_metrics][report]") {
  shop_metrics m;
  for (const auto& e : demo_events()) REQUIRE(m.add(e.view()));
  m.finish(*m.newest_time());
  const csmetrics::day_number newest = *csmetrics::parse_day("2019-09-09");
  for (int back : {0, 1, 4, 179}) {
    INFO("as of newest - " << back);
    csmetrics::report_request q;
    q.as_of = newest - back;
    const csmetrics::shop_report s = m.make_report(q).shops.at("tmall-demo");
    CHECK(s.as_of == newest - back);
    // The DSR curve: day by day up to as_of, at most 180 days, starting where
    // the days kept whole allow (180 days back from the shop's last DSR day).
    REQUIRE(!s.dsr_curve.empty());
    CHECK(s.dsr_curve.back().first == newest - back);
    CHECK(s.dsr_curve.front().first >= newest - back - 179);
    CHECK(s.dsr_curve.size() == static_cast<std::size_t>(s.dsr_curve.back().first - s.dsr_curve.front().first + 1));
    if (back == 0) CHECK(s.dsr_curve.size() == 180);
  }
  // Sales and conversion figures follow the earlier day.
  csmetrics::report_request q;
  q.as_of = newest - 4;
  CHECK(m.make_report(q).shops.at("tmall-demo").visits < m.make_report().shops.at("tmall-demo").visits);
  q.as_of = newest - 180;  // older than the curve's days: refused
  CHECK_THROWS_AS(m.make_report(q), std::out_of_range);
}

TEST_CASE("shop_metrics: the demo week is the same bytes every time", "[shop_metrics][seed]") {
  CHECK(demo::demo_week_builder().csv() == demo::demo_week_builder().csv());
}

TEST_CASE("shop_metrics: routes each event type to its families", "[shop_metrics]") {
  // One shop, one buyer's day at UTC+8, worked by hand.
  std::vector<owned_event> ev = {
      {at("2019-09-02T10:00:00+08:00"), event_type::visit, "s", "b1", "", "", "", "", 0},
      {at("2019-09-02T10:00:05+08:00"), event_type::visit, "s", "b2", "", "", "", "", 0},
      {at("2019-09-02T10:01:00+08:00"), event_type::buyer_msg, "s", "b1", "", "", "", "", 0},
      {at("2019-09-02T10:01:10+08:00"), event_type::auto_msg, "s", "b1", "", "", "", "", 0},
      {at("2019-09-02T10:01:30+08:00"), event_type::agent_msg, "s", "b1", "a1", "", "", "", 0},
      {at("2019-09-02T10:02:00+08:00"), event_type::agent_msg, "s", "b1", "a1", "", "", "", 0},
      {at("2019-09-02T10:03:00+08:00"), event_type::invite, "s", "b1", "a1", "", "", "", 0},
      {at("2019-09-02T10:04:00+08:00"), event_type::vote, "s", "b1", "a1", "", "", "", 5},
      {at("2019-09-02T10:05:00+08:00"), event_type::order, "s", "b1", "", "o1", "", "100.00", 0},
      {at("2019-09-02T10:05:30+08:00"), event_type::order, "s", "b2", "", "o2", "", "50.50", 0},
      {at("2019-09-02T10:06:00+08:00"), event_type::payment, "s", "b1", "", "o1", "", "100.00", 0},
      {at("2019-09-02T10:07:00+08:00"), event_type::payment, "s", "", "", "o2", "", "50.50", 0},
      {at("2019-09-02T11:00:00+08:00"), event_type::dsr, "s", "", "", "", "item", "", 4},
      {at("2019-09-02T11:00:01+08:00"), event_type::dsr, "s", "", "", "", "item", "", 5},
      {at("2019-09-02T11:00:02+08:00"), event_type::review, "s", "", "", "", "", "", 3},
      {at("2019-09-02T12:00:00+08:00"), event_type::dispute, "s", "", "", "o2", "", "", 0},
  };
  shop_metrics m;
  for (const auto& e : ev) CHECK(m.add(e.view()));
  m.finish(at("2019-09-02T12:00:00+08:00"));
  const csmetrics::report r = m.make_report();
  const csmetrics::shop_report& s = r.shops.at("s");
  CHECK(csmetrics::format_day(s.as_of) == "2019-09-02");
  CHECK(s.visits == 2);
  CHECK(s.visitors == 2);
  CHECK(s.conversations == 1);
  CHECK(s.buyer_messages == 1);
  CHECK(s.agent_messages == 2);
  CHECK(s.auto_messages == 1);
  CHECK(s.answer_ratio.value() == 2.0);  // one question, two answers: 200 %
  CHECK(s.response_s.count == 1);
  CHECK(*s.response_s.mean == Approx(30.0));
  CHECK(*s.first_response_with_auto_s.mean == Approx(10.0));
  CHECK(s.satisfaction.numerator == 1);
  CHECK(s.orders == 2);
  CHECK(s.buyers == 2);
  CHECK(s.revenue == csmetrics::money::parse("150.50"));
  CHECK(s.aov_per_order == csmetrics::money::parse("75.25"));
  CHECK(s.paid_orders == 2);
  CHECK(s.paid_revenue == csmetrics::money::parse("150.50"));
  CHECK(s.inquiry_conversion.numerator == 1);
  CHECK(s.inquiry_conversion.denominator == 1);
  CHECK(s.payment_conversion.numerator == 2);
  // b1 consulted (inquired, agent replied), b2 silent: CS share 100 / 150.50.
  REQUIRE(s.cs_sales_share);
  CHECK(*s.cs_sales_share == Approx(100.0 / 150.5));
  CHECK(s.agents.at("a1").orders_credited == 1);
  CHECK(s.dsr_item.count == 2);
  CHECK(s.dsr_item.sum == 9);
  CHECK(s.aftersales.denominator == 1);
  CHECK(s.aftersales.numerator == 0);
  CHECK(s.dispute_refund_rate.numerator == 1);
  CHECK(s.dispute_refund_rate.denominator == 2);
}

TEST_CASE("shop_metrics: a message out of order in its conversation is refused as a whole, once",
          "[shop_metrics][input]") {
  // Issue 27's reproduction: a2's reply is older than a1's, within the
  // lateness. It was accepted and then lost; now it is refused and counted.
  const auto rows = read_all(
      "time,type,shop,buyer,agent,order,amount,score,tag\n"
      "2019-09-01T10:00:00+08:00,buyer_msg,s1,b1,,,,,\n"
      "2019-09-01T10:00:30+08:00,agent_msg,s1,b1,a1,,,,\n"
      "2019-09-01T10:00:20+08:00,agent_msg,s1,b1,a2,,,,\n"
      "2019-09-01T10:00:40+08:00,auto_msg,s1,b1,,,,,\n"
      "2019-09-01T10:00:50+08:00,buyer_msg,s1,b1,,,,,\n"
      "2019-09-01T10:00:45+08:00,auto_msg,s1,b1,,,,,\n");
  shop_metrics m;
  CHECK(m.add(rows[0].view()));
  CHECK(m.add(rows[1].view()));
  CHECK_FALSE(m.add(rows[2].view()));
  CHECK(m.last_refusal() == "conversation_out_of_order");
  CHECK(m.add(rows[3].view()));
  CHECK(m.add(rows[4].view()));
  CHECK_FALSE(m.add(rows[5].view()));  // before the burst it would answer (10:00:50)
  CHECK(m.last_refusal() == "reply_before_question");
  CHECK(m.accepted() == 4);
  CHECK(m.refused(csmetrics::shop_metrics_refusal::conversation_out_of_order) == 1);
  const std::map<std::string, std::uint64_t> both{{"conversation_out_of_order", 1}, {"reply_before_question", 1}};
  CHECK(m.refused_by_reason() == both);
  m.finish(*m.newest_time());
  const csmetrics::report r = m.make_report();
  const auto& s = r.shops.at("s1");
  CHECK(s.agent_messages == 1);
  CHECK(s.agents.count("a2") == 0);  // refused: it reached no family
  // The refusals travel with the state and add up in a merge.
  const shop_metrics back = shop_metrics::deserialize(m.serialize().data(), m.serialize().size());
  CHECK(back.refused_by_reason() == m.refused_by_reason());
  // The report's input: 6 rows = 4 accepted + 2 skipped by reason.
  csmetrics::report in;
  in.rows = in.accepted = 6;
  csmetrics::count_refused(in, m.refused_by_reason());
  CHECK(in.accepted == 4);
  CHECK(in.skipped == 2);
  CHECK(in.skipped_by_reason == both);
}

TEST_CASE("report: an agent's basket value is its credited revenue per credited paid order", "[shop_metrics][agents]") {
  shop_metrics m;
  for (const auto& e : demo_events()) m.add(e.view());
  m.finish(*m.newest_time());
  const csmetrics::report r = m.make_report();
  const auto& ajie = r.shops.at("tmall-demo").agents.at("ajie");
  REQUIRE(ajie.orders_credited == 420);
  CHECK(ajie.revenue_credited.to_string() == "73923.59");
  REQUIRE(ajie.aov_per_order);
  CHECK(ajie.aov_per_order->to_string() == "176.01");  // 73 923.59 / 420 = 176.0085, half up
  csmetrics::report empty;
  empty.shops["s"].agents["nobody"] = csmetrics::agent_report{};
  CHECK_THAT(csmetrics::to_json(empty), Catch::Contains(R"("aov_per_order":null)"));
}

TEST_CASE("report: the seed week's conversions hold as sums over its agents", "[shop_metrics][agents]") {
  shop_metrics m;
  for (const auto& e : demo_events()) m.add(e.view());
  m.finish(*m.newest_time());
  const csmetrics::report r = m.make_report();
  const csmetrics::shop_report& s = r.shops.at("tmall-demo");
  for (const auto& [name, a] : s.agents) {
    CHECK(a.inquiry_conversion.numerator == a.ordered_final);
    CHECK(a.payment_conversion.denominator == a.orders_placed);
  }
  const csmetrics::agent_report sum = csm_test::sum_over_agents(s);
  CHECK(sum.inquired == 3873);
  CHECK(sum.ordered_final == 1845);
  CHECK(sum.ordered_same_day == 1808);
  CHECK(s.unassigned->inquired == 0);  // every demo inquiry is answered
  CHECK(sum.orders_placed == m.orders_state("tmall-demo")->placed_order_mix().consulted);
  // ajie: 1025 inquiry days, 458 ordered: 44.68 %; 462 orders placed, 420 paid in time: 90.91 %.
  const auto& ajie = s.agents.at("ajie");
  CHECK(ajie.inquired == 1025);
  CHECK(ajie.ordered_final == 458);
  CHECK(ajie.orders_placed == 462);
  CHECK(ajie.orders_placed_paid == 420);
  CHECK_THAT(csmetrics::to_json(r), Catch::Contains(R"("inquiry_conversion":0.4468292683)"));
}

TEST_CASE("shop_metrics: shops() lists a shop known to any one family", "[shop_metrics][report]") {
  shop_metrics m;
  CHECK(m.shops().empty());
  CHECK(m.add(owned_event{at("2019-09-02T10:00:00+08:00"), event_type::dsr, "r", "", "", "", "item", "", 4}.view()));
  CHECK(m.add(owned_event{at("2019-09-02T10:00:01+08:00"), event_type::auto_msg, "c", "b", "", "", "", "", 0}.view()));
  CHECK(m.add(owned_event{at("2019-09-02T10:00:02+08:00"), event_type::visit, "o", "b", "", "", "", "", 0}.view()));
  m.finish(at("2019-09-02T11:00:00+08:00"));
  CHECK(m.shops() == std::vector<std::string>{"c", "o", "r"});  // sessions only, orders and sales, ratings only
  std::vector<std::string> reported;
  for (const auto& [shop, figures] : m.make_report().shops) reported.push_back(shop);
  CHECK(reported == m.shops());
}

TEST_CASE("shop_metrics: events beyond max_lateness and incomplete events are rejected and counted",
          "[shop_metrics][errors]") {
  shop_metrics m;
  owned_event e{at("2019-09-02T10:00:00+08:00"), event_type::visit, "s", "b", "", "", "", "", 0};
  CHECK(m.add(e.view()));
  e.time = at("2019-09-02T08:59:59+08:00");  // 1 h 1 s behind the newest
  CHECK_FALSE(m.add(e.view()));
  CHECK(m.rejected(csmetrics::shop_metrics_reject::too_late) == 1);
  e.time = at("2019-09-02T09:00:00+08:00");  // exactly 1 h: still accepted
  CHECK(m.add(e.view()));
  e.buyer.clear();
  CHECK_FALSE(m.add(e.view()));
  CHECK(m.rejected(csmetrics::shop_metrics_reject::missing_field) == 1);
  owned_event lost{at("2019-09-02T10:00:00+08:00"), event_type::lost, "s", "b", "a", "", "too_pricey", "", 0};
  CHECK_FALSE(m.add(lost.view()));
  CHECK(m.rejected(csmetrics::shop_metrics_reject::bad_tag) == 1);
  CHECK(m.accepted() == 2);
}

TEST_CASE("shop_metrics: bad options are refused with their limits", "[shop_metrics][errors]") {
  csmetrics::shop_metrics_options o;
  o.attribution_days = 8;
  CHECK_THROWS_WITH(shop_metrics(o), Catch::Contains("attribution_days must be in [0, 7]"));
  o = {};
  o.curve_days = 0;
  CHECK_THROWS_AS(shop_metrics(o), std::invalid_argument);
}

TEST_CASE("shop_metrics: shards by (shop, buyer) merge into the one-pass state", "[shop_metrics][merge]") {
  const auto& events = demo_events();
  // Order-keyed events go to the shard of their order's buyer.
  std::map<std::string, std::string> buyer_of_order;
  for (const auto& e : events)
    if (e.type == event_type::order) buyer_of_order[e.order] = e.buyer;
  auto shard_of = [&](const owned_event& e, std::size_t n) {
    std::string key = e.buyer;
    if (key.empty() && !e.order.empty()) key = buyer_of_order[e.order];
    return std::hash<std::string>{}(e.shop + '\x1f' + key) % n;
  };
  shop_metrics whole;
  for (const auto& e : events) whole.add(e.view());
  const csmetrics::timestamp now = *whole.newest_time();
  whole.finish(now);
  for (std::size_t n : {2u, 3u, 7u}) {
    std::vector<shop_metrics> shards(n);
    for (const auto& e : events) shards[shard_of(e, n)].add(e.view());
    shop_metrics merged;
    for (auto& s : shards) {
      s.finish(now);
      merged.merge(s);
    }
    CHECK(csmetrics::to_json(merged.make_report()) == csmetrics::to_json(whole.make_report()));
    CHECK(merged == whole);
    // Taking the shards' state (merge(&&), no copies) gives the same bytes.
    shop_metrics taken = std::move(shards[0]);
    for (std::size_t i = 1; i < n; ++i) taken.merge(std::move(shards[i]));
    CHECK(taken == whole);
  }
  {  // Whole shops per part: what a part lacks is taken whole by merge(&&).
    std::vector<shop_metrics> by_shop(3);
    for (const auto& e : events) by_shop[std::hash<std::string>{}(e.shop) % 3].add(e.view());
    shop_metrics copied, taken;
    for (auto& p : by_shop) {
      p.finish(now);
      copied.merge(p);
      taken.merge(std::move(p));
    }
    CHECK(copied == whole);
    CHECK(taken == whole);
  }
  shop_metrics self = whole;
  self.merge(std::move(self));  // merging a state into itself doubles it, as merge(const&) does
  shop_metrics twice = whole;
  twice.merge(whole);
  CHECK(self == twice);
  csmetrics::shop_metrics_options utc;
  utc.offset = csmetrics::utc_offset(std::chrono::minutes{0});
  shop_metrics other_options(utc);
  CHECK_THROWS_AS(self.merge(std::move(other_options)), std::invalid_argument);
  // Parts settled at their own last events (csm_merge's case), merged, then
  // settled at the stream's end: still the one-pass state.
  std::vector<shop_metrics> parts(3);
  for (const auto& e : events) parts[shard_of(e, 3)].add(e.view());
  shop_metrics merged;
  for (auto& p : parts) {
    p.finish(*p.newest_time());
    merged.merge(p);
  }
  merged.finish(now);
  CHECK(merged == whole);
}

TEST_CASE("shop_metrics: serialize round-trips; corrupt bytes are rejected", "[shop_metrics][serde]") {
  shop_metrics m;
  const auto& events = demo_events();
  for (std::size_t i = 0; i < events.size(); i += 50) m.add(events[i].view());  // a sample keeps it quick
  csm_test::check_round_trip(m);
  CHECK(csmetrics::to_json(shop_metrics::deserialize(m.serialize().data(), m.serialize().size()).make_report()) ==
        csmetrics::to_json(m.make_report()));
  std::mt19937_64 rng(7);
  shop_metrics small;
  for (std::size_t i = 0; i < 200; ++i) small.add(events[i].view());
  csm_test::check_corruption(small, rng, 200);
  csm_test::check_round_trip(shop_metrics{});
}

TEST_CASE("report: JSON has the fixed field names, rates in [0, 1], money with 2 decimals", "[report][json]") {
  shop_metrics m;
  for (const auto& e : demo_events()) m.add(e.view());
  m.finish(*m.newest_time());
  const std::string j = csmetrics::to_json(m.make_report());
  for (const char* key :
       {"\"input\":", "\"rows\":", "\"accepted\":", "\"skipped\":", "\"skipped_by_reason\":", "\"shops\":",
        "\"tmall-demo\":", "\"as_of\":\"2019-09-09\"", "\"traffic\":", "\"visits\":", "\"visitors\":",
        "\"sessions\":", "\"conversations\":", "\"buyer_messages\":", "\"agent_messages\":", "\"auto_messages\":",
        "\"answered\":", "\"unanswered\":", "\"pending\":", "\"reply_rate\":", "\"answer_ratio\":", "\"response_s\":",
        "\"first_response_s\":", "\"count\":", "\"mean\":", "\"p50\":", "\"p90\":", "\"p99\":", "\"within_45s\":",
        "\"orders\":", "\"buyers\":", "\"paid_orders\":", "\"orders_without_amount\":", "\"revenue\":\"",
        "\"paid_revenue\":\"", "\"aov_per_order\":\"", "\"inquiry_conversion\":0.4763", "\"payment_conversion\":0.9148",
        "\"cs_sales_share\":", "\"ratings\":", "\"dsr_180d\":", "\"item\":", "\"service\":", "\"logistics\":",
        "\"aftersales_30d\":", "\"satisfied_share\":", "\"dispute_refund_rate_30d\":", "\"agents\":", "\"xiaomei\":"})
    CHECK_THAT(j, Catch::Contains(key));
  // An empty shop gives nulls, not zeros.
  csmetrics::report r;
  r.shops["empty"] = csmetrics::shop_report{};
  const std::string e = csmetrics::to_json(r);
  CHECK_THAT(e, Catch::Contains("\"reply_rate\":null"));
  CHECK_THAT(e, Catch::Contains("\"aov_per_order\":null"));
  CHECK_THAT(e, Catch::Contains("\"mean\":null"));
}

TEST_CASE("report: JSON escapes quotes, backslashes and control bytes in ids, and only those", "[report][json]") {
  csmetrics::report r;
  r.shops["a\"b\\c\nd\re\tf\x01g\x1fh<\xc3\xa9>"] = csmetrics::shop_report{};
  r.shops["plain-shop_7"] = csmetrics::shop_report{};
  const std::string j = csmetrics::to_json(r);
  CHECK_THAT(j, Catch::Contains(std::string(R"("a\"b\\c\nd\re\tf\u0001g\u001fh<)") + "\xc3\xa9>\":{"));
  CHECK_THAT(j, Catch::Contains(R"("plain-shop_7":{)"));
}

TEST_CASE("report: JSON escaping is the same at every position of long ids", "[report][json]") {
  // The writer scans eight bytes at a time: each escaped byte, at each place
  // in texts up to 40 bytes, against a byte-at-a-time reference.
  auto reference = [](std::string_view s) {
    std::string out = "\"";
    for (unsigned char u : s) {
      if (u == '"') out += "\\\"";
      else if (u == '\\') out += "\\\\";
      else if (u == '\n') out += "\\n";
      else if (u == '\r') out += "\\r";
      else if (u == '\t') out += "\\t";
      else if (u < 0x20) {
        char b[8];
        std::snprintf(b, sizeof b, "\\u%04x", u);
        out += b;
      } else out += static_cast<char>(u);
    }
    return out + "\"";
  };
  for (std::size_t n = 1; n <= 40; ++n)
    for (std::size_t at = 0; at < n; ++at)
      for (char c : {'"', '\\', '\n', '\x01', '\x1f', ' ', '\x7f', '\xc3'})
        for (const bool second : {false, true}) {
          std::string text(n, 'x');
          text[at] = c;
          if (second && n > 3) text[n - 1] = '"';  // a second one, later
          csmetrics::detail::json_text out;
          csmetrics::detail::json_string(out, text);
          INFO("length " << n << ", byte " << at << " = " << static_cast<int>(static_cast<unsigned char>(c)));
          CHECK(out.str() == reference(text));
          csmetrics::detail::json_text as_key;  // keys take the same path
          csmetrics::detail::json_object(as_key).key(text);
          CHECK(as_key.str() == "{" + reference(text) + ":");
        }
}

TEST_CASE("report: json_text keeps every byte across its growth", "[report][json]") {
  // The JSON writer's buffer: appends, chars and fields written in place
  // (room, commit), from empty to well past its first 4 KiB, against std::string.
  csmetrics::detail::json_text text;
  std::string expected;
  for (std::size_t i = 0; i < 3000; ++i) {
    const std::string chunk(i % 97, static_cast<char>('a' + i % 26));
    if (i % 3 == 0) {
      text += chunk;
    } else if (i % 3 == 1) {
      text += static_cast<char>('0' + i % 10);
      expected += static_cast<char>('0' + i % 10);
      text += std::string_view{};  // nothing, from a null pointer
    } else {
      char* p = text.room(chunk.size() + 8);
      std::memcpy(p, chunk.data(), chunk.size());
      text.commit(p + chunk.size());
    }
    if (i % 3 != 1) expected += chunk;
    REQUIRE(text.size() == expected.size());
  }
  CHECK(text.str() == expected);
  text.clear();
  CHECK(text.size() == 0);
  text += "again";
  CHECK(text.str() == "again");
}

TEST_CASE("report: Prometheus text has HELP and TYPE once per family and escaped labels", "[report][prometheus]") {
  csmetrics::report r;
  csmetrics::shop_report s;
  s.visits = 3;
  s.reply_rate = {1, 2};
  r.shops["a \"quoted\" shop"] = s;
  const std::string p = csmetrics::to_prometheus(r);
  CHECK_THAT(p, Catch::Contains("# TYPE csmetrics_visits_total counter\n"));
  CHECK_THAT(p, Catch::Contains("csmetrics_visits_total{shop=\"a \\\"quoted\\\" shop\"} 3\n"));
  CHECK_THAT(p, Catch::Contains("csmetrics_reply_rate_ratio{shop=\"a \\\"quoted\\\" shop\"} 0.5\n"));
  // No sample for an undefined rate.
  CHECK(p.find("csmetrics_payment_conversion_ratio{") == std::string::npos);
}

TEST_CASE("shop_metrics: many tiny shops, and write_json in pieces equals to_json", "[shop_metrics][report]") {
  // 3 000 shops with one visit each: every shop reported, and the streamed
  // JSON (flushed every 64 KiB, so several pieces here) is the same text.
  csmetrics::shop_metrics m;
  csmetrics::event e;
  e.type = csmetrics::event_type::visit;
  std::vector<std::string> shops, buyers;
  for (int i = 0; i < 3000; ++i) {
    shops.push_back("shop-" + std::to_string(i));
    buyers.push_back("v" + std::to_string(i));
  }
  for (int i = 0; i < 3000; ++i) {
    e.time = csmetrics::timestamp{std::chrono::seconds{1567303200 + i}};
    e.shop = shops[static_cast<std::size_t>(i)];
    e.buyer = buyers[static_cast<std::size_t>(i)];
    REQUIRE(m.add(e));
  }
  m.finish(*m.newest_time());
  const csmetrics::report r = m.make_report();
  REQUIRE(r.shops.size() == 3000);
  CHECK(r.shops.at("shop-2999").visitors == 1);
  const std::string whole = csmetrics::to_json(r);
  REQUIRE(whole.size() > (std::size_t{3} << 16));
  std::ostringstream streamed;
  csmetrics::write_json(streamed, r);
  CHECK(streamed.str() == whole);
  // The copy has its own pool and the same state.
  const csmetrics::shop_metrics copy = m;
  CHECK(copy.serialize() == m.serialize());
  CHECK(&copy.texts() != &m.texts());
  CHECK(copy.texts().size() == m.texts().size());
}

TEST_CASE("shop_metrics: an amount that could overflow a shop's sums is a refused row, the state unchanged",
          "[shop_metrics][input][limits]") {
  // The guard is the shop's running total of order, payment and refund
  // amounts (an order and its payment count twice): it must stay within
  // 2^63 - 1 cents (92 233 720 368 547 758.07). Issue 22: a row past a sum
  // used to abort the whole run with "64-bit sum overflow".
  const std::string half = "40000000000000000.00";
  const auto rows = read_all("time,type,shop,buyer,agent,order,amount,score,tag\n"
                             "2019-09-01T10:00:00+08:00,order,s1,b1,,o1," + half + ",,\n"
                             "2019-09-01T10:01:00+08:00,payment,s1,b1,,o1," + half + ",,\n"
                             "2019-09-01T10:02:00+08:00,order,s1,b2,,o2," + half + ",,\n"
                             "2019-09-01T10:03:00+08:00,order,s2,b2,,o2," + half + ",,\n"
                             "2019-09-01T10:04:00+08:00,order,s1,b3,,o3,12.50,,\n");
  shop_metrics m;
  CHECK(m.add(rows[0].view()));
  CHECK(m.add(rows[1].view()));  // order + payment: 8e18 cents, within the bound
  CHECK_FALSE(m.add(rows[2].view()));
  CHECK(m.last_refusal() == "amount_overflow");
  CHECK(m.rejected(csmetrics::shop_metrics_reject::amount_overflow) == 1);
  CHECK(m.add(rows[3].view()));  // another shop's sums are its own
  CHECK(m.add(rows[4].view()));  // a small amount still fits
  const std::vector<std::uint8_t> bytes = m.serialize();
  m.finish(*m.newest_time());
  const csmetrics::report r = m.make_report();
  CHECK(r.shops.at("s1").orders == 2);
  CHECK(r.shops.at("s1").revenue.to_string() == "40000000000000012.50");
  CHECK(m.refused_by_reason() == std::map<std::string, std::uint64_t>{{"amount_overflow", 1}});
  shop_metrics without;  // the same rows but the refused one: the same figures
  for (std::size_t i : {0, 1, 3, 4}) REQUIRE(without.add(rows[i].view()));
  without.finish(*without.newest_time());
  CHECK(csmetrics::to_json(without.make_report()) == csmetrics::to_json(r));
  // The bound is rebuilt from the state after a read: still refused.
  shop_metrics back = shop_metrics::deserialize(bytes.data(), bytes.size());
  CHECK_FALSE(back.add(rows[2].view()));
  CHECK(back.last_refusal() == "amount_overflow");
}
