// SPDX-License-Identifier: Apache-2.0
// Which local day does an event belong to? A shop's day starts at 00:00 in
// its own time zone: the same instant is 1 September in UTC but already
// 2 September for a shop at UTC+8.
#include <csmetrics/core/time.hpp>

#include <chrono>
#include <cstdio>

int main() {
  using namespace std::chrono;
  const csmetrics::timestamp instants[] = {
      csmetrics::timestamp{seconds{1567353599}},  // 2019-09-01T15:59:59Z
      csmetrics::timestamp{seconds{1567353600}},  // 2019-09-01T16:00:00Z
  };
  for (csmetrics::timestamp t : instants) {
    std::printf("unix %lld: UTC day %s, UTC+8 day %s, UTC-3 day %s\n",
                static_cast<long long>(duration_cast<seconds>(t.time_since_epoch()).count()),
                csmetrics::format_day(csmetrics::local_day(t, csmetrics::utc_offset::utc())).c_str(),
                csmetrics::format_day(csmetrics::local_day(t)).c_str(),
                csmetrics::format_day(csmetrics::local_day(t, csmetrics::utc_offset::hours(-3))).c_str());
  }
  return 0;
}
