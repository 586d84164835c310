// SPDX-License-Identifier: Apache-2.0
// File: examples/csm_merge.cpp
//
// csm_merge: merges serialized shop_metrics states and prints the report, as
// shop_report would for all their events together. The state file is the
// interchange format: any engine (a Spark or Flink job, a cron per shard)
// that runs `shop_report --save-state part.bin` on its part - or links the
// library and writes shop_metrics::serialize() - can ship the bytes here.
//
//   shop_report --save-state a.bin part-a.csv
//   shop_report --save-state b.bin part-b.csv
//   csm_merge --format json a.bin b.bin
//
// Exact when the parts hold disjoint (shop, buyer) sets (order-keyed rows
// with their order's buyer) and were made with the same options: the merge
// is a sum of counts and sketches. Each part was finished at its own last
// event; the merged state is finished again at the newest event of all
// parts, as one pass would be, so bursts and unpaid orders that a part left
// pending are settled. The "input" figures are the events the states
// accepted (the CSV row counts of the parts are not in the state).
// Options: --format text|json|prometheus, --as-of, --by, --html, --save-state
// (the merged state, to merge again up a tree; replaced atomically,
// csmetrics/io/state_file.hpp).
#include <cstdint>    // std::uint8_t, std::uint64_t
#include <exception>  // std::exception
#include <map>        // std::map (refused events by reason)
#include <optional>   // std::optional
#include <stdexcept>  // std::runtime_error, std::invalid_argument
#include <string>     // std::string
#include <vector>     // std::vector

#include "cli_options.hpp"
#include "csmetrics/io/report.hpp"
#include "csmetrics/io/state_file.hpp"
#include "csmetrics/shop_metrics.hpp"
#include "huge_pages.hpp"
#include "report_output.hpp"

namespace {

int run(const demo::cli_options& cli) {
  if (cli.files.empty()) throw std::invalid_argument("give one or more state files (shop_report --save-state)");
  std::optional<csmetrics::shop_metrics> merged;
  for (const std::string& name : cli.files) {
    const std::vector<std::uint8_t> bytes = csmetrics::load_state(name);  // names the file and the OS error
    try {
      csmetrics::shop_metrics part = csmetrics::shop_metrics::deserialize(bytes.data(), bytes.size());
      if (!merged)
        merged = std::move(part);
      else
        merged->merge(part);  // std::invalid_argument when the options differ
    } catch (const std::exception& e) {
      throw std::runtime_error(name + ": " + e.what());
    }
  }
  if (const auto last = merged->newest_time()) merged->finish(*last);  // "now" = the newest event of all parts
  if (!cli.save_state_file.empty()) demo::save_state(*merged, cli.save_state_file);
  const csmetrics::report_request request = demo::report_request_of(cli);
  csmetrics::report r = merged->make_report(request);
  // A state keeps no reader counts: its rows are the events it accepted or refused.
  const std::map<std::string, std::uint64_t> refused = merged->refused_by_reason();
  r.rows = r.accepted = merged->accepted();
  for (const auto& [why, n] : refused) r.rows += n;
  r.accepted = r.rows;
  csmetrics::count_refused(r, refused);  // back to the accepted ones, the rest skipped by reason
  demo::print_report(r, cli);
  return 0;
}

const char* usage() {
  return "usage: csm_merge [--format text|json|prometheus] [--as-of YYYY-MM-DD] [--by shop|agent|day]\n"
         "                 [--html FILE] [--save-state FILE] STATE_FILE ...\n"
         "  merges shop_metrics states (shop_report --save-state) and prints the report\n";
}

}  // namespace

int main(int argc, char** argv) {
  demo::restart_on_huge_pages(argv);
  return demo::run_command("csm_merge", usage(), argc, argv, run);
}
