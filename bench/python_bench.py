#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# bench/python_bench.py: the Python module against shop_report on one log
# (issue 23's targets), whole runs timed with time.perf_counter, R times each,
# medians printed:
#   shop_report --threads 1 --format json FILE          (a subprocess)
#   ShopMetrics.read_csv(FILE) + finish() + report()
#   ShopMetrics.add_columns(...) from Python lists (the lists built first, untimed)
#   shop_report --threads 2 against dask_report.py --workers 2 --split 2
#   (the Dask run includes starting its LocalCluster and splitting the file)
#
#   PYTHONPATH=build/gcc/python /usr/bin/python3 bench/python_bench.py \
#       --shop-report build/gcc/examples/shop_report FILE [--repetitions R]
import argparse
import csv
import os
import statistics
import subprocess
import sys
import time

import csmetrics

FIELDS = ["time", "type", "shop", "buyer", "agent", "order", "amount", "score", "tag"]


def timed(fn, reps):
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shop-report", required=True)
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("file")
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    dask_report = os.path.join(here, "..", "examples", "python", "dask_report.py")

    with open(a.file, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    columns = {k: [r[k] for r in rows] for k in FIELDS}
    n = len(rows)

    def run(*cmd):
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)

    def from_file():
        m = csmetrics.ShopMetrics()
        m.read_csv(a.file)
        m.finish()
        m.report()

    def from_lists():
        m = csmetrics.ShopMetrics()
        m.add_columns(**columns)
        m.finish()
        m.report()

    r = a.repetitions
    results = [
        ("shop_report --threads 1", timed(lambda: run(a.shop_report, "--format", "json", "--no-progress", a.file), r)),
        ("ShopMetrics.read_csv + report", timed(from_file, r)),
        ("ShopMetrics.add_columns (lists) + report", timed(from_lists, r)),
        ("shop_report --threads 2",
         timed(lambda: run(a.shop_report, "--threads", "2", "--format", "json", "--no-progress", a.file), r)),
        ("dask_report.py --workers 2 --split 2",
         timed(lambda: run(sys.executable, dask_report, "--workers", "2", "--split", "2", a.file), max(1, r // 2))),
    ]
    print(f"{n} events, medians of {r} runs (Dask: {max(1, r // 2)})")
    base = results[0][1]
    for name, t in results:
        print(f"  {name:42s} {t:7.3f} s  {n / t / 1e6:6.2f} M events/s  {t / base:5.2f}x shop_report -t1")


if __name__ == "__main__":
    main()
