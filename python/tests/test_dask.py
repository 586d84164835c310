# SPDX-License-Identifier: Apache-2.0
# File: python/tests/test_dask.py
#
# examples/python/dask_report.py on a LocalCluster of 2 workers prints the
# report shop_report prints for the whole log: parts by shop and by (shop,
# buyer), worker processes and worker threads.
import json
import os
import subprocess
import sys

import pytest

from conftest import program, run, shop_report_json

EXAMPLE = os.path.join(os.environ.get("CSMETRICS_SOURCE_DIR", ""), "examples", "python", "dask_report.py")


def dask_report(*args):
    out = subprocess.run([sys.executable, EXAMPLE, "--workers", "2", *args], check=True, capture_output=True,
                         timeout=240)
    return json.loads(out.stdout)


@pytest.mark.parametrize("split_by, workers", [("shop", []), ("buyer", []), ("buyer", ["--threads"])])
def test_dask_equals_shop_report(three_shops_csv, split_by, workers):
    args = workers + ["--split", "5", "--split-by", split_by, str(three_shops_csv)]
    assert dask_report(*args) == shop_report_json(str(three_shops_csv))


def test_dask_parts_and_options(three_shops_csv, tmp_path):
    # Parts given as files (here: one part holds everything, the other only the header).
    empty = tmp_path / "empty.csv"
    empty.write_text(three_shops_csv.read_text().split("\n", 1)[0] + "\n")
    opts = ["--utc-offset", "+00:00", "--session-gap", "5m", "--as-of", "2019-09-05", "--by", "day"]
    state = tmp_path / "merged.bin"
    expected = shop_report_json(*opts, str(three_shops_csv))
    assert dask_report("--threads", "--save-state", str(state), *opts, str(three_shops_csv), str(empty)) == expected
    merged = json.loads(run([program("csm_merge"), "--format", "json", *opts[4:], str(state)]))  # csm_merge reads it
    assert merged["shops"] == expected["shops"]
