// SPDX-License-Identifier: Apache-2.0
// File: examples/report_output.hpp
//
// What shop_report, csm_merge and mpi_report share: turning the command line
// into shop_metrics options and a report request, writing a state file, and
// printing a report in the chosen format (plus the HTML page).
#ifndef CSMETRICS_EXAMPLES_REPORT_OUTPUT_HPP_
#define CSMETRICS_EXAMPLES_REPORT_OUTPUT_HPP_

#include <chrono>     // std::chrono::hours
#include <fstream>    // std::ofstream, std::ifstream (--calendar)
#include <memory>     // std::make_shared (the service calendar)
#include <sstream>    // std::ostringstream (--calendar)
#include <iostream>   // std::cout
#include <optional>   // std::optional
#include <stdexcept>  // std::invalid_argument, std::runtime_error
#include <string>     // std::string
#include <vector>     // std::vector

#include "cli_options.hpp"
#include "csmetrics/io/report.hpp"
#include "csmetrics/io/state_file.hpp"
#include "csmetrics/shop_metrics.hpp"
#include "report_html.hpp"
#include "report_text.hpp"

namespace demo {

/// The service calendar of --service-hours or --calendar FILE; null without
/// either. A bad --calendar row throws std::invalid_argument naming the file and line.
inline std::shared_ptr<const csmetrics::service_calendar> service_calendar_of(const cli_options& cli) {
  if (!cli.service_hours.empty())
    return std::make_shared<const csmetrics::service_calendar>(
        csmetrics::service_calendar::every_day(cli.service_hours));
  if (cli.calendar_file.empty()) return nullptr;
  std::ifstream in(cli.calendar_file, std::ios::binary);
  if (!in) throw std::runtime_error(cli.calendar_file + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return std::make_shared<const csmetrics::service_calendar>(csmetrics::service_calendar::from_csv(text.str()));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(cli.calendar_file + ": " + e.what());
  }
}

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
  o.calendar = service_calendar_of(cli);
  return o;
}

/// --save-state: the finished state, for csm_merge. Crash-safe: the file is
/// either the old state or the new one (csmetrics/io/state_file.hpp); throws
/// csmetrics::state_file_error naming the file and the OS error.
inline void save_state(const csmetrics::shop_metrics& m, const std::string& file) {
  csmetrics::save_state(file, m.serialize());
}

/// The report the command line asks for. The HTML page always has the days
/// and the trends (the sales change of --period, default a week); standard
/// output shows them only when asked (--by day, --period, --target).
inline csmetrics::report_request report_request_of(const cli_options& cli) {
  csmetrics::report_request request;
  request.as_of = cli.as_of;
  request.agents = true;
  const bool html = !cli.html_file.empty();
  request.days = cli.by == "day" || html;
  request.scorecard = cli.scorecard;
  if (html || cli.period_given) {
    request.sales_change_days = period_days(cli.period);
    request.sales_target = cli.target;
  }
  return request;
}

/// The report on standard output in --format, and the --html page if asked.
inline void print_report(const csmetrics::report& r, const cli_options& cli) {
  std::optional<csmetrics::report> trimmed;  // stdout without what only the page asked for
  if (!cli.html_file.empty() && (cli.by != "day" || !cli.period_given)) {
    trimmed = r;
    for (auto& [name, s] : trimmed->shops) {
      if (cli.by != "day") s.days.clear();
      if (!cli.period_given) {
        s.sales_change.reset();
        for (auto& [day, d] : s.days) d.inquiry_conversion_same_day.reset();
      }
    }
  }
  const csmetrics::report& out = trimmed ? *trimmed : r;
  if (cli.format == "json")
    csmetrics::write_json(std::cout, out);  // in pieces: a report of many shops is large
  else if (cli.format == "prometheus")
    std::cout << csmetrics::to_prometheus(out);
  else
    std::cout << to_text(out, cli.by);
  std::cout.flush();
  if (!cli.html_file.empty()) {
    std::ofstream html(cli.html_file, std::ios::binary);
    html << to_html(r);
    if (!html) throw std::runtime_error(cli.html_file + ": cannot write");
  }
}

}  // namespace demo

#endif  // CSMETRICS_EXAMPLES_REPORT_OUTPUT_HPP_
