#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end checks of shop_report, as a user runs it.

  check_report.py demo SHOP_REPORT         JSON of the demo week: fixed fields, types, seed figures
  check_report.py promtool SHOP_REPORT     the Prometheus output passes `promtool check metrics`
  check_report.py html SHOP_REPORT DIR [FILE]
                                           the HTML page (of the demo week, or of FILE, a real log:
                                           exit 77 when absent) renders in headless Chromium: not
                                           blank, no console errors, within the size limit,
                                           overview rows, charts, sorting, the waterfall to the cent
  check_report.py real SHOP_REPORT FILE    JSON on a real log (../shared/data) against an independent
                                           computation here, in plain Python (exit 77 = skipped),
                                           the sales change between the last two weeks included
  check_report.py cli SHOP_REPORT          bad options and bad files give clear errors and exit codes
"""
import csv
import datetime as dt
import json
import os
import re
import struct
import subprocess
import sys
import time
import zlib
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

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
    check("sales_change" not in s and "sales_change" not in d["shops"]["tmall-demo"],
          "no sales_change without --period")
    # --period: the sales change, the same figures otherwise, and the same bytes on threads.
    p = report_json(binary, "--by", "day", "--period", "week", "--target", "200000")
    pd = p["shops"]["tmall-demo"]
    walk_types(p)
    c = pd["sales_change"]
    check((c["before_first"], c["before_last"], c["after_first"], c["after_last"]) ==
          ("2019-08-27", "2019-09-02", "2019-09-03", "2019-09-09"), "the last 7 days against the 7 before")
    check_sales_change(c, "demo week")
    check(c["target"] == "200000.00" and abs(c["attainment"] - float(Decimal(c["after"]) / 200000)) < 1e-9,
          "target attainment")
    same = {k: v for k, v in json.loads(json.dumps(pd)).items() if k != "sales_change"}
    for day in same["days"].values():
        check("inquiry_conversion_same_day" in day, "--period days carry same-day conversion")
        day.pop("inquiry_conversion_same_day", None)
    check(same == d["shops"]["tmall-demo"], "--period adds keys, changes no figure")
    threaded = run([binary, "--format", "json", "--no-progress", "--by", "day", "--period", "week", "--target",
                    "200000", "--threads", "2"]).stdout
    check(json.loads(threaded) == p, "--period on 2 threads gives the same JSON")
    m = report_json(binary, "--period", "month")["shops"]["tmall-demo"]["sales_change"]
    check(m["period"] == "month" and m["after_first"] == "2019-08-11", "--period month: the last 30 days")
    t = run([binary, "--no-progress", "--period", "week"]).stdout
    check("sales change, last week against the one before" in t and c["parts"]["traffic"] in t,
          "text shows the sales change")
    prom = run([binary, "--format", "prometheus", "--no-progress", "--period", "week"]).stdout
    check('csmetrics_sales_change_yuan{shop="tmall-demo",period="week",part="aov"}' in prom,
          "Prometheus has the sales change parts")


def shapley_cents(f0, f1, change_cents):
    """The 3-factor Shapley parts of x1*y1*z1 - x0*y0*z0, then rounded to cents by largest remainder."""
    parts = []
    for i in range(3):
        j, k = (i + 1) % 3, (i + 2) % 3
        same = (f0[j] * f0[k] + f1[j] * f1[k]) / 3
        cross = (f0[j] * f1[k] + f1[j] * f0[k]) / 6
        parts.append((f1[i] - f0[i]) * (same + cross))
    assert sum(parts) == change_cents, "Shapley parts sum to the change"
    floors = [p.numerator // p.denominator for p in parts]
    left = change_cents - sum(floors)
    order = sorted(range(3), key=lambda i: (-(parts[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return floors


def check_sales_change(c, what, expect=None):
    """parts add up to the change to the cent; with expect=(traffic, buyers, cents) per period, they are
    the Shapley split recomputed here."""
    cents = lambda m: int((Decimal(m) * 100).to_integral_value())
    change = cents(c["change"])
    check(change == cents(c["after"]) - cents(c["before"]), f"{what}: change = after - before")
    if c["explained"]:
        parts = [cents(c["parts"][k]) for k in ("traffic", "conversion", "aov")]
        check(sum(parts) == change, f"{what}: parts {parts} add up to the change {change} to the cent")
    else:
        check(all(v is None for v in c["parts"].values()) and cents(c["unexplained"]) == change,
              f"{what}: unexplained change")
    if expect is None:
        expect = [(c["traffic_before"], c["buyers_before"], cents(c["before"])),
                  (c["traffic_after"], c["buyers_after"], cents(c["after"]))]
    (t0, b0, r0), (t1, b1, r1) = expect
    check((c["traffic_before"], c["buyers_before"], cents(c["before"]), c["traffic_after"], c["buyers_after"],
           cents(c["after"])) == (t0, b0, r0, t1, b1, r1), f"{what}: the periods' counts {expect}")
    defined = all(not (t == 0 and b) and not (b == 0 and r) for t, b, r in expect)
    check(c["explained"] == defined, f"{what}: explained is {defined}")
    if not defined:
        return
    conv = [Fraction(b, t) if t else None for t, b, r in expect]
    aov = [Fraction(r, b) if b else None for t, b, r in expect]
    for v in (conv, aov):  # an undefined factor takes the other period's value (or 0)
        if v[0] is None and v[1] is None:
            v[0] = v[1] = Fraction(0)
        v[0] = v[1] if v[0] is None else v[0]
        v[1] = v[0] if v[1] is None else v[1]
    want = shapley_cents([Fraction(t0), conv[0], aov[0]], [Fraction(t1), conv[1], aov[1]], r1 - r0)
    got = [cents(c["parts"][k]) for k in ("traffic", "conversion", "aov")]
    check(got == want, f"{what}: Shapley parts {got} vs {want} recomputed")


def promtool(binary):
    for args in ([], ["--by", "agent"], ["--period", "week", "--target", "1000"]):
        p = run([binary, "--format", "prometheus", "--no-progress", *args])
        check(p.returncode == 0, "prometheus output")
        lint = run(["promtool", "check", "metrics"], input=p.stdout)
        check(lint.returncode == 0 and not lint.stdout.strip() and not lint.stderr.strip(),
              "promtool check metrics: " + lint.stdout + lint.stderr)
        check("csmetrics_response_seconds{shop=\"tmall-demo\",quantile=\"0.9\"}" in p.stdout, "p90 sample")
        check("csmetrics_agent_response_seconds_mean{shop=\"tmall-demo\",agent=\"lili\"}" in p.stdout, "agent sample")


CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--disable-background-networking", "--hide-scrollbars"]


def chromium_dom(url):
    """The DOM after load, the console messages Chromium logged, and the wall time."""
    t0 = time.monotonic()
    p = run([*CHROMIUM, "--enable-logging=stderr", "--v=0", "--dump-dom", url], timeout=120)
    wall = time.monotonic() - t0
    check(p.returncode == 0, "chromium ran: " + p.stderr[-500:])
    console = [line for line in p.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    return p.stdout, console, wall


def png_pixels(path):
    """Width, height, bytes per pixel and the rows of an 8-bit RGB(A) PNG (a screenshot)."""
    data = open(path, "rb").read()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "screenshot is a PNG")
    pos, idat, w, h, depth, ctype = 8, b"", 0, 0, 0, 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    if depth != 8 or ctype not in (2, 6):
        return w, h, 0, []
    bpp, raw, rows = (3 if ctype == 2 else 4), zlib.decompress(idat), []
    stride = w * bpp
    prev = bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride) if f else ():
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def check_screenshot(page, shot, what, size="1200,1500"):
    run([*CHROMIUM, f"--window-size={size}", "--screenshot=" + shot, "file://" + os.path.abspath(page)], timeout=120)
    if not os.path.exists(shot):
        check(False, f"{what}: screenshot written")
        return
    w, h, bpp, rows = png_pixels(shot)
    colours = Counter()
    for r in rows[::3]:
        for x in range(0, len(r), bpp * 3):
            colours[r[x:x + 3]] += 1
    background = colours.most_common(1)[0][1] / max(1, sum(colours.values())) if colours else 1
    check(len(colours) > 50 and background < 0.9,
          f"{what}: screenshot not blank ({len(colours)} colours, background {background:.0%})")


def attrs(tag):
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag))


def check_waterfalls(dom, what, changes=None):
    """Every waterfall's parts add up to its change, and the change to after - before, to the cent."""
    svgs = re.findall(r'(<svg class="chart waterfall"[^>]*>)(.*?)</svg>', dom, re.S)
    for tag, body in svgs:
        a = attrs(tag)
        before, after, change = (int(a[k]) for k in ("data-before-cents", "data-after-cents", "data-change-cents"))
        parts = {attrs(p)["data-part"]: int(attrs(p)["data-cents"]) for p in re.findall(r"<rect [^>]*data-part[^>]*>", body)}
        check(change == after - before and sum(parts.values()) == change,
              f"{what}: waterfall {a['id']} parts {parts} add up to {change} = {after} - {before}")
        if changes is not None:
            c = changes.pop(0)
            cents = lambda m: int((Decimal(m) * 100).to_integral_value())
            want = {"traffic": cents(c["parts"]["traffic"]), "conversion": cents(c["parts"]["conversion"]),
                    "aov": cents(c["parts"]["aov"])} if c["explained"] else {"unexplained": cents(c["unexplained"])}
            check(parts == want and change == cents(c["change"]), f"{what}: waterfall {parts} is the JSON's {want}")
    return len(svgs)


def check_sorting(page, column, what):
    """Clicking the overview's header `column` sorts its rows by that column (undefined values last)."""
    probe = page + ".sort.html"
    text = open(page, encoding="utf-8").read()
    script = ("<script>var t=document.getElementById('overview');t.tHead.rows[0].cells[%d].click();"
              "document.body.setAttribute('data-sorted',Array.prototype.map.call(t.tBodies[0].rows,"
              "function(r){return r.cells[%d].getAttribute('data-v');}).join('|'));</script></body>" % (column, column))
    open(probe, "w", encoding="utf-8").write(text.replace("</body>", script))
    dom, console, _ = chromium_dom("file://" + os.path.abspath(probe))
    m = re.search(r'data-sorted="([^"]*)"', dom)
    values = m.group(1).split("|") if m else []
    defined = [float(v) for v in values if v != ""]
    check(len(values) > 0 and defined == sorted(defined) and values[len(defined):] == [""] * (len(values) - len(defined)),
          f"{what}: the overview sorts by column {column}")
    check(not console, f"{what}: no console messages when sorting: {console[:3]}")


def html(binary, out_dir, log=None):
    if log is not None and not os.path.exists(log):
        print(f"SKIPPED: {log} is absent (the shared/ folder is not beside the project)")
        sys.exit(SKIP)
    os.makedirs(out_dir, exist_ok=True)
    name = "demo" if log is None else os.path.basename(log).split("-")[0]
    page = os.path.join(out_dir, name + ".html")
    args = [] if log is None else ["--utc-offset", {"twcs": "+00:00", "olist": "-03:00"}.get(name, "+08:00"), log]
    p = run([binary, "--no-progress", "--format", "json", "--html", page, *args])
    check(p.returncode == 0, "shop_report --html")
    r = json.loads(p.stdout)
    check(all("days" not in s and "sales_change" not in s for s in r["shops"].values()),
          "--html leaves standard output as it was")
    changes = [s["sales_change"] for s in report_json(binary, "--period", "week", *args)["shops"].values()]
    text = open(page, encoding="utf-8").read()
    size = os.path.getsize(page)
    limit = 300 << 10 if log is None else 1536 << 10
    check(size <= limit, f"{name}: {size} bytes <= {limit}")
    check(re.search(r"<script[^>]+src|<link|@import|url\(|https?://", text) is None,
          "self-contained: no script, style or font from the network")
    dom, console, wall = chromium_dom("file://" + os.path.abspath(page))
    check(not console, f"{name}: no console messages: {console[:3]}")
    m = re.search(r'data-render-ms="(\d+)"', dom)
    render_ms = int(m.group(1)) if m else None
    # The time is printed, not judged: a loaded CI machine doubles it (bench/html_layout.py measures it).
    check(render_ms is not None, f"{name}: the page stamps its layout time")
    rows = re.findall(r'<tr class="shop-row">', dom)
    check(len(rows) == len(r["shops"]), f"{name}: {len(rows)} overview rows for {len(r['shops'])} shops")
    for shop in r["shops"]:
        check(f">{shop}</a>" in dom, f"{name}: overview links {shop}")
    check('id="totals"' in dom and ('id="agents-all"' in dom or "No agents in this log." in dom),
          f"{name}: totals and the agents of every shop (or words saying there are none)")
    n_shops = len(r["shops"])
    check(dom.count('<details class="shop"') == n_shops, f"{name}: one folding section per shop")
    # Every section has each chart, or a sentence saying why not (never empty axes).
    for chart, words in (("funnel", "no funnel to draw."), ("response", "No answered buyer messages in this log."),
                         ("dsr", "No ratings in this log."), ("trend-response", "No answered buyer messages in these days."),
                         ("trend-sales", "No orders or conversations in these days.")):
        shown, said = dom.count(f'class="chart {chart}"'), dom.count(words)
        check(shown + said == n_shops, f"{name}: {chart}: {shown} charts + {said} empty states for {n_shops} shops")
    with_sales = [c for c in changes if c["before"] != "0.00" or c["after"] != "0.00"]
    check(check_waterfalls(dom, name, list(with_sales)) == len(with_sales), f"{name}: a waterfall for every shop with sales")
    # Response charts: the 45 s line in every one; a log axis when p99 is beyond three minutes.
    for tag, body in re.findall(r'(<svg class="chart response"[^>]*>)(.*?)</svg>', dom, re.S):
        check('class="line45"' in body, f"{name}: {attrs(tag)['id']} shows the 45 s line")
    for shop, s in r["shops"].items():
        p99 = s["sessions"]["response_s"]["p99"]
        if p99 is not None and p99 > 180:
            check(re.search(r'class="chart response" id="s\d+-response"[^>]*data-scale="log"', dom) is not None,
                  f"{name}: log axis for {shop} (p99 {p99:.0f} s)")
            break
    no_ratings = sum(1 for s in r["shops"].values() if s["ratings"]["dsr_180d"]["item"]["count"] == 0)
    check(dom.count("No ratings in this log.") >= no_ratings, f"{name}: ratings empty states in words")
    if log is None:
        for chart in ("funnel", "waterfall", "trend-conversion", "trend-response", "trend-sales", "response", "dsr"):
            check(f'class="chart {chart}"' in dom, f"demo: has the {chart} chart")
        check(dom.count('data-part="') == 3, "demo: the waterfall has its three parts")
    print(f"{name}: {size} bytes, laid out in {render_ms} ms, chromium --dump-dom {wall:.2f} s")
    check_sorting(page, 4, name)  # mean response
    check_screenshot(page, os.path.join(out_dir, name + ".png"), name)


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
    r = report_json(binary, "--utc-offset", offset_arg, path, "--period", "week")
    rows = list(csv.DictReader(open(path, newline="", encoding="utf-8")))
    check(r["input"]["rows"] == len(rows) and r["input"]["skipped"] == 0, f"{name}: all {len(rows)} rows read")
    # Two threads, either shard key: the same report and the same saved state as one thread.
    states = {}
    for args in ([], ["--threads", "2", "--shard-by", "buyer"], ["--threads", "2", "--shard-by", "shop"]):
        state = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"csm_real_{os.getpid()}.state")
        p = run([binary, "--format", "json", "--utc-offset", offset_arg, "--save-state", state, path] + args)
        check(p.returncode == 0, f"{name} {args}: exit 0")
        states[" ".join(args) or "1 thread"] = (json.loads(p.stdout) if p.returncode == 0 else None,
                                                  open(state, "rb").read() if os.path.exists(state) else b"")
        if os.path.exists(state):
            os.remove(state)
    one = states.pop("1 thread")
    for key, got in states.items():
        check(got[0] == one[0], f"{name} {key}: the one-thread report")
        check(got[1] == one[1] and one[1], f"{name} {key}: the one-thread state, byte for byte")
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
        # The sales change: the last 7 local days against the 7 before, recomputed from the rows.
        periods = [(as_of - dt.timedelta(days=13), as_of - dt.timedelta(days=7)),
                   (as_of - dt.timedelta(days=6), as_of)]
        expect = []
        for first, last in periods:
            inside = lambda x: first <= local_day(parse_time(x["time"]), offset_h) <= last
            visitors = {x["buyer"] for x in visits if inside(x)}
            placed = [x for x in orders.values() if inside(x)]
            revenue = sum((int(Decimal(x["amount"]) * 100) for x in placed if x["amount"]), 0)
            expect.append((len(visitors), len({x["buyer"] for x in placed}), revenue))
        check_sales_change(s["sales_change"], f"{name}/{shop}", expect)


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
    # An amount that would overflow its shop's sums: refused with its line, the run goes on (issue 22).
    big = "50000000000000000.00"
    p = run([binary, "--format", "json", "-"], input="time,type,shop,buyer,agent,order,amount,score,tag\n"
            f"2019-09-01T10:00:00+08:00,order,s,b,,o1,{big},,\n2019-09-01T10:01:00+08:00,order,s,b2,,o2,{big},,\n"
            "2019-09-01T10:02:00+08:00,order,s,b3,,o3,9.90,,\n")
    check(p.returncode == 0, "an overflowing amount does not sink the run: " + p.stderr)
    j = json.loads(p.stdout) if p.returncode == 0 else {"input": {}, "shops": {}}
    check(j["input"].get("skipped_by_reason") == {"amount_overflow": 1}, "amount_overflow counted: " + json.dumps(j["input"]))
    check("line 3: refused: amount_overflow" in p.stderr, "the refused row named with its line: " + p.stderr)
    check(j["shops"].get("s", {}).get("orders", {}).get("revenue") == "50000000000000009.90",
          "the other rows' figures: " + json.dumps(j["shops"].get("s", {}).get("orders")))
    # A row a family refuses is named by its line on threads too (issue 27).
    repro = ("time,type,shop,buyer,agent,order,amount,score,tag\n2019-09-01T10:00:00+08:00,buyer_msg,s1,b1,,,,,\n"
             "2019-09-01T10:00:30+08:00,agent_msg,s1,b1,a1,,,,\n2019-09-01T10:00:20+08:00,agent_msg,s1,b1,a2,,,,\n")
    for threads in ("1", "2"):
        p = run([binary, "--threads", threads, "--format", "json", "-"], input=repro)
        check("-: line 4: refused: conversation_out_of_order" in p.stderr,
              f"--threads {threads} names the refused row: " + p.stderr)
        check(json.loads(p.stdout)["input"]["skipped_by_reason"] == {"conversation_out_of_order": 1},
              f"--threads {threads}: the refused row is skipped by reason")
        p = run([binary, "--threads", threads, "--strict", "-"], input=repro)
        check(p.returncode == 1 and "line 4: refused: conversation_out_of_order (--strict)" in p.stderr,
              f"--threads {threads} --strict stops at a refused row: " + p.stderr)
    p = run([binary, "--period", "year"])
    check(p.returncode == 2 and "--period must be week or month" in p.stderr, "bad --period")
    p = run([binary, "--target", "12.345"])
    check(p.returncode == 2 and "--target must be an amount" in p.stderr, "bad --target")
    p = run([binary, "--help"])
    check(p.returncode == 0 and "usage: shop_report" in p.stdout, "--help")
    # Agents' scorecards (issue 27): bad rules and weights are named; the demo
    # week is one month, so its card holds the agents' rows; weights rank.
    p = run([binary, "--kpi", "speed>=1"])
    check(p.returncode == 2 and 'unknown KPI "speed"' in p.stderr, "bad --kpi: " + p.stderr)
    p = run([binary, "--kpi-weights", "answer_ratio=-1"])
    check(p.returncode == 2 and "a KPI weight is >= 0" in p.stderr, "bad --kpi-weights: " + p.stderr)
    p = run([binary, "--scorecard-period", "week"])
    check(p.returncode == 2 and "--scorecard-period must be month" in p.stderr, "bad --scorecard-period")
    j = report_json(binary, "--kpi-weights", "inquiry_conversion=1,response_s_mean=1", "--kpi", "reply_rate>=0.995")
    cards = j["scorecards"]["tmall-demo"]
    check(len(cards) == 1 and cards[0]["period"] == "2019-09", "one card for the demo month")
    rows = cards[0]["agents"]
    check([r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True), "ranked by score")
    for r in rows:
        a = j["agents"]["tmall-demo"][r["agent"]]
        k = r["kpis"]
        check(k["inquiry_conversion"]["value"] == a["inquiry_conversion"] and
              k["payment_conversion"]["value"] == a["payment_conversion"] and
              k["aov_per_order"]["value"] == a["aov_per_order"] and
              k["answer_ratio"]["value"] == a["answer_ratio"] and
              abs(k["response_s_mean"]["value"] - a["response_s"]["mean"]) < 1e-6 and
              k["reply_rate"]["value"] == a["reply_rate"], "the month's card is the agent's row: " + r["agent"])
        check(k["reply_rate"]["rule"] == ">=0.995" and k["reply_rate"]["pass"] == (a["reply_rate"] >= 0.995),
              "--kpi adds a rule and judges it: " + r["agent"])
        check(k["answer_ratio"]["pass"] is False and r["failed"] >= 1, "answer ratio under 130 % fails")
    p = run([binary, "--by", "agent", "--kpi-weights", "inquiry_conversion=1"])
    check("scorecard 2019-09" in p.stdout and " !" in p.stdout, "text scorecard with flags")


def main():
    mode, binary = sys.argv[1], sys.argv[2]
    {"demo": lambda: demo(binary), "promtool": lambda: promtool(binary),
     "html": lambda: html(binary, sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None),
     "real": lambda: real(binary, sys.argv[3]), "cli": lambda: cli(binary)}[mode]()
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")
    print("ok")


if __name__ == "__main__":
    main()
