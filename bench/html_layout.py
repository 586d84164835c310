#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# bench/html_layout.py: how long headless Chromium takes to lay out the HTML
# report of one log (issue 24's target: twcs within 2 s on this machine).
# The page stamps performance.now() at load into data-render-ms; R runs, the
# median printed with the range. A timer belongs here, not in the tests: a
# loaded CI machine can double it.
#
#   python3 bench/html_layout.py build/rel/examples/shop_report \
#       ../shared/data/twcs-events.csv --utc-offset +00:00 [--repetitions R]
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "report"))
import check_report  # noqa: E402  (its Chromium command line)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("shop_report")
    ap.add_argument("log", nargs="?", help="an event log (the demo week when absent)")
    ap.add_argument("--utc-offset", default=None)
    ap.add_argument("--repetitions", type=int, default=5)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        page = os.path.join(d, "report.html")
        args = ([] if a.utc_offset is None else ["--utc-offset", a.utc_offset]) + ([a.log] if a.log else [])
        subprocess.run([a.shop_report, "--no-progress", "--html", page, *args], check=True,
                       stdout=subprocess.DEVNULL)
        times = []
        for _ in range(a.repetitions):
            dom, _, _ = check_report.chromium_dom("file://" + page)
            m = re.search(r'data-render-ms="(\d+)"', dom)
            if not m:
                sys.exit("the page did not stamp data-render-ms")
            times.append(int(m.group(1)))
        print(f"{os.path.getsize(page)} bytes; laid out in {statistics.median(times):.0f} ms "
              f"(median of {len(times)}, {min(times)}-{max(times)} ms)")


if __name__ == "__main__":
    main()
