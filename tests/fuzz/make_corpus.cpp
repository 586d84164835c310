// SPDX-License-Identifier: Apache-2.0
// File: tests/fuzz/make_corpus.cpp
//
// Writes the seed corpus of deserialize_fuzz: a few small valid states of
// every type, each file the selector byte of deserialize_fuzz.cpp's table
// followed by the state's bytes. Run by hand when a type or a format is
// added:  fuzz_make_corpus tests/fuzz/corpus/deserialize
#include <chrono>    // std::chrono::seconds, minutes, hours
#include <cstdint>   // std::uint8_t, std::uint64_t
#include <cstdio>    // std::fprintf
#include <cstdlib>   // std::exit
#include <fstream>   // std::ofstream
#include <string>    // std::string
#include <vector>    // std::vector

#include "csmetrics/core/day_window.hpp"
#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/keyed.hpp"
#include "csmetrics/core/moments.hpp"
#include "csmetrics/core/money.hpp"
#include "csmetrics/orders/orders.hpp"
#include "csmetrics/core/quantile_sketch.hpp"
#include "csmetrics/core/rate.hpp"
#include "csmetrics/ratings/ratings.hpp"
#include "csmetrics/sales/sales.hpp"
#include "csmetrics/sessions/sessions.hpp"

using namespace csmetrics;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

std::string dir;
int written = 0;

// The selector bytes of deserialize_fuzz.cpp's `targets` table.
enum selector : std::uint8_t {
  s_rate, s_moments, s_money_sum, s_sketch, s_window_rate, s_window_sketch, s_keyed_str_rate,
  s_keyed_u64_moments, s_keyed_i64_sketch, s_response, s_session_stats, s_sessions, s_sessions_str,
  s_orders, s_string_orders, s_sales, s_string_sales, s_shop_ratings, s_ratings, s_ratings_str,
  s_keyed_u32_window_money,
};

template <class T>
void put(selector sel, const std::string& name, const T& acc) {
  const std::vector<std::uint8_t> framed = acc.serialize();
  if (!(T::deserialize(framed.data(), framed.size()) == acc)) {
    std::fprintf(stderr, "%s does not round-trip\n", name.c_str());
    std::exit(1);
  }
  // The bare type bytes, not the checksummed frame around them: mutations of
  // a frame mostly stop at its checksum, those of bare bytes reach the decoders.
  const detail::framed_payload bare = detail::unframe(framed.data(), framed.size());
  std::vector<std::uint8_t> bytes(bare.data, bare.data + bare.size);
  bytes.insert(bytes.begin(), static_cast<std::uint8_t>(sel));
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  ++written;
}

// 2019-09-01T00:00:00+08:00 plus `h` hours.
timestamp sept1(double h = 0) {
  return timestamp{seconds{1567267200}} + duration{static_cast<std::int64_t>(h * 3600e6)};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  dir = argv[1];

  put(s_rate, "rate_empty", rate_counter{});
  put(s_rate, "rate_1845_3873", rate_counter(1845, 3873));
  put(s_rate, "rate_max", rate_counter(~std::uint64_t{0}, ~std::uint64_t{0}));

  moments m;
  put(s_moments, "moments_empty", m);
  m.add(12.0);
  put(s_moments, "moments_one", m);
  for (double x : {45.5, 80.0, 3.25, 600.0, 1.0}) m.add(x);
  m.add(std::nan(""));
  m.add(1e200);
  put(s_moments, "moments_few", m);

  money_sum ms;
  put(s_money_sum, "money_sum_empty", ms);
  ms.add(money::parse("149.90"));
  ms.add(money::parse("0.5"));
  put(s_money_sum, "money_sum_two", ms);

  quantile_sketch q;
  put(s_sketch, "sketch_empty", q);
  for (double x : {0.0, 0.0005, 1.0, 12.5, 44.9, 45.0, 45.1, 60.0, 599.0, 3e6}) q.add(x);
  q.add(-1.0);
  q.add(std::nan(""));
  put(s_sketch, "sketch_few", q);
  quantile_sketch q2(0.001, {30.0, 45.0, 180.0});
  for (int i = 1; i <= 200; ++i) q2.add(static_cast<double>(i) * 1.7, static_cast<std::uint64_t>(i % 3 + 1));
  put(s_sketch, "sketch_three_thresholds", q2);

  day_window<rate_counter> wr(7);
  put(s_window_rate, "window_rate_empty", wr);
  wr.add(sept1(1), true);
  wr.add(sept1(30), false);
  wr.add(sept1(50), true);
  put(s_window_rate, "window_rate_three_days", wr);
  wr.add(sept1(-24 * 30), true);  // too old: counted
  day_window<rate_counter> wh(3, utc_offset(minutes{-300}), rate_counter{}, 2);
  wh.add(sept1(0), true);
  wh.add(sept1(100), true);
  put(s_window_rate, "window_rate_history_offset", wh);

  day_window<quantile_sketch> wq(30, utc_offset{}, quantile_sketch(0.02, {45.0}));
  wq.add(sept1(2), 30.0);
  wq.add(sept1(26), 50.0);
  put(s_window_sketch, "window_sketch", wq);

  keyed<std::string, rate_counter> kr;
  put(s_keyed_str_rate, "keyed_str_empty", kr);
  kr["reminder-a"].add(true);
  kr["reminder-b"].add(3, 10);
  kr[""].add(false);
  put(s_keyed_str_rate, "keyed_str_three", kr);

  keyed<std::uint64_t, moments> km;
  km[7].add(1.5);
  km[~std::uint64_t{0}].add(2.5);
  put(s_keyed_u64_moments, "keyed_u64_moments", km);

  keyed<std::int64_t, quantile_sketch> kq(quantile_sketch(0.05, {}));
  kq[-3].add(10.0);
  kq[4].add(100.0);
  put(s_keyed_i64_sketch, "keyed_i64_sketch", kq);

  response_stats rs;
  put(s_response, "response_empty", rs);
  for (int s : {3, 30, 44, 45, 46, 200, 3600}) rs.add(seconds{s});
  put(s_response, "response_few", rs);

  sessions<> ss;
  put(s_sessions, "sessions_empty", ss);
  ss.buyer_message(1, 100, sept1(9));
  ss.buyer_message(1, 100, sept1(9.01));
  ss.agent_message(1, 100, 7, sept1(9.02));
  ss.auto_message(1, 101, sept1(9.5));
  ss.buyer_message(1, 101, sept1(9.6), 8);
  ss.invite(1, 100, 7, sept1(9.1));
  ss.vote(1, 100, 7, 5, sept1(9.2));
  ss.vote(1, 100, 7, 9, sept1(9.3));  // rejected
  ss.agent_message(2, 200, 9, sept1(10));
  put(s_sessions, "sessions_open", ss);
  put(s_session_stats, "session_stats_total", ss.total());
  put(s_session_stats, "session_stats_empty", session_stats<>{});
  ss.flush(sept1(48));
  put(s_sessions, "sessions_flushed", ss);

  sessions<std::string, std::string, std::string> sst;
  sst.buyer_message("shop", "buyer", sept1(1));
  sst.agent_message("shop", "buyer", "agent", sept1(1.01));
  sst.buyer_message("shop", "b2", sept1(2));
  put(s_sessions_str, "sessions_str", sst);

  orders o;
  put(s_orders, "orders_empty", o);
  o.inquiry(1, 10, sept1(1));
  o.agent_reply(1, 10, 5, sept1(1.1));
  o.order(1, 10, 1000, money::parse("99.50"), std::nullopt, sept1(2));
  o.payment(1, 1000, money::parse("99.50"), std::nullopt, sept1(3));
  o.order(1, 11, 1001, std::nullopt, std::nullopt, sept1(4));
  o.reminder(1, 1001, 2, 5, sept1(5));
  o.payment(1, 2000, money::parse("5"), std::nullopt, sept1(5));  // held: unknown order
  o.order(1, 10, 1000, money::parse("99.50"), std::nullopt, sept1(6));  // duplicate
  o.lost(1, 12, 5, loss_reason::price, sept1(6));
  o.refund(1, 1000, money::parse("10"), sept1(7));
  o.dispute(1, 1000, sept1(8));
  put(s_orders, "orders_some", o);
  o.advance(sept1(24 * 10));
  put(s_orders, "orders_advanced", o);

  string_orders so;
  so.inquiry("s", "b", sept1(1));
  so.agent_reply("s", "b", "agent", sept1(1.5));
  so.order("s", "b", "o", money::parse("3"), std::nullopt, sept1(2));
  so.cancel("s", "o", sept1(3));
  put(s_string_orders, "string_orders", so);

  sales sa;
  put(s_sales, "sales_empty", sa);
  sa.visit(1, 10, sept1(1));
  sa.visit(1, 11, sept1(1), 2);
  sa.inquiry(1, 10, sept1(1.5));
  sa.order(1, 10, 500, money::parse("149.90"), true, 7, sept1(2));
  sa.order(1, 11, 501, std::nullopt, false, std::nullopt, sept1(30));
  sa.order(1, 11, 501, money::parse("1"), false, std::nullopt, sept1(30));  // duplicate
  sa.refund(1, 500, money::parse("20"), sept1(40));
  put(s_sales, "sales_some", sa);

  string_sales sst2;
  sst2.visit("s", "v", sept1(1), "app");
  sst2.order("s", "v", "o1", money::parse("12.34"), false, std::nullopt, sept1(1));
  put(s_string_sales, "string_sales", sst2);

  shop_ratings<> sr;
  put(s_shop_ratings, "shop_ratings_empty", sr);
  sr.dsr(dsr_dimension::item, 5, sept1(1), 100);
  sr.dsr(dsr_dimension::service, 4, sept1(2));
  sr.dsr(dsr_dimension::logistics, 3, sept1(30), 100);
  sr.review(5, sept1(3));
  sr.review(0, sept1(3));  // rejected
  sr.payment(sept1(4));
  sr.dispute(sept1(5));
  put(s_shop_ratings, "shop_ratings_some", sr);

  ratings<> ra;
  ra.dsr(1, dsr_dimension::item, 4, sept1(1), 77);
  ra.review(2, 2, sept1(2));
  ra.payment(2, sept1(3));
  put(s_ratings, "ratings_two_shops", ra);

  ratings<std::string, std::string> rst;
  rst.dsr("shop", dsr_dimension::service, 5, sept1(1), "buyer");
  put(s_ratings_str, "ratings_str", rst);

  keyed<std::uint32_t, day_window<money_sum>> kw(day_window<money_sum>(7));
  kw[3].add(sept1(1), money::parse("1.25"));
  kw[9].add(sept1(50), money::parse("2"));
  put(s_keyed_u32_window_money, "keyed_u32_window_money", kw);

  std::fprintf(stderr, "wrote %d seeds to %s\n", written, dir.c_str());
  return 0;
}
