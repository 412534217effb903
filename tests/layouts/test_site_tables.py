"""The Site page's live table and header badges: pure functions of a site snapshot."""

from __future__ import annotations

from dash import html

from layouts import ids, site_tables
from monitoring.views.site import AlarmMark
from tests.layouts.site_factories import by_class, sensor, snapshot, text, walk


def test_table_lists_zones_then_sensors_with_colour_only_on_abnormal_values():
    table = site_tables.zone_table(snapshot(), "en", ["NH3-1"], "Z1")
    rows = [c for c in walk(table) if isinstance(getattr(c, "id", None), dict)]
    assert [r.id for r in rows] == [
        {"type": ids.SITE_ZONE_ROW, "zone": "Z1"},
        *({"type": ids.SITE_SENSOR_ROW, "sensor": s} for s in ("NH3-1", "NH3-2", "PT-1", "LT-1")),
    ]
    zone_row, normal, high, stale, missing = rows
    assert "Ammonia tanks" in text(zone_row) and "Major hazard" in text(zone_row)
    assert "People 1 / max 2" in text(zone_row) and not by_class(zone_row, "hz-site-over")
    assert "hz-site-selected" in zone_row.className and "hz-site-selected" in normal.className
    # A normal row has no colour class at all.
    assert not by_class(normal, "hz-site-abnormal") and "hz-sev" not in normal.className
    assert "12.5 ppm" in text(normal) and "H 42 · HH 85" in text(normal) and "2 s" in text(normal)
    assert by_class(high, "hz-site-lim-high_high") and "hz-sev-red" in high.className
    assert text(by_class(high, "hz-site-chip")[0]) == "Red · Limit exceeded · unack"
    assert "hz-site-stale" in stale.className
    quality, age = by_class(stale, "hz-site-abnormal")
    assert text(quality) == "BAD"
    assert text(by_class(age, "hz-site-stale-flag")[0]) == "STALE" and "6 min" in text(age)
    assert "none" in text(stale)  # no limits given by the registry
    assert text(by_class(missing, "hz-site-age")[0]) == "no data"
    assert by_class(missing, "hz-site-abnormal")


def test_table_in_chinese_with_people_over_max_and_zone_alarm():
    snap = snapshot(people=5, zone_alarm=AlarmMark("orange", "special_operation", True, False, 1))
    table = site_tables.zone_table(snap, "zh")
    zone_row = by_class(table, "hz-site-zone")[0]
    assert "氨罐区" in text(zone_row) and "重大危险源" in text(zone_row)
    assert text(by_class(zone_row, "hz-site-over")[0]) == "人数 5 / 上限 2"
    assert text(by_class(zone_row, "hz-site-chip")[0]) == "橙 · 疑似特殊作业"
    assert "氨气" in text(table) and "数据过期" in text(table)


def test_cleared_alarm_is_outlined_and_unregistered_sensors_get_their_own_group():
    cleared = AlarmMark("yellow", "limit", False, True, 1)
    snap = snapshot(
        sensors=(sensor("NH3-1", alarm=cleared),),
        unregistered=(
            sensor("XX-9", registered=False, zone="unknown", kind="unknown", unit="", limits={}),
        ),
    )
    table = site_tables.zone_table(snap, "en")
    chip = by_class(table, "hz-site-chip")[0]
    assert "hz-site-chip-cleared" in chip.className and text(chip).endswith("cleared")
    assert "Unregistered sensors" in text(table) and "XX-9" in text(table)


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
