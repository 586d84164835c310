#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# mpi_report on 1, 2 and 4 ranks prints the same JSON as shop_report: the
# demo week (as a file, byte ranges), the demo week split into two files
# (file shares), and each real log in ../shared/data (skipped when absent).
#   run_mpi_test.sh EXAMPLES_BIN_DIR [SHARED_DATA_DIR]
set -euo pipefail
bin="$1"
data="${2:-}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$bin/demo_week_csv" > "$tmp/demo.csv"
# Two files: the first and second half of the rows, each with the header.
n=$(wc -l < "$tmp/demo.csv")
awk -v n="$n" -v a="$tmp/h1.csv" -v b="$tmp/h2.csv" 'NR == 1 { print > a; print > b; next }
  { print > ((NR <= n / 2) ? a : b) }' "$tmp/demo.csv"
fail=0
check() {  # name, then the input files
  local name="$1"; shift
  "$bin/shop_report" --format json --no-progress "$@" > "$tmp/want.json"
  for np in 1 2 4; do
    if ! mpirun -np "$np" --oversubscribe "$bin/mpi_report" --format json --verbose "$@" \
         > "$tmp/got.json" 2> "$tmp/err.txt"; then
      echo "FAIL $name np=$np: mpirun failed"; cat "$tmp/err.txt"; fail=1; continue
    fi
    if cmp -s "$tmp/want.json" "$tmp/got.json"; then
      echo "ok   $name np=$np"
    else
      echo "FAIL $name np=$np: JSON differs from shop_report"; fail=1
    fi
    grep "reduction sent" "$tmp/err.txt" | sort || true
  done
}
check demo-week "$tmp/demo.csv"
check demo-week-two-files "$tmp/h1.csv" "$tmp/h2.csv"
if [ -n "$data" ] && ls "$data"/*.csv > /dev/null 2>&1; then
  for f in "$data"/*.csv; do check "$(basename "$f")" "$f"; done
else
  echo "skip real logs: no $data/*.csv"
fi
exit $fail
