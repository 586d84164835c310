#!/usr/bin/env bash
# The whole test suite, as the README says: installs what is missing, then
# builds and runs every test with g++ and with clang (-Wall -Wextra
# -Wpedantic -Werror), and once more with clang under ASan + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh test
jobs=$(nproc)

suite() {  # suite NAME CMAKE-ARGS...
  local name=$1
  shift
  echo "=== csmetrics tests: $name" >&2
  cmake -S . -B "build/$name" -DCSMETRICS_BUILD_BENCH=ON "$@" >/dev/null
  cmake --build "build/$name" -j "$jobs"
  ctest --test-dir "build/$name" --output-on-failure -j "$jobs"
}

suite gcc -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=RelWithDebInfo
suite clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo
suite sanitize -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug -DCSMETRICS_SANITIZE=ON \
  -DCMAKE_CXX_FLAGS=-O1
