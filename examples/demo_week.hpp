// SPDX-License-Identifier: Apache-2.0
// File: examples/demo_week.hpp
//
// The demo week of shop_report: one shop's customer-service week, 1-7 Sept
// 2019 (UTC+8), generated deterministically as an event-log CSV
// (../shared/EVENTS.md) so it travels the same path as a real export. It is
// built to reproduce the source's worked numbers exactly:
//   3873 buyers inquired, 2028 recorded as lost, 1808 ordered the same day and
//   1845 within 3 days (47.64 %); 1855 buyers ordered (the 1845 plus 10 silent
//   orders), 1697 of them paid (91.48 %);
// with agents whose response times sit around the source's 39-66 s averages,
// payment reminders, refunds, disputes, and 180 days of DSR and review
// history. Randomness is a fixed-seed splitmix64 with our own distributions
// (std:: distributions differ between standard libraries).
#ifndef CSMETRICS_EXAMPLES_DEMO_WEEK_HPP_
#define CSMETRICS_EXAMPLES_DEMO_WEEK_HPP_

#include <algorithm>  // std::stable_sort
#include <cmath>      // std::log, std::sqrt, std::cos, std::exp
#include <cstdint>    // std::int64_t, std::uint64_t
#include <cstdio>     // std::snprintf
#include <string>     // std::string
#include <vector>     // std::vector

#include "csmetrics/core/time.hpp"

namespace demo {

/// Figures the demo week is built to reproduce (the source's worked week).
struct demo_targets {
  static constexpr int inquired = 3873;
  static constexpr int ordered_same_day = 1808;
  static constexpr int ordered_final = 1845;
  static constexpr int silent_orderers = 10;  // 1845 + 10 = 1855 ordering buyers
  static constexpr int paid = 1697;
};

class demo_week_builder {
 public:
  std::string csv() {
    build();
    std::stable_sort(rows_.begin(), rows_.end(), [](const row& a, const row& b) { return a.t < b.t; });
    std::string out = "time,type,shop,buyer,agent,order,amount,score,tag\n";
    out.reserve(rows_.size() * 72);
    for (const row& r : rows_) {
      out += rfc3339_utc8(r.t);
      out += ',';
      out += r.rest;
      out += '\n';
    }
    return out;
  }

 private:
  struct row {
    std::int64_t t;  // ms since the epoch
    std::string rest;
  };
  static constexpr const char* shop = "tmall-demo";
  static constexpr std::int64_t sec = 1000, minute = 60 * sec, hour = 60 * minute, day = 24 * hour;

  // --- deterministic randomness -------------------------------------------
  std::uint64_t state_ = 20190901;
  std::uint64_t next() {  // splitmix64
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
  std::int64_t between(std::int64_t lo, std::int64_t hi) {  // [lo, hi]
    return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  bool chance(double p) { return uniform() < p; }
  double normal() {  // Box-Muller
    double u1 = uniform(), u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  double lognormal(double median, double sigma) { return median * std::exp(sigma * normal()); }
  template <class T>
  void shuffle(std::vector<T>& v) {  // Fisher-Yates with our own generator
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[static_cast<std::size_t>(next() % i)]);
  }

  // --- rows ------------------------------------------------------------------
  void add(std::int64_t t, const char* type, const std::string& buyer, const std::string& agent = "",
           const std::string& order = "", const std::string& amount = "", int score = 0, const std::string& tag = "") {
    std::string rest = type;
    const std::string* fields[] = {&shop_s_, &buyer, &agent, &order, &amount};
    for (const std::string* f : fields) {
      rest += ',';
      rest += *f;
    }
    rest += ',';
    if (score) rest += std::to_string(score);
    rest += ',';
    rest += tag;
    rows_.push_back(row{t, std::move(rest)});
  }
  static std::string cents(std::int64_t c) {
    char b[32];
    std::snprintf(b, sizeof b, "%lld.%02lld", static_cast<long long>(c / 100), static_cast<long long>(c % 100));
    return b;
  }
  static std::string rfc3339_utc8(std::int64_t ms) {
    std::int64_t local = ms + 8 * hour;
    std::int64_t d = local >= 0 ? local / day : (local - day + 1) / day;
    std::int64_t in_day = local - d * day;
    csmetrics::civil_date c = csmetrics::civil_from_days(d);
    char b[48];
    int h = static_cast<int>(in_day / hour), m = static_cast<int>(in_day / minute % 60),
        s = static_cast<int>(in_day / sec % 60), f = static_cast<int>(in_day % sec);
    if (f)
      std::snprintf(b, sizeof b, "%04d-%02u-%02uT%02d:%02d:%02d.%03d+08:00", c.year, c.month, c.day, h, m, s, f);
    else
      std::snprintf(b, sizeof b, "%04d-%02u-%02uT%02d:%02d:%02d+08:00", c.year, c.month, c.day, h, m, s);
    return b;
  }
  static std::string id(char prefix, int n) {
    char b[16];
    std::snprintf(b, sizeof b, "%c%05d", prefix, n);
    return b;
  }

  // One agent's reply delay: lognormal around the agent's median, heavy tail.
  std::int64_t reply_delay(int agent) {
    static constexpr double medians[] = {28.0, 34.0, 44.0, 52.0};
    double s = lognormal(medians[agent], 0.6);
    if (chance(0.02)) s *= 6;  // the occasional very slow answer
    if (s < 2) s = 2;
    return static_cast<std::int64_t>(s * 1000);
  }

  void build() {
    static const char* const agents[] = {"xiaomei", "ajie", "lili", "dawei"};
    static const char* const reasons[] = {"price",     "response_time", "product_knowledge", "attitude",
                                          "logistics", "after_sales",   "other"};
    const std::int64_t week0 = (csmetrics::days_from_civil(2019, 9, 1) * day) - 8 * hour;  // 00:00 UTC+8
    const std::int64_t week_end = week0 + 7 * day;

    // Who does what: a shuffled assignment of outcomes to the 3873 buyers.
    const int n = demo_targets::inquired;
    std::vector<int> outcome(n, 0);  // 0 lost, 1 same-day order, 2 later order
    for (int i = 0; i < demo_targets::ordered_same_day; ++i) outcome[i] = 1;
    for (int i = 0; i < demo_targets::ordered_final - demo_targets::ordered_same_day; ++i)
      outcome[demo_targets::ordered_same_day + i] = 2;
    shuffle(outcome);

    struct order_info {
      std::int64_t t;
      std::string buyer, order;
      std::int64_t amount;
    };
    std::vector<order_info> orders;
    int order_seq = 0;

    for (int i = 0; i < n; ++i) {
      const std::string buyer = id('b', i);
      // Later orderers inquire in the first four days, so their order falls inside the week.
      int d = outcome[i] == 2 ? static_cast<int>(i % 4) : static_cast<int>(i % 7);
      std::int64_t t = week0 + d * day + between(9 * hour, 21 * hour);
      for (int v = static_cast<int>(between(1, 3)); v > 0; --v) add(t - between(1, 30) * minute, "visit", buyer);
      int agent = static_cast<int>(next() % 4);
      bool auto_reply = chance(0.3);
      int turns = static_cast<int>(between(1, 3));
      std::int64_t last = t;
      for (int turn = 0; turn < turns; ++turn) {
        int burst = static_cast<int>(between(1, 3));
        std::int64_t bt = last;
        std::int64_t first = bt;
        for (int m = 0; m < burst; ++m) {
          add(bt, "buyer_msg", buyer, agents[agent]);
          if (turn == 0 && m == 0 && auto_reply) add(bt + 1500, "auto_msg", buyer);
          bt += between(3, 20) * sec;
        }
        if (chance(0.006)) {  // never answered: reply rate below 100 %
          last = bt;
          break;
        }
        if (turn > 0 && chance(0.08)) agent = (agent + 1) % 4;  // hand-off
        std::int64_t rt = std::max(first + reply_delay(agent), bt);
        int replies = static_cast<int>(between(1, 3));
        for (int r = 0; r < replies; ++r, rt += between(5, 40) * sec) add(rt, "agent_msg", buyer, agents[agent]);
        last = rt + between(30, 300) * sec;
      }
      if (chance(0.93)) {
        add(last, "invite", buyer, agents[agent]);
        if (chance(0.6)) {
          // One draw per statement: the order of a call's arguments is the
          // compiler's choice (g++ and clang drew these two differently).
          const int score = chance(0.86) ? static_cast<int>(between(4, 5)) : static_cast<int>(between(1, 3));
          add(last + between(1, 60) * minute, "vote", buyer, agents[agent], "", "", score);
        }
      }
      if (outcome[i] == 0) {
        add(last + minute, "lost", buyer, agents[agent], "", "", 0, reasons[next() % 7]);
        continue;
      }
      std::int64_t ot;
      if (outcome[i] == 1) {
        std::int64_t day_end = week0 + (d + 1) * day - sec;
        ot = std::min(last + between(2, 90) * minute, day_end);
      } else {
        ot = week0 + (d + between(1, 2)) * day + between(9 * hour, 21 * hour);
      }
      std::int64_t amount = static_cast<std::int64_t>(lognormal(160.0, 0.45) * 100);
      orders.push_back(order_info{ot, buyer, id('o', order_seq++), amount});
    }
    for (int i = 0; i < demo_targets::silent_orderers; ++i) {
      const std::string buyer = id('s', i);
      std::int64_t ot = week0 + (i % 6) * day + between(10 * hour, 20 * hour);
      add(ot - between(1, 20) * minute, "visit", buyer);
      orders.push_back(order_info{ot, buyer, id('o', order_seq++),
                                  static_cast<std::int64_t>(lognormal(125.0, 0.45) * 100)});
    }
    // Traffic that never asked anything.
    for (int v = 0; v < 15000; ++v) {
      std::string visitor = id('v', v);
      for (int k = static_cast<int>(between(1, 3)); k > 0; --k) add(week0 + between(0, 7 * day - 1), "visit", visitor);
    }

    // Payments: exactly `paid` of the ordering buyers pay within hours.
    std::vector<int> pays(orders.size(), 0);
    for (int i = 0; i < demo_targets::paid; ++i) pays[static_cast<std::size_t>(i)] = 1;
    shuffle(pays);
    std::vector<std::int64_t> paid_at;
    for (std::size_t i = 0; i < orders.size(); ++i) {
      const order_info& o = orders[i];
      add(o.t, "order", o.buyer, "", o.order, cents(o.amount));
      bool reminded = chance(0.2);
      std::int64_t pt = o.t + between(1, 240) * minute;
      if (reminded) {
        std::int64_t rt = o.t + between(30, 90) * minute;
        const char* script = chance(0.5) ? "script_a" : "script_b";  // drawn first, as g++ did
        add(rt, "reminder", "", agents[next() % 4], o.order, "", 0, script);
        pt = rt + between(5, 600) * minute;
      }
      if (!pays[i]) {
        if (chance(0.5)) add(o.t + between(2, 40) * hour, "cancel", "", "", o.order);
        continue;
      }
      pt = std::min(pt, week_end - sec);
      if (pt < o.t) pt = o.t;
      add(pt, "payment", o.buyer, "", o.order, cents(o.amount));
      if (chance(0.03)) add(std::min(pt + between(1, 48) * hour, week_end - sec), "refund", "", "", o.order,
                            cents(o.amount / 2));
      if (chance(0.004)) add(std::min(pt + between(1, 48) * hour, week_end - sec), "dispute", "", "", o.order);
    }

    // 180 days of DSR and after-sales reviews, the last week included.
    static const char* const dims[] = {"item", "service", "logistics"};
    for (std::int64_t dd = -173; dd < 7; ++dd) {
      int per_day = static_cast<int>(between(20, 40));
      for (int k = 0; k < per_day; ++k) {
        std::int64_t t = week0 + dd * day + between(8 * hour, 23 * hour);
        for (int dim = 0; dim < 3; ++dim) {
          double p5 = dim == 2 ? 0.72 : 0.8;  // logistics scores lower, as it usually does
          int s = chance(p5) ? 5 : chance(0.7) ? 4 : static_cast<int>(between(1, 3));
          add(t, "dsr", "", "", "", "", s, dims[dim]);
        }
        if (chance(0.5)) add(t + minute, "review", "", "", "", "", chance(0.88) ? static_cast<int>(between(4, 5))
                                                                             : static_cast<int>(between(1, 3)));
      }
    }
  }

  std::string shop_s_ = shop;
  std::vector<row> rows_;
};

/// The demo week as an event-log CSV, header included.
inline std::string demo_week_csv() { return demo_week_builder().csv(); }

}  // namespace demo

#endif  // CSMETRICS_EXAMPLES_DEMO_WEEK_HPP_
