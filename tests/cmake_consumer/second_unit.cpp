// A second file of both programs: the headers it shares with main*.cpp must
// link twice (inline definitions header-only; with csmetrics::compiled one
// definition, in the library, which must hold what is called here).
#include <csmetrics/core/quantile_sketch.hpp>
#include <csmetrics/sessions/service_calendar.hpp>

#include <chrono>   // std::chrono::hours
#include <cstdint>  // std::uint8_t
#include <vector>   // std::vector

// 0 when a quantile_sketch and a service calendar answer as documented.
int second_unit() {
  csmetrics::quantile_sketch s;
  s.add(12.5);
  s.add(std::chrono::seconds{50});
  const std::vector<std::uint8_t> bytes = s.serialize();
  const csmetrics::quantile_sketch back = csmetrics::quantile_sketch::deserialize(bytes.data(), bytes.size());
  const auto cal = csmetrics::service_calendar::from_csv("shop,weekday_or_date,open,close\n*,daily,08:00,24:00\n");
  const csmetrics::service_hours* h = cal.find("any shop");
  const csmetrics::timestamp at{std::chrono::hours{24 * 20000 + 2}};  // 02:00 UTC
  const bool ok = back == s && s.count_at_most(45.0) == 1 && s.quantile(1.0) > 45.0 &&
                  cal == csmetrics::service_calendar::every_day({{8 * 60, 24 * 60}}) &&
                  cal.describe() == "*: daily 08:00-24:00" && h != nullptr &&
                  h->between(at, at + std::chrono::hours{7}, csmetrics::utc_offset::utc()) == std::chrono::hours{1};
  return ok ? 0 : 1;
}
