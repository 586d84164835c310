#!/usr/bin/env bash
# The whole test suite, as the README says: installs what is missing, then
# builds and runs every test with g++ and with clang (-Wall -Wextra
# -Wpedantic -Werror), once more with clang under ASan + UBSan (plus a short
# libFuzzer run of each fuzz target), and the threaded path under TSan.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh test
jobs=$(nproc)

suite() {  # suite NAME CMAKE-ARGS...
  local name=$1 start=$SECONDS
  shift
  echo "=== csmetrics tests: $name" >&2
  cmake -S . -B "build/$name" "$@" >/dev/null
  cmake --build "build/$name" -j "$jobs"
  ctest --test-dir "build/$name" --output-on-failure -j "$jobs"
  echo "=== csmetrics tests: $name done in $((SECONDS - start)) s" >&2
}

# Benchmarks are built (and run once, tiny) in the g++ suite only: enough to
# keep them from rotting, and the suite stays well under its time budget.
suite gcc -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCSMETRICS_BUILD_BENCH=ON
suite clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCSMETRICS_TEST_TOOLS=OFF \
  -DCSMETRICS_BUILD_BENCH=OFF
# Under the sanitizers: the library, tests and examples (the outside-tool
# checks already ran in the g++ suite), and 10 s of libFuzzer per target.
suite sanitize -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug -DCSMETRICS_SANITIZE=ON -DCSMETRICS_FUZZ=ON \
  -DCSMETRICS_FUZZ_SECONDS=10 -DCSMETRICS_TEST_TOOLS=OFF -DCSMETRICS_BUILD_BENCH=OFF \
  -DCMAKE_CXX_FLAGS=-O1

# The threaded path (csmetrics/sharded.hpp) under ThreadSanitizer.
echo "=== csmetrics tests: thread (ThreadSanitizer)" >&2
cmake -S . -B build/thread -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug -DCSMETRICS_BUILD_EXAMPLES=OFF \
  "-DCMAKE_CXX_FLAGS=-O1 -fsanitize=thread" -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread >/dev/null
cmake --build build/thread -j "$jobs" --target sharded_test
build/thread/tests/sharded_test
echo "=== csmetrics tests: all passed in $SECONDS s" >&2
