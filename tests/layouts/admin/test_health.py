"""The health tab: only what is wrong is coloured."""

from __future__ import annotations

from layouts.admin import health
from monitoring.views.admin import HealthSummary, WorkerRow
from tests.layouts.admin.tree import texts


def test_health_panel_colours_only_what_is_wrong() -> None:
    stale = WorkerRow("w1", "2026-01-01 08:00:00", 95, False, 10, 9, 1, 0, True, True)
    h = HealthSummary(
        "degraded",
        ("no ingest worker reporting",),
        False,
        (),
        "influxdb",
        True,
        True,
        "sqlite",
        (("received", 10),),
        (stale,),
    )
    dump = texts(health.health_panel(h, "en"))
    assert "Degraded" in dump and "disconnected" in dump and "no ingest worker reporting" in dump
    assert dump.count("hz-bad") == 3  # status, broker, the stale worker's age
    none = HealthSummary("ok", (), True, (), "embedded", True, True, "sqlite", (), ())
    assert "没有接入进程上报状态" in texts(health.health_panel(none, "zh"))
