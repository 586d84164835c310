// SPDX-License-Identifier: Apache-2.0
// gen_events: writes a generated shop event log (../shared/EVENTS.md CSV) of
// any size, deterministic from the seed (bench/event_generator.hpp).
//
//   gen_events --events N [--seed S] [--shops K] [--agents A] [--buyers B]
//              [--journeys-per-shop-day J | --days D] [--out FILE]
//              [--bad-rows R] [--out-of-order F] [--stats]
//   gen_events --events N --shape one-shop|tiny-shops [--out FILE]
//
// Without --out the CSV goes to stdout. --days D sets the journey rate so the
// N events span about D days. --stats prints the generator's figures (events
// by type, the funnel as decided, rows/s) to stderr. --shape writes one of
// the extreme logs of event_shapes.hpp instead of journeys.
#include <chrono>       // std::chrono::steady_clock (rows/s)
#include <cstdint>      // std::uint64_t
#include <cstdio>       // std::fopen, std::fwrite, std::fprintf
#include <cstdlib>      // std::strtoull, std::strtod
#include <cstring>      // std::strcmp
#include <exception>    // std::exception
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view

#include "event_generator.hpp"
#include "event_shapes.hpp"

namespace {

int usage(const char* why) {
  if (why) std::fprintf(stderr, "gen_events: %s\n", why);
  std::fprintf(stderr,
               "usage: gen_events --events N [--seed S] [--shops K] [--agents A] [--buyers B]\n"
               "                  [--journeys-per-shop-day J | --days D] [--out FILE]\n"
               "                  [--bad-rows R] [--out-of-order F] [--stats]\n"
               "       gen_events --events N --shape one-shop|tiny-shops [--out FILE]\n");
  return 2;
}

bool parse_u64(const char* s, std::uint64_t& out) {
  char* end = nullptr;
  out = std::strtoull(s, &end, 10);
  return end != s && *end == '\0' && s[0] != '-';
}

bool parse_double(const char* s, double& out) {
  char* end = nullptr;
  out = std::strtod(s, &end);
  return end != s && *end == '\0';
}

}  // namespace

int main(int argc, char** argv) {
  csmetrics::bench::generator_options o;
  std::uint64_t events = 0, u = 0;
  bool have_events = false, stats = false;
  double days = 0, d = 0;
  const char* out_path = nullptr;
  std::optional<csmetrics::bench::log_shape> shape;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const bool has_value = i + 1 < argc;
    const char* v = has_value ? argv[i + 1] : "";
    if (a == "--stats") {
      stats = true;
      continue;
    }
    if (a == "-h" || a == "--help") return usage(nullptr);
    if (!has_value) return usage(("missing value after " + std::string(a)).c_str());
    ++i;
    if (a == "--events" && parse_u64(v, u)) {
      events = u;
      have_events = true;
    } else if (a == "--seed" && parse_u64(v, u)) {
      o.seed = u;
    } else if (a == "--shops" && parse_u64(v, u) && u <= 1000000) {
      o.shops = static_cast<std::uint32_t>(u);
    } else if (a == "--agents" && parse_u64(v, u) && u <= 1000) {
      o.agents_per_shop = static_cast<std::uint32_t>(u);
    } else if (a == "--buyers" && parse_u64(v, u)) {
      o.buyers_per_shop = u;
    } else if (a == "--journeys-per-shop-day" && parse_double(v, d)) {
      o.journeys_per_shop_day = d;
    } else if (a == "--days" && parse_double(v, d) && d > 0) {
      days = d;
    } else if (a == "--bad-rows" && parse_u64(v, u)) {
      o.bad_rows = u;
    } else if (a == "--out-of-order" && parse_double(v, d)) {
      o.out_of_order = d;
    } else if (a == "--shape" && csmetrics::bench::parse_log_shape(v)) {
      shape = csmetrics::bench::parse_log_shape(v);
    } else if (a == "--out") {
      out_path = v;
    } else {
      return usage(("bad option or value: " + std::string(a) + " " + v).c_str());
    }
  }
  if (!have_events) return usage("--events N is required");
  // About 3.3 events per journey (measured on the defaults).
  if (days > 0) o.journeys_per_shop_day = static_cast<double>(events) / 3.3 / days / o.shops;
  try {
    o.validate();
    std::FILE* f = stdout;
    if (out_path && std::string_view(out_path) != "-") {
      f = std::fopen(out_path, "wb");
      if (!f) {
        std::perror(out_path);
        return 1;
      }
    }
    const auto t0 = std::chrono::steady_clock::now();
    std::uint64_t bytes = 0;
    bool io_error = false;
    auto write = [&](std::string_view piece) {
      if (std::fwrite(piece.data(), 1, piece.size(), f) != piece.size()) io_error = true;
      bytes += piece.size();
    };
    csmetrics::bench::generator_stats st;
    if (shape) {
      csmetrics::bench::generate_shape_csv(*shape, events, write);
      st.events = events;
      st.by_type[static_cast<std::size_t>(csmetrics::event_type::visit)] = events;
    } else {
      st = csmetrics::bench::generate_csv(o, events, write);
    }
    if (std::fflush(f) != 0) io_error = true;
    if (f != stdout) std::fclose(f);
    if (io_error) {
      std::fprintf(stderr, "gen_events: write error\n");
      return 1;
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (stats) {
      std::fprintf(stderr, "events %llu, bad rows %llu, bytes %llu, %.2f s (%.1f M rows/s, %.0f MB/s)\n",
                   static_cast<unsigned long long>(st.events), static_cast<unsigned long long>(st.bad_rows),
                   static_cast<unsigned long long>(bytes), secs, static_cast<double>(st.events) / secs / 1e6,
                   static_cast<double>(bytes) / secs / 1e6);
      for (std::size_t t = 0; t < csmetrics::event_type_count; ++t)
        std::fprintf(stderr, "  %-10s %llu\n", std::string(csmetrics::name(static_cast<csmetrics::event_type>(t))).c_str(),
                     static_cast<unsigned long long>(st.by_type[t]));
      std::fprintf(stderr, "journeys %llu; inquiry decisions %llu, converted %.2f %%; payment decisions %llu, paid %.2f %%\n",
                   static_cast<unsigned long long>(st.journeys), static_cast<unsigned long long>(st.inquiry_decisions),
                   100.0 * static_cast<double>(st.inquiry_converted) / static_cast<double>(st.inquiry_decisions ? st.inquiry_decisions : 1),
                   static_cast<unsigned long long>(st.payment_decisions),
                   100.0 * static_cast<double>(st.payment_converted) / static_cast<double>(st.payment_decisions ? st.payment_decisions : 1));
      std::fprintf(stderr, "late events %llu; peak scheduled %zu\n", static_cast<unsigned long long>(st.late_events),
                   st.peak_pending);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gen_events: %s\n", e.what());
    return 2;
  }
  return 0;
}
