// SPDX-License-Identifier: Apache-2.0
// The property tests every accumulator gets (STYLE.md, "Tests"): split a
// stream anywhere and merge the parts; merge laws; serialize round trips;
// truncated and corrupted bytes are rejected or decode to a valid state.
#ifndef CSMETRICS_TESTS_SUPPORT_HPP_
#define CSMETRICS_TESTS_SUPPORT_HPP_

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/error.hpp"

namespace csm_test {

/// ../shared/data, or empty (the caller WARNs and returns: the test skips).
inline std::optional<std::string> shared_data(const std::string& file) {
  std::string path = std::string(CSMETRICS_SHARED_DIR) + "/data/" + file;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return path;
}

#define CSM_REQUIRE_SHARED(var, file)                                                         \
  auto var##_opt = ::csm_test::shared_data(file);                                           \
  if (!var##_opt) {                                                                          \
    WARN("SKIPPED: " << CSMETRICS_SHARED_DIR << "/data/" << file                          \
                     << " is absent (the shared/ folder is not beside the project)");      \
    return;                                                                                  \
  }                                                                                          \
  const std::string var = *var##_opt

/// Feeds `events` split at `parts - 1` random points into separate
/// accumulators made by `make`, merges them in a random order and checks the
/// result equals one accumulator fed everything. `add(acc, event)` feeds one.
template <class Make, class Event, class Add>
void check_split_merge(Make make, const std::vector<Event>& events, Add add, std::mt19937_64& rng,
                       int parts = 4) {
  auto whole = make();
  for (const auto& e : events) add(whole, e);
  std::vector<std::size_t> cuts{0, events.size()};
  std::uniform_int_distribution<std::size_t> at(0, events.size());
  for (int i = 1; i < parts; ++i) cuts.push_back(at(rng));
  std::sort(cuts.begin(), cuts.end());
  std::vector<decltype(make())> pieces;
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
    pieces.push_back(make());
    for (std::size_t j = cuts[i]; j < cuts[i + 1]; ++j) add(pieces.back(), events[j]);
  }
  std::shuffle(pieces.begin(), pieces.end(), rng);
  auto merged = make();
  for (const auto& p : pieces) merged.merge(p);
  CHECK(merged == whole);
}

/// a+b == b+a, (a+b)+c == a+(b+c), a+empty == a.
template <class Acc>
void check_merge_laws(const Acc& a, const Acc& b, const Acc& c, const Acc& empty) {
  const auto merged = [](const Acc& x, const Acc& y) {  // x + y, leaving both as they are
    Acc sum = x;
    sum.merge(y);
    return sum;
  };
  CHECK(merged(a, b) == merged(b, a));
  CHECK(merged(merged(a, b), c) == merged(a, merged(b, c)));
  CHECK(merged(a, empty) == a);
  CHECK(merged(empty, a) == a);
}

/// serialize -> deserialize gives an equal state and the same bytes.
template <class Acc>
void check_round_trip(const Acc& acc) {
  std::vector<std::uint8_t> bytes = acc.serialize();
  Acc back = Acc::deserialize(bytes.data(), bytes.size());
  CHECK(back == acc);
  CHECK(back.serialize() == bytes);
}

/// Every truncated prefix throws deserialize_error; so does a trailing byte;
/// `corruptions` random byte flips either throw deserialize_error or decode to
/// a state that serializes again (a valid state) - never a crash (the
/// sanitizer builds run this).
template <class Acc>
void check_corruption(const Acc& acc, std::mt19937_64& rng, int corruptions = 1000) {
  std::vector<std::uint8_t> bytes = acc.serialize();
  for (std::size_t n = 0; n < bytes.size(); ++n)
    CHECK_THROWS_AS(Acc::deserialize(bytes.data(), n), csmetrics::deserialize_error);
  std::vector<std::uint8_t> longer = bytes;
  longer.push_back(0);
  CHECK_THROWS_AS(Acc::deserialize(longer.data(), longer.size()), csmetrics::deserialize_error);
  std::uniform_int_distribution<std::size_t> pos(0, bytes.size() - 1);
  std::uniform_int_distribution<int> val(0, 255);
  int rejected = 0;
  for (int i = 0; i < corruptions; ++i) {
    std::vector<std::uint8_t> bad = bytes;
    int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) bad[pos(rng)] = static_cast<std::uint8_t>(val(rng));
    try {
      Acc back = Acc::deserialize(bad.data(), bad.size());
      std::vector<std::uint8_t> again = back.serialize();  // a valid state re-serializes
      Acc twice = Acc::deserialize(again.data(), again.size());
      CHECK(twice == back);
    } catch (const csmetrics::deserialize_error&) {
      ++rejected;
    }
  }
  CHECK(rejected > 0);  // the header alone guarantees some rejections
}

/// `acc`'s bare bytes (its own header and payload) without the checksummed
/// frame serialize() puts around them (core/serde.hpp): for tests that
/// spell out or edit a type's layout.
template <class Acc>
std::vector<std::uint8_t> bare(const Acc& acc) {
  const std::vector<std::uint8_t> framed = acc.serialize();
  const csmetrics::detail::framed_payload p = csmetrics::detail::unframe(framed.data(), framed.size());
  return std::vector<std::uint8_t>(p.data, p.data + p.size);
}

/// Reads a golden file from tests/data, or empty if it is not there.
inline std::vector<std::uint8_t> read_golden(const std::string& name) {
  std::ifstream in(std::string(CSMETRICS_TEST_DATA_DIR) + "/" + name, std::ios::binary);
  return std::vector<std::uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// Compares `acc`'s bare bytes (a type's own format) with tests/data/<name>,
/// or its whole serialize() frame when `framed`. Set CSMETRICS_WRITE_GOLDEN=1
/// to (re)write a golden file once, deliberately, when a format is added.
template <class Acc>
void check_golden(const Acc& acc, const std::string& name, bool framed = false) {
  std::vector<std::uint8_t> bytes = framed ? acc.serialize() : bare(acc);
  if (const char* w = std::getenv("CSMETRICS_WRITE_GOLDEN"); w && std::string(w) == "1") {
    std::ofstream out(std::string(CSMETRICS_TEST_DATA_DIR) + "/" + name, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  std::vector<std::uint8_t> golden = read_golden(name);
  INFO("golden file tests/data/" << name);
  REQUIRE(!golden.empty());
  CHECK(golden == bytes);
  Acc back = Acc::deserialize(golden.data(), golden.size());
  CHECK(back == acc);
}

}  // namespace csm_test

#endif  // CSMETRICS_TESTS_SUPPORT_HPP_
