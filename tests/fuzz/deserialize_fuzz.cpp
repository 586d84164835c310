// SPDX-License-Identifier: Apache-2.0
// File: tests/fuzz/deserialize_fuzz.cpp
//
// Fuzz target: every accumulator's deserialize(). The first input byte picks
// the type (modulo the number of types), the rest are the state bytes.
// Invariants checked for every input that deserializes:
//   - the state re-serializes to exactly the input bytes (the serialized form
//     is canonical: one state, one byte string): the whole frame for a framed
//     input, the type's bare bytes inside the frame for a bare one;
//   - those bytes deserialize again to an equal state;
//   - the queries a report makes (rates, quantiles, windows, cohorts) and a
//     merge run without any exception other than std::overflow_error (a
//     valid state near the 64-bit limits may overflow when doubled), and
//     merging into an empty accumulator of the same configuration gives the
//     state back.
// Anything else - a crash, a sanitizer report, an unexpected exception - is
// a finding.
#include <cmath>      // std::isnan
#include <cstddef>    // std::size_t
#include <cstdint>    // std::uint8_t, std::uint64_t
#include <cstdio>     // std::fprintf
#include <cstdlib>    // std::getenv
#include <memory>     // std::unique_ptr
#include <stdexcept>  // std::overflow_error
#include <string>     // std::string (keys, ids)
#include <vector>     // std::vector

#include "csmetrics/core/day_window.hpp"
#include "csmetrics/core/serde.hpp"
#include "csmetrics/core/error.hpp"
#include "csmetrics/core/keyed.hpp"
#include "csmetrics/core/moments.hpp"
#include "csmetrics/core/money.hpp"
#include "csmetrics/orders/orders.hpp"
#include "csmetrics/core/quantile_sketch.hpp"
#include "csmetrics/core/rate.hpp"
#include "csmetrics/ratings/ratings.hpp"
#include "csmetrics/sales/sales.hpp"
#include "csmetrics/sessions/sessions.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace csmetrics;

// ---- per-type exercise: what a report would ask of a decoded state -------

void exercise(const rate_counter& a) {
  FUZZ_CHECK(a.successes() <= a.trials(), "rate_counter successes <= trials");
  if (auto r = a.rate()) FUZZ_CHECK(*r >= 0.0 && *r <= 1.0, "rate in [0, 1]");
  if (auto w = a.wilson()) FUZZ_CHECK(w->lower <= w->upper, "wilson lower <= upper");
  (void)compare(a, a);
}

void exercise(const moments& a) {
  if (a.count() == 0) return;
  FUZZ_CHECK(*a.mean() >= *a.min() && *a.mean() <= *a.max(), "moments mean within [min, max]");
  if (auto v = a.variance()) FUZZ_CHECK(*v >= 0.0 && !std::isnan(*v), "moments variance >= 0");
}

void exercise(const money_sum& a) { (void)a.mean(); }

void exercise(const quantile_sketch& a) {
  double previous = -1.0;
  for (double q : {0.0, 0.01, 0.5, 0.9, 0.99, 1.0}) {
    auto v = a.quantile(q);
    FUZZ_CHECK(v.has_value() == (a.count() != 0), "quantile present iff count > 0");
    if (!v) continue;
    FUZZ_CHECK(*v >= previous, "quantiles monotone in q");
    FUZZ_CHECK(*v == 0.0 || (*v >= quantile_sketch::min_value && *v <= quantile_sketch::max_value),
               "quantile within the range");
    previous = *v;
  }
  std::uint64_t below = 0;
  for (double t : a.thresholds()) {
    const std::uint64_t c = a.count_at_most(t);
    FUZZ_CHECK(c <= a.count(), "count_at_most <= count");
    FUZZ_CHECK(c >= below, "count_at_most monotone in the threshold");
    below = c;
  }
  (void)a.rejected();
  // Merge then subtract is the identity (the sliding window depends on it).
  quantile_sketch twice = a;
  twice.merge(a);
  twice.subtract(a);
  FUZZ_CHECK(twice == a, "merge then subtract gives the sketch back");
}

template <class Acc>
void exercise(const day_window<Acc>& a) {
  (void)a.current();
  if (!a.empty()) {
    Acc w = a.as_of(a.newest_day());
    FUZZ_CHECK(w == a.current(), "as_of(newest) == current()");
  }
  a.for_each_day([](day_number, const Acc&) {});
}

template <class K, class Acc>
void exercise(const keyed<K, Acc>& a) {
  std::size_t n = 0;
  a.for_each_sorted([&n](const K&, const Acc& v) {
    exercise(v);
    ++n;
  });
  FUZZ_CHECK(n == a.size(), "for_each_sorted visits size() keys");
}

void exercise(const response_stats& a) {
  (void)a.mean();
  (void)a.min();
  (void)a.max();
  (void)a.quantile(0.9);
  FUZZ_CHECK(a.within().trials() == a.count(), "within() counts every sample");
  FUZZ_CHECK(a.slow() <= a.count(), "slow <= count");
}

template <class B>
void exercise(const session_stats<B>& a) {
  (void)a.reply_rate();
  (void)a.invitation_rate();
  (void)a.answer_ratio();
  (void)a.agent_answer_ratio();
  exercise(a.response());
  exercise(a.first_response());
  exercise(a.first_response_with_auto());
}

template <class S, class B, class A>
void exercise(const sessions<S, B, A>& a) {
  exercise(a.total());
  (void)a.pending();
  (void)a.rejected();
  (void)a.km_median({}, timestamp{std::chrono::hours{24 * 20000}});
  a.for_each_cell([](const S&, const A*, day_number, const session_stats<B>& s) { (void)s.conversations(); });
  sessions<S, B, A> flushed = a;
  flushed.flush(timestamp{std::chrono::hours{24 * 20000}});
}

template <class B, class O, class A, class S, class C>
void exercise(const basic_orders<B, O, A, S, C>& a) {
  (void)a.inquiry_total();
  (void)a.payment_total();
  for (auto rule : {attribution_rule::credit_on_order, attribution_rule::credit_on_payment,
                    attribution_rule::order_first}) {
    auto r = a.attribution(rule);
    (void)r.cs_sales_share();
  }
  (void)a.reminders();
  (void)a.loss_totals();
  (void)a.repeat_purchase();
  (void)a.rejected_total();
  basic_orders<B, O, A, S, C> advanced = a;
  advanced.advance(timestamp{std::chrono::hours{24 * 20000}});
}

template <class Sh, class P, class O, class A, class C>
void exercise(const basic_sales<Sh, P, O, A, C>& a) {
  auto q = a.query_for(sales_period::range(-1000000, 3000000));
  (void)a.snapshot(q);
  (void)a.consulted_split(q);
}

template <class B>
void exercise(const shop_ratings<B>& a) {
  (void)a.rejected();
  if (auto d = a.newest_day()) (void)a.report(*d);
}

template <class S, class B>
void exercise(const ratings<S, B>& a) {
  (void)a.rejected();
  a.for_each([](const S&, const shop_ratings<B>& s) { exercise(s); });
}

// ---- an empty accumulator with the same configuration ---------------------

template <class T>
T empty_like(const T&) {
  return T{};
}
inline quantile_sketch empty_like(const quantile_sketch& a) {
  return quantile_sketch(a.relative_accuracy(), a.thresholds());
}
template <class Acc>
day_window<Acc> empty_like(const day_window<Acc>& a) {
  return day_window<Acc>(a.window_days(), a.offset(), a.prototype(), a.history_days());
}
inline response_stats empty_like(const response_stats& a) {
  return response_stats(a.within_seconds(), a.slow_seconds(), a.sketch().relative_accuracy());
}
template <class K, class Acc>
keyed<K, Acc> empty_like(const keyed<K, Acc>& a) {
  return keyed<K, Acc>(a.prototype());
}
template <class S, class B, class A>
sessions<S, B, A> empty_like(const sessions<S, B, A>& a) {
  return sessions<S, B, A>(a.options());
}
template <class B, class O, class A, class S, class C>
basic_orders<B, O, A, S, C> empty_like(const basic_orders<B, O, A, S, C>& a) {
  return basic_orders<B, O, A, S, C>(a.config());
}
template <class Sh, class P, class O, class A, class C>
basic_sales<Sh, P, O, A, C> empty_like(const basic_sales<Sh, P, O, A, C>& a) {
  return basic_sales<Sh, P, O, A, C>(a.offset());
}
template <class B>
shop_ratings<B> empty_like(const shop_ratings<B>& a) {
  return shop_ratings<B>(a.config());
}
template <class S, class B>
ratings<S, B> empty_like(const ratings<S, B>& a) {
  return ratings<S, B>(a.config());
}

// session_stats does not expose its configuration: it is checked by merging
// with a copy only.
template <class T>
struct merge_into_empty : std::true_type {};
template <class B>
struct merge_into_empty<session_stats<B>> : std::false_type {};

template <class T>
void check(const char* name, const std::uint8_t* data, std::size_t size) {
  std::unique_ptr<T> a;  // not std::optional: keyed<K, day_window<..>> has no default constructor
  try {
    a = std::make_unique<T>(T::deserialize(data, size));
  } catch (const deserialize_error&) {
    return;  // rejected: the expected outcome for most inputs
  }
  if (std::getenv("CSMETRICS_FUZZ_VERBOSE")) std::fprintf(stderr, "accepted as %s: %zu bytes\n", name, size);
  const std::vector<std::uint8_t> bytes = a->serialize();
  // serialize() frames the type's bytes (core/serde.hpp); the input may be
  // framed or bare: compare its type bytes with those inside the new frame
  // (the frame around equal payloads is equal).
  const detail::framed_payload in = detail::unframe(data, size);
  const detail::framed_payload out = detail::unframe(bytes.data(), bytes.size());
  data = in.data;
  size = in.size;
  const std::vector<std::uint8_t> inner(out.data, out.data + out.size);
  // An older format version (the header's byte 4) is written as the current
  // one: then the current bytes must be a fixed point.
  const bool older = size > 4 && inner.size() > 4 && data[4] < inner[4];
  if (older) {
    FUZZ_CHECK(T::deserialize(bytes.data(), bytes.size()).serialize() == bytes,
               "an older version's state re-serializes to fixed current bytes");
  } else if (inner != std::vector<std::uint8_t>(data, data + size)) {
    std::size_t at = 0;
    while (at < size && at < inner.size() && data[at] == inner[at]) ++at;
    std::fprintf(stderr, "%s: %zu input bytes re-serialize to %zu different bytes; first difference at byte %zu: %d vs %d\n",
                 name, size, inner.size(), at, at < size ? data[at] : -1, at < inner.size() ? inner[at] : -1);
    FUZZ_CHECK(false, "a deserialized state re-serializes to the same bytes");
  }
  const T b = T::deserialize(bytes.data(), bytes.size());
  FUZZ_CHECK(b == *a, "re-deserialized state equals the first");
  try {
    exercise(*a);
    if constexpr (merge_into_empty<T>::value) {
      T e = empty_like(*a);
      e.merge(*a);
      FUZZ_CHECK(e == *a, "merging a state into an empty accumulator gives the state");
    }
    T twice = *a;
    if constexpr (!std::is_same_v<T, sessions<>> &&
                  !std::is_same_v<T, sessions<std::string, std::string, std::string>>) {
      twice.merge(*a);  // sessions: a conversation open in both throws by design
      exercise(twice);
    }
  } catch (const std::overflow_error&) {
    // A valid state near 2^64 may overflow when merged with itself.
  }
}

using check_fn = void (*)(const char*, const std::uint8_t*, std::size_t);
struct target {
  const char* name;
  check_fn fn;
};

// The selector byte: index into this table (modulo its size). Keep the order:
// the seed corpus files start with these indexes.
const target targets[] = {
    {"rate_counter", check<rate_counter>},
    {"moments", check<moments>},
    {"money_sum", check<money_sum>},
    {"quantile_sketch", check<quantile_sketch>},
    {"day_window<rate_counter>", check<day_window<rate_counter>>},
    {"day_window<quantile_sketch>", check<day_window<quantile_sketch>>},
    {"keyed<string, rate_counter>", check<keyed<std::string, rate_counter>>},
    {"keyed<uint64, moments>", check<keyed<std::uint64_t, moments>>},
    {"keyed<int64, quantile_sketch>", check<keyed<std::int64_t, quantile_sketch>>},
    {"response_stats", check<response_stats>},
    {"session_stats<>", check<session_stats<>>},
    {"sessions<>", check<sessions<>>},
    {"sessions<string...>", check<sessions<std::string, std::string, std::string>>},
    {"orders", check<orders>},
    {"string_orders", check<string_orders>},
    {"sales", check<sales>},
    {"string_sales", check<string_sales>},
    {"shop_ratings<>", check<shop_ratings<>>},
    {"ratings<>", check<ratings<>>},
    {"ratings<string, string>", check<ratings<std::string, std::string>>},
    {"keyed<uint32, day_window<money_sum>>", check<keyed<std::uint32_t, day_window<money_sum>>>},
};
constexpr std::size_t target_count = sizeof(targets) / sizeof(targets[0]);

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const target& t = targets[data[0] % target_count];
  t.fn(t.name, data + 1, size - 1);
  return 0;
}
