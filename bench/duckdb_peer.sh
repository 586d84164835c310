#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/duckdb_peer.sh: shop_report against DuckDB, the analyst's usual tool.
# Generates an event log with gen_events (1 M rows, 100 shops; --quick: 200 k
# rows, 20 shops), then times, R times each, alternating (a) (b) (a) (b) ...
#   (a) shop_report --threads N --format json --no-progress events.csv
#   (b) node duckdb_peer/peer.mjs: DuckDB in memory (N threads) loading the CSV
#       with explicit column types and computing per shop with SQL: orders,
#       revenue (DECIMAL(18,2)), buyer/agent messages, answered bursts and mean
#       response time (the sessions rule: clock from the first unanswered buyer
#       message of a (shop, buyer) conversation to the next agent message; a
#       burst waiting over 24 h is unanswered and a later buyer message starts
#       a new one; window functions), share within 45 s, p50/p90 (quantile_cont)
#       and inquiry conversion (a range join: ordered on day .. day + 3)
# and prints the medians of wall time (/usr/bin/time %e), CPU and peak RSS (%M)
# and the ratio DuckDB / shop_report. Then it checks, shop by shop, off the
# clock: orders, revenue to the cent, buyer and agent messages, answered
# bursts, inquired / ordered_final / ordered_same_day exactly, mean response to
# 1e-6 relative, within_45s to 1e-9; p50/p90 only loosely (shop_report's are
# from a 1 % quantile sketch, DuckDB's interpolate: 10 % relative, shops with
# >= 100 samples). Not compared: conversations (the 10-minute gap and midnight
# split only group messages, they move no response sample) and auto replies
# (they never stop the clock); the log is in time order, so no row is
# rejected as out of order.
#
#   bench/duckdb_peer.sh [--quick] [--build-dir DIR] [--events N] [--threads N]
#                        [--repetitions R] [--keep]
#
# Needs: the Release build of gen_events and shop_report in DIR (default
# build/bench; bench/run builds them). Installs what else it needs: Debian
# nodejs, npm and time (apt-get, as root) when missing, and @duckdb/node-api
# into bench/duckdb_peer/node_modules (npm ci from package-lock.json).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
peer_name=duckdb_peer
events=1000000 shops=100 quick_events=200000 quick_shops=20
threads=2 repetitions=3 peer_value_options="threads repetitions"
. "$here/peer_common.sh"   # the options, tools and log both peers share
peer_options "$@"
case "$events$threads$repetitions" in *[!0-9]*) echo "duckdb_peer: --events, --threads and --repetitions take numbers" >&2; exit 2 ;; esac
[ "$threads" -ge 1 ] && [ "$repetitions" -ge 1 ] || { echo "duckdb_peer: --threads and --repetitions must be >= 1" >&2; exit 2; }
peer_tools

# Debian packages when missing (root; the package lists are refreshed once if the install fails).
apt_install() {
  echo "duckdb_peer: apt-get install -y $*" >&2
  apt-get install -y "$@" >&2 || { apt-get update >&2 && apt-get install -y "$@" >&2; }
}
missing=()
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
[ -x /usr/bin/time ] || missing+=(time)
[ ${#missing[@]} = 0 ] || apt_install "${missing[@]}"
# @duckdb/node-api (native DuckDB inside the npm package), pinned by package-lock.json.
peer="$here/duckdb_peer"
if [ ! -f "$peer/package-lock.json" ]; then
  (cd "$peer" && npm install --no-audit --no-fund >&2)
elif [ ! -d "$peer/node_modules/@duckdb/node-api" ] || [ "$peer/package-lock.json" -nt "$peer/node_modules/.package-lock.json" ]; then
  (cd "$peer" && npm ci --no-audit --no-fund >&2)
fi

work="$build/duckdb_peer"
mkdir -p "$work"
peer_log "$work/events_${events}_${shops}.csv"

# measure FILE CMD...: runs CMD, appends "wall-s peak-RSS-KiB user-s sys-s" to FILE (GNU time).
measure() {
  local out="$1"; shift
  /usr/bin/time -f '%e %M %U %S' -o "$out.one" "$@"
  tail -n 1 "$out.one" >> "$out"
}

rm -f "$work/report.times" "$work/duckdb.times"
for ((i = 1; i <= repetitions; i++)); do
  echo "duckdb_peer: repetition $i/$repetitions" >&2
  # (a) shop_report
  measure "$work/report.times" "$report" --threads "$threads" --format json --no-progress "$csv" > "$work/report.json"
  # (b) DuckDB, in memory, the same figures
  measure "$work/duckdb.times" node "$peer/peer.mjs" "$csv" --threads "$threads" > "$work/duckdb.json"
done

# The check: shop_report's JSON and DuckDB's, side by side (off the clock).
status=0
node "$peer/peer.mjs" --check "$work/report.json" "$work/duckdb.json" > "$work/check.txt" || status=1
cat "$work/check.txt"

# median FILE COLUMN
median() { awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
cpu() { awk '{ print $3 + $4 }' "$1" > "$1.cpu"; median "$1.cpu" 1; }
awk -v b="$bytes" -v n="$events" -v r="$repetitions" -v th="$threads" \
    -v aw="$(median "$work/report.times" 1)" -v am="$(median "$work/report.times" 2)" -v ac="$(cpu "$work/report.times")" \
    -v dw="$(median "$work/duckdb.times" 1)" -v dm="$(median "$work/duckdb.times" 2)" -v dc="$(cpu "$work/duckdb.times")" 'BEGIN {
  printf "input: %d events, %.1f MB; %d thread(s), medians of %d runs\n", n, b / 1e6, th, r;
  printf "%-26s %9s %9s %10s %12s %10s\n", "", "wall s", "CPU s", "MB/s(wall)", "Mevents/s", "peak RSS";
  printf "%-26s %9.2f %9.2f %10.1f %12.2f %8.0f MB\n", "shop_report --threads " th, aw, ac, b / aw / 1e6, n / aw / 1e6, am / 1024;
  printf "%-26s %9.2f %9.2f %10.1f %12.2f %8.0f MB\n", "duckdb (node, load + SQL)", dw, dc, b / dw / 1e6, n / dw / 1e6, dm / 1024;
  printf "ratio duckdb/shop_report: %.1fx wall, %.1fx CPU, %.1fx peak RSS\n", dw / aw, dc / ac, dm / am;
}'
if [ $status != 0 ]; then
  echo "duckdb_peer: FIGURES DIFFER (see $work/check.txt, $work/report.json, $work/duckdb.json)" >&2
else
  echo "figures agree on every shop"
fi
[ $keep = 1 ] || rm -f "$work/report.json" "$work/duckdb.json" "$work"/*.times "$work"/*.times.one "$work"/*.times.cpu
exit $status
