// SPDX-License-Identifier: Apache-2.0
// File: python/metrics_state.hpp
//
// The state behind csmetrics.ShopMetrics, without Python: a shop_metrics,
// the input counts its report shows (what shop_report counts with its
// readers), and the feeding paths. Every row, from a file or from Python
// values, goes through csmetrics::event_csv_reader, so a row is checked, and
// a bad one counted or reported, exactly as in shop_report.
//
// Files are read each by a reader of its own, as shop_report reads its FILE
// arguments. Rows from add() and add_columns() form one stream, as if one
// file: the reader's too_late rule (max_lateness behind the newest row
// accepted) holds across calls, which is checked here since each call's text
// gets a fresh reader.
#ifndef CSMETRICS_PYTHON_METRICS_STATE_HPP_
#define CSMETRICS_PYTHON_METRICS_STATE_HPP_

#include <algorithm>    // std::upper_bound
#include <cstdint>      // std::uint64_t
#include <cstdio>       // std::FILE
#include <map>          // std::map (counts by reason)
#include <optional>     // std::optional
#include <stdexcept>    // std::invalid_argument
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <utility>      // std::declval, std::move
#include <vector>       // std::vector

#include "csmetrics/io/event_csv.hpp"
#include "csmetrics/io/report.hpp"
#include "csmetrics/shop_metrics.hpp"

namespace csmetrics_py {

/// The report's "input" section: rows read, accepted, skipped by reason.
struct input_counts {
  std::uint64_t rows = 0, accepted = 0, skipped = 0;
  std::map<std::string, std::uint64_t> skipped_by_reason;

  void add(const input_counts& o) {
    rows += o.rows;
    accepted += o.accepted;
    skipped += o.skipped;
    for (const auto& [reason, n] : o.skipped_by_reason) skipped_by_reason[reason] += n;
  }
  void add(const csmetrics::event_csv_stats& s) {
    rows += s.rows;
    accepted += s.accepted;
    skipped += s.skipped;
    for (const auto& [reason, n] : s.skipped_by_reason()) skipped_by_reason[std::string(reason)] += n;
  }
};

/// What one read_csv or add_columns call saw.
struct batch_result {
  input_counts counts;
  std::vector<std::string> errors;  ///< the first max_errors messages, "line 17: ..." or "row 3: ..."
  static constexpr std::size_t max_errors = 100;
};

/// Rows from Python as CSV text (header included); row_lines[k] is the line row k starts on.
struct csv_rows {
  std::string text;
  std::vector<std::uint64_t> row_lines;
  std::size_t first_row = 0;  ///< the index of row 0 in the caller's batch
};

class metrics_state {
 public:
  explicit metrics_state(const csmetrics::shop_metrics_options& o) : metrics_(o) {}
  metrics_state(csmetrics::shop_metrics m, const input_counts& in) : metrics_(std::move(m)), input_(in) {}

  const input_counts& input() const { return input_; }
  const csmetrics::shop_metrics& metrics() const { return metrics_; }

  /// Reads one CSV file like shop_report. Throws std::invalid_argument
  /// "name: ..." for a bad header, an I/O error or (strict) a bad row; the
  /// rows before it stay added and counted.
  batch_result read_file(std::FILE* f, const std::string& name, bool strict) {
    batch_result out;
    const auto refused_before = metrics_.refused_by_reason();
    csmetrics::event_csv_reader in(f, reader_options(strict));
    csmetrics::event e;
    try {
      while (in.next(e)) add_event(e);
    } catch (const csmetrics::event_csv_error& err) {
      finish_batch(out, in.stats(), 0, refused_before);
      throw std::invalid_argument(name + ": " + err.what());
    }
    finish_batch(out, in.stats(), 0, refused_before);
    out.errors = in.stats().errors;  // "line 17: ...", as shop_report prints them
    return out;
  }

  /// Reads rows built from Python values. Messages name rows ("row 3: ...",
  /// or no prefix when `single`); strict: std::invalid_argument at the first
  /// bad row, the rows before it staying added and counted.
  batch_result add_rows(const csv_rows& rows, bool strict, bool single) {
    batch_result out;
    const auto refused_before = metrics_.refused_by_reason();
    std::uint64_t n_late = 0;  // rows this reader accepted but the stream finds too late
    csmetrics::event_csv_reader in(rows.text, reader_options(strict));
    csmetrics::event e;
    std::size_t seen = 0;  // reader messages already copied
    auto copy_messages = [&] {
      for (; seen < in.stats().errors.size(); ++seen) keep(out, relabel(in.stats().errors[seen], rows, single));
    };
    try {
      while (in.next(e)) {
        copy_messages();
        const auto lateness = stream_newest_ ? *stream_newest_ - e.time : csmetrics::duration::zero();
        if (lateness > metrics_.options().max_lateness) {
          ++n_late;
          const std::string msg = row_label(e.line, rows, single) + late_message(e.time, lateness);
          if (strict) {
            finish_batch(out, in.stats(), n_late, refused_before);
            throw std::invalid_argument(msg);
          }
          keep(out, msg);
          continue;
        }
        if (!stream_newest_ || e.time > *stream_newest_) stream_newest_ = e.time;
        add_event(e);
      }
    } catch (const csmetrics::event_csv_error& err) {  // strict: the reader's own bad row
      finish_batch(out, in.stats(), n_late, refused_before);
      std::string what = err.what();
      const std::string prefix = "csmetrics::event_csv_reader: ";  // "line 17: ..." follows
      if (what.compare(0, prefix.size(), prefix) == 0) what.erase(0, prefix.size());
      throw std::invalid_argument(relabel(what, rows, single));
    }
    copy_messages();
    finish_batch(out, in.stats(), n_late, refused_before);
    return out;
  }

  /// Settles the stream at `now` (default: the newest event), as shop_report
  /// does before its report. Later events older than `now` are too_late.
  void finish(std::optional<csmetrics::timestamp> now) {
    if (!now) now = metrics_.newest_time();
    if (!now) return;
    const bool at_newest = !metrics_.newest_time() || *now >= *metrics_.newest_time();
    metrics_.finish(*now);
    settled_ = at_newest;
  }

  /// shop_report's report: settled at the newest event (on a copy unless
  /// finish() did it already), with the input counts.
  csmetrics::report make_report(const csmetrics::report_request& request) const {
    csmetrics::report r = settled_view([&](const csmetrics::shop_metrics& m) { return m.make_report(request); });
    r.rows = input_.rows;
    r.accepted = input_.accepted;
    r.skipped = input_.skipped;
    r.skipped_by_reason = input_.skipped_by_reason;
    return r;
  }

  /// The state's bytes; settled: what shop_report --save-state writes.
  std::vector<std::uint8_t> serialize(bool settle) const {
    if (!settle) return metrics_.serialize();
    return settled_view([](const csmetrics::shop_metrics& m) { return m.serialize(); });
  }

  /// Both states and their input counts (see shop_metrics::merge).
  void merge(const metrics_state& other) {
    metrics_.merge(other.metrics_);
    input_.add(other.input_);
    if (other.stream_newest_ && (!stream_newest_ || *other.stream_newest_ > *stream_newest_))
      stream_newest_ = other.stream_newest_;
    settled_ = false;
  }

 private:
  csmetrics::event_csv_options reader_options(bool strict) const {
    csmetrics::event_csv_options o;
    o.strict = strict;
    o.max_lateness = metrics_.options().max_lateness;  // shop_report: --max-lateness for both
    o.keep_errors = batch_result::max_errors;
    return o;
  }
  void add_event(const csmetrics::event& e) {
    metrics_.add(e);
    settled_ = false;
  }
  template <class F>
  auto settled_view(F&& f) const -> decltype(f(std::declval<const csmetrics::shop_metrics&>())) {
    const auto newest = metrics_.newest_time();
    if (settled_ || !newest) return f(metrics_);
    csmetrics::shop_metrics copy(metrics_);  // settling in place would make later rows too_late
    copy.finish(*newest);
    return f(copy);
  }
  // The batch's counts: the reader's, less the rows found too late here and
  // those the families refused (shop_report's count_refused, per batch).
  void finish_batch(batch_result& out, const csmetrics::event_csv_stats& s, std::uint64_t n_late,
                    const std::map<std::string, std::uint64_t>& refused_before) {
    out.counts.add(s);
    out.counts.accepted -= n_late;
    out.counts.skipped += n_late;
    if (n_late) out.counts.skipped_by_reason[std::string(csmetrics::name(csmetrics::row_error::too_late))] += n_late;
    for (const auto& [why, n] : metrics_.refused_by_reason()) {
      const auto was = refused_before.find(why);
      const std::uint64_t d = n - (was == refused_before.end() ? 0 : was->second);
      if (d == 0) continue;
      out.counts.accepted -= d;
      out.counts.skipped += d;
      out.counts.skipped_by_reason[why] += d;
    }
    input_.add(out.counts);
  }
  static void keep(batch_result& out, std::string msg) {
    if (out.errors.size() < batch_result::max_errors) out.errors.push_back(std::move(msg));
  }
  /// "row 3: " for the row starting on `line`; "" for a single event.
  static std::string row_label(std::uint64_t line, const csv_rows& rows, bool single) {
    if (single) return "";
    auto it = std::upper_bound(rows.row_lines.begin(), rows.row_lines.end(), line);
    const std::size_t k = static_cast<std::size_t>(it - rows.row_lines.begin()) - 1;
    return "row " + std::to_string(rows.first_row + k) + ": ";
  }
  /// The reader's "line 17: msg" as "row 15: msg" (or "msg").
  static std::string relabel(const std::string& msg, const csv_rows& rows, bool single) {
    if (msg.compare(0, 5, "line ") != 0) return msg;
    const std::size_t colon = msg.find(": ");
    if (colon == std::string::npos) return msg;
    const std::uint64_t line = std::stoull(msg.substr(5, colon - 5));
    return row_label(line, rows, single) + msg.substr(colon + 2);
  }
  std::string late_message(csmetrics::timestamp t, csmetrics::duration lateness) const {
    using csmetrics::detail::format_lateness;  // the reader's wording
    return "time " + csmetrics::format_rfc3339(t) + " is " + format_lateness(lateness) +
           " behind the newest time accepted, " + csmetrics::format_rfc3339(*stream_newest_) + " (max_lateness " +
           format_lateness(metrics_.options().max_lateness) + ")";
  }

  csmetrics::shop_metrics metrics_;
  input_counts input_;
  std::optional<csmetrics::timestamp> stream_newest_;  // the add/add_columns stream's newest accepted row
  bool settled_ = false;                                // metrics_ is finished at its newest event
};

}  // namespace csmetrics_py

#endif  // CSMETRICS_PYTHON_METRICS_STATE_HPP_
