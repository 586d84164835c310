# SPDX-License-Identifier: Apache-2.0
# File: python/tests/test_service_hours.py
#
# Service hours (issue 25) through Python: service_hours= and calendar= give
# shop_report --service-hours / --calendar's report, the calendar travels in
# the serialized state, and states of different calendars refuse to merge.
import pytest

import csmetrics
from conftest import HEADER, shop_report_json

LOG = (HEADER + "\n"
       "2026-12-07T02:00:00+08:00,buyer_msg,shop-a,b1,,,,,\n"
       "2026-12-07T08:00:30+08:00,agent_msg,shop-a,b1,ann,,,,\n"
       "2026-12-07T12:00:00+08:00,buyer_msg,shop-a,b2,,,,,\n"
       "2026-12-07T12:00:20+08:00,agent_msg,shop-a,b2,bob,,,,\n")


def test_service_hours(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text(LOG)
    m = csmetrics.ShopMetrics(service_hours="08:00-24:00")
    m.read_csv(str(log))
    r = m.report()
    s = r["shops"]["shop-a"]["sessions"]
    assert s["response_service_s"]["mean"] == 25 and s["response_s"]["mean"] == (21630 + 20) / 2
    assert r == shop_report_json("--service-hours", "08:00-24:00", str(log))
    plain = csmetrics.ShopMetrics()
    plain.read_csv(str(log))
    assert "response_service_s" not in plain.report()["shops"]["shop-a"]["sessions"]
    # the calendar travels with the state; different calendars do not merge
    back = csmetrics.ShopMetrics.deserialize(m.serialize())
    assert back.report()["shops"] == r["shops"]
    with pytest.raises(ValueError, match="options differ: service calendar: none vs \\*: daily 08:00-24:00"):
        plain.merge(m)


def test_calendar_file(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text(LOG)
    cal = tmp_path / "cal.csv"
    cal.write_text("shop,weekday_or_date,open,close\nshop-a,mon,09:00,18:00\n")
    m = csmetrics.ShopMetrics(calendar=cal)
    m.read_csv(str(log))
    assert m.report() == shop_report_json("--calendar", str(cal), str(log))
    bad = tmp_path / "bad.csv"
    bad.write_text("*,daily,08:00,24:00\n*,mon,8:00,09:00\n")
    with pytest.raises(ValueError, match="bad.csv: line 2: open must be a time"):
        csmetrics.ShopMetrics(calendar=str(bad))
    with pytest.raises(ValueError, match="service_hours must look like"):
        csmetrics.ShopMetrics(service_hours="8-24")
    with pytest.raises(ValueError, match="not both"):
        csmetrics.ShopMetrics(service_hours="08:00-24:00", calendar=str(cal))
