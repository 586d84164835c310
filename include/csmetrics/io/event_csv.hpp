// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/io/event_csv.hpp
//
// Reads the CSV event log of ../EVENTS.md into typed events, streaming:
// constant memory whatever the size of the input, one pass, no allocation per
// row. The input is RFC 4180 CSV (UTF-8, ',' separator, '"' quoting with ""
// for a quote, quoted fields may hold commas, quotes, LF and CR), lines end in
// LF or CRLF, an optional UTF-8 byte order mark precedes the header, and the
// header must be exactly
//
//     time,type,shop,buyer,agent,order,amount,score,tag
//
// Each row is checked: 9 fields; an RFC 3339 time with offset (io/rfc3339.hpp);
// a known type; the fields that type requires non-empty (EVENTS.md's table,
// required_fields() in io/event.hpp); an amount, when present, non-negative
// with at most 2 decimals (money.hpp); a score, when present, one digit 1..5;
// a dsr tag item/service/logistics; a lost tag one of the 7 reasons; the ids
// (shop, buyer, agent, order) and the tag - in fact every field - valid UTF-8
// (EVENTS.md; RFC 3629: no overlong forms, surrogates or truncated sequences:
// core/utf8.hpp), else invalid_utf8, so that no output format gets bytes it
// cannot carry ("line 9: field 'shop' is not valid UTF-8 at byte 1:
// \"s\\xff\\xfe\""; the message shows other bytes than printable ASCII
// as \\xHH). Columns
// a type does not use may be empty; when they are not empty they are still
// checked (an amount is always an amount). A bad row is reported with its
// line number and reason ("line 17: amount has 3 decimals (at most 2):
// 1.234"), skipped and counted by reason; nothing accepted before it is lost.
//
// Time order: a row older than the newest time accepted so far is delivered
// and counted as out_of_order while it is at most `max_lateness` behind;
// beyond that it is skipped and counted as too_late (a window that has moved
// on cannot place it). Note that one far-future typo (year 2091) makes every
// later row too_late: set `not_after` when the data's time span is known.
//
// Errors:
//   - bad rows: skipped and counted (event_csv_stats); in strict mode next()
//     THROWS event_csv_error for the first one (reason() says which). The row
//     is counted before the throw and the reader stays usable: calling next()
//     again continues after the bad row.
//   - no header, a wrong header or an I/O error: event_csv_error in every
//     mode, from the first next() (the constructor does no I/O).
//   - bad options: std::invalid_argument from the constructor.
// Line numbers are physical lines, 1-based, the header being line 1; a row
// with line breaks inside quotes has the number of the line it starts on.
// A blank line (nothing between two line ends) is not a row: it is skipped
// and counted in blank_lines, never an error.
//
// Row boundaries: a row ends at the first line feed outside a quoted field.
// A '"' opens a quoted field only as the first byte of a field; anywhere else
// it is a literal that makes the row bad (bad_quote) without moving the row's
// end, so a stray quote (5" screen) costs one row. A quoted field that never
// closes runs to the end of the input: that row is reported as
// unterminated_quote and nothing after it is read (RFC 4180 gives no other
// reading). A row longer than the longest valid row (9 fields of
// max_field_bytes, all quotes doubled) is reported as field_too_long as soon
// as that length is passed and skipped without being buffered.
//
// Speed: about 4 passes over each byte (two memchr, the field split, the value
// parsers). The UTF-8 check costs nothing on ASCII fields (almost every id):
// the field split notes which fields hold other bytes, and only those are
// checked in full. See bench/event_csv_bench.cpp for figures.
#ifndef CSMETRICS_IO_EVENT_CSV_HPP_
#define CSMETRICS_IO_EVENT_CSV_HPP_

#include <array>        // std::array (counts by reason)
#include <chrono>       // std::chrono::hours
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint64_t, std::int64_t
#include <cstdio>       // std::FILE, std::fread, std::ferror
#include <functional>   // std::function (the byte source)
#include <istream>      // std::istream
#include <map>          // std::map (skipped_by_reason)
#include <memory>       // std::unique_ptr
#include <optional>     // std::optional
#include <stdexcept>    // std::runtime_error, std::invalid_argument
#include <string>       // std::string (messages)
#include <string_view>  // std::string_view
#include <utility>      // std::forward
#include <vector>       // std::vector (kept messages)

#include "csmetrics/core/error.hpp"
#include "csmetrics/io/event.hpp"
#include "csmetrics/io/rfc3339.hpp"
#include "csmetrics/core/money.hpp"
#include "csmetrics/core/time.hpp"
#include "csmetrics/core/utf8.hpp"

namespace csmetrics {

/// Why a row was skipped.
enum class row_error : std::uint8_t {
  field_count,         ///< not exactly 9 fields
  unterminated_quote,  ///< a quoted field runs to the end of the input
  bad_quote,           ///< '"' inside an unquoted field, or text after a closing quote
  bare_cr,             ///< a carriage return outside quotes that does not end the line
  field_too_long,      ///< a field longer than max_field_bytes (or a row longer than any valid row)
  bad_time,            ///< not an RFC 3339 timestamp with offset in 1970..9999
  unknown_type,        ///< the type column is none of the 15 types
  missing_field,       ///< a field the type requires is empty
  bad_amount,          ///< empty-or-valid amount expected (junk, negative, 3 decimals, overflow)
  bad_score,           ///< a score other than 1..5
  bad_tag,             ///< a dsr tag or lost reason outside its vocabulary
  too_late,            ///< more than max_lateness behind the newest time accepted
  too_far_in_future,   ///< after options.not_after
  invalid_utf8,        ///< a field (shop, buyer, agent, order, tag, ...) is not valid UTF-8
};

/// Number of row_error values.
inline constexpr std::size_t row_error_count = 14;

/// "field_count", "unterminated_quote", ... "too_far_in_future", "invalid_utf8".
constexpr std::string_view name(row_error e) {
  constexpr std::array<std::string_view, row_error_count> names = {
      "field_count",   "unterminated_quote", "bad_quote",  "bare_cr",   "field_too_long",
      "bad_time",      "unknown_type",       "missing_field", "bad_amount", "bad_score",
      "bad_tag",       "too_late",           "too_far_in_future", "invalid_utf8"};
  const auto i = static_cast<std::size_t>(e);
  return i < names.size() ? names[i] : std::string_view("unknown");
}

/// How the reader treats its input. Checked by the reader's constructor.
struct event_csv_options {
  /// Stop at the first bad row: next() throws event_csv_error.
  bool strict = false;
  /// How far behind the newest accepted time a row may be and still be delivered (>= 0).
  duration max_lateness = std::chrono::hours{1};
  /// Longest field, in bytes after unquoting, in [1, 1 MiB]; longer ones make the row bad.
  std::size_t max_field_bytes = 4096;
  /// How many error messages stats().errors keeps (the counts are always complete).
  std::size_t keep_errors = 100;
  /// Bytes asked from the source per read, in [1, 1 GiB] (ignored for in-memory text).
  std::size_t chunk_bytes = std::size_t{1} << 20;
  /// Rows after this instant are skipped as too_far_in_future; none when empty.
  std::optional<timestamp> not_after;
};

/// What the reader has seen so far.
struct event_csv_stats {
  std::uint64_t lines = 0;         ///< physical lines consumed, header included
  std::uint64_t rows = 0;          ///< data rows seen: accepted + skipped
  std::uint64_t accepted = 0;      ///< rows delivered by next()
  std::uint64_t skipped = 0;       ///< rows rejected (sum of skipped_by)
  std::uint64_t out_of_order = 0;  ///< accepted rows older than a row accepted before them
  std::uint64_t blank_lines = 0;   ///< empty lines (not rows)
  std::uint64_t bytes = 0;         ///< input bytes consumed
  std::array<std::uint64_t, row_error_count> skipped_by{};  ///< indexed by row_error
  std::vector<std::string> errors;  ///< the first keep_errors messages, "line 17: ..."

  /// Rows skipped for reason `r`.
  std::uint64_t skipped_for(row_error r) const { return skipped_by[static_cast<std::size_t>(r)]; }
  /// Reason name -> count, for the reasons that occurred.
  std::map<std::string_view, std::uint64_t> skipped_by_reason() const {
    std::map<std::string_view, std::uint64_t> m;
    for (std::size_t i = 0; i < row_error_count; ++i)
      if (skipped_by[i] != 0) m.emplace(name(static_cast<row_error>(i)), skipped_by[i]);
    return m;
  }
};

/// Thrown by event_csv_reader::next(): no header, a wrong header, an I/O
/// error, or (strict mode) a bad row.
class event_csv_error : public std::runtime_error {
 public:
  event_csv_error(const std::string& what, std::uint64_t line, std::optional<row_error> reason)
      : std::runtime_error(what), line_(line), reason_(reason) {}
  /// The line concerned; 0 when none (empty input, I/O error).
  std::uint64_t line() const { return line_; }
  /// The bad row's reason (strict mode); empty for header and I/O errors.
  std::optional<row_error> reason() const { return reason_; }

 private:
  std::uint64_t line_;
  std::optional<row_error> reason_;
};

/**
 * A streaming reader of the CSV event log: typed, checked events one at a
 * time, bad rows counted by reason (see the file comment for every rule).
 *
 *     std::FILE* f = std::fopen("events.csv", "rb");
 *     csmetrics::event_csv_reader in(f);            // or a std::istream&, or text in memory
 *     csmetrics::event e;
 *     while (in.next(e)) {
 *       if (e.type == csmetrics::event_type::payment) revenue.add(*e.amount);
 *     }
 *     in.stats().skipped;                           // and skipped_by_reason(), errors
 *
 * The views in `e` (shop, buyer, ...) point into the reader's buffer and stay
 * valid until the next call to next(). Memory: one buffer of chunk_bytes plus
 * at most one longest valid row (about 18 x max_field_bytes), whatever the
 * input size. In-memory text is read in place, without a copy, and must
 * outlive the reader. Not thread-safe: one reader per thread (split a file
 * at line boundaries and merge the accumulators to parallelize).
 */
class event_csv_reader {
 public:
  /// A byte source: fills up to `n` bytes at `dst`, returns how many; 0 only
  /// at the end of the input. Throws on an I/O error.
  using read_function = std::function<std::size_t(char* dst, std::size_t n)>;

  /// Reads `text` in place (no copy); `text` must outlive the reader.
  explicit event_csv_reader(std::string_view text, event_csv_options options = {});
  /// Reads `file` from its current position (not closed by the reader).
  explicit event_csv_reader(std::FILE* file, event_csv_options options = {});
  /// Reads `in` from its current position.
  explicit event_csv_reader(std::istream& in, event_csv_options options = {});
  /// Reads what `read` returns.
  explicit event_csv_reader(read_function read, event_csv_options options = {});

  event_csv_reader(const event_csv_reader&) = delete;
  event_csv_reader& operator=(const event_csv_reader&) = delete;
  event_csv_reader(event_csv_reader&&) = default;
  event_csv_reader& operator=(event_csv_reader&&) = default;

  /// The next good event into `out`; false at the end of the input. Bad rows
  /// are skipped and counted (strict mode: event_csv_error is thrown).
  bool next(event& out);

  const event_csv_stats& stats() const { return stats_; }
  const event_csv_options& options() const { return options_; }
  /// The newest time accepted so far; empty before the first event.
  std::optional<timestamp> newest_time() const {
    if (!have_newest_) return std::nullopt;
    return newest_;
  }

 private:
  enum class scan_status { record, end, too_long, unterminated };
  struct record {
    std::size_t begin, end;  // [begin, end) in base_, line end excluded
    std::uint64_t line;      // line it starts on
  };

  void init();
  void read_header();
  bool refill();
  scan_status find_record(record& r);
  bool split_plain_row(record& r, std::array<std::string_view, event_field_count>& f);
  bool parse_row(const record& r, event& out);
  bool parse_fields(std::uint64_t line, const std::array<std::string_view, event_field_count>& f,
                    std::uint32_t non_ascii, event& out);
  bool split(const record& r, std::array<std::string_view, event_field_count>& f, std::uint32_t& non_ascii);
  bool reject(row_error why, std::uint64_t line, const std::string& msg);

  event_csv_options options_;
  read_function read_;                 // empty for in-memory text
  std::unique_ptr<char[]> buf_;        // chunked sources only
  std::size_t cap_ = 0;                // size of buf_
  const char* base_ = nullptr;         // buf_ or the in-memory text
  std::size_t pos_ = 0;                // start of the next row in base_
  std::size_t end_ = 0;                // end of the bytes in base_
  bool eof_ = false;                   // the source has no more bytes
  bool header_done_ = false;
  std::size_t max_record_ = 0;         // longest valid row, raw bytes
  std::unique_ptr<char[]> scratch_;    // unquoted copies of fields with "" inside
  std::uint64_t line_ = 1;             // line the next row starts on
  detail::rfc3339_date_cache dates_;   // rows share their date
  // The plain rows' fields: a member, not a local of next(), which zeroed
  // nine views (18 stores) per row before splitting it.
  std::array<std::string_view, event_field_count> plain_fields_;
  timestamp newest_{};
  bool have_newest_ = false;
  event_csv_stats stats_;
};

/// Reads a whole buffer, calling `on_event(const event&)` for each good event;
/// returns the statistics. The entry point for fuzzers and tests: throws only
/// event_csv_error (header, or strict mode) and std::invalid_argument (options).
template <class F>
event_csv_stats read_event_csv(std::string_view text, F&& on_event, event_csv_options options = {}) {
  event_csv_reader in(text, std::move(options));
  event e;
  while (in.next(e)) on_event(static_cast<const event&>(e));
  return in.stats();
}

}  // namespace csmetrics

#include "csmetrics/io/event_csv_impl.hpp"

#endif  // CSMETRICS_IO_EVENT_CSV_HPP_
