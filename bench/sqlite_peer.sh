#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/sqlite_peer.sh: shop_report against what a user would otherwise do.
# Generates an event log with gen_events (~1 GB, 16 M rows; --quick: 300 k
# rows), then times
#   (a) shop_report --format json events.csv          (every metric)
#   (b) sqlite3 :memory: importing the CSV and computing per shop the core
#       figures with SQL: message counts, answer ratio, answered bursts and
#       mean response time (clock from the first buyer message of a burst to
#       the next agent message, at most 24 h: the sessions rule), visits,
#       orders, revenue, AOV, DSR count/sum per dimension
# and checks, shop by shop, that both give the same figures (counts and money
# exactly, means to 1e-6 relative). The SQL follows the sessions rules of
# max_wait = 24 h: a burst waiting longer expires and a later buyer message
# starts a new one (a recursive CTE). Goal (issue 8): (a) >= 20x faster than (b).
#
#   bench/sqlite_peer.sh [--quick] [--build-dir DIR] [--events N] [--keep]
#
# Needs: sqlite3 (Debian package sqlite3), the Release build of gen_events and
# shop_report in DIR (default build/bench; bench/run builds them).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
peer_name=sqlite_peer
events=16000000 shops=500 quick_events=300000 quick_shops=50
. "$here/peer_common.sh"   # the options, tools and log both peers share
peer_options "$@"
peer_tools
command -v sqlite3 >/dev/null || { echo "sqlite_peer: sqlite3 missing (apt-get install sqlite3)" >&2; exit 1; }

work="$build/peer"
mkdir -p "$work"
peer_log "$work/events_${events}.csv"

now() { date +%s.%N; }
# measure FILE CMD...: runs CMD, writes "peak-RSS-KiB user-s sys-s" to FILE
# (GNU time, Debian package `time`; without it CPU = wall and RSS unknown).
measure() {
  local out="$1"; shift
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M %U %S' -o "$out" "$@"
  else
    local a b; a=$(now); "$@"; b=$(now)
    awk -v a="$a" -v b="$b" 'BEGIN { printf "0 %.2f 0\n", b - a }' > "$out"
  fi
}

# (a) shop_report
t0=$(now)
measure "$work/report.rss" "$report" --format json "$csv" > "$work/report.json"
t1=$(now)

# (b) SQLite, in memory (its fastest setting), the same figures
cat > "$work/peer.sql" <<EOF
.output /dev/null
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
.output stdout
CREATE TABLE ev(time TEXT, type TEXT, shop TEXT, buyer TEXT, agent TEXT, ord TEXT, amount TEXT, score TEXT, tag TEXT);
.import --csv --skip 1 '$csv' ev
CREATE TABLE fig AS
SELECT shop,
  SUM(type = 'visit') AS visits,
  SUM(type = 'buyer_msg') AS buyer_messages,
  SUM(type = 'agent_msg') AS agent_messages,
  SUM(type = 'auto_msg') AS auto_messages,
  SUM(type = 'order') AS orders,
  SUM(type = 'order' AND amount <> '') AS orders_with_amount,
  SUM(CASE WHEN type = 'order' AND amount <> '' THEN CAST(ROUND(amount * 100) AS INTEGER) ELSE 0 END) AS revenue_cents,
  SUM(type = 'dsr' AND tag = 'item') AS dsr_item_n,
  SUM(CASE WHEN type = 'dsr' AND tag = 'item' THEN CAST(score AS INTEGER) ELSE 0 END) AS dsr_item_sum,
  SUM(type = 'dsr' AND tag = 'service') AS dsr_service_n,
  SUM(CASE WHEN type = 'dsr' AND tag = 'service' THEN CAST(score AS INTEGER) ELSE 0 END) AS dsr_service_sum,
  SUM(type = 'dsr' AND tag = 'logistics') AS dsr_logistics_n,
  SUM(CASE WHEN type = 'dsr' AND tag = 'logistics' THEN CAST(score AS INTEGER) ELSE 0 END) AS dsr_logistics_sum
FROM ev GROUP BY shop;
-- Messages of each (shop, buyer) in order; k = agent messages before the row,
-- so agent message k answers the buyer messages of group k.
CREATE TABLE g AS
WITH m AS (
  SELECT rowid AS rid, shop, buyer, type, julianday(time) * 86400.0 AS ts FROM ev
  WHERE type IN ('buyer_msg', 'agent_msg'))
SELECT shop, buyer, type, ts,
  COALESCE(SUM(type = 'agent_msg') OVER (PARTITION BY shop, buyer ORDER BY ts, rid
                                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS k
FROM m;
CREATE TABLE gb AS SELECT shop, buyer, k, ts FROM g WHERE type = 'buyer_msg';
CREATE INDEX gb_i ON gb(shop, buyer, k, ts);
-- Burst clock starts: the group's first buyer message, then (max_wait = 24 h)
-- the first one more than 24 h after the previous start, and so on.
CREATE TABLE starts AS
WITH RECURSIVE c(shop, buyer, k, s) AS (
  SELECT shop, buyer, k, MIN(ts) FROM gb GROUP BY shop, buyer, k
  UNION ALL
  SELECT c.shop, c.buyer, c.k,
    (SELECT MIN(ts) FROM gb WHERE gb.shop = c.shop AND gb.buyer = c.buyer AND gb.k = c.k AND gb.ts > c.s + 86400.0)
  FROM c WHERE EXISTS
    (SELECT 1 FROM gb WHERE gb.shop = c.shop AND gb.buyer = c.buyer AND gb.k = c.k AND gb.ts > c.s + 86400.0))
SELECT * FROM c;
CREATE INDEX starts_i ON starts(shop, buyer, k, s);
-- An agent message answers the latest burst started before it, within 24 h.
CREATE TABLE resp AS
WITH answers AS (
  SELECT a.shop AS shop,
    a.ts - (SELECT MAX(s) FROM starts st WHERE st.shop = a.shop AND st.buyer = a.buyer AND st.k = a.k AND st.s <= a.ts) AS r
  FROM g a WHERE a.type = 'agent_msg')
SELECT shop, COUNT(CASE WHEN r <= 86400.0 THEN 1 END) AS answered, AVG(CASE WHEN r <= 86400.0 THEN r END) AS mean_response_s
FROM answers GROUP BY shop;
.mode csv
.headers on
.output '$work/sqlite.csv'
SELECT f.shop, f.visits, f.buyer_messages, f.agent_messages, f.auto_messages,
  COALESCE(r.answered, 0) AS answered, r.mean_response_s,
  f.orders, f.orders_with_amount, f.revenue_cents,
  f.dsr_item_n, f.dsr_item_sum, f.dsr_service_n, f.dsr_service_sum, f.dsr_logistics_n, f.dsr_logistics_sum
FROM fig f LEFT JOIN resp r ON r.shop = f.shop ORDER BY f.shop;
EOF
t2=$(now)
measure "$work/sqlite.rss" sqlite3 :memory: < "$work/peer.sql"
t3=$(now)

# The check: shop_report's JSON and SQLite's CSV, side by side (in sqlite3, off the clock).
cat > "$work/check.sql" <<EOF
CREATE TABLE s(shop TEXT, visits INT, buyer_messages INT, agent_messages INT, auto_messages INT, answered INT,
  mean_response_s REAL, orders INT, orders_with_amount INT, revenue_cents INT, dsr_item_n INT, dsr_item_sum INT,
  dsr_service_n INT, dsr_service_sum INT, dsr_logistics_n INT, dsr_logistics_sum INT);
.import --csv --skip 1 '$work/sqlite.csv' s
CREATE TABLE j AS SELECT key AS shop,
  json_extract(value, '\$.traffic.visits') AS visits,
  json_extract(value, '\$.sessions.buyer_messages') AS buyer_messages,
  json_extract(value, '\$.sessions.agent_messages') AS agent_messages,
  json_extract(value, '\$.sessions.auto_messages') AS auto_messages,
  json_extract(value, '\$.sessions.response_s.count') AS answered,
  json_extract(value, '\$.sessions.response_s.mean') AS mean_response_s,
  json_extract(value, '\$.orders.orders') AS orders,
  json_extract(value, '\$.orders.revenue') AS revenue,
  json_extract(value, '\$.orders.aov_per_order') AS aov,
  json_extract(value, '\$.ratings.dsr_180d.item.count') AS dsr_item_n,
  json_extract(value, '\$.ratings.dsr_180d.item.sum') AS dsr_item_sum,
  json_extract(value, '\$.ratings.dsr_180d.service.count') AS dsr_service_n,
  json_extract(value, '\$.ratings.dsr_180d.service.sum') AS dsr_service_sum,
  json_extract(value, '\$.ratings.dsr_180d.logistics.count') AS dsr_logistics_n,
  json_extract(value, '\$.ratings.dsr_180d.logistics.sum') AS dsr_logistics_sum
FROM json_each(readfile('$work/report.json'), '\$.shops');
.mode list
.separator ' '
SELECT 'shops', (SELECT COUNT(*) FROM s), (SELECT COUNT(*) FROM j);
SELECT 'totals(sqlite): visits', SUM(visits), 'buyer_msgs', SUM(buyer_messages), 'agent_msgs', SUM(agent_messages),
  'answer_ratio', ROUND(CAST(SUM(agent_messages) AS REAL) / SUM(buyer_messages), 4), 'answered', SUM(answered),
  'mean_response_s', ROUND(SUM(mean_response_s * answered) / SUM(answered), 3), 'orders', SUM(orders),
  'revenue', SUM(revenue_cents) / 100.0, 'aov', ROUND(SUM(revenue_cents) / 100.0 / SUM(orders_with_amount), 2),
  'dsr_item', ROUND(CAST(SUM(dsr_item_sum) AS REAL) / SUM(dsr_item_n), 4) FROM s;
SELECT 'totals(csmetrics): visits', SUM(visits), 'buyer_msgs', SUM(buyer_messages), 'agent_msgs', SUM(agent_messages),
  'answer_ratio', ROUND(CAST(SUM(agent_messages) AS REAL) / SUM(buyer_messages), 4), 'answered', SUM(answered),
  'mean_response_s', ROUND(SUM(mean_response_s * answered) / SUM(answered), 3), 'orders', SUM(orders),
  'revenue', ROUND(SUM(CAST(revenue AS REAL)), 2), 'dsr_item', ROUND(CAST(SUM(dsr_item_sum) AS REAL) / SUM(dsr_item_n), 4) FROM j;
CREATE TABLE diff AS SELECT s.shop AS shop, 'mismatch' AS what FROM s LEFT JOIN j ON j.shop = s.shop
WHERE j.shop IS NULL OR s.visits <> j.visits OR s.buyer_messages <> j.buyer_messages
  OR s.agent_messages <> j.agent_messages OR s.auto_messages <> j.auto_messages OR s.answered <> j.answered
  OR (s.answered > 0 AND ABS(s.mean_response_s - j.mean_response_s) > 1e-6 * ABS(s.mean_response_s) + 1e-4)
  OR s.orders <> j.orders OR s.revenue_cents <> CAST(ROUND(CAST(j.revenue AS REAL) * 100) AS INTEGER)
  OR (s.orders_with_amount > 0 AND ABS(CAST(s.revenue_cents AS REAL) / s.orders_with_amount / 100.0 - CAST(j.aov AS REAL)) > 0.0051)
  OR s.dsr_item_n <> COALESCE(j.dsr_item_n, 0) OR s.dsr_item_sum <> COALESCE(j.dsr_item_sum, 0)
  OR s.dsr_service_n <> COALESCE(j.dsr_service_n, 0) OR s.dsr_service_sum <> COALESCE(j.dsr_service_sum, 0)
  OR s.dsr_logistics_n <> COALESCE(j.dsr_logistics_n, 0) OR s.dsr_logistics_sum <> COALESCE(j.dsr_logistics_sum, 0);
SELECT 'mismatching shops', COUNT(*) FROM diff;
SELECT 'first mismatches:', group_concat(shop, ' ') FROM (SELECT shop FROM diff LIMIT 5);
EOF
sqlite3 :memory: < "$work/check.sql" | tee "$work/check.txt"

read -r rr ru rs < "$work/report.rss"
read -r sr su ss < "$work/sqlite.rss"
awk -v b="$bytes" -v a0="$t0" -v a1="$t1" -v s0="$t2" -v s1="$t3" -v n="$events" \
    -v rr="$rr" -v ru="$ru" -v rs="$rs" -v sr="$sr" -v su="$su" -v ss="$ss" 'BEGIN {
  ta = a1 - a0; ts = s1 - s0; ca = ru + rs; cs = su + ss;
  printf "input: %d events, %.1f MB\n", n, b / 1e6;
  printf "%-26s %9s %9s %10s %12s %10s\n", "", "wall s", "CPU s", "MB/s(CPU)", "Mevents/s", "peak RSS";
  printf "%-26s %9.2f %9.2f %10.1f %12.2f %8.0f MB\n", "shop_report --format json", ta, ca, b / ca / 1e6, n / ca / 1e6, rr / 1024;
  printf "%-26s %9.2f %9.2f %10.1f %12.2f %8.0f MB\n", "sqlite3 (import + SQL)", ts, cs, b / cs / 1e6, n / cs / 1e6, sr / 1024;
  printf "speedup: %.1fx wall, %.1fx CPU (goal >= 20x)\n", ts / ta, cs / ca;
}'
if ! grep -q '^mismatching shops 0$' "$work/check.txt"; then
  echo "sqlite_peer: FIGURES DIFFER (see $work/check.txt, $work/report.json, $work/sqlite.csv)" >&2
  status=1
else
  echo "figures agree on every shop"
  status=0
fi
[ $keep = 1 ] || rm -f "$work/report.json"
exit $status
