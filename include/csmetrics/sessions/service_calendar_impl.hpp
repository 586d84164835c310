// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/sessions/service_calendar_impl.hpp
//
// Definitions of csmetrics/sessions/service_calendar.hpp (included at its
// bottom, or compiled once in src/csmetrics.cpp with
// CSMETRICS_SEPARATE_COMPILATION): building, text, serialized form and the
// CSV reader.
//
// Serialized form (inside the options of sessions v3 and shop_metrics v4;
// v = LEB128 varint, s = zig-zag varint):
//   service_hours: for each weekday Monday..Sunday: n v, n x (open_min v,
//     close_min v); then dates: n v, n x (day s, k v, k x (open_min v,
//     close_min v)), days strictly increasing.
//   service_calendar: has_default u8 (0 or 1), [service_hours], shops: n v,
//     n x (name string, service_hours), names strictly increasing.
// Intervals are written sorted; a reader re-validates them (in range, not
// overlapping, at most 8 a day).
#ifndef CSMETRICS_SESSIONS_SERVICE_CALENDAR_IMPL_HPP_
#define CSMETRICS_SESSIONS_SERVICE_CALENDAR_IMPL_HPP_

#include "csmetrics/sessions/service_calendar.hpp"

#include <algorithm>  // std::sort
#include <cctype>     // std::tolower
#include <cstdio>     // std::snprintf
#include <limits>     // std::numeric_limits (day range)
#include <map>        // std::map (the CSV's rows by shop)
#include <stdexcept>  // std::invalid_argument
#include <string>     // std::string, std::to_string
#include <utility>    // std::move
#include <vector>     // std::vector

#include "csmetrics/core/error.hpp"

namespace csmetrics {

namespace detail {
CSMETRICS_FUNC std::string hh_mm(std::int32_t minutes) {
  char b[32];
  std::snprintf(b, sizeof b, "%02d:%02d", static_cast<int>(minutes / 60), static_cast<int>(minutes % 60));
  return b;
}
inline constexpr const char* weekday_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
CSMETRICS_FUNC std::string intervals_text(const std::vector<service_interval>& v) {
  if (v.empty()) return "closed";
  std::string s;
  for (const service_interval& i : v) {
    if (!s.empty()) s += ',';
    s += hh_mm(i.open_min) + "-" + hh_mm(i.close_min);
  }
  return s;
}
CSMETRICS_FUNC void write_intervals(writer& w, const std::vector<service_interval>& v) {
  w.varint(v.size());
  for (const service_interval& i : v) {
    w.varint(static_cast<std::uint64_t>(i.open_min));
    w.varint(static_cast<std::uint64_t>(i.close_min));
  }
}
CSMETRICS_FUNC std::vector<service_interval> read_intervals(reader& r) {
  const std::size_t n = r.count(2, "service intervals");
  r.check(n <= service_hours::max_intervals, "at most 8 service intervals a day");
  std::vector<service_interval> v(n);
  for (service_interval& i : v) {
    const std::uint64_t open = r.varint(), close = r.varint();
    r.check(open < close && close <= 1440, "a service interval within [00:00, 24:00], open < close");
    i.open_min = static_cast<std::int32_t>(open);
    i.close_min = static_cast<std::int32_t>(close);
  }
  return v;
}
}  // namespace detail

// ---------------------------------------------------------------- building

CSMETRICS_FUNC service_hours service_hours::every_day(std::vector<service_interval> intervals) {
  service_hours h;
  for (int d = 0; d < 7; ++d) h.set_weekday(d, intervals);
  return h;
}

CSMETRICS_FUNC void service_hours::set_weekday(int weekday, std::vector<service_interval> intervals) {
  if (weekday < 0 || weekday > 6)
    CSMETRICS_THROW(std::invalid_argument("service_hours: weekday must be in [0, 6]: " + std::to_string(weekday)));
  normalize(intervals);
  weekly_[static_cast<std::size_t>(weekday)] = std::move(intervals);
  rebuild();
}

CSMETRICS_FUNC void service_hours::set_date(day_number day, std::vector<service_interval> intervals) {
  normalize(intervals);
  dates_[day] = std::move(intervals);
  rebuild();
}

CSMETRICS_FUNC void service_hours::clear_date(day_number day) {
  dates_.erase(day);
  rebuild();
}

CSMETRICS_FUNC bool operator==(const service_hours& a, const service_hours& b) {
  return a.weekly_ == b.weekly_ && a.dates_ == b.dates_;
}

CSMETRICS_FUNC void service_hours::normalize(std::vector<service_interval>& v) {
  if (v.size() > max_intervals)
    CSMETRICS_THROW(std::invalid_argument("service_hours: more than 8 intervals in a day: " +
                                          std::to_string(v.size())));
  for (const service_interval& i : v)
    if (i.open_min < 0 || i.close_min > 1440 || i.open_min >= i.close_min)
      CSMETRICS_THROW(std::invalid_argument("service_hours: an interval must be open < close within "
                                            "[00:00, 24:00]: " + detail::hh_mm(i.open_min) + "-" +
                                            detail::hh_mm(i.close_min)));
  std::sort(v.begin(), v.end(),
            [](const service_interval& a, const service_interval& b) { return a.open_min < b.open_min; });
  for (std::size_t i = 1; i < v.size(); ++i)
    if (v[i].open_min < v[i - 1].close_min)
      CSMETRICS_THROW(std::invalid_argument("service_hours: overlapping intervals " +
                                            detail::hh_mm(v[i - 1].open_min) + "-" +
                                            detail::hh_mm(v[i - 1].close_min) + " and " +
                                            detail::hh_mm(v[i].open_min) + "-" + detail::hh_mm(v[i].close_min)));
}

CSMETRICS_FUNC service_hours::day_plan service_hours::plan_of(const std::vector<service_interval>& v) {
  day_plan p;
  p.n = static_cast<std::uint32_t>(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    p.open[i] = static_cast<std::int16_t>(v[i].open_min);
    p.close[i] = static_cast<std::int16_t>(v[i].close_min);
    p.total += (p.close[i] - p.open[i]) * detail::us_per_minute;
  }
  return p;
}

CSMETRICS_FUNC void service_hours::rebuild() {
  week_total_us_ = 0;
  for (std::size_t d = 0; d < 7; ++d) {
    weekly_plan_[d] = plan_of(weekly_[d]);
    week_total_us_ += weekly_plan_[d].total;
  }
  for (std::size_t k = 0; k + 1 < week_prefix_.size(); ++k)
    week_prefix_[k + 1] = week_prefix_[k] + weekly_plan_[k % 7].total;
  special_days_.clear();
  special_plans_.clear();
  special_gain_.assign(1, 0);
  for (const auto& [day, v] : dates_) {
    special_days_.push_back(day);
    special_plans_.push_back(plan_of(v));
    special_gain_.push_back(special_gain_.back() + special_plans_.back().total -
                            weekly_plan_[static_cast<std::size_t>(detail::weekday_of(day))].total);
  }
  special_first_ = dates_.empty() ? 1 : dates_.begin()->first;
  special_last_ = dates_.empty() ? 0 : dates_.rbegin()->first;
}

CSMETRICS_FUNC service_calendar service_calendar::every_day(std::vector<service_interval> intervals) {
  service_calendar c;
  c.set_default(service_hours::every_day(std::move(intervals)));
  return c;
}

CSMETRICS_FUNC void service_calendar::set_default(service_hours h) { default_ = std::move(h); }

CSMETRICS_FUNC void service_calendar::set_shop(std::string shop, service_hours h) {
  shops_[std::move(shop)] = std::move(h);
}

CSMETRICS_FUNC bool operator==(const service_calendar& a, const service_calendar& b) {
  return a.default_ == b.default_ && a.shops_ == b.shops_;
}

// ------------------------------------------------ text and serialized form

CSMETRICS_FUNC std::string service_hours::describe() const {
  std::string out;
  auto add = [&](const std::string& part) {
    if (!out.empty()) out += "; ";
    out += part;
  };
  bool same = true;
  for (std::size_t d = 1; d < 7; ++d) same = same && weekly_[d] == weekly_[0];
  if (same) {
    add("daily " + detail::intervals_text(weekly_[0]));
  } else {
    for (std::size_t d = 0; d < 7;) {  // runs of equal weekdays: "mon-fri 09:00-18:00"
      std::size_t e = d;
      while (e + 1 < 7 && weekly_[e + 1] == weekly_[d]) ++e;
      std::string days = detail::weekday_names[d];
      if (e > d) days += std::string("-") + detail::weekday_names[e];
      add(days + " " + detail::intervals_text(weekly_[d]));
      d = e + 1;
    }
  }
  for (const auto& [day, v] : dates_) add(format_day(day) + " " + detail::intervals_text(v));
  return out;
}

CSMETRICS_FUNC void service_hours::write(detail::writer& w) const {
  for (const auto& v : weekly_) detail::write_intervals(w, v);
  w.varint(dates_.size());
  for (const auto& [day, v] : dates_) {
    w.svarint(day);
    detail::write_intervals(w, v);
  }
}

CSMETRICS_FUNC service_hours service_hours::read(detail::reader& r) {
  service_hours h;
  try {
    for (int d = 0; d < 7; ++d) h.weekly_[static_cast<std::size_t>(d)] = detail::read_intervals(r);
    const std::size_t n = r.count(2, "service dates");
    std::optional<std::int64_t> prev;
    for (std::size_t i = 0; i < n; ++i) {
      const std::int64_t day = r.svarint();
      r.check(day >= std::numeric_limits<day_number>::min() && day <= std::numeric_limits<day_number>::max(),
              "a service date in range");
      r.check(!prev || *prev < day, "service dates strictly increasing");
      prev = day;
      h.dates_[static_cast<day_number>(day)] = detail::read_intervals(r);
    }
    for (auto& v : h.weekly_) normalize_checked(r, v);
    for (auto& [day, v] : h.dates_) normalize_checked(r, v);
  } catch (const std::invalid_argument& e) {
    r.fail(std::string("invalid service hours: ") + e.what());
  }
  h.rebuild();
  return h;
}

CSMETRICS_FUNC void service_hours::normalize_checked(detail::reader& r, std::vector<service_interval>& v) {
  const std::vector<service_interval> as_read = v;
  normalize(v);
  r.check(v == as_read, "service intervals sorted");
}

CSMETRICS_FUNC std::string service_calendar::describe() const {
  if (empty()) return "none";
  std::string out;
  if (default_) out = "*: " + default_->describe();
  for (const auto& [shop, h] : shops_) {
    if (!out.empty()) out += " | ";
    out += shop + ": " + h.describe();
  }
  if (out.size() <= 240) return out;
  char b[96];
  std::snprintf(b, sizeof b, "a calendar of %zu shop(s)%s, digest %016llx", shops_.size(),
                default_ ? " and default hours" : "", static_cast<unsigned long long>(digest()));
  return b;
}

CSMETRICS_FUNC std::uint64_t service_calendar::digest() const {
  detail::writer w;
  write(w);
  const std::vector<std::uint8_t> bytes = w.take();
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (std::uint8_t b : bytes) {
    h ^= b;
    h *= 0x100000001b3ULL;
  }
  return h;
}

CSMETRICS_FUNC void service_calendar::write(detail::writer& w) const {
  w.u8(default_ ? 1 : 0);
  if (default_) default_->write(w);
  w.varint(shops_.size());
  for (const auto& [shop, h] : shops_) {
    w.str(shop);
    h.write(w);
  }
}

CSMETRICS_FUNC service_calendar service_calendar::read(detail::reader& r) {
  service_calendar c;
  const std::uint8_t has_default = r.u8();
  r.check(has_default <= 1, "a default-hours flag 0 or 1");
  if (has_default) c.default_ = service_hours::read(r);
  const std::size_t n = r.count(8, "shops with service hours");
  for (std::size_t i = 0; i < n; ++i) {
    std::string shop = r.str();
    r.check(c.shops_.empty() || c.shops_.rbegin()->first < shop, "service-hour shops strictly increasing");
    service_hours h = service_hours::read(r);
    c.shops_.emplace_hint(c.shops_.end(), std::move(shop), std::move(h));
  }
  return c;
}

namespace detail {
CSMETRICS_FUNC std::string_view trim_space(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}
CSMETRICS_FUNC int parse_hh_mm(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return -1;
  for (std::size_t i : {0, 1, 3, 4})
    if (s[i] < '0' || s[i] > '9') return -1;
  const int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return -1;
  return h * 60 + m;
}
/// "mon".."sun", "monday".."sunday" (any case) -> 0..6; -1 otherwise.
CSMETRICS_FUNC int parse_weekday(std::string_view s) {
  static const char* const full[7] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
  std::string low;
  for (char c : s) low += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (int d = 0; d < 7; ++d)
    if (low == weekday_names[d] || low == full[d]) return d;
  return -1;
}
}  // namespace detail

// ------------------------------------------------------------ the CSV reader

CSMETRICS_FUNC service_calendar service_calendar::from_csv(std::string_view text) {
  // Each shop's rows ("*": every shop without rows of its own): weekly rows
  // replace the default's weekly hours as a whole, date rows add to or
  // replace the default's dates one by one.
  struct rows {
    service_hours hours;
    bool weekly = false;
    std::map<day_number, std::size_t> closed;  // closed date -> its line
  };
  std::map<std::string, rows, std::less<>> by_shop;
  std::size_t line_no = 0;
  bool first = true;
  auto fail = [&](const std::string& msg) {
    CSMETRICS_THROW(std::invalid_argument("line " + std::to_string(line_no) + ": " + msg));
  };
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    line = detail::trim_space(line);
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string_view> f;
    for (std::size_t at = 0;;) {
      const std::size_t comma = line.find(',', at);
      f.push_back(detail::trim_space(line.substr(at, comma == std::string_view::npos ? std::string_view::npos
                                                                                    : comma - at)));
      if (comma == std::string_view::npos) break;
      at = comma + 1;
    }
    const bool header = first && f.size() == 4 && f[0] == "shop" && f[1] == "weekday_or_date";
    first = false;
    if (header) continue;
    if (f.size() != 4)
      fail("expected 4 fields shop,weekday_or_date,open,close, found " + std::to_string(f.size()));
    if (f[0].empty()) fail("empty shop (use * for every shop)");
    const bool closed = f[2] == "closed" && (f[3].empty() || f[3] == "closed");
    std::vector<service_interval> add;
    if (!closed) {
      const int open = detail::parse_hh_mm(f[2]), close = detail::parse_hh_mm(f[3]);
      if (open < 0) fail("open must be a time HH:MM or closed: '" + std::string(f[2]) + "'");
      if (close < 0) fail("close must be a time HH:MM (24:00 allowed): '" + std::string(f[3]) + "'");
      if (open >= close) fail("open " + std::string(f[2]) + " is not before close " + std::string(f[3]));
      add.push_back(service_interval{open, close});
    }
    rows& r = by_shop[std::string(f[0])];
    std::vector<int> weekdays;
    std::optional<day_number> date;
    if (f[1] == "daily" || f[1] == "*") {
      weekdays = {0, 1, 2, 3, 4, 5, 6};
    } else if (const int d = detail::parse_weekday(f[1]); d >= 0) {
      weekdays = {d};
    } else if (const std::size_t dash = f[1].find('-');
               dash != std::string_view::npos && detail::parse_weekday(f[1].substr(0, dash)) >= 0 &&
               detail::parse_weekday(f[1].substr(dash + 1)) >= 0) {
      const int a = detail::parse_weekday(f[1].substr(0, dash)), b = detail::parse_weekday(f[1].substr(dash + 1));
      if (a > b) fail("weekday range must run forward (mon-fri): '" + std::string(f[1]) + "'");
      for (int d = a; d <= b; ++d) weekdays.push_back(d);
    } else if ((date = parse_day(f[1]))) {
    } else {
      fail("expected a weekday (mon..sun, mon-fri, daily) or a date YYYY-MM-DD: '" + std::string(f[1]) + "'");
    }
    try {
      if (date) {
        auto c = r.closed.find(*date);
        const bool had = r.hours.dates().count(*date) != 0;
        if (c != r.closed.end() || (closed && had))
          fail(format_day(*date) + " is both closed and open (line " +
               std::to_string(c != r.closed.end() ? c->second : line_no) + ")");
        if (closed) r.closed[*date] = line_no;
        std::vector<service_interval> v = had ? r.hours.dates().at(*date) : std::vector<service_interval>{};
        v.insert(v.end(), add.begin(), add.end());
        r.hours.set_date(*date, std::move(v));
      } else {
        r.weekly = true;
        for (int d : weekdays) {
          std::vector<service_interval> v = r.hours.weekday(d);
          v.insert(v.end(), add.begin(), add.end());
          r.hours.set_weekday(d, std::move(v));
        }
      }
    } catch (const std::invalid_argument& e) {
      if (std::string_view(e.what()).substr(0, 5) == "line ") throw;
      fail(e.what());
    }
  }
  service_calendar cal;
  const rows* star = nullptr;
  if (auto it = by_shop.find("*"); it != by_shop.end()) {
    star = &it->second;
    cal.default_ = star->hours;
  }
  for (const auto& [shop, r] : by_shop) {
    if (shop == "*") continue;
    service_hours h = star ? star->hours : service_hours{};
    if (r.weekly || !star)
      for (int d = 0; d < 7; ++d) h.set_weekday(d, r.hours.weekday(d));
    for (const auto& [day, v] : r.hours.dates()) h.set_date(day, v);
    cal.shops_.emplace(shop, std::move(h));
  }
  return cal;
}

}  // namespace csmetrics

#endif  // CSMETRICS_SESSIONS_SERVICE_CALENDAR_IMPL_HPP_
