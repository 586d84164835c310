# SPDX-License-Identifier: Apache-2.0
# File: python/tests/test_state.py
#
# States: split the log, feed the parts, merge = the whole; serialize /
# deserialize round trips with the C++ programs (shop_report --save-state,
# csm_merge) and the golden file; parts fed on threads (the GIL released).
import csv
import io
import json
import os
import threading
import zlib

import csmetrics
from conftest import HEADER, columns_of, program, read_rows, run, shop_report_json

ORDER_KEYED = {"payment", "cancel", "refund", "dispute", "reminder"}


def split(rows, parts, by):
    """Rows into parts by shop or by (shop, buyer), order-keyed rows with their order."""
    out, order_part = [[] for _ in range(parts)], {}
    for r in rows:
        key = r[2] if by == "shop" else r[2] + "\x1f" + r[3]
        p = zlib.crc32(key.encode()) % parts
        if by == "buyer" and r[1] in ORDER_KEYED:
            p = order_part.get((r[2], r[5]), p)
        if r[1] == "order":
            order_part.setdefault((r[2], r[5]), p)
        out[p].append(r)
    return out


def part_metrics(rows):
    m = csmetrics.ShopMetrics()
    m.add_columns(**columns_of(rows))
    return m


def test_split_and_merge(three_shops_csv):
    rows = read_rows(three_shops_csv.read_text())
    expected = shop_report_json(str(three_shops_csv))
    for by, n in (("shop", 2), ("buyer", 3)):
        parts = [part_metrics(p) for p in split(rows, n, by)]
        whole = parts[0]
        for p in parts[1:]:
            whole.merge(p)
        assert whole.report() == expected, by


def test_serialize_equals_save_state(demo_csv, tmp_path):
    m = csmetrics.ShopMetrics()
    m.read_csv(demo_csv)
    state = tmp_path / "demo.bin"
    run([program("shop_report"), "--format", "json", "--save-state", str(state)])
    assert m.serialize() == state.read_bytes()
    m.finish()
    assert m.serialize(settle=False) == state.read_bytes()


def test_python_bytes_load_in_csm_merge(three_shops_csv, tmp_path):
    rows = read_rows(three_shops_csv.read_text())
    files = []
    for i, part in enumerate(split(rows, 2, "buyer")):
        files.append(tmp_path / f"part{i}.bin")
        files[-1].write_bytes(part_metrics(part).serialize())
    merged = json.loads(run([program("csm_merge"), "--format", "json", *map(str, files)]))
    expected = shop_report_json(str(three_shops_csv))
    assert merged["shops"] == expected["shops"] and merged["agents"] == expected["agents"]
    # csm_merge's input counts: the events the states accepted; deserialize does the same
    states = [csmetrics.ShopMetrics.deserialize(f.read_bytes()) for f in files]
    states[0].merge(states[1])
    assert states[0].report() == merged


def test_save_state_bytes_load_in_python(three_shops_csv, tmp_path):
    state = tmp_path / "whole.bin"
    expected = shop_report_json("--save-state", str(state), str(three_shops_csv))
    m = csmetrics.ShopMetrics.deserialize(state.read_bytes(), input=expected["input"])
    assert m.report() == expected
    assert m.serialize() == state.read_bytes()
    assert csmetrics.ShopMetrics.deserialize(bytearray(state.read_bytes())).serialize() == state.read_bytes()


def test_checkpoint_and_continue(demo_csv):
    rows = read_rows(demo_csv.read_text())
    half = len(rows) // 2
    first = part_metrics(rows[:half])
    resumed = csmetrics.ShopMetrics.deserialize(first.serialize(settle=False), input=first.input)
    resumed.add_columns(**columns_of(rows[half:]))
    whole = part_metrics(rows)
    assert resumed.report() == whole.report() == shop_report_json()


def test_golden_state_round_trips():
    data_dir = os.path.join(os.environ["CSMETRICS_SOURCE_DIR"], "tests", "data")
    data = open(os.path.join(data_dir, "shop_metrics_v3.bin"), "rb").read()
    # serialize() wraps those bare bytes in the checksummed frame (core/serde.hpp).
    framed = open(os.path.join(data_dir, "shop_metrics_frame_v2.bin"), "rb").read()
    assert framed[14:-4] == data
    assert csmetrics.ShopMetrics.deserialize(data).serialize(settle=False) == framed
    assert csmetrics.ShopMetrics.deserialize(framed).serialize(settle=False) == framed
    # Older versions still load and are written in the current one.
    for name in ("shop_metrics_v1.bin", "shop_metrics_v2.bin", "shop_metrics_v2_frame_v2.bin"):
        old = open(os.path.join(data_dir, name), "rb").read()
        assert csmetrics.ShopMetrics.deserialize(old).serialize(settle=False) == framed


def test_parts_on_threads(three_shops_csv, tmp_path):
    rows = read_rows(three_shops_csv.read_text())
    files = []
    for i, part in enumerate(split(rows, 2, "shop")):
        files.append(tmp_path / f"part{i}.csv")
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows([HEADER.split(",")] + part)
        files[-1].write_text(text.getvalue())
    states = [csmetrics.ShopMetrics() for _ in files]
    threads = [threading.Thread(target=s.read_csv, args=(f,)) for s, f in zip(states, files)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    states[0].merge(states[1])
    assert states[0].report() == shop_report_json(str(three_shops_csv))
