#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# mpi_report on 1, 2 and 4 ranks prints the same JSON as shop_report, and
# its --save-state writes the same bytes as shop_report --save-state: with
# --shard-by auto on 1, 2 and 4 ranks, and with shop and buyer on 2 and 4;
# on the demo week (as a file, byte ranges), the demo week split into two
# files (file shares), a generated messy log (bad rows, an id that is not
# UTF-8, rows out of order that the sessions refuse; when GEN_EVENTS is
# given) and each real log in ../shared/data (skipped when absent). Every
# rank count and shard key runs on the demo week; the other logs take a few
# of the runs (each run starts mpirun, which is slow on a loaded machine:
# seven runs on every log made this the suite's longest test). A
# --save-state it cannot write fails, naming the file.
#   run_mpi_test.sh EXAMPLES_BIN_DIR [SHARED_DATA_DIR] [GEN_EVENTS]
set -euo pipefail
bin="$1"
data="${2:-}"
gen="${3:-}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
# Ranks that wait yield the core: the suite runs other tests beside this one.
export OMPI_MCA_mpi_yield_when_idle=1
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$bin/demo_week_csv" > "$tmp/demo.csv"
# Two files: the first and second half of the rows, each with the header.
n=$(wc -l < "$tmp/demo.csv")
awk -v n="$n" -v a="$tmp/h1.csv" -v b="$tmp/h2.csv" 'NR == 1 { print > a; print > b; next }
  { print > ((NR <= n / 2) ? a : b) }' "$tmp/demo.csv"
fail=0
check() {  # name, the runs ("RANKS:KEY ..."), then the input files
  local name="$1" runs="$2" run; shift 2
  "$bin/shop_report" --format json --no-progress --save-state "$tmp/want.state" "$@" > "$tmp/want.json" 2> /dev/null
  for run in $runs; do
    local np="${run%:*}" key="${run#*:}"
    rm -f "$tmp/got.state"
    if ! mpirun -np "$np" --oversubscribe "$bin/mpi_report" --format json --verbose --shard-by "$key" \
         --save-state "$tmp/got.state" "$@" > "$tmp/got.json" 2> "$tmp/err.txt"; then
      echo "FAIL $name np=$np --shard-by $key: mpirun failed"; cat "$tmp/err.txt"; fail=1; continue
    fi
    local used
    used=$(grep -o "shuffle by [^;]*" "$tmp/err.txt" | sed 's/^shuffle by //; s/ sent.*//' | sort -u | tr '\n' ' ')
    if ! cmp -s "$tmp/want.json" "$tmp/got.json"; then
      echo "FAIL $name np=$np --shard-by $key: JSON differs from shop_report"; fail=1
    elif cmp -s "$tmp/want.state" "$tmp/got.state"; then
      echo "ok   $name np=$np --shard-by $key (by ${used% }): JSON and saved state's bytes"
    elif ! "$bin/csm_merge" --format json "$tmp/want.state" > "$tmp/want_merged.json" ||
         ! "$bin/csm_merge" --format json "$tmp/got.state" > "$tmp/got_merged.json" ||
         ! cmp -s "$tmp/want_merged.json" "$tmp/got_merged.json"; then
      echo "FAIL $name np=$np --shard-by $key: the saved state does not load to shop_report's"; fail=1
    else
      # Merged (shop, buyer) shards may lay a table out in another order
      # (shop_report --threads N --shard-by buyer's state differs the same way).
      echo "ok   $name np=$np --shard-by $key (by ${used% }): JSON; the saved state loads to the same report"
    fi
    grep "reduction sent" "$tmp/err.txt" | sort || true
  done
}
check demo-week "1:auto 2:auto 4:auto 2:shop 4:shop 2:buyer 4:buyer" "$tmp/demo.csv"
check demo-week-two-files "1:auto 2:auto 4:auto" "$tmp/h1.csv" "$tmp/h2.csv"
if [ -n "$gen" ]; then
  "$gen" --events 50000 --seed 11 --shops 3 --bad-rows 40 --out-of-order 0.02 --out "$tmp/gen.csv" > /dev/null
  t=$(sed -n 2p "$tmp/gen.csv" | cut -d, -f1)
  { head -n 2 "$tmp/gen.csv"; printf '%s,visit,s\377\376,b1,,,,,\n' "$t"; tail -n +3 "$tmp/gen.csv"; } > "$tmp/messy.csv"
  check generated-messy "2:shop 4:buyer" "$tmp/messy.csv"
  grep -q '"invalid_utf8":1' "$tmp/got.json" || { echo "FAIL generated-messy: invalid_utf8 not counted"; fail=1; }
else
  echo "skip the generated log: no GEN_EVENTS"
fi
if [ -n "$data" ] && ls "$data"/*.csv > /dev/null 2>&1; then
  for f in "$data"/*.csv; do check "$(basename "$f")" "2:shop 4:buyer" "$f"; done
else
  echo "skip real logs: no $data/*.csv"
fi
# A state file it cannot write: rank 0 fails naming the file, the exit status is not 0.
bad="$tmp/no-such-folder/all.state"
if mpirun -np 2 --oversubscribe "$bin/mpi_report" --format json --save-state "$bad" "$tmp/demo.csv" \
     > /dev/null 2> "$tmp/err.txt"; then
  echo "FAIL --save-state $bad: exit status 0"; fail=1
elif ! grep -q "$bad: cannot create a temporary file" "$tmp/err.txt"; then
  echo "FAIL --save-state $bad: no message naming the file"; cat "$tmp/err.txt"; fail=1
else
  echo "ok   --save-state into a missing folder: $(grep -m1 "$bad" "$tmp/err.txt")"
fi
exit $fail
