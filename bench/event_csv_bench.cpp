// SPDX-License-Identifier: Apache-2.0
// The event-log CSV reader against a straightforward std::getline +
// std::stringstream reader of the same rows, on a generated in-memory log of
// realistic rows (a shop's mix of visits, messages, orders, payments,
// ratings). MB/s via SetBytesProcessed, rows/s via SetItemsProcessed.
// Also the two value parsers against their libc counterparts.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iomanip>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "csmetrics/io/event_csv.hpp"

namespace {

using csmetrics::bench::tiny;

/// A shop's day-by-day log: ~60 bytes a row, times ascending, a few rows
/// slightly out of order, fractions on a tenth of the rows. `quote_all`
/// quotes every text field (the reader's slow path); `chinese` gives shops,
/// agents and lost reasons' rows Chinese names (multi-byte UTF-8 ids, the
/// slow path of the UTF-8 check).
std::string make_log(std::size_t target_bytes, bool quote_all = false, bool chinese = false) {
  std::mt19937_64 rng(42);
  std::string out = "time,type,shop,buyer,agent,order,amount,score,tag\n";
  out.reserve(target_bytes + 256);
  std::int64_t t = 1567296000LL * 1000000;  // 2019-09-01T00:00:00Z
  const char* lost_reasons[] = {"price", "response_time", "product_knowledge", "attitude", "logistics",
                                "after_sales", "other"};
  const char* dsr_tags[] = {"item", "service", "logistics"};
  char buf[256];
  auto q = [quote_all](const std::string& s) { return quote_all ? "\"" + s + "\"" : s; };
  while (out.size() < target_bytes) {
    t += static_cast<std::int64_t>(rng() % 4000000);
    std::int64_t ts = t - ((rng() % 50 == 0) ? static_cast<std::int64_t>(rng() % 600000000) : 0);
    if (rng() % 10 != 0) ts -= ts % 1000000;
    std::string time = csmetrics::format_rfc3339(csmetrics::timestamp{csmetrics::duration{ts}}, csmetrics::utc_offset{});
    std::string shop = (chinese ? "旗舰店" : "shop") + std::to_string(rng() % 20);
    std::string buyer = (chinese ? "买家" : "b") + std::to_string(1000000 + rng() % 900000);
    std::string agent = (chinese ? "客服_" : "agent_") + std::to_string(rng() % 40);
    std::string order = "o" + std::to_string(10000000 + rng() % 9000000);
    std::string amount = std::to_string(rng() % 2000) + "." + std::to_string(10 + rng() % 90);
    unsigned r = static_cast<unsigned>(rng() % 1000);
    std::string row;
    if (r < 550) row = time + ",visit," + q(shop) + "," + q(buyer) + ",,,,,";
    else if (r < 700) row = time + ",buyer_msg," + q(shop) + "," + q(buyer) + "," + q(agent) + ",,,,";
    else if (r < 850) row = time + ",agent_msg," + q(shop) + "," + q(buyer) + "," + q(agent) + ",,,,";
    else if (r < 870) row = time + ",auto_msg," + q(shop) + "," + q(buyer) + ",,,,,";
    else if (r < 880) row = time + ",invite," + q(shop) + "," + q(buyer) + "," + q(agent) + ",,,,";
    else if (r < 890) row = time + ",vote," + q(shop) + "," + q(buyer) + "," + q(agent) + ",,," + std::to_string(1 + rng() % 5) + ",";
    else if (r < 895) row = time + ",lost," + q(shop) + "," + q(buyer) + "," + q(agent) + ",,,," + lost_reasons[rng() % 7];
    else if (r < 935) row = time + ",order," + q(shop) + "," + q(buyer) + "," + q(agent) + "," + q(order) + "," + amount + ",,";
    else if (r < 965) row = time + ",payment," + q(shop) + "," + q(buyer) + ",," + q(order) + "," + amount + ",,";
    else if (r < 970) row = time + ",cancel," + q(shop) + ",,," + q(order) + ",,,";
    else if (r < 975) row = time + ",refund," + q(shop) + ",,," + q(order) + "," + amount + ",,";
    else if (r < 977) row = time + ",dispute," + q(shop) + ",,," + q(order) + ",,,";
    else if (r < 985) row = time + ",reminder," + q(shop) + ",," + q(agent) + "," + q(order) + ",,," + q("script" + std::to_string(rng() % 5));
    else if (r < 993) row = time + ",dsr," + q(shop) + ",,," + q(order) + ",," + std::to_string(1 + rng() % 5) + "," + dsr_tags[rng() % 3];
    else row = time + ",review," + q(shop) + ",,," + q(order) + ",," + std::to_string(1 + rng() % 5) + ",";
    std::snprintf(buf, sizeof buf, "%s\n", row.c_str());
    out += buf;
  }
  return out;
}

const std::string& log_text() {
  static const std::string text = make_log(tiny() ? (64u << 10) : (64u << 20));
  return text;
}
const std::string& quoted_log_text() {
  static const std::string text = make_log(tiny() ? (64u << 10) : (32u << 20), true);
  return text;
}
const std::string& chinese_log_text() {
  static const std::string text = make_log(tiny() ? (64u << 10) : (32u << 20), false, true);
  return text;
}

template <class Reader>
std::uint64_t drain(Reader& in) {
  csmetrics::event e;
  std::uint64_t n = 0, check = 0;
  while (in.next(e)) {
    ++n;
    check += static_cast<std::uint64_t>(e.time.time_since_epoch().count()) + e.shop.size() + e.score;
  }
  benchmark::DoNotOptimize(check);
  return n;
}

/// Reads all of `text` with `read(text)` (returns the rows read) once per
/// iteration: MB/s and rows/s.
template <class Read>
void read_each_iteration(benchmark::State& state, const std::string& text, Read read) {
  std::uint64_t rows = 0;
  for (auto _ : state) rows += read(text);
  state.SetBytesProcessed(static_cast<std::int64_t>(text.size() * state.iterations()));
  state.SetItemsProcessed(static_cast<std::int64_t>(rows));
}

/// The reader over the text in memory.
std::uint64_t read_memory(const std::string& text) {
  csmetrics::event_csv_reader in{std::string_view(text)};
  return drain(in);
}

void BM_event_csv_read_memory(benchmark::State& state) { read_each_iteration(state, log_text(), read_memory); }
BENCHMARK(BM_event_csv_read_memory)->Unit(benchmark::kMillisecond);

// Through the chunked path (1 MiB chunks copied from memory, as from a FILE*
// whose pages are cached).
void BM_event_csv_read_chunked(benchmark::State& state) {
  read_each_iteration(state, log_text(), [](const std::string& text) {
    std::size_t at = 0;
    csmetrics::event_csv_reader in(csmetrics::event_csv_reader::read_function([&](char* dst, std::size_t n) {
      std::size_t k = std::min(n, text.size() - at);
      std::memcpy(dst, text.data() + at, k);
      at += k;
      return k;
    }));
    return drain(in);
  });
}
BENCHMARK(BM_event_csv_read_chunked)->Unit(benchmark::kMillisecond);

// Every text field quoted: the quoted-field path.
void BM_event_csv_read_quoted(benchmark::State& state) { read_each_iteration(state, quoted_log_text(), read_memory); }
BENCHMARK(BM_event_csv_read_quoted)->Unit(benchmark::kMillisecond);

// Chinese shop, buyer and agent ids: every row holds multi-byte UTF-8.
void BM_event_csv_read_chinese_ids(benchmark::State& state) {
  read_each_iteration(state, chinese_log_text(), read_memory);
}
BENCHMARK(BM_event_csv_read_chinese_ids)->Unit(benchmark::kMillisecond);

// Baseline: what one writes first. std::getline per line, std::stringstream
// split into std::vector<std::string>, std::get_time + timegm for the time,
// a std::map for the type, std::stod for the amount. No quoting, and fewer
// checks than the reader: a lower bound on the work a correct reader does.
struct baseline_event {
  std::int64_t micros;
  csmetrics::event_type type;
  std::vector<std::string> fields;
  std::int64_t cents;
  int score;
};

std::uint64_t baseline_read(const std::string& text) {
  static const std::map<std::string, csmetrics::event_type> types = [] {
    std::map<std::string, csmetrics::event_type> m;
    for (std::size_t i = 0; i < csmetrics::event_type_count; ++i)
      m.emplace(std::string(csmetrics::name(static_cast<csmetrics::event_type>(i))),
                static_cast<csmetrics::event_type>(i));
    return m;
  }();
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);  // header
  std::uint64_t n = 0, check = 0;
  baseline_event e;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string field;
    e.fields.clear();
    while (std::getline(ss, field, ',')) e.fields.push_back(field);
    if (!line.empty() && line.back() == ',') e.fields.emplace_back();
    if (e.fields.size() != 9) continue;
    std::tm tm{};
    std::istringstream ts(e.fields[0]);
    ts >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
    if (ts.fail()) continue;
    std::int64_t secs = static_cast<std::int64_t>(timegm(&tm));
    const std::string& f0 = e.fields[0];
    std::size_t off = f0.find_first_of("+-Z", 19);
    std::int64_t frac = 0;
    if (f0.size() > 19 && f0[19] == '.') frac = std::strtoll(f0.c_str() + 20, nullptr, 10);
    if (off != std::string::npos && f0[off] != 'Z') {
      int oh = std::atoi(f0.c_str() + off + 1), om = std::atoi(f0.c_str() + off + 4);
      secs -= (f0[off] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    }
    e.micros = secs * 1000000 + frac;
    auto it = types.find(e.fields[1]);
    if (it == types.end()) continue;
    e.type = it->second;
    e.cents = e.fields[6].empty() ? 0 : static_cast<std::int64_t>(std::stod(e.fields[6]) * 100 + 0.5);
    e.score = e.fields[7].empty() ? 0 : std::stoi(e.fields[7]);
    ++n;
    check += static_cast<std::uint64_t>(e.micros) + e.fields[2].size() + static_cast<std::uint64_t>(e.score);
  }
  benchmark::DoNotOptimize(check);
  return n;
}

void BM_getline_stringstream_baseline(benchmark::State& state) {
  read_each_iteration(state, log_text(), baseline_read);
}
BENCHMARK(BM_getline_stringstream_baseline)->Unit(benchmark::kMillisecond);

// The value parsers alone.
std::vector<std::string> sample_times() {
  std::vector<std::string> v;
  std::mt19937_64 rng(5);
  for (int i = 0; i < 4096; ++i) {
    std::int64_t us = 1500000000LL * 1000000 + static_cast<std::int64_t>(rng() % (400000000ULL * 1000000));
    if (i % 4) us -= us % 1000000;
    v.push_back(csmetrics::format_rfc3339(csmetrics::timestamp{csmetrics::duration{us}}, csmetrics::utc_offset{}));
  }
  return v;
}

/// Parses one of the 4096 `samples` per iteration, each in turn, with
/// `parse(sample)`: parses/s.
template <class Parse>
void parse_each_iteration(benchmark::State& state, const std::vector<std::string>& samples, Parse parse) {
  std::size_t i = 0;
  for (auto _ : state) {
    auto v = parse(samples[i++ & 4095]);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_rfc3339_parse(benchmark::State& state) {
  parse_each_iteration(state, sample_times(), [](const std::string& s) { return csmetrics::parse_rfc3339(s); });
}
BENCHMARK(BM_rfc3339_parse);

// Baseline: sscanf + timegm.
void BM_rfc3339_parse_sscanf_baseline(benchmark::State& state) {
  parse_each_iteration(state, sample_times(), [](const std::string& s) {
    std::tm tm{};
    int oh = 0, om = 0;
    char sign = '+';
    double sec = 0;
    std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%lf%c%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                &tm.tm_min, &sec, &sign, &oh, &om);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_sec = static_cast<int>(sec);
    return static_cast<std::int64_t>(timegm(&tm)) - (sign == '-' ? -1 : 1) * (oh * 3600 + om * 60);
  });
}
BENCHMARK(BM_rfc3339_parse_sscanf_baseline);

std::vector<std::string> sample_amounts() {
  std::vector<std::string> v;
  std::mt19937_64 rng(6);
  for (int i = 0; i < 4096; ++i) v.push_back(csmetrics::money::from_minor(static_cast<std::int64_t>(rng() % 500000)).to_string());
  return v;
}

void BM_money_parse(benchmark::State& state) {
  parse_each_iteration(state, sample_amounts(), [](const std::string& s) { return csmetrics::money::try_parse(s); });
}
BENCHMARK(BM_money_parse);

// Baseline: strtod and rounding to cents (inexact, no 2-decimal check).
void BM_money_parse_strtod_baseline(benchmark::State& state) {
  parse_each_iteration(state, sample_amounts(), [](const std::string& s) {
    double d = std::strtod(s.c_str(), nullptr);
    return static_cast<std::int64_t>(d * 100 + 0.5);
  });
}
BENCHMARK(BM_money_parse_strtod_baseline);

}  // namespace

BENCHMARK_MAIN();
