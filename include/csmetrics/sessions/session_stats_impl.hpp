// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/sessions/session_stats_impl.hpp
//
// Definitions of csmetrics/sessions/session_stats.hpp (included at its
// bottom): the options' checks, response_stats and session_stats.
#ifndef CSMETRICS_SESSIONS_SESSION_STATS_IMPL_HPP_
#define CSMETRICS_SESSIONS_SESSION_STATS_IMPL_HPP_

#include <algorithm>    // std::sort, std::min, std::max
#include <cmath>        // std::isfinite
#include <cstdio>       // std::snprintf (option values)
#include <string>       // std::to_string
#include <vector>       // std::vector

namespace csmetrics {
namespace detail {
/// Thresholds in seconds: [0.001, 86400] (NaN fails).
inline bool valid_threshold(double s) { return s >= 0.001 && s <= 86400.0; }
}  // namespace detail

inline void session_options::validate() const {
  if (session_gap <= duration::zero() || session_gap > std::chrono::hours{24 * 30})
    CSMETRICS_THROW(std::invalid_argument("session_gap must be in (0, 30 days]: " +
                                          std::to_string(session_gap.count()) + " us"));
  if (max_wait <= duration::zero() || max_wait > std::chrono::hours{24 * 30})
    CSMETRICS_THROW(std::invalid_argument("max_wait must be in (0, 30 days]: " + std::to_string(max_wait.count()) +
                                          " us"));
  if (!detail::valid_threshold(within_seconds))
    CSMETRICS_THROW(std::invalid_argument("within_seconds must be in [0.001, 86400]: " + std::to_string(within_seconds)));
  if (!detail::valid_threshold(slow_seconds))
    CSMETRICS_THROW(std::invalid_argument("slow_seconds must be in [0.001, 86400]: " + std::to_string(slow_seconds)));
  if (!(relative_accuracy >= quantile_sketch::min_relative_accuracy &&
        relative_accuracy <= quantile_sketch::max_relative_accuracy))
    CSMETRICS_THROW(std::invalid_argument("relative_accuracy must be in [0.001, 0.1]: " +
                                          std::to_string(relative_accuracy)));
}

inline std::string session_options::difference(const session_options& a, const session_options& b) {
  auto us = [](duration d) { return std::to_string(d.count()) + " us"; };
  auto num = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return std::string(buf);
  };
  auto yes = [](bool v) { return std::string(v ? "true" : "false"); };
  auto both = [](const char* name, const std::string& x, const std::string& y) {
    return std::string(name) + ": " + x + " vs " + y;
  };
  if (a.session_gap != b.session_gap) return both("session_gap", us(a.session_gap), us(b.session_gap));
  if (a.max_wait != b.max_wait) return both("max_wait", us(a.max_wait), us(b.max_wait));
  if (a.clock_from_last != b.clock_from_last)
    return both("clock_from_last", yes(a.clock_from_last), yes(b.clock_from_last));
  if (a.split_at_midnight != b.split_at_midnight)
    return both("split_at_midnight", yes(a.split_at_midnight), yes(b.split_at_midnight));
  if (a.offset != b.offset)
    return both("utc_offset", std::to_string(a.offset.minutes().count()) + " min",
                std::to_string(b.offset.minutes().count()) + " min");
  if (a.within_seconds != b.within_seconds) return both("within_seconds", num(a.within_seconds), num(b.within_seconds));
  if (a.slow_seconds != b.slow_seconds) return both("slow_seconds", num(a.slow_seconds), num(b.slow_seconds));
  if (a.relative_accuracy != b.relative_accuracy)
    return both("relative_accuracy", num(a.relative_accuracy), num(b.relative_accuracy));
  if (a.track_buyers != b.track_buyers) return both("track_buyers", yes(a.track_buyers), yes(b.track_buyers));
  if (!same_calendar(a.calendar, b.calendar))
    return both("service calendar", a.calendar ? a.calendar->describe() : "none",
                b.calendar ? b.calendar->describe() : "none");
  return std::string();
}

// ---- response_stats ---------------------------------------------------------

inline response_stats::response_stats(double within_seconds, double slow_seconds, double relative_accuracy)
    : within_s_(within_seconds),
      slow_s_(slow_seconds),
      within_us_(0),
      slow_us_(0),
      sketch_(relative_accuracy, std::vector<double>{}) {  // within_ and slow_ are the exact counts
  if (!detail::valid_threshold(within_seconds) || !detail::valid_threshold(slow_seconds))
    CSMETRICS_THROW(std::invalid_argument("response_stats thresholds must be in [0.001, 86400] seconds: " +
                                          std::to_string(within_seconds) + ", " + std::to_string(slow_seconds)));
  within_us_ = to_us(within_seconds);
  slow_us_ = to_us(slow_seconds);
}

inline void response_stats::add(duration d) {
  const std::int64_t x = d.count();
  CSMETRICS_ASSERT(x >= 0, "response_stats::add: negative sample");
  if (x < 0) return;
  sum_us_ = detail::checked_add(sum_us_, static_cast<std::uint64_t>(x));
  sketch_.add(static_cast<double>(x) / 1e6);
  if (count_ == 0 || x < min_us_) min_us_ = x;
  if (count_ == 0 || x > max_us_) max_us_ = x;
  ++count_;
  if (x <= within_us_) ++within_;
  if (x > slow_us_) ++slow_;
}

inline std::optional<double> response_stats::mean() const {
  if (count_ == 0) return std::nullopt;
  return static_cast<double>(sum_us_) / 1e6 / static_cast<double>(count_);
}
inline std::optional<double> response_stats::min() const {
  if (count_ == 0) return std::nullopt;
  return static_cast<double>(min_us_) / 1e6;
}
inline std::optional<double> response_stats::max() const {
  if (count_ == 0) return std::nullopt;
  return static_cast<double>(max_us_) / 1e6;
}

inline void response_stats::merge(const response_stats& o) {
  if (within_s_ != o.within_s_ || slow_s_ != o.slow_s_)
    CSMETRICS_THROW(std::invalid_argument("response_stats::merge: different thresholds"));
  if (o.count_ == 0) return;
  const std::uint64_t sum = detail::checked_add(sum_us_, o.sum_us_);
  sketch_.merge(o.sketch_);  // throws on another accuracy, before anything changes
  min_us_ = count_ == 0 ? o.min_us_ : std::min(min_us_, o.min_us_);
  max_us_ = count_ == 0 ? o.max_us_ : std::max(max_us_, o.max_us_);
  sum_us_ = sum;
  count_ += o.count_;
  within_ += o.within_;
  slow_ += o.slow_;
}

inline void response_stats::reset() { *this = response_stats(within_s_, slow_s_, sketch_.relative_accuracy()); }

inline void response_stats::serialize_to(detail::writer& w) const {
  w.header(detail::response_stats_type_id, format_version);
  w.f64(within_s_);
  w.f64(slow_s_);
  w.varint(count_);
  w.varint(sum_us_);
  if (count_ > 0) {
    w.svarint(min_us_);
    w.svarint(max_us_);
  }
  w.varint(within_);
  w.varint(slow_);
  // The sketch's bytes as when it counted at both thresholds itself
  // (format 1: ascending, once each).
  const bool within_first = within_s_ <= slow_s_;
  const double thresholds[] = {std::min(within_s_, slow_s_), std::max(within_s_, slow_s_)};
  const std::uint64_t at_most[] = {within_first ? within_ : count_ - slow_, within_first ? count_ - slow_ : within_};
  sketch_.serialize_with(w, thresholds, at_most, within_s_ == slow_s_ ? 1 : 2);
}

inline response_stats response_stats::deserialize_from(detail::reader& r) {
  r.header(detail::response_stats_type_id, "response_stats", format_version);
  const double within = r.f64();
  const double slow = r.f64();
  r.check(detail::valid_threshold(within) && detail::valid_threshold(slow), "thresholds in [0.001, 86400]");
  const std::uint64_t count = r.varint();
  const std::uint64_t sum = r.varint();
  std::int64_t mn = 0, mx = 0;
  if (count > 0) {
    mn = r.svarint();
    mx = r.svarint();
  }
  const std::uint64_t in = r.varint();
  const std::uint64_t sl = r.varint();
  quantile_sketch sk = quantile_sketch::deserialize_from(r);
  r.check(count == 0 || (0 <= mn && mn <= mx), "0 <= min <= max");
  r.check(in <= count && sl <= count, "within, slow <= count");
  r.check(sk.count() == count && sk.rejected() == 0, "sketch count == count");
  if (count > 0) {
    // sum within [min * count, max * count], computed without overflow
    const long double c = static_cast<long double>(count);
    r.check(static_cast<long double>(sum) >= static_cast<long double>(mn) * c * (1 - 1e-12L) &&
                static_cast<long double>(sum) <= static_cast<long double>(mx) * c * (1 + 1e-12L),
            "min * count <= sum <= max * count");
  } else {
    r.check(sum == 0 && in == 0 && sl == 0, "empty stats are zero");
  }
  response_stats out(within, slow, sk.relative_accuracy());
  r.check(sk.thresholds() == (within == slow ? std::vector<double>{within}
                                             : std::vector<double>{std::min(within, slow), std::max(within, slow)}),
          "sketch thresholds == within/slow");
  r.check(sk.count_at_most(within) == in && count - sk.count_at_most(slow) == sl,
          "within and slow counts == the sketch's exact counts");
  sk.drop_thresholds();
  if (count > 0) {
    r.check((in > 0) == (mn <= out.within_us_) && (in == count) == (mx <= out.within_us_),
            "within count consistent with min and max");
    r.check((sl > 0) == (mx > out.slow_us_) && (sl == count) == (mn > out.slow_us_),
            "slow count consistent with min and max");
  }
  out.count_ = count;
  out.sum_us_ = sum;
  out.min_us_ = mn;
  out.max_us_ = mx;
  out.within_ = in;
  out.slow_ = sl;
  out.sketch_ = std::move(sk);
  return out;
}

// ---- session_stats ----------------------------------------------------------

template <class BuyerId>
rate_counter session_stats<BuyerId>::invitation_rate() const {
  return rate_counter(invited_.overlap(served_), served_.size());
}

template <class BuyerId>
void session_stats<BuyerId>::merge(const session_stats& o) {
  // In place when no part can fail (the usual case: a report merges many
  // cells); else on copies, so that a failure changes nothing.
  if (service_.enabled() != o.service_.enabled())
    CSMETRICS_THROW(std::invalid_argument("session_stats::merge: service-time figures on one side only "
                                          "(states of different service calendars)"));
  // Service time: the same as wall time on both sides stays so; else both
  // sides' service figures (a side that has none yet lends its wall ones).
  const bool service = service_.diverged() || o.service_.diverged();
  const response_stats& o_sr = o.response_service();
  const response_stats& o_sf = o.first_response_service();
  std::optional<detail::service_response> o_copy;
  if (service && &o == this) o_copy = detail::service_response{o_sr, o_sf};  // own() may replace what o_sr names
  if (service) service_.own(response_, first_);  // the same content: no change of state yet
  const response_stats& theirs_r = o_copy ? o_copy->response : o_sr;
  const response_stats& theirs_f = o_copy ? o_copy->first : o_sf;
  // The first responses with auto replies: mirrored on both sides stay so; else
  // own figures on this side (parted before first_ changes).
  const bool auto_apart = first_auto_.parted() || o.first_auto_.parted();
  const response_stats& o_fa = o.first_response_with_auto();
  const bool in_place = &o != this && response_.merges_cleanly(o.response_) && first_.merges_cleanly(o.first_) &&
                        first_response_with_auto().merges_cleanly(o_fa) &&
                        (!service || (service_.get()->response.merges_cleanly(theirs_r) &&
                                      service_.get()->first.merges_cleanly(theirs_f)));
  std::optional<response_stats> r, f, fa, sr, sf;
  if (!in_place) {
    r = response_;
    r->merge(o.response_);
    f = first_;
    f->merge(o.first_);
    if (auto_apart) {
      fa = first_response_with_auto();
      fa->merge(o_fa);
    }
    if (service) {
      sr = service_.get()->response;
      sr->merge(theirs_r);
      sf = service_.get()->first;
      sf->merge(theirs_f);
    }
  }
  rate_counter sat = satisfaction_;
  sat.merge(o.satisfaction_);
  // The counters summed first (checked_add throws on overflow), then committed:
  // all or nothing without copying the buyer sets.
  std::uint64_t* const mine[] = {&conversations_, &buyer_msgs_, &agent_msgs_,  &auto_msgs_,
                                 &credited_,      &unanswered_, &invitations_, &agent_conversations_};
  const std::uint64_t theirs[] = {o.conversations_, o.buyer_msgs_, o.agent_msgs_,  o.auto_msgs_,
                                  o.credited_,      o.unanswered_, o.invitations_, o.agent_conversations_};
  constexpr std::size_t counters = sizeof theirs / sizeof theirs[0];
  std::uint64_t sums[counters];
  for (std::size_t i = 0; i < counters; ++i) sums[i] = detail::checked_add(*mine[i], theirs[i]);
  if (in_place) {
    if (auto_apart) {
      first_auto_.part(first_);
      first_auto_.own().merge(o_fa);
    }
    response_.merge(o.response_);
    first_.merge(o.first_);
    if (service) {
      service_.get()->response.merge(theirs_r);
      service_.get()->first.merge(theirs_f);
    }
  } else {
    response_ = std::move(*r);
    first_ = std::move(*f);
    if (auto_apart) first_auto_.set(std::move(*fa));
    if (service) {
      service_.get()->response = std::move(*sr);
      service_.get()->first = std::move(*sf);
    }
  }
  for (std::size_t i = 0; i < counters; ++i) *mine[i] = sums[i];
  satisfaction_ = sat;
  served_.merge(o.served_);
  invited_.merge(o.invited_);
}

namespace detail {
template <class Id>
void write_id_set(writer& w, const flat_set<Id>& set) {
  w.varint(set.size());
  set.for_each_sorted([&](const Id& id) { key_serde<Id>::write(w, id); });
}
template <class Id>
flat_set<Id> read_id_set(reader& r, const char* what) {
  std::size_t n = r.count(1, what);
  flat_set<Id> set;
  set.reserve(n);
  std::optional<Id> prev;
  for (std::size_t i = 0; i < n; ++i) {
    Id id = key_serde<Id>::read(r);
    r.check(!prev || *prev < id, "ids strictly increasing");
    set.insert(id);
    prev = std::move(id);
  }
  return set;
}
}  // namespace detail

template <class BuyerId>
void session_stats<BuyerId>::serialize_to(detail::writer& w) const {
  w.header(detail::session_stats_type_id, service_.enabled() ? 3 : 2);  // 3 only with a calendar
  for (std::uint64_t c : {conversations_, buyer_msgs_, agent_msgs_, auto_msgs_, credited_, unanswered_, invitations_})
    w.varint(c);
  w.varint(agent_conversations_);
  satisfaction_.serialize_to(w);
  response_.serialize_to(w);
  first_.serialize_to(w);
  first_response_with_auto().serialize_to(w);
  if (service_.enabled()) {
    w.u8(service_.diverged() ? 1 : 0);
    if (service_.diverged()) {
      service_.get()->response.serialize_to(w);
      service_.get()->first.serialize_to(w);
    }
  }
  detail::write_id_set(w, served_);
  detail::write_id_set(w, invited_);
}

template <class BuyerId>
session_stats<BuyerId> session_stats<BuyerId>::deserialize_from(detail::reader& r, std::uint8_t required) {
  const std::uint8_t version = r.header(detail::session_stats_type_id, "session_stats", format_version);
  r.check(required == 0 || version == required, "session_stats of its enclosing state's format version");
  std::uint64_t c[7];
  for (auto& x : c) x = r.varint();
  const std::uint64_t agent_conversations = version >= 2 ? r.varint() : 0;
  rate_counter sat = rate_counter::deserialize_from(r);
  response_stats resp = response_stats::deserialize_from(r);
  response_stats first = response_stats::deserialize_from(r);
  response_stats first_auto = response_stats::deserialize_from(r);
  r.check(first.within_seconds() == resp.within_seconds() && first.slow_seconds() == resp.slow_seconds() &&
              first_auto.within_seconds() == resp.within_seconds() &&
              first_auto.slow_seconds() == resp.slow_seconds() &&
              first.sketch().relative_accuracy() == resp.sketch().relative_accuracy() &&
              first_auto.sketch().relative_accuracy() == resp.sketch().relative_accuracy(),
          "the three response_stats share thresholds and accuracy");
  r.check(first.count() <= resp.count(), "first responses <= responses");
  std::optional<response_stats> service, service_first;
  std::uint8_t own = 0;
  if (version >= 3) {
    own = r.u8();
    r.check(own <= 1, "a service-time flag 0 or 1");
  }
  if (own == 1) {
    service = response_stats::deserialize_from(r);
    service_first = response_stats::deserialize_from(r);
    const response_stats* both[] = {&*service, &*service_first};
    for (const response_stats* x : both)
      r.check(x->within_seconds() == resp.within_seconds() && x->slow_seconds() == resp.slow_seconds() &&
                  x->sketch().relative_accuracy() == resp.sketch().relative_accuracy(),
              "the service-time response_stats share thresholds and accuracy");
    r.check(service->count() == resp.count() && service_first->count() == first.count(),
            "as many service-time responses as responses");
    r.check(service->total() < resp.total() && service_first->total() <= first.total(),
            "service time < wall time (else written as the same)");
  }
  session_stats out;
  if (version >= 3) out.service_ = detail::service_response_box::same();
  if (service) out.service_.set(detail::service_response{std::move(*service), std::move(*service_first)});
  out.conversations_ = c[0];
  out.agent_conversations_ = agent_conversations;
  out.buyer_msgs_ = c[1];
  out.agent_msgs_ = c[2];
  out.auto_msgs_ = c[3];
  out.credited_ = c[4];
  out.unanswered_ = c[5];
  out.invitations_ = c[6];
  out.satisfaction_ = sat;
  out.response_ = std::move(resp);
  out.first_ = std::move(first);
  if (first_auto != out.first_) out.first_auto_.set(std::move(first_auto));  // else it mirrors first_
  out.served_ = detail::read_id_set<BuyerId>(r, "buyers served");
  out.invited_ = detail::read_id_set<BuyerId>(r, "buyers invited");
  r.check(out.invited_.size() <= out.invitations_, "distinct invited <= invitations");
  return out;
}

}  // namespace csmetrics

#endif  // CSMETRICS_SESSIONS_SESSION_STATS_IMPL_HPP_
