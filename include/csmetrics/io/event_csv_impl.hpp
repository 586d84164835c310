// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/io/event_csv_impl.hpp
//
// Definitions of event_csv_reader (declared in csmetrics/io/event_csv.hpp,
// which includes this file at its end; do not include it directly).
//
// How a row is read:
//   1. find_record: the row ends at the first '\n' outside a quoted field (a
//      '"' opens a quoted field only at the start of a field). The fast path
//      is two memchr per line ('\n', then '"' up to it); quoted fields go on
//      with memchr for '"', counting the line feeds inside. When the buffer
//      runs out, the unread tail moves to the front, the source fills the
//      rest and the scan resumes where it stopped, in the same state.
//   2. split: 9 fields; unquoted fields are scanned byte by byte against a
//      table of ',', '"', CR and the bytes >= 0x80 (which mark the field for
//      the UTF-8 check: free for ASCII fields); quoted fields are views
//      inside the quotes, copied to scratch_ only when they contain "", and
//      checked for bytes >= 0x80 8 bytes a step.
//   Most rows take neither step: split_plain_row reads a row of plain ASCII
//   fields (no quote, no CR) in one pass a block (csv_block) a step, and hands any
//   other row, untouched, to find_record and split.
//   3. parse_row: the value parsers (rfc3339, type, money, score, tag), the
//      UTF-8 check of the fields split() marked, and the time-order rule.
#ifndef CSMETRICS_IO_EVENT_CSV_IMPL_HPP_
#define CSMETRICS_IO_EVENT_CSV_IMPL_HPP_

#include <algorithm>  // std::count, std::min, std::max
#include <cstddef>    // std::ptrdiff_t
#include <cstdint>    // std::uint64_t
#include <cstring>    // std::memchr, std::memmove, std::memcpy

#include "csmetrics/core/swar.hpp"
#include "csmetrics/io/csv_bytes.hpp"

namespace csmetrics {
namespace detail {

inline constexpr std::string_view event_csv_header = "time,type,shop,buyer,agent,order,amount,score,tag";

/// "field 'buyer'" for messages.
inline std::string field_label(std::size_t i) {
  return std::string("field '") + std::string(name(static_cast<event_field>(i))) + "'";
}

/// "1h", "90s", "250ms", "0s": a duration for messages.
inline std::string format_lateness(duration d) {
  const std::int64_t us = d.count();
  if (us % 3600000000LL == 0) return std::to_string(us / 3600000000LL) + "h";
  if (us % 60000000LL == 0) return std::to_string(us / 60000000LL) + "min";
  if (us % 1000000LL == 0) return std::to_string(us / 1000000LL) + "s";
  return std::to_string(us) + "us";
}

}  // namespace detail

inline event_csv_reader::event_csv_reader(std::string_view text, event_csv_options options)
    : options_(std::move(options)) {
  init();
  base_ = text.data();
  end_ = text.size();
  eof_ = true;
}

inline event_csv_reader::event_csv_reader(std::FILE* file, event_csv_options options)
    : event_csv_reader(
          read_function([file](char* dst, std::size_t n) -> std::size_t {
            std::size_t got = std::fread(dst, 1, n, file);
            if (got == 0 && std::ferror(file))
              CSMETRICS_THROW(event_csv_error("csmetrics::event_csv_reader: read error on the FILE*", 0,
                                              std::nullopt));
            return got;
          }),
          std::move(options)) {
  if (!file) CSMETRICS_THROW(std::invalid_argument("csmetrics::event_csv_reader: the FILE* is null"));
}

inline event_csv_reader::event_csv_reader(std::istream& in, event_csv_options options)
    : event_csv_reader(read_function([&in](char* dst, std::size_t n) -> std::size_t {
                         in.read(dst, static_cast<std::streamsize>(n));
                         if (in.bad())
                           CSMETRICS_THROW(event_csv_error("csmetrics::event_csv_reader: read error on the stream",
                                                           0, std::nullopt));
                         return static_cast<std::size_t>(in.gcount());
                       }),
                       std::move(options)) {}

inline event_csv_reader::event_csv_reader(read_function read, event_csv_options options)
    : options_(std::move(options)), read_(std::move(read)) {
  if (!read_) CSMETRICS_THROW(std::invalid_argument("csmetrics::event_csv_reader: the read function is empty"));
  init();
  cap_ = std::max(options_.chunk_bytes, std::size_t{3});
  buf_.reset(new char[cap_]);
  base_ = buf_.get();
}

inline void event_csv_reader::init() {
  if (options_.max_lateness < duration::zero())
    CSMETRICS_THROW(std::invalid_argument("csmetrics::event_csv_reader: max_lateness must be >= 0: " +
                                          std::to_string(options_.max_lateness.count()) + " us"));
  if (options_.max_field_bytes < 1 || options_.max_field_bytes > (std::size_t{1} << 20))
    CSMETRICS_THROW(std::invalid_argument("csmetrics::event_csv_reader: max_field_bytes must be in [1, 1048576]: " +
                                          std::to_string(options_.max_field_bytes)));
  if (options_.chunk_bytes < 1 || options_.chunk_bytes > (std::size_t{1} << 30))
    CSMETRICS_THROW(std::invalid_argument("csmetrics::event_csv_reader: chunk_bytes must be in [1, 1073741824]: " +
                                          std::to_string(options_.chunk_bytes)));
  // Longest valid row: 9 fields, each quoted with every byte a doubled
  // quote, 8 commas and a CR.
  max_record_ = event_field_count * (2 * options_.max_field_bytes + 2) + event_field_count;
  scratch_.reset(new char[max_record_]);
}

// Moves the unread bytes [pos_, end_) to the front of buf_, grows buf_ when it
// is full, and reads one chunk. Returns false (and sets eof_) at the end.
inline bool event_csv_reader::refill() {
  if (!read_ || eof_) {
    eof_ = true;
    return false;
  }
  const std::size_t keep = end_ - pos_;
  if (pos_ != 0) {
    if (keep != 0) std::memmove(buf_.get(), buf_.get() + pos_, keep);
    pos_ = 0;
    end_ = keep;
  }
  if (end_ == cap_) {  // one row fills the buffer: grow (bounded by max_record_ + chunk)
    const std::size_t cap = cap_ + std::max(cap_, std::size_t{64});
    std::unique_ptr<char[]> bigger(new char[cap]);
    std::memcpy(bigger.get(), buf_.get(), end_);
    buf_ = std::move(bigger);
    cap_ = cap;
    base_ = buf_.get();
  }
  const std::size_t got = read_(buf_.get() + end_, std::min(options_.chunk_bytes, cap_ - end_));
  if (got == 0) {
    eof_ = true;
    return false;
  }
  end_ += got;
  return true;
}

inline event_csv_reader::scan_status event_csv_reader::find_record(record& r) {
  // Where the scan stands inside the row: a '"' opens a quoted field only at
  // the start of a field (elsewhere it is a literal that split() rejects), so
  // a stray quote in "5\" screen" cannot swallow the lines after it.
  enum class at : std::uint8_t { field_start, unquoted, quoted, quoted_quote };
  r.line = line_;
  std::size_t scan = pos_;
  at state = at::field_start;
  std::uint64_t newlines = 0;   // line feeds inside quotes
  bool too_long = false;        // past max_record_: the bytes are dropped
  bool dropped_lf = false;      // the last byte dropped was a line feed
  for (;;) {
    const char* const b = base_;
    const char* p = b + scan;
    const char* const e = b + end_;
    const char* nl = nullptr;  // the row's line end, once found
    while (p < e) {
      if (state == at::quoted) {  // to the next quote, counting line feeds
        const char* q = static_cast<const char*>(std::memchr(p, '"', static_cast<std::size_t>(e - p)));
        const char* lim = q ? q : e;
        newlines += static_cast<std::uint64_t>(std::count(p, lim, '\n'));
        if (!q) {
          p = e;
          break;
        }
        p = q + 1;
        state = at::quoted_quote;
        continue;
      }
      if (state == at::quoted_quote) {  // "" is a quote; anything else closes the field
        const char c = *p;
        if (c == '\n') {
          nl = p;
          break;
        }
        state = c == '"' ? at::quoted : c == ',' ? at::field_start : at::unquoted;
        ++p;
        continue;
      }
      // Outside quotes: the fast path, two memchr per line.
      const char* n = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(e - p)));
      const char* lim = n ? n : e;
      const char* q = static_cast<const char*>(std::memchr(p, '"', static_cast<std::size_t>(lim - p)));
      if (!q) {
        if (n) {
          nl = n;
          break;
        }
        if (lim > p) state = lim[-1] == ',' ? at::field_start : at::unquoted;
        p = e;
        break;
      }
      // [p, q) holds no quote and no line feed: only its last byte matters.
      if (q > p) state = q[-1] == ',' ? at::field_start : at::unquoted;
      if (state == at::field_start) state = at::quoted;
      p = q + 1;
    }
    if (nl) {  // the row is [pos_, nl)
      const std::size_t next = static_cast<std::size_t>(nl - b) + 1;
      r.begin = pos_;
      r.end = static_cast<std::size_t>(nl - b);
      stats_.bytes += next - pos_;
      line_ += newlines + 1;
      stats_.lines += newlines + 1;
      pos_ = next;
      if (too_long || r.end - r.begin > max_record_) return scan_status::too_long;
      return scan_status::record;
    }
    scan = static_cast<std::size_t>(p - b);
    if (!too_long && scan - pos_ > max_record_ && read_) too_long = true;
    if (too_long && scan != pos_) {  // drop what was scanned: the row is skipped, not kept
      dropped_lf = base_[scan - 1] == '\n';
      stats_.bytes += scan - pos_;
      pos_ = scan;
    }
    const std::size_t scanned = scan - pos_;  // refill() moves the row to the front
    if (!refill()) {
      // End of input: what is left is the last row (no final line end).
      const std::size_t rest = end_ - pos_;
      if (rest == 0 && !too_long) return scan_status::end;
      r.begin = pos_;
      r.end = end_;
      stats_.bytes += rest;
      // The last line counts unless the row's last byte (inside quotes) is a line feed.
      const bool ends_lf = rest != 0 ? base_[end_ - 1] == '\n' : dropped_lf;
      line_ += newlines;
      stats_.lines += newlines + ((rest != 0 || too_long) && !ends_lf ? 1 : 0);
      pos_ = end_;
      if (state == at::quoted) return scan_status::unterminated;
      if (too_long || r.end - r.begin > max_record_) return scan_status::too_long;
      return scan_status::record;
    }
    scan = pos_ + scanned;
  }
}

inline bool event_csv_reader::reject(row_error why, std::uint64_t line, const std::string& msg) {
  ++stats_.skipped;
  ++stats_.skipped_by[static_cast<std::size_t>(why)];
  std::string full = "line " + std::to_string(line) + ": " + msg;
  if (options_.strict) {
    if (stats_.errors.size() < options_.keep_errors) stats_.errors.push_back(full);
    CSMETRICS_THROW(event_csv_error("csmetrics::event_csv_reader: " + full, line, why));
  }
  if (stats_.errors.size() < options_.keep_errors) stats_.errors.push_back(std::move(full));
  return false;
}

// Splits row r into exactly 9 fields (views into base_ or scratch_); bit i of
// `non_ascii` is set when field i holds a byte >= 0x80.
inline bool event_csv_reader::split(const record& r, std::array<std::string_view, event_field_count>& f,
                                    std::uint32_t& non_ascii) {
  non_ascii = 0;
  const char* p = base_ + r.begin;
  const char* e = base_ + r.end;
  if (e > p && e[-1] == '\r') --e;  // CRLF
  char* out = scratch_.get();
  std::size_t n = 0;
  const auto& cls = detail::csv_bytes.cls;
  for (;;) {
    if (n == event_field_count) {
      std::size_t more = 1 + static_cast<std::size_t>(std::count(p, e, ','));
      return reject(row_error::field_count, r.line,
                    "expected 9 fields, found " + std::to_string(n + more));
    }
    std::string_view v;
    if (p < e && *p == '"') {
      const char* start = ++p;
      bool escaped = false;
      const char* q;
      for (;;) {
        q = static_cast<const char*>(std::memchr(p, '"', static_cast<std::size_t>(e - p)));
        if (!q)
          return reject(row_error::bad_quote, r.line, detail::field_label(n) + ": the quoted field does not close");
        if (q + 1 < e && q[1] == '"') {
          escaped = true;
          p = q + 2;
          continue;
        }
        break;
      }
      if (escaped) {
        char* w = out;
        for (const char* s = start; s < q; ++s) {
          *w++ = *s;
          if (*s == '"') ++s;  // "" -> "
        }
        v = std::string_view(out, static_cast<std::size_t>(w - out));
        out = w;
      } else {
        v = std::string_view(start, static_cast<std::size_t>(q - start));
      }
      if (!detail::is_ascii(v.data(), v.size())) non_ascii |= std::uint32_t{1} << n;
      p = q + 1;
      if (p < e && *p != ',')
        return reject(row_error::bad_quote, r.line,
                      detail::field_label(n) + ": text after the closing quote: " +
                          detail::quote_text(std::string_view(p, static_cast<std::size_t>(e - p)), 32));
    } else {
      const char* start = p;
      p = detail::skip_plain(p, e);
      if (p < e && cls[static_cast<unsigned char>(*p)] == 4) {  // UTF-8 (or not): on to the field's end
        non_ascii |= std::uint32_t{1} << n;
        while (p < e && (cls[static_cast<unsigned char>(*p)] & 3) == 0) ++p;
      }
      if (p < e && *p == '"')
        return reject(row_error::bad_quote, r.line, detail::field_label(n) + ": '\"' inside an unquoted field");
      if (p < e && *p == '\r')
        return reject(row_error::bare_cr, r.line,
                      detail::field_label(n) + ": carriage return outside quotes (quote the field to keep it)");
      v = std::string_view(start, static_cast<std::size_t>(p - start));
    }
    if (v.size() > options_.max_field_bytes)
      return reject(row_error::field_too_long, r.line,
                    detail::field_label(n) + " is " + std::to_string(v.size()) + " bytes, longer than max_field_bytes " +
                        std::to_string(options_.max_field_bytes));
    f[n++] = v;
    if (p == e) break;
    ++p;  // the comma
  }
  if (n != event_field_count)
    return reject(row_error::field_count, r.line, "expected 9 fields, found " + std::to_string(n));
  return true;
}

// The common row in one pass: 9 plain ASCII fields (no '"', CR or byte >=
// 0x80), none longer than max_field_bytes, ending in '\n' inside the buffer.
// Fills f and moves past the row as find_record does; any other row returns
// false with nothing moved, for find_record and split to take byte-exactly.
inline bool event_csv_reader::split_plain_row(record& r, std::array<std::string_view, event_field_count>& f) {
  if constexpr (!detail::swar_enabled) return false;
  using namespace detail;
  const char* const e = base_ + end_;
  const char* field = base_ + pos_;
  std::size_t n = 0;
  for (const char* p = field; e - p >= static_cast<std::ptrdiff_t>(csv_block::size); p += csv_block::size) {
    const csv_block::marks m = csv_block::scan(p);
    const csv_block::flags end = m.lf & (0 - m.lf);  // the row's line feed, when it is in this block
    const csv_block::flags row = end ? (end | (end - 1)) : ~csv_block::flags{0};  // the bytes up to it
    if (m.spoil & row) return false;
    for (csv_block::flags commas = m.comma & row; commas != 0; commas &= commas - 1) {
      if (n + 1 == event_field_count) return false;  // too many fields
      const char* h = p + csv_block::first(commas);
      f[n++] = std::string_view(field, static_cast<std::size_t>(h - field));
      field = h + 1;
    }
    if (!end) continue;
    const char* h = p + csv_block::first(end);
    if (n + 1 != event_field_count) return false;
    f[n] = std::string_view(field, static_cast<std::size_t>(h - field));
    // A field over max_field_bytes: only in a row longer than that (checked once a row, not once a field).
    if (static_cast<std::size_t>(h - (base_ + pos_)) > options_.max_field_bytes)
      for (const std::string_view v : f)
        if (v.size() > options_.max_field_bytes) return false;
    r.begin = pos_;
    r.end = static_cast<std::size_t>(h - base_);
    r.line = line_;
    stats_.bytes += r.end + 1 - pos_;
    ++line_;
    ++stats_.lines;
    pos_ = r.end + 1;
    return true;
  }
  return false;
}

inline bool event_csv_reader::parse_row(const record& r, event& out) {
  std::array<std::string_view, event_field_count> f;
  std::uint32_t non_ascii = 0;
  if (!split(r, f, non_ascii)) return false;
  return parse_fields(r.line, f, non_ascii, out);
}

inline bool event_csv_reader::parse_fields(std::uint64_t line, const std::array<std::string_view, event_field_count>& f,
                                           std::uint32_t non_ascii, event& out) {
  // time
  std::int64_t us = 0;
  rfc3339_error terr = rfc3339_error::syntax;
  if (!dates_.parse(f[0], us, terr))
    return reject(row_error::bad_time, line, detail::rfc3339_error_message(terr, f[0]));
  // type
  std::optional<event_type> type = parse_event_type(f[1]);
  if (!type) return reject(row_error::unknown_type, line, "unknown type: " + detail::quote_text(f[1], 32));
  // required fields
  event_field_set present = 0;
  for (std::size_t i = 2; i < event_field_count; ++i)
    if (!f[i].empty()) present = static_cast<event_field_set>(present | (1u << i));
  const event_field_set need = required_fields(*type);
  if ((present & need) != need) {
    std::string missing;
    for (std::size_t i = 2; i < event_field_count; ++i)
      if ((need & (1u << i)) && !(present & (1u << i))) {
        if (!missing.empty()) missing += ", ";
        missing += name(static_cast<event_field>(i));
      }
    return reject(row_error::missing_field, line,
                  std::string(name(*type)) + " requires " + missing + " (empty)");
  }
  // Text: valid UTF-8. split() marked the fields with bytes >= 0x80 (ids are
  // almost always ASCII); only those are checked in full.
  for (std::size_t i = 0; non_ascii != 0; ++i, non_ascii >>= 1) {
    if ((non_ascii & 1) == 0) continue;
    const std::size_t bad = detail::utf8_error_offset(f[i]);
    if (bad != std::string_view::npos)
      return reject(row_error::invalid_utf8, line,
                    detail::field_label(i) + " is not valid UTF-8 at byte " + std::to_string(bad) + ": \"" +
                        detail::escape_bytes(f[i]) + "\"");
  }
  // amount
  std::optional<money> amount;
  const std::string_view a = f[static_cast<std::size_t>(event_field::amount)];
  if (!a.empty()) {
    std::int64_t minor = 0;
    money_parse_error why = money_parse_error::junk;
    if (!detail::parse_minor_units(a, minor, why))
      return reject(row_error::bad_amount, line, detail::money_error_message(why, a));
    amount = money::from_minor(minor);
  }
  // score
  std::uint8_t score = 0;
  const std::string_view s = f[static_cast<std::size_t>(event_field::score)];
  if (!s.empty()) {
    if (s.size() != 1 || s[0] < '1' || s[0] > '5')
      return reject(row_error::bad_score, line, "score must be an integer 1..5: " + detail::quote_text(s, 32));
    score = static_cast<std::uint8_t>(s[0] - '0');
  }
  // tag
  const std::string_view tag = f[static_cast<std::size_t>(event_field::tag)];
  if (*type == event_type::dsr && dsr_tag_index(tag) < 0)
    return reject(row_error::bad_tag, line,
                  "dsr tag must be item, service or logistics: " + detail::quote_text(tag, 32));
  if (*type == event_type::lost && lost_reason_index(tag) < 0)
    return reject(row_error::bad_tag, line,
                  "lost reason must be price, response_time, product_knowledge, attitude, logistics, "
                  "after_sales or other: " +
                      detail::quote_text(tag, 32));
  // time order
  const timestamp t{duration{us}};
  if (options_.not_after && t > *options_.not_after)
    return reject(row_error::too_far_in_future, line,
                  "time " + format_rfc3339(t) + " is after not_after " + format_rfc3339(*options_.not_after));
  if (have_newest_ && t < newest_) {
    if (newest_ - t > options_.max_lateness)
      return reject(row_error::too_late, line,
                    "time " + std::string(f[0]) + " is " + detail::format_lateness(newest_ - t) +
                        " behind the newest time accepted, " + format_rfc3339(newest_) + " (max_lateness " +
                        detail::format_lateness(options_.max_lateness) + ")");
    ++stats_.out_of_order;
  } else {
    newest_ = t;
    have_newest_ = true;
  }
  out.time = t;
  out.type = *type;
  out.shop = f[2];
  out.buyer = f[3];
  out.agent = f[4];
  out.order = f[5];
  out.amount = amount;
  out.score = score;
  out.tag = tag;
  out.line = line;
  ++stats_.accepted;
  return true;
}

inline void event_csv_reader::read_header() {
  header_done_ = true;
  // The BOM may straddle chunks: make sure 3 bytes are there (or the end).
  while (end_ - pos_ < 3 && refill()) {
  }
  if (end_ - pos_ >= 3 && static_cast<unsigned char>(base_[pos_]) == 0xEF &&
      static_cast<unsigned char>(base_[pos_ + 1]) == 0xBB && static_cast<unsigned char>(base_[pos_ + 2]) == 0xBF) {
    pos_ += 3;
    stats_.bytes += 3;
  }
  const std::string expected = "the header line \"" + std::string(detail::event_csv_header) + "\"";
  record r{};
  const scan_status st = find_record(r);
  if (st == scan_status::end)
    CSMETRICS_THROW(event_csv_error("csmetrics::event_csv_reader: empty input: expected " + expected, 0, std::nullopt));
  bool ok = st == scan_status::record;
  std::array<std::string_view, event_field_count> f;
  std::string found = st == scan_status::unterminated ? "a quote that does not close"
                                                       : "a row longer than any valid row";
  if (ok) {
    const char* p = base_ + r.begin;
    const char* e = base_ + r.end;
    if (e > p && e[-1] == '\r') --e;
    found = "\"" + detail::quote_text(std::string_view(p, static_cast<std::size_t>(e - p)), 100) + "\"";
    // Compare field by field (quoted header names are fine); errors here are
    // not rows: undo the counting split() does.
    const event_csv_stats saved = stats_;
    const bool strict = options_.strict;
    options_.strict = false;
    std::uint32_t non_ascii = 0;
    ok = split(r, f, non_ascii);
    options_.strict = strict;
    stats_ = saved;
    for (std::size_t i = 0; ok && i < event_field_count; ++i) ok = f[i] == name(static_cast<event_field>(i));
  }
  if (!ok)
    CSMETRICS_THROW(event_csv_error("csmetrics::event_csv_reader: line 1: expected " + expected + ", found " + found,
                                    1, std::nullopt));
}

inline bool event_csv_reader::next(event& out) {
  if (!header_done_) read_header();
  for (;;) {
    record r{};
    if (split_plain_row(r, plain_fields_)) {
      ++stats_.rows;
      if (parse_fields(r.line, plain_fields_, 0, out)) return true;
      continue;
    }
    const scan_status st = find_record(r);
    switch (st) {
      case scan_status::end: return false;
      case scan_status::unterminated:
        ++stats_.rows;
        reject(row_error::unterminated_quote, r.line,
               "unterminated quote: a quoted field runs from this row to the end of the input");
        continue;
      case scan_status::too_long:
        ++stats_.rows;
        reject(row_error::field_too_long, r.line,
               "row is longer than " + std::to_string(max_record_) + " bytes (a field longer than max_field_bytes " +
                   std::to_string(options_.max_field_bytes) + ", or a quote that does not close)");
        continue;
      case scan_status::record: break;
    }
    // A blank line is not a row.
    if (r.end == r.begin || (r.end == r.begin + 1 && base_[r.begin] == '\r')) {
      ++stats_.blank_lines;
      continue;
    }
    ++stats_.rows;
    if (parse_row(r, out)) return true;
  }
}

}  // namespace csmetrics

#endif  // CSMETRICS_IO_EVENT_CSV_IMPL_HPP_
