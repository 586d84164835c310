// SPDX-License-Identifier: Apache-2.0
// Property tests of csmetrics/sessions/sessions.hpp: sharding by shop or buyer and
// merging gives the one-pass state; merge laws; resuming a time split from
// the serialized state; flush changes nothing but memory; serialized form
// round trips, rejects corruption and matches the golden v1 file.
#include "csmetrics/sessions/sessions.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "support.hpp"

using namespace csmetrics;
using std::chrono::hours;
using std::chrono::seconds;

namespace {

enum class kind { buyer, routed, agent, autom, invite, vote, flush };

struct event {
  kind k;
  std::uint64_t shop, buyer, agent;
  timestamp t;
  int score;
};

/// A random stream: `shops` x `buyers` conversations, 4 agents per shop,
/// bursts, replies, auto replies, long silences (expiry), midnights, some
/// skewed replies and bad votes unless `ordered`; a flush every ~50 events.
std::vector<event> random_stream(std::mt19937_64& rng, int n, int shops, int buyers, bool ordered = false) {
  std::vector<event> out;
  timestamp t = day_start(*parse_day("2019-09-01")) + hours{20};
  std::uniform_int_distribution<int> pct(0, 99);
  for (int i = 0; i < n; ++i) {
    const int r = pct(rng);
    t += r < 3 ? duration{hours{7}} : duration{seconds{static_cast<int>(rng() % 90)}};
    event e{kind::buyer, rng() % shops, rng() % buyers, 100 + rng() % 4, t, 0};
    const int what = pct(rng);
    if (what < 35) e.k = kind::buyer;
    else if (what < 40) e.k = kind::routed;
    else if (what < 75) e.k = kind::agent;
    else if (what < 83) e.k = kind::autom;
    else if (what < 88) e.k = kind::invite;
    else if (what < 93) e.k = kind::vote, e.score = static_cast<int>(rng() % 7);  // 0 and 6 are bad
    else if (what < 95) e.k = kind::flush;
    else {
      e.k = kind::agent;
      if (!ordered) e.t -= seconds{static_cast<int>(rng() % 600)};  // skew / out of order
    }
    if (ordered && e.k == kind::vote && (e.score < 1 || e.score > 5)) e.score = 3;
    out.push_back(e);
  }
  out.push_back(event{kind::flush, 0, 0, 0, t + hours{1}, 0});
  return out;
}

template <class Id>
Id conv(std::uint64_t n) {
  if constexpr (std::is_integral_v<Id>)
    return static_cast<Id>(n);
  else
    return "x" + std::to_string(n);
}

template <class Tracker>
void feed(Tracker& s, const event& e) {
  using S = typename Tracker::shop_type;
  using B = typename Tracker::buyer_type;
  using A = typename Tracker::agent_type;
  const S shop = conv<S>(e.shop);
  const B buyer = conv<B>(e.buyer);
  const A agent = conv<A>(e.agent);
  switch (e.k) {
    case kind::buyer: s.buyer_message(shop, buyer, e.t); break;
    case kind::routed: s.buyer_message(shop, buyer, e.t, agent); break;
    case kind::agent: s.agent_message(shop, buyer, agent, e.t); break;
    case kind::autom: s.auto_message(shop, buyer, e.t); break;
    case kind::invite: s.invite(shop, buyer, agent, e.t); break;
    case kind::vote: s.vote(shop, buyer, agent, e.score, e.t); break;
    case kind::flush: s.flush(e.t); break;
  }
}

template <class Tracker>
Tracker run(const std::vector<event>& events) {
  Tracker s;
  for (const event& e : events) feed(s, e);
  return s;
}

/// Splits by shop or buyer into `parts` shards (flushes go to every shard).
std::vector<std::vector<event>> shard(const std::vector<event>& events, int parts, bool by_shop) {
  std::vector<std::vector<event>> out(static_cast<std::size_t>(parts));
  for (const event& e : events) {
    if (e.k == kind::flush) {
      for (auto& s : out) s.push_back(e);
      continue;
    }
    const std::uint64_t key = by_shop ? e.shop : detail::mix64(e.buyer);
    out[key % static_cast<std::uint64_t>(parts)].push_back(e);
  }
  return out;
}

using int_sessions = sessions<>;
using str_sessions = sessions<std::string, std::string, std::string>;

}  // namespace

TEMPLATE_TEST_CASE("sessions: sharding by shop or buyer and merging equals one pass", "[sessions][merge]",
                   int_sessions, str_sessions) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 6; ++round) {
    const auto events = random_stream(rng, 3000, 5, 40);
    const TestType whole = run<TestType>(events);
    REQUIRE(whole.shop(conv<typename TestType::shop_type>(1)).response().count() > 0);
    for (bool by_shop : {true, false}) {
      auto shards = shard(events, 3, by_shop);
      std::vector<TestType> parts;
      for (const auto& sh : shards) parts.push_back(run<TestType>(sh));
      std::shuffle(parts.begin(), parts.end(), rng);
      TestType merged;
      for (const auto& p : parts) merged.merge(p);
      CHECK(merged == whole);
      CHECK(merged.open_conversations() == whole.open_conversations());
      CHECK(merged.total().response() == whole.total().response());
      CHECK(merged.pending() == whole.pending());
      // Every shop's figures (read through the per-shop cell index), merged and deserialized.
      const auto bytes = merged.serialize();
      const TestType back = TestType::deserialize(bytes.data(), bytes.size());
      for (int shop = 0; shop <= 6; ++shop) {  // shops 5 and 6 have no cells
        const auto id = conv<typename TestType::shop_type>(static_cast<std::uint64_t>(shop));
        CHECK(merged.shop(id) == whole.shop(id));
        CHECK(back.shop(id) == whole.shop(id));
        // for_each_cell(shop, f) visits what for_each_cell(f) visits for that shop.
        auto cells_of = [&id](const TestType& t, bool indexed) {
          using A = typename TestType::agent_type;
          std::vector<std::tuple<bool, A, csmetrics::day_number, std::uint64_t>> v;
          auto note = [&](const auto& sh, const A* agent, csmetrics::day_number d, const auto& st) {
            if (indexed || sh == id) v.emplace_back(agent != nullptr, agent ? *agent : A{}, d, st.conversations());
          };
          if (indexed)
            t.for_each_cell(id, note);
          else
            t.for_each_cell(note);
          std::sort(v.begin(), v.end());
          return v;
        };
        CHECK(cells_of(merged, true) == cells_of(merged, false));
        CHECK(cells_of(back, true) == cells_of(back, false));
        CHECK(cells_of(back, true).empty() == (shop >= 5));
      }
      if (round == 0) csm_test::check_merge_laws(parts[0], parts[1], parts[2], TestType{});
    }
  }
}

TEST_CASE("sessions: the stream saw every rule", "[sessions][merge]") {
  std::mt19937_64 rng(42);
  const auto s = run<sessions<>>(random_stream(rng, 3000, 5, 40));
  const auto t = s.total();
  CHECK(t.unanswered() > 0);
  CHECK(t.first_response().count() > 0);
  CHECK(t.first_response_with_auto().count() > t.first_response().count());
  CHECK(s.rejected(session_reject::reply_before_question) + s.rejected(session_reject::out_of_order) > 0);
  CHECK(s.rejected(session_reject::score_out_of_range) > 0);
  CHECK(t.conversations() > 100);
  CHECK(s.open_conversations() > 0);
}

TEST_CASE("sessions: a merge conflict on an open conversation throws and changes nothing", "[sessions][merge]") {
  sessions<> a, b;
  const timestamp t = day_start(*parse_day("2019-09-01"));
  a.buyer_message(1, 7, t);
  b.buyer_message(1, 7, t + seconds{1});
  b.buyer_message(2, 7, t + seconds{1});
  const auto before = a;
  CHECK_THROWS_AS(a.merge(b), std::invalid_argument);
  CHECK(a == before);
  sessions<> self = a;
  self.merge(sessions<>{});
  CHECK(self == a);
}

TEMPLATE_TEST_CASE("sessions: a time split resumes from the serialized state", "[sessions][serde]", int_sessions,
                   str_sessions) {
  std::mt19937_64 rng(7);
  const auto events = random_stream(rng, 4000, 4, 30);
  const TestType whole = run<TestType>(events);
  for (int i = 0; i < 5; ++i) {
    const std::size_t cut = static_cast<std::size_t>(rng() % events.size());
    TestType first;
    for (std::size_t j = 0; j < cut; ++j) feed(first, events[j]);
    const auto bytes = first.serialize();
    TestType second = TestType::deserialize(bytes.data(), bytes.size());
    for (std::size_t j = cut; j < events.size(); ++j) feed(second, events[j]);
    CHECK(second == whole);
  }
}

TEST_CASE("sessions: flush frees memory and changes no result", "[sessions]") {
  std::mt19937_64 rng(9);
  auto events = random_stream(rng, 5000, 3, 200, /*ordered=*/true);
  std::vector<event> no_flush;
  for (const event& e : events)
    if (e.k != kind::flush) no_flush.push_back(e);
  const timestamp end = events.back().t + hours{30};
  events.push_back(event{kind::flush, 0, 0, 0, end, 0});
  no_flush.push_back(event{kind::flush, 0, 0, 0, end, 0});
  auto a = run<sessions<>>(events);
  auto b = run<sessions<>>(no_flush);
  CHECK(a == b);
  CHECK(a.open_conversations() == 0);
  CHECK(a.total().conversations() > 100);
}

TEMPLATE_TEST_CASE("sessions: serialized form round trips and rejects corruption", "[sessions][serde]", int_sessions,
                   str_sessions) {
  std::mt19937_64 rng(3);
  const TestType big = run<TestType>(random_stream(rng, 2000, 4, 30));
  csm_test::check_round_trip(big);
  csm_test::check_round_trip(TestType{});
  const TestType small = run<TestType>(random_stream(rng, 12, 2, 3));
  csm_test::check_round_trip(small);
  csm_test::check_corruption(small, rng, 300);
  const auto cell = big.total();
  csm_test::check_round_trip(cell);
  csm_test::check_round_trip(cell.response());
}

TEST_CASE("sessions: golden v2 bytes, and v1 still reads", "[sessions][serde][golden]") {
  sessions<> s;
  const timestamp t = day_start(*parse_day("2019-09-01")) + hours{23} + std::chrono::minutes{50};
  s.buyer_message(1, 7, t, 3);
  s.auto_message(1, 7, t + seconds{1});
  s.buyer_message(1, 7, t + seconds{5});
  s.agent_message(1, 7, 3, t + seconds{42});
  s.agent_message(1, 7, 3, t + seconds{50});
  s.buyer_message(1, 8, t + std::chrono::minutes{15});  // after midnight in UTC+8
  s.agent_message(1, 8, 4, t + std::chrono::minutes{19});
  s.buyer_message(2, 7, t);
  s.invite(1, 7, 3, t + std::chrono::minutes{2});
  s.vote(1, 7, 3, 5, t + std::chrono::minutes{3});
  s.vote(1, 7, 3, 9, t + std::chrono::minutes{3});
  s.agent_message(1, 8, 4, t);  // reply before question
  s.buyer_message(2, 9, t + std::chrono::minutes{20});
  s.flush(t + hours{25});
  s.buyer_message(2, 9, t + hours{26});  // open at the end
  csm_test::check_golden(s, "sessions_v2.bin");
  CHECK(s.agent(1, 3).agent_conversations() == 1);
  // Version 1 lacks the agents' conversation counts; everything else is there.
  const std::vector<std::uint8_t> v1 = csm_test::read_golden("sessions_v1.bin");
  REQUIRE(!v1.empty());
  const sessions<> old = sessions<>::deserialize(v1.data(), v1.size());
  CHECK(old.agent(1, 3).agent_conversations() == 0);
  CHECK(old.open_conversations() == 1);
  CHECK(old.shop(1).response() == s.shop(1).response());
  CHECK(old.shop(2).unanswered() == 2);
  CHECK(old.shop(1).conversations() == s.shop(1).conversations());
  CHECK(s.open_conversations() == 1);
  CHECK(s.shop(2).unanswered() == 2);
  CHECK(s.shop(1).response().count() == 2);
}

TEST_CASE("sessions: a shop's breakdown equals its per-view queries", "[sessions][report]") {
  // With and without service hours (cells with own service figures merge too).
  for (const bool calendar : {false, true}) {
    session_options o;
    if (calendar)
      o.calendar = std::make_shared<const service_calendar>(service_calendar::every_day({service_interval{8 * 60, 22 * 60}}));
    sessions<> s(o);
    std::mt19937_64 rng(calendar ? 11 : 12);
    for (const event& e : random_stream(rng, 4000, 3, 60)) feed(s, e);
    std::size_t agents = 0, days = 0;
    for (std::uint64_t shop = 0; shop < 4; ++shop) {  // shop 3 has no events
      const auto v = s.shop_breakdown(shop);
      CHECK(v.total == s.shop(shop));
      const auto without_days = s.shop_breakdown(shop, false);
      CHECK(without_days.total == v.total);
      CHECK(without_days.agents == v.agents);
      CHECK(without_days.days.empty());
      for (std::uint64_t a = 100; a < 105; ++a) CHECK(v.agent(a) == s.agent(shop, a));  // agent 104 has none
      for (const auto& [a, stats] : v.agents) CHECK(stats == s.agent(shop, a));
      const day_number first = *parse_day("2019-09-01");
      for (day_number d = first - 1; d < first + 40; ++d) CHECK(v.day(d) == s.shop_day(shop, d));
      const auto now = day_start(first + 41);
      CHECK(s.km_median(sessions<>::filter{shop, std::nullopt, std::nullopt}, now, v.total) ==
            s.km_median(sessions<>::filter{shop, std::nullopt, std::nullopt}, now));
      CHECK(s.km_median_service(sessions<>::filter{shop, std::nullopt, std::nullopt}, now, v.total) ==
            s.km_median_service(sessions<>::filter{shop, std::nullopt, std::nullopt}, now));
      agents += v.agents.size();
      days += v.days.size();
    }
    CHECK(agents == 12);  // 4 agents in each of the 3 shops
    CHECK(days > 10);
    CHECK(s.shop_breakdown(3).total == sessions<>(o).total());
  }
}
