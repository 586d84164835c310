#!/usr/bin/env bash
# The demo, as the README says: installs what is missing, builds shop_report
# and runs it (no file: the built-in demo week; arguments are passed on).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh demo
cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=Release -DCSMETRICS_BUILD_TESTS=OFF >/dev/null
cmake --build build/demo -j "$(nproc)" --target shop_report >/dev/null
build/demo/examples/shop_report "$@"
