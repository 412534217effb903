"""The console's bulk read model: every open alarm, one linked alarm, bulk acknowledge and shelve."""

from __future__ import annotations

import pytest

from monitoring.alarms.bulk import BULK_MAX
from monitoring.views import console_bulk as bulk
from tests.monitoring.views.test_console import NIGHT, raise_alarm, view  # noqa: F401


def test_open_row_is_one_open_alarm(view) -> None:  # noqa: F811
    ids = [raise_alarm(view, f"sensor:LC-{i}", "lost_comm", "yellow", NIGHT + i) for i in range(3)]
    row = bulk.open_row(view, ids[0], "zh")
    assert row is not None and row.enterprise_name == "测试化肥"
    assert bulk.open_row(view, 999, "en") is None


def test_bulk_acknowledge_reports_what_it_did_and_refused(view) -> None:  # noqa: F811
    ids = [raise_alarm(view, f"sensor:LC-{i}", "lost_comm", "yellow", NIGHT + i) for i in range(4)]
    view.acknowledge(ids[0], "insp", "first", None)
    report = bulk.acknowledge(view, ids + [12345], "insp", "gateway back", "instrument_fault")
    assert report.action == "ack" and report.done == 3
    assert [(o.id, o.outcome) for o in report.failed] == [(ids[0], "refused"), (12345, "not_found")]
    assert {view.alarms.get(i).acked_by for i in ids} == {"insp"}
    closed = bulk.open_row(view, ids[1], "en")
    assert closed is not None and closed.state == "active_ack"


def test_bulk_shelve_and_its_bounds(view) -> None:  # noqa: F811
    ids = [raise_alarm(view, f"sensor:LC-{i}", "lost_comm", "yellow", NIGHT + i) for i in range(2)]
    report = bulk.shelve(view, ids, "insp", 45, "gateway replaced")
    assert report.done == 2 and not report.failed
    assert {view.alarms.get(i).state for i in ids} == {"shelved"}
    with pytest.raises(ValueError, match="at most"):
        bulk.acknowledge(view, list(range(1, BULK_MAX + 2)), "insp", "c", None)
    with pytest.raises(ValueError, match="reason"):
        bulk.shelve(view, ids, "insp", 45, " ")
