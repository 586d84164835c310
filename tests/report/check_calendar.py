#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""shop_report --service-hours / --calendar and csm_merge, as a user runs them (issue 25).

  check_calendar.py SHOP_REPORT CSM_MERGE

Response figures on service time beside wall time in JSON, text, Prometheus
and HTML; nothing new without a calendar; bad calendar rows name their line;
states of different calendars refuse to merge, naming the option, and
csm_merge exits non-zero.
"""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_report import check, failures, run  # noqa: E402  (the same check list and runner)


HEADER = "time,type,shop,buyer,agent,order,amount,score,tag\n"
# shop-a: asked at 02:00, answered at 08:00:30 (6 h wall, 30 s from 08:00);
# asked at 12:00, answered at 12:00:20. shop-b: asked 23:50, answered 08:01 next day.
LOG_A = (HEADER +
         "2026-12-07T02:00:00+08:00,buyer_msg,shop-a,b1,,,,,\n"
         "2026-12-07T08:00:30+08:00,agent_msg,shop-a,b1,ann,,,,\n"
         "2026-12-07T12:00:00+08:00,buyer_msg,shop-a,b2,,,,,\n"
         "2026-12-07T12:00:20+08:00,agent_msg,shop-a,b2,bob,,,,\n")
LOG_B = (HEADER +
         "2026-12-07T23:50:00+08:00,buyer_msg,shop-b,b3,,,,,\n"
         "2026-12-08T08:01:00+08:00,agent_msg,shop-b,b3,cat,,,,\n")


def main():
    shop_report, csm_merge = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        def path(name, text=None):
            p = os.path.join(tmp, name)
            if text is not None:
                with open(p, "w") as f:
                    f.write(text)
            return p

        log_a, log_b = path("a.csv", LOG_A), path("b.csv", LOG_B)
        both = path("ab.csv", LOG_A + LOG_B[len(HEADER):])

        def report(*args):
            p = run([shop_report, "--format", "json", "--no-progress", *args])
            check(p.returncode == 0, "shop_report %s: %s" % (" ".join(args), p.stderr))
            return json.loads(p.stdout) if p.returncode == 0 else {"shops": {}, "agents": {}}

        # Without a calendar: wall time only, no new field anywhere.
        plain = report(both)
        text = json.dumps(plain)
        check("_service_s" not in text, "no service-time field without a calendar")

        # --service-hours: every figure of response_s, on service time.
        j = report("--service-hours", "08:00-24:00", both)
        a = j["shops"]["shop-a"]["sessions"]
        check(a["response_s"]["mean"] == (21630 + 20) / 2, "wall mean: %s" % a["response_s"])
        check(a["response_service_s"]["mean"] == (30 + 20) / 2, "service mean: %s" % a["response_service_s"])
        check(set(a["response_service_s"]) == set(a["response_s"]), "response_service_s has response_s's fields")
        check(a["response_service_s"]["within_45s"] == 1 and a["response_s"]["within_45s"] == 0.5,
              "the 45 s rule on service time: %s" % a["response_service_s"])
        check(set(a["first_response_service_s"]) == set(a["first_response_s"]), "first_response_service_s fields")
        check("km_median_response_service_s" in a, "Kaplan-Meier median on service time")
        b = j["shops"]["shop-b"]["sessions"]
        check(b["response_service_s"]["mean"] == 600 + 60, "overnight: 10 min before midnight + 1 min: %s" % b)
        ann = j["agents"]["shop-a"]["ann"]
        check(ann["response_service_s"]["mean"] == 30 and ann["response_s"]["mean"] == 21630,
              "the agent's figures: %s" % ann)
        # wall figures do not move with a calendar
        check(j["shops"]["shop-a"]["sessions"]["response_s"] == plain["shops"]["shop-a"]["sessions"]["response_s"],
              "wall figures unchanged by a calendar")

        # --threads gives the same bytes with a calendar.
        one = run([shop_report, "--format", "json", "--service-hours", "08:00-24:00", both])
        two = run([shop_report, "--format", "json", "--threads", "2", "--shard-by", "buyer",
                   "--service-hours", "08:00-24:00", both])
        check(one.stdout == two.stdout and one.returncode == 0, "--threads 2 equals --threads 1 with a calendar")

        # --calendar FILE: per shop, the default for the others.
        cal = path("cal.csv", "shop,weekday_or_date,open,close\n"
                              "*,daily,08:00,24:00\n"
                              "shop-b,daily,09:00,18:00\n")
        j = report("--calendar", cal, both)
        check(j["shops"]["shop-a"]["sessions"]["response_service_s"]["mean"] == 25, "default hours for shop-a")
        check(j["shops"]["shop-b"]["sessions"]["response_service_s"]["mean"] == 0,
              "shop-b answered before its 09:00 opening: %s" % j["shops"]["shop-b"]["sessions"])

        # Text, Prometheus and HTML show them with a calendar, not without.
        t = run([shop_report, "--no-progress", "--calendar", cal, both]).stdout
        check("service-time response, mean" in t, "text shows service time")
        check("service-time" not in run([shop_report, "--no-progress", both]).stdout, "text without a calendar")
        p = run([shop_report, "--format", "prometheus", "--calendar", cal, both]).stdout
        check('csmetrics_response_service_seconds_count{shop="shop-a"} 2' in p, "Prometheus service-time family")
        check("service_seconds" not in run([shop_report, "--format", "prometheus", both]).stdout,
              "no Prometheus service family without a calendar")
        html = path("r.html")
        run([shop_report, "--no-progress", "--calendar", cal, "--html", html, both])
        with open(html) as f:
            check("On service time" in f.read(), "HTML shows service time")

        # Bad rows are errors naming the file and the line.
        bad = path("bad.csv", "shop,weekday_or_date,open,close\n*,daily,08:00,24:00\nshop-a,mon,9:00,18:00\n")
        p = run([shop_report, "--calendar", bad, both])
        check(p.returncode == 1 and "bad.csv: line 3: open must be a time HH:MM" in p.stderr,
              "bad calendar row: %d %s" % (p.returncode, p.stderr))
        bad = path("bad2.csv", "*,daily,08:00,24:00\n*,someday,08:00,09:00\n")
        p = run([shop_report, "--calendar", bad, both])
        check(p.returncode == 1 and "line 2: expected a weekday" in p.stderr, "bad weekday: " + p.stderr)
        p = run([shop_report, "--calendar", path("missing.csv"), both])
        check(p.returncode == 1 and "cannot open" in p.stderr, "missing calendar file: " + p.stderr)
        p = run([shop_report, "--service-hours", "18:00-08:00"])
        check(p.returncode == 2 and "--service-hours must look like" in p.stderr, "bad --service-hours")
        p = run([shop_report, "--service-hours", "08:00-24:00", "--calendar", cal])
        check(p.returncode == 2 and "not both" in p.stderr, "--service-hours with --calendar")

        # The calendar travels with the state: csm_merge of equal calendars
        # equals one pass; of different ones names the option and exits 1.
        sa, sb, sn = path("a.bin"), path("b.bin"), path("n.bin")
        run([shop_report, "--no-progress", "--format", "json", "--calendar", cal, "--save-state", sa, log_a])
        run([shop_report, "--no-progress", "--format", "json", "--calendar", cal, "--save-state", sb, log_b])
        run([shop_report, "--no-progress", "--format", "json", "--save-state", sn, log_b])
        p = run([csm_merge, "--format", "json", sa, sb])
        check(p.returncode == 0, "csm_merge of equal calendars: " + p.stderr)
        if p.returncode == 0:
            merged = json.loads(p.stdout)
            one_pass = report("--calendar", cal, both)
            check(merged["shops"] == one_pass["shops"], "csm_merge of equal calendars equals one pass")
        p = run([csm_merge, "--format", "json", sa, sn])
        check(p.returncode == 1 and "options differ: service calendar: *: daily 08:00-24:00 | shop-b: daily "
              "09:00-18:00 vs none" in p.stderr, "csm_merge names the differing calendar: %d %s"
              % (p.returncode, p.stderr))
        check(p.stdout == "", "nothing printed on a refused merge")
    if failures:
        sys.exit("%d check(s) failed" % len(failures))
    print("ok")


if __name__ == "__main__":
    main()
