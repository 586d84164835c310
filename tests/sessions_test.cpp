// SPDX-License-Identifier: Apache-2.0
// Hand-worked conversations for every rule of csmetrics/sessions/sessions.hpp, with
// integer and string ids.
#include "csmetrics/sessions/sessions.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include "support.hpp"

using namespace csmetrics;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

/// 2019-09-01 10:00:00 in UTC+8.
timestamp t0() { return day_start(*parse_day("2019-09-01")) + hours{10}; }
day_number day0() { return *parse_day("2019-09-01"); }

template <class Id>
Id id(int n) {
  if constexpr (std::is_integral_v<Id>)
    return static_cast<Id>(n);
  else
    return "id-" + std::to_string(n);
}

using int_sessions = sessions<>;
using str_sessions = sessions<std::string, std::string, std::string>;

/// Buyer `buyer` of shop 1 asks at t0() and agent 3 answers `after` later.
void answered_after(sessions<>& s, std::uint64_t buyer, duration after) {
  s.buyer_message(1, buyer, t0());
  s.agent_message(1, buyer, 3, t0() + after);
}

}  // namespace

TEMPLATE_TEST_CASE("sessions: a burst is answered once, clock from its first message", "[sessions]", int_sessions,
                   str_sessions) {
  const auto shop = id<typename TestType::shop_type>(1);
  const auto buyer = id<typename TestType::buyer_type>(7);
  const auto agent = id<typename TestType::agent_type>(3);

  SECTION("clock from the first message") {
    TestType s;
    s.buyer_message(shop, buyer, t0());
    s.buyer_message(shop, buyer, t0() + seconds{5});
    s.buyer_message(shop, buyer, t0() + seconds{10});
    s.agent_message(shop, buyer, agent, t0() + seconds{40});
    auto r = s.shop(shop);
    CHECK(r.conversations() == 1);
    CHECK(r.buyer_messages() == 3);
    CHECK(r.agent_messages() == 1);
    CHECK(r.response().count() == 1);
    CHECK(*r.response().mean() == Approx(40.0));
    CHECK(*r.response().min() == 40.0);
    CHECK(*r.response().max() == 40.0);
    CHECK(r.first_response().count() == 1);
    CHECK(r.response().within().rate() == 1.0);
    CHECK(*r.answer_ratio() == Approx(1.0 / 3.0));
    auto a = s.agent(shop, agent);
    CHECK(a.credited_buyer_messages() == 3);
    CHECK(*a.agent_answer_ratio() == Approx(1.0 / 3.0));
    CHECK(a.buyers_served() == 1);
    CHECK(r.buyers_served() == 1);
    CHECK(s.pending() == 0);
    CHECK(r.reply_rate() == rate_counter(1, 1));
  }
  SECTION("clock from the last message (option)") {
    session_options o;
    o.clock_from_last = true;
    TestType s(o);
    s.buyer_message(shop, buyer, t0());
    s.buyer_message(shop, buyer, t0() + seconds{5});
    s.buyer_message(shop, buyer, t0() + seconds{10});
    s.agent_message(shop, buyer, agent, t0() + seconds{40});
    CHECK(*s.shop(shop).response().mean() == Approx(30.0));
  }
  SECTION("the 200 % example: one question, two answers") {
    TestType s;
    s.buyer_message(shop, buyer, t0());
    s.agent_message(shop, buyer, agent, t0() + seconds{20});
    s.agent_message(shop, buyer, agent, t0() + seconds{25});
    auto r = s.shop(shop);
    CHECK(*r.answer_ratio() == 2.0);
    CHECK(*s.agent(shop, agent).agent_answer_ratio() == 2.0);
    CHECK(r.response().count() == 1);  // the second message answers nothing
    CHECK(*r.response().mean() == 20.0);
  }
}

TEST_CASE("sessions: within and slow thresholds are exact at the boundary", "[sessions]") {
  sessions<> s;
  std::uint64_t b = 0;
  for (int secs : {0, 45, 46, 180, 181}) {
    s.buyer_message(1, ++b, t0());
    s.agent_message(1, b, 9, t0() + seconds{secs});
  }
  s.buyer_message(1, ++b, t0());
  s.agent_message(1, b, 9, t0() + seconds{45} + std::chrono::microseconds{1});
  auto r = s.shop(1).response();
  CHECK(r.count() == 6);
  CHECK(r.within() == rate_counter(2, 6));  // 0 and 45 s
  CHECK(r.slow() == 1);                     // 181 s; 180 s is not slow
  CHECK(*r.min() == 0.0);
  CHECK(*r.max() == 181.0);
  CHECK(*r.mean() == Approx((0 + 45 + 46 + 180 + 181 + 45.000001) / 6.0));
}

TEST_CASE("sessions: an idle gap opens a new conversation", "[sessions]") {
  // A question answered in 30 s, then, `idle` after the answer, a second one
  // answered in 10 s (the session gap is 10 minutes).
  const auto two_questions = [](minutes idle) {
    sessions<> s;
    answered_after(s, 7, seconds{30});
    s.buyer_message(1, 7, t0() + seconds{30} + idle);
    s.agent_message(1, 7, 3, t0() + seconds{30} + idle + seconds{10});
    return s.shop(1);
  };
  SECTION("11 minutes: new conversation, a new first response") {
    auto r = two_questions(minutes{11});
    CHECK(r.conversations() == 2);
    CHECK(r.response().count() == 2);
    CHECK(r.first_response().count() == 2);
    CHECK(r.buyers_served() == 1);
  }
  SECTION("9 minutes: same conversation, a second response but no first") {
    auto r = two_questions(minutes{9});
    CHECK(r.conversations() == 1);
    CHECK(r.response().count() == 2);
    CHECK(r.first_response().count() == 1);
    CHECK(*r.first_response().mean() == 30.0);
    CHECK(*r.response().mean() == 20.0);
  }
  SECTION("the gap counts from the agent's last message too") {
    sessions<> s;
    s.buyer_message(1, 7, t0());
    s.agent_message(1, 7, 3, t0() + minutes{1});
    s.agent_message(1, 7, 3, t0() + minutes{8});
    s.buyer_message(1, 7, t0() + minutes{15});  // 7 min after the agent
    CHECK(s.shop(1).conversations() == 1);
  }
  SECTION("an agent message after the gap is counted but opens nothing") {
    sessions<> s;
    s.buyer_message(1, 7, t0());
    s.agent_message(1, 7, 3, t0() + minutes{1});
    s.agent_message(1, 7, 3, t0() + minutes{20});  // outside any conversation
    s.buyer_message(1, 7, t0() + minutes{25});     // 24 min after the last in-conversation message
    auto r = s.shop(1);
    CHECK(r.conversations() == 2);
    CHECK(r.agent_messages() == 2);
  }
}

TEST_CASE("sessions: auto replies never stop the clock", "[sessions]") {
  sessions<> s;
  s.buyer_message(1, 7, t0());
  s.auto_message(1, 7, t0() + seconds{1});
  s.auto_message(1, 7, t0() + seconds{2});
  s.agent_message(1, 7, 3, t0() + seconds{60});
  auto r = s.shop(1);
  CHECK(r.auto_messages() == 2);
  CHECK(r.agent_messages() == 1);
  CHECK(*r.response().mean() == 60.0);
  CHECK(*r.first_response().mean() == 60.0);
  CHECK(r.first_response_with_auto().count() == 1);
  CHECK(*r.first_response_with_auto().mean() == 1.0);
  CHECK(r.response().within() == rate_counter(0, 1));
  CHECK(*r.answer_ratio() == 1.0);  // auto replies are not agent messages
  SECTION("an auto reply with nothing waiting is only counted") {
    s.auto_message(1, 7, t0() + seconds{70});
    CHECK(s.shop(1).auto_messages() == 3);
    CHECK(s.shop(1).first_response_with_auto().count() == 1);
  }
}

TEST_CASE("response_stats: exact counts at its thresholds, as its sketch would count them", "[sessions][serde]") {
  // The sketch keeps no thresholds of its own: within() and slow() are the
  // exact counts, serialized as a thresholded sketch's (format 1).
  for (const auto& [within, slow] : {std::pair{45.0, 180.0}, std::pair{200.0, 180.0}, std::pair{60.0, 60.0}}) {
    response_stats r(within, slow);
    quantile_sketch counted(0.01, {within, slow});
    for (const milliseconds d : {milliseconds{0}, milliseconds{10'000}, milliseconds{45'000}, milliseconds{45'001},
                                 milliseconds{60'000}, milliseconds{180'000}, milliseconds{200'000}}) {
      r.add(d);
      counted.add(d);
    }
    CHECK(r.within().successes() == counted.count_at_most(within));
    CHECK(r.slow() == r.count() - counted.count_at_most(slow));
    CHECK(r.sketch().thresholds().empty());
    const auto bytes = r.serialize();
    CHECK(response_stats::deserialize(bytes.data(), bytes.size()) == r);
  }
  // A threshold just below 45 s: a reply of exactly 45 s is over it, in the
  // count as in the sketch (the microseconds' bound is the sketch's comparison).
  const double t = std::nextafter(45.0, 0.0);
  response_stats r(t, 180.0);
  r.add(seconds{45});
  r.add(milliseconds{44'999});
  CHECK(r.within().successes() == 1);
  const auto bytes = r.serialize();
  CHECK(response_stats::deserialize(bytes.data(), bytes.size()) == r);
}

TEST_CASE("sessions: first responses with auto replies part from the agents' where an auto reply came first",
          "[sessions]") {
  // A cell keeps the figures with auto replies apart only once they differ
  // from the agents' first responses: each view must still add up.
  sessions<> s;
  s.buyer_message(1, 7, t0());
  s.agent_message(1, 7, 3, t0() + seconds{10});  // first 10 s, with auto 10 s
  s.buyer_message(1, 8, t0());
  s.auto_message(1, 8, t0() + seconds{2});        // with auto 2 s (the shop's own cell)
  s.agent_message(1, 8, 3, t0() + seconds{30});  // first 30 s
  s.buyer_message(1, 9, t0());
  s.agent_message(1, 9, 4, t0() + seconds{20});  // agent 4: first 20 s, with auto 20 s
  const auto agent3 = s.agent(1, 3), agent4 = s.agent(1, 4), shop = s.shop(1);
  CHECK(agent3.first_response().count() == 2);
  CHECK(*agent3.first_response().mean() == 20.0);
  CHECK(agent3.first_response_with_auto().count() == 1);
  CHECK(*agent3.first_response_with_auto().mean() == 10.0);
  CHECK(agent4.first_response_with_auto() == agent4.first_response());
  CHECK(*shop.first_response().mean() == 20.0);
  CHECK(shop.first_response_with_auto().count() == 3);
  CHECK(*shop.first_response_with_auto().mean() == Approx(32.0 / 3));
  CHECK(*shop.first_response_with_auto().min() == 2.0);
  // The serialized state reads back equal, and a copy of it too.
  const auto bytes = s.serialize();
  const sessions<> back = sessions<>::deserialize(bytes.data(), bytes.size());
  CHECK(back == s);
  CHECK(back.agent(1, 3).first_response_with_auto() == agent3.first_response_with_auto());
  sessions<> copy = back;
  CHECK(copy == s);
}

TEST_CASE("sessions: a burst unanswered for 24 h expires; waiting ones are pending", "[sessions]") {
  SECTION("flush shows the expiry") {
    sessions<> s;
    s.buyer_message(1, 7, t0(), 3);  // routed to agent 3
    s.flush(t0() + hours{24});
    CHECK(s.pending() == 1);
    CHECK(s.pending({1, 3, std::nullopt}) == 1);
    CHECK(s.pending({1, 4, std::nullopt}) == 0);
    CHECK(s.shop(1).unanswered() == 0);
    CHECK(s.shop(1).reply_rate().trials() == 0);
    CHECK_FALSE(s.shop(1).reply_rate().rate());
    s.flush(t0() + hours{24} + seconds{1});
    CHECK(s.pending() == 0);
    CHECK(s.open_conversations() == 0);
    CHECK(s.shop(1).unanswered() == 1);
    CHECK(s.agent(1, 3).unanswered() == 1);  // attributed to the routed agent
    CHECK(s.agent(1, 3).credited_buyer_messages() == 1);
    CHECK(s.shop(1).reply_rate() == rate_counter(0, 1));
    s.agent_message(1, 7, 3, t0() + hours{25});  // answers nothing
    CHECK(s.shop(1).response().count() == 0);
    CHECK(s.shop(1).agent_messages() == 1);
  }
  SECTION("the next event shows it without a flush") {
    sessions<> s;
    s.buyer_message(1, 7, t0());
    s.buyer_message(1, 7, t0() + hours{20});  // same burst (nothing answered)
    s.agent_message(1, 7, 3, t0() + hours{25});
    auto r = s.shop(1);
    CHECK(r.unanswered() == 1);
    CHECK(r.response().count() == 0);
    CHECK(r.reply_rate() == rate_counter(0, 1));
    CHECK(r.first_response().count() == 0);
    CHECK(s.agent(1, 3).unanswered() == 0);  // not routed, nobody had replied
  }
  SECTION("a burst after an expired one is no first response") {
    sessions<> s;
    s.buyer_message(1, 7, t0());
    s.buyer_message(1, 7, t0() + hours{23} + minutes{58});
    s.buyer_message(1, 7, t0() + hours{24} + minutes{1});  // first burst expired; 3 min idle: same conversation
    s.agent_message(1, 7, 3, t0() + hours{24} + minutes{2});
    auto r = s.shop(1);
    CHECK(r.conversations() == 1);
    CHECK(r.unanswered() == 1);
    CHECK(r.response().count() == 1);
    CHECK(*r.response().mean() == 60.0);
    CHECK(r.first_response().count() == 0);
    CHECK(r.reply_rate() == rate_counter(1, 2));
  }
  SECTION("exactly max_wait is still answered") {
    sessions<> s;
    s.buyer_message(1, 7, t0());
    s.agent_message(1, 7, 3, t0() + hours{24});
    CHECK(s.shop(1).response().count() == 1);
    CHECK(s.shop(1).unanswered() == 0);
  }
}

TEST_CASE("sessions: replies earlier than their question are rejected and counted", "[sessions]") {
  sessions<> s;
  s.buyer_message(1, 7, t0() + seconds{10});
  s.agent_message(1, 7, 3, t0() + seconds{5});  // clock skew
  s.auto_message(1, 7, t0() + seconds{4});
  CHECK(s.rejected(session_reject::reply_before_question) == 2);
  CHECK(s.shop(1).agent_messages() == 0);
  CHECK(s.shop(1).auto_messages() == 0);
  CHECK(s.shop(1).response().count() == 0);
  CHECK(s.pending() == 1);
  s.buyer_message(1, 7, t0() + seconds{8});  // older than the conversation's last message
  CHECK(s.rejected(session_reject::out_of_order) == 1);
  CHECK(s.shop(1).buyer_messages() == 1);
  s.agent_message(1, 7, 3, t0() + seconds{12});
  CHECK(*s.shop(1).response().mean() == 2.0);
  s.agent_message(1, 7, 3, t0() + seconds{11});
  CHECK(s.rejected(session_reject::out_of_order) == 2);
  CHECK(s.rejected() == 4);
}

TEST_CASE("sessions: hand-off between agents credits each its burst", "[sessions]") {
  sessions<> s;
  s.buyer_message(1, 7, t0(), 100);               // routed to A = 100
  s.buyer_message(1, 7, t0() + seconds{5});       // same burst
  s.agent_message(1, 7, 100, t0() + seconds{20});  // A answers 20 s
  s.buyer_message(1, 7, t0() + seconds{60});
  s.agent_message(1, 7, 200, t0() + seconds{100});  // B = 200 answers 40 s
  s.agent_message(1, 7, 200, t0() + seconds{110});
  s.buyer_message(1, 7, t0() + seconds{200});  // attributed to B (last replier), never answered
  s.flush(t0() + hours{25});
  auto a = s.agent(1, 100), b = s.agent(1, 200);
  CHECK(a.response().count() == 1);
  CHECK(*a.response().mean() == 20.0);
  CHECK(a.first_response().count() == 1);
  CHECK(a.credited_buyer_messages() == 2);
  CHECK(*a.agent_answer_ratio() == 0.5);
  CHECK(b.response().count() == 1);
  CHECK(*b.response().mean() == 40.0);
  CHECK(b.first_response().count() == 0);
  CHECK(b.unanswered() == 1);
  CHECK(b.credited_buyer_messages() == 2);
  CHECK(*b.agent_answer_ratio() == 1.0);
  CHECK(b.reply_rate() == rate_counter(1, 2));
  CHECK(a.buyers_served() == 1);
  CHECK(b.buyers_served() == 1);
  auto shop = s.shop(1);
  CHECK(shop.conversations() == 1);
  CHECK(shop.buyer_messages() == 4);
  CHECK(shop.agent_messages() == 3);
  CHECK(*shop.answer_ratio() == 0.75);
  CHECK(shop.reply_rate() == rate_counter(2, 3));
  CHECK(shop.buyers_served() == 1);
}

TEST_CASE("sessions: local days in UTC+8 across midnight", "[sessions]") {
  const timestamp midnight = day_start(day0() + 1);  // 2019-09-02 00:00 UTC+8 = 2019-09-01 16:00 UTC
  SECTION("a response is credited to the day of its question") {
    sessions<> s;
    s.buyer_message(1, 7, midnight - seconds{30});
    s.agent_message(1, 7, 3, midnight + seconds{20});
    CHECK(s.shop_day(1, day0()).response().count() == 1);
    CHECK(*s.shop_day(1, day0()).response().mean() == 50.0);
    CHECK(s.shop_day(1, day0() + 1).response().count() == 0);
    CHECK(s.shop_day(1, day0()).conversations() == 1);
    CHECK(s.agent_day(1, 3, day0() + 1).agent_messages() == 1);
    CHECK(s.agent_day(1, 3, day0()).agent_messages() == 0);
    CHECK(s.agent_day(1, 3, day0()).response().count() == 1);
    // the reply on the new day continues the conversation
    s.buyer_message(1, 7, midnight + seconds{60});
    CHECK(s.shop(1).conversations() == 1);
  }
  SECTION("midnight splits an idle conversation; UTC days would not") {
    for (bool utc : {false, true}) {
      session_options o;
      if (utc) o.offset = utc_offset::utc();
      sessions<> s(o);
      s.buyer_message(1, 7, midnight - minutes{2});
      s.agent_message(1, 7, 3, midnight - minutes{1});
      s.buyer_message(1, 7, midnight + minutes{2});  // 3 min idle
      CHECK(s.shop(1).conversations() == (utc ? 1u : 2u));
      if (!utc) {
        CHECK(s.shop_day(1, day0()).conversations() == 1);
        CHECK(s.shop_day(1, day0() + 1).conversations() == 1);
      } else {
        CHECK(s.shop_day(1, local_day(midnight, utc_offset::utc())).conversations() == 1);
      }
    }
  }
  SECTION("split_at_midnight off") {
    session_options o;
    o.split_at_midnight = false;
    sessions<> s(o);
    s.buyer_message(1, 7, midnight - minutes{2});
    s.agent_message(1, 7, 3, midnight - minutes{1});
    s.buyer_message(1, 7, midnight + minutes{2});
    CHECK(s.shop(1).conversations() == 1);
  }
}

TEST_CASE("sessions: invitations and satisfaction votes", "[sessions]") {
  sessions<> s;
  answered_after(s, 7, seconds{10});
  answered_after(s, 8, seconds{10});
  s.invite(1, 7, 3, t0() + minutes{1});
  s.invite(1, 7, 3, t0() + minutes{2});  // the same buyer again
  s.vote(1, 7, 3, 5, t0() + minutes{3});
  s.vote(1, 8, 3, 4, t0() + minutes{3});
  s.vote(1, 8, 3, 2, t0() + minutes{4});
  s.vote(1, 8, 3, 7, t0() + minutes{4});
  s.vote(1, 8, 3, 0, t0() + minutes{4});
  auto a = s.agent(1, 3);
  CHECK(a.invitations() == 2);
  CHECK(a.buyers_invited() == 1);
  CHECK(a.buyers_served() == 2);
  CHECK(a.invitation_rate() == rate_counter(1, 2));
  CHECK(a.satisfaction() == rate_counter(2, 3));
  CHECK(s.rejected(session_reject::score_out_of_range) == 2);
  auto w = a.satisfaction().wilson();
  REQUIRE(w);
  CHECK(w->contains(2.0 / 3.0));
}

TEST_CASE("sessions: state per open conversation is small and freed on close", "[sessions][memory]") {
  STATIC_REQUIRE(sessions<>::conversation_state_bytes <= 64);
  CHECK(sessions<>::conversation_state_bytes == 56);  // 48 + the first two agents who wrote
  sessions<> s;
  const int n = 100000;
  for (int i = 0; i < n; ++i) s.buyer_message(static_cast<std::uint64_t>(i % 10), static_cast<std::uint64_t>(i), t0());
  CHECK(s.open_conversations() == static_cast<std::size_t>(n));
  const double per = static_cast<double>(s.table_bytes()) / n;
  INFO("table bytes per open conversation: " << per);
  CHECK(per <= 2.0 * 48 / 0.875 + 1);  // one slot at worst half-full after growth
  for (int i = 0; i < n; i += 2)
    s.agent_message(static_cast<std::uint64_t>(i % 10), static_cast<std::uint64_t>(i), 1, t0() + seconds{1});
  s.flush(t0() + minutes{5});
  CHECK(s.open_conversations() == static_cast<std::size_t>(n));  // nothing idle yet
  s.flush(t0() + minutes{11});
  CHECK(s.open_conversations() == static_cast<std::size_t>(n / 2));  // answered and idle: freed
  CHECK(s.pending() == static_cast<std::uint64_t>(n / 2));
  s.flush(t0() + hours{25});
  CHECK(s.open_conversations() == 0);
  CHECK(s.shop(3).unanswered() + s.shop(3).answered() == static_cast<std::uint64_t>(n / 10));
}

TEST_CASE("sessions: Kaplan-Meier median keeps censored bursts in the risk set", "[sessions][km]") {
  sessions<> s;
  answered_after(s, 1, seconds{10});
  answered_after(s, 2, seconds{20});
  s.buyer_message(1, 3, t0());  // expires
  s.buyer_message(1, 4, t0());  // expires
  s.flush(t0() + hours{25});
  // naive median of the answered samples is 10 s; KM: S(10) = 3/4, S(20) = 1/2
  const auto km = s.km_median({}, t0() + hours{25});
  REQUIRE(km);
  CHECK(*km == Approx(20.0).epsilon(0.01));
  // a pending burst censored at 5 s leaves the risk set before the first event
  s.buyer_message(1, 5, t0() + hours{26});
  CHECK(*s.km_median({}, t0() + hours{26} + seconds{5}) == Approx(20.0).epsilon(0.01));
  // more than half never answered: no median
  s.buyer_message(1, 6, t0() + hours{26});
  s.flush(t0() + hours{51});
  CHECK_FALSE(s.km_median({}, t0() + hours{51}));
  CHECK_FALSE(sessions<>{}.km_median({}, t0()));
}

TEST_CASE("sessions: bad options are rejected with their limits", "[sessions]") {
  session_options o;
  o.session_gap = duration::zero();
  CHECK_THROWS_AS(sessions<>(o), std::invalid_argument);
  o = {};
  o.max_wait = -hours{1};
  CHECK_THROWS_AS(sessions<>(o), std::invalid_argument);
  o = {};
  o.within_seconds = 0;
  CHECK_THROWS_WITH(sessions<>(o), Catch::Contains("within_seconds must be in [0.001, 86400]"));
  o = {};
  o.relative_accuracy = 0.5;
  CHECK_THROWS_AS(sessions<>(o), std::invalid_argument);
  sessions<> a, b(session_options{std::chrono::minutes{5}});
  CHECK_THROWS_AS(a.merge(b), std::invalid_argument);
}

TEST_CASE("session_stats::merge: in place, with itself, and all or nothing", "[sessions][merge]") {
  const timestamp t0{std::chrono::seconds{1567303200}};
  int_sessions cs;
  cs.buyer_message(1, 42, t0);
  cs.agent_message(1, 42, 7, t0 + seconds(30));
  cs.buyer_message(1, 43, t0 + seconds(5));
  cs.agent_message(1, 43, 7, t0 + seconds(95));
  cs.flush(t0 + hours(1));
  const auto one = cs.shop(1);
  REQUIRE(one.answered() == 2);

  auto twice = one;
  twice.merge(one);  // in place: both parts can merge
  CHECK(twice.answered() == 4);
  CHECK(twice.response().mean() == one.response().mean());
  CHECK(twice.buyer_messages() == 2 * one.buyer_messages());
  CHECK(twice.buyers_served() == one.buyers_served());

  auto self = one;
  self.merge(self);  // with itself: the same as merging a copy
  CHECK(self == twice);

  session_options other;
  other.within_seconds = 60.0;
  auto before = one;
  CHECK_THROWS_AS(before.merge(session_stats<>(other)), std::invalid_argument);
  CHECK(before == one);  // nothing changed
}

TEST_CASE("sessions: an agent's conversations are those it wrote in", "[sessions][agents]") {
  // Conversation 1: agents 1, 2, 1, 3, 3; conversation 2 (after the gap):
  // agent 3. A third agent goes beside the slot (more_agents_).
  const timestamp t0{std::chrono::seconds{1567303200}};
  auto feed = [&](int_sessions& cs, int from, int to) {
    struct msg {
      int at_s;
      std::uint64_t agent;  // 0: the buyer
    };
    const msg log[] = {{0, 0}, {30, 1}, {60, 0}, {80, 2}, {100, 1}, {120, 3}, {180, 3}, {3600, 0}, {3630, 3}};
    for (int i = from; i < to; ++i) {
      const timestamp t = t0 + seconds(log[i].at_s);
      if (log[i].agent == 0)
        cs.buyer_message(1, 42, t);
      else
        cs.agent_message(1, 42, log[i].agent, t);
    }
  };
  int_sessions whole;
  feed(whole, 0, 9);
  whole.flush(t0 + hours(2));
  CHECK(whole.shop(1).conversations() == 2);
  CHECK(whole.agent(1, 1).agent_conversations() == 1);
  CHECK(whole.agent(1, 2).agent_conversations() == 1);
  CHECK(whole.agent(1, 3).agent_conversations() == 2);
  CHECK(whole.agent(1, 1).conversations() == 0);  // conversations stay the shop's
  CHECK(whole.shop(1).agent_conversations() == 4);  // summed over its agents

  // Cut inside conversation 1, with three agents in it: the state carries them.
  for (int cut = 1; cut < 9; ++cut) {
    int_sessions first;
    feed(first, 0, cut);
    const auto bytes = first.serialize();
    int_sessions resumed = int_sessions::deserialize(bytes.data(), bytes.size());
    feed(resumed, cut, 9);
    resumed.flush(t0 + hours(2));
    CHECK(resumed.serialize() == whole.serialize());
  }
}
