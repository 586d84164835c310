// SPDX-License-Identifier: Apache-2.0
// text_pool / text_ref: interning, the std::string-like order and hash that
// keep the families' results and bytes those of std::string ids, the
// serialized form, and flat_set (flat_set.hpp), the families' distinct sets.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "csmetrics/core/error.hpp"
#include "csmetrics/core/keyed.hpp"
#include "csmetrics/core/flat_set.hpp"
#include "csmetrics/core/text_pool.hpp"

using csmetrics::flat_set;
using csmetrics::text_pool;
using csmetrics::text_ref;

TEST_CASE("text_pool: one ref per distinct text, found without storing", "[text_pool]") {
  text_pool pool;
  const text_ref a = pool.intern("buyer-7");
  const text_ref b = pool.intern(std::string("buyer-") + "7");
  const text_ref c = pool.intern("buyer-8");
  CHECK(a == b);
  CHECK(a != c);
  CHECK(a.view() == "buyer-7");
  CHECK(pool.size() == 2);
  CHECK(pool.find("buyer-8") == c);
  CHECK_FALSE(pool.find("nobody").has_value());
  CHECK(pool.size() == 2);
}

TEST_CASE("text_pool: the empty text is text_ref{} in every pool", "[text_pool]") {
  text_pool p, q;
  CHECK(p.intern("") == text_ref{});
  CHECK(q.find("") == text_ref{});
  CHECK(text_ref{}.empty());
  CHECK(text_ref{}.view().empty());
  CHECK(p.size() == 0);
}

TEST_CASE("text_ref: order by text and std::hash of the text", "[text_pool]") {
  text_pool pool;
  // Interned out of order: refs still sort as their texts do.
  const std::vector<std::string> texts{"s9", "s10", "a", "s1", "b", "s100"};
  std::set<text_ref> refs;
  for (const std::string& t : texts) refs.insert(pool.intern(t));
  std::vector<std::string> sorted_refs;
  for (text_ref r : refs) sorted_refs.push_back(r.str());
  const std::set<std::string> sorted_texts(texts.begin(), texts.end());
  CHECK(sorted_refs == std::vector<std::string>(sorted_texts.begin(), sorted_texts.end()));
  for (const std::string& t : texts) {
    const text_ref r = *pool.find(t);
    CHECK(std::hash<text_ref>{}(r) == std::hash<std::string>{}(t));
    CHECK_FALSE(r < r);
  }
  CHECK(pool.intern("a") < pool.intern("b"));
  CHECK(pool.intern("b") > pool.intern("a"));
  CHECK(pool.intern("a") <= pool.intern("a"));
}

TEST_CASE("text_pool: many texts, growth keeps every ref valid", "[text_pool]") {
  text_pool pool;
  std::vector<text_ref> refs;
  const int n = 100000;
  for (int i = 0; i < n; ++i) refs.push_back(pool.intern("v" + std::to_string(i)));
  REQUIRE(pool.size() == static_cast<std::size_t>(n));
  for (int i = 0; i < n; i += 997) {
    CHECK(refs[static_cast<std::size_t>(i)].view() == "v" + std::to_string(i));
    CHECK(pool.intern("v" + std::to_string(i)) == refs[static_cast<std::size_t>(i)]);
  }
  // A text longer than an arena block.
  const std::string big(200000, 'x');
  CHECK(pool.intern(big).view() == big);
  CHECK(pool.memory_bytes() > big.size());
}

TEST_CASE("text_pool: texts in many blocks, large ones between, are all found again", "[text_pool]") {
  // A slot locates its entry by block and 8-byte step: every block, every
  // step of a block (texts of every length), large texts in blocks of their own.
  text_pool pool;
  std::vector<std::pair<std::string, text_ref>> kept;
  for (int i = 0; i < 60000; ++i) {
    std::string t = std::to_string(i) + std::string(static_cast<std::size_t>(i % 37), 'y');
    if (i % 5000 == 4999) t = std::string(70000 + static_cast<std::size_t>(i), 'z');  // > a block
    kept.emplace_back(t, pool.intern(t));
  }
  REQUIRE(pool.size() == kept.size());
  for (const auto& [t, r] : kept) {
    REQUIRE(r.view() == t);
    REQUIRE(pool.find(t) == r);
    REQUIRE(pool.intern(t) == r);
  }
  CHECK(pool.size() == kept.size());
  CHECK_FALSE(pool.find("absent").has_value());
}

TEST_CASE("text_pool: texts of every short length that differ in one byte are distinct", "[text_pool]") {
  // The comparison loads 4 or 8 bytes from each end: every byte must count.
  text_pool pool;
  for (std::size_t n = 1; n <= 40; ++n) {
    const std::string base(n, 'a');
    const auto ref = pool.intern(base);
    CHECK(pool.intern(std::string(n, 'a')) == ref);
    for (std::size_t i = 0; i < n; ++i) {
      std::string other = base;
      other[i] = 'b';
      INFO("length " << n << ", byte " << i);
      CHECK(pool.intern(other) != ref);
      CHECK(pool.intern(other).view() == other);
    }
  }
  CHECK(pool.size() == 40 + 40 * 41 / 2);
}

TEST_CASE("text_hash: every byte and the length reach the probe hash", "[text_pool]") {
  // The pool probes with text_hash's high half (its tag): a byte the hash
  // skipped would put every id differing only there on one probe run.
  using csmetrics::detail::text_hash;
  std::set<std::uint32_t> tags;
  for (std::size_t n = 0; n <= 40; ++n) {
    const std::string base(n, '0');
    tags.insert(static_cast<std::uint32_t>(text_hash(base) >> 32));
    for (std::size_t i = 0; i < n; ++i) {
      std::string other = base;
      other[i] = '1';
      INFO("length " << n << ", byte " << i);
      CHECK(text_hash(other) != text_hash(base));
      CHECK((text_hash(other) >> 32) != (text_hash(base) >> 32));
    }
  }
  CHECK(tags.size() == 41);  // "", "0", "00", ...: the length alone differs
}

TEST_CASE("sort_unique_texts: text order without repeats, as std::sort and std::unique give", "[text_pool]") {
  // Shared prefixes of every length around 8 bytes, NUL bytes, repeats.
  text_pool pool;
  std::mt19937_64 rng(3);
  const std::string alphabet("ab\0z\xff", 5);
  std::vector<text_ref> refs;
  for (int i = 0; i < 5000; ++i) {
    std::string t(rng() % 14, 'a');
    for (char& c : t) c = alphabet[rng() % alphabet.size()];
    refs.push_back(pool.intern(t));
  }
  std::vector<text_ref> expected = refs;
  std::sort(expected.begin(), expected.end());
  expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
  sort_unique_texts(refs);
  CHECK(refs == expected);
  CHECK(refs.size() < 5000);  // there were repeats
  std::vector<text_ref> none;
  sort_unique_texts(none);
  CHECK(none.empty());
}

TEST_CASE("text_ref serializes as its text and is read into the reader's pool", "[text_pool]") {
  text_pool from;
  csmetrics::detail::writer w;
  csmetrics::detail::key_serde<text_ref>::write(w, from.intern("shop-1"));
  csmetrics::detail::key_serde<std::string>::write(w, "shop-1");
  const std::vector<std::uint8_t> bytes = w.take();
  // The same bytes as a std::string id.
  REQUIRE(bytes.size() % 2 == 0);
  CHECK(std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(bytes.size() / 2)) ==
        std::vector<std::uint8_t>(bytes.begin() + static_cast<std::ptrdiff_t>(bytes.size() / 2), bytes.end()));

  text_pool into;
  const text_ref mine = into.intern("shop-1");
  csmetrics::detail::reader r(bytes.data(), bytes.size());
  r.use_texts(&into);
  CHECK(csmetrics::detail::key_serde<text_ref>::read(r) == mine);

  csmetrics::detail::reader no_pool(bytes.data(), bytes.size());
  CHECK_THROWS_AS(csmetrics::detail::key_serde<text_ref>::read(no_pool), csmetrics::deserialize_error);
}

TEST_CASE("flat_set: insert, contains, merge, sorted order", "[keyed]") {
  flat_set<int> a, b;
  CHECK(a.insert(3));
  CHECK_FALSE(a.insert(3));
  a.insert(1);
  b.insert(2);
  b.insert(3);
  CHECK(a.contains(1));
  CHECK_FALSE(a.contains(2));
  a.merge(b);
  CHECK(a.size() == 3);
  std::vector<int> seen;
  a.for_each_sorted([&](int k) { seen.push_back(k); });
  CHECK(seen == std::vector<int>{1, 2, 3});
  flat_set<int> c;
  for (int k : {3, 2, 1}) c.insert(k);
  CHECK(a == c);
  c.insert(4);
  CHECK(a != c);
  // overlap: the keys in both, either way round, and with an empty set.
  flat_set<int> d;
  for (int k : {2, 4, 6, 8}) d.insert(k);
  CHECK(c.overlap(d) == 2);
  CHECK(d.overlap(c) == 2);
  CHECK(d.overlap(flat_set<int>{}) == 0);
  CHECK(d.overlap(d) == 4);
}

TEST_CASE("keyed::merge of a large table into a small one stays linear", "[keyed]") {
  // Inserting a big table's slots in order into a small table (homes from the
  // same hash bits) clustered them: 200 k keys took seconds. Now reserved.
  flat_set<std::uint64_t> big, small;
  for (std::uint64_t k = 0; k < 200000; ++k) big.insert(k * 7919);
  small.insert(1);
  small.merge(big);
  CHECK(small.size() == 200001);
}
