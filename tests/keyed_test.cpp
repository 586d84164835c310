// SPDX-License-Identifier: Apache-2.0
#include "csmetrics/core/keyed.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "support.hpp"
#include "tally.hpp"

#if __has_include("csmetrics/core/rate.hpp")
#include "csmetrics/core/rate.hpp"
#define CSM_TEST_HAVE_RATE 1
#endif

using namespace csmetrics;

namespace {

using csm_test::tally;

// An accumulator that owns heap memory, so the sanitizer builds see every
// construction, move and destruction the table does.
struct history {
  std::vector<std::int64_t> values;
  std::string label = "a label long enough to live on the heap, not in the SSO buffer";
  void add(std::int64_t v) { values.push_back(v); }
  void merge(const history& o) { values.insert(values.end(), o.values.begin(), o.values.end()); }
  friend bool operator==(const history& a, const history& b) { return a.values == b.values && a.label == b.label; }
};

// Every key lands in one of 7 home slots: long clusters for probing and erase.
struct clumpy_hash {
  std::uint64_t operator()(std::uint64_t k) const { return k % 7; }
};

std::string long_key(std::uint64_t i) { return "buyer-with-a-long-name-" + std::to_string(i); }

}  // namespace

TEST_CASE("keyed: keys are created from the prototype and found again", "[keyed]") {
  keyed<std::uint64_t, tally> t(tally{0, 100});  // every new key starts at sum 100
  CHECK(t.empty());
  CHECK(t.find(7) == nullptr);
  t[7].add(5);
  t[7].add(6);
  t[9].add(1);
  CHECK(t.size() == 2);
  REQUIRE(t.find(7) != nullptr);
  CHECK(*t.find(7) == tally{2, 111});
  CHECK(*t.find(9) == tally{1, 101});
  CHECK(t.contains(9));
  CHECK_FALSE(t.contains(8));
  CHECK(t[8] == tally{0, 100});  // operator[] creates
  CHECK(t.size() == 3);
  const auto& ct = t;
  CHECK(ct.find(8) != nullptr);
}

TEST_CASE("keyed: random inserts, lookups and erases equal std::unordered_map", "[keyed][property]") {
  std::mt19937_64 rng(42);
  auto run = [&](auto table, std::uint64_t universe, int ops) {
    std::unordered_map<std::uint64_t, tally> model;
    for (int i = 0; i < ops; ++i) {
      std::uint64_t k = rng() % universe;
      int op = static_cast<int>(rng() % 10);
      if (op < 6) {
        std::int64_t v = static_cast<std::int64_t>(rng() % 1000);
        table[k].add(v);
        model[k].add(v);
      } else if (op < 8) {
        CHECK(table.erase(k) == (model.erase(k) == 1));
      } else {
        auto it = model.find(k);
        const tally* f = table.find(k);
        REQUIRE((f != nullptr) == (it != model.end()));
        if (f) REQUIRE(*f == it->second);
      }
      REQUIRE(table.size() == model.size());
    }
    std::size_t seen = 0;
    table.for_each([&](std::uint64_t k, const tally& v) {
      ++seen;
      REQUIRE(model.count(k) == 1);
      REQUIRE(model[k] == v);
    });
    CHECK(seen == model.size());
    CHECK(table.capacity() >= table.size());
    while (!model.empty()) {  // erase everything, the table stays consistent
      std::uint64_t k = model.begin()->first;
      model.erase(model.begin());
      REQUIRE(table.erase(k));
      REQUIRE_FALSE(table.contains(k));
    }
    CHECK(table.empty());
  };
  run(keyed<std::uint64_t, tally>{}, 1000, 20000);
  run(keyed<std::uint64_t, tally>{}, 1u << 30, 20000);
  run(keyed<std::uint64_t, tally, clumpy_hash>{}, 300, 5000);  // 7 clusters
}

TEST_CASE("keyed: string keys, heterogeneous lookup and owning accumulators", "[keyed]") {
  keyed<std::string, history> t;
  for (std::uint64_t i = 0; i < 2000; ++i) t[long_key(i % 500)].add(static_cast<std::int64_t>(i));
  CHECK(t.size() == 500);
  std::string_view sv = "buyer-with-a-long-name-42";
  REQUIRE(t.find(sv) != nullptr);
  CHECK(t.find(sv)->values == std::vector<std::int64_t>{42, 542, 1042, 1542});
  CHECK(t.find("buyer-with-a-long-name-499") != nullptr);
  CHECK(t.find(std::string("nobody")) == nullptr);
  t[sv].add(1);       // by string_view: no std::string unless new
  t["short"].add(2);  // by const char*
  CHECK(t.size() == 501);
  CHECK(t.find(std::string_view("short"))->values == std::vector<std::int64_t>{2});
  for (std::uint64_t i = 0; i < 500; i += 2) CHECK(t.erase(long_key(i)));
  CHECK(t.size() == 251);
  for (std::uint64_t i = 0; i < 500; ++i) CHECK(t.contains(long_key(i)) == (i % 2 == 1));

  keyed<std::string, history> copy = t;  // copies, moves and resets own their memory
  keyed<std::string, history> moved = std::move(copy);
  CHECK(moved == t);
  copy = moved;
  CHECK(copy == t);
  moved.reset();
  CHECK(moved.empty());
  moved["x"].add(1);
  CHECK(moved.size() == 1);
  moved = std::move(copy);
  CHECK(moved == t);
}

TEST_CASE("keyed: iteration", "[keyed]") {
  keyed<std::int64_t, tally> t;
  for (std::int64_t k = -50; k < 50; ++k) t[k * 3].add(k);
  std::map<std::int64_t, tally> seen;
  for (auto [key, acc] : t) seen[key] = acc;
  CHECK(seen.size() == 100);
  CHECK(seen.at(-150) == tally{1, -50});
  for (auto e : t) e.value.add(1000);  // mutable iteration
  const auto& ct = t;
  std::size_t n = 0;
  for (auto it = ct.begin(); it != ct.end(); ++it, ++n) CHECK(it->value.n == 2);
  CHECK(n == 100);
  std::vector<std::int64_t> order;
  t.for_each_sorted([&](std::int64_t k, const tally&) { order.push_back(k); });
  CHECK(std::is_sorted(order.begin(), order.end()));
  CHECK(order.size() == 100);
  keyed<int, tally> none;
  CHECK(none.begin() == none.end());
}

TEST_CASE("keyed: equality ignores insertion order and capacity", "[keyed]") {
  std::vector<std::uint64_t> keys;
  for (std::uint64_t i = 0; i < 1000; ++i) keys.push_back(i * 7919);
  keyed<std::uint64_t, tally> a, b;
  b.reserve(100000);
  for (auto k : keys) a[k].add(static_cast<std::int64_t>(k));
  std::reverse(keys.begin(), keys.end());
  for (auto k : keys) b[k].add(static_cast<std::int64_t>(k));
  b[123456789].add(1);
  CHECK(a != b);
  b.erase(123456789);
  CHECK(a == b);
  CHECK(a.capacity() != b.capacity());
  CHECK(a.serialize() == b.serialize());
  b[7919].add(1);
  CHECK(a != b);
  using int_table = keyed<int, tally>;
  CHECK(int_table(tally{1, 1}) != int_table());  // the prototype counts
}

TEST_CASE("keyed: merge", "[keyed][merge]") {
  std::mt19937_64 rng(3);
  SECTION("key by key") {
    keyed<std::string, tally> a, b;
    a["alice"].add(1);
    a["bob"].add(2);
    b["bob"].add(3);
    b["carol"].add(4);
    a.merge(b);
    CHECK(a.size() == 3);
    CHECK(*a.find("alice") == tally{1, 1});
    CHECK(*a.find("bob") == tally{2, 5});
    CHECK(*a.find("carol") == tally{1, 4});
    a.merge(a);
    CHECK(*a.find("bob") == tally{4, 10});
  }
  SECTION("taking the other table (merge(&&)) equals copying it, and empties it") {
    std::vector<std::pair<std::string, std::int64_t>> events;
    for (int i = 0; i < 3000; ++i) events.emplace_back("k" + std::to_string(rng() % 500), static_cast<std::int64_t>(rng() % 9));
    keyed<std::string, tally> a, b;
    for (std::size_t i = 0; i < events.size(); ++i) (i % 2 ? a : b)[events[i].first].add(events[i].second);
    keyed<std::string, tally> copied = a, taken = a, b2 = b;
    copied.merge(b);
    taken.merge(std::move(b2));
    CHECK(taken == copied);
    CHECK(b2.size() == 0);  // NOLINT(bugprone-use-after-move): merge(&&) leaves it empty
    keyed<std::string, tally> empty;
    empty.merge(std::move(copied));
    CHECK(empty == taken);
    taken.merge(std::move(taken));  // self: doubles, like merge(const&)
    CHECK(taken.find(events[0].first)->n == 2 * empty.find(events[0].first)->n);
  }
  SECTION("split and merge equals the whole stream; merge laws") {
    std::vector<std::pair<std::uint64_t, std::int64_t>> events;
    for (int i = 0; i < 5000; ++i)
      events.emplace_back(rng() % 700, static_cast<std::int64_t>(rng() % 100));
    auto add = [](keyed<std::uint64_t, tally>& t, const std::pair<std::uint64_t, std::int64_t>& e) {
      t[e.first].add(e.second);
    };
    for (int round = 0; round < 10; ++round)
      csm_test::check_split_merge([] { return keyed<std::uint64_t, tally>(); }, events, add, rng, 6);
    keyed<std::uint64_t, tally> a, b, c;
    for (std::size_t i = 0; i < events.size(); ++i) add(i % 3 == 0 ? a : i % 3 == 1 ? b : c, events[i]);
    csm_test::check_merge_laws(a, b, c, keyed<std::uint64_t, tally>());
  }
}

static keyed<std::string, tally> golden_table() {
  keyed<std::string, tally> t;
  for (const char* agent : {"xiaomei", "a-long", "", "阿强", "zz", "a"}) {
    for (std::size_t i = 0; i < std::char_traits<char>::length(agent) + 1; ++i)
      t[agent].add(static_cast<std::int64_t>(i) * 37 - 50);
  }
  return t;
}

TEST_CASE("keyed: serialize", "[keyed][serde]") {
  std::mt19937_64 rng(5);
  SECTION("round trips") {
    csm_test::check_round_trip(keyed<std::uint64_t, tally>());
    csm_test::check_round_trip(golden_table());
    keyed<std::int32_t, tally> negative;
    for (std::int32_t k : {-2147483647 - 1, -1, 0, 1, 2147483647}) negative[k].add(k);
    csm_test::check_round_trip(negative);
    keyed<std::uint64_t, tally> big;
    for (int i = 0; i < 20000; ++i) big[rng()].add(i);
    csm_test::check_round_trip(big);
  }
  SECTION("hand-checked bytes: keys sorted") {
    keyed<std::uint32_t, tally> t;
    t[300].add(-1);
    t[2].add(2);
    const std::vector<std::uint8_t> expect{'C', 'S', 6, 0, 1, 0,                  // header: keyed, v1
                                           'C', 'S', 250, 0, 1, 0, 0, 0,          // prototype
                                           2,                                     // two keys
                                           2, 'C', 'S', 250, 0, 1, 0, 1, 4,       // 2 -> {1, 2}
                                           0xac, 0x02, 'C', 'S', 250, 0, 1, 0, 1, 1};  // 300 -> {1, -1}
    CHECK(csm_test::bare(t) == expect);
    auto swapped = expect;  // keys out of order are rejected
    std::rotate(swapped.begin() + 15, swapped.begin() + 24, swapped.end());
    CHECK_THROWS_WITH(decltype(t)::deserialize(swapped.data(), swapped.size()),
                      Catch::Contains("keys strictly increasing"));
    std::vector<std::uint8_t> dup(expect.begin(), expect.begin() + 24);  // a repeated key too
    dup.insert(dup.end(), expect.begin() + 15, expect.begin() + 24);
    CHECK_THROWS_WITH(decltype(t)::deserialize(dup.data(), dup.size()), Catch::Contains("keys strictly increasing"));
    const auto bytes = t.serialize();  // key 300 is too wide for std::uint8_t
    using narrow = keyed<std::uint8_t, tally>;
    CHECK_THROWS_AS(narrow::deserialize(bytes.data(), bytes.size()),
                    deserialize_error);
  }
  SECTION("corrupt and truncated bytes are rejected") {
    csm_test::check_corruption(golden_table(), rng);
    keyed<std::uint64_t, tally> ints;
    for (int i = 0; i < 50; ++i) ints[rng() % 1000].add(i);
    csm_test::check_corruption(ints, rng);
  }
  SECTION("golden v1") { csm_test::check_golden(golden_table(), "keyed_v1.bin"); }
}

#ifdef CSM_TEST_HAVE_RATE
TEST_CASE("keyed: with rate_counter per reminder script", "[keyed][rate]") {
  keyed<std::string, rate_counter> by_script;
  for (int i = 0; i < 100; ++i) by_script[i % 2 ? "remind-a" : "remind-b"].add(i % 5 == 0);
  CHECK(by_script.find("remind-a")->trials() == 50);
  CHECK(by_script.find("remind-b")->successes() == 10);
  csm_test::check_round_trip(by_script);
}
#endif
