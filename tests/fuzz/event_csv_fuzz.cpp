// SPDX-License-Identifier: Apache-2.0
// File: tests/fuzz/event_csv_fuzz.cpp
//
// Fuzz target: the CSV event-log reader (io/event_csv.hpp), fed a whole file.
// The first input byte picks the options (bit 0 strict, bit 1 tiny
// max_field_bytes, bit 2 a not_after limit, bits 3-4 max_lateness), the
// second the chunk size of a second, chunked read of the same bytes; the
// rest is the file. Invariants:
//   - the statistics add up (rows = accepted + skipped, skipped = the sum by
//     reason, one "line N: ..." message per skipped row up to keep_errors);
//   - reading the same bytes from a chunked source (1..256 bytes at a time)
//     gives the same events and the same statistics as reading them in place;
//   - strict mode throws event_csv_error with a reason for each bad row,
//     continues after it when called again, and delivers exactly the events
//     of the lenient mode (nothing accepted before a bad row is lost);
//   - a header problem throws in both modes;
//   - every accepted row written back as CSV (UTC time, amount to_string,
//     every field quoted) reads back as one event with the same values.
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint8_t, std::uint64_t
#include <cstring>      // std::memcpy
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "csmetrics/io/event_csv.hpp"
#include "../event_csv_support.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace csmetrics;

using csm_test::owned_event;
using csm_test::same_stats;

struct outcome {
  bool header_error = false;
  std::vector<owned_event> events;
  event_csv_stats stats;
};

/// Lenient read (options.strict must be false).
outcome read_all(event_csv_reader& in) {
  outcome o;
  event e;
  try {
    while (in.next(e)) o.events.emplace_back(e);
  } catch (const event_csv_error& err) {
    FUZZ_CHECK(!err.reason(), "lenient mode throws only for the header");
    FUZZ_CHECK(o.events.empty(), "a header error comes before any event");
    o.header_error = true;
  }
  o.stats = in.stats();
  return o;
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

void check_row_round_trip(const owned_event& e, const event_csv_options& base) {
  // Years outside 1970..9999 in UTC do not print in a form the reader takes.
  if (e.time.time_since_epoch().count() < 0) return;
  if (e.time.time_since_epoch().count() >= days_from_civil(10000, 1, 1) * 86400 * std::int64_t{1000000}) return;
  std::string csv = "time,type,shop,buyer,agent,order,amount,score,tag\n";
  csv += format_rfc3339(e.time);
  csv += ',';
  csv += name(e.type);
  for (const std::string* f : {&e.shop, &e.buyer, &e.agent, &e.order}) csv += ',' + quoted(*f);
  csv += ',';
  if (e.amount) csv += e.amount->to_string();
  csv += ',';
  if (e.score) csv += static_cast<char>('0' + e.score);
  csv += ',' + quoted(e.tag) + '\n';
  event_csv_options o;
  o.max_field_bytes = base.max_field_bytes;
  std::vector<owned_event> back;
  const event_csv_stats st = read_event_csv(csv, [&](const event& x) { back.emplace_back(x); }, o);
  if (back.size() != 1 || !back[0].same_values(e)) {
    std::fprintf(stderr, "row written back: %s", csv.c_str());
    for (const auto& m : st.errors) std::fprintf(stderr, "  %s\n", m.c_str());
    FUZZ_CHECK(false, "an accepted row written back reads as the same event");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t opt = data[0];
  const std::size_t chunk = 1 + data[1];
  const std::string_view text(reinterpret_cast<const char*>(data + 2), size - 2);

  event_csv_options options;
  options.keep_errors = 8;
  if (opt & 2) options.max_field_bytes = 16;
  if (opt & 4) options.not_after = timestamp{std::chrono::seconds{1893456000}};  // 2030-01-01T00:00Z
  static const duration lateness[4] = {duration{0}, std::chrono::hours{1}, std::chrono::hours{24 * 30},
                                       std::chrono::hours{24 * 365 * 100}};
  options.max_lateness = lateness[(opt >> 3) & 3];

  // 1. In place, lenient.
  event_csv_reader in_place(text, options);
  const outcome lenient = read_all(in_place);
  const event_csv_stats& st = lenient.stats;
  if (!lenient.header_error) {
    FUZZ_CHECK(st.rows == st.accepted + st.skipped, "rows = accepted + skipped");
    std::uint64_t by_reason = 0;
    for (std::uint64_t c : st.skipped_by) by_reason += c;
    FUZZ_CHECK(by_reason == st.skipped, "skipped = sum of skipped_by");
    FUZZ_CHECK(st.accepted == lenient.events.size(), "accepted = events delivered");
    FUZZ_CHECK(st.errors.size() == std::min<std::uint64_t>(st.skipped, options.keep_errors),
               "one message per skipped row, up to keep_errors");
    for (const std::string& m : st.errors) FUZZ_CHECK(m.rfind("line ", 0) == 0, "messages start with the line");
    FUZZ_CHECK(st.bytes <= text.size(), "bytes consumed <= input size");
    for (const owned_event& e : lenient.events) {
      FUZZ_CHECK(e.line >= 2 && e.line <= st.lines, "event lines after the header, within the lines read");
      const event_field_set need = required_fields(e.type);
      FUZZ_CHECK(!(need & field_bit(event_field::shop)) || !e.shop.empty(), "required shop present");
      FUZZ_CHECK(e.score <= 5, "score 0..5");
      FUZZ_CHECK(!e.amount || e.amount->minor() >= 0, "amounts non-negative");
      if (options.not_after) FUZZ_CHECK(e.time <= *options.not_after, "not_after holds");
    }
  }

  // 2. The same bytes from a chunked source.
  {
    std::size_t pos = 0;
    event_csv_options copt = options;
    copt.chunk_bytes = chunk;
    event_csv_reader chunked(
        [&](char* dst, std::size_t n) {
          const std::size_t k = std::min({n, chunk, text.size() - pos});
          std::memcpy(dst, text.data() + pos, k);
          pos += k;
          return k;
        },
        copt);
    const outcome c = read_all(chunked);
    FUZZ_CHECK(c.header_error == lenient.header_error, "chunked: same header outcome");
    FUZZ_CHECK(c.events == lenient.events, "chunked: same events");
    if (!c.header_error && !same_stats(c.stats, st)) {
      std::fprintf(stderr, "in place: lines %llu rows %llu skipped %llu bytes %llu; chunked: lines %llu rows %llu "
                   "skipped %llu bytes %llu\n",
                   (unsigned long long)st.lines, (unsigned long long)st.rows, (unsigned long long)st.skipped,
                   (unsigned long long)st.bytes, (unsigned long long)c.stats.lines,
                   (unsigned long long)c.stats.rows, (unsigned long long)c.stats.skipped,
                   (unsigned long long)c.stats.bytes);
      for (std::size_t i = 0; i < std::max(st.errors.size(), c.stats.errors.size()); ++i)
        std::fprintf(stderr, "  %s | %s\n", i < st.errors.size() ? st.errors[i].c_str() : "-",
                     i < c.stats.errors.size() ? c.stats.errors[i].c_str() : "-");
      FUZZ_CHECK(false, "chunked: same statistics");
    }
  }

  // 3. Strict: the same events; one throw per bad row; usable after a throw.
  {
    event_csv_options sopt = options;
    sopt.strict = true;
    event_csv_reader strict(text, sopt);
    std::vector<owned_event> events;
    std::uint64_t throws = 0;
    bool header_error = false;
    event e;
    for (std::uint64_t guard = 0;; ++guard) {
      FUZZ_CHECK(guard <= st.rows + 2, "strict mode makes progress after each error");
      try {
        if (!strict.next(e)) break;
        events.emplace_back(e);
      } catch (const event_csv_error& err) {
        if (!err.reason()) {
          header_error = true;
          break;
        }
        ++throws;
        FUZZ_CHECK(err.line() >= 2, "a bad row's line is after the header");
        FUZZ_CHECK(std::string(err.what()).find("line " + std::to_string(err.line()) + ": ") != std::string::npos,
                   "the message names the line");
      }
    }
    FUZZ_CHECK(header_error == lenient.header_error, "strict: same header outcome");
    if (!header_error) {
      FUZZ_CHECK(events == lenient.events, "strict: the same events as lenient mode");
      FUZZ_CHECK(throws == st.skipped, "strict: one throw per skipped row");
    }
  }

  // 4. Accepted rows round-trip.
  for (const owned_event& e : lenient.events) check_row_round_trip(e, options);
  return 0;
}
