// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/sharded.hpp
//
// One event stream on N threads, with the same bytes as one thread.
//
// A shop_metrics (shop_metrics.hpp) is single-writer. sharded_metrics runs N
// of them, each on its own worker thread, and deals the stream out by key.
// With shard_key::shop every event goes to hash(shop) % N: a shop lives on one
// shard whole. With shard_key::shop_buyer:
//
//   - every event keyed by a buyer (visit, messages, invite, vote, lost,
//     order) goes to shard hash(shop, buyer) % N, so each conversation, each
//     buyer's inquiries, orders and visits live on one shard;
//   - order-keyed events (payment, cancel, refund, dispute, reminder; their
//     buyer column may be empty) go to the shard of their order's buyer: the
//     router remembers (shop, order id) -> shard from the order events it
//     has seen. When the order is unknown (its order event has not come yet,
//     or never will) the buyer column decides if present, else the shop alone
//     (hash(shop, "")); such an event is rejected alike on any shard;
//   - shop-level events (dsr, review) go to hash(shop, buyer) when the buyer
//     column is set, else hash(shop, "").
// The hash (sharded/shard_router.hpp) is FNV-1a 64 of the bytes, the same on every platform, so
// processes on different machines (examples/mpi_report.cpp) agree on it.
// shard_key::automatic (the default) takes shop when the first batch's shops
// spread evenly enough over the N shards, else shop_buyer (choose_shard_key):
// whole shops are faster whenever they balance (nothing is duplicated), and
// (shop, buyer) still spreads one dominant shop over every thread.
//
// At the end, finish(now) settles every shard at the same global `now` and
// result() merges the shards, on the workers (a tree; two shards' four
// families on separate threads). shop_metrics' merge is exact for disjoint
// (shop, buyer) shards (and so for whole shops), in any order, so result() is
// the state one shop_metrics would have after the same add()s and
// finish(now): the same serialize() bytes and the same report, for any N.
// make_report() reports groups of shops on the workers too.
//
// Precondition for exactness: every event is at most options.max_lateness
// behind the newest event added before it (event_csv_reader guarantees it
// for each input it reads with the same max_lateness: it skips older rows as
// too_late). One shop_metrics rejects late events against an hourly
// watermark while the shards each see a part of the stream, so an event
// later than that could be rejected on one side and not on the other.
// beyond_lateness() counts the events that broke the precondition (0 for a
// stream read by event_csv_reader).
// Second precondition (shop_buyer only): an order-keyed event without a buyer
// column comes after its order event. The orders family holds a payment that
// precedes its order until the order arrives; the router cannot know that order's
// buyer yet, so the payment could land on another shard and stay unmatched
// there. unknown_order_routes() counts such events (0 for the demo week and
// the real logs; examples/mpi_report.cpp, which sees the whole input before
// routing, has no such limit).
//
// Threads and memory: no dispatcher. The caller's thread appends events to a
// shared batch (add(e) copies the text; add(batch) hands over a batch
// without a copy) and, when the batch is full, routes its events once with
// the one shard_router (one FNV-1a hash, ~15 ns per event), writing each
// event's shard beside the batch. Every worker reads every batch and adds
// the events marked with its shard to its shop_metrics. The serial part per
// event is one copy (none for add(batch)) and the routing: the caller, which
// also reads the input, is the thread with time to spare (with one router
// per worker, each worker hashed every event of every batch). A bounded
// queue (queue_batches per worker) blocks the caller when a worker falls
// behind instead of growing memory. The order map (shop_buyer only) costs
// one entry per distinct (shop, order id): about 40 bytes + the two ids
// (~80-100 bytes with short ids), i.e. ~1 GB per 10 M orders; it is the
// only state that grows with the stream outside the shards.
//
// Thread-safety: the sharded_metrics object itself has one writer (the
// thread that calls add / snapshot / finish / result).
#ifndef CSMETRICS_SHARDED_HPP_
#define CSMETRICS_SHARDED_HPP_

#include <algorithm>           // std::min, std::max, std::sort
#include <atomic>              // std::atomic (task lists)
#include <condition_variable>  // std::condition_variable (queues)
#include <cstddef>             // std::size_t
#include <cstdint>             // std::uint64_t, std::int64_t, std::uint32_t
#include <deque>               // std::deque (queues)
#include <exception>           // std::exception_ptr
#include <functional>          // std::function (tasks)
#include <map>               // std::map (refused_by_reason)
#include <memory>              // std::unique_ptr, std::shared_ptr
#include <mutex>               // std::mutex, std::unique_lock
#include <optional>            // std::optional
#include <stdexcept>           // std::invalid_argument, std::logic_error
#include <string>              // std::string (messages)
#include <thread>              // std::thread
#include <utility>             // std::move
#include <vector>              // std::vector

#include "csmetrics/core/error.hpp"
#include "csmetrics/io/event.hpp"
#include "csmetrics/io/event_batch.hpp"
#include "csmetrics/sharded/batch_pool.hpp"
#include "csmetrics/sharded/shard_router.hpp"
#include "csmetrics/shop_metrics.hpp"
#include "csmetrics/core/time.hpp"

namespace csmetrics {

/// How sharded_metrics splits the work.
struct sharded_options {
  std::size_t threads = 2;         ///< shards = worker threads, in [1, 256]
  /// Events per batch handed to the workers, in [1, 2^20]. Large batches mean
  /// few hand-overs: with the reading thread beside two workers on two cores,
  /// 1024 made the whole run ~15 % slower (BENCHMARKS.md). ~3 MB per batch.
  std::size_t batch_events = 16384;
  std::size_t queue_batches = 4;   ///< batches waiting per worker before add() blocks, in [1, 1024]
  shard_key key = shard_key::automatic;  ///< what decides an event's shard

  /// Throws std::invalid_argument naming the limits.
  void validate() const {
    if (threads < 1 || threads > 256)
      CSMETRICS_THROW(std::invalid_argument("sharded_metrics: threads must be in [1, 256]: " + std::to_string(threads)));
    if (batch_events < 1 || batch_events > (std::size_t{1} << 20))
      CSMETRICS_THROW(std::invalid_argument("sharded_metrics: batch_events must be in [1, 1048576]: " +
                                            std::to_string(batch_events)));
    if (queue_batches < 1 || queue_batches > 1024)
      CSMETRICS_THROW(std::invalid_argument("sharded_metrics: queue_batches must be in [1, 1024]: " +
                                            std::to_string(queue_batches)));
    if (key != shard_key::shop_buyer && key != shard_key::shop && key != shard_key::automatic)
      CSMETRICS_THROW(std::invalid_argument("sharded_metrics: unknown shard_key " +
                                            std::to_string(static_cast<int>(key))));
  }
};

/**
 * shop_metrics on N worker threads, sharded by (shop, buyer) or by shop
 * (sharded_options::key); the result is byte-identical to one shop_metrics fed the same stream (see the file
 * comment for the routing and the preconditions).
 *
 *     csmetrics::sharded_options so;  so.threads = 4;
 *     csmetrics::sharded_metrics m(so, csmetrics::shop_metrics_options{});
 *     csmetrics::event_csv_reader in(file);
 *     csmetrics::event e;
 *     while (in.next(e)) m.add(e);                 // copies e's text
 *     m.finish(*in.newest_time());                 // every shard at the same "now"
 *     csmetrics::shop_metrics all = m.result();    // the shards merged
 *     std::cout << csmetrics::to_json(all.make_report());
 *
 * Events already in memory go in without a copy:
 *     auto batch = std::make_shared<csmetrics::event_batch>();  ... batch->push(e) ...
 *     m.add(std::move(batch));                      // shared by the workers
 *
 * Cost on the calling thread: one copy of each event's text for add(e),
 * a read of each event's time for add(batch), and routing each event (one
 * hash); each worker accumulates its shard's events. result() merges the shards on the
 * workers: linear in their state. Errors thrown by a shard
 * (overflow) are rethrown by the next snapshot(), finish() or result().
 */
class sharded_metrics {
 public:
  explicit sharded_metrics(sharded_options options = {}, shop_metrics_options metrics = {})
      : options_(validated(options)), metrics_options_(metrics), prototype_(metrics) {
    pool_->keep = options_.queue_batches + 2;
    workers_.reserve(options_.threads);
    for (std::size_t i = 0; i < options_.threads; ++i)
      workers_.push_back(std::make_unique<worker>(prototype_, i));
    try {
      for (auto& w : workers_) w->thread = std::thread([this, p = w.get()] { run(*p); });
    } catch (...) {
      stop_all();
      throw;
    }
  }
  sharded_metrics(const sharded_metrics&) = delete;
  sharded_metrics& operator=(const sharded_metrics&) = delete;
  ~sharded_metrics() { stop_all(); }

  /// Hands `e` (its text copied) to the workers. Blocks while a worker's queue is full.
  /// REQUIRES: finish() not called yet (std::logic_error otherwise).
  void add(const event& e) {
    if (finished_) CSMETRICS_THROW(std::logic_error("sharded_metrics::add after finish"));
    note_time(e);
    if (!pending_) pending_ = recycled_batch();
    pending_->push(e);
    if (pending_->size() >= options_.batch_events) publish(std::move(pending_));
  }

  /// Hands a whole batch to the workers without copying it (they share it and
  /// release it when done); its events follow those added before. A null or
  /// empty batch is ignored. REQUIRES: finish() not called yet.
  void add(std::shared_ptr<const event_batch> batch) {
    if (finished_) CSMETRICS_THROW(std::logic_error("sharded_metrics::add after finish"));
    if (!batch || batch->size() == 0) return;
    flush();
    for (const event& e : batch->events()) note_time(e);
    publish(std::move(batch));
  }

  /// The merged state so far, without disturbing the shards: waits until the
  /// workers have taken every event added, then merges copies of the shards
  /// (finished at `now` when given: then it equals one shop_metrics fed the
  /// stream so far and finished at `now`). Cost: a copy of all the state.
  shop_metrics snapshot(std::optional<timestamp> now = std::nullopt) {
    if (taken_) CSMETRICS_THROW(std::logic_error("sharded_metrics::snapshot after result()"));
    if (merged_) return workers_[0]->metrics;  // finished and merged by make_report()
    if (!finished_) sync(kind::sync, {});
    shop_metrics out(metrics_options_);
    for (auto& w : workers_) {
      shop_metrics copy = w->metrics;
      if (now && !finished_) copy.finish(*now);
      out.merge(std::move(copy));
    }
    return out;
  }

  /// Settles every shard at the same `now` (on the workers, in parallel) and
  /// stops taking events. Call once, after the last add().
  void finish(timestamp now) {
    if (finished_) CSMETRICS_THROW(std::logic_error("sharded_metrics::finish called twice"));
    sync(kind::finish, now);
    finished_ = true;
  }

  /// After finish(now): the shards merged, moved out (call it once): the
  /// state one shop_metrics would have after the same add()s and finish(now).
  /// The merge runs on the workers (see merge_shards). Before finish():
  /// snapshot(), the merged unfinished state.
  shop_metrics result() {
    if (!finished_) return snapshot();
    if (taken_) CSMETRICS_THROW(std::logic_error("sharded_metrics::result called twice after finish"));
    merge_shards();
    release_merged();
    taken_ = true;
    return std::move(workers_[0]->metrics);
  }

  /// After finish(now): result().make_report(request), on the workers, and
  /// the state is kept (result() can follow). With shard_key::shop the shards
  /// are not merged: a shop's state is whole on its shard, and the stream's
  /// time span, which the figures use, is handed to each. With
  /// shard_key::shop_buyer the shards are merged first (merge_shards). Either
  /// way the workers then report groups of shops in parallel. Errors (an
  /// as_of day older than the days kept: std::out_of_range) leave the state as it was.
  report make_report(const report_request& request = {}) {
    report out;
    bool any = false;
    for_each_shop_report(request, [&](const std::string& shop, shop_report&& figures) {
      out.shops.emplace_hint(out.shops.end(), shop, std::move(figures));
    }, &any);
    if (any && request.scorecard) out.scorecard_rules = request.scorecard->rules;
    return out;
  }
  /// make_report's shops one at a time, in name order (as
  /// shop_metrics::for_each_shop_report), reported on the workers a window
  /// of shops at a time: memory holds one window's figures, not the report.
  void for_each_shop_report(const report_request& request, const shop_metrics::shop_report_sink& sink) {
    for_each_shop_report(request, sink, nullptr);
  }

  /// An event a shard refused: its position in the stream (0: the first
  /// event added), its line (event::line) and the reason (a static name).
  struct refusal {
    std::uint64_t position = 0, line = 0;
    std::string_view reason;
  };
  static constexpr std::size_t refusals_kept = 100;
  /// After finish(): the first refusals_kept events the shards refused (or
  /// were rejected by shop_metrics::add), in stream order, so a caller can
  /// name them by line as it does on one thread.
  std::vector<refusal> first_refusals() const {
    if (!finished_) CSMETRICS_THROW(std::logic_error("sharded_metrics::first_refusals before finish"));
    std::vector<refusal> out;
    for (const auto& w : workers_) out.insert(out.end(), w->refusals.begin(), w->refusals.end());
    std::sort(out.begin(), out.end(), [](const refusal& a, const refusal& b) { return a.position < b.position; });
    if (out.size() > refusals_kept) out.resize(refusals_kept);
    return out;
  }
  /// Events added so far (the position the next one will have).
  std::uint64_t added() const { return published_ + (pending_ ? pending_->size() : 0); }

  /// After finish(): shop_metrics::refused_by_reason() of the whole stream.
  std::map<std::string, std::uint64_t> refused_by_reason() const {
    if (!finished_ || taken_) CSMETRICS_THROW(std::logic_error("sharded_metrics::refused_by_reason: after finish, before result"));
    std::map<std::string, std::uint64_t> out;
    for (const auto& w : workers_) {
      for (const auto& [why, n] : w->metrics.refused_by_reason()) out[why] += n;
      if (merged_) break;  // shard 0 holds them all
    }
    return out;
  }
  std::size_t shards() const { return workers_.size(); }
  /// The key in use: options().key, or for shard_key::automatic the one
  /// chosen from the first batch handed to the workers (automatic until then).
  shard_key key() const { return key_; }
  /// The newest event time added; empty before any (shop_report's "now").
  std::optional<timestamp> newest_time() const {
    if (!have_time_) return std::nullopt;
    return timestamp{duration{newest_us_}};
  }
  /// Events handed to add().
  std::uint64_t dispatched() const { return dispatched_; }
  /// Events more than max_lateness behind the newest before them (exactness precondition broken).
  std::uint64_t beyond_lateness() const { return beyond_lateness_; }
  /// shard_router::unknown_order_routes() of the events published to the workers so far.
  std::uint64_t unknown_order_routes() const { return router_.unknown_order_routes(); }
  /// shard_router::orders_remembered() of the events published to the workers so far.
  std::size_t orders_remembered() const { return router_.orders_remembered(); }
  const sharded_options& options() const { return options_; }
  const shop_metrics_options& metrics_options() const { return metrics_options_; }

 private:
  enum class kind : std::uint8_t { batch, sync, finish, tasks, release, stop };
  struct message {
    std::shared_ptr<const event_batch> batch;
    kind what = kind::batch;
    timestamp now{};
    std::shared_ptr<const std::vector<std::uint8_t>> shards{};  // batch: each event's shard
    std::uint64_t first = 0;                                 // batch: the number of events published before it
  };
  struct worker {
    worker(const shop_metrics& prototype, std::size_t index) : metrics(prototype), id(index) {}
    shop_metrics metrics;
    std::size_t id;
    std::thread thread;
    std::mutex mutex;
    std::condition_variable changed;      // queue gained or lost a message, or a sync completed
    std::deque<message> queue;
    std::uint64_t syncs_done = 0;
    std::exception_ptr error;             // the first exception of this shard
    std::vector<refusal> refusals;        // the first refusals_kept events this shard refused
  };

  /// Work the workers share: each takes the next task until none is left.
  struct task_list {
    std::vector<std::function<void()>> tasks;
    std::atomic<std::size_t> next{0};
    std::vector<std::exception_ptr> errors;  // per task
  };

  static const sharded_options& validated(const sharded_options& o) {
    o.validate();
    return o;
  }

  void note_time(const event& e) {
    const std::int64_t t = e.time.time_since_epoch().count();
    if (have_time_ && t < newest_us_ - metrics_options_.max_lateness.count()) ++beyond_lateness_;
    if (!have_time_ || t > newest_us_) newest_us_ = t;
    have_time_ = true;
    ++dispatched_;
  }

  std::shared_ptr<event_batch> recycled_batch() { return detail::recycled_batch(pool_, options_.batch_events); }

  void publish(std::shared_ptr<const event_batch> batch) {
    if (key_ == shard_key::automatic) key_ = choose_shard_key(*batch, workers_.size(), options_.batch_events);
    if (router_.key() != key_) router_ = shard_router(workers_.size(), key_);  // the first batch
    auto shards = std::make_shared<std::vector<std::uint8_t>>(batch->size());
    const std::vector<event>& events = batch->events();
    for (std::size_t i = 0; i < events.size(); ++i) (*shards)[i] = static_cast<std::uint8_t>(router_.route(events[i]));
    const std::uint64_t first = published_;
    published_ += batch->size();
    for (std::size_t s = 0; s < workers_.size(); ++s) send(s, message{batch, kind::batch, {}, shards, first});
  }
  void flush() {
    if (pending_ && pending_->size() > 0) publish(std::move(pending_));
    pending_.reset();
  }

  void send(std::size_t s, message m) {
    worker& w = *workers_[s];
    std::unique_lock<std::mutex> lock(w.mutex);
    w.changed.wait(lock, [&] { return w.queue.size() < options_.queue_batches || m.what != kind::batch; });
    w.queue.push_back(std::move(m));
    lock.unlock();
    w.changed.notify_all();
  }

  /// Flushes the partial batch, sends `what` to every worker and waits until
  /// each has handled it; rethrows the first shard error.
  void sync(kind what, timestamp now) {
    flush();
    std::vector<std::uint64_t> target(workers_.size());
    for (std::size_t s = 0; s < workers_.size(); ++s) {
      {
        std::lock_guard<std::mutex> lock(workers_[s]->mutex);
        target[s] = workers_[s]->syncs_done + 1;
      }
      send(s, message{nullptr, what, now});
    }
    for (std::size_t s = 0; s < workers_.size(); ++s) {
      worker& w = *workers_[s];
      std::unique_lock<std::mutex> lock(w.mutex);
      w.changed.wait(lock, [&] { return w.syncs_done >= target[s]; });
    }
    for (auto& w : workers_)
      if (w->error) std::rethrow_exception(w->error);
  }

  void run(worker& w) {
    for (;;) {
      message m;
      {
        std::unique_lock<std::mutex> lock(w.mutex);
        w.changed.wait(lock, [&] { return !w.queue.empty(); });
        m = std::move(w.queue.front());
        w.queue.pop_front();
      }
      w.changed.notify_all();  // room in the queue
      if (m.what == kind::stop) {
        try {
          w.metrics.reset();  // this shard's memory is freed here, beside the other workers'
        } catch (...) {       // no memory for an empty state: the rest goes with the object
        }
        return;
      }
      if (m.what == kind::batch) {
        if (!w.error) {
          try {
            const std::vector<event>& events = m.batch->events();
            const std::uint8_t* shard = m.shards->data();
            for (std::size_t i = 0; i < events.size(); ++i) {
              const event& e = events[i];
              if (shard[i] == w.id && !w.metrics.add(e) && w.refusals.size() < refusals_kept)
                w.refusals.push_back(refusal{m.first + i, e.line, w.metrics.last_refusal()});
            }
          } catch (...) {
            w.error = std::current_exception();  // read by the caller after the next sync
          }
        }
        continue;  // m.batch released here; the last worker frees it
      }
      if (m.what == kind::finish && !w.error) {
        try {
          w.metrics.finish(m.now);
        } catch (...) {
          w.error = std::current_exception();
        }
      } else if (m.what == kind::tasks) {
        task_list& list = *tasks_;
        for (std::size_t i; (i = list.next.fetch_add(1)) < list.tasks.size();) {
          try {
            list.tasks[i]();
          } catch (...) {
            list.errors[i] = std::current_exception();
          }
        }
      } else if (m.what == kind::release) {
        try {
          w.metrics.reset();  // merged into shard 0: free what is left
        } catch (...) {       // no memory for an empty state: the rest goes with the object
        }
        continue;
      }
      {
        std::lock_guard<std::mutex> lock(w.mutex);
        ++w.syncs_done;
      }
      w.changed.notify_all();
    }
  }

  // for_each_shop_report; *any (when given): some shard has events.
  void for_each_shop_report(const report_request& request, const shop_metrics::shop_report_sink& sink, bool* any) {
    if (!finished_) CSMETRICS_THROW(std::logic_error("sharded_metrics: a report before finish"));
    if (taken_) CSMETRICS_THROW(std::logic_error("sharded_metrics: a report after result()"));
    if (key_ != shard_key::shop) merge_shards();
    std::vector<const shop_metrics*> parts;  // states holding whole shops
    for (auto& w : workers_) {
      parts.push_back(&w->metrics);
      if (merged_) break;
    }
    // The merged state's time span (what shop_metrics::merge keeps).
    bool have_time = false;
    std::int64_t oldest_us = 0, newest_us = 0;
    for (const shop_metrics* m : parts) {
      if (!m->have_time_) continue;
      oldest_us = have_time ? std::min(oldest_us, m->oldest_us_) : m->oldest_us_;
      newest_us = have_time ? std::max(newest_us, m->newest_us_) : m->newest_us_;
      have_time = true;
    }
    if (any) *any = have_time;
    if (!have_time) return;
    const day_number as_of = parts[0]->report_day(request, newest_us);

    // Every shop with the state holding it, in name order; reported a window
    // at a time in groups of a few shops, so that the workers stay busy to
    // the end of each window.
    std::vector<std::pair<std::string, const shop_metrics*>> shops;
    for (const shop_metrics* m : parts)
      for (std::string& sh : m->shops()) shops.emplace_back(std::move(sh), m);
    std::sort(shops.begin(), shops.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    constexpr std::size_t window = 4096;
    const std::size_t per_group = std::max<std::size_t>(1, std::min(window, shops.size()) / (8 * workers_.size()));
    std::vector<shop_report> figures;
    for (std::size_t first = 0; first < shops.size(); first += window) {
      const std::size_t last = std::min(first + window, shops.size());
      figures.assign(last - first, shop_report{});
      std::vector<std::function<void()>> tasks;
      for (std::size_t g = first; g < last; g += per_group)
        tasks.push_back([&, g] {
          for (std::size_t i = g; i < std::min(g + per_group, last); ++i)
            figures[i - first] = shops[i].second->shop_figures(shops[i].first, as_of, request, oldest_us, newest_us);
        });
      run_tasks(std::move(tasks));
      for (std::size_t i = first; i < last; ++i) sink(shops[i].first, std::move(figures[i - first]));
    }
    release_merged();
  }

  /// Runs `tasks` on the workers (each takes the next one left) and waits for
  /// all; rethrows the first task's error.
  void run_tasks(std::vector<std::function<void()>> tasks) {
    task_list list;
    list.tasks = std::move(tasks);
    list.errors.resize(list.tasks.size());
    tasks_ = &list;
    sync(kind::tasks, {});  // every worker has left the list when it returns
    tasks_ = nullptr;
    for (const std::exception_ptr& e : list.errors)
      if (e) std::rethrow_exception(e);
  }

  /// After finish(): merges every shard into shard 0, on the workers. A tree:
  /// 0 <- 1, 2 <- 3, ...; then 0 <- 2, ...; each pair's four families are
  /// separate tasks (they touch disjoint members), so even two shards merge
  /// on two threads. shop_metrics' merge is exact for disjoint (shop, buyer)
  /// shards in any order: the same bytes as one thread. The emptied shards
  /// are then freed by their own workers while the caller goes on.
  /// A merge that threw (a 64-bit counter overflow) leaves shard 0 partly
  /// merged: every later call rethrows its error.
  void merge_shards() {
    if (merge_error_) std::rethrow_exception(merge_error_);
    if (merged_) return;
    const std::size_t n = workers_.size();
    try {
      for (std::size_t step = 1; step < n; step *= 2) {
        // Each pair's ids into one pool first (each shard interned its own).
        std::vector<std::function<void()>> rebase;
        for (std::size_t i = 0; i + step < n; i += 2 * step)
          rebase.push_back([this, i, step] { workers_[i]->metrics.share_texts(workers_[i + step]->metrics); });
        run_tasks(std::move(rebase));
        std::vector<std::function<void()>> tasks;
        for (std::size_t i = 0; i + step < n; i += 2 * step)
          for (std::size_t f = 0; f < shop_metrics::family_count; ++f)
            tasks.push_back([this, i, step, f] { workers_[i]->metrics.merge_family(f, workers_[i + step]->metrics); });
        run_tasks(std::move(tasks));
        for (std::size_t i = 0; i + step < n; i += 2 * step)
          workers_[i]->metrics.merge_totals(workers_[i + step]->metrics);
      }
    } catch (...) {
      merge_error_ = std::current_exception();
      throw;
    }
    merged_ = true;
  }

  /// After merge_shards(): the emptied shards are freed by their own workers
  /// while the caller goes on (sent after the report's tasks, which would
  /// otherwise wait behind the frees on those workers).
  void release_merged() {
    if (!merged_ || released_) return;
    released_ = true;
    for (std::size_t s = 1; s < workers_.size(); ++s) send(s, message{nullptr, kind::release, {}});
  }

  void stop_all() noexcept {
    for (auto& w : workers_) {
      if (!w->thread.joinable()) continue;
      {
        std::lock_guard<std::mutex> lock(w->mutex);
        w->queue.push_back(message{nullptr, kind::stop, {}});
      }
      w->changed.notify_all();
    }
    for (auto& w : workers_)
      if (w->thread.joinable()) w->thread.join();
  }

  sharded_options options_;
  shard_key key_ = options_.key;  // decided at the first publish() when automatic
  shard_router router_{options_.threads};  // each event's shard, on the caller's thread (key set at the first publish)
  shop_metrics_options metrics_options_;
  shop_metrics prototype_;  // validates the options once, copied into every shard
  std::vector<std::unique_ptr<worker>> workers_;
  std::shared_ptr<detail::batch_pool> pool_ = std::make_shared<detail::batch_pool>();  // shared with the batches' deleters
  std::shared_ptr<event_batch> pending_;  // the batch add(e) fills
  std::uint64_t published_ = 0;           // events in the batches sent to the workers
  task_list* tasks_ = nullptr;  // run_tasks' list, read by the workers
  std::exception_ptr merge_error_;  // merge_shards' failure, rethrown by every later call
  std::uint64_t dispatched_ = 0, beyond_lateness_ = 0;
  std::int64_t newest_us_ = 0;
  bool have_time_ = false, finished_ = false, merged_ = false, released_ = false, taken_ = false;
};

}  // namespace csmetrics

#endif  // CSMETRICS_SHARDED_HPP_
