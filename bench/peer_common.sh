# SPDX-License-Identifier: Apache-2.0
# File: bench/peer_common.sh
#
# What the two peer comparisons, bench/duckdb_peer.sh and bench/sqlite_peer.sh,
# share: their common options, finding gen_events and shop_report in the
# build, and generating the event log once. Sourced (not run) by both, which
# first set `here` (the bench folder), `peer_name` (for messages), their
# defaults `events`, `shops`, `quick_events` and `quick_shops`, and
# `peer_value_options` (their own options taking a value, as variable names).
# Sets `root`, `build` (default build/bench), `days` (30) and `keep` (0).
#
#   peer_options "$@"   --quick, --build-dir DIR, --events N, --keep,
#                       -h|--help (prints the script's header comment), and
#                       --NAME VALUE for every NAME in $peer_value_options
#                       (sets the variable NAME)
#   peer_tools          sets `gen` and `report` (an error when one is missing)
#   peer_log CSV        sets `csv` and `bytes`; generates the log (seed 7,
#                       $events events, $shops shops over $days days) unless
#                       CSV is there and newer than gen_events

root="$(cd "$here/.." && pwd)"
build="$root/build/bench"
days=30
keep=0

peer_options() {
  local name
  while [ $# -gt 0 ]; do
    case "$1" in
      --quick) events=$quick_events; shops=$quick_shops ;;
      --build-dir) build="$(realpath -m "$2")"; shift ;;
      --events) events="$2"; shift ;;
      --keep) keep=1 ;;
      -h|--help) sed -n '3,/^[^#]/{/^#/p}' "$0"; exit 0 ;;
      *)
        name="${1#--}"
        if [ "$name" = "$1" ] || [ -z "$name" ] || [[ " ${peer_value_options-} " != *" $name "* ]]; then
          echo "$peer_name: unknown option $1" >&2
          exit 2
        fi
        printf -v "$name" '%s' "$2"
        shift ;;
    esac
    shift
  done
}

peer_tools() {
  gen="$build/bench/gen_events"
  report="$build/examples/shop_report"
  local x
  for x in "$gen" "$report"; do
    [ -x "$x" ] || { echo "$peer_name: $x missing (run bench/run first)" >&2; exit 1; }
  done
}

peer_log() {
  csv="$1"
  if [ ! -s "$csv" ] || [ "$gen" -nt "$csv" ]; then   # reuse the CSV only if gen_events is older
    echo "$peer_name: generating $events events -> $csv" >&2
    "$gen" --events "$events" --seed 7 --shops "$shops" --days "$days" --out "$csv.tmp"
    mv "$csv.tmp" "$csv"
  fi
  bytes=$(stat -c %s "$csv")
}
