#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end checks of shop_report, as a user runs it.

  check_report.py demo SHOP_REPORT         JSON of the demo week: fixed fields, types, seed figures
  check_report.py promtool SHOP_REPORT     the Prometheus output passes `promtool check metrics`
  check_report.py html SHOP_REPORT DIR     the HTML page renders in headless Chromium with its charts
  check_report.py real SHOP_REPORT FILE    JSON on a real log (../shared/data) against an independent
                                           computation here, in plain Python (exit 77 = skipped)
  check_report.py cli SHOP_REPORT          bad options and bad files give clear errors and exit codes
"""
import csv
import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal

SKIP = 77
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def report_json(binary, *args):
    p = run([binary, "--format", "json", "--no-progress", *args])
    if p.returncode != 0:
        sys.exit("shop_report failed: " + p.stderr)
    return json.loads(p.stdout)


MONEY = re.compile(r"^-?\d+\.\d\d$")


def walk_types(obj, path=""):
    """Rates in [0, 1] or null, money strings with 2 decimals, counts integers."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            walk_types(v, path + "/" + k)
        return
    key = path.rsplit("/", 1)[-1]
    if key in ("reply_rate", "inquiry_conversion", "inquiry_conversion_same_day", "payment_conversion",
               "cs_sales_share", "within_45s", "satisfied_share", "dispute_refund_rate_30d", "invite_rate",
               "satisfaction", "low_share"):
        check(obj is None or (isinstance(obj, (int, float)) and 0 <= obj <= 1), f"{path} is a rate: {obj!r}")
    elif key in ("revenue", "paid_revenue", "aov_per_order", "revenue_credited"):
        check(obj is None or (isinstance(obj, str) and MONEY.match(obj)), f"{path} is money: {obj!r}")
    elif key in ("count", "rows", "accepted", "skipped", "visits", "visitors", "orders", "buyers", "paid_orders",
                 "conversations", "buyer_messages", "agent_messages", "auto_messages", "answered", "unanswered",
                 "pending"):
        check(isinstance(obj, int) and obj >= 0, f"{path} is a count: {obj!r}")


def demo(binary):
    r = report_json(binary)
    required = {
        "input": ["rows", "accepted", "skipped", "skipped_by_reason"],
        "shop": ["as_of", "traffic", "sessions", "orders", "ratings"],
        "traffic": ["visits", "visitors"],
        "sessions": ["conversations", "buyer_messages", "agent_messages", "auto_messages", "answered", "unanswered",
                     "pending", "reply_rate", "answer_ratio", "response_s", "first_response_s"],
        "durations": ["count", "mean", "p50", "p90", "p99", "within_45s"],
        "orders": ["orders", "buyers", "paid_orders", "orders_without_amount", "revenue", "paid_revenue",
                   "aov_per_order", "inquiry_conversion", "payment_conversion", "cs_sales_share"],
        "ratings": ["dsr_180d", "aftersales_30d", "dispute_refund_rate_30d"],
    }
    check(set(required["input"]) <= set(r["input"]), "input fields")
    check(set(r) >= {"input", "shops", "agents"}, "top-level fields")
    s = r["shops"]["tmall-demo"]
    for group in ("shop", "traffic", "sessions", "orders", "ratings"):
        obj = s if group == "shop" else s[group]
        missing = set(required[group]) - set(obj)
        check(not missing, f"{group} lacks {sorted(missing)}")
    for d in ("response_s", "first_response_s"):
        check(set(required["durations"]) <= set(s["sessions"][d]), f"sessions.{d} fields")
    for dim in ("item", "service", "logistics"):
        check({"count", "mean"} <= set(s["ratings"]["dsr_180d"][dim]), f"dsr_180d.{dim} fields")
    check({"count", "satisfied_share"} <= set(s["ratings"]["aftersales_30d"]), "aftersales_30d fields")
    walk_types(r)
    o = s["orders"]
    check(o["inquired"] == 3873 and o["ordered_final"] == 1845 and o["ordered_same_day"] == 1808,
          "seed inquiry cohort 3873 / 1845 / 1808")
    check(f'{o["inquiry_conversion"] * 100:.2f}' == "47.64", "inquiry conversion 47.64 %")
    check(o["ordering_buyers"] == 1855 and o["paying_buyers"] == 1697, "seed payment cohort 1855 / 1697")
    check(f'{o["payment_conversion"] * 100:.2f}' == "91.48", "payment conversion 91.48 %")
    check(o["lost"] == 2028, "2028 lost inquiries")
    check(39 <= s["sessions"]["response_s"]["mean"] <= 66, "mean response within the source's 39-66 s")
    check(r["input"]["skipped"] == 0 and r["input"]["rows"] == r["input"]["accepted"], "demo rows all accepted")
    check(sorted(r["agents"]["tmall-demo"]) == ["ajie", "dawei", "lili", "xiaomei"], "four agents")
    # The text report shows the same figures with the seed's bars.
    t = run([binary, "--no-progress"]).stdout
    check("47.64 %" in t and "91.48 %" in t, "text shows 47.64 % and 91.48 %")
    check(re.search(r"answer/question ratio .*>= 130 %\s+(pass|FAIL)", t) is not None, "text marks the 130 % bar")
    d = report_json(binary, "--by", "day")
    days = d["shops"]["tmall-demo"]["days"]
    check(sum(v["buyer_messages"] for v in days.values()) == s["sessions"]["buyer_messages"],
          "--by day rows add up to the shop's buyer messages")


def promtool(binary):
    for args in ([], ["--by", "agent"]):
        p = run([binary, "--format", "prometheus", "--no-progress", *args])
        check(p.returncode == 0, "prometheus output")
        lint = run(["promtool", "check", "metrics"], input=p.stdout)
        check(lint.returncode == 0 and not lint.stdout.strip() and not lint.stderr.strip(),
              "promtool check metrics: " + lint.stdout + lint.stderr)
        check("csmetrics_response_seconds{shop=\"tmall-demo\",quantile=\"0.9\"}" in p.stdout, "p90 sample")
        check("csmetrics_agent_response_seconds_mean{shop=\"tmall-demo\",agent=\"lili\"}" in p.stdout, "agent sample")


def html(binary, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    page = os.path.join(out_dir, "report.html")
    p = run([binary, "--no-progress", "--html", page])
    check(p.returncode == 0, "shop_report --html")
    text = open(page, encoding="utf-8").read()
    check("<script" not in text and "http://" not in text and "https://" not in text,
          "self-contained: no scripts, no network")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
             "--disable-background-networking", "--enable-logging=stderr", "--v=0"]
    dom = run(["chromium", *flags, "--dump-dom", "file://" + os.path.abspath(page)], timeout=120)
    check(dom.returncode == 0, "chromium ran: " + dom.stderr[-500:])
    for chart in ("funnel", "response", "dsr", "agents"):
        check(f'id="{chart}"' in dom.stdout, f"rendered page has #{chart}")
    check(dom.stdout.count("<svg") >= 3, "three SVG charts")
    check(re.search(r"CONSOLE|Uncaught", dom.stderr) is None, "no console errors")
    shot = os.path.join(out_dir, "report.png")
    run(["chromium", *flags[:6], "--hide-scrollbars", "--window-size=900,2200", "--screenshot=" + shot,
         "file://" + os.path.abspath(page)], timeout=120)
    check(os.path.getsize(shot) > 10000 if os.path.exists(shot) else False, "screenshot written")


def parse_time(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def local_day(t, offset_h):
    return (t.astimezone(dt.timezone.utc) + dt.timedelta(hours=offset_h)).date()


def cents(x):
    return Decimal(x).quantize(Decimal("0.01"))


def real(binary, path):
    if not os.path.exists(path):
        print(f"SKIPPED: {path} is absent (the shared/ folder is not beside the project)")
        sys.exit(SKIP)
    name = os.path.basename(path)
    offset_h = {"olist-events.csv": -3, "taobao-events.csv": 8, "twcs-events.csv": 0}[name]
    offset_arg = f"{'+' if offset_h >= 0 else '-'}{abs(offset_h):02d}:00"
    r = report_json(binary, "--utc-offset", offset_arg, path)
    rows = list(csv.DictReader(open(path, newline="", encoding="utf-8")))
    check(r["input"]["rows"] == len(rows) and r["input"]["skipped"] == 0, f"{name}: all {len(rows)} rows read")
    by_shop = defaultdict(list)
    for row in rows:
        by_shop[row["shop"]].append(row)
    check(sorted(r["shops"]) == sorted(by_shop), f"{name}: the same shops")
    newest = max(parse_time(row["time"]) for row in rows)
    as_of = local_day(newest, offset_h)
    for shop, rs in by_shop.items():
        s = r["shops"][shop]
        kinds = Counter(x["type"] for x in rs)
        check(s["as_of"] == as_of.isoformat(), f"{name}/{shop}: as_of {as_of}")
        # Traffic.
        visits = [x for x in rs if x["type"] == "visit"]
        check(s["traffic"]["visits"] == len(visits), f"{name}/{shop}: visits")
        check(s["traffic"]["visitors"] == len({x["buyer"] for x in visits}), f"{name}/{shop}: visitors")
        # Sessions: message counts and the answer/question ratio.
        ss = s["sessions"]
        check(ss["buyer_messages"] == kinds["buyer_msg"], f"{name}/{shop}: buyer messages")
        check(ss["agent_messages"] == kinds["agent_msg"], f"{name}/{shop}: agent messages")
        if kinds["buyer_msg"]:
            check(abs(ss["answer_ratio"] - kinds["agent_msg"] / kinds["buyer_msg"]) < 1e-9, f"{name}/{shop}: answer ratio")
        # Orders: placed, buyers, revenue, AOV, paid.
        orders = {}
        for x in rs:
            if x["type"] == "order" and x["order"] not in orders:
                orders[x["order"]] = x
        o = s["orders"]
        check(o["orders"] == len(orders), f"{name}/{shop}: orders {o['orders']} vs {len(orders)}")
        check(o["buyers"] == len({x["buyer"] for x in orders.values()}), f"{name}/{shop}: ordering buyers")
        with_amount = [Decimal(x["amount"]) for x in orders.values() if x["amount"]]
        check(o["orders_without_amount"] == len(orders) - len(with_amount), f"{name}/{shop}: orders without amount")
        check(o["revenue"] == str(cents(sum(with_amount, Decimal(0)))), f"{name}/{shop}: revenue {o['revenue']}")
        if with_amount:
            aov = (sum(with_amount) / len(with_amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            check(o["aov_per_order"] == str(aov), f"{name}/{shop}: AOV {o['aov_per_order']} vs {aov}")
        paid = {}
        for x in rs:
            if x["type"] == "payment" and x["order"] in orders and x["order"] not in paid:
                paid[x["order"]] = x
        check(o["paid_orders"] == len(paid), f"{name}/{shop}: paid orders {o['paid_orders']} vs {len(paid)}")
        check(o["paid_revenue"] == str(cents(sum((Decimal(x["amount"]) for x in paid.values()), Decimal(0)))),
              f"{name}/{shop}: paid revenue")
        # Payment conversion: per order day, buyers with an order of that day paid within 72 h.
        ordering, paying = defaultdict(set), defaultdict(set)
        for oid, x in orders.items():
            t = parse_time(x["time"])
            d = local_day(t, offset_h)
            ordering[d].add(x["buyer"])
            if oid in paid and parse_time(paid[oid]["time"]) - t <= dt.timedelta(hours=72):
                paying[d].add(x["buyer"])
        n_ord = sum(len(v) for v in ordering.values())
        n_pay = sum(len(v) for v in paying.values())
        check(o["ordering_buyers"] == n_ord and o["paying_buyers"] == n_pay,
              f"{name}/{shop}: payment cohorts {o['paying_buyers']}/{o['ordering_buyers']} vs {n_pay}/{n_ord}")
        # Ratings: DSR item over the last 180 local days (first 3 per buyer and month), reviews over 30.
        cap = Counter()
        dsr = []
        for x in sorted((x for x in rs if x["type"] == "dsr" and x["tag"] == "item"), key=lambda x: parse_time(x["time"])):
            d = local_day(parse_time(x["time"]), offset_h)
            key = (x["buyer"], d.year, d.month)
            if x["buyer"]:
                cap[key] += 1
                if cap[key] > 3:
                    continue
            if (as_of - d).days < 180:
                dsr.append(int(x["score"]))
        item = s["ratings"]["dsr_180d"]["item"]
        check(item["count"] == len(dsr), f"{name}/{shop}: DSR item count {item['count']} vs {len(dsr)}")
        if dsr:
            check(abs(item["mean"] - sum(dsr) / len(dsr)) < 1e-9, f"{name}/{shop}: DSR item mean")
        reviews = [int(x["score"]) for x in rs
                   if x["type"] == "review" and (as_of - local_day(parse_time(x["time"]), offset_h)).days < 30]
        a = s["ratings"]["aftersales_30d"]
        check(a["count"] == len(reviews), f"{name}/{shop}: reviews in 30 days {a['count']} vs {len(reviews)}")
        if reviews:
            check(abs(a["satisfied_share"] - sum(v >= 4 for v in reviews) / len(reviews)) < 1e-9,
                  f"{name}/{shop}: after-sales satisfaction")
        else:
            check(a["satisfied_share"] is None, f"{name}/{shop}: no reviews gives null")


def cli(binary):
    p = run([binary, "--format", "xml"])
    check(p.returncode == 2 and "--format must be text, json or prometheus" in p.stderr, "bad --format")
    p = run([binary, "--threads", "2", "--shard-by", "agent"])
    check(p.returncode == 2 and "--shard-by must be auto, buyer or shop" in p.stderr, "bad --shard-by")
    p = run([binary, "--utc-offset", "8"])
    check(p.returncode == 2 and "--utc-offset" in p.stderr, "bad --utc-offset")
    p = run([binary, "/nonexistent/events.csv"])
    check(p.returncode == 1 and "cannot open" in p.stderr, "missing file")
    p = run([binary, "--strict", "-"], input="time,type,shop,buyer,agent,order,amount,score,tag\n"
            "2019-09-01T10:00:00+08:00,visit,s,b,,,,,\n2019-09-01T10:00:01+08:00,visit,s,,,,,,\n")
    check(p.returncode == 1 and "line 3" in p.stderr, "strict mode names the bad line: " + p.stderr)
    p = run([binary, "--format", "json", "-"], input="time,type,shop,buyer,agent,order,amount,score,tag\n"
            "2019-09-01T10:00:00+08:00,visit,s,b,,,,,\n2019-09-01T10:00:01+08:00,visit,s,,,,,,\n")
    j = json.loads(p.stdout)
    check(j["input"] == {"rows": 2, "accepted": 1, "skipped": 1, "skipped_by_reason": {"missing_field": 1}},
          "skipped rows counted by reason: " + json.dumps(j["input"]))
    check("line 3" in p.stderr, "the bad row's message names its line")
    p = run([binary, "--help"])
    check(p.returncode == 0 and "usage: shop_report" in p.stdout, "--help")


def main():
    mode, binary = sys.argv[1], sys.argv[2]
    {"demo": lambda: demo(binary), "promtool": lambda: promtool(binary), "html": lambda: html(binary, sys.argv[3]),
     "real": lambda: real(binary, sys.argv[3]), "cli": lambda: cli(binary)}[mode]()
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")
    print("ok")


if __name__ == "__main__":
    main()
