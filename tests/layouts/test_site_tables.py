"""The Site page's live table and header badges: pure functions of a site snapshot."""

from __future__ import annotations

from dataclasses import replace

from dash import html

from layouts import ids, site_tables
from monitoring.views.site import AlarmMark
from tests.layouts.site_factories import by_class, sensor, snapshot, text, walk


def test_zone_lines_show_people_sensors_abnormal_ones_and_alarm():
    table = site_tables.zone_summary(snapshot(), "en", "Z1")
    rows = [c for c in walk(table) if isinstance(getattr(c, "id", None), dict)]
    assert [r.id for r in rows] == [{"type": ids.SITE_ZONE_ROW, "zone": "Z1"}]
    (zone_row,) = rows
    assert "Ammonia tanks" in text(zone_row) and "Major hazard" in text(zone_row)
    assert "People 1 / max 2" in text(zone_row) and not by_class(zone_row, "hz-site-over")
    assert "hz-site-selected" in zone_row.className
    # 4 sensors, 3 abnormal (a red alarm, stale and bad, no data): the count in colour.
    assert "4 sensors" in text(zone_row)
    assert text(by_class(zone_row, "hz-site-abnormal-count")[0]) == "3 abnormal"
    calm = site_tables.zone_summary(snapshot(sensors=(sensor("NH3-1"),)), "en")
    assert "1 sensors" in text(calm) and not by_class(calm, "hz-site-abnormal-count")
    # No sensor rows at all: they are the grid's.
    assert "NH3-1" not in text(table)


def test_zone_lines_in_chinese_with_people_over_max_and_zone_alarm():
    snap = snapshot(people=5, zone_alarm=AlarmMark("orange", "special_operation", True, False, 1))
    table = site_tables.zone_summary(snap, "zh")
    zone_row = by_class(table, "hz-site-zone")[0]
    assert "氨罐区" in text(zone_row) and "重大危险源" in text(zone_row)
    assert text(by_class(zone_row, "hz-site-over")[0]) == "人数 5 / 上限 2"
    assert text(by_class(zone_row, "hz-site-chip")[0]) == "橙 · 疑似特殊作业"
    assert "4个传感器" in text(zone_row) and "3个异常" in text(zone_row)
    assert "hz-sev-orange" in zone_row.className


def test_alarm_text_and_cleared_chips():
    cleared = AlarmMark("yellow", "limit", False, True, 1)
    chip = site_tables.alarm_chip(cleared, "en")
    assert "hz-site-chip-cleared" in chip.className and text(chip).endswith("cleared")
    assert site_tables.alarm_text(AlarmMark("red", "limit", True, True, 1), "en") == (
        "Red · Limit exceeded · unack"
    )
    assert site_tables.alarm_chip(None, "en") is None


def test_the_panel_digest_changes_only_with_what_the_lines_and_badges_show():
    base = snapshot()
    digest = site_tables.panel_digest(base, "en", "Z1")
    # Ages and values are the grid's: a later snapshot with the same states is the same.
    later = replace(base, now_ms=base.now_ms + 5000)
    assert site_tables.panel_digest(later, "en", "Z1") == digest
    assert site_tables.panel_digest(snapshot(people=2), "en", "Z1") != digest
    assert site_tables.panel_digest(base, "zh", "Z1") != digest
    assert site_tables.panel_digest(base, "en", None) != digest
    assert site_tables.panel_digest(snapshot(gateway_state="offline"), "en", "Z1") != digest


def test_header_shows_gateway_and_open_alarms_coloured_only_when_abnormal():
    ok = site_tables.status_strip(
        snapshot(open_by_severity={s: 0 for s in ("red", "orange", "yellow", "blue")}), "en"
    )
    assert [c.className for c in ok] == ["hz-badge", "hz-badge hz-site-alarm-badge"]
    assert "online" in text(html.Div(ok)) and "none" in text(html.Div(ok))
    bad = site_tables.status_strip(snapshot(gateway_state="offline"), "zh")
    assert "hz-badge-bad" in bad[0].className and "离线" in text(bad[0])
    assert [c.className for c in by_class(html.Div(bad), "hz-site-count")] == [
        "hz-site-count hz-sev-red"
    ]
    assert site_tables.status_strip(None, "en") == []
