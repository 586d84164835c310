// SPDX-License-Identifier: Apache-2.0
// File: examples/mpi_report.cpp
//
// mpi_report: shop_report across processes and machines with MPI. Rank 0
// prints the same report, byte for byte, as `shop_report` on the same input.
//
//   mpirun -np 4 mpi_report --format json events.csv        byte ranges of one file
//   mpirun -np 4 mpi_report --format json a.csv b.csv c.csv  a share of the files each
//   mpirun -np 4 mpi_report                                  the demo week, in byte ranges
//   mpirun -np 4 mpi_report --shard-by shop --save-state all.state events.csv
//   --verbose: each rank prints on stderr what it read and the bytes it sent.
// Options: shop_report's (--format, --utc-offset, --as-of, the windows,
// --max-lateness, --by, --shard-by, --save-state); not --html, --strict,
// --progress, --threads. --shard-by shop|buyer|auto picks the shuffle key as
// shop_report --threads does (step 3); --save-state FILE makes rank 0 write
// the merged state, atomically (csmetrics/io/state_file.hpp), the same bytes
// as shop_report --save-state on the same input.
//
// 1. Read. One file: rank r reads bytes [r*S/P, (r+1)*S/P), moved forward to
//    the next line start (a row is one line: files with line breaks inside
//    quoted fields must be given as a file list instead). Several files: rank
//    r reads whole files, files i with i*P/F == r, in the given order.
// 2. Lateness, as one reader would decide it. shop_report's reader skips a
//    row more than --max-lateness behind the newest row before it. In byte
//    ranges, "before it" spans ranks: each rank reads without that rule,
//    MPI_Exscan(MAX) gives it the newest time of all earlier ranges, and it
//    then applies the rule in order. (File lists: one reader per file, as
//    shop_report does.)
// 3. Shuffle by key, then accumulate. A conversation, a buyer's inquiries
//    and orders, and an order's payment can sit in different byte ranges.
//    We move events, not trackers. The key is shop_report's --shard-by
//    (csmetrics/sharded/shard_router.hpp): `shop` sends every event to rank
//    hash(shop) % P, so a shop lives on one rank whole; `buyer` sends every
//    event to rank hash(shop, buyer) % P (FNV-1a), order-keyed events
//    (payment, cancel, refund, dispute, reminder) to the rank of their
//    order's buyer; `auto` (the default) takes shop when rank 0's first
//    16384 rows (the head of the input, shop_report's first batch) spread
//    evenly enough over P ranks by shop (choose_shard_key), else buyer.
//    Every key gives the same report and state; only the balance differs.
//    Why not merge per-range conversation trackers? A
//    conversation cut at a range boundary has open bursts and a half-made
//    session on both sides; stitching them needs every tracker to export its
//    open edges in time order - more format, more code and more tests than a
//    shuffle, which costs one pass of the rows over the network and makes
//    each rank a disjoint (shop, buyer) shard, whose merge shop_metrics
//    already proves exact. With `buyer` the order's rank comes from a directory: rank
//    hash(shop, order) % P learns every order event's rank and answers the
//    order-keyed rows' queries (two small all-to-alls), so even a payment
//    that precedes its order, with no buyer column, finds its shard. Each
//    rank feeds what it receives in the original order (rows carry their
//    global sequence number).
// 4. Finish every rank's shop_metrics at the global newest time (Allreduce
//    MAX), serialize, and reduce in a binary tree: at step k = 1, 2, 4, ...
//    rank r with r % 2k == k sends its state to r - k, which merges it. The
//    merge of disjoint shards is exact and its bytes do not depend on the
//    order, so rank 0 holds the state of one pass, prints its report and,
//    with --save-state, saves it.
#include <mpi.h>

#include <algorithm>    // std::max, std::sort
#include <cstdint>      // std::uint64_t, std::int64_t
#include <cstdio>       // std::FILE, std::fopen, std::fread, std::fprintf
#include <cstring>      // std::memcpy
#include <exception>    // std::exception
#include <iostream>     // std::cout
#include <limits>       // std::numeric_limits
#include <map>          // std::map
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <utility>      // std::pair
#include <vector>       // std::vector

#include "cli_options.hpp"
#include "csmetrics/io/event_csv.hpp"
#include "csmetrics/io/event_batch.hpp"
#include "csmetrics/io/report.hpp"
#include "csmetrics/io/rfc3339.hpp"
#include "csmetrics/sharded.hpp"
#include "csmetrics/shop_metrics.hpp"
#include "demo_week.hpp"
#include "report_output.hpp"

namespace {

constexpr std::size_t counts_size = 3 + csmetrics::row_error_count;  // rows, accepted, skipped, by reason

struct rank_info {
  int rank = 0, size = 1;
};

// ---- reading -------------------------------------------------------------------

/// The first byte of the line that contains byte `x - 1`'s successor: 0 for 0,
/// else the byte after the first '\n' at or after x - 1 (the size when none).
std::uint64_t line_start_at(std::FILE* f, std::uint64_t x, std::uint64_t size) {
  if (x == 0) return 0;
  if (x >= size) return size;
  if (std::fseek(f, static_cast<long>(x - 1), SEEK_SET) != 0) throw std::runtime_error("cannot seek");
  std::uint64_t pos = x - 1;
  for (int c; (c = std::getc(f)) != EOF; ++pos)
    if (c == '\n') return pos + 1;
  return size;
}

std::uint64_t line_start_at(std::string_view s, std::uint64_t x) {
  if (x == 0) return 0;
  if (x >= s.size()) return s.size();
  const std::size_t nl = s.find('\n', x - 1);
  return nl == std::string_view::npos ? s.size() : nl + 1;
}

/// Rank r's rows of one input, with the header line in front.
std::string byte_range(const std::string& name, const rank_info& me) {
  if (name.empty()) {  // the demo week, built alike on every rank
    const std::string all = demo::demo_week_builder().csv();
    const std::uint64_t header = line_start_at(all, 1);
    const std::uint64_t body = all.size() - header;
    const std::uint64_t a = std::max(header, line_start_at(all, header + body * me.rank / me.size));
    const std::uint64_t b = std::max(header, line_start_at(all, header + body * (me.rank + 1) / me.size));
    return all.substr(0, header) + all.substr(a, b - a);
  }
  std::FILE* f = std::fopen(name.c_str(), "rb");
  if (!f) throw std::runtime_error(name + ": cannot open");
  std::string out;
  try {
    std::fseek(f, 0, SEEK_END);
    const auto size = static_cast<std::uint64_t>(std::ftell(f));
    const std::uint64_t header = line_start_at(f, 1, size);
    const std::uint64_t body = size - header;
    const std::uint64_t a = std::max(header, line_start_at(f, header + body * me.rank / me.size, size));
    const std::uint64_t b = std::max(header, line_start_at(f, header + body * (me.rank + 1) / me.size, size));
    out.resize(header + (b - a));
    std::fseek(f, 0, SEEK_SET);
    if (std::fread(&out[0], 1, header, f) != header) throw std::runtime_error(name + ": cannot read");
    std::fseek(f, static_cast<long>(a), SEEK_SET);
    if (b > a && std::fread(&out[header], 1, b - a, f) != b - a) throw std::runtime_error(name + ": cannot read");
  } catch (...) {
    std::fclose(f);
    throw;
  }
  std::fclose(f);
  return out;
}

std::string whole_file(const std::string& name) {
  std::FILE* f = std::fopen(name.c_str(), "rb");
  if (!f) throw std::runtime_error(name + ": cannot open");
  std::string out;
  char buf[1 << 16];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
  const bool bad = std::ferror(f) != 0;
  std::fclose(f);
  if (bad) throw std::runtime_error(name + ": cannot read");
  return out;
}

/// One CSV field, quoted when it must be (RFC 4180).
void field(std::string& out, std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

/// An event as one CSV row (the same event when read back).
std::string to_row(const csmetrics::event& e) {
  std::string r = csmetrics::format_rfc3339(e.time);
  r += ',';
  r += csmetrics::name(e.type);
  for (std::string_view s : {e.shop, e.buyer, e.agent, e.order}) {
    r += ',';
    field(r, s);
  }
  r += ',';
  if (e.amount) r += e.amount->to_string();
  r += ',';
  if (e.score != 0) r += static_cast<char>('0' + e.score);
  r += ',';
  field(r, e.tag);
  r += '\n';
  return r;
}

struct kept_row {
  std::uint64_t seq;  // rank << 40 | index: the global order of the input
  csmetrics::event_type type;
  std::string shop, buyer, order, text;
};

// ---- all-to-all of byte buffers ---------------------------------------------------

/// Sends out[i] to rank i; returns what each rank sent here. Adds the bytes sent to `sent`.
std::vector<std::string> exchange(const std::vector<std::string>& out, const rank_info& me, std::uint64_t& sent) {
  std::vector<int> scount(me.size), rcount(me.size), sdispl(me.size), rdispl(me.size);
  std::string sbuf;
  for (int i = 0; i < me.size; ++i) {
    if (out[i].size() > static_cast<std::size_t>(std::numeric_limits<int>::max() / 2))
      throw std::runtime_error("a rank's share exceeds 1 GiB: use more ranks");
    sdispl[i] = static_cast<int>(sbuf.size());
    scount[i] = static_cast<int>(out[i].size());
    sbuf += out[i];
    if (i != me.rank) sent += out[i].size();
  }
  MPI_Alltoall(scount.data(), 1, MPI_INT, rcount.data(), 1, MPI_INT, MPI_COMM_WORLD);
  long total = 0;
  for (int i = 0; i < me.size; ++i) {
    rdispl[i] = static_cast<int>(total);
    total += rcount[i];
  }
  std::string rbuf(static_cast<std::size_t>(total), '\0');
  MPI_Alltoallv(sbuf.data(), scount.data(), sdispl.data(), MPI_CHAR, &rbuf[0], rcount.data(), rdispl.data(),
                MPI_CHAR, MPI_COMM_WORLD);
  std::vector<std::string> in(me.size);
  for (int i = 0; i < me.size; ++i) in[i] = rbuf.substr(rdispl[i], rcount[i]);
  return in;
}

void put_u64(std::string& s, std::uint64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);
  s.append(b, 8);
}
std::uint64_t get_u64(const std::string& s, std::size_t& pos) {
  std::uint64_t v;
  std::memcpy(&v, s.data() + pos, 8);
  pos += 8;
  return v;
}
void put_str(std::string& s, std::string_view v) {
  put_u64(s, v.size());
  s.append(v.data(), v.size());
}
std::string get_str(const std::string& s, std::size_t& pos) {
  const std::uint64_t n = get_u64(s, pos);
  std::string v = s.substr(pos, n);
  pos += n;
  return v;
}

int rank_of(std::string_view shop, std::string_view key, const rank_info& me) {
  return static_cast<int>(csmetrics::detail::shard_hash(shop, key) % static_cast<std::uint64_t>(me.size));
}

/// The shuffle key of --shard-by: shop, buyer, or for auto the choice of
/// choose_shard_key on rank 0's first rows (the head of the input, as
/// shop_report's first batch), broadcast so that every rank agrees.
csmetrics::shard_key shuffle_key(const std::string& shard_by, const std::vector<kept_row>& rows,
                                 const rank_info& me) {
  if (shard_by == "shop") return csmetrics::shard_key::shop;
  if (shard_by == "buyer") return csmetrics::shard_key::shop_buyer;
  constexpr std::size_t sample = 16384;  // csmetrics::sharded_options::batch_events
  int chosen = 0;
  if (me.rank == 0) {
    csmetrics::event_batch head;
    for (std::size_t i = 0; i < rows.size() && i < sample; ++i) {
      csmetrics::event e;
      e.shop = rows[i].shop;  // the key choice reads the shops only
      head.push(e);
    }
    chosen = static_cast<int>(csmetrics::choose_shard_key(head, static_cast<std::size_t>(me.size), sample));
  }
  MPI_Bcast(&chosen, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return static_cast<csmetrics::shard_key>(chosen);
}

int run(const demo::cli_options& cli, const rank_info& me, bool verbose) {
  // 1-2. Read this rank's part; keep good rows in input order.
  std::vector<std::uint64_t> counts(counts_size, 0);
  std::vector<kept_row> rows;
  auto keep = [&](const csmetrics::event& e) {
    rows.push_back(kept_row{(static_cast<std::uint64_t>(me.rank) << 40) | rows.size(), e.type, std::string(e.shop),
                            std::string(e.buyer), std::string(e.order), to_row(e)});
  };
  auto add_stats = [&](const csmetrics::event_csv_stats& s) {
    counts[0] += s.rows;
    counts[1] += s.accepted;
    counts[2] += s.skipped;
    for (std::size_t i = 0; i < csmetrics::row_error_count; ++i) counts[3 + i] += s.skipped_by[i];
  };
  std::uint64_t bytes_read = 0;
  const bool ranges = cli.files.size() <= 1;
  if (ranges) {
    const std::string text = byte_range(cli.files.empty() ? std::string() : cli.files[0], me);
    bytes_read = text.size();
    csmetrics::event_csv_options ro;
    ro.max_lateness = std::chrono::hours{24 * 365 * 100};  // decided below, across ranks
    csmetrics::event_csv_reader in(text, ro);
    std::vector<std::int64_t> times;
    csmetrics::event e;
    while (in.next(e)) {
      keep(e);
      times.push_back(e.time.time_since_epoch().count());
    }
    add_stats(in.stats());
    std::int64_t local_max = std::numeric_limits<std::int64_t>::min(), before = local_max;
    for (std::int64_t t : times) local_max = std::max(local_max, t);
    MPI_Exscan(&local_max, &before, 1, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
    if (me.rank == 0) before = std::numeric_limits<std::int64_t>::min();
    // The reader's rule, with the newest time of all earlier ranges.
    const std::int64_t lateness = cli.max_lateness.count();
    std::int64_t newest = before;
    std::vector<kept_row> on_time;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (newest != std::numeric_limits<std::int64_t>::min() && newest - times[i] > lateness) {
        --counts[1];
        ++counts[2];
        ++counts[3 + static_cast<std::size_t>(csmetrics::row_error::too_late)];
        continue;
      }
      newest = std::max(newest, times[i]);
      on_time.push_back(std::move(rows[i]));
    }
    rows = std::move(on_time);
  } else {
    csmetrics::event_csv_options ro;
    ro.max_lateness = cli.max_lateness;
    const std::size_t f = cli.files.size();
    for (std::size_t i = 0; i < f; ++i) {
      if (static_cast<int>(i * static_cast<std::size_t>(me.size) / f) != me.rank) continue;
      const std::string text = whole_file(cli.files[i]);
      bytes_read += text.size();
      csmetrics::event_csv_reader in(text, ro);
      csmetrics::event e;
      while (in.next(e)) keep(e);
      add_stats(in.stats());
    }
  }

  // 3a. The key, and for (shop, buyer) the order directory: where each order's buyer lives.
  const csmetrics::shard_key key = shuffle_key(cli.shard_by, rows, me);
  const bool by_shop = key == csmetrics::shard_key::shop;
  std::uint64_t shuffle_sent = 0;
  std::vector<std::string> to_dir(me.size);
  for (const kept_row& r : rows) {
    if (by_shop || r.order.empty()) continue;
    const bool is_order = r.type == csmetrics::event_type::order && !r.buyer.empty();
    if (!is_order && !csmetrics::detail::order_keyed(r.type)) continue;
    std::string& out = to_dir[rank_of(r.shop, r.order, me)];
    out += is_order ? 'O' : 'Q';
    put_u64(out, r.seq);
    put_str(out, r.shop);
    put_str(out, r.order);
    if (is_order) put_u64(out, static_cast<std::uint64_t>(rank_of(r.shop, r.buyer, me)));
  }
  const std::vector<std::string> dir_in = exchange(to_dir, me, shuffle_sent);  // empty when by_shop
  std::map<std::pair<std::string, std::string>, std::pair<std::uint64_t, std::uint64_t>> directory;  // -> (seq, rank)
  std::vector<std::vector<std::pair<std::string, std::string>>> queries(me.size);
  for (int src = 0; src < me.size; ++src) {
    const std::string& s = dir_in[src];
    for (std::size_t pos = 0; pos < s.size();) {
      const char tag = s[pos++];
      const std::uint64_t seq = get_u64(s, pos);
      std::string shop = get_str(s, pos), order = get_str(s, pos);
      if (tag == 'O') {
        const std::uint64_t dest = get_u64(s, pos);
        auto [it, fresh] = directory.try_emplace({shop, order}, seq, dest);
        if (!fresh && seq < it->second.first) it->second = {seq, dest};  // the first order event wins
      } else {
        queries[src].emplace_back(std::move(shop), std::move(order));
      }
    }
  }
  std::vector<std::string> answers(me.size);
  for (int src = 0; src < me.size; ++src)
    for (const auto& q : queries[src]) {
      auto it = directory.find(q);
      put_u64(answers[src], it == directory.end() ? ~std::uint64_t{0} : it->second.second);
    }
  const std::vector<std::string> answers_in = exchange(answers, me, shuffle_sent);

  // 3b. Every row to its key's rank, with its sequence number.
  std::vector<std::size_t> answer_pos(me.size, 0);
  std::vector<std::string> to_rank(me.size);
  for (const kept_row& r : rows) {
    int dest = rank_of(r.shop, by_shop ? std::string_view() : std::string_view(r.buyer), me);
    if (!by_shop && csmetrics::detail::order_keyed(r.type) && !r.order.empty()) {
      const int dir = rank_of(r.shop, r.order, me);
      const std::uint64_t a = get_u64(answers_in[dir], answer_pos[dir]);
      if (a != ~std::uint64_t{0}) dest = static_cast<int>(a);
    }
    put_u64(to_rank[dest], r.seq);
    put_str(to_rank[dest], r.text);
  }
  rows.clear();
  const std::vector<std::string> mine = exchange(to_rank, me, shuffle_sent);
  std::vector<std::pair<std::uint64_t, std::string>> received;
  for (const std::string& s : mine)
    for (std::size_t pos = 0; pos < s.size();) {
      const std::uint64_t seq = get_u64(s, pos);
      received.emplace_back(seq, get_str(s, pos));
    }
  std::sort(received.begin(), received.end());

  // Accumulate in input order.
  csmetrics::shop_metrics metrics(demo::metrics_options(cli));
  {
    std::string csv = "time,type,shop,buyer,agent,order,amount,score,tag\n";
    for (const auto& r : received) csv += r.second;
    csmetrics::event_csv_options ro;
    ro.max_lateness = std::chrono::hours{24 * 365 * 100};  // already decided
    csmetrics::event_csv_reader in(csv, ro);
    csmetrics::event e;
    while (in.next(e)) metrics.add(e);
    if (in.stats().skipped != 0) throw std::logic_error("a shuffled row did not read back");
  }

  // 4. Finish at the global newest time, then reduce in a binary tree.
  const auto newest = metrics.newest_time();
  std::int64_t local_newest = newest ? newest->time_since_epoch().count() : std::numeric_limits<std::int64_t>::min();
  std::int64_t global_newest = local_newest;
  MPI_Allreduce(&local_newest, &global_newest, 1, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
  if (newest) metrics.finish(csmetrics::timestamp{csmetrics::duration{global_newest}});
  std::uint64_t reduce_sent = 0;
  for (int step = 1; step < me.size; step *= 2) {
    if (me.rank % (2 * step) == step) {
      const std::vector<std::uint8_t> state = metrics.serialize();
      const std::uint64_t n = state.size();
      MPI_Send(&n, 1, MPI_UINT64_T, me.rank - step, 0, MPI_COMM_WORLD);
      MPI_Send(state.data(), static_cast<int>(n), MPI_BYTE, me.rank - step, 1, MPI_COMM_WORLD);
      reduce_sent += 8 + n;
      break;
    }
    if (me.rank % (2 * step) == 0 && me.rank + step < me.size) {
      std::uint64_t n = 0;
      MPI_Recv(&n, 1, MPI_UINT64_T, me.rank + step, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      std::vector<std::uint8_t> state(n);
      MPI_Recv(state.data(), static_cast<int>(n), MPI_BYTE, me.rank + step, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      metrics.merge(csmetrics::shop_metrics::deserialize(state.data(), state.size()));
    }
  }
  std::vector<std::uint64_t> total(counts_size, 0);
  MPI_Reduce(counts.data(), total.data(), static_cast<int>(counts_size), MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
  if (verbose)
    std::fprintf(stderr, "mpi_report rank %d/%d: read %llu bytes, %llu rows kept; shuffle by %s sent %llu bytes; "
                 "received %llu rows; reduction sent %llu bytes\n",
                 me.rank, me.size, static_cast<unsigned long long>(bytes_read),
                 static_cast<unsigned long long>(counts[1]), by_shop ? "shop" : "(shop, buyer)",
                 static_cast<unsigned long long>(shuffle_sent),
                 static_cast<unsigned long long>(received.size()), static_cast<unsigned long long>(reduce_sent));
  if (me.rank != 0) return 0;

  if (!cli.save_state_file.empty()) demo::save_state(metrics, cli.save_state_file);  // atomic: io/state_file.hpp
  const csmetrics::report_request request = demo::report_request_of(cli);
  csmetrics::report r = metrics.make_report(request);
  r.rows = total[0];
  r.accepted = total[1];
  r.skipped = total[2];
  for (std::size_t i = 0; i < csmetrics::row_error_count; ++i)
    if (total[3 + i] != 0) r.skipped_by_reason[std::string(csmetrics::name(static_cast<csmetrics::row_error>(i)))] = total[3 + i];
  // Rows the readers accepted and a family refused (the merged state counts them): skipped, as in shop_report.
  csmetrics::count_refused(r, metrics.refused_by_reason());
  demo::print_report(r, cli);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  rank_info me;
  MPI_Comm_rank(MPI_COMM_WORLD, &me.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &me.size);
  bool verbose = false;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::string(argv[i]) == "--verbose")
      verbose = true;
    else
      args.push_back(argv[i]);
  }
  demo::cli_options cli;
  int rc = 0;
  try {
    cli = demo::parse_cli(static_cast<int>(args.size()), args.data());
    if (!cli.html_file.empty() || cli.threads != 1 || cli.strict)
      throw std::invalid_argument("--html, --threads and --strict are shop_report's only (the ranks are the threads)");
  } catch (const std::exception& e) {
    if (me.rank == 0) std::fprintf(stderr, "mpi_report: %s\n%s  --verbose  per-rank bytes read and sent\n", e.what(), demo::usage());
    MPI_Finalize();
    return 2;
  }
  try {
    rc = run(cli, me, verbose);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mpi_report rank %d: %s\n", me.rank, e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Finalize();
  return rc;
}
