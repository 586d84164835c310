// SPDX-License-Identifier: Apache-2.0
#include "csmetrics/io/event_csv.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "event_csv_support.hpp"
#include "support.hpp"

using namespace csmetrics;

namespace {

const std::string header = "time,type,shop,buyer,agent,order,amount,score,tag\n";

using csm_test::owned_event;
using csm_test::same_stats;

struct result {
  std::vector<owned_event> events;
  event_csv_stats stats;
};

/// Every event `in` delivers, then its statistics.
result read_to_end(event_csv_reader& in) {
  result r;
  event e;
  while (in.next(e)) r.events.emplace_back(e);
  r.stats = in.stats();
  return r;
}

/// Reads `text` in place.
result read_text(std::string_view text, event_csv_options o = {}) {
  event_csv_reader in(text, o);
  return read_to_end(in);
}

/// Reads `text` through a read function handing out at most `chunk` bytes.
result read_chunked(const std::string& text, std::size_t chunk, event_csv_options o = {}) {
  o.chunk_bytes = chunk;
  std::size_t at = 0;
  event_csv_reader in(
      event_csv_reader::read_function([&](char* dst, std::size_t n) {
        REQUIRE(n <= chunk);
        std::size_t k = std::min(n, text.size() - at);
        std::copy(text.data() + at, text.data() + at + k, dst);
        at += k;
        return k;
      }),
      o);
  return read_to_end(in);
}

/// Reads in place and chunked with several chunk sizes; all must agree.
result read_all_ways(const std::string& text, event_csv_options o = {}) {
  result whole = read_text(text, o);
  for (std::size_t chunk : {1, 2, 3, 7, 64, 4096}) {
    INFO("chunk " << chunk);
    result part = read_chunked(text, chunk, o);
    CHECK(part.events == whole.events);
    CHECK(same_stats(part.stats, whole.stats));
  }
  return whole;
}

std::string row(const std::string& fields) { return fields + "\n"; }

/// The comma-separated fields of a row without quotes.
std::vector<std::string> split_plain(const std::string& row) {
  std::vector<std::string> fields;
  std::stringstream ss(row);
  std::string field;
  while (std::getline(ss, field, ',')) fields.push_back(field);
  return fields;
}

/// A valid row of each type (times ascending by one minute from 10:00).
std::vector<std::string> one_row_per_type() {
  return {
      "2019-09-01T10:00:00+08:00,visit,s1,b1,,,,,",
      "2019-09-01T10:01:00+08:00,buyer_msg,s1,b1,,,,,",
      "2019-09-01T10:02:00+08:00,agent_msg,s1,b1,a1,,,,",
      "2019-09-01T10:03:00+08:00,auto_msg,s1,b1,,,,,",
      "2019-09-01T10:04:00+08:00,invite,s1,b1,a1,,,,",
      "2019-09-01T10:05:00+08:00,vote,s1,b1,a1,,,5,",
      "2019-09-01T10:06:00+08:00,lost,s1,b1,a1,,,,price",
      "2019-09-01T10:07:00+08:00,order,s1,b1,,o1,149.90,,",
      "2019-09-01T10:08:00+08:00,payment,s1,,,o1,149.90,,",
      "2019-09-01T10:09:00+08:00,cancel,s1,,,o2,,,",
      "2019-09-01T10:10:00+08:00,refund,s1,,,o1,0.5,,",
      "2019-09-01T10:11:00+08:00,dispute,s1,,,o1,,,",
      "2019-09-01T10:12:00+08:00,reminder,s1,,,o2,,,script7",
      "2019-09-01T10:13:00+08:00,dsr,s1,,,,,4,logistics",
      "2019-09-01T10:14:00+08:00,review,s1,,,o1,,3,",
  };
}

}  // namespace

TEST_CASE("event_csv: reads one row of every type with its fields", "[event_csv]") {
  std::string text = header;
  for (const auto& r : one_row_per_type()) text += row(r);
  result r = read_all_ways(text);
  REQUIRE(r.events.size() == 15);
  CHECK(r.stats.accepted == 15);
  CHECK(r.stats.rows == 15);
  CHECK(r.stats.skipped == 0);
  CHECK(r.stats.lines == 16);
  CHECK(r.stats.bytes == text.size());
  for (std::size_t i = 0; i < 15; ++i) {
    CHECK(r.events[i].type == static_cast<event_type>(i));
    CHECK(r.events[i].line == i + 2);
    CHECK(r.events[i].time == *parse_rfc3339("2019-09-01T02:00:00Z") + std::chrono::minutes{i});
    CHECK(r.events[i].shop == "s1");
  }
  CHECK(r.events[2].agent == "a1");
  CHECK(r.events[5].score == 5);
  CHECK(r.events[6].tag == "price");
  CHECK(r.events[7].order == "o1");
  CHECK(r.events[7].amount == money::from_minor(14990));
  CHECK(r.events[10].amount == money::from_minor(50));
  CHECK_FALSE(r.events[9].amount.has_value());
  CHECK(r.events[12].tag == "script7");
  CHECK(r.events[13].score == 4);
  CHECK(r.events[13].tag == "logistics");
  CHECK(dsr_tag_index(r.events[13].tag) == 2);
  CHECK(r.events[14].score == 3);
  CHECK(r.events[0].score == 0);
}

TEST_CASE("event_csv: event types, fields and vocabularies", "[event_csv]") {
  for (std::size_t i = 0; i < event_type_count; ++i) {
    auto t = static_cast<event_type>(i);
    CHECK(parse_event_type(name(t)) == t);
    for (std::size_t k = 0; k < name(t).size(); ++k) {  // one byte off anywhere: no type
      std::string off(name(t));
      off[k] = static_cast<char>(off[k] ^ 0x20);
      CHECK_FALSE(parse_event_type(off).has_value());
    }
    CHECK((required_fields(t) & field_bit(event_field::shop)) != 0);  // every type names its shop
  }
  for (const char* bad : {"", "Visit", "visits", "vis", "refun", "reviews", "dsrs", "d", "r", "payment "})
    CHECK_FALSE(parse_event_type(bad).has_value());
  CHECK(required_fields(event_type::payment) ==
        (field_bit(event_field::shop) | field_bit(event_field::order) | field_bit(event_field::amount)));
  CHECK(name(event_field::amount) == "amount");
  CHECK(dsr_tag_index("service") == 1);
  CHECK(dsr_tag_index("Item") == -1);
  CHECK(lost_reason_index("after_sales") == 5);
  CHECK(lost_reason_index("other") == 6);
  CHECK(lost_reason_index("rude") == -1);
  CHECK(name(row_error::too_late) == "too_late");
  CHECK(name(row_error::field_count) == "field_count");
}

namespace {

struct bad_case {
  std::string row;
  row_error reason;
  std::string message;  // expected message after "line 3: "
};

}  // namespace

TEST_CASE("event_csv: every bad-row class is reported with its line, skipped and counted", "[event_csv][errors]") {
  const std::string good1 = "2019-09-01T10:00:00+08:00,visit,s1,b1,,,,,";
  const std::string good2 = "2019-09-01T10:30:00+08:00,visit,s1,b2,,,,,";
  const std::string big(5000, 'x');
  std::vector<bad_case> cases = {
      {"2019-09-01T10:00:00+08:00,visitt,s1,b1,,,,,", row_error::unknown_type, "unknown type: visitt"},
      {"2019-09-01T10:00:00+08:00,,s1,b1,,,,,", row_error::unknown_type, "unknown type: "},
      {"2019-09-31T10:00:00+08:00,visit,s1,b1,,,,,", row_error::bad_time,
       "bad timestamp (bad_date): 2019-09-31T10:00:00+08:00"},
      {"2019-09-01T10:00:00,visit,s1,b1,,,,,", row_error::bad_time, "bad timestamp (no_offset): 2019-09-01T10:00:00"},
      {"2019-09-01T24:00:00Z,visit,s1,b1,,,,,", row_error::bad_time, "bad timestamp (bad_time): 2019-09-01T24:00:00Z"},
      {"yesterday,visit,s1,b1,,,,,", row_error::bad_time, "bad timestamp (syntax): yesterday"},
      {",visit,s1,b1,,,,,", row_error::bad_time, "timestamp is empty"},
      {"2019-09-01T10:00:00+08:00,payment,s1,,,o1,1.234,,", row_error::bad_amount,
       "amount has 3 decimals (at most 2): 1.234"},
      {"2019-09-01T10:00:00+08:00,payment,s1,,,o1,-5,,", row_error::bad_amount, "amount is negative: -5"},
      {"2019-09-01T10:00:00+08:00,payment,s1,,,o1,12 yuan,,", row_error::bad_amount,
       "amount is not a decimal number: 12 yuan"},
      {"2019-09-01T10:00:00+08:00,order,s1,b1,,o1,99999999999999999999,,", row_error::bad_amount,
       "amount exceeds 92233720368547758.07: 99999999999999999999"},
      {"2019-09-01T10:00:00+08:00,visit,s1,b1,,,abc,,", row_error::bad_amount,
       "amount is not a decimal number: abc"},  // an unused column is still checked
      {"2019-09-01T10:00:00+08:00,vote,s1,b1,a1,,,0,", row_error::bad_score, "score must be an integer 1..5: 0"},
      {"2019-09-01T10:00:00+08:00,vote,s1,b1,a1,,,6,", row_error::bad_score, "score must be an integer 1..5: 6"},
      {"2019-09-01T10:00:00+08:00,vote,s1,b1,a1,,,five,", row_error::bad_score,
       "score must be an integer 1..5: five"},
      {"2019-09-01T10:00:00+08:00,review,s1,,,,,4.5,", row_error::bad_score, "score must be an integer 1..5: 4.5"},
      {"2019-09-01T10:00:00+08:00,review,s1,,,,,05,", row_error::bad_score, "score must be an integer 1..5: 05"},
      {"2019-09-01T10:00:00+08:00,dsr,s1,,,,,5,speed", row_error::bad_tag,
       "dsr tag must be item, service or logistics: speed"},
      {"2019-09-01T10:00:00+08:00,lost,s1,b1,a1,,,,rude", row_error::bad_tag,
       "lost reason must be price, response_time, product_knowledge, attitude, logistics, after_sales or other: "
       "rude"},
      {"2019-09-01T10:00:00+08:00,visit,s1,b1,,,,", row_error::field_count, "expected 9 fields, found 8"},
      {"2019-09-01T10:00:00+08:00,visit,s1,b1,,,,,,", row_error::field_count, "expected 9 fields, found 10"},
      {"2019-09-01T10:00:00+08:00,visit,s1,b1,,,,,,x,y", row_error::field_count, "expected 9 fields, found 11"},
      {"just some text", row_error::field_count, "expected 9 fields, found 1"},
      {"2019-09-01T10:00:00+08:00,visit,s1,b\"1,,,,,", row_error::bad_quote,
       "field 'buyer': '\"' inside an unquoted field"},
      {"2019-09-01T10:00:00+08:00,visit,s1,\"b1\"x,,,,,", row_error::bad_quote,
       "field 'buyer': text after the closing quote: x,,,,,"},
      {"2019-09-01T10:00:00+08:00,visit,s1,b1\r,,,,,", row_error::bare_cr,
       "field 'buyer': carriage return outside quotes (quote the field to keep it)"},
      {"2019-09-01T10:00:00+08:00,visit,s1," + big + ",,,,,", row_error::field_too_long,
       "field 'buyer' is 5000 bytes, longer than max_field_bytes 4096"},
      {"2019-09-01T10:00:00+08:00,visit,s1,\"" + big + "\",,,,,", row_error::field_too_long,
       "field 'buyer' is 5000 bytes, longer than max_field_bytes 4096"},
      {"2019-09-01T08:59:59+08:00,visit,s1,b1,,,,,", row_error::too_late,
       "time 2019-09-01T08:59:59+08:00 is 3601s behind the newest time accepted, 2019-09-01T02:00:00Z "
       "(max_lateness 1h)"},
      // Text that is not UTF-8 (EVENTS.md), shown as \xHH in the message.
      {"2019-09-01T10:00:00+08:00,visit,s\xff\xfe,b1,,,,,", row_error::invalid_utf8,
       "field 'shop' is not valid UTF-8 at byte 1: \"s\\xff\\xfe\""},
      {"2019-09-01T10:00:00+08:00,visit,s1,b\xe4\xb8,,,,,", row_error::invalid_utf8,
       "field 'buyer' is not valid UTF-8 at byte 1: \"b\\xe4\\xb8\""},  // a cut 3-byte sequence
      {"2019-09-01T10:00:00+08:00,agent_msg,s1,b1,\xc0\xaf,,,,", row_error::invalid_utf8,
       "field 'agent' is not valid UTF-8 at byte 0: \"\\xc0\\xaf\""},  // an overlong '/'
      {"2019-09-01T10:00:00+08:00,cancel,s1,,,o\xed\xa0\x80,,,", row_error::invalid_utf8,
       "field 'order' is not valid UTF-8 at byte 1: \"o\\xed\\xa0\\x80\""},  // a surrogate
      {"2019-09-01T10:00:00+08:00,reminder,s1,,,o1,,,\xf4\x90\x80\x80", row_error::invalid_utf8,
       "field 'tag' is not valid UTF-8 at byte 0: \"\\xf4\\x90\\x80\\x80\""},  // past U+10FFFF
      {"2019-09-01T10:00:00+08:00,visit,\"\xe5\xba\x97\"\"\x80\",b1,,,,,", row_error::invalid_utf8,
       "field 'shop' is not valid UTF-8 at byte 4: \"\xe5\xba\x97\"\\x80\""},  // quoted, "" inside
      {"2019-09-01T10:00:00+08:00,visit,s1,b1,,,,,\xa9", row_error::invalid_utf8,
       "field 'tag' is not valid UTF-8 at byte 0: \"\\xa9\""},  // a Latin-1 byte in an unused column
  };
  // A missing required field, for every type and every field it requires.
  const std::vector<std::string> rows = one_row_per_type();
  for (std::size_t t = 0; t < event_type_count; ++t) {
    for (std::size_t f = 2; f < event_field_count; ++f) {
      if (!(required_fields(static_cast<event_type>(t)) & (1u << f))) continue;
      std::vector<std::string> cols = split_plain(rows[t]);
      cols.resize(9);
      cols[0] = "2019-09-01T10:00:00+08:00";
      cols[f] = "";
      std::string r = cols[0];
      for (std::size_t k = 1; k < 9; ++k) r += "," + cols[k];
      cases.push_back({r, row_error::missing_field,
                       std::string(name(static_cast<event_type>(t))) + " requires " +
                           std::string(name(static_cast<event_field>(f))) + " (empty)"});
    }
  }
  CHECK(cases.size() > 29 + 30);
  for (const auto& bc : cases) {
    INFO("row: " << bc.row.substr(0, 100));
    const std::string text = header + row(good1) + row(bc.row) + row(good2);
    result r = read_all_ways(text);
    REQUIRE(r.events.size() == 2);
    CHECK(r.events[0].buyer == "b1");
    CHECK(r.events[1].buyer == "b2");
    CHECK(r.events[1].line == 4);
    CHECK(r.stats.rows == 3);
    CHECK(r.stats.accepted == 2);
    CHECK(r.stats.skipped == 1);
    CHECK(r.stats.skipped_for(bc.reason) == 1);
    CHECK(r.stats.skipped_by_reason() == std::map<std::string_view, std::uint64_t>{{name(bc.reason), 1}});
    REQUIRE(r.stats.errors.size() == 1);
    CHECK(r.stats.errors[0] == "line 3: " + bc.message);

    // Strict: the good row before is delivered, then the throw names the line
    // and reason; the reader goes on after the bad row when asked.
    event_csv_options strict;
    strict.strict = true;
    event_csv_reader in(text, strict);
    event e;
    REQUIRE(in.next(e));
    CHECK(e.buyer == "b1");
    try {
      in.next(e);
      FAIL("strict mode did not throw");
    } catch (const event_csv_error& err) {
      CHECK(err.line() == 3);
      CHECK(err.reason() == bc.reason);
      CHECK(std::string(err.what()) == "csmetrics::event_csv_reader: line 3: " + bc.message);
    }
    CHECK(in.stats().accepted == 1);
    CHECK(in.stats().skipped == 1);
    REQUIRE(in.next(e));
    CHECK(e.buyer == "b2");
    CHECK_FALSE(in.next(e));
  }
}

TEST_CASE("event_csv: UTF-8 ids are read as they are, in place and quoted", "[event_csv][utf8]") {
  // 2-, 3- and 4-byte sequences, the extremes of each range, a BOM-like U+FEFF inside a field.
  const std::string shop = "\xe6\x97\x97\xe8\x88\xb0\xe5\xba\x97";   // 旗舰店
  const std::string buyer = "J\xc3\xbcrgen\xf0\x9f\x98\x80";           // Jürgen😀
  const std::string agent = "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf";
  const std::string order = "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\xef\xbb\xbf";
  const std::string text = header + row("2019-09-01T10:00:00+08:00,agent_msg," + shop + "," + buyer + "," + agent +
                                        ",,,,") +
                           row("2019-09-01T10:01:00+08:00,order,\"" + shop + "\"\"x\"," + buyer + ",," + order +
                               ",1.00,,") +
                           row("2019-09-01T10:02:00+08:00,lost," + shop + "," + buyer + "," + agent + ",,,,price");
  const result r = read_all_ways(text);
  CHECK(r.stats.skipped == 0);
  REQUIRE(r.events.size() == 3);
  CHECK(r.events[0].shop == shop);
  CHECK(r.events[0].buyer == buyer);
  CHECK(r.events[0].agent == agent);
  CHECK(r.events[1].shop == shop + "\"x");
  CHECK(r.events[1].order == order);
  CHECK(r.events[2].tag == "price");
}

TEST_CASE("event_csv: the header must be exactly the log's header", "[event_csv][header]") {
  auto header_error = [](const std::string& text) {
    try {
      read_all_ways(text);
    } catch (const event_csv_error& e) {
      CHECK_FALSE(e.reason().has_value());
      for (std::size_t chunk : {1, 5}) CHECK_THROWS_AS(read_chunked(text, chunk), event_csv_error);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string good = "2019-09-01T10:00:00+08:00,visit,s1,b1,,,,,\n";
  CHECK(header_error("") == "csmetrics::event_csv_reader: empty input: expected the header line "
                            "\"time,type,shop,buyer,agent,order,amount,score,tag\"");
  CHECK(header_error("\xEF\xBB\xBF") == header_error(""));
  CHECK(header_error(good) ==
        "csmetrics::event_csv_reader: line 1: expected the header line "
        "\"time,type,shop,buyer,agent,order,amount,score,tag\", found \"2019-09-01T10:00:00+08:00,visit,s1,b1,,,,,\"");
  CHECK_THAT(header_error("time,type,shop,buyer,agent,order,amount,score\n" + good),
             Catch::Contains("found \"time,type,shop,buyer,agent,order,amount,score\""));
  CHECK_THAT(header_error("time,type,shop,buyer,agent,order,amount,score,tag,extra\n" + good),
             Catch::Contains("line 1: expected the header line"));
  CHECK_THAT(header_error("Time,Type,Shop,Buyer,Agent,Order,Amount,Score,Tag\n" + good),
             Catch::Contains("line 1: expected"));
  CHECK_THAT(header_error("time;type;shop;buyer;agent;order;amount;score;tag\n" + good),
             Catch::Contains("line 1: expected"));
  CHECK_THAT(header_error("\n" + header + good), Catch::Contains("found \"\""));
  CHECK_THAT(header_error("\"time,type,shop,buyer,agent,order,amount,score,tag\n"),
             Catch::EndsWith("found a quote that does not close"));

  // Accepted forms: header only, no final line end, CRLF, BOM, quoted names.
  for (const std::string& ok :
       {header, header.substr(0, header.size() - 1), std::string("time,type,shop,buyer,agent,order,amount,score,tag\r\n"),
        "\xEF\xBB\xBF" + header, std::string("\"time\",type,shop,buyer,agent,order,amount,\"score\",tag\n")}) {
    result r = read_all_ways(ok);
    CHECK(r.events.empty());
    CHECK(r.stats.rows == 0);
    CHECK(r.stats.lines == 1);
    CHECK(r.stats.bytes == ok.size());
    result r2 = read_all_ways(ok + (ok.back() == '\n' ? "" : "\n") + good);
    CHECK(r2.events.size() == 1);
    CHECK(r2.events[0].line == 2);
  }
  // Strict mode changes nothing for the header.
  event_csv_options strict;
  strict.strict = true;
  CHECK_THROWS_AS(read_text("", strict), event_csv_error);
}

TEST_CASE("event_csv: RFC 4180 quoting, CRLF, BOM and line numbers", "[event_csv][quotes]") {
  std::string text = "\xEF\xBB\xBF" + header.substr(0, header.size() - 1) + "\r\n";
  text += "2019-09-01T10:00:00+08:00,buyer_msg,\"shop, the best\",b1,,,,,\r\n";         // line 2: comma
  text += "2019-09-01T10:00:01+08:00,buyer_msg,s1,\"say \"\"hi\"\"\",,,,,\r\n";       // line 3: quotes
  text += "2019-09-01T10:00:02+08:00,buyer_msg,s1,\"two\nlines\",,,,,\r\n";           // line 4-5: LF inside
  text += "2019-09-01T10:00:03+08:00,buyer_msg,s1,\"crlf\r\ninside\",,,,,\r\n";       // line 6-7: CRLF inside
  text += "2019-09-01T10:00:04+08:00,buyer_msg,s1,\"bare\rcr\",,,,,\r\n";            // line 8: bare CR inside
  text += "\r\n";                                                                    // line 9: blank
  text += "\"2019-09-01T10:00:05+08:00\",\"review\",\"s1\",\"\",\"\",,,\"4\",\"\"\n";  // line 10: all quoted
  text += "\n";                                                                      // line 11: blank
  text += "2019-09-01T10:00:06+08:00,buyer_msg,s1,\"\"\"\",,,,,\n";                  // line 12: a lone quote
  text += "2019-09-01T10:00:07+08:00,buyer_msg,s1,\"a\n\n\nb\"\"\n\",,,,,\n";        // lines 13-17
  text += "2019-09-01T10:00:08+08:00,visit,s1,b9,,,,,";                              // line 18: no final LF
  result r = read_all_ways(text);
  REQUIRE(r.stats.errors.empty());
  REQUIRE(r.events.size() == 9);
  CHECK(r.events[0].shop == "shop, the best");
  CHECK(r.events[0].line == 2);
  CHECK(r.events[1].buyer == "say \"hi\"");
  CHECK(r.events[1].line == 3);
  CHECK(r.events[2].buyer == "two\nlines");
  CHECK(r.events[2].line == 4);
  CHECK(r.events[3].buyer == "crlf\r\ninside");
  CHECK(r.events[3].line == 6);
  CHECK(r.events[4].buyer == "bare\rcr");
  CHECK(r.events[4].line == 8);
  CHECK(r.events[5].shop == "s1");
  CHECK(r.events[5].type == event_type::review);
  CHECK(r.events[5].buyer.empty());
  CHECK(r.events[5].score == 4);
  CHECK(r.events[5].line == 10);
  CHECK(r.events[6].buyer == "\"");
  CHECK(r.events[6].line == 12);
  CHECK(r.events[7].buyer == "a\n\n\nb\"\n");
  CHECK(r.events[7].line == 13);
  CHECK(r.events[8].buyer == "b9");
  CHECK(r.events[8].line == 18);
  CHECK(r.stats.blank_lines == 2);
  CHECK(r.stats.lines == 18);
  CHECK(r.stats.bytes == text.size());
}

TEST_CASE("event_csv: unterminated quotes and gigantic rows are skipped in constant memory", "[event_csv][errors]") {
  const std::string good = "2019-09-01T10:00:00+08:00,visit,s1,b1,,,,,\n";
  // An unterminated quote runs to the end of the input.
  {
    std::string text = header + good + "2019-09-01T10:00:01+08:00,visit,s1,\"b2,,,,,\n" + good + good;
    result r = read_all_ways(text);
    CHECK(r.events.size() == 1);
    CHECK(r.stats.skipped_for(row_error::unterminated_quote) == 1);
    REQUIRE(r.stats.errors.size() == 1);
    CHECK(r.stats.errors[0] == "line 3: unterminated quote: a quoted field runs from this row to the end of the input");
    CHECK(r.stats.lines == 5);
    CHECK(r.stats.bytes == text.size());
  }
  // Rows far longer than any valid row, from a source that never holds them
  // whole: skipped as soon as they pass the longest valid row, and the next
  // rows are read.
  for (bool quoted : {false, true}) {
    INFO("quoted " << quoted);
    const std::size_t giant = 20u << 20;  // 20 MiB in one field
    std::string before = header + good + "2019-09-01T10:00:01+08:00,visit,s1," + (quoted ? "\"" : "");
    std::string after = std::string(quoted ? "\"" : "") + ",,,,,\n" + good;
    std::size_t at = 0;
    const std::size_t total = before.size() + giant + after.size();
    event_csv_options o;
    o.chunk_bytes = 1 << 16;
    std::size_t max_request = 0;
    event_csv_reader in(event_csv_reader::read_function([&](char* dst, std::size_t n) {
                          max_request = std::max(max_request, n);
                          std::size_t k = 0;
                          for (; k < n && at < total; ++k, ++at) {
                            if (at < before.size())
                              dst[k] = before[at];
                            else if (at < before.size() + giant)
                              dst[k] = (at % 1000 == 0) ? '\n' : 'y';  // line feeds inside the quoted field
                            else
                              dst[k] = after[at - before.size() - giant];
                          }
                          return k;
                        }),
                        o);
    if (!quoted) {
      // Unquoted, the line feeds end rows: every 1000 bytes a 1-field row.
      event e;
      std::size_t n = 0;
      while (in.next(e)) ++n;
      CHECK(n == 2);
      CHECK(in.stats().skipped == in.stats().rows - 2);
      continue;
    }
    event e;
    REQUIRE(in.next(e));
    REQUIRE(in.next(e));
    const std::size_t b = before.size();
    CHECK(e.line == 3 + ((b + giant - 1) / 1000 - (b - 1) / 1000) + 1);
    CHECK_FALSE(in.next(e));
    CHECK(in.stats().skipped_for(row_error::field_too_long) == 1);
    REQUIRE(in.stats().errors.size() == 1);
    CHECK(in.stats().errors[0] ==
          "line 3: row is longer than 73755 bytes (a field longer than max_field_bytes 4096, or a quote that does not "
          "close)");
    CHECK(in.stats().bytes == total);
    CHECK(max_request <= o.chunk_bytes);
  }
}

TEST_CASE("event_csv: rows out of time order within and beyond the lateness", "[event_csv][order]") {
  auto at = [](const char* t, const char* buyer) { return std::string(t) + ",visit,s1," + buyer + ",,,,,\n"; };
  std::string text = header + at("2019-09-01T10:00:00Z", "a") + at("2019-09-01T09:30:00Z", "b") +  // 30 min late
                     at("2019-09-01T11:00:00Z", "c") + at("2019-09-01T09:59:59Z", "d") +          // 1h01s late
                     at("2019-09-01T10:00:00Z", "e") +                                            // exactly 1h
                     at("2019-09-01T11:00:00Z", "f") +                                            // equal: in order
                     at("2019-09-01T13:00:00+02:00", "g");                                        // 11:00Z
  result r = read_all_ways(text);
  std::string order;
  for (const auto& e : r.events) order += e.buyer;
  CHECK(order == "abcefg");
  CHECK(r.stats.out_of_order == 2);
  CHECK(r.stats.skipped_for(row_error::too_late) == 1);
  CHECK(r.stats.errors.at(0) ==
        "line 5: time 2019-09-01T09:59:59Z is 3601s behind the newest time accepted, 2019-09-01T11:00:00Z "
        "(max_lateness 1h)");

  event_csv_options none;
  none.max_lateness = duration::zero();
  result strict_order = read_all_ways(text, none);
  order.clear();
  for (const auto& e : strict_order.events) order += e.buyer;
  CHECK(order == "acfg");
  CHECK(strict_order.stats.out_of_order == 0);
  CHECK(strict_order.stats.skipped_for(row_error::too_late) == 3);

  event_csv_options lax;
  lax.max_lateness = std::chrono::hours{24};
  CHECK(read_all_ways(text, lax).events.size() == 7);

  // A far-future typo would make every later row too late: not_after guards.
  std::string typo = header + at("2019-09-01T10:00:00Z", "a") + at("2091-09-01T10:00:00Z", "typo") +
                     at("2019-09-01T10:05:00Z", "b");
  CHECK(read_all_ways(typo).events.size() == 2);  // the typo poisons b
  event_csv_options guard;
  guard.not_after = *parse_rfc3339("2020-01-01T00:00:00Z");
  result guarded = read_all_ways(typo, guard);
  REQUIRE(guarded.events.size() == 2);
  CHECK(guarded.events[1].buyer == "b");
  CHECK(guarded.stats.errors.at(0) ==
        "line 3: time 2091-09-01T10:00:00Z is after not_after 2020-01-01T00:00:00Z");
  CHECK(guarded.stats.skipped_for(row_error::too_far_in_future) == 1);
}

TEST_CASE("event_csv: options are checked", "[event_csv]") {
  event_csv_options o;
  o.max_field_bytes = 0;
  CHECK_THROWS_WITH(event_csv_reader(std::string_view(header), o), Catch::Contains("max_field_bytes must be in [1, 1048576]: 0"));
  o = {};
  o.chunk_bytes = 0;
  CHECK_THROWS_AS(event_csv_reader(std::string_view(header), o), std::invalid_argument);
  o = {};
  o.max_lateness = duration{-1};
  CHECK_THROWS_WITH(event_csv_reader(std::string_view(header), o), Catch::Contains("max_lateness must be >= 0"));
  CHECK_THROWS_AS(event_csv_reader(event_csv_reader::read_function{}), std::invalid_argument);
  CHECK_THROWS_AS(event_csv_reader(static_cast<std::FILE*>(nullptr)), std::invalid_argument);
  // max_field_bytes applies after unquoting: 20 bytes (the timestamp) fit.
  o = {};
  o.max_field_bytes = 20;
  const std::string a18(18, 'a');
  std::string text = header + "2019-09-01T10:00:00Z,vote,s1,b1,\"" + a18 + "\"\"\",,,5,\n" +  // 19 bytes unquoted
                     "2019-09-01T10:00:00Z,vote,s1,b1,\"" + a18 + "\"\"xx\",,,5,\n";             // 21 bytes
  result r = read_all_ways(text, o);
  REQUIRE(r.events.size() == 1);
  CHECK(r.events[0].agent == a18 + "\"");
  CHECK(r.stats.errors.at(0) == "line 3: field 'agent' is 21 bytes, longer than max_field_bytes 20");
  o.max_field_bytes = 19;
  CHECK(read_all_ways(text, o).stats.skipped_for(row_error::field_too_long) == 2);
  // Unquoted rows (split a block at a time): a row longer than
  // max_field_bytes is read while every field fits; a field over it, first,
  // in the middle or last, is refused as on the quoted path.
  o.max_field_bytes = 20;
  const std::string a21(21, 'a');
  const std::string plain = header + "2019-09-01T10:00:00Z,vote,s1,b1," + a18 + "aa,,,5,\n" +  // 20 bytes: fits
                            "2019-09-01T10:00:00Z,vote,s1,b1," + a21 + ",,,5,\n" +
                            "2019-09-01T10:00:00.5Z,vote,s1,b1,a1,,,5,\n" +                  // the time: 22 bytes
                            "2019-09-01T10:00:00Z,vote," + a21 + ",b1,a1,,,5,\n" +
                            "2019-09-01T10:00:00Z,lost,s1,b1,a1,,,," + a21 + "\n";
  r = read_all_ways(plain, o);
  REQUIRE(r.events.size() == 1);
  CHECK(r.events[0].agent == a18 + "aa");
  CHECK(r.stats.skipped_for(row_error::field_too_long) == 4);
  CHECK(r.stats.errors.at(0) == "line 3: field 'agent' is 21 bytes, longer than max_field_bytes 20");
  CHECK(r.stats.errors.at(1) == "line 4: field 'time' is 22 bytes, longer than max_field_bytes 20");
  CHECK(r.stats.errors.at(3) == "line 6: field 'tag' is 21 bytes, longer than max_field_bytes 20");
}

TEST_CASE("event_csv: keeps the first keep_errors messages and counts all", "[event_csv][errors]") {
  std::string text = header;
  for (int i = 0; i < 250; ++i) text += "2019-09-01T10:00:00Z,visit,s1,,,,,,\n";
  event_csv_options o;
  o.keep_errors = 7;
  result r = read_text(text, o);
  CHECK(r.stats.skipped == 250);
  CHECK(r.stats.skipped_for(row_error::missing_field) == 250);
  REQUIRE(r.stats.errors.size() == 7);
  CHECK(r.stats.errors[6] == "line 8: visit requires buyer (empty)");
  o.keep_errors = 0;
  CHECK(read_text(text, o).stats.errors.empty());
}

TEST_CASE("event_csv: FILE*, std::istream and read_event_csv agree", "[event_csv]") {
  std::string text = header;
  for (const auto& r : one_row_per_type()) text += row(r);
  text += "2019-09-01T10:00:00Z,visit,s1,,,,,,\n";
  result expect = read_text(text);

  std::FILE* f = std::tmpfile();
  REQUIRE(f);
  std::fwrite(text.data(), 1, text.size(), f);
  std::rewind(f);
  event_csv_options small;
  small.chunk_bytes = 100;
  auto check_same = [&](const result& got) {
    CHECK(got.events == expect.events);
    CHECK(same_stats(got.stats, expect.stats));
  };
  event_csv_reader from_file(f, small);
  check_same(read_to_end(from_file));
  std::fclose(f);

  std::istringstream ss(text);
  event_csv_reader from_stream(ss, small);
  check_same(read_to_end(from_stream));

  result by_callback;
  by_callback.stats = read_event_csv(text, [&](const event& ev) { by_callback.events.emplace_back(ev); });
  check_same(by_callback);
  CHECK(by_callback.stats.skipped == 1);
}

TEST_CASE("event_csv: any input reads the same in place and in tiny chunks (fuzz)", "[event_csv][fuzz]") {
  std::string base = "\xEF\xBB\xBF" + header;
  for (const auto& r : one_row_per_type()) base += row(r);
  base += "2019-09-01T10:20:00+08:00,buyer_msg,s1,\"a,\"\"b\"\"\r\nc\",,,,,\r\n";
  const std::string alphabet = ",\"\r\n\n\nxZ0123456789:-+.T";
  std::mt19937_64 rng(99);
  int headers_ok = 0;
  for (int round = 0; round < 1500; ++round) {
    std::string text = base;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) {
      std::size_t at = header.size() + 3 + rng() % (text.size() - header.size() - 3);
      switch (rng() % 3) {
        case 0: text[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), alphabet[rng() % alphabet.size()]); break;
        default: text.erase(at, 1 + rng() % 3); break;
      }
    }
    if (round % 50 == 0) text = text.substr(0, rng() % text.size());  // truncations, header too
    event_csv_options o;
    o.max_field_bytes = 1 + rng() % 40;
    o.max_lateness = std::chrono::minutes{rng() % 20};
    result whole;
    try {
      whole = read_text(text, o);
      ++headers_ok;
    } catch (const event_csv_error&) {
      CHECK_THROWS_AS(read_chunked(text, 1 + rng() % 9, o), event_csv_error);
      continue;
    }
    std::size_t chunk = 1 + rng() % 50;
    INFO("round " << round << " chunk " << chunk);
    result part = read_chunked(text, chunk, o);
    REQUIRE(part.events == whole.events);
    INFO("in place: lines " << whole.stats.lines << " rows " << whole.stats.rows << " skipped "
                            << whole.stats.skipped << " bytes " << whole.stats.bytes << " blank "
                            << whole.stats.blank_lines);
    INFO("chunked:  lines " << part.stats.lines << " rows " << part.stats.rows << " skipped "
                            << part.stats.skipped << " bytes " << part.stats.bytes << " blank "
                            << part.stats.blank_lines);
    for (const auto& m : whole.stats.errors) INFO("in place: " << m);
    for (const auto& m : part.stats.errors) INFO("chunked: " << m);
    REQUIRE(same_stats(part.stats, whole.stats));
    CHECK(whole.stats.rows == whole.stats.accepted + whole.stats.skipped);
    CHECK(whole.stats.bytes == text.size());
  }
  CHECK(headers_ok > 1000);
}

TEST_CASE("swar_below_exact: flags exactly the bytes below n, wherever the others are", "[event_csv][swar]") {
  std::mt19937_64 rng(5);
  for (int n = 0; n <= 128; ++n)
    for (int round = 0; round < 256; ++round) {
      unsigned char bytes[8];
      for (auto& b : bytes) b = static_cast<unsigned char>(rng() % 2 ? n - 1 + static_cast<int>(rng() % 3) : rng());
      std::uint64_t expected = 0;
      for (int i = 0; i < 8; ++i)
        if (bytes[i] < n) expected |= std::uint64_t{0x80} << (8 * i);
      char text[8];
      std::memcpy(text, bytes, 8);
      REQUIRE(detail::swar_below_exact(detail::swar_load(text), static_cast<unsigned char>(n)) == expected);
    }
}

TEST_CASE("event_csv: plain rows read the same on the one-pass path as byte by byte", "[event_csv][fuzz]") {
  // In place, rows of plain fields take split_plain_row; read one byte at a
  // time they mostly cannot (under 8 bytes are ever buffered ahead) and take
  // find_record and split. Rows near every limit: fields of 0..max+1 bytes,
  // 7..11 fields, a special byte anywhere, blank lines, no final line end.
  std::mt19937_64 rng(11);
  const std::string specials = "\"\r\x80\xff\n";
  for (int round = 0; round < 400; ++round) {
    event_csv_options o;
    o.max_field_bytes = 8 + rng() % 30;  // the header's names fit
    std::string text = header;
    const int rows = 1 + static_cast<int>(rng() % 12);
    for (int k = 0; k < rows; ++k) {
      if (rng() % 10 == 0) {
        text += "\n";
        continue;
      }
      std::string r = "2019-09-01T10:" + std::to_string(10 + k) + ":00+08:00,buyer_msg";
      const int fields = rng() % 3 == 0 ? 7 + static_cast<int>(rng() % 5) : 9;
      for (int i = 2; i < fields; ++i) {
        r += ',';
        // ids of any length around the limit; amount, score and tag mostly empty (else a bad value)
        std::size_t len = rng() % 3 == 0 ? o.max_field_bytes + rng() % 2 : rng() % 12;
        if (i >= 6 && rng() % 4 != 0) len = 0;
        for (std::size_t j = 0; j < len; ++j) r += static_cast<char>('a' + rng() % 26);
      }
      if (rng() % 8 == 0) r.insert(r.begin() + static_cast<std::ptrdiff_t>(rng() % r.size()), specials[rng() % specials.size()]);
      text += r;
      if (k + 1 < rows || rng() % 2) text += "\n";
    }
    INFO("round " << round << ": " << text);
    const result fast = read_text(text, o);
    for (std::size_t chunk : {std::size_t{1}, std::size_t{5}}) {
      const result slow = read_chunked(text, chunk, o);
      REQUIRE(slow.events == fast.events);
      REQUIRE(same_stats(slow.stats, fast.stats));
    }
  }
}

namespace {

/// Counts the types of a quote-free event log by plain line splitting.
std::map<std::string, std::uint64_t> naive_type_counts(const std::string& path, std::uint64_t& lines,
                                                      bool& has_quotes) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  std::map<std::string, std::uint64_t> counts;
  lines = 0;
  has_quotes = false;
  while (std::getline(in, line)) {
    if (lines++ == 0) continue;
    if (line.find('"') != std::string::npos) has_quotes = true;
    std::size_t a = line.find(',');
    std::size_t b = line.find(',', a + 1);
    ++counts[line.substr(a + 1, b - a - 1)];
  }
  return counts;
}

void check_real_file(const std::string& path, std::uint64_t expected_rows) {
  std::uint64_t lines = 0;
  bool has_quotes = false;
  const auto naive = naive_type_counts(path, lines, has_quotes);
  REQUIRE_FALSE(has_quotes);  // the naive split is exact only without quotes
  std::FILE* f = std::fopen(path.c_str(), "rb");
  REQUIRE(f);
  event_csv_options strict;
  strict.strict = true;  // every row must be accepted
  event_csv_reader in(f, strict);
  std::map<std::string, std::uint64_t> counts;
  money_sum amounts;
  event e;
  std::uint64_t last_line = 0;
  while (in.next(e)) {
    ++counts[std::string(name(e.type))];
    if (e.amount) amounts.add(*e.amount);
    CHECK(e.line == last_line + (last_line == 0 ? 2 : 1));
    last_line = e.line;
  }
  std::fclose(f);
  CHECK(in.stats().accepted == expected_rows);
  CHECK(in.stats().skipped == 0);
  CHECK(in.stats().lines == lines);
  CHECK(counts == naive);
}

}  // namespace

TEST_CASE("event_csv: the real twcs log, every row accepted", "[event_csv][shared]") {
  CSM_REQUIRE_SHARED(path, "twcs-events.csv");
  check_real_file(path, 86607);
}

TEST_CASE("event_csv: the real olist log, every row accepted", "[event_csv][shared]") {
  CSM_REQUIRE_SHARED(path, "olist-events.csv");
  check_real_file(path, 14336);
  // The payments' exact total, against a plain split of the same file.
  std::ifstream in(path, std::ios::binary);
  std::string line;
  money naive;
  while (std::getline(in, line)) {
    const std::vector<std::string> c = split_plain(line);
    if (c.size() > 6 && c[1] == "payment") naive += money::parse(c[6]);
  }
  money total;
  std::ifstream again(path, std::ios::binary);
  event_csv_reader reader(again);
  event e;
  while (reader.next(e))
    if (e.type == event_type::payment) total += *e.amount;
  CHECK(total == naive);
  CHECK(total > money{});
}

TEST_CASE("event_csv: the real taobao log, every row accepted", "[event_csv][shared]") {
  CSM_REQUIRE_SHARED(path, "taobao-events.csv");
  check_real_file(path, 77621);
}
