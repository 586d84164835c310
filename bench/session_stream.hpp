// SPDX-License-Identifier: Apache-2.0
// File: bench/session_stream.hpp
//
// The chat stream the sessions benchmarks feed (sessions_bench,
// service_calendar_bench): every conversation gets a burst of two buyer
// messages, a reply, a second question and two replies (6 messages),
// interleaved over all conversations so they are all open at once; 1000
// shops, 8 agents each. Step k of every conversation comes `step` after
// step k - 1, spread over 50 s.
#ifndef CSMETRICS_BENCH_SESSION_STREAM_HPP_
#define CSMETRICS_BENCH_SESSION_STREAM_HPP_

#include <algorithm>  // std::shuffle
#include <cstddef>    // std::size_t
#include <chrono>     // std::chrono::microseconds
#include <cstdint>    // std::uint64_t, std::int64_t
#include <random>     // std::mt19937_64
#include <vector>     // std::vector

#include "csmetrics/core/time.hpp"

namespace csmetrics {
namespace bench {

struct session_msg {
  bool buyer;
  std::uint64_t shop, buyer_id, agent;
  timestamp t;
};

inline std::vector<session_msg> session_stream(std::size_t conversations, timestamp start,
                                               duration step) {
  std::mt19937_64 rng(1);
  std::vector<std::uint64_t> order(conversations);
  for (std::size_t i = 0; i < conversations; ++i) order[i] = i;
  std::vector<session_msg> out;
  out.reserve(6 * conversations);
  const bool pattern[6] = {true, true, false, true, false, false};
  for (int k = 0; k < 6; ++k) {
    std::shuffle(order.begin(), order.end(), rng);
    for (std::size_t j = 0; j < conversations; ++j) {
      const std::uint64_t c = order[j];
      const timestamp t =
          start + step * k + std::chrono::microseconds{static_cast<std::int64_t>(j * 50'000'000 / conversations)};
      out.push_back(session_msg{pattern[k], c % 1000, c * 7919 + 13, 1000 * (c % 1000) + (c / 1000) % 8, t});
    }
  }
  return out;
}

}  // namespace bench
}  // namespace csmetrics

#endif  // CSMETRICS_BENCH_SESSION_STREAM_HPP_
