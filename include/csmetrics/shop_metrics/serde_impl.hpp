// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/shop_metrics/serde_impl.hpp
//
// Merge and serialization of csmetrics::shop_metrics (included at the
// bottom of csmetrics/shop_metrics.hpp).
#ifndef CSMETRICS_SHOP_METRICS_SERDE_IMPL_HPP_
#define CSMETRICS_SHOP_METRICS_SERDE_IMPL_HPP_

#include <algorithm>    // std::sort
#include <memory>       // std::shared_ptr
#include <stdexcept>    // std::invalid_argument
#include <type_traits>  // std::is_const_v
#include <utility>      // std::move, std::as_const
#include <vector>       // std::vector

namespace csmetrics {

// ---- merge / serialize ---------------------------------------------------------

CSMETRICS_FUNC void shop_metrics::merge(const shop_metrics& o) {
  if (o.options_ != options_)
    CSMETRICS_THROW(std::invalid_argument("shop_metrics::merge: options differ: " +
                                          shop_metrics_options::difference(options_, o.options_)));
  shop_metrics out = *this;  // a failed family merge leaves *this unchanged (and o may be *this)
  out.merge_parts(out.rebased_into_mine(o));
  *this = std::move(out);
}

CSMETRICS_FUNC void shop_metrics::merge(shop_metrics&& o) {
  if (this == &o) return merge(static_cast<const shop_metrics&>(o));
  if (o.options_ != options_)
    CSMETRICS_THROW(std::invalid_argument("shop_metrics::merge: options differ: " +
                                          shop_metrics_options::difference(options_, o.options_)));
  if (o.texts_ == texts_)
    merge_parts(o);
  else
    merge_parts(rebased_into_mine(o));
}

CSMETRICS_FUNC shop_metrics shop_metrics::rebased(std::shared_ptr<text_pool> pool) const {
  detail::writer w;
  serialize_to(w);
  const std::vector<std::uint8_t> bytes = w.take();
  detail::reader r(bytes.data(), bytes.size());
  shop_metrics m = deserialize_from(r, std::move(pool));
  r.expect_end();
  return m;
}

template <class Other>
void shop_metrics::merge_parts(Other&& o) {
  for (std::size_t f = 0; f < family_count; ++f) merge_family(f, o);
  merge_totals(o);
}

template <class Other>
void shop_metrics::merge_family(std::size_t family, Other&& o) {
  // From a shop_metrics& each family moves over what this side lacks; from a
  // const one it copies.
  const auto part = [](auto& p) -> decltype(auto) {
    if constexpr (std::is_const_v<std::remove_reference_t<Other>>)
      return std::as_const(p);
    else
      return std::move(p);
  };
  switch (family) {
    case 0:
      sessions_.merge(part(o.sessions_));
      break;
    case 1:
      for (auto& [shop, acc] : o.orders_) {
        auto it = orders_.find(shop);
        if (it != orders_.end())
          it->second.merge(part(acc));  // moved: no copy, merge(const&) below copied *this already
        else
          orders_.emplace(shop, shop_orders(part(acc)));
      }
      wake_all();
      break;
    case 2:
      sales_.merge(part(o.sales_));
      break;
    default:
      ratings_.merge(part(o.ratings_));
  }
}

CSMETRICS_FUNC void shop_metrics::merge_totals(const shop_metrics& o) {
  accepted_ = detail::checked_add(accepted_, o.accepted_);
  for (std::size_t i = 0; i < shop_metrics_reject_count; ++i)
    rejected_[i] = detail::checked_add(rejected_[i], o.rejected_[i]);
  for (std::size_t i = 0; i < shop_metrics_refusal_count; ++i)
    refused_[i] = detail::checked_add(refused_[i], o.refused_[i]);
  if (o.have_time_) {
    if (!have_time_) {
      have_time_ = true;
      newest_us_ = o.newest_us_;
      oldest_us_ = o.oldest_us_;
      settled_us_ = o.settled_us_;
    } else {
      newest_us_ = std::max(newest_us_, o.newest_us_);
      oldest_us_ = std::min(oldest_us_, o.oldest_us_);
      settled_us_ = std::max(settled_us_, o.settled_us_);
    }
  }
}

// Layout after the header (type id 96, version 4):
//   options: offset minutes (svarint) | session_gap, max_wait, payment_window,
//            max_lateness in us (svarint) | attribution_days, dsr_days,
//            after_sales_days, dispute_days, curve_days (varint) | rule (varint)
//            | within_seconds (f64) | (version 4) has_calendar (u8) and then
//            the service_calendar (service_calendar_impl.hpp)
//   accepted | rejected[3] (version 4: [4], amount_overflow last)
//   | refused[18] (version 3; none before) | has_time (u8)
//   [newest, oldest, settled (svarint)]
// Version 4 is written only for a state with a calendar or an amount_overflow
// count (else version 3's bytes, which older readers take).
//   sessions (v3 with a calendar, else v2; v1 in v1) | count of shops, then (shop string, orders) in increasing shop order | sales | ratings
CSMETRICS_FUNC void shop_metrics::serialize_to(detail::writer& w) const {
  const std::size_t rejects = uses_version_4() ? shop_metrics_reject_count : 3;
  w.header(detail::type_id::shop_metrics, rejects == 3 ? 3 : 4, 0);
  const shop_metrics_options& o = options_;
  w.svarint(o.offset.minutes().count());
  for (duration d : {o.session_gap, o.max_wait, o.payment_window, o.max_lateness}) w.svarint(d.count());
  for (int v : {o.attribution_days, o.dsr_days, o.after_sales_days, o.dispute_days, o.curve_days})
    w.varint(static_cast<std::uint64_t>(v));
  w.varint(static_cast<std::uint64_t>(o.rule));
  w.f64(o.within_seconds);
  if (rejects != 3) {
    w.u8(o.calendar ? 1 : 0);
    if (o.calendar) o.calendar->write(w);
  }
  w.varint(accepted_);
  for (std::size_t i = 0; i < rejects; ++i) w.varint(rejected_[i]);
  for (std::uint64_t c : refused_) w.varint(c);
  w.u8(have_time_ ? 1 : 0);
  if (have_time_)
    for (std::int64_t v : {newest_us_, oldest_us_, settled_us_}) w.svarint(v);
  sessions_.serialize_to(w);
  std::vector<const std::pair<const id_type, shop_orders>*> shops;
  shops.reserve(orders_.size());
  for (const auto& entry : orders_) shops.push_back(&entry);
  std::sort(shops.begin(), shops.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  w.varint(shops.size());
  for (const auto* entry : shops) {
    w.str(entry->first.view());
    entry->second.serialize_to(w);
  }
  sales_.serialize_to(w);
  ratings_.serialize_to(w);
}

CSMETRICS_FUNC shop_metrics shop_metrics::deserialize_from(detail::reader& r) {
  return deserialize_from(r, std::make_shared<text_pool>());
}

CSMETRICS_FUNC shop_metrics shop_metrics::deserialize_from(detail::reader& r, std::shared_ptr<text_pool> pool) {
  const std::uint8_t version = r.header(detail::type_id::shop_metrics, "shop_metrics", format_version);
  shop_metrics_options o;
  const std::int64_t offset = r.svarint();
  r.check(offset >= -18 * 60 && offset <= 18 * 60, "a UTC offset in [-18:00, +18:00]");
  o.offset = utc_offset(std::chrono::minutes{offset});
  for (duration* d : {&o.session_gap, &o.max_wait, &o.payment_window, &o.max_lateness}) *d = duration{r.svarint()};
  for (int* v : {&o.attribution_days, &o.dsr_days, &o.after_sales_days, &o.dispute_days, &o.curve_days}) {
    const std::uint64_t x = r.varint();
    r.check(x <= 3650, "a day count <= 3650");
    *v = static_cast<int>(x);
  }
  const std::uint64_t rule = r.varint();
  r.check(rule < attribution_rule_count, "an attribution rule < 3");
  o.rule = static_cast<attribution_rule>(rule);
  o.within_seconds = r.f64();
  if (version >= 4) {
    const std::uint8_t has_calendar = r.u8();
    r.check(has_calendar <= 1, "a calendar flag 0 or 1");
    if (has_calendar) o.calendar = std::make_shared<const service_calendar>(service_calendar::read(r));
  }
  try {
    o.validate();
  } catch (const std::invalid_argument& e) {
    r.fail(std::string("invalid options: ") + e.what());
  }
  shop_metrics m(o);
  m.texts_ = std::move(pool);
  text_pool* const outer = r.texts();
  r.use_texts(m.texts_.get());
  m.accepted_ = r.varint();
  for (std::size_t i = 0; i < (version >= 4 ? shop_metrics_reject_count : 3); ++i) m.rejected_[i] = r.varint();
  r.check(version < 4 || m.uses_version_4(), "version 4 only with a calendar or an amount_overflow count");
  if (version >= 3)
    for (std::uint64_t& c : m.refused_) c = r.varint();
  const std::uint8_t has_time = r.u8();
  r.check(has_time <= 1, "a has-time flag 0 or 1");
  m.have_time_ = has_time == 1;
  if (m.have_time_)
    for (std::int64_t* v : {&m.newest_us_, &m.oldest_us_, &m.settled_us_}) *v = r.svarint();
  // v1 holds sessions v1; the others sessions v2, or v3 with a calendar.
  m.sessions_ = sessions_type::deserialize_from(r, static_cast<std::uint8_t>(version == 1 ? 1 : o.calendar ? 3 : 2));
  r.check(m.sessions_.options() == o.session_config(), "sessions options match the shop_metrics options");
  const std::size_t shops = r.count(1, "shops");
  for (std::size_t i = 0; i < shops; ++i) {
    const id_type shop = detail::key_serde<id_type>::read(r);
    r.check(m.orders_.find(shop) == m.orders_.end(), "each shop once");
    orders_type acc = orders_type::deserialize_from(r);
    r.check(acc.config() == o.orders_settings(), "orders config matches the shop_metrics options");
    m.orders_.emplace(shop, shop_orders(std::move(acc)));
  }
  m.wake_all();
  m.sales_ = sales_type::deserialize_from(r);
  m.ratings_ = ratings_type::deserialize_from(r);
  r.check(m.ratings_.config() == o.ratings_settings(), "ratings config matches the shop_metrics options");
  r.use_texts(outer);
  return m;
}

}  // namespace csmetrics

#endif  // CSMETRICS_SHOP_METRICS_SERDE_IMPL_HPP_
