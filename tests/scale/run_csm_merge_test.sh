#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# State files as interchange: split the demo week in two by (shop, buyer),
# `shop_report --save-state` each part, `csm_merge` both; the JSON equals
# shop_report's on the whole (the "input" counts aside: csm_merge reports
# the events the states accepted). Also checks that --threads 4 saves the
# same state bytes as --threads 1.
#   run_csm_merge_test.sh EXAMPLES_BIN_DIR
set -euo pipefail
bin="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$bin/demo_week_csv" > "$tmp/demo.csv"
# The demo's rows are one line each, one shop; order-keyed rows follow their order's buyer.
awk -F, -v a="$tmp/a.csv" -v b="$tmp/b.csv" '
  NR == 1 { print > a; print > b; next }
  { key = $4
    if ($2 == "order") owner[$6] = $4
    if (key == "" && ($6 in owner)) key = owner[$6]
    h = 0; for (i = 1; i <= length(key); i++) h = (h * 31 + index("0123456789abcdefghijklmnopqrstuvwxyz_-", substr(key, i, 1))) % 1000003
    print > ((h % 2) ? a : b) }' "$tmp/demo.csv"
"$bin/shop_report" --format json --save-state "$tmp/whole1.bin" "$tmp/demo.csv" > "$tmp/want.json"
"$bin/shop_report" --threads 4 --format json --save-state "$tmp/whole4.bin" "$tmp/demo.csv" > "$tmp/want4.json"
cmp "$tmp/want.json" "$tmp/want4.json"
cmp "$tmp/whole1.bin" "$tmp/whole4.bin"
"$bin/shop_report" --format json --save-state "$tmp/a.bin" "$tmp/a.csv" > /dev/null
"$bin/shop_report" --format json --save-state "$tmp/b.bin" "$tmp/b.csv" > /dev/null
"$bin/csm_merge" --format json "$tmp/a.bin" "$tmp/b.bin" > "$tmp/got.json"
"$bin/csm_merge" --format json "$tmp/b.bin" "$tmp/a.bin" > "$tmp/got_ba.json"
strip() { sed -E 's/^\{"input":\{[^}]*\{[^}]*\}\},//' "$1"; }
cmp <(strip "$tmp/want.json") <(strip "$tmp/got.json")
cmp "$tmp/got.json" "$tmp/got_ba.json"
echo "ok csm_merge of two (shop, buyer) halves = shop_report on the whole; --threads 4 state = --threads 1 state"
