#!/usr/bin/env bash
# The demo, as the README says: installs what is missing, builds the
# examples and runs the main one.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh demo
cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=Release -DCSMETRICS_BUILD_TESTS=OFF >/dev/null
cmake --build build/demo -j "$(nproc)" >/dev/null
if [ -x build/demo/examples/shop_report ]; then
  build/demo/examples/shop_report "$@"
else
  build/demo/examples/local_days
fi
