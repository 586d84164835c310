# SPDX-License-Identifier: Apache-2.0
# File: python/tests/test_bad_input.py
#
# Bad input raises ValueError with the library's message (DeserializeError,
# a ValueError, for bad bytes; OSError for a missing file), or is skipped and
# counted by reason as shop_report counts it; nothing accepted before is lost.
import csv

import pytest

import csmetrics
from conftest import BAD_ROWS, COLUMNS, HEADER, shop_report_json

T0 = "2019-09-01T10:00:00+08:00"


def row_kwargs(line):
    r = next(csv.reader([line]))
    return dict(zip(COLUMNS, r))


def test_add_raises_the_readers_message(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "\n" + "\n".join(BAD_ROWS) + "\n")
    file_errors = csmetrics.ShopMetrics().read_csv(path)["errors"]
    assert len(file_errors) == len(BAD_ROWS)
    m = csmetrics.ShopMetrics()
    for line, file_error in zip(BAD_ROWS, file_errors):
        kw = row_kwargs(line)
        with pytest.raises(ValueError) as e:
            m.add(kw.pop("time"), kw.pop("type"), **kw)
        assert file_error.endswith(": " + str(e.value))  # "line 3: <the same message>"
    assert m.input == shop_report_json(str(path))["input"]
    assert m.input["skipped_by_reason"] == {"bad_amount": 1, "unknown_type": 1, "bad_time": 1, "bad_score": 1,
                                            "missing_field": 1}


@pytest.mark.parametrize("kw, message", [
    (dict(type="order", shop="s", buyer="b", order="o", amount=float("inf")), "amount"),
    (dict(type="order", shop="s", buyer="b", order="o", amount=-1), "negative"),
    (dict(type="review", shop="s", score=0), "score must be an integer 1..5"),
    (dict(type="review", shop="s", score="five"), "score must be an integer 1..5"),
    (dict(type="lost", shop="s", buyer="b", agent="a", tag="weather"), "lost reason"),
    (dict(type="visit", shop="s", buyer="b" * 5000), "longer than max_field_bytes"),
    (dict(type="visit", shop="s"), "visit requires buyer"),
])
def test_add_bad_values(kw, message):
    m = csmetrics.ShopMetrics()
    with pytest.raises(ValueError, match=message):
        m.add(T0, kw.pop("type"), **kw)
    assert m.input["skipped"] == 1 and m.report()["shops"] == {}


def test_bad_times():
    m = csmetrics.ShopMetrics()
    for t in ["2019-09-01T10:00:00", "2019-02-29T10:00:00+08:00", "1969-12-31T23:59:59Z", "yesterday", None]:
        with pytest.raises(ValueError, match="timestamp"):
            m.add(t, "visit", shop="s", buyer="b")


def test_too_late_across_calls():
    m = csmetrics.ShopMetrics(max_lateness="1h")
    m.add("2019-09-01T12:00:00+08:00", "visit", shop="s", buyer="a")
    m.add("2019-09-01T11:30:00+08:00", "visit", shop="s", buyer="b")  # out of order, within 1 h
    with pytest.raises(ValueError, match="behind the newest time accepted"):
        m.add("2019-09-01T10:59:00+08:00", "visit", shop="s", buyer="c")
    c = m.add_columns(time=["2019-09-01T10:00:00+08:00", "2019-09-01T12:10:00+08:00"], type="visit", shop="s",
                      buyer=["d", "e"])
    assert c["skipped_by_reason"] == {"too_late": 1} and c["errors"][0].startswith("row 0: time ")
    assert m.input == {"rows": 5, "accepted": 3, "skipped": 2, "skipped_by_reason": {"too_late": 2}}


def test_add_columns_lenient_and_strict():
    times = [T0, "not a time", T0, T0]
    buyers = ["a", "b", 'line\nbreak, "quoted"', None]
    m = csmetrics.ShopMetrics()
    c = m.add_columns(time=times, type="visit", shop="s", buyer=buyers)
    assert (c["rows"], c["accepted"], c["skipped"]) == (4, 2, 2)
    assert c["errors"] == ["row 1: bad timestamp (syntax): not a time", "row 3: visit requires buyer (empty)"]
    assert m.report()["shops"]["s"]["traffic"]["visitors"] == 2  # the id with a line break and quotes kept
    s = csmetrics.ShopMetrics()
    with pytest.raises(ValueError, match="^row 1: bad timestamp"):
        s.add_columns(time=times, type="visit", shop="s", buyer=buyers, strict=True)
    assert s.input == {"rows": 2, "accepted": 1, "skipped": 1, "skipped_by_reason": {"bad_time": 1}}


def test_add_columns_shapes():
    m = csmetrics.ShopMetrics()
    with pytest.raises(ValueError, match="different lengths: time 2, type 1"):
        m.add_columns(time=[T0, T0], type=["visit"])
    with pytest.raises(ValueError, match="no column is a sequence"):
        m.add_columns(time=T0, type="visit")
    with pytest.raises(TypeError):
        m.add_columns(time=[T0], type="visit", shop=object())
    assert m.input["rows"] == 0


def test_read_csv_errors(tmp_path):
    m = csmetrics.ShopMetrics()
    with pytest.raises(FileNotFoundError):
        m.read_csv(tmp_path / "missing.csv")
    (tmp_path / "h.csv").write_text("a,b\n")
    with pytest.raises(ValueError, match="line 1: expected the header line"):
        m.read_csv(tmp_path / "h.csv")
    (tmp_path / "s.csv").write_text(HEADER + "\n" + T0 + ",visit,s,a,,,,,\n" + BAD_ROWS[0] + "\n")
    with pytest.raises(ValueError, match="s.csv: .*line 3: amount has 3 decimals"):
        m.read_csv(tmp_path / "s.csv", strict=True)
    assert m.report()["shops"]["s"]["traffic"]["visits"] == 1  # the row before the bad one stays


@pytest.mark.parametrize("kw, message", [
    (dict(session_gap="10x"), "session_gap: not a positive duration"),
    (dict(max_wait=0), "max_wait: not a positive duration"),
    (dict(utc_offset="+25:00"), "utc_offset must look like"),
    (dict(attribution_window="36h"), "whole days"),
    (dict(attribution_window="9d"), "attribution_days must be in"),
    (dict(payment_window="8d"), "payment_window must be in"),
])
def test_bad_options(kw, message):
    with pytest.raises(ValueError, match=message):
        csmetrics.ShopMetrics(**kw)


def test_bad_report_arguments():
    m = csmetrics.ShopMetrics()
    m.add(T0, "visit", shop="s", buyer="b")
    with pytest.raises(ValueError, match="by must be shop, agent or day"):
        m.report(by="week")
    with pytest.raises(ValueError, match="as_of must be a date"):
        m.report(as_of="2019-13-01")
    with pytest.raises(ValueError, match="older than the 180 days kept"):
        m.report(as_of="2001-01-01")
    with pytest.raises(TypeError, match="expects the Report"):
        csmetrics.to_prometheus(dict(m.report()))


def test_bad_bytes_and_merges():
    m = csmetrics.ShopMetrics()
    m.add(T0, "visit", shop="s", buyer="b")
    data = m.serialize()
    for bad in [b"", b"junk", data[:-1], data + b"\0", data[:2] + b"\x63" + data[3:]]:
        with pytest.raises(csmetrics.DeserializeError):
            csmetrics.ShopMetrics.deserialize(bad)
    assert issubclass(csmetrics.DeserializeError, ValueError)
    with pytest.raises(ValueError, match="options differ"):
        m.merge(csmetrics.ShopMetrics(utc_offset="Z"))
    with pytest.raises(ValueError, match="itself"):
        m.merge(m)
    with pytest.raises(ValueError, match="unknown key"):
        csmetrics.ShopMetrics.deserialize(data, input={"lines": 1})
    assert m.report()["shops"]["s"]["traffic"]["visits"] == 1
