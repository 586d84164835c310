// SPDX-License-Identifier: Apache-2.0
// File: examples/shop_report.cpp
//
// shop_report: every csmetrics metric over event logs (../EVENTS.md), per
// shop, as text, JSON or Prometheus, plus an optional HTML page with charts.
// With no file it reports a built-in demo week (examples/demo_week.hpp).
//
//   shop_report                          the demo week, text
//   shop_report --format json log.csv    a real export
//   zcat log.csv.gz | shop_report -      standard input
//   shop_report --threads 4 log.csv      the same bytes, on 4 threads (csmetrics/sharded.hpp)
//   shop_report --threads 2 --shard-by buyer log.csv  (shop, buyer) per thread, even with many shops
//   shop_report --period month --target 200000 log.csv  what moved sales, last 30 days against the 30 before
//   shop_report --service-hours 08:00-24:00 log.csv  response figures also on service time (--calendar FILE: per shop)
#include <algorithm>  // std::upper_bound (the source of a refused row)
#include <cstdio>     // std::fopen, std::fprintf
#include <iterator>   // std::prev
#include <iostream>   // std::cout
#include <map>        // std::map (refused rows by reason)
#include <string>     // std::string
#include <string_view>  // std::string_view (a refusal's reason)
#include <type_traits>  // std::is_same_v
#include <utility>    // std::pair
#include <vector>     // std::vector

#include <unistd.h>  // isatty: the progress bar's default

#include "cli_options.hpp"
#include "csmetrics/io/event_csv.hpp"
#include "csmetrics/io/report.hpp"
#include "csmetrics/sharded.hpp"
#include "csmetrics/shop_metrics.hpp"
#include "demo_week.hpp"
#include "huge_pages.hpp"
#include "report_output.hpp"

namespace {

/// A progress line on stderr, redrawn at most every 4 MiB of input.
class progress_bar {
 public:
  progress_bar(bool on, std::uint64_t total_bytes) : on_(on), total_(total_bytes) {}
  void update(const csmetrics::event_csv_stats& s) {
    if (!on_ || s.bytes < next_) return;
    next_ = s.bytes + (std::uint64_t{4} << 20);
    if (total_ > 0)
      std::fprintf(stderr, "\r%5.1f %%  %llu rows", 100.0 * static_cast<double>(s.bytes) / static_cast<double>(total_),
                   static_cast<unsigned long long>(s.rows));
    else
      std::fprintf(stderr, "\r%llu MiB  %llu rows", static_cast<unsigned long long>(s.bytes >> 20),
                   static_cast<unsigned long long>(s.rows));
  }
  void done() {
    if (on_) std::fprintf(stderr, "\r%40s\r", "");
  }

 private:
  bool on_;
  std::uint64_t total_;
  std::uint64_t next_ = 0;
};

std::uint64_t file_size(std::FILE* f) {
  if (std::fseek(f, 0, SEEK_END) != 0) return 0;
  const long n = std::ftell(f);
  std::rewind(f);
  return n > 0 ? static_cast<std::uint64_t>(n) : 0;
}

/// "FILE: line N: refused: REASON", as bad rows are named.
std::string refusal_message(const std::string& source, std::uint64_t line, std::string_view reason) {
  return source + ": line " + std::to_string(line) + ": refused: " + std::string(reason);
}

/// Reads one source into `m` (a shop_metrics or a sharded_metrics), adding
/// its counts to `r`'s input summary. `strict`: a row a family refuses ends
/// the run, as a bad row does.
template <class Metrics>
void read_source(csmetrics::event_csv_reader& in, Metrics& m, csmetrics::report& r, progress_bar& bar,
                 const std::string& name, bool strict) {
  csmetrics::event e;
  std::uint64_t refused = 0;
  try {
    while (in.next(e)) {
      if constexpr (std::is_same_v<Metrics, csmetrics::shop_metrics>) {
        // On one thread the refusals are known at once: named with their line, as bad rows are.
        if (!m.add(e)) {
          const std::string msg = refusal_message(name, e.line, m.last_refusal());
          if (strict) throw std::runtime_error(msg + " (--strict)");
          if (++refused <= 100) std::fprintf(stderr, "%s\n", msg.c_str());
        }
      } else {
        m.add(e);
      }
      bar.update(in.stats());
    }
  } catch (const csmetrics::event_csv_error& err) {
    bar.done();
    throw std::runtime_error(name + ": " + err.what());
  }
  const csmetrics::event_csv_stats& s = in.stats();
  r.rows += s.rows;
  r.accepted += s.accepted;
  r.skipped += s.skipped;
  for (const auto& [reason, n] : s.skipped_by_reason()) r.skipped_by_reason[std::string(reason)] += n;
  for (const std::string& msg : s.errors) std::fprintf(stderr, "%s: %s\n", name.c_str(), msg.c_str());
}

/// Where each source starts in the stream of events added (sharded_metrics
/// positions), so that a refusal found on a worker can be named by file and line.
using source_starts = std::vector<std::pair<std::uint64_t, std::string>>;

/// Reads every input into `metrics`; returns the input summary.
template <class Metrics>
csmetrics::report read_inputs(const demo::cli_options& cli, Metrics& metrics, source_starts* starts = nullptr) {
  csmetrics::event_csv_options read_options;
  read_options.strict = cli.strict;
  read_options.max_lateness = cli.max_lateness;
  const bool progress = cli.progress == 1 || (cli.progress == -1 && isatty(2));

  csmetrics::report input;  // the input summary, summed over sources
  if (cli.files.empty()) {
    const std::string text = demo::demo_week_builder().csv();
    csmetrics::event_csv_reader in(text, read_options);
    progress_bar bar(progress, text.size());
    if constexpr (!std::is_same_v<Metrics, csmetrics::shop_metrics>)
      if (starts) starts->emplace_back(metrics.added(), "demo week");
    read_source(in, metrics, input, bar, "demo week", cli.strict);
    bar.done();
  }
  for (const std::string& name : cli.files) {
    std::FILE* f = name == "-" ? stdin : std::fopen(name.c_str(), "rb");
    if (!f) throw std::runtime_error(name + ": cannot open");
    progress_bar bar(progress, name == "-" ? 0 : file_size(f));
    try {
      csmetrics::event_csv_reader in(f, read_options);
      if constexpr (!std::is_same_v<Metrics, csmetrics::shop_metrics>)
        if (starts) starts->emplace_back(metrics.added(), name);
      read_source(in, metrics, input, bar, name, cli.strict);
    } catch (...) {
      if (f != stdin) std::fclose(f);
      throw;
    }
    bar.done();
    if (f != stdin) std::fclose(f);
  }
  return input;
}

/// The run's state, never freed: the process ends after the report, and
/// freeing 10^5 shops' tables one by one took ~9 % of such a run (the kernel
/// takes the pages back at once). The static pointer keeps it reachable for
/// leak checkers.
csmetrics::shop_metrics& kept_to_exit(const csmetrics::shop_metrics_options& options) {
  static csmetrics::shop_metrics* kept = nullptr;
  kept = new csmetrics::shop_metrics(options);
  return *kept;
}

int run(const demo::cli_options& cli) {
  const csmetrics::report_request request = demo::report_request_of(cli);
  const csmetrics::shop_metrics_options options = demo::metrics_options(cli);  // reads --calendar once
  csmetrics::shop_metrics& metrics = kept_to_exit(options);
  csmetrics::report input;
  csmetrics::report r;
  bool reported = false;
  std::map<std::string, std::uint64_t> refused;  // rows the reader accepted and the families did not
  // JSON alone is written while the shops are reported: a report of 10^5
  // shops then never exists whole in memory (the text and HTML need it whole).
  const bool stream = cli.format == "json" && cli.html_file.empty();
  auto stream_json = [&](auto& state) {
    csmetrics::report head = input;  // the input counts
    csmetrics::count_refused(head, refused);
    if (request.scorecard) head.scorecard_rules = request.scorecard->rules;
    csmetrics::json_report_writer out(std::cout, head);
    state.for_each_shop_report(request, [&](const std::string& shop, csmetrics::shop_report&& figures) {
      out.shop(shop, std::move(figures));
    });
    out.finish();
    std::cout.flush();
    reported = true;
  };
  if (cli.threads == 1) {
    input = read_inputs(cli, metrics);
    if (const auto last = metrics.newest_time()) metrics.finish(*last);  // "now" = the last event's time
    refused = metrics.refused_by_reason();
  } else {
    csmetrics::sharded_options so;
    so.threads = static_cast<std::size_t>(cli.threads);
    so.key = cli.shard_by == "shop"    ? csmetrics::shard_key::shop
             : cli.shard_by == "buyer" ? csmetrics::shard_key::shop_buyer
                                       : csmetrics::shard_key::automatic;
    csmetrics::sharded_metrics sharded(so, options);
    source_starts starts;
    input = read_inputs(cli, sharded, &starts);
    // "now" = the last event's time, the same on every shard.
    if (const auto last = sharded.newest_time()) {
      sharded.finish(*last);
      // The refused rows, named by file and line as on one thread (found on the workers, told now).
      // --strict: the first one ends the run (after the fact: the workers found it).
      for (const auto& x : sharded.first_refusals()) {
        auto src = std::upper_bound(starts.begin(), starts.end(), x.position,
                                    [](std::uint64_t p, const auto& s) { return p < s.first; });
        const std::string msg = refusal_message(src == starts.begin() ? "?" : std::prev(src)->second, x.line, x.reason);
        if (cli.strict) throw std::runtime_error(msg + " (--strict)");
        std::fprintf(stderr, "%s\n", msg.c_str());
      }
      refused = sharded.refused_by_reason();
      if (stream) {
        stream_json(sharded);  // on the workers; by shop without a merge
      } else {
        r = sharded.make_report(request);
        reported = true;
      }
      if (!cli.save_state_file.empty()) metrics = sharded.result();
    }
    if (sharded.beyond_lateness() > 0)  // only across files: each file's reader keeps its rows within the lateness
      std::fprintf(stderr, "shop_report: %llu rows lie more than --max-lateness behind an earlier file's rows; "
                           "--threads 1 may count them differently\n",
                   static_cast<unsigned long long>(sharded.beyond_lateness()));
  }
  if (!cli.save_state_file.empty()) demo::save_state(metrics, cli.save_state_file);

  if (stream) {
    if (!reported) stream_json(metrics);
    return 0;
  }
  if (!reported) r = metrics.make_report(request);
  r.rows = input.rows;
  r.accepted = input.accepted;
  r.skipped = input.skipped;
  r.skipped_by_reason = input.skipped_by_reason;
  csmetrics::count_refused(r, refused);

  demo::print_report(r, cli);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  demo::restart_on_huge_pages(argv);
  return demo::run_command("shop_report", demo::usage(), argc, argv, run);
}
