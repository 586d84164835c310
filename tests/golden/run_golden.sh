#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Golden outputs of shop_report: every figure (JSON) and the saved state's
# bytes, on the demo week, on generated logs and on ../shared/data, must stay
# exactly what they were when this file was written. A rewrite of the data
# path (dense ids, new tables) must not move a figure or a byte.
#
#   run_golden.sh SHOP_REPORT GEN_EVENTS GOLDEN_DIR SHARED_DATA_DIR [--update]
#
# Our own data (demo, generated) is kept as whole JSON files, so a failure
# shows the diff; the real logs of shared/ are kept as SHA-256 digests only
# (their licences forbid copies) and are skipped when shared/ is absent.
set -euo pipefail
bin=$1 gen=$2 golden=$3 shared=$4 update=${5:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

# check NAME KIND FILE: KIND json (whole file) or sha (digest of the file)
check() {
  local name=$1 kind=$2 file=$3 want
  if [ "$kind" = json ]; then want="$golden/$name.json"; else want="$golden/$name.sha256"; fi
  if [ "$update" = --update ]; then
    if [ "$kind" = json ]; then cp "$file" "$want"; else sha256sum <"$file" | cut -d' ' -f1 >"$want"; fi
    return
  fi
  if [ "$kind" = json ]; then
    if ! diff -u "$want" "$file" >"$work/diff"; then
      echo "FAIL: $name: the figures changed"; head -40 "$work/diff"; fail=1; return
    fi
  elif [ "$(sha256sum <"$file" | cut -d' ' -f1)" != "$(cat "$want")" ]; then
    echo "FAIL: $name: $(basename "$want") differs"; fail=1; return
  fi
  echo "ok: $name"
}

# case NAME KIND ARGS...: the JSON report and the saved state of one run
run_case() {
  local name=$1 kind=$2
  shift 2
  "$bin" --format json --no-progress --save-state "$work/$name.state" "$@" >"$work/$name.json"
  check "$name" "$kind" "$work/$name.json"
  check "$name.state" sha "$work/$name.state"
}

run_case demo json
run_case demo_days json --by day
"$gen" --events 200000 --seed 7 --shops 12 --out "$work/gen.csv" >/dev/null
run_case generated json "$work/gen.csv"
"$gen" --events 50000 --seed 11 --shops 3 --bad-rows 40 --out-of-order 0.02 --out "$work/messy.csv" >/dev/null
run_case generated_messy json --by day "$work/messy.csv" 2>/dev/null
if [ -d "$shared" ]; then
  run_case twcs sha --utc-offset +00:00 "$shared/twcs-events.csv"
  run_case olist sha --utc-offset -03:00 "$shared/olist-events.csv"
  run_case taobao sha --utc-offset +08:00 "$shared/taobao-events.csv"
else
  echo "SKIPPED: the real logs: $shared is absent (the shared/ folder is not beside the project)"
fi
exit $fail
