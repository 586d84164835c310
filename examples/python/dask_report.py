#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# File: examples/python/dask_report.py
#
# shop_report on a Dask cluster: each task reads one part of a partitioned
# event log into a csmetrics.ShopMetrics and returns its serialized state,
# the states merge pairwise in a tree on the workers, and the client prints
# the report - the figures shop_report prints for the whole log.
#
#   dask_report.py --workers 2 part-0.csv part-1.csv ...   parts already split
#   dask_report.py --workers 2 --split 8 events.csv        split the log first
#
# The parts must hold whole shops, or whole (shop, buyer) pairs with each
# payment, cancel, refund, dispute and reminder beside its order: then the
# merged state is exactly the state of the whole log. --split writes such
# parts (--split-by shop or buyer, the two keys shop_report --threads shards
# by), keeping each row's bytes. The report's input counts are the parts'
# reader counts, summed: they travel with the states, which do not hold them.
import argparse
import csv
import logging
import os
import sys
import tempfile
import zlib

import csmetrics
from dask.distributed import Client, LocalCluster

ORDER_KEYED = {b"payment", b"cancel", b"refund", b"dispute", b"reminder"}
OPTIONS = ["utc_offset", "session_gap", "max_wait", "attribution_window", "payment_window", "max_lateness"]


def records(f):
    """The log's rows as raw bytes, a row ending at a line feed outside quotes."""
    row = b""
    for line in f:
        row += line
        if row.count(b'"') % 2 == 0:
            yield row
            row = b""
    if row:
        yield row


def fields_of(row):
    """type, shop, buyer and order of a raw row (a bad row routes somewhere and is counted there)."""
    if b'"' in row:
        f = next(csv.reader([row.decode("utf-8", "replace")]), [])
        f = [x.encode() for x in f]
    else:
        f = row.rstrip(b"\r\n").split(b",", 6)
    f += [b""] * 6
    return f[1], f[2], f[3], f[5]


def split(log, parts, by, out_dir):
    """Writes `log`'s rows into `parts` CSV files under out_dir; returns their paths."""
    paths = [os.path.join(out_dir, f"part-{i}.csv") for i in range(parts)]
    outs = [open(p, "wb") for p in paths]
    order_part = {}  # (shop, order) -> part, for the order-keyed rows
    with open(log, "rb") as f:
        rows = records(f)
        header = next(rows, b"")
        for o in outs:
            o.write(header)
        for row in rows:
            typ, shop, buyer, order = fields_of(row)
            key = shop if by == "shop" else shop + b"\x1f" + buyer
            p = zlib.crc32(key) % parts
            if by == "buyer" and typ in ORDER_KEYED:
                p = order_part.get((shop, order), p)
            elif by == "buyer" and typ == b"order" and order and buyer:
                order_part.setdefault((shop, order), p)  # the first order row with this id wins
            outs[p].write(row)
    for o in outs:
        o.close()
    return paths


def part_state(path, options):
    """Task: one part's settled state and its input counts."""
    m = csmetrics.ShopMetrics(**options)
    m.read_csv(path)
    m.finish()  # the part is complete: settle in place (serialize would settle a copy)
    return m.serialize(), m.input


def merge_states(a, b):
    """Task: two states (and their input counts) merged."""
    m = csmetrics.ShopMetrics.deserialize(a[0], input=a[1])
    m.merge(csmetrics.ShopMetrics.deserialize(b[0], input=b[1]))
    m.finish()  # at the newest event of both, as csm_merge does
    return m.serialize(), m.input


def parse_args(argv):
    p = argparse.ArgumentParser(description="shop_report over a partitioned event log on a Dask LocalCluster")
    p.add_argument("files", nargs="+", help="the parts (or, with --split, the whole log)")
    p.add_argument("--workers", type=int, default=2, help="Dask workers (default 2)")
    p.add_argument("--threads", action="store_true", help="workers as threads of this process, not processes")
    p.add_argument("--split", type=int, metavar="N", help="split the log into N parts first")
    p.add_argument("--split-by", choices=["shop", "buyer"], default="shop", help="the parts' key (default shop)")
    p.add_argument("--format", choices=["json", "prometheus"], default="json")
    p.add_argument("--html", metavar="FILE", help="also write shop_report's HTML page")
    p.add_argument("--as-of", help="windows end on this local day, YYYY-MM-DD")
    p.add_argument("--by", choices=["shop", "agent", "day"], default="shop")
    p.add_argument("--save-state", metavar="FILE", help="also write the merged state (csm_merge reads it)")
    for o in OPTIONS:
        p.add_argument("--" + o.replace("_", "-"), help="as shop_report's option")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    options = {o: getattr(args, o) for o in OPTIONS if getattr(args, o) is not None}
    with tempfile.TemporaryDirectory() as tmp:
        parts = [os.path.abspath(f) for f in args.files]  # the workers' working directory may differ
        if args.split:
            if len(args.files) != 1:
                sys.exit("dask_report: --split takes one log")
            parts = split(parts[0], args.split, args.split_by, tmp)
        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=not args.threads,
                          dashboard_address=None, silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            states = client.map(part_state, parts, options=options)
            while len(states) > 1:  # a binary tree of merges, one state per hop
                pairs = [client.submit(merge_states, a, b) for a, b in zip(states[::2], states[1::2])]
                states = pairs + states[len(pairs) * 2:]
            state, counts = states[0].result()
    m = csmetrics.ShopMetrics.deserialize(state, input=counts)
    m.finish()
    r = m.report(as_of=args.as_of, by=args.by)
    sys.stdout.write(csmetrics.to_json(r) if args.format == "json" else csmetrics.to_prometheus(r))
    if args.html:
        with open(args.html, "w", encoding="utf-8") as f:
            f.write(csmetrics.to_html(r))
    if args.save_state:
        with open(args.save_state, "wb") as f:
            f.write(state)


if __name__ == "__main__":
    main(sys.argv[1:])
