"""The pages' figures: sensor trends and people on the Site page, the trend around an alarm."""

from __future__ import annotations

import json
from datetime import datetime

from layouts import charts
from monitoring.clock import local_dt
from monitoring.views import site as sv
from monitoring.views.console import Trend as AlarmTrend
from monitoring.views.site import SensorSeries, Trend
from tests.layouts.site_factories import NOW, TZ, presence, series, span, window

ALARM_NOW = 1_790_000_000_000  # the console tests' clock

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
    fig = charts.trend_figure(trend, "en", "rev-1")
    data = [t for t in fig.data if t.name]
    assert [t.name for t in data] == ["NH3-1 ppm", "NH3-2 ppm", "LT-1 %"]
    assert len(data[0].x) == w.buckets <= sv.MAX_POINTS  # bounded by the read model's window
    assert data[2].yaxis == "y2"  # another unit, another panel
    lines = {(s.yref, s.y0) for s in fig.layout.shapes}
    # The two gas sensors share their limits: drawn once each, on the first panel.
    assert lines == {("y", 42.0), ("y", 85.0), ("y2", 10.0), ("y2", 85.0), ("y2", 90.0)}
    reds = [s for s in fig.layout.shapes if s.line.color == charts.LIMIT_COLOURS["high_high"]]
    assert {s.y0 for s in reds} == {85.0, 90.0}
    labels = {a.text for a in fig.layout.annotations}
    assert {"H 42", "HH 85", "L 10", "H 85", "HH 90"} <= labels
    assert fig.layout.yaxis.title.text == "ppm" and fig.layout.yaxis2.title.text == "%"


def test_trend_keeps_the_users_zoom_across_live_updates_and_resets_it_on_a_new_view():
    w1, w2 = window("1h", NOW), window("1h", NOW + 5000)
    rev = charts.revision("e1", "s1", "1h", "NH3-1")
    first = charts.trend_figure(
        Trend(w1, TZ, (series("NH3-1", "ppm", {}, 10, w1.start_ms, 1000),)), "en", rev
    )
    later = charts.trend_figure(
        Trend(w2, TZ, (series("NH3-1", "ppm", {}, 12, w2.start_ms, 1000),)), "zh", rev
    )
    assert first.layout.uirevision == later.layout.uirevision == rev
    # No explicit x range: an explicit one would be re-applied at every refresh and undo a zoom.
    assert first.layout.xaxis.range is None and first.layout.xaxis.autorange is not False
    assert charts.revision("e1", "s1", "6h", "NH3-1") != rev
    assert charts.revision("e1", "s1", "1h", "NH3-1", "LT-1") != rev
    assert charts.revision("e1", "s2", "1h", "NH3-1") != rev


def test_a_live_refresh_sends_only_each_traces_tail_and_the_new_bounds():
    # Dash's Graph writes a user's zoom into the figure's layout: a whole new figure would
    # undo it; the browser splices these points into the figure on screen, axes untouched.
    w = sv.trend_window("1h", NOW + 6000)
    starts = {"NH3-1": w.end_ms - 2 * w.bucket_ms, "LT-1": w.start_ms}
    tail = Trend(
        w,
        TZ,
        (
            series("NH3-1", "ppm", {"high": 42.0}, 2, starts["NH3-1"], w.bucket_ms),
            series("LT-1", "%", {}, 0, w.start_ms, w.bucket_ms),
        ),
    )
    delta = charts.trend_tail(tail, starts, "rev")
    assert delta["rev"] == "rev" and delta["x0"] == local_dt(w.start_ms, TZ).isoformat()
    nh3, lt = delta["traces"]
    assert (nh3["i"], lt["i"]) == (0, 1)  # trend_figure's order: the series first
    assert nh3["from"] == local_dt(starts["NH3-1"], TZ).isoformat()
    assert nh3["x"] == [
        local_dt(starts["NH3-1"] + k * w.bucket_ms, TZ).isoformat() for k in range(2)
    ]
    assert nh3["y"] == [10.0, 11.0] and lt["x"] == [] and lt["from"] == delta["x0"]
    # Then one invisible bounds trace per unit panel, moved to the new window.
    assert delta["bounds"] == [
        {"i": 2, "x": [delta["x0"], local_dt(w.end_ms, TZ).isoformat()]},
        {"i": 3, "x": [delta["x0"], local_dt(w.end_ms, TZ).isoformat()]},
    ]
    full = charts.trend_figure(tail, "en", "rev")
    assert [t.name for t in full.data] == ["NH3-1 ppm", "LT-1 %", "", ""]
    # Its times are written as the whole figure's are (the browser compares them as text).
    assert json.loads(full.to_json())["data"][0]["x"] == nh3["x"]
    # A tail of 3 sensors over a 5 s tick is a few hundred bytes, not 1,200 points each.
    assert len(json.dumps(delta)) < 1000


def test_a_live_refresh_of_people_redraws_limit_and_permits_or_asks_for_a_whole_figure():
    w = window("1h")
    start = w.end_ms - w.bucket_ms
    calm = presence(w, ((start, 1.0),), [span("DH-9", NOW - 60_000, NOW, w, workers=4)])
    delta = charts.presence_tail(calm, start, True, False, "en", "r")
    assert [t["i"] for t in delta["traces"]] == [0] and delta["bounds"][0]["i"] == 1
    assert delta["traces"][0]["y"] == [1.0]
    assert {a["text"] for a in delta["annotations"]} == {"max 2", "Hot work · DH-9 · 4 workers"}
    assert [s["type"] for s in delta["shapes"]] == ["line", "rect"]
    crowded = presence(w, ((start, 5.0),))
    assert charts.presence_tail(crowded, start, True, False, "en", "r") is None  # new markers
    marked = charts.presence_tail(crowded, start, True, True, "en", "r")
    assert [t["i"] for t in marked["traces"]] == [0, 1] and marked["bounds"][0]["i"] == 2
    assert marked["traces"][1]["y"] == [5.0]
    assert charts.has_over_trace(crowded) and not charts.has_over_trace(calm)
    empty = charts.presence_tail(presence(w, ()), start, False, False, "zh", "r")
    assert "该时段无人数数据" in {a["text"] for a in empty["annotations"]}


def test_trend_spans_the_whole_window_even_when_data_covers_part_of_it():
    w = window("6h")
    fig = charts.trend_figure(
        Trend(w, TZ, (series("NH3-1", "ppm", {}, 3, NOW - 60_000, 1000),)), "en", "r"
    )
    bounds = [t for t in fig.data if not t.name]
    assert len(bounds) == 1 and bounds[0].marker.opacity == 0
    assert list(bounds[0].x) == [
        local_dt(w.start_ms, TZ),
        local_dt(w.end_ms, TZ),
    ]


def test_trend_without_sensors_or_data_says_so():
    empty = charts.trend_figure(None, "zh", "r")
    assert [a.text for a in empty.layout.annotations] == ["请选择传感器"]
    w = window()
    no_data = charts.trend_figure(
        Trend(w, TZ, (SensorSeries("LT-1", "level", "%", {"high": 85.0}, ()),)), "en", "r"
    )
    assert "No data in this window" in {a.text for a in no_data.layout.annotations}
    assert {s.y0 for s in no_data.layout.shapes} == {85.0}  # limits drawn all the same


def test_times_are_shown_in_the_registry_timezone():
    assert local_dt(NOW, TZ) == datetime(2026, 11, 28, 10, 0)


def test_people_chart_draws_max_people_marks_the_excess_and_shades_each_permit():
    w = window()
    points = tuple((w.start_ms + i * 60_000, float(n)) for i, n in enumerate([0, 1, 3, 4, 2, 1]))
    permits = [
        span("DH-42", NOW - 7_200_000, NOW + 3_600_000, w, workers=4, supervisor="Wang"),
        span("DZ-7", NOW - 1_200_000, NOW - 600_000, w, "cancelled", type="lifting"),
    ]
    fig = charts.presence_figure(presence(w, points, permits), "en", "rev")
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
    fig = charts.presence_figure(
        presence(w, (), [span("DH-1", NOW - 60_000, NOW, w, workers=2)]), "zh", "r"
    )
    labels = {a.text for a in fig.layout.annotations}
    assert "动火作业 · DH-1 · 2人" in labels and "该时段无人数数据" in labels
    assert "上限 2" in labels
    assert charts.presence_figure(None, "en", "r").layout.annotations[0].text == (
        "No people count in this window"
    )


# -- the trend around an alarm ----------------------------------------------------------


def test_trend_figure_draws_limits_and_the_alarm_time() -> None:
    trend = AlarmTrend(
        kind="sensor",
        label="NH3-1",
        unit="ppm",
        points=((ALARM_NOW - 60_000, 30.0), (ALARM_NOW, 90.0)),
        limits={"high": 42.0, "high_high": 85.0},
        alarm_ms=ALARM_NOW,
        tz="Asia/Shanghai",
    )
    fig = charts.alarm_trend_figure(trend, "en")
    assert list(fig.data[0].y) == [30.0, 90.0]
    hlines = [s for s in fig.layout.shapes if s.y0 == s.y1]
    assert sorted(s.y0 for s in hlines) == [42.0, 85.0]
    assert any(s.x0 == s.x1 for s in fig.layout.shapes)  # the alarm time
    zone = charts.alarm_trend_figure(
        AlarmTrend(
            "zone", "Ammonia tanks", "", ((ALARM_NOW, 6.0),), {"max_people": 2.0}, ALARM_NOW, "UTC"
        ),
        "zh",
    )
    assert [s.y0 for s in zone.layout.shapes if s.y0 == s.y1] == [2.0]
    assert "人数" in zone.layout.title.text
    assert charts.alarm_trend_figure(None, "en").data == ()


def test_limit_labels_are_short_and_translated() -> None:
    assert [charts.limit_label(n, "en") for n in ("high_high", "low", "max_people")] == [
        "HH",
        "L",
        "max",
    ]
    assert [charts.limit_label(n, "zh") for n in ("high_high", "low", "max_people")] == [
        "高高",
        "低",
        "上限",
    ]
    assert charts.limit_label("odd_one", "zh") == "odd one"
