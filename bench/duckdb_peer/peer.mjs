// SPDX-License-Identifier: Apache-2.0
// bench/duckdb_peer/peer.mjs: the DuckDB side of bench/duckdb_peer.sh.
//
//   node peer.mjs EVENTS.csv [--threads N]        per-shop figures as JSON on stdout
//   node peer.mjs --check REPORT.json DUCKDB.json  compare with shop_report, shop by shop
//
// The figures, per shop, from an in-memory DuckDB and SQL only (no row-by-row
// JavaScript): orders and revenue (DECIMAL(18,2), exact), buyer and agent
// messages, answered bursts and the mean response time under the sessions
// rule of csmetrics (include/csmetrics/sessions/sessions.hpp, max_wait = 24 h), the
// share answered within 45 s, p50/p90 of the response times (quantile_cont),
// and inquiry conversion (buyers with a buyer_msg on a local day, UTC+8, who
// ordered later in the stream on that day .. day + 3: a range join).
//
// The sessions rule in SQL: the messages of a (shop, buyer) conversation in
// stream order; k = the agent messages before a row (a window). Buyer
// messages with the same k form the group that agent message number k (the
// one with k agent messages before it) replies to. A burst's clock starts at
// the group's first buyer message; a buyer message more than 24 h after the
// clock start finds the burst expired and starts a new one, so the reply
// answers the group's last clock start (a fold over the group's times,
// list_reduce, computed only for groups spanning more than 24 h) if it comes
// at most 24 h after it, else nothing. The 10-minute session gap and local
// midnight only split conversations (not compared: they do not move the
// response samples, since a new conversation opens only when nothing
// waits); auto replies never stop the clock, so they are left out.
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const MAX_WAIT_US = 86400n * 1000000n;  // 24 h
const DAY_OFFSET_US = 8n * 3600n * 1000000n;  // shops' days at UTC+8
const ATTRIBUTION_DAYS = 3;

function usage() {
  process.stderr.write('usage: node peer.mjs EVENTS.csv [--threads N] | --check REPORT.json DUCKDB.json\n');
  process.exit(2);
}

async function figures(csv, threads) {
  const options = threads ? { threads: String(threads) } : {};
  const db = await DuckDBInstance.create(':memory:', options);
  const con = await db.connect();
  const path = csv.replace(/'/g, "''");
  const steps = [
    // Load: explicit types, no sniffing; rowid keeps the file (stream) order.
    `CREATE TABLE ev AS SELECT * FROM read_csv('${path}', header = true, auto_detect = false, delim = ',',
       quote = '"', escape = '"', columns = {'time': 'TIMESTAMPTZ', 'type': 'VARCHAR', 'shop': 'VARCHAR',
       'buyer': 'VARCHAR', 'agent': 'VARCHAR', 'order': 'VARCHAR', 'amount': 'DECIMAL(18,2)',
       'score': 'INTEGER', 'tag': 'VARCHAR'})`,
    `CREATE TABLE fig AS SELECT shop,
       count(*) FILTER (WHERE type = 'order') AS orders,
       count(amount) FILTER (WHERE type = 'order') AS orders_with_amount,
       COALESCE(sum(amount) FILTER (WHERE type = 'order'), 0)::DECIMAL(38,2) AS revenue,
       count(*) FILTER (WHERE type = 'buyer_msg') AS buyer_messages,
       count(*) FILTER (WHERE type = 'agent_msg') AS agent_messages
     FROM ev GROUP BY shop`,
    // Messages in stream order; k = agent messages before the row.
    `CREATE TABLE m AS SELECT shop, buyer, type = 'agent_msg' AS is_agent, epoch_us(time) AS t,
       COALESCE(count(*) FILTER (WHERE type = 'agent_msg') OVER (PARTITION BY shop, buyer ORDER BY time, rowid
         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS k
     FROM ev WHERE type IN ('buyer_msg', 'agent_msg')`,
    // One row per group: its buyer messages and the agent message replying to them.
    `CREATE TABLE g AS SELECT shop, buyer, k,
       min(t) FILTER (WHERE NOT is_agent) AS first_t, max(t) FILTER (WHERE NOT is_agent) AS last_t,
       min(t) FILTER (WHERE is_agent) AS reply
     FROM m GROUP BY shop, buyer, k HAVING count(*) FILTER (WHERE NOT is_agent) > 0`,
    // Groups spanning more than max_wait: the last clock start by the chain rule.
    `CREATE TABLE long_start AS SELECT m.shop, m.buyer, m.k,
       list_reduce(list(m.t ORDER BY m.t), lambda s, x: CASE WHEN x - s > ${MAX_WAIT_US} THEN x ELSE s END) AS start
     FROM m JOIN g USING (shop, buyer, k)
     WHERE NOT m.is_agent AND g.last_t - g.first_t > ${MAX_WAIT_US} GROUP BY m.shop, m.buyer, m.k`,
    `CREATE TABLE resp AS SELECT g.shop, (g.reply - COALESCE(l.start, g.first_t)) / 1e6 AS r
     FROM g LEFT JOIN long_start l USING (shop, buyer, k)
     WHERE g.reply IS NOT NULL AND g.reply - COALESCE(l.start, g.first_t) <= ${MAX_WAIT_US}`,
    `CREATE TABLE rs AS SELECT shop, count(*) AS answered, avg(r) AS mean_response_s,
       count(*) FILTER (WHERE r <= 45) AS within_45s_n,
       quantile_cont(r, 0.5) AS p50, quantile_cont(r, 0.9) AS p90
     FROM resp GROUP BY shop`,
    // Inquiry conversion: (shop, buyer, local day) cohorts, converted by a later order on day .. day + 3.
    `CREATE TABLE inq AS SELECT shop, buyer, (epoch_us(time) + ${DAY_OFFSET_US}) // 86400000000 AS d,
       min(rowid) AS first_row
     FROM ev WHERE type = 'buyer_msg' GROUP BY ALL`,
    `CREATE TABLE ord AS SELECT shop, buyer, (epoch_us(time) + ${DAY_OFFSET_US}) // 86400000000 AS d, rowid AS row
     FROM ev WHERE type = 'order'`,
    `CREATE TABLE conv AS SELECT shop, count(*) AS inquired, count(*) FILTER (WHERE final) AS ordered_final,
       count(*) FILTER (WHERE same_day) AS ordered_same_day
     FROM (SELECT i.shop, i.buyer, i.d, bool_or(o.row IS NOT NULL) AS final, bool_or(o.d = i.d) AS same_day
           FROM inq i LEFT JOIN ord o ON o.shop = i.shop AND o.buyer = i.buyer
             AND o.d BETWEEN i.d AND i.d + ${ATTRIBUTION_DAYS} AND o.row > i.first_row
           GROUP BY i.shop, i.buyer, i.d)
     GROUP BY shop`,
  ];
  for (const sql of steps) await con.run(sql);
  const reader = await con.runAndReadAll(`SELECT f.shop,
       f.orders::DOUBLE AS orders, f.orders_with_amount::DOUBLE AS orders_with_amount, f.revenue::VARCHAR AS revenue,
       f.buyer_messages::DOUBLE AS buyer_messages, f.agent_messages::DOUBLE AS agent_messages,
       COALESCE(r.answered, 0)::DOUBLE AS answered, r.mean_response_s,
       r.within_45s_n::DOUBLE / r.answered AS within_45s, r.p50, r.p90,
       COALESCE(c.inquired, 0)::DOUBLE AS inquired, COALESCE(c.ordered_final, 0)::DOUBLE AS ordered_final,
       COALESCE(c.ordered_same_day, 0)::DOUBLE AS ordered_same_day,
       c.ordered_final::DOUBLE / c.inquired AS inquiry_conversion
     FROM fig f LEFT JOIN rs r USING (shop) LEFT JOIN conv c USING (shop) ORDER BY f.shop`);
  const shops = {};
  for (const row of reader.getRowObjectsJS()) {
    const { shop, ...rest } = row;
    shops[shop] = rest;
  }
  return { shops };
}

// Money text ("195143.32", "0.5", "1200") as integer cents.
function cents(text) {
  if (text === undefined || text === null) return 0n;
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(String(text));
  if (!m) throw new Error(`bad money ${text}`);
  const v = BigInt(m[2]) * 100n + BigInt((m[3] || '').padEnd(2, '0') || '0');
  return m[1] ? -v : v;
}

function check(reportFile, duckFile) {
  const report = JSON.parse(readFileSync(reportFile, 'utf8')).shops;
  const duck = JSON.parse(readFileSync(duckFile, 'utf8')).shops;
  const rel = (a, b) => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-300);
  const bad = [];
  let quantiles = 0, worstP50 = 0, worstP90 = 0, within = 0;
  const tot = { orders: 0, revenue: 0n, buyer: 0, agent: 0, answered: 0, sum: 0, inquired: 0, ordered: 0 };
  const totR = { orders: 0, revenue: 0n, buyer: 0, agent: 0, answered: 0, sum: 0, inquired: 0, ordered: 0 };
  const ids = new Set([...Object.keys(report), ...Object.keys(duck)]);
  for (const id of ids) {
    const d = duck[id], r = report[id];
    if (!d || !r) { bad.push(`${id}: only in ${d ? 'duckdb' : 'shop_report'}`); continue; }
    const s = r.sessions || {}, o = r.orders || {}, rs = s.response_s || {};
    const why = [];
    const exact = (name, a, b) => { if (a !== b) why.push(`${name} ${a} vs ${b}`); };
    exact('orders', d.orders, o.orders ?? 0);
    exact('revenue', cents(d.revenue), cents(o.revenue ?? '0'));
    exact('buyer_messages', d.buyer_messages, s.buyer_messages ?? 0);
    exact('agent_messages', d.agent_messages, s.agent_messages ?? 0);
    exact('answered', d.answered, rs.count ?? 0);
    exact('inquired', d.inquired, o.inquired ?? 0);
    exact('ordered_final', d.ordered_final, o.ordered_final ?? 0);
    exact('ordered_same_day', d.ordered_same_day, o.ordered_same_day ?? 0);
    if (d.answered > 0) {
      if (!(rel(d.mean_response_s, rs.mean) <= 1e-6)) why.push(`mean_response_s ${d.mean_response_s} vs ${rs.mean}`);
      // within_45s is an exact count in both; shop_report prints 10 digits.
      if (!(Math.abs(d.within_45s - rs.within_45s) <= 1e-9)) why.push(`within_45s ${d.within_45s} vs ${rs.within_45s}`);
      within += 1;
      // p50/p90: a 1 % sketch against quantile_cont: reported, compared loosely (10 %).
      if (d.answered >= 100) {
        quantiles += 1;
        worstP50 = Math.max(worstP50, rel(d.p50, rs.p50));
        worstP90 = Math.max(worstP90, rel(d.p90, rs.p90));
        if (!(rel(d.p50, rs.p50) <= 0.10)) why.push(`p50 ${d.p50} vs ${rs.p50}`);
        if (!(rel(d.p90, rs.p90) <= 0.10)) why.push(`p90 ${d.p90} vs ${rs.p90}`);
      }
    }
    if (why.length) bad.push(`${id}: ${why.join(', ')}`);
    for (const [t, x] of [[tot, d], [totR, null]]) {
      const sx = x ?? { orders: o.orders ?? 0, revenue: o.revenue ?? '0', buyer_messages: s.buyer_messages ?? 0,
        agent_messages: s.agent_messages ?? 0, answered: rs.count ?? 0, mean_response_s: rs.mean ?? 0,
        inquired: o.inquired ?? 0, ordered_final: o.ordered_final ?? 0 };
      t.orders += sx.orders; t.revenue += cents(sx.revenue); t.buyer += sx.buyer_messages; t.agent += sx.agent_messages;
      t.answered += sx.answered; t.sum += sx.answered ? sx.mean_response_s * sx.answered : 0;
      t.inquired += sx.inquired; t.ordered += sx.ordered_final;
    }
  }
  const line = (name, t) => console.log(`totals(${name}): orders ${t.orders} revenue ${(Number(t.revenue) / 100).toFixed(2)}`
    + ` buyer_msgs ${t.buyer} agent_msgs ${t.agent} answered ${t.answered}`
    + ` mean_response_s ${(t.sum / t.answered).toFixed(3)} inquiry_conversion ${(t.ordered / t.inquired).toFixed(4)}`);
  console.log(`shops ${Object.keys(duck).length} ${Object.keys(report).length}`);
  line('duckdb', tot);
  line('csmetrics', totR);
  console.log(`quantiles (${quantiles} shops with >= 100 samples): worst p50 ${(worstP50 * 100).toFixed(2)} %,`
    + ` p90 ${(worstP90 * 100).toFixed(2)} % relative`);
  console.log(`mismatching shops ${bad.length}`);
  for (const b of bad.slice(0, 5)) console.log(`  ${b}`);
  return bad.length === 0;
}

const args = process.argv.slice(2);
if (args[0] === '--check') {
  if (args.length !== 3) usage();
  process.exit(check(args[1], args[2]) ? 0 : 1);
} else {
  let csv, threads;
  for (let i = 0; i < args.length; ++i) {
    if (args[i] === '--threads') threads = Number(args[++i]);
    else if (!csv && !args[i].startsWith('--')) csv = args[i];
    else usage();
  }
  if (!csv || (threads !== undefined && !(threads >= 1))) usage();
  const out = await figures(csv, threads);
  process.stdout.write(JSON.stringify(out) + '\n');
}
