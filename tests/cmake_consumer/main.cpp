// A user's program: includes the umbrella header and uses one accumulator.
#include <csmetrics/csmetrics.hpp>

#include <cstdio>

int second_unit();  // second_unit.cpp

int main() {
  if (second_unit() != 0) return 1;
  csmetrics::day_number d = csmetrics::local_day(csmetrics::timestamp{});
  std::printf("consumer ok %s\n", csmetrics::format_day(d).c_str());
  return 0;
}
