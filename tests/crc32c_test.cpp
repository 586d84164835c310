// SPDX-License-Identifier: Apache-2.0
// CRC32C (core/crc32c.hpp), the checksum of the serialized frame: the
// standard check value, the RFC 3720 (iSCSI) B.4 vectors, and every length
// and alignment against a bit-at-a-time reference.
#include "csmetrics/core/crc32c.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

using csmetrics::detail::crc32c;

namespace {

std::uint32_t bitwise(const std::vector<std::uint8_t>& v) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::uint8_t b : v) {
    c ^= b;
    for (int i = 0; i < 8; ++i) c = (c & 1u) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
  }
  return ~c;
}

}  // namespace

TEST_CASE("crc32c: the check value and RFC 3720 B.4", "[crc32c]") {
  const std::string check = "123456789";
  CHECK(crc32c(check.data(), check.size()) == 0xE3069283u);
  CHECK(crc32c(nullptr, 0) == 0u);
  std::vector<std::uint8_t> b(32, 0x00);
  CHECK(crc32c(b.data(), b.size()) == 0x8A9136AAu);  // 32 bytes of zeros
  b.assign(32, 0xFF);
  CHECK(crc32c(b.data(), b.size()) == 0x62A8AB43u);  // 32 bytes of ones
  for (int i = 0; i < 32; ++i) b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
  CHECK(crc32c(b.data(), b.size()) == 0x46DD794Eu);  // 32 incrementing bytes
  for (int i = 0; i < 32; ++i) b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(31 - i);
  CHECK(crc32c(b.data(), b.size()) == 0x113FDB5Cu);  // 32 decrementing bytes
  const std::vector<std::uint8_t> read_pdu{  // an iSCSI SCSI Read (10) command PDU
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
      0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  CHECK(crc32c(read_pdu.data(), read_pdu.size()) == 0xD9963A56u);
}

TEST_CASE("crc32c: every length and alignment, and in pieces", "[crc32c]") {
  std::mt19937_64 rng(22);
  std::vector<std::uint8_t> data(300);
  for (auto& b : data) b = static_cast<std::uint8_t>(rng());
  for (std::size_t start = 0; start < 8; ++start)
    for (std::size_t n = 0; start + n <= data.size(); n += 1 + n / 16) {
      const std::vector<std::uint8_t> part(data.begin() + static_cast<std::ptrdiff_t>(start),
                                           data.begin() + static_cast<std::ptrdiff_t>(start + n));
      REQUIRE(crc32c(data.data() + start, n) == bitwise(part));
    }
  for (std::size_t cut = 0; cut <= data.size(); cut += 7)
    CHECK(crc32c(data.data() + cut, data.size() - cut, crc32c(data.data(), cut)) == bitwise(data));
}
