// SPDX-License-Identifier: Apache-2.0
// The bad-input corpus of issue 10: every class of bad input, each with the
// clear error it must produce (the message is checked) or the rejection it
// must count, and proof that nothing accepted before a bad row is lost.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "csmetrics/core/day_window.hpp"
#include "csmetrics/io/event_csv.hpp"
#include "csmetrics/io/rfc3339.hpp"
#include "csmetrics/core/keyed.hpp"
#include "csmetrics/core/moments.hpp"
#include "csmetrics/core/money.hpp"
#include "csmetrics/orders/orders.hpp"
#include "csmetrics/core/quantile_sketch.hpp"
#include "csmetrics/core/rate.hpp"
#include "csmetrics/ratings/ratings.hpp"
#include "csmetrics/sales/sales.hpp"
#include "support.hpp"
#include "csmetrics/sessions/sessions.hpp"

using namespace csmetrics;

namespace {

const std::string header = "time,type,shop,buyer,agent,order,amount,score,tag\n";
const std::string good_row = "2019-09-01T10:15:30+08:00,visit,s1,b1,,,,,\n";

struct read_result {
  std::vector<std::uint64_t> lines;  // lines of the accepted events
  event_csv_stats stats;
};

read_result read(const std::string& text, event_csv_options o = {}) {
  read_result r;
  r.stats = read_event_csv(text, [&](const event& e) { r.lines.push_back(e.line); }, o);
  return r;
}

timestamp sept1(double hours = 0) {
  return timestamp{std::chrono::seconds{1567267200}} + duration{static_cast<std::int64_t>(hours * 3600e6)};
}

}  // namespace

// ---------------------------------------------------------------- CSV rows

TEST_CASE("event_csv: every bad row class is skipped with its line and reason", "[bad_input][event_csv]") {
  struct bad_row {
    const char* what;
    std::string row;
    row_error reason;
    const char* message;  // the message contains it (after "line 3: ")
  };
  const std::string long_id(5000, 'x');
  const std::vector<bad_row> table = {
      // amounts
      {"NaN amount", "2019-09-01T10:15:30+08:00,order,s1,b1,,o1,NaN,,", row_error::bad_amount,
       "amount is not a decimal number: NaN"},
      {"infinite amount", "2019-09-01T10:15:30+08:00,order,s1,b1,,o1,inf,,", row_error::bad_amount,
       "amount is not a decimal number: inf"},
      {"negative amount", "2019-09-01T10:15:30+08:00,payment,s1,,,o1,-3.50,,", row_error::bad_amount,
       "amount is negative: -3.50"},
      {"3-decimal amount", "2019-09-01T10:15:30+08:00,order,s1,b1,,o1,1.234,,", row_error::bad_amount,
       "amount has 3 decimals (at most 2): 1.234"},
      {"overflowing amount", "2019-09-01T10:15:30+08:00,order,s1,b1,,o1,92233720368547758.08,,",
       row_error::bad_amount, "amount exceeds 92233720368547758.07: 92233720368547758.08"},
      // scores
      {"score 0", "2019-09-01T10:15:30+08:00,vote,s1,b1,a1,,,0,", row_error::bad_score,
       "score must be an integer 1..5: 0"},
      {"score 6", "2019-09-01T10:15:30+08:00,review,s1,,,,,6,", row_error::bad_score,
       "score must be an integer 1..5: 6"},
      {"score -1", "2019-09-01T10:15:30+08:00,dsr,s1,,,,,-1,item", row_error::bad_score,
       "score must be an integer 1..5: -1"},
      {"score five", "2019-09-01T10:15:30+08:00,vote,s1,b1,a1,,,five,", row_error::bad_score,
       "score must be an integer 1..5: five"},
      // timestamps
      {"no offset", "2019-09-01T10:15:30,visit,s1,b1,,,,,", row_error::bad_time,
       "bad timestamp (no_offset): 2019-09-01T10:15:30"},
      {"impossible date", "2019-02-29T10:15:30+08:00,visit,s1,b1,,,,,", row_error::bad_time,
       "bad timestamp (bad_date): 2019-02-29T10:15:30+08:00"},
      {"April 31", "2019-04-31T10:15:30+08:00,visit,s1,b1,,,,,", row_error::bad_time, "(bad_date)"},
      {"hour 24", "2019-09-01T24:00:00+08:00,visit,s1,b1,,,,,", row_error::bad_time, "(bad_time)"},
      {"before 1970", "1969-12-31T23:59:59Z,visit,s1,b1,,,,,", row_error::bad_time,
       "bad timestamp (year_out_of_range): 1969-12-31T23:59:59Z"},
      {"empty time", ",visit,s1,b1,,,,,", row_error::bad_time, "timestamp is empty"},
      // ids and fields
      {"empty shop id", "2019-09-01T10:15:30+08:00,visit,,b1,,,,,", row_error::missing_field,
       "visit requires shop (empty)"},
      {"empty order id", "2019-09-01T10:15:30+08:00,payment,s1,,,,1.00,,", row_error::missing_field,
       "payment requires order (empty)"},
      {"gigantic id", "2019-09-01T10:15:30+08:00,visit,s1," + long_id + ",,,,,", row_error::field_too_long,
       "field 'buyer' is 5000 bytes, longer than max_field_bytes 4096"},
      {"unknown type", "2019-09-01T10:15:30+08:00,teleport,s1,b1,,,,,", row_error::unknown_type,
       "unknown type: teleport"},
      {"8 fields", "2019-09-01T10:15:30+08:00,visit,s1,b1,,,,", row_error::field_count,
       "expected 9 fields, found 8"},
      {"10 fields", "2019-09-01T10:15:30+08:00,visit,s1,b1,,,,,,", row_error::field_count,
       "expected 9 fields, found 10"},
      {"stray quote", "2019-09-01T10:15:30+08:00,visit,s1,5\" screen,,,,,", row_error::bad_quote,
       "'\"' inside an unquoted field"},
      {"bad dsr tag", "2019-09-01T10:15:30+08:00,dsr,s1,,,,,4,speed", row_error::bad_tag,
       "dsr tag must be item, service or logistics: speed"},
      {"bad lost reason", "2019-09-01T10:15:30+08:00,lost,s1,b1,a1,,,,weather", row_error::bad_tag,
       "lost reason must be"},
      // ids that are not UTF-8 (the JSON and Prometheus outputs could not carry them)
      {"shop id not UTF-8", "2019-09-01T10:15:30+08:00,visit,s\xff\xfe,b1,,,,,", row_error::invalid_utf8,
       "field 'shop' is not valid UTF-8 at byte 1: \"s\\xff\\xfe\""},
      {"buyer id in Latin-1", "2019-09-01T10:15:30+08:00,visit,s1,J\xfcrgen,,,,,", row_error::invalid_utf8,
       "field 'buyer' is not valid UTF-8 at byte 1"},
      {"agent id cut mid-character", "2019-09-01T10:15:30+08:00,agent_msg,s1,b1,\xe5\xae,,,,",
       row_error::invalid_utf8, "field 'agent' is not valid UTF-8 at byte 0"},
      {"order id with a surrogate", "2019-09-01T10:15:30+08:00,cancel,s1,,,\xed\xb0\x80,,,",
       row_error::invalid_utf8, "field 'order'"},
      {"script tag overlong", "2019-09-01T10:15:30+08:00,reminder,s1,,,o1,,,\xe0\x80\xaf",
       row_error::invalid_utf8, "field 'tag'"},
  };
  for (const bad_row& b : table) {
    INFO(b.what << ": " << b.row.substr(0, 100));
    // Line 2 good, line 3 bad, line 4 good: the good rows are kept.
    const read_result r = read(header + good_row + b.row + "\n" + good_row);
    CHECK(r.lines == std::vector<std::uint64_t>{2, 4});
    CHECK(r.stats.skipped == 1);
    CHECK(r.stats.skipped_for(b.reason) == 1);
    REQUIRE(r.stats.errors.size() == 1);
    CHECK_THAT(r.stats.errors[0], Catch::StartsWith("line 3: ") && Catch::Contains(b.message));
  }
}

TEST_CASE("event_csv: far future rows are skipped with not_after and make later rows late without",
          "[bad_input][event_csv]") {
  const std::string text = header + good_row + "2091-09-01T10:15:30+08:00,visit,s1,b1,,,,,\n" + good_row;
  SECTION("not_after set: the typo is skipped as too_far_in_future") {
    event_csv_options o;
    o.not_after = sept1(24);
    const read_result r = read(text, o);
    CHECK(r.lines == std::vector<std::uint64_t>{2, 4});
    CHECK(r.stats.skipped_for(row_error::too_far_in_future) == 1);
    CHECK_THAT(r.stats.errors.at(0), Catch::StartsWith("line 3: time 2091-09-01T02:15:30Z is after not_after"));
  }
  SECTION("no limit (the default): accepted, and the next row is too late (EVENTS.md's warning)") {
    const read_result r = read(text);
    CHECK(r.lines == std::vector<std::uint64_t>{2, 3});
    CHECK(r.stats.skipped_for(row_error::too_late) == 1);
    CHECK_THAT(r.stats.errors.at(0), Catch::StartsWith("line 4: time 2019-09-01T10:15:30+08:00 is ") &&
                                         Catch::Contains("behind the newest time accepted"));
  }
}

TEST_CASE("event_csv: whole-file problems", "[bad_input][event_csv]") {
  SECTION("empty file") {
    CHECK_THROWS_WITH(read(""), Catch::Contains("empty input: expected the header line"));
  }
  SECTION("a file that is not CSV") {
    const std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
    try {
      read(png);
      FAIL("no error");
    } catch (const event_csv_error& e) {
      CHECK(e.line() == 1);
      CHECK_THAT(e.what(), Catch::Contains("line 1: expected the header line"));
    }
  }
  SECTION("a CSV file with another header") {
    CHECK_THROWS_WITH(read("id,name\n1,x\n"), Catch::Contains("found \"id,name\""));
  }
  SECTION("only a header, with and without its line end") {
    for (std::string h : {header, header.substr(0, header.size() - 1)}) {
      const read_result r = read(h);
      CHECK(r.lines.empty());
      CHECK(r.stats.rows == 0);
      CHECK(r.stats.skipped == 0);
    }
  }
  SECTION("CRLF line ends read as LF") {
    const read_result lf = read(header + good_row + good_row);
    const read_result crlf = read("time,type,shop,buyer,agent,order,amount,score,tag\r\n" +
                                  good_row.substr(0, good_row.size() - 1) + "\r\n" + good_row);
    CHECK(crlf.lines == lf.lines);
    CHECK(crlf.stats.skipped == 0);
  }
  SECTION("a UTF-8 byte order mark before the header") {
    const read_result r = read("\xEF\xBB\xBF" + header + good_row);
    CHECK(r.lines == std::vector<std::uint64_t>{2});
    CHECK(r.stats.skipped == 0);
  }
  SECTION("a gigantic row (no line end for megabytes) costs one row, bounded memory") {
    std::string text = header + good_row + "2019-09-01T10:15:30+08:00,visit,s1,";
    text += std::string(3u << 20, 'y');
    text += ",,,,,\n" + good_row;
    const read_result r = read(text);
    CHECK(r.lines == std::vector<std::uint64_t>{2, 4});
    CHECK(r.stats.skipped_for(row_error::field_too_long) == 1);
  }
}

TEST_CASE("event_csv: strict mode stops at a bad row and nothing accepted before it is lost",
          "[bad_input][event_csv]") {
  std::string text = header;
  for (int i = 0; i < 5; ++i) text += "2019-09-01T10:15:3" + std::to_string(i) + "+08:00,visit,s1,b" + std::to_string(i) + ",,,,,\n";
  text += "2019-09-01T10:15:40+08:00,order,s1,b1,,o1,1.234,,\n";  // line 7
  text += good_row;
  event_csv_options o;
  o.strict = true;
  event_csv_reader in(text, o);
  std::vector<std::string> buyers;
  event e;
  try {
    while (in.next(e)) buyers.emplace_back(e.buyer);
    FAIL("strict mode did not stop");
  } catch (const event_csv_error& err) {
    CHECK(err.line() == 7);
    REQUIRE(err.reason());
    CHECK(*err.reason() == row_error::bad_amount);
    CHECK_THAT(err.what(), Catch::Contains("line 7: amount has 3 decimals (at most 2): 1.234"));
  }
  CHECK(buyers == std::vector<std::string>{"b0", "b1", "b2", "b3", "b4"});
  CHECK(in.stats().accepted == 5);
  CHECK(in.stats().skipped == 1);
  // The reader stays usable: the row after the bad one comes next.
  REQUIRE(in.next(e));
  CHECK(e.line == 8);
  CHECK_FALSE(in.next(e));
}

// ------------------------------------------------- values given directly

TEST_CASE("money: bad amounts throw clear errors", "[bad_input][money]") {
  struct bad {
    const char* text;
    money_parse_error why;
    const char* message;
  };
  for (const bad& b : std::vector<bad>{
           {"NaN", money_parse_error::junk, "amount is not a decimal number: NaN"},
           {"inf", money_parse_error::junk, "amount is not a decimal number: inf"},
           {"-3.50", money_parse_error::negative, "amount is negative: -3.50"},
           {"1.234", money_parse_error::too_many_decimals, "amount has 3 decimals (at most 2): 1.234"},
           {"92233720368547758.08", money_parse_error::overflow, "amount exceeds 92233720368547758.07"},
           {"", money_parse_error::empty, "amount is empty"},
       }) {
    INFO(b.text);
    money_parse_error why = money_parse_error::empty;
    CHECK_FALSE(money::try_parse(b.text, &why));
    CHECK(why == b.why);
    CHECK_THROWS_WITH(money::parse(b.text), Catch::StartsWith("csmetrics::money: ") && Catch::Contains(b.message));
  }
}

TEST_CASE("accumulators: NaN, infinite and negative values are counted, never folded in", "[bad_input]") {
  const double nan = std::nan(""), inf = std::numeric_limits<double>::infinity();
  moments m;
  for (double x : {nan, inf, -inf, 1e300, 2.0}) m.add(x);
  CHECK(m.count() == 1);
  CHECK(m.rejected_not_finite() == 3);
  CHECK(m.rejected_out_of_range() == 1);
  quantile_sketch q;
  for (double x : {nan, inf, -inf, -1.0, 2.0}) q.add(x);
  CHECK(q.count() == 1);
  CHECK(q.rejected_nan() == 1);
  CHECK(q.rejected_infinite() == 2);
  CHECK(q.rejected_negative() == 1);
}

TEST_CASE("ratings: scores 0, 6 and -1 are counted as bad_score", "[bad_input][ratings]") {
  shop_ratings<> r;
  r.review(0, sept1());
  r.review(6, sept1());
  r.dsr(dsr_dimension::item, -1, sept1());
  r.review(5, sept1());
  CHECK(r.rejected().bad_score == 3);
  sessions<> s;
  s.vote(1, 2, 3, 0, sept1());
  s.vote(1, 2, 3, 6, sept1());
  CHECK(s.rejected(session_reject::score_out_of_range) == 2);
}

TEST_CASE("sessions: a reply before the question is counted, never a negative response time",
          "[bad_input][sessions]") {
  sessions<> s;
  s.buyer_message(1, 10, sept1(10));
  s.agent_message(1, 10, 7, sept1(9));  // an hour before the question
  CHECK(s.rejected(session_reject::reply_before_question) == 1);
  CHECK(s.total().answered() == 0);
  s.agent_message(1, 10, 7, sept1(10.01));
  CHECK(s.total().answered() == 1);
  CHECK(*s.total().response().min() >= 0.0);
}

TEST_CASE("orders: duplicates and payments for unknown orders are counted", "[bad_input][orders]") {
  orders o;
  CHECK(o.order(1, 10, 100, money::parse("5"), std::nullopt, sept1(1)));
  CHECK_FALSE(o.order(1, 10, 100, money::parse("5"), std::nullopt, sept1(2)));
  CHECK(o.rejected(order_reject::duplicate_order) == 1);
  CHECK(o.payment(1, 100, money::parse("5"), std::nullopt, sept1(3)));
  CHECK_FALSE(o.payment(1, 100, money::parse("5"), std::nullopt, sept1(4)));
  CHECK(o.rejected(order_reject::duplicate_payment) == 1);
  // A payment for an unknown order is held, then orphaned when its window passes.
  CHECK(o.payment(1, 999, money::parse("7"), std::nullopt, sept1(5)));
  CHECK(o.held_payments() == 1);
  o.advance(sept1(5 + 73));
  CHECK(o.held_payments() == 0);
  CHECK(o.orphaned_payments() == 1);
  CHECK(o.orphaned_amount() == money::parse("7"));
  // Cancel, refund, dispute of an unknown order.
  CHECK_FALSE(o.cancel(1, 12345, sept1(80)));
  CHECK_FALSE(o.refund(1, 12345, money::parse("1"), sept1(80)));
  CHECK(o.rejected(order_reject::unknown_order) == 2);
  sales s;
  CHECK(s.order(1, 10, 100, money::parse("5"), false, std::nullopt, sept1(1)));
  CHECK_FALSE(s.order(1, 10, 100, money::parse("5"), false, std::nullopt, sept1(1)));
  CHECK_FALSE(s.refund(1, 100, money::parse("0"), sept1(1)));
}

TEST_CASE("day_window: events older than the window are counted", "[bad_input][day_window]") {
  day_window<rate_counter> w(30);
  CHECK(w.add(sept1(24 * 100), true));
  CHECK_FALSE(w.add(sept1(24 * 60), true));  // 40 days older than the newest
  CHECK(w.rejected_too_old() == 1);
  CHECK(w.current().trials() == 1);
  shop_ratings<> r;
  r.review(5, sept1(24 * 100));
  r.review(5, sept1(24 * 60));
  CHECK(r.rejected().too_old == 1);
}

TEST_CASE("sessions and orders: empty and gigantic ids are just ids", "[bad_input]") {
  // The reader rejects empty required ids; an accumulator given one directly
  // treats it as any other key, and a gigantic one costs its bytes only.
  sessions<std::string, std::string, std::string> s;
  const std::string big(1 << 16, 'b');
  s.buyer_message("", big, sept1(1));
  s.agent_message("", big, "a", sept1(1.01));
  CHECK(s.shop("").answered() == 1);
  string_orders o;
  CHECK(o.order("s", big, std::string(1 << 16, 'o'), money::parse("1"), std::nullopt, sept1(1)));
  CHECK_FALSE(o.order("s", big, std::string(1 << 16, 'o'), money::parse("1"), std::nullopt, sept1(1)));
}

// ------------------------------------------- serialized states (fuzz finds)

TEST_CASE("serde: non-canonical encodings are rejected (each state has one byte string)",
          "[bad_input][serde]") {
  money_sum s;
  s.add(money::parse("1.50"));
  std::vector<std::uint8_t> bytes = csm_test::bare(s);  // the type's layout, without the frame
  SECTION("nonzero flags of a type that has none (found by fuzz_deserialize in day_window)") {
    bytes[5] = 0x15;
    CHECK_THROWS_WITH(money_sum::deserialize(bytes.data(), bytes.size()), Catch::Contains("expected flags 0, found 21"));
    day_window<rate_counter> w(7);
    std::vector<std::uint8_t> wb = csm_test::bare(w);
    wb[5] = 1;
    CHECK_THROWS_AS(day_window<rate_counter>::deserialize(wb.data(), wb.size()), deserialize_error);
  }
  SECTION("a varint spelled with a redundant zero byte") {
    // count 1 is the byte 0x01 at offset 6; 0x81 0x00 also decodes to 1.
    REQUIRE(bytes[6] == 1);
    bytes[6] = 0x81;
    bytes.insert(bytes.begin() + 7, 0x00);
    CHECK_THROWS_WITH(money_sum::deserialize(bytes.data(), bytes.size()), Catch::Contains("shortest form"));
  }
}

TEST_CASE("day_window and keyed: children of another configuration or a non-empty prototype are rejected",
          "[bad_input][serde]") {
  // Found by fuzz_deserialize: a bucket sketch of other thresholds than the
  // prototype decoded, then current() threw std::invalid_argument; a prototype
  // holding data decoded, then every merge counted it again.
  const quantile_sketch proto(0.02, {45.0});
  day_window<quantile_sketch> w(30, utc_offset{}, proto);
  w.add(sept1(1), 30.0);
  std::vector<std::uint8_t> good = w.serialize();
  CHECK(day_window<quantile_sketch>::deserialize(good.data(), good.size()) == w);

  quantile_sketch other(0.02, {46.0});
  other.add(30.0);
  day_window<quantile_sketch> w2(30, utc_offset{}, proto);
  w2.add(sept1(1), 30.0);
  std::vector<std::uint8_t> bytes = csm_test::bare(w2);
  // Swap the bucket for `other` (same size: one threshold, one value).
  const std::vector<std::uint8_t> bucket = csm_test::bare(w2.current());
  const std::vector<std::uint8_t> foreign = csm_test::bare(other);
  REQUIRE(bucket.size() == foreign.size());
  std::copy(foreign.begin(), foreign.end(), bytes.end() - static_cast<std::ptrdiff_t>(bucket.size()));
  CHECK_THROWS_WITH(day_window<quantile_sketch>::deserialize(bytes.data(), bytes.size()),
                    Catch::Contains("every bucket has the prototype's configuration"));

  keyed<int, quantile_sketch> k(proto);
  k[1].add(30.0);
  std::vector<std::uint8_t> kb = csm_test::bare(k);
  std::copy(foreign.begin(), foreign.end(), kb.end() - static_cast<std::ptrdiff_t>(foreign.size()));
  CHECK_THROWS_WITH((keyed<int, quantile_sketch>::deserialize(kb.data(), kb.size())),
                    Catch::Contains("every value has the prototype's configuration"));

  // A prototype holding data.
  keyed<int, rate_counter> kr(rate_counter(0, 2));
  std::vector<std::uint8_t> krb = kr.serialize();
  CHECK_THROWS_WITH((keyed<int, rate_counter>::deserialize(krb.data(), krb.size())),
                    Catch::Contains("the prototype is empty"));
  day_window<rate_counter> wr(3, utc_offset{}, rate_counter(0, 2));
  std::vector<std::uint8_t> wrb = wr.serialize();
  CHECK_THROWS_WITH(day_window<rate_counter>::deserialize(wrb.data(), wrb.size()),
                    Catch::Contains("the prototype is empty"));
}
