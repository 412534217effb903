"""The Site page's sensor grid: rows sent once, then only what changed; the abnormal filter."""

from __future__ import annotations

import json
from dataclasses import replace

from layouts import ids, site_grid
from monitoring.views.site import AlarmMark
from tests.layouts.site_factories import NOW, sensor, snapshot

RED = AlarmMark("red", "limit", True, True, 1)


def big_snapshot(n: int = 400, **kw):
    """A snapshot of one zone holding `n` sensors, every 50th in a red alarm."""
    rows = tuple(
        sensor(f"S-{i:03d}", **({"alarm": RED, "value": 90.0} if i % 50 == 0 else {}))
        for i in range(n)
    )
    return snapshot(sensors=rows, **kw)


def test_first_answer_sends_every_row_then_only_the_changed_live_fields():
    snap = big_snapshot()
    first = site_grid.grid_delta(snap, "en", None)
    assert first["full"] and len(first["rows"]) == 400
    row = first["rows"][1]
    assert row == {
        "id": "S-001",
        "z": "Z1",
        "k": "gas_nh3",
        "lim": "H 42 · HH 85",
        "sa": 60,
        "v": "12.5 ppm",
        "t": NOW - 2000,
        "ls": None,
        "q": "good",
        "st": 0,
        "a": None,
        "sev": None,
        "cl": 0,
        "ab": 0,
        "rank": 10,
        "s": row["s"],
    }
    assert first["rows"][0]["a"] == "Red · Limit exceeded · unack"
    assert (first["rows"][0]["ab"], first["rows"][0]["rank"]) == (1, 0)
    held = {"key": first["key"], "d": {r["id"]: [r["t"], r["s"]] for r in first["rows"]}}

    # Nothing changed (only the ages, which the browser counts itself): nothing to send.
    older = replace(snap, now_ms=NOW + 5000)
    assert site_grid.grid_delta(older, "en", held) is None

    # Three new values: three rows, their values only; a new state: the state only.
    zone = snap.zones[0]
    moved = tuple(
        replace(s, value=13.0, ts_ms=NOW + 4000) if s.id in ("S-003", "S-004", "S-399") else s
        for s in zone.sensors
    )
    moved = tuple(replace(s, stale=True) if s.id == "S-005" else s for s in moved)
    delta = site_grid.grid_delta(replace(snap, zones=(replace(zone, sensors=moved),)), "en", held)
    assert not delta["full"]
    assert [r["id"] for r in delta["rows"]] == ["S-003", "S-004", "S-005", "S-399"]
    assert delta["rows"][0] == {"id": "S-003", "v": "13 ppm", "t": NOW + 4000}
    assert set(delta["rows"][2]) == {"id", "s", *site_grid.STATE_FIELDS}
    assert (delta["rows"][2]["st"], delta["rows"][2]["ab"]) == (1, 1)


def test_a_refresh_with_every_value_new_stays_far_under_50_kb():
    snap = big_snapshot()
    first = site_grid.grid_delta(snap, "en", None)
    held = {"key": first["key"], "d": {r["id"]: [r["t"], r["s"]] for r in first["rows"]}}
    zone = snap.zones[0]
    moved = tuple(replace(s, value=13.25, ts_ms=NOW + 4000) for s in zone.sensors)
    delta = site_grid.grid_delta(replace(snap, zones=(replace(zone, sensors=moved),)), "zh", held)
    assert delta["full"]  # another language: every row again, labels in it
    held = {"key": delta["key"], "d": {r["id"]: [r["t"], r["s"]] for r in delta["rows"]}}
    moved = tuple(replace(s, value=14.5, ts_ms=NOW + 9000) for s in zone.sensors)
    delta = site_grid.grid_delta(replace(snap, zones=(replace(zone, sensors=moved),)), "zh", held)
    assert len(delta["rows"]) == 400
    size = len(json.dumps(delta, ensure_ascii=False).encode())
    assert size < 25_000, size


def test_another_site_language_or_set_of_sensors_sends_every_row():
    snap = big_snapshot(10)
    first = site_grid.grid_delta(snap, "en", None)
    held = {"key": first["key"], "d": {r["id"]: [r["t"], r["s"]] for r in first["rows"]}}
    assert site_grid.grid_delta(snap, "zh", held)["full"]
    assert site_grid.grid_delta(replace(snap, site="s2"), "en", held)["full"]
    fewer = replace(snap, zones=(replace(snap.zones[0], sensors=snap.zones[0].sensors[:9]),))
    assert site_grid.grid_delta(fewer, "en", held)["full"]
    assert site_grid.grid_delta(snap, "en", {"key": first["key"], "d": "junk"})["full"]
    assert site_grid.grid_delta(None, "en", held) is None


def test_abnormal_means_alarm_limit_stale_no_data_or_bad_quality():
    rows = {
        r["id"]: r
        for r in site_grid.grid_delta(snapshot(), "en", None)["rows"]  # NH3-1 normal, others not
    }
    assert {k: v["ab"] for k, v in rows.items()} == {
        "NH3-1": 0,
        "NH3-2": 1,  # red alarm
        "PT-1": 1,  # stale and bad
        "LT-1": 1,  # no data
    }
    assert rows["PT-1"]["st"] == 1 and rows["PT-1"]["q"] == "bad"
    assert rows["LT-1"]["v"] is None and rows["LT-1"]["t"] is None
    assert rows["NH3-2"]["rank"] < rows["PT-1"]["rank"] < rows["NH3-1"]["rank"]
    assert site_grid.shown_count(snapshot(), True, "") == (3, 4)
    assert site_grid.shown_count(snapshot(), False, "") == (4, 4)
    assert site_grid.shown_count(snapshot(), True, "Z9") == (0, 4)
    assert site_grid.count_text(3, 4, "en") == "Showing 3 of 4"
    assert site_grid.count_text(28, 400, "zh") == "显示 28 / 400"


def test_the_filters_are_the_grids_own_filter_model_on_hidden_columns():
    assert site_grid.filter_model(False, "") == {}
    assert site_grid.filter_model(True, "Z2") == {
        "ab": {"filterType": "number", "type": "equals", "filter": 1},
        "zf": {"filterType": "text", "type": "equals", "filter": "Z2"},
    }
    grid = site_grid.sensor_grid("zh", [("Z1", "Ammonia tanks", "氨罐区")], ["gas_nh3"], ["NH3-1"])
    hidden = {c["colId"]: c for c in grid.columnDefs if c.get("hide")}
    assert set(hidden) == {"ab", "zf"}
    assert hidden["ab"]["filter"] == "agNumberColumnFilter"


def test_the_grid_is_virtualised_labels_are_looked_up_and_ages_counted_in_the_browser():
    grid = site_grid.sensor_grid("zh", [("Z1", "Ammonia tanks", "氨罐区")], ["gas_nh3"], ["NH3-1"])
    assert grid.id == ids.SITE_GRID and grid.getRowId == "params.data.id"
    assert grid.rowData == [] and grid.selectedRows == {"ids": ["NH3-1"]}
    assert "rowModelType" not in grid.dashGridOptions  # client side: rows drawn as scrolled
    cols = {c.get("colId", c["field"]): c for c in grid.columnDefs}
    assert [c["headerName"] for c in grid.columnDefs if not c.get("hide")] == [
        "传感器",
        "区域",
        "当前值",
        "报警限值",
        "质量",
        "数据时效",
        "报警",
    ]
    assert "refData" not in cols["z"]  # the zone's id; its name in the tooltip
    assert grid.dashGridOptions["context"]["zones"] == {
        "Z1": "氨罐区",
        site_grid.UNREGISTERED: "未登记传感器",
    }
    assert grid.dashGridOptions["context"]["kinds"] == {"gas_nh3": "氨气"}  # the id's tooltip
    assert cols["q"]["refData"] == {"good": "正常", "uncertain": "不确定", "bad": "坏值"}
    assert cols["age"]["valueFormatter"] == {"function": "hzSiteAge(params)"}
    context = grid.dashGridOptions["context"]
    assert context["m"] == "{n}分钟" and context["stale"] == "数据过期"
    assert grid.dashGridOptions["rowSelection"]["enableClickSelection"] is False
