// SPDX-License-Identifier: Apache-2.0
// File: examples/report_output.hpp
//
// What shop_report, csm_merge and mpi_report share: turning the command line
// into shop_metrics options, writing a state file, and printing a report in
// the chosen format (plus the optional HTML page).
#ifndef CSMETRICS_EXAMPLES_REPORT_OUTPUT_HPP_
#define CSMETRICS_EXAMPLES_REPORT_OUTPUT_HPP_

#include <chrono>     // std::chrono::hours
#include <fstream>    // std::ofstream
#include <iostream>   // std::cout
#include <stdexcept>  // std::invalid_argument, std::runtime_error
#include <string>     // std::string
#include <vector>     // std::vector

#include "atomic_file.hpp"
#include "cli_options.hpp"
#include "csmetrics/io/report.hpp"
#include "csmetrics/shop_metrics.hpp"
#include "report_html.hpp"
#include "report_text.hpp"

namespace demo {

/// The library options the command line sets.
inline csmetrics::shop_metrics_options metrics_options(const cli_options& cli) {
  csmetrics::shop_metrics_options o;
  o.offset = cli.offset;
  o.session_gap = cli.session_gap;
  o.max_wait = cli.max_wait;
  o.payment_window = cli.payment_window;
  o.max_lateness = cli.max_lateness;
  const auto day = std::chrono::duration_cast<csmetrics::duration>(std::chrono::hours{24});
  if (cli.attribution_window % day != csmetrics::duration::zero())
    throw std::invalid_argument("--attribution-window must be whole days (0d .. 7d)");
  o.attribution_days = static_cast<int>(cli.attribution_window / day);
  return o;
}

/// --save-state: the finished state, for csm_merge. Crash-safe: the file is
/// either the old state or the new one (atomic_file.hpp); throws
/// std::runtime_error naming the file on any error.
inline void save_state(const csmetrics::shop_metrics& m, const std::string& file) {
  write_file_atomically(file, m.serialize());
}

/// The report on standard output in --format, and --html if asked.
inline void print_report(const csmetrics::report& r, const cli_options& cli) {
  if (cli.format == "json")
    csmetrics::write_json(std::cout, r);  // in pieces: a report of many shops is large
  else if (cli.format == "prometheus")
    std::cout << csmetrics::to_prometheus(r);
  else
    std::cout << to_text(r, cli.by);
  std::cout.flush();
  if (!cli.html_file.empty()) {
    std::ofstream html(cli.html_file, std::ios::binary);
    html << to_html(r);
    if (!html) throw std::runtime_error(cli.html_file + ": cannot write");
  }
}

}  // namespace demo

#endif  // CSMETRICS_EXAMPLES_REPORT_OUTPUT_HPP_
