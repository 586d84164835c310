// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/sharded/batch_pool.hpp
//
// The event batches sharded_metrics::add(e) fills come back here when the
// last worker drops them: their memory is reused instead of freed and
// faulted in again. The pool is shared with the batches' deleters, so a
// batch may outlive the sharded_metrics that made it.
#ifndef CSMETRICS_SHARDED_BATCH_POOL_HPP_
#define CSMETRICS_SHARDED_BATCH_POOL_HPP_

#include <cstddef>  // std::size_t
#include <memory>   // std::shared_ptr, std::unique_ptr
#include <mutex>    // std::mutex, std::lock_guard
#include <utility>  // std::move
#include <vector>   // std::vector

#include "csmetrics/io/event_batch.hpp"

namespace csmetrics {
namespace detail {

struct batch_pool {
  std::mutex mutex;
  std::vector<std::unique_ptr<event_batch>> free;
  std::size_t keep = 0;  // batches kept for reuse at most
};

/// An empty batch from `pool` (or a new one reserving `events`), returned to
/// the pool, cleared, when its last owner drops it.
inline std::shared_ptr<event_batch> recycled_batch(const std::shared_ptr<batch_pool>& pool, std::size_t events) {
  std::unique_ptr<event_batch> b;
  {
    std::lock_guard<std::mutex> lock(pool->mutex);
    if (!pool->free.empty()) {
      b = std::move(pool->free.back());
      pool->free.pop_back();
    }
  }
  if (!b) {
    b = std::make_unique<event_batch>();
    b->reserve(events);
  }
  return std::shared_ptr<event_batch>(b.release(), [pool](event_batch* p) noexcept {
    std::unique_ptr<event_batch> back(p);
    back->clear();
    std::lock_guard<std::mutex> lock(pool->mutex);
    if (pool->free.size() < pool->keep) {
      try {
        pool->free.push_back(std::move(back));
      } catch (...) {  // no room to remember it: free it
      }
    }
  });
}

}  // namespace detail
}  // namespace csmetrics

#endif  // CSMETRICS_SHARDED_BATCH_POOL_HPP_
