// SPDX-License-Identifier: Apache-2.0
// csmetrics/sessions/sessions.hpp on the real Twitter customer-support log
// (../shared/data/twcs-events.csv: 105 companies as shops, UTC), checked
// against an independent computation written here: per-shop message counts,
// conversations, the exact response samples (count, sum, median) and the
// sketch's p50/p90/p99 within its relative-error bound.
#include "csmetrics/sessions/sessions.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "support.hpp"

using namespace csmetrics;

namespace {

struct row {
  timestamp t;
  bool buyer;  // else agent
  std::string shop, buyer_id, agent;
};

/// "2013-05-16T04:52:22Z" (the file's only form); empty on anything else.
std::optional<timestamp> parse_utc(const std::string& s) {
  if (s.size() != 20 || s[10] != 'T' || s[19] != 'Z') return std::nullopt;
  auto d = parse_day(s.substr(0, 10));
  if (!d) return std::nullopt;
  const int h = std::stoi(s.substr(11, 2)), m = std::stoi(s.substr(14, 2)), sec = std::stoi(s.substr(17, 2));
  return day_start(*d, utc_offset::utc()) + std::chrono::hours{h} + std::chrono::minutes{m} +
         std::chrono::seconds{sec};
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> f;
  std::string cur;
  for (char c : line) {
    if (c == ',') {
      f.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  f.push_back(cur);
  return f;
}

/// The session rules again, written plainly: strings keys, std::map.
struct reference {
  std::int64_t gap_us = 10LL * 60 * 1000000, wait_us = 24LL * 3600 * 1000000;
  struct conv {
    bool waiting = false;
    std::int64_t clock = 0, last = 0;
  };
  std::map<std::string, conv> convs;
  std::vector<std::int64_t> samples;
  std::uint64_t conversations = 0, unanswered = 0;
  static std::int64_t day(std::int64_t us) { return us >= 0 ? us / 86400000000LL : -1; }
  bool fresh(const conv& c, std::int64_t t) const { return t - c.last > gap_us || day(t) != day(c.last); }
  void expire(conv& c, std::int64_t t) {
    if (c.waiting && t - c.clock > wait_us) {
      c.waiting = false;
      ++unanswered;
    }
  }
  void add(const row& r) {
    const std::int64_t t = r.t.time_since_epoch().count();
    const std::string key = r.shop + '\x1f' + r.buyer_id;
    auto it = convs.find(key);
    if (r.buyer) {
      if (it == convs.end()) {
        it = convs.emplace(key, conv{}).first;
        ++conversations;
      } else {
        expire(it->second, t);
        if (!it->second.waiting && fresh(it->second, t)) ++conversations;
      }
      if (!it->second.waiting) it->second.clock = t;
      it->second.waiting = true;
      it->second.last = t;
    } else if (it != convs.end()) {
      expire(it->second, t);
      if (!it->second.waiting && fresh(it->second, t)) return;
      if (it->second.waiting) samples.push_back(t - it->second.clock);
      it->second.waiting = false;
      it->second.last = t;
    }
  }
  void finish(std::int64_t t) {
    for (auto& kv : convs) expire(kv.second, t);
  }
};

}  // namespace

TEST_CASE("sessions: Twitter customer support log against an independent computation", "[sessions][twcs]") {
  CSM_REQUIRE_SHARED(path, "twcs-events.csv");
  std::ifstream in(path);
  REQUIRE(in);
  std::string line;
  std::getline(in, line);
  REQUIRE(line.rfind("time,type,shop,buyer,agent", 0) == 0);
  std::vector<row> rows;
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> counts;  // shop -> buyer, agent msgs
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto f = split(line);
    REQUIRE(f.size() == 9);
    auto t = parse_utc(f[0]);
    REQUIRE(t);
    REQUIRE((f[1] == "buyer_msg" || f[1] == "agent_msg"));
    const bool buyer = f[1] == "buyer_msg";
    rows.push_back(row{*t, buyer, f[2], f[3], f[4]});
    (buyer ? counts[f[2]].first : counts[f[2]].second) += 1;
  }
  REQUIRE(rows.size() == 86607);
  // the file is grouped by conversation, not sorted: sort by time, keeping
  // the file order of equal times (a question before its reply)
  std::stable_sort(rows.begin(), rows.end(), [](const row& a, const row& b) { return a.t < b.t; });

  session_options opt;
  opt.offset = utc_offset::utc();
  sessions<std::string, std::string, std::string> s(opt);
  reference ref;
  for (const row& r : rows) {
    if (r.buyer)
      s.buyer_message(r.shop, r.buyer_id, r.t);
    else
      s.agent_message(r.shop, r.buyer_id, r.agent, r.t);
    ref.add(r);
  }
  const timestamp end = rows.back().t + std::chrono::hours{48};
  s.flush(end);
  ref.finish(end.time_since_epoch().count());

  CHECK(s.rejected() == 0);
  CHECK(s.open_conversations() == 0);
  CHECK(counts.size() == 105);
  for (const auto& [shop, c] : counts) {
    const auto st = s.shop(shop);
    INFO("shop " << shop);
    CHECK(st.buyer_messages() == c.first);
    CHECK(st.agent_messages() == c.second);
  }
  const auto total = s.total();
  CHECK(total.buyer_messages() == 42119);
  CHECK(total.agent_messages() == 44488);
  CHECK(total.conversations() == ref.conversations);
  CHECK(total.unanswered() == ref.unanswered);
  REQUIRE(total.response().count() == ref.samples.size());
  std::int64_t sum = 0;
  for (auto x : ref.samples) sum += x;
  CHECK(total.response().total().count() == sum);
  std::vector<std::int64_t> sorted = ref.samples;
  std::sort(sorted.begin(), sorted.end());
  const double acc = opt.relative_accuracy;
  for (double q : {0.5, 0.9, 0.99}) {
    const auto rank = static_cast<std::size_t>(std::floor(q * static_cast<double>(sorted.size() - 1)));
    const double exact = static_cast<double>(sorted[rank]) / 1e6;
    const double est = *total.response().quantile(q);
    INFO("q " << q << " exact " << exact << " sketch " << est);
    CHECK(std::abs(est - exact) <= acc * exact + 1e-9);
  }
  // exact median of the samples (the mean of the middle two for even n)
  const std::size_t n = sorted.size();
  const double median = n % 2 ? sorted[n / 2] / 1e6 : (sorted[n / 2 - 1] + sorted[n / 2]) / 2e6;
  CHECK(std::abs(*total.response().quantile(0.5) - median) <= acc * median + 1.0);
  const auto within = total.response().within();
  CHECK(within.successes() ==
        static_cast<std::uint64_t>(std::count_if(sorted.begin(), sorted.end(), [](std::int64_t x) {
          return x <= 45000000;
        })));
  WARN("twcs: " << total.conversations() << " conversations, " << n << " responses, median " << median
                << " s, p90 " << *total.response().quantile(0.9) << " s, within 45 s "
                << *within.rate() * 100 << " %, reply rate " << *total.reply_rate().rate() * 100
                << " %, answer ratio " << *total.answer_ratio() * 100 << " %");
}
