# SPDX-License-Identifier: Apache-2.0
# File: python/tests/conftest.py
#
# Shared fixtures: the C++ programs the module is compared with (paths from
# ctest's environment, see python/CMakeLists.txt), the demo week and a
# three-shop log built from it, and helpers to run and parse shop_report.
import csv
import datetime
import io
import json
import os
import subprocess

import pytest

import csmetrics

HEADER = "time,type,shop,buyer,agent,order,amount,score,tag"
COLUMNS = HEADER.split(",")
# Rows the reader skips, one per reason, spliced into the three-shop log.
BAD_ROWS = [
    "2019-09-03T10:00:00+08:00,order,shop-b,b1,,o-bad,1.234,,",      # bad_amount
    "2019-09-03T10:00:01+08:00,teleport,shop-b,b1,,,,,",             # unknown_type
    "2019-09-03T10:00:02,visit,shop-c,b2,,,,,",                      # bad_time
    "2019-09-04T10:00:00+08:00,vote,shop-c,b3,ajie,,,6,",            # bad_score
    "2019-09-04T10:00:01+08:00,agent_msg,tmall-demo,b4,,,,,",        # missing_field
]


def program(name):
    """The path of a C++ example program, or skip when this build has none."""
    path = os.environ.get("CSMETRICS_" + name.upper())
    if not path:
        pytest.skip(name + " not built (CSMETRICS_BUILD_EXAMPLES=OFF)")
    return path


def run(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, **kw).stdout


def shop_report_json(*args):
    """json.loads of shop_report --format json ARGS."""
    return json.loads(run([program("shop_report"), "--format", "json", "--no-progress", *args]))


def read_rows(text):
    """The log's rows as lists of 9 strings (header dropped)."""
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == COLUMNS
    return rows[1:]


def columns_of(rows):
    """Rows -> add_columns keyword arguments (empty cells as None)."""
    return {c: [r[i] or None for r in rows] for i, c in enumerate(COLUMNS)}


@pytest.fixture(scope="session")
def demo_csv(tmp_path_factory):
    """shop_report's demo week as a file."""
    path = tmp_path_factory.mktemp("demo") / "demo.csv"
    path.write_text(csmetrics.demo_week_csv())
    return path


@pytest.fixture(scope="session")
def three_shops_csv(tmp_path_factory):
    """The demo week three times (shops tmall-demo, shop-b, shop-c), rows in
    time order, plus BAD_ROWS: many shops and agents, and bad rows to count."""
    rows = read_rows(csmetrics.demo_week_csv())
    keyed = []
    for k, shop in enumerate(["tmall-demo", "shop-b", "shop-c"]):
        for i, r in enumerate(rows):
            keyed.append((datetime.datetime.fromisoformat(r[0]), k, i, [r[0], r[1], shop] + r[3:]))
    for i, line in enumerate(BAD_ROWS):
        t = datetime.datetime.fromisoformat(line.split(",")[0])
        t = t if t.tzinfo else t.replace(tzinfo=datetime.timezone.utc)
        keyed.append((t, 9, i, next(csv.reader([line]))))
    keyed.sort(key=lambda x: x[:3])
    out = io.StringIO()
    out.write(HEADER + "\n")
    w = csv.writer(out, lineterminator="\n")
    for *_, r in keyed:
        w.writerow(r)
    path = tmp_path_factory.mktemp("three") / "three_shops.csv"
    path.write_text(out.getvalue())
    return path
