// SPDX-License-Identifier: Apache-2.0
#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/checked.hpp"

#include <catch2/catch.hpp>

#include <limits>
#include <random>

using namespace csmetrics;
using namespace csmetrics::detail;

TEST_CASE("serde: fields round trip little-endian", "[serde]") {
  writer w;
  w.header(type_id::rate, 1, 7);
  w.u16(0x0102);
  w.u64(0x0102030405060708ULL);
  w.i64(-5);
  w.f64(0.1);
  w.varint(300);
  w.svarint(-3);
  w.str("shop A");
  auto b = w.take();
  CHECK(b[0] == 'C');
  CHECK(b[1] == 'S');
  CHECK(b[2] == 1);  // type id, low byte first
  CHECK(b[3] == 0);
  CHECK(b[6] == 0x02);  // u16 low byte first
  CHECK(b[8] == 0x08);
  reader r(b.data(), b.size());
  std::uint8_t flags = 0;
  CHECK(r.header(type_id::rate, "rate", 1, &flags) == 1);
  CHECK(flags == 7);
  CHECK(r.u16() == 0x0102);
  CHECK(r.u64() == 0x0102030405060708ULL);
  CHECK(r.i64() == -5);
  CHECK(r.f64() == 0.1);
  CHECK(r.varint() == 300);
  CHECK(r.svarint() == -3);
  CHECK(r.str() == "shop A");
  r.expect_end();
}

TEST_CASE("serde: varints of every width", "[serde]") {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 2000; ++i) {
    std::uint64_t v = rng() >> (rng() % 64);
    std::int64_t s = static_cast<std::int64_t>(rng());
    writer w;
    w.varint(v);
    w.svarint(s);
    auto b = w.take();
    reader r(b.data(), b.size());
    REQUIRE(r.varint() == v);
    REQUIRE(r.svarint() == s);
  }
  writer w;
  w.varint(std::numeric_limits<std::uint64_t>::max());
  auto b = w.take();
  CHECK(b.size() == 10);
  b.back() = 0x02;  // an 11th bit past 64
  reader r(b.data(), b.size());
  CHECK_THROWS_WITH(r.varint(), Catch::Contains("overflows"));
}

TEST_CASE("serde: errors say what was expected and found", "[serde]") {
  writer w;
  w.header(type_id::moments, 2);
  auto b = w.take();
  {
    reader r(b.data(), b.size());
    CHECK_THROWS_WITH(r.header(type_id::rate, "rate", 1), Catch::Contains("csmetrics::rate") &&
                                                              Catch::Contains("expected type id 1, found 2"));
  }
  {
    reader r(b.data(), b.size());
    CHECK_THROWS_WITH(r.header(type_id::moments, "moments", 1), Catch::Contains("unsupported format version 2"));
  }
  {
    reader r(b.data(), 3);
    CHECK_THROWS_AS(r.header(type_id::moments, "moments", 2), deserialize_error);
  }
  {
    std::vector<std::uint8_t> junk{'X', 'S', 2, 0, 1, 0};
    reader r(junk.data(), junk.size());
    CHECK_THROWS_WITH(r.header(type_id::moments, "moments", 1), Catch::Contains("magic"));
  }
  {
    writer c;
    c.varint(1000000);  // a count far beyond the bytes that follow
    auto cb = c.take();
    reader r(cb.data(), cb.size());
    CHECK_THROWS_WITH(r.count(8, "buckets"), Catch::Contains("count of buckets"));
  }
  {
    reader r(b.data(), b.size());
    r.header(type_id::moments, "moments", 2);
    r.expect_end();
    reader r2(nullptr, 5);
    CHECK_THROWS_AS(r2.u8(), deserialize_error);
  }
}

TEST_CASE("checked: counters throw instead of wrapping", "[overflow]") {
  constexpr auto umax = std::numeric_limits<std::uint64_t>::max();
  CHECK(checked_add(umax - 1, std::uint64_t{1}) == umax);
  CHECK_THROWS_AS(checked_add(umax, std::uint64_t{1}), std::overflow_error);
  constexpr auto imax = std::numeric_limits<std::int64_t>::max();
  CHECK_THROWS_AS(checked_add(imax, std::int64_t{1}), std::overflow_error);
  CHECK_THROWS_AS(checked_mul(imax, std::int64_t{2}), std::overflow_error);
  CHECK(checked_mul(std::int64_t{-3}, std::int64_t{4}) == -12);
}
