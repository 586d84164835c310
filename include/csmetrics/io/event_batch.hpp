// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/io/event_batch.hpp
//
// Events that own their text. csmetrics::event holds views (into a reader's
// buffer, a generator's scratch space); a batch copies the text into blocks
// that never move, so its events stay valid until clear(). Used to hand
// events to worker threads (sharded.hpp) and to keep generated streams in
// memory for benchmarks.
#ifndef CSMETRICS_IO_EVENT_BATCH_HPP_
#define CSMETRICS_IO_EVENT_BATCH_HPP_

#include <algorithm>    // std::copy
#include <cstddef>      // std::size_t
#include <memory>       // std::unique_ptr (text blocks)
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "csmetrics/io/event.hpp"

namespace csmetrics {

/**
 * A growing list of events with their text copied in. Text goes into 64 KiB
 * blocks filled in order; a field longer than a quarter block gets a block
 * of its own, so no field size is too large. Single writer.
 *
 *     csmetrics::event_batch b;
 *     while (in.next(e)) b.push(e);      // e's views die with the next next()
 *     for (const csmetrics::event& x : b.events()) metrics.add(x);
 */
class event_batch {
 public:
  /// Copies `e`, its text included.
  void push(const event& e) {
    event c = e;
    c.shop = keep(e.shop);
    c.buyer = keep(e.buyer);
    c.agent = keep(e.agent);
    c.order = keep(e.order);
    c.tag = keep(e.tag);
    events_.push_back(c);
  }
  const std::vector<event>& events() const { return events_; }
  std::size_t size() const { return events_.size(); }
  void reserve(std::size_t n) { events_.reserve(n); }
  /// Bytes held: the event array and the text blocks.
  std::size_t memory_bytes() const {
    std::size_t big = 0;
    for (std::size_t n : big_sizes_) big += n;
    return events_.capacity() * sizeof(event) + blocks_.size() * block_size + big;
  }
  /// Empties the batch; keeps one block and the event array's capacity for reuse.
  void clear() {
    events_.clear();
    if (blocks_.size() > 1) blocks_.resize(1);
    big_.clear();
    big_sizes_.clear();
    used_ = 0;
  }

 private:
  static constexpr std::size_t block_size = std::size_t{1} << 16;
  std::string_view keep(std::string_view s) {
    if (s.empty()) return {};
    char* p;
    if (s.size() > block_size / 4) {
      big_.push_back(std::make_unique<char[]>(s.size()));
      big_sizes_.push_back(s.size());
      p = big_.back().get();
    } else {
      if (blocks_.empty() || used_ + s.size() > block_size) {
        blocks_.push_back(std::make_unique<char[]>(block_size));
        used_ = 0;
      }
      p = blocks_.back().get() + used_;
      used_ += s.size();
    }
    std::copy(s.begin(), s.end(), p);
    return std::string_view(p, s.size());
  }
  std::vector<event> events_;
  std::vector<std::unique_ptr<char[]>> blocks_;  // filled in order; the last one has room
  std::vector<std::unique_ptr<char[]>> big_;     // one per long field
  std::vector<std::size_t> big_sizes_;
  std::size_t used_ = 0;                         // bytes used in blocks_.back()
};

}  // namespace csmetrics

#endif  // CSMETRICS_IO_EVENT_BATCH_HPP_
