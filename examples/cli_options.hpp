// SPDX-License-Identifier: Apache-2.0
// File: examples/cli_options.hpp
//
// Command-line options shared by shop_report, csm_merge and mpi_report:
// parsing of durations ("10m", "24h", "3d", "45s", "500ms"), UTC offsets
// ("+08:00") and dates, with an error message naming the option and the bad
// value; and the main() of a report command (run_command).
#ifndef CSMETRICS_EXAMPLES_CLI_OPTIONS_HPP_
#define CSMETRICS_EXAMPLES_CLI_OPTIONS_HPP_

#include <algorithm>    // std::find
#include <chrono>       // durations
#include <cstdint>      // std::int64_t
#include <cstdio>       // std::fprintf, std::fputs (run_command)
#include <exception>    // std::exception (run_command)
#include <initializer_list>  // an option's choices
#include <optional>     // std::optional
#include <stdexcept>    // std::invalid_argument
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "csmetrics/core/money.hpp"
#include "csmetrics/core/time.hpp"
#include "csmetrics/io/scorecard.hpp"
#include "csmetrics/sessions/service_calendar.hpp"

namespace demo {

struct cli_options {
  std::string format = "text";
  std::string html_file;
  csmetrics::utc_offset offset{};
  std::optional<csmetrics::day_number> as_of;
  csmetrics::duration session_gap = std::chrono::minutes{10};
  csmetrics::duration max_wait = std::chrono::hours{24};
  csmetrics::duration attribution_window = std::chrono::hours{72};
  csmetrics::duration payment_window = std::chrono::hours{72};
  csmetrics::duration max_lateness = std::chrono::hours{1};
  std::string by = "shop";
  bool strict = false;
  int progress = -1;  // -1: when stderr is a terminal
  int threads = 1;    // --threads: shards accumulated on worker threads
  std::string shard_by = "auto";  // --shard-by: auto, shop (whole shops per thread) or buyer ((shop, buyer))
  std::string save_state_file;  // --save-state: the finished shop_metrics state
  std::vector<std::string> files;  // empty: the demo week; "-": standard input
  std::string period = "week";     // --period: the sales change compares the last 7 (30) days with the 7 (30) before
  bool period_given = false;       // --period (or --target) given: text, JSON and Prometheus show the sales change
  std::optional<csmetrics::money> target;  // --target: sales goal of the last period, per shop
  std::vector<csmetrics::service_interval> service_hours;  // --service-hours: every shop, every day
  std::string calendar_file;  // --calendar: service hours per shop (CSV shop,weekday_or_date,open,close)
  csmetrics::scorecard_options scorecard;  // --kpi, --kpi-weights, --scorecard-period
};

/// "08:00-24:00" or "09:00-12:00,13:00-18:00" -> intervals; empty on bad text.
inline std::vector<csmetrics::service_interval> parse_service_hours(std::string_view s) {
  std::vector<csmetrics::service_interval> out;
  while (!s.empty()) {
    const std::size_t comma = s.find(',');
    const std::string_view part = s.substr(0, comma);
    s = comma == std::string_view::npos ? std::string_view{} : s.substr(comma + 1);
    const int open = part.size() == 11 && part[5] == '-' ? csmetrics::detail::parse_hh_mm(part.substr(0, 5)) : -1;
    const int close = open >= 0 ? csmetrics::detail::parse_hh_mm(part.substr(6)) : -1;
    if (open < 0 || close <= open) return {};
    out.push_back(csmetrics::service_interval{open, close});
  }
  return out;
}

/// The days of a --period: week 7, month 30.
inline int period_days(const std::string& period) { return period == "month" ? 30 : 7; }

/// "45s", "10m", "24h", "3d", "500ms", "1.5h" -> microseconds.
inline std::optional<csmetrics::duration> parse_duration(std::string_view s) {
  std::size_t i = 0;
  double v = 0, scale = 1;
  bool digits = false, dot = false;
  for (; i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'); ++i) {
    if (s[i] == '.') {
      if (dot) return std::nullopt;
      dot = true;
      continue;
    }
    digits = true;
    if (dot) {
      scale /= 10;
      v += (s[i] - '0') * scale;
    } else {
      v = v * 10 + (s[i] - '0');
    }
  }
  if (!digits) return std::nullopt;
  std::string_view unit = s.substr(i);
  double us;
  if (unit == "ms") us = 1e3;
  else if (unit == "s") us = 1e6;
  else if (unit == "m") us = 60e6;
  else if (unit == "h") us = 3600e6;
  else if (unit == "d") us = 86400e6;
  else return std::nullopt;
  double total = v * us;
  if (total > 3650 * 86400e6) return std::nullopt;  // ten years is enough for any window
  return csmetrics::duration{static_cast<std::int64_t>(total)};
}

/// "7", "0042" -> the number if it lies in [lo, hi]; empty for anything
/// else (no digits, a sign, a non-digit, out of range).
inline std::optional<int> parse_int_in(std::string_view s, int lo, int hi) {
  if (s.empty()) return std::nullopt;
  int n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
    if (n > hi) return std::nullopt;  // before it can overflow
  }
  if (n < lo) return std::nullopt;
  return n;
}

/// "+08:00", "-03:00", "Z" -> offset.
inline std::optional<csmetrics::utc_offset> parse_offset(std::string_view s) {
  if (s == "Z" || s == "z") return csmetrics::utc_offset::utc();
  if (s.size() != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':') return std::nullopt;
  auto dig = [&](std::size_t k) { return s[k] >= '0' && s[k] <= '9'; };
  if (!dig(1) || !dig(2) || !dig(4) || !dig(5)) return std::nullopt;
  int h = (s[1] - '0') * 10 + (s[2] - '0'), m = (s[4] - '0') * 10 + (s[5] - '0');
  if (h > 18 || m > 59) return std::nullopt;
  int total = h * 60 + m;
  if (s[0] == '-') total = -total;
  if (total > 18 * 60 || total < -18 * 60) return std::nullopt;
  return csmetrics::utc_offset(std::chrono::minutes{total});
}

inline const char* usage() {
  return "usage: shop_report [options] [FILE ... | -]     no FILE: a built-in demo week\n"
         "  --format text|json|prometheus          default text\n"
         "  --html FILE                            also write a self-contained HTML report with charts\n"
         "  --utc-offset +08:00                    the shops' day boundary (default +08:00)\n"
         "  --as-of YYYY-MM-DD                     windows end on this local day (default: the last event's day)\n"
         "  --session-gap 10m  --max-wait 24h  --attribution-window 3d  --payment-window 3d\n"
         "  --max-lateness 1h                      rows later than this behind the newest are skipped, counted\n"
         "  --by shop|agent|day                    breakdown rows (default shop); JSON always has shops\n"
         "  --strict                               stop at the first bad or refused row\n"
         "  --progress / --no-progress             progress bar on stderr (default: on when stderr is a terminal)\n"
         "  --threads N                            accumulate on N threads, sharded by shop or (shop, buyer)\n"
         "  --shard-by auto|buyer|shop             with --threads: whole shops per thread when they balance (auto,\n"
         "                                         the default), always (shop), or (shop, buyer) (buyer)\n"
         "  --save-state FILE                      also write the finished state (shop_metrics::serialize) for csm_merge\n"
         "  --period week|month                    sales change of the last 7 (30) local days against the 7 (30)\n"
         "                                         before, split into traffic, conversion and AOV (always in --html)\n"
         "  --target AMOUNT                        sales goal of the last period (per shop): attainment\n"
         "  --service-hours 08:00-24:00            service hours of every shop, every local day (several: a,b):\n"
         "                                         response figures also on service time\n"
         "  --calendar FILE                        service hours per shop: CSV shop,weekday_or_date,open,close\n"
         "  --scorecard-period month|Nd            agents' scorecards per calendar month (default) or N local days\n"
         "  --kpi NAME>=X | NAME<=X | NAME=off     a scorecard rule (repeatable; defaults: answer_ratio>=1.3,\n"
         "                                         response_s_mean<=45, invite_rate>=0.9, satisfaction>=0.8)\n"
         "  --kpi-weights NAME=W,...               rank agents by a weighted composite score of their KPIs\n";
}

/// Parses argv; throws std::invalid_argument with a message for the user.
inline cli_options parse_cli(int argc, char** argv) {
  cli_options o;
  auto value = [&](int& i, std::string_view opt) -> std::string_view {
    if (i + 1 >= argc) throw std::invalid_argument(std::string(opt) + " needs a value");
    return argv[++i];
  };
  auto dur = [&](int& i, std::string_view opt) {
    std::string_view v = value(i, opt);
    auto d = parse_duration(v);
    if (!d || d->count() <= 0)
      throw std::invalid_argument(std::string(opt) + ": not a positive duration like 45s, 10m, 24h, 3d: " +
                                  std::string(v));
    return *d;
  };
  // The value of `opt`, which must be one of `allowed`.
  auto one_of = [&](int& i, std::string_view opt, std::initializer_list<std::string_view> allowed) {
    std::string_view v = value(i, opt);
    if (std::find(allowed.begin(), allowed.end(), v) != allowed.end()) return std::string(v);
    std::string choices;  // "a, b or c"
    for (std::size_t k = 0; k < allowed.size(); ++k)
      choices += (k == 0 ? "" : k + 1 < allowed.size() ? ", " : " or ") + std::string(allowed.begin()[k]);
    throw std::invalid_argument(std::string(opt) + " must be " + choices + ": " + std::string(v));
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--format") {
      o.format = one_of(i, a, {"text", "json", "prometheus"});
    } else if (a == "--html") {
      o.html_file = value(i, a);
    } else if (a == "--utc-offset") {
      std::string_view v = value(i, a);
      auto off = parse_offset(v);
      if (!off) throw std::invalid_argument("--utc-offset must look like +08:00 or -03:00: " + std::string(v));
      o.offset = *off;
    } else if (a == "--as-of") {
      std::string_view v = value(i, a);
      o.as_of = csmetrics::parse_day(v);
      if (!o.as_of) throw std::invalid_argument("--as-of must be a date YYYY-MM-DD: " + std::string(v));
    } else if (a == "--session-gap") {
      o.session_gap = dur(i, a);
    } else if (a == "--max-wait") {
      o.max_wait = dur(i, a);
    } else if (a == "--attribution-window") {
      o.attribution_window = dur(i, a);
    } else if (a == "--payment-window") {
      o.payment_window = dur(i, a);
    } else if (a == "--max-lateness") {
      o.max_lateness = dur(i, a);
    } else if (a == "--by") {
      o.by = one_of(i, a, {"shop", "agent", "day"});
    } else if (a == "--strict") {
      o.strict = true;
    } else if (a == "--threads") {
      std::string_view v = value(i, a);
      const std::optional<int> n = parse_int_in(v, 1, 256);
      if (!n) throw std::invalid_argument("--threads must be in [1, 256]: " + std::string(v));
      o.threads = *n;
    } else if (a == "--shard-by") {
      o.shard_by = one_of(i, a, {"auto", "buyer", "shop"});
    } else if (a == "--save-state") {
      o.save_state_file = value(i, a);
    } else if (a == "--period") {
      o.period = one_of(i, a, {"week", "month"});
      o.period_given = true;
    } else if (a == "--target") {
      std::string_view v = value(i, a);
      o.target = csmetrics::money::try_parse(v);
      if (!o.target || *o.target < csmetrics::money{})
        throw std::invalid_argument("--target must be an amount >= 0 like 200000 or 1499.90: " + std::string(v));
      o.period_given = true;
    } else if (a == "--service-hours") {
      std::string_view v = value(i, a);
      o.service_hours = parse_service_hours(v);
      if (o.service_hours.empty())
        throw std::invalid_argument("--service-hours must look like 08:00-24:00 or 09:00-12:00,13:00-18:00: " +
                                    std::string(v));
    } else if (a == "--calendar") {
      o.calendar_file = value(i, a);
    } else if (a == "--kpi") {
      csmetrics::set_kpi_rule(o.scorecard.rules, value(i, a));
    } else if (a == "--kpi-weights") {
      o.scorecard.weights = csmetrics::parse_kpi_weights(value(i, a));
    } else if (a == "--scorecard-period") {
      const std::string v(value(i, a));
      std::optional<int> days = 0;  // 0: calendar months
      if (v != "month") {
        days = !v.empty() && v.back() == 'd' ? parse_int_in(std::string_view(v).substr(0, v.size() - 1), 1, 3660)
                                             : std::nullopt;
        if (!days)
          throw std::invalid_argument("--scorecard-period must be month or a number of days like 7d (1d .. 3660d): " +
                                      v);
      }
      o.scorecard.period_days = *days;
    } else if (a == "--progress") {
      o.progress = 1;
    } else if (a == "--no-progress") {
      o.progress = 0;
    } else if (a == "-" || a.empty() || a[0] != '-') {
      o.files.emplace_back(a);
    } else {
      throw std::invalid_argument("unknown option: " + std::string(a));
    }
  }
  if (!o.service_hours.empty() && !o.calendar_file.empty())
    throw std::invalid_argument("give --service-hours or --calendar, not both (a calendar's * rows are every shop's hours)");
  return o;
}

/// The main() of a report command: --help or -h anywhere prints `usage_text`
/// (exit 0); a bad command line prints the error and `usage_text` (exit 2);
/// else the exit status of `run(options)`, or 1 after printing what it threw.
/// Messages start with `program`.
template <class Run>
int run_command(const char* program, const char* usage_text, int argc, char** argv, Run run) {
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::fputs(usage_text, stdout);
      return 0;
    }
  cli_options cli;
  try {
    cli = parse_cli(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n%s", program, e.what(), usage_text);
    return 2;
  }
  try {
    return run(cli);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", program, e.what());
    return 1;
  }
}

}  // namespace demo

#endif  // CSMETRICS_EXAMPLES_CLI_OPTIONS_HPP_
