#!/usr/bin/env bash
# The whole test suite, as the README says: installs what is missing, then
# builds and runs every test with g++ (-Wall -Wextra -Wpedantic -Werror),
# once more with clang++ under ASan + UBSan (same warnings; plus a short
# libFuzzer run of each fuzz target), and the threaded path under TSan.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh test
jobs=$(nproc)

build() {  # build NAME CMAKE-ARGS...
  echo "=== csmetrics tests: $1" >&2
  cmake -S . -B "build/$1" "${@:2}" >/dev/null
  cmake --build "build/$1" -j "$jobs"
}
run_tests() {  # run_tests NAME START-SECONDS
  ctest --test-dir "build/$1" --output-on-failure -j "$jobs"
  echo "=== csmetrics tests: $1 done in $((SECONDS - $2)) s" >&2
}

# The threaded path (csmetrics/sharded.hpp) under ThreadSanitizer.
thread() {
  local start=$SECONDS
  cmake -S . -B build/thread -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug -DCSMETRICS_BUILD_EXAMPLES=OFF \
    "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -gline-tables-only" -DCMAKE_CXX_FLAGS=-fsanitize=thread \
    -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread >/dev/null
  cmake --build build/thread -j "$jobs" --target sharded_test
  build/thread/tests/sharded_test
  echo "=== csmetrics tests: thread (ThreadSanitizer) done in $((SECONDS - start)) s"
}

# g++ at -O2 without -g: optimized, for gcc's flow-based warnings; debug info
# only cost compile and link time (a third of it). Both suites link the
# tests with csmetrics::compiled (shop_metrics compiled once, not in every
# test that uses it: a third of their build time); the benchmarks, the
# libFuzzer targets and the CMake consumer tests build header-only programs.
# Benchmarks are built (and run once, tiny) here only: enough to keep them
# from rotting; so are the outside-tool checks (promtool, Chromium, mpirun).
start=$SECONDS
build gcc -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
  -DCSMETRICS_TESTS_COMPILED=ON -DCSMETRICS_BUILD_BENCH=ON -DCSMETRICS_BUILD_PYTHON=ON \
  -DPython3_EXECUTABLE=/usr/bin/python3
# The g++ tests leave about a core idle (mpirun, Chromium, CMake runs): the
# TSan build and run take it, logged apart and shown after.
thread >build/thread.log 2>&1 &
tsan=$!
trap wait EXIT  # if the g++ tests fail, TSan still finishes: nothing left running
run_tests gcc "$start"
if ! wait "$tsan"; then
  cat build/thread.log >&2
  echo "=== csmetrics tests: thread (ThreadSanitizer) FAILED" >&2
  exit 1
fi
cat build/thread.log >&2

# clang: the library, tests and examples under the sanitizers, and 10 s of
# libFuzzer per target. It also is the clang -Werror build: clang's warnings
# come from its front end, the same at any -O. -O0 halves the build (the two
# slowest tests, the fuzz targets and the compiled unit keep -O1, see tests/
# and CMakeLists.txt); line tables are enough for the sanitizers' reports.
start=$SECONDS
build sanitize -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -gline-tables-only" \
  -DCSMETRICS_TESTS_COMPILED=ON -DCSMETRICS_SANITIZE=ON -DCSMETRICS_FUZZ=ON -DCSMETRICS_FUZZ_SECONDS=10 -DCSMETRICS_TEST_TOOLS=OFF \
  -DCSMETRICS_BUILD_BENCH=OFF
run_tests sanitize "$start"
echo "=== csmetrics tests: all passed in $SECONDS s" >&2
