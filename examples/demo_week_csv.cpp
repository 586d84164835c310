// SPDX-License-Identifier: Apache-2.0
// File: examples/demo_week_csv.cpp
//
// Prints shop_report's built-in demo week as a CSV event log, so other
// programs (mpi_report, split-and-merge tests) can read it from a file:
//
//   demo_week_csv > demo.csv && shop_report --format json demo.csv
#include <cstdio>  // std::fwrite
#include <string>  // std::string

#include "demo_week.hpp"

int main() {
  const std::string csv = demo::demo_week_builder().csv();
  return std::fwrite(csv.data(), 1, csv.size(), stdout) == csv.size() ? 0 : 1;
}
