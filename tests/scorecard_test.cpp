// SPDX-License-Identifier: Apache-2.0
// Tests of csmetrics/io/scorecard.hpp: rules and weights as the command line
// gives them, a hand-computed card (values, flags, composite, ranking), the
// periods, and shop_metrics' cards per calendar month against its agent rows.
#include <catch2/catch.hpp>

#include <map>
#include <stdexcept>
#include <string>

#include "csmetrics/io/event_csv.hpp"
#include "csmetrics/io/scorecard.hpp"
#include "csmetrics/shop_metrics.hpp"

using csmetrics::agent_period;
using csmetrics::kpi;
using csmetrics::money;

namespace {
std::size_t ix(kpi k) { return static_cast<std::size_t>(k); }
csmetrics::day_number day(const char* d) { return *csmetrics::parse_day(d); }
}  // namespace

TEST_CASE("scorecard: rules and weights parse, bad ones are named", "[scorecard]") {
  csmetrics::kpi_rules rules = csmetrics::default_kpi_rules();
  CHECK(rules[ix(kpi::answer_ratio)] == csmetrics::kpi_rule{true, 1.3});
  CHECK(rules[ix(kpi::response_s_mean)] == csmetrics::kpi_rule{false, 45});
  CHECK(!rules[ix(kpi::reply_rate)]);
  csmetrics::set_kpi_rule(rules, "reply_rate>=0.95");
  CHECK(rules[ix(kpi::reply_rate)] == csmetrics::kpi_rule{true, 0.95});
  csmetrics::set_kpi_rule(rules, "response_s_mean<=30");
  CHECK(rules[ix(kpi::response_s_mean)] == csmetrics::kpi_rule{false, 30});
  csmetrics::set_kpi_rule(rules, "satisfaction=off");
  CHECK(!rules[ix(kpi::satisfaction)]);
  for (const char* bad : {"nonsense>=1", "answer_ratio>1.3", "answer_ratio>=", "answer_ratio>=x", "answer_ratio",
                          "answer_ratio>=1<=2", "answer_ratio>=inf"})
    CHECK_THROWS_AS(csmetrics::set_kpi_rule(rules, bad), std::invalid_argument);
  CHECK_THROWS_WITH(csmetrics::set_kpi_rule(rules, "speed>=1"), Catch::Contains("known: inquiry_conversion"));

  const csmetrics::kpi_weights w = csmetrics::parse_kpi_weights("inquiry_conversion=2,reply_rate=0.5");
  CHECK(w[ix(kpi::inquiry_conversion)] == 2);
  CHECK(w[ix(kpi::reply_rate)] == 0.5);
  CHECK(w[ix(kpi::answer_ratio)] == 0);
  for (const char* bad : {"", "answer_ratio", "answer_ratio=-1", "answer_ratio=0", "x=1", "reply_rate=1,reply_rate=2"})
    CHECK_THROWS_AS(csmetrics::parse_kpi_weights(bad), std::invalid_argument);
}

TEST_CASE("scorecard: a hand-computed card", "[scorecard]") {
  agent_period a;
  a.inquired = 10, a.ordered = 5;          // 50 %
  a.placed = 4, a.placed_paid = 3;         // 75 %
  a.paid_orders = 2, a.revenue = money::parse("300.01");  // 150.005 -> 150.01
  a.agent_messages = 26, a.buyer_messages = 20;           // 130 %: passes >= 1.3
  a.responses = 2, a.response_s_sum = 100;                // 50 s: fails <= 45
  a.invited = 9, a.served = 10;                           // 90 %: passes
  a.good_votes = 3, a.votes = 4;                          // 75 %: fails
  a.answered = 2;                                         // 100 %
  agent_period b;
  b.inquired = 10, b.ordered = 3;           // 30 %
  b.agent_messages = 10, b.buyer_messages = 20;  // 50 %: fails
  b.responses = 1, b.response_s_sum = 30;   // passes
  b.invited = 1, b.served = 1;              // passes
  b.answered = 1, b.unanswered = 1;         // 50 %
  const std::map<std::string, agent_period> agents{{"a", a}, {"b", b}};

  csmetrics::scorecard_options opt;
  csmetrics::scorecard card = csmetrics::make_scorecard("2019-09", day("2019-09-01"), day("2019-09-30"), agents, opt);
  REQUIRE(card.agents.size() == 2);
  // No weights: fewest failed rules first.
  CHECK(card.agents[0].agent == "b");
  CHECK(card.agents[0].failed == 1);
  CHECK(card.agents[0].passed == 2);
  CHECK(!card.agents[0].kpis[ix(kpi::satisfaction)].value);  // no votes
  CHECK(!card.agents[0].kpis[ix(kpi::satisfaction)].pass);
  CHECK(!card.agents[0].aov);
  const csmetrics::scorecard_row& ra = card.agents[1];
  CHECK(ra.agent == "a");
  CHECK(ra.passed == 2);
  CHECK(ra.failed == 2);
  CHECK(*ra.kpis[ix(kpi::inquiry_conversion)].value == 0.5);
  CHECK(*ra.kpis[ix(kpi::payment_conversion)].value == 0.75);
  CHECK(ra.aov->to_string() == "150.01");
  CHECK(*ra.kpis[ix(kpi::answer_ratio)].pass);
  CHECK(!*ra.kpis[ix(kpi::response_s_mean)].pass);
  CHECK(*ra.kpis[ix(kpi::response_s_mean)].value == 50);
  CHECK(*ra.kpis[ix(kpi::invite_rate)].pass);
  CHECK(!*ra.kpis[ix(kpi::satisfaction)].pass);
  CHECK(!ra.kpis[ix(kpi::reply_rate)].pass);  // no rule by default
  CHECK(!ra.score);

  // Weighted: inquiry conversion and reply rate against the team (40 %,
  // 75 %), response against its rule (45 s), capped at 1.5.
  //   a: 100 x (2 x 0.5/0.4 + 1 x 1/0.75 + 1 x 45/50) / 4 = 118.33
  //   b: 100 x (2 x 0.3/0.4 + 1 x 0.5/0.75 + 1 x min(45/30, 1.5)) / 4 = 91.67
  opt.weights = csmetrics::parse_kpi_weights("inquiry_conversion=2,reply_rate=1,response_s_mean=1");
  card = csmetrics::make_scorecard("2019-09", day("2019-09-01"), day("2019-09-30"), agents, opt);
  CHECK(card.agents[0].agent == "a");
  CHECK(*card.agents[0].score == Approx(100 * (2 * 1.25 + 1.0 / 0.75 + 0.9) / 4));
  CHECK(*card.agents[1].score == Approx(100 * (2 * 0.75 + 0.5 / 0.75 + 1.5) / 4));
  // A rule on reply rate replaces the team as its target, and flags it.
  csmetrics::set_kpi_rule(opt.rules, "reply_rate>=0.95");
  card = csmetrics::make_scorecard("2019-09", day("2019-09-01"), day("2019-09-30"), agents, opt);
  CHECK(*card.agents[0].kpis[ix(kpi::reply_rate)].pass);
  CHECK(*card.agents[0].score == Approx(100 * (2 * 1.25 + 1.0 / 0.95 + 0.9) / 4));
  CHECK(!*card.agents[1].kpis[ix(kpi::reply_rate)].pass);
}

TEST_CASE("scorecard: calendar months, or runs of N days ending at as-of", "[scorecard]") {
  auto months = csmetrics::scorecard_periods(day("2019-09-20"), day("2019-11-02"), 0);
  REQUIRE(months.size() == 3);
  CHECK(months[0].first == "2019-09");
  CHECK(months[0].second == std::make_pair(day("2019-09-20"), day("2019-09-30")));
  CHECK(months[1].second == std::make_pair(day("2019-10-01"), day("2019-10-31")));
  CHECK(months[2].second == std::make_pair(day("2019-11-01"), day("2019-11-02")));
  CHECK(csmetrics::scorecard_periods(day("2019-12-31"), day("2020-01-01"), 0).size() == 2);
  auto weeks = csmetrics::scorecard_periods(day("2019-09-20"), day("2019-11-02"), 7);
  REQUIRE(weeks.size() == 7);  // 44 days
  CHECK(weeks.back().second == std::make_pair(day("2019-10-27"), day("2019-11-02")));
  CHECK(weeks.front().second == std::make_pair(day("2019-09-20"), day("2019-09-21")));
  CHECK(weeks.back().first == "2019-10-27..2019-11-02");
  CHECK(csmetrics::scorecard_periods(day("2019-09-20"), day("2019-09-19"), 0).empty());
}

TEST_CASE("scorecard: shop_metrics cuts an agent's month out of its figures", "[scorecard][shop_metrics]") {
  const std::string csv =
      "time,type,shop,buyer,agent,order,amount,score,tag\n"
      "2019-09-30T10:00:00+08:00,buyer_msg,s1,b1,,,,,\n"
      "2019-09-30T10:00:30+08:00,agent_msg,s1,b1,a1,,,,\n"
      "2019-09-30T10:00:40+08:00,agent_msg,s1,b1,a1,,,,\n"
      "2019-10-01T10:00:00+08:00,buyer_msg,s1,b2,,,,,\n"
      "2019-10-01T10:01:00+08:00,agent_msg,s1,b2,a1,,,,\n"
      "2019-10-01T10:02:00+08:00,buyer_msg,s1,b3,,,,,\n"
      "2019-10-01T10:02:10+08:00,agent_msg,s1,b3,a2,,,,\n"
      "2019-10-01T11:00:00+08:00,order,s1,b2,,o1,100.00,,\n"
      "2019-10-01T11:10:00+08:00,payment,s1,b2,,o1,100.00,,\n"
      "2019-10-01T12:00:00+08:00,vote,s1,b2,a1,,,5,\n";
  csmetrics::shop_metrics m;
  csmetrics::event_csv_reader in(csv);
  csmetrics::event e;
  while (in.next(e)) REQUIRE(m.add(e));
  m.finish(*m.newest_time());
  csmetrics::report_request request;
  request.scorecard = csmetrics::scorecard_options{};
  const csmetrics::report r = m.make_report(request);
  const csmetrics::shop_report& s = r.shops.at("s1");
  REQUIRE(s.scorecards.size() == 2);
  const csmetrics::scorecard& sept = s.scorecards[0];
  const csmetrics::scorecard& oct = s.scorecards[1];
  CHECK(sept.period == "2019-09");
  CHECK(oct.period == "2019-10");
  REQUIRE(sept.agents.size() == 1);  // a2 did nothing in September
  const csmetrics::scorecard_row& a1_sept = sept.agents[0];
  CHECK(a1_sept.agent == "a1");
  CHECK(*a1_sept.kpis[ix(kpi::response_s_mean)].value == 30);
  CHECK(*a1_sept.kpis[ix(kpi::answer_ratio)].value == 2);
  CHECK(*a1_sept.kpis[ix(kpi::inquiry_conversion)].value == 0);
  CHECK(!a1_sept.aov);
  REQUIRE(oct.agents.size() == 2);
  const csmetrics::scorecard_row& a1_oct = oct.agents[0].agent == "a1" ? oct.agents[0] : oct.agents[1];
  CHECK(*a1_oct.kpis[ix(kpi::response_s_mean)].value == 60);
  CHECK(*a1_oct.kpis[ix(kpi::inquiry_conversion)].value == 1);
  CHECK(*a1_oct.kpis[ix(kpi::payment_conversion)].value == 1);
  CHECK(a1_oct.aov->to_string() == "100.00");
  CHECK(*a1_oct.kpis[ix(kpi::satisfaction)].value == 1);
  // The two months together are the agent's row.
  const csmetrics::agent_report& a1 = s.agents.at("a1");
  CHECK(a1.inquired == 2);
  CHECK(a1.ordered_final == 1);
  CHECK(a1.response_s.mean == Approx(45));
  CHECK(r.scorecard_rules == csmetrics::default_kpi_rules());
  // JSON: the cards under "scorecards", rules as text, flags.
  const std::string json = csmetrics::to_json(r);
  CHECK_THAT(json, Catch::Contains(R"("scorecards":{"s1":[{"period":"2019-09")"));
  CHECK_THAT(json, Catch::Contains(R"("answer_ratio":{"value":2,"rule":">=1.3","pass":true})"));
  CHECK_THAT(json, Catch::Contains(R"("aov_per_order":{"value":"100.00","rule":null,"pass":null})"));
  // Without the request: no cards.
  CHECK(m.make_report().shops.at("s1").scorecards.empty());
  CHECK_THAT(csmetrics::to_json(m.make_report()), !Catch::Contains("scorecards"));
}
