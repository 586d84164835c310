// A user's program on csmetrics::compiled: shop_metrics from the static
// library, the rest from the headers.
#include <csmetrics/shop_metrics.hpp>

#include <cstdio>

int second_unit();  // second_unit.cpp

int main() {
  if (second_unit() != 0) return 1;
  csmetrics::shop_metrics m;
  csmetrics::event e;
  e.time = csmetrics::timestamp{std::chrono::seconds{1567303200}};
  e.type = csmetrics::event_type::visit;
  e.shop = "s1";
  e.buyer = "b1";
  if (!m.add(e)) return 1;
  m.finish(e.time);
  const csmetrics::report r = m.make_report();
  std::printf("consumer ok %llu visit\n", static_cast<unsigned long long>(r.shops.at("s1").visits));
  return 0;
}
