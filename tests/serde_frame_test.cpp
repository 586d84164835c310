// SPDX-License-Identifier: Apache-2.0
// The checksummed frame (format v2, core/serde.hpp) around every top-level
// state: serialize() writes it and round-trips; the golden v2 files
// (tests/data/*_frame_v2.bin) stay readable byte for byte; every single-bit
// flip and every truncation of them is a deserialize_error, never a crash or
// another state; bare v1 files still load.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "csmetrics/core/crc32c.hpp"
#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/moments.hpp"
#include "csmetrics/core/money.hpp"
#include "csmetrics/core/quantile_sketch.hpp"
#include "csmetrics/core/rate.hpp"
#include "csmetrics/shop_metrics.hpp"
#include "support.hpp"

using namespace csmetrics;

namespace {

std::uint64_t le(const std::vector<std::uint8_t>& b, std::size_t at, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(b[at + static_cast<std::size_t>(i)]) << (8 * i);
  return v;
}

/// The golden shop_metrics: the v1 golden state, as this build writes it.
shop_metrics golden_shop() {
  const std::vector<std::uint8_t> v1 = csm_test::read_golden("shop_metrics_v1.bin");
  REQUIRE(!v1.empty());
  return shop_metrics::deserialize(v1.data(), v1.size());
}

/// Every single-bit flip, every truncation and a trailing byte are refused.
template <class Acc>
void check_hardened(const std::string& name) {
  const std::vector<std::uint8_t> good = csm_test::read_golden(name);
  INFO("golden file tests/data/" << name);
  REQUIRE(!good.empty());
  for (std::size_t bit = 0; bit < good.size() * 8; ++bit) {
    std::vector<std::uint8_t> bad = good;
    bad[bit / 8] = static_cast<std::uint8_t>(bad[bit / 8] ^ (1u << (bit % 8)));
    INFO("bit " << bit);
    CHECK_THROWS_AS(Acc::deserialize(bad.data(), bad.size()), deserialize_error);
  }
  for (std::size_t n = 0; n < good.size(); ++n) CHECK_THROWS_AS(Acc::deserialize(good.data(), n), deserialize_error);
  std::vector<std::uint8_t> longer = good;
  longer.push_back(0);
  CHECK_THROWS_AS(Acc::deserialize(longer.data(), longer.size()), deserialize_error);
}

}  // namespace

TEST_CASE("frame: serialize() writes format v2 around the type's bytes", "[serde][frame]") {
  const rate_counter r(1845, 3873);
  const std::vector<std::uint8_t> b = r.serialize();
  const std::vector<std::uint8_t> inner = csm_test::bare(r);
  REQUIRE(b.size() == detail::frame_bytes + inner.size());
  CHECK(b[0] == 'C');
  CHECK(b[1] == 'S');
  CHECK(le(b, 2, 2) == 0xFFFF);  // type_id::frame
  CHECK(b[4] == 2);              // frame version
  CHECK(b[5] == 0);              // flags
  CHECK(le(b, 6, 8) == inner.size());
  CHECK(std::vector<std::uint8_t>(b.begin() + 14, b.end() - 4) == inner);
  CHECK(inner[2] == 1);  // the type's own header inside: rate, version 1
  CHECK(le(b, b.size() - 4, 4) == detail::crc32c(b.data(), b.size() - 4));
  csm_test::check_round_trip(r);
  csm_test::check_round_trip(golden_shop());
}

TEST_CASE("frame: only the outermost state is framed", "[serde][frame]") {
  const std::vector<std::uint8_t> b = golden_shop().serialize();
  int frames = 0;
  for (std::size_t i = 0; i + 4 <= b.size(); ++i)
    frames += b[i] == 'C' && b[i + 1] == 'S' && b[i + 2] == 0xFF && b[i + 3] == 0xFF;
  CHECK(frames == 1);
}

TEST_CASE("frame: golden v2 files", "[serde][frame][golden]") {
  csm_test::check_golden(rate_counter(1845, 3873), "rate_frame_v2.bin", true);
  csm_test::check_golden(golden_shop(), "shop_metrics_frame_v2.bin", true);  // shop_metrics v3 inside
  // The frame around shop_metrics v2 (before refused counts) still reads.
  const std::vector<std::uint8_t> old = csm_test::read_golden("shop_metrics_v2_frame_v2.bin");
  REQUIRE(!old.empty());
  CHECK(shop_metrics::deserialize(old.data(), old.size()) == golden_shop());
}

TEST_CASE("frame: every bit flip and truncation of a v2 golden file is refused", "[serde][frame][golden]") {
  check_hardened<rate_counter>("rate_frame_v2.bin");
  check_hardened<shop_metrics>("shop_metrics_frame_v2.bin");
}

TEST_CASE("frame: errors name what is wrong", "[serde][frame]") {
  const std::vector<std::uint8_t> good = rate_counter(1, 2).serialize();
  auto rejects = [](const std::vector<std::uint8_t>& b, const char* what) {
    INFO(what);
    CHECK_THROWS_WITH(rate_counter::deserialize(b.data(), b.size()), Catch::Contains(what));
  };
  auto b = good;
  b[15] ^= 0x01;  // in the payload
  rejects(b, "checksum mismatch");
  b = good;
  b.back() ^= 0x80;  // in the CRC itself
  rejects(b, "checksum mismatch");
  b = good;
  b[4] = 1;
  rejects(b, "expected frame version 2, found 1");
  b[4] = 3;
  rejects(b, "unsupported format version 3");
  b = good;
  b[5] = 1;
  rejects(b, "expected flags 0, found 1");
  b = good;
  b[6] = static_cast<std::uint8_t>(b[6] + 1);
  rejects(b, "truncated: the payload is");
  b[6] = static_cast<std::uint8_t>(b[6] - 2);
  rejects(b, "trailing bytes after the checksum");
  b = good;
  b[2] = 0xFE;  // no longer a frame: read as bare bytes of an unknown type
  rejects(b, "expected type id 1, found 65534");
  // A frame around another type's state.
  const std::vector<std::uint8_t> m = money_sum().serialize();
  rejects(m, "expected type id 1, found 3");
}

TEST_CASE("frame: bare v1 files still load", "[serde][frame][golden]") {
  auto reads = [](auto tag, const std::string& name) {
    using Acc = decltype(tag);
    const std::vector<std::uint8_t> v1 = csm_test::read_golden(name);
    INFO("golden file tests/data/" << name);
    REQUIRE(!v1.empty());
    const Acc acc = Acc::deserialize(v1.data(), v1.size());
    CHECK(csm_test::bare(acc) == v1);  // the same state; written again in a frame
    const std::vector<std::uint8_t> v2 = acc.serialize();
    CHECK(v2.size() == v1.size() + detail::frame_bytes);
  };
  reads(rate_counter(), "rate_v1.bin");
  reads(money_sum(), "money_sum_v1.bin");
  reads(moments(), "moments_v1.bin");
  reads(quantile_sketch(), "quantile_sketch_v1.bin");
  const shop_metrics shop = golden_shop();  // shop_metrics v1 inside: read, written as this build's version
  CHECK(shop.serialize().size() > detail::frame_bytes);
}
