"""Pure builders of the Site page: figures, the zones-and-sensors table, header and picker."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import yaml
from dash import Patch, dcc, html

from callbacks.site import whole_or_patch
from layouts import ids, site, site_charts
from monitoring.clock import local_dt
from monitoring.registry.model import parse_registry
from monitoring.views import site as sv
from monitoring.views.site import (
    AlarmMark,
    PermitSpan,
    Presence,
    SensorRow,
    SensorSeries,
    SiteSnapshot,
    Trend,
    ZoneRow,
)
from tests.e2e_support import REGISTRY_YAML

TZ = "Asia/Shanghai"
NOW = int(datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo(TZ)).timestamp() * 1000)
REGISTRY = parse_registry(yaml.safe_load(REGISTRY_YAML.replace("{restrictions}", "[]")))
ENT, SITE = REGISTRY.enterprise("e1"), REGISTRY.site("e1", "s1")
PHONE = re.compile(r"\+86|1[3-9]\d[ -]?\d{4}[ -]?\d{4}")


def walk(component):
    """Yield a component and everything inside it."""
    yield component
    children = getattr(component, "children", None)
    if children is None:
        return
    for child in children if isinstance(children, list | tuple) else [children]:
        if hasattr(child, "to_plotly_json"):
            yield from walk(child)


def text(component) -> str:
    """Return all the text of a component tree."""
    parts = []
    for c in walk(component):
        children = getattr(c, "children", None)
        for child in children if isinstance(children, list | tuple) else [children]:
            if isinstance(child, str | int | float):
                parts.append(str(child))
    return " ".join(parts)


def by_class(component, name: str) -> list:
    return [c for c in walk(component) if name in (getattr(c, "className", "") or "").split()]


def series(sensor: str, unit: str, limits: dict, n: int, start: int, step: int) -> SensorSeries:
    points = tuple((start + i * step, 10.0 + i % 5) for i in range(n))
    return SensorSeries(sensor, "gas_nh3", unit, limits, points)


def window(key: str = "1h", now: int = NOW) -> sv.TrendWindow:
    return sv.trend_window(key, now)


# -- trend figure --------------------------------------------------------------------------


def test_trend_draws_each_sensor_with_its_limits_one_panel_per_unit():
    w = window()
    gas = {"high": 42.0, "high_high": 85.0}
    trend = Trend(
        w,
        TZ,
        (
            series("NH3-1", "ppm", gas, w.buckets, w.start_ms, w.bucket_ms),
            series("NH3-2", "ppm", gas, 100, w.start_ms, w.bucket_ms),
            series("LT-1", "%", {"low": 10.0, "high": 85.0, "high_high": 90.0}, 50, w.start_ms, 1),
        ),
    )
    fig = site_charts.trend_figure(trend, "en", "rev-1")
    data = [t for t in fig.data if t.name]
    assert [t.name for t in data] == ["NH3-1 ppm", "NH3-2 ppm", "LT-1 %"]
    assert len(data[0].x) == w.buckets <= sv.MAX_POINTS  # bounded by the read model's window
    assert data[2].yaxis == "y2"  # another unit, another panel
    lines = {(s.yref, s.y0) for s in fig.layout.shapes}
    # The two gas sensors share their limits: drawn once each, on the first panel.
    assert lines == {("y", 42.0), ("y", 85.0), ("y2", 10.0), ("y2", 85.0), ("y2", 90.0)}
    reds = [s for s in fig.layout.shapes if s.line.color == site_charts.LIMIT_COLOURS["high_high"]]
    assert {s.y0 for s in reds} == {85.0, 90.0}
    labels = {a.text for a in fig.layout.annotations}
    assert {"H 42", "HH 85", "L 10", "H 85", "HH 90"} <= labels
    assert fig.layout.yaxis.title.text == "ppm" and fig.layout.yaxis2.title.text == "%"


def test_trend_keeps_the_users_zoom_across_live_updates_and_resets_it_on_a_new_view():
    w1, w2 = window("1h", NOW), window("1h", NOW + 5000)
    rev = site_charts.revision("e1", "s1", "1h", "NH3-1")
    first = site_charts.trend_figure(
        Trend(w1, TZ, (series("NH3-1", "ppm", {}, 10, w1.start_ms, 1000),)), "en", rev
    )
    later = site_charts.trend_figure(
        Trend(w2, TZ, (series("NH3-1", "ppm", {}, 12, w2.start_ms, 1000),)), "zh", rev
    )
    assert first.layout.uirevision == later.layout.uirevision == rev
    # No explicit x range: an explicit one would be re-applied at every refresh and undo a zoom.
    assert first.layout.xaxis.range is None and first.layout.xaxis.autorange is not False
    assert site_charts.revision("e1", "s1", "6h", "NH3-1") != rev
    assert site_charts.revision("e1", "s1", "1h", "NH3-1", "LT-1") != rev
    assert site_charts.revision("e1", "s2", "1h", "NH3-1") != rev


def test_a_live_refresh_patches_traces_shapes_and_labels_but_never_the_axes():
    # Dash's Graph writes a user's zoom into the figure's layout: a whole new figure would
    # undo it, a patch that leaves the axes alone keeps it.
    w = window("15m")
    fig = site_charts.trend_figure(
        Trend(w, TZ, (series("NH3-1", "ppm", {"high": 42.0}, 5, w.start_ms, 1000),)), "en", "r"
    )
    ops = site_charts.live_patch(fig).to_plotly_json()["operations"]
    assert [op["location"] for op in ops] == [
        ["data"],
        ["layout", "shapes"],
        ["layout", "annotations"],
    ]
    data = ops[0]["params"]["value"]
    assert [t["name"] for t in data] == ["NH3-1 ppm", ""] and len(data[0]["y"]) == 5
    assert [s["y0"] for s in ops[1]["params"]["value"]] == [42.0]
    stamp = {"revision": "r", "end_ms": w.end_ms, "at_ms": NOW}
    assert isinstance(whole_or_patch(fig, ids.SITE_INTERVAL, stamp, "r"), Patch)
    assert whole_or_patch(fig, ids.SITE_INTERVAL, stamp, "other view") is fig
    assert whole_or_patch(fig, ids.SITE_WINDOW, stamp, "r") is fig
    assert whole_or_patch(fig, None, None, "r") is fig  # first drawing


def test_trend_spans_the_whole_window_even_when_data_covers_part_of_it():
    w = window("6h")
    fig = site_charts.trend_figure(
        Trend(w, TZ, (series("NH3-1", "ppm", {}, 3, NOW - 60_000, 1000),)), "en", "r"
    )
    bounds = [t for t in fig.data if not t.name]
    assert len(bounds) == 1 and bounds[0].marker.opacity == 0
    assert list(bounds[0].x) == [
        local_dt(w.start_ms, TZ),
        local_dt(w.end_ms, TZ),
    ]


def test_trend_without_sensors_or_data_says_so():
    empty = site_charts.trend_figure(None, "zh", "r")
    assert [a.text for a in empty.layout.annotations] == ["请选择传感器"]
    w = window()
    no_data = site_charts.trend_figure(
        Trend(w, TZ, (SensorSeries("LT-1", "level", "%", {"high": 85.0}, ()),)), "en", "r"
    )
    assert "No data in this window" in {a.text for a in no_data.layout.annotations}
    assert {s.y0 for s in no_data.layout.shapes} == {85.0}  # limits drawn all the same


def test_times_are_shown_in_the_registry_timezone():
    assert local_dt(NOW, TZ) == datetime(2026, 11, 28, 10, 0)


# -- people and permits --------------------------------------------------------------------


def span(number: str, start: int, end: int, w, status: str = "approved", **kw) -> PermitSpan:
    return PermitSpan(
        permit=number,
        type=kw.get("type", "hot_work"),
        status=status,
        start_ms=start,
        end_ms=end,
        workers=kw.get("workers"),
        supervisor=kw.get("supervisor"),
        clipped_start_ms=max(start, w.start_ms),
        clipped_end_ms=min(end, w.end_ms),
    )


def presence(w, points, permits=(), max_people=2) -> Presence:
    return Presence(w, TZ, "Z1", "Ammonia tanks", "氨罐区", max_people, points, tuple(permits))


def test_people_chart_draws_max_people_marks_the_excess_and_shades_each_permit():
    w = window()
    points = tuple((w.start_ms + i * 60_000, float(n)) for i, n in enumerate([0, 1, 3, 4, 2, 1]))
    permits = [
        span("DH-42", NOW - 7_200_000, NOW + 3_600_000, w, workers=4, supervisor="Wang"),
        span("DZ-7", NOW - 1_200_000, NOW - 600_000, w, "cancelled", type="lifting"),
    ]
    fig = site_charts.presence_figure(presence(w, points, permits), "en", "rev")
    assert fig.layout.uirevision == "rev"
    people = fig.data[0]
    assert list(people.y) == [0, 1, 3, 4, 2, 1] and people.line.shape == "hv"
    over = [t for t in fig.data if t.mode == "markers" and t.name]
    assert len(over) == 1 and list(over[0].y) == [3, 4]  # only abnormal points coloured
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert [s.y0 for s in lines] == [2]
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert [(r.x0, r.x1) for r in rects] == [
        (local_dt(w.start_ms, TZ), local_dt(w.end_ms, TZ)),  # clipped
        (local_dt(NOW - 1_200_000, TZ), local_dt(NOW - 600_000, TZ)),
    ]
    assert rects[0].opacity > rects[1].opacity  # an approved permit stands out
    labels = {a.text for a in fig.layout.annotations}
    assert "Hot work · DH-42 · 4 workers" in labels
    assert "Lifting · DZ-7 · cancelled" in labels
    assert "max 2" in labels


def test_people_chart_in_chinese_and_without_data():
    w = window()
    fig = site_charts.presence_figure(
        presence(w, (), [span("DH-1", NOW - 60_000, NOW, w, workers=2)]), "zh", "r"
    )
    labels = {a.text for a in fig.layout.annotations}
    assert "动火作业 · DH-1 · 2人" in labels and "该时段无人数数据" in labels
    assert "上限 2" in labels
    assert site_charts.presence_figure(None, "en", "r").layout.annotations[0].text == (
        "No people count in this window"
    )


def test_permit_list_gives_type_number_times_and_supervisor():
    w = window()
    items = site.permit_list(
        presence(w, (), [span("DH-42", NOW - 60_000, NOW, w, workers=4, supervisor="Wang")]), "en"
    )
    assert len(items) == 1
    assert text(items[0]) == "Hot work · DH-42 · 4 workers 11-28 09:59 – 11-28 10:00 Wang"
    assert text(site.permit_list(presence(w, ()), "zh")[0]) == "该时段无作业票"


# -- table and header ----------------------------------------------------------------------


def sensor(id_: str, **kw) -> SensorRow:
    base = dict(
        id=id_,
        zone="Z1",
        kind="gas_nh3",
        unit="ppm",
        limits={"high": 42.0, "high_high": 85.0},
        registered=True,
        value=12.5,
        ts_ms=NOW - 2000,
        age_ms=2000,
        quality="good",
        stale=False,
    )
    return SensorRow(**(base | kw))


def snapshot(**kw) -> SiteSnapshot:
    zone = ZoneRow(
        id="Z1",
        name="Ammonia tanks",
        name_zh="氨罐区",
        hazard="major",
        max_people=2,
        people=kw.pop("people", 1),
        people_ts_ms=NOW - 1000,
        has_cameras=True,
        sensors=kw.pop(
            "sensors",
            (
                sensor("NH3-1"),
                sensor(
                    "NH3-2",
                    value=90.0,
                    limit_state="high_high",
                    alarm=AlarmMark("red", "limit", True, True, 1),
                ),
                sensor(
                    "PT-1",
                    value=1.0,
                    unit="MPa",
                    limits={},
                    age_ms=400_000,
                    stale=True,
                    quality="bad",
                ),
                sensor("LT-1", value=None, ts_ms=None, age_ms=None, quality=None, stale=True),
            ),
        ),
        alarm=kw.pop("zone_alarm", None),
    )
    base = dict(
        enterprise="e1",
        enterprise_name="Test Fertilizer",
        enterprise_name_zh="测试化肥",
        region="Testland",
        site="s1",
        site_name="Main plant",
        site_name_zh=None,
        zones=(zone,),
        unregistered=(),
        gateway_state="online",
        gateway_alarm=None,
        open_by_severity={"red": 1, "orange": 0, "yellow": 0, "blue": 0},
        now_ms=NOW,
        tz=TZ,
    )
    return SiteSnapshot(**(base | kw))


def test_table_lists_zones_then_sensors_with_colour_only_on_abnormal_values():
    table = site.zone_table(snapshot(), "en", ["NH3-1"], "Z1")
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
    table = site.zone_table(snap, "zh")
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
    table = site.zone_table(snap, "en")
    chip = by_class(table, "hz-site-chip")[0]
    assert "hz-site-chip-cleared" in chip.className and text(chip).endswith("cleared")
    assert "Unregistered sensors" in text(table) and "XX-9" in text(table)


def test_header_shows_gateway_and_open_alarms_coloured_only_when_abnormal():
    ok = site.status_strip(
        snapshot(open_by_severity={s: 0 for s in ("red", "orange", "yellow", "blue")}), "en"
    )
    assert [c.className for c in ok] == ["hz-badge", "hz-badge hz-site-alarm-badge"]
    assert "online" in text(html.Div(ok)) and "none" in text(html.Div(ok))
    bad = site.status_strip(snapshot(gateway_state="offline"), "zh")
    assert "hz-badge-bad" in bad[0].className and "离线" in text(bad[0])
    assert [c.className for c in by_class(html.Div(bad), "hz-site-count")] == [
        "hz-site-count hz-sev-red"
    ]
    assert site.status_strip(None, "en") == []


def test_no_phone_numbers_anywhere_on_the_page():
    page = site.site_page(
        "en", {"enterprise": "e1", "site": "s1"}, sv.site_choices(REGISTRY), ENT, SITE
    )
    everything = str(page.to_plotly_json()) + str(
        site.zone_table(snapshot(), "en").to_plotly_json()
    )
    assert not PHONE.search(everything)
    assert "Duty One" not in everything


# -- page and picker -----------------------------------------------------------------------


def component(page, id_):
    return next(c for c in walk(page) if getattr(c, "id", None) == id_)


def test_page_opens_on_the_query_sensor_zone_and_window():
    query = {"enterprise": "e1", "site": "s1", "sensor": "LT-1,PT-1", "window": "24h"}
    page = site.site_page("zh", query, sv.site_choices(REGISTRY), ENT, SITE)
    assert component(page, ids.SITE_CURRENT).data == {"enterprise": "e1", "site": "s1"}
    assert component(page, ids.SITE_SENSORS).value == ["LT-1", "PT-1"]
    assert component(page, ids.SITE_WINDOW).value == "24h"
    assert component(page, ids.SITE_ZONE).value == "Z1"
    assert component(page, ids.SITE_ENTERPRISE).value == "e1"
    assert component(page, ids.SITE_ENTERPRISE).options == [{"label": "测试化肥", "value": "e1"}]
    assert component(page, ids.SITE_SITE).value == "s1"
    assert "测试化肥" in text(page) and "Main plant" in text(page)
    options = component(page, ids.SITE_SENSORS).options
    assert options[0] == {"label": "NH3-1 · Ammonia tanks · 氨气 (ppm)", "value": "NH3-1"}
    assert [o["value"] for o in component(page, ids.SITE_WINDOW).options] == list(sv.WINDOWS)
    assert isinstance(component(page, ids.SITE_INTERVAL), dcc.Interval)


def test_page_defaults_to_the_first_sensor_and_one_hour():
    page = site.site_page(
        "en", {"enterprise": "e1", "site": "s1", "sensor": "bogus"}, [], ENT, SITE
    )
    assert component(page, ids.SITE_SENSORS).value == ["NH3-1"]
    assert component(page, ids.SITE_WINDOW).value == "1h"


def test_without_a_known_site_the_page_is_the_picker():
    choices = sv.site_choices(REGISTRY)
    blank = site.site_page("en", {}, choices, None, None)
    assert "Choose an enterprise" in text(blank)
    assert component(blank, ids.SITE_CURRENT).data is None
    assert component(blank, ids.SITE_ENTERPRISE).value is None
    assert not [c for c in walk(blank) if getattr(c, "id", None) == ids.SITE_INTERVAL]
    unknown = site.site_page("zh", {"enterprise": "e1", "site": "nope"}, choices, None, None)
    assert "登记信息中无此厂区" in text(unknown)
    assert component(unknown, ids.SITE_ENTERPRISE).value == "e1"
    assert component(unknown, ids.SITE_SITE).options == [{"label": "Main plant", "value": "s1"}]
    assert "No enterprise is registered" in text(site.site_page("en", {}, [], None, None))


def test_site_href_and_trend_info():
    assert site.site_href("e1", "s 1") == "/site?enterprise=e1&site=s+1"
    assert site.trend_info(1200, 3000, "en") == "1200 points, 3 s per point · live, every 5 s"
    assert site.bucket_text(404_000, "en") == "6 min 44s"
    assert site.trend_info(10, 1000, "zh", capped=True).endswith("仅显示前6个")


def test_the_dropdowns_own_texts_are_translated():
    page = site.site_page("zh", {"enterprise": "e1", "site": "s1"}, [], ENT, SITE)
    labels = component(page, ids.SITE_SENSORS).labels
    assert labels["selected_count"] == "已选{num_selected}个" and labels["search"] == "搜索"
