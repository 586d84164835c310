// A user's program: includes the umbrella header and uses one accumulator.
#include <csmetrics/csmetrics.hpp>

#include <cstdio>

int main() {
  csmetrics::day_number d = csmetrics::local_day(csmetrics::timestamp{});
  std::printf("consumer ok %s\n", csmetrics::format_day(d).c_str());
  return 0;
}
