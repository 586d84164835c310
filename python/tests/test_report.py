# SPDX-License-Identifier: Apache-2.0
# File: python/tests/test_report.py
#
# The seed figures through Python, and report() equal to shop_report's JSON
# (and to_json / to_prometheus / to_html equal to its outputs) whichever way
# the rows come in: read_csv, add_columns (lists, numpy arrays), add.
import json

import numpy as np
import pytest

import csmetrics
from conftest import columns_of, program, read_rows, run, shop_report_json


def demo_metrics(demo_csv):
    m = csmetrics.ShopMetrics()
    m.read_csv(demo_csv)
    return m


def test_seed_figures(demo_csv):
    m = demo_metrics(demo_csv)
    shop = m.report()["shops"]["tmall-demo"]
    orders = shop["orders"]
    assert (orders["inquired"], orders["ordered_same_day"], orders["ordered_final"]) == (3873, 1808, 1845)
    assert round(orders["inquiry_conversion"] * 100, 2) == 47.64
    assert (orders["ordering_buyers"], orders["paying_buyers"]) == (1855, 1697)
    assert round(orders["payment_conversion"] * 100, 2) == 91.48
    for agent in m.report()["agents"]["tmall-demo"].values():  # the source's 39-66 s averages
        assert 35 <= agent["response_s"]["mean"] <= 70


def test_demo_equals_shop_report(demo_csv):
    r = demo_metrics(demo_csv).report()
    assert isinstance(r, dict) and isinstance(r, csmetrics.Report)
    assert r == shop_report_json()  # no file: shop_report's built-in demo week


def test_writers_equal_shop_report(demo_csv, tmp_path):
    r = demo_metrics(demo_csv).report()
    exe = program("shop_report")
    assert csmetrics.to_json(r) == run([exe, "--format", "json"]).decode()
    assert csmetrics.to_prometheus(r) == run([exe, "--format", "prometheus"]).decode()
    html = tmp_path / "r.html"
    run([exe, "--format", "json", "--html", str(html)])
    page = demo_metrics(demo_csv).report(by="day", period="week")  # the page has the days and the trends
    assert csmetrics.to_html(page) == html.read_text()
    month = demo_metrics(demo_csv).report(period="month", target="200000")
    assert month == shop_report_json("--period", "month", "--target", "200000")
    assert all(s["sales_change"]["period"] == "month" for s in month["shops"].values())


def test_bad_period_and_target(demo_csv):
    m = demo_metrics(demo_csv)
    with pytest.raises(ValueError, match="period"):
        m.report(period="year")
    with pytest.raises(ValueError, match="target"):
        m.report(target="-5")


def test_options_as_of_and_days(three_shops_csv):
    m = csmetrics.ShopMetrics(utc_offset="+00:00", session_gap="5m", max_wait="12h", attribution_window="2d",
                              payment_window="2d", max_lateness="30m")
    m.read_csv(three_shops_csv)
    expected = shop_report_json("--utc-offset", "+00:00", "--session-gap", "5m", "--max-wait", "12h",
                                "--attribution-window", "2d", "--payment-window", "2d", "--max-lateness", "30m",
                                "--as-of", "2019-09-05", "--by", "day", str(three_shops_csv))
    assert m.report(as_of="2019-09-05", by="day") == expected
    assert set(expected["shops"]) == {"tmall-demo", "shop-b", "shop-c"}
    assert expected["input"]["skipped"] == 5


def test_timedelta_and_seconds_options(three_shops_csv):
    import datetime
    a = csmetrics.ShopMetrics(session_gap=datetime.timedelta(minutes=5), max_wait=12 * 3600.0)
    b = csmetrics.ShopMetrics(session_gap="5m", max_wait="12h")
    for m in (a, b):
        m.read_csv(three_shops_csv)
    assert a.report() == b.report()


def test_add_columns_lists_and_numpy(three_shops_csv):
    rows = read_rows(three_shops_csv.read_text())
    expected = shop_report_json(str(three_shops_csv))
    m = csmetrics.ShopMetrics()
    counts = m.add_columns(**columns_of(rows))
    assert counts["rows"] == len(rows) and counts["skipped"] == 5 and len(counts["errors"]) == 5
    assert m.report() == expected
    # numpy arrays; amount and score as numbers (NaN empty) in their own dtypes
    cols = {k: np.array([v or "" for v in vs]) for k, vs in columns_of(rows).items()}
    cols["score"] = np.array([float(s) if s.isdigit() else np.nan for s in cols["score"]])
    n = csmetrics.ShopMetrics()
    n.add_columns(**cols)
    assert n.report()["shops"] == expected["shops"] and n.report()["agents"] == expected["agents"]


def test_add_one_by_one(demo_csv):
    m = csmetrics.ShopMetrics()
    for r in read_rows(demo_csv.read_text()):
        m.add(r[0], r[1], shop=r[2], buyer=r[3], agent=r[4], order=r[5], amount=r[6], score=r[7], tag=r[8])
    assert m.report() == shop_report_json()


def test_add_values_of_python_types():
    import datetime
    t = datetime.datetime(2019, 9, 1, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    m = csmetrics.ShopMetrics()
    assert m.add(t, "order", shop="s", buyer="b", order="o1", amount=149.9)
    assert m.add(t + datetime.timedelta(minutes=1), "payment", shop="s", order="o1", amount="149.90")
    assert m.add("2019-09-01T10:02:00+08:00", "dsr", shop="s", score=5, tag="item")
    assert not m.add("2019-09-01T10:03:00+08:00", "payment", shop="s", order="o1", amount=1)  # a duplicate
    orders = m.report()["shops"]["s"]["orders"]
    assert (orders["orders"], orders["paid_orders"], orders["revenue"]) == (1, 1, "149.90")
    assert m.newest_time == "2019-09-01T10:03:00+08:00"
    times = np.array(["2019-09-01T02:04:00", "NaT"], dtype="datetime64[s]")  # numpy time: UTC
    c = m.add_columns(time=times, type="visit", shop="s", buyer=["b", "b"])
    assert (c["accepted"], c["skipped_by_reason"]) == (1, {"bad_time": 1})
    assert m.report()["shops"]["s"]["traffic"]["visits"] == 1


def test_report_does_not_settle_the_stream():
    m = csmetrics.ShopMetrics()
    m.add("2019-09-01T10:00:00+08:00", "visit", shop="s", buyer="b")
    m.add("2019-09-01T10:30:00+08:00", "visit", shop="s", buyer="c")
    m.report(), m.serialize()
    m.add("2019-09-01T10:10:00+08:00", "visit", shop="s", buyer="d")  # within max_lateness: still accepted
    assert m.report()["shops"]["s"]["traffic"]["visitors"] == 3
    m.finish()  # settled in place: older rows are too late now
    m.add("2019-09-01T10:20:00+08:00", "visit", shop="s", buyer="e")
    assert m.report()["shops"]["s"]["traffic"]["visitors"] == 3


def test_report_pickles_as_dict(demo_csv):
    import pickle
    r = demo_metrics(demo_csv).report()
    back = pickle.loads(pickle.dumps(r))
    assert type(back) is dict and back == r
    assert json.loads(json.dumps(r)) == r
