"""Pure builders of the wall display and the shell header, tested without a browser."""

from __future__ import annotations

from dash import dcc

from layouts import shell, wall
from monitoring.wall_view import EnterpriseTile, FeedItem, WallSnapshot

NOW = 1_790_000_000_000


def item(severity: str, state: str, raised_ms: int, **kw) -> FeedItem:
    base = dict(
        id=1,
        enterprise="e1",
        enterprise_name="Test Fertilizer",
        enterprise_name_zh="测试化肥",
        site="s1",
        site_name="Main plant",
        source="sensor:NH3-1",
        rule="limit",
        severity=severity,
        state=state,
        count=1,
        raised_ms=raised_ms,
        message="NH3-1 high",
    )
    return FeedItem(**(base | kw))


def snapshot(**kw) -> WallSnapshot:
    base = dict(
        now_ms=NOW,
        enterprises=(
            EnterpriseTile("e1", "Test Fertilizer", "测试化肥", "red", 2, 1),
            EnterpriseTile("e2", "Second Chemicals", None, None, 0, 0),
        ),
        sensors_total=200,
        sensors_online=199,
        open_by_severity={"red": 1, "orange": 1, "yellow": 0, "blue": 0},
        unacknowledged=1,
        special_operations=1,
        feed=(
            item("red", "active_unack", NOW - 75_000),
            item(
                "orange",
                "active_ack",
                NOW - 3_700_000,
                id=2,
                rule="special_operation",
                source="zone:Z1",
            ),
        ),
        health={"broker": {"connected": True}, "store": {"reachable": False}},
        newest_reading_ms=NOW - 2000,
    )
    return WallSnapshot(**(base | kw))


def texts(component) -> list[str]:
    """Collect every string in a component tree."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, list | tuple):
        return [s for c in component for s in texts(c)]
    children = getattr(component, "children", None)
    return [] if children is None else texts(children)


def classes(components: list) -> list[str]:
    return [c.className for c in components]


def test_kpi_tiles_show_figures_and_colour_only_abnormal_ones() -> None:
    tiles = wall.kpi_tiles(snapshot(), "en")
    assert len(tiles) == 5
    words = texts(tiles)
    assert "2" in words and "99.5 %" in words and "199 / 200" in words
    assert [("hz-tile-alert" in c, "hz-tile-warn" in c) for c in classes(tiles)] == [
        (False, False),
        (False, True),
        (False, False),
        (True, False),
        (False, True),
    ]
    calm = wall.kpi_tiles(
        snapshot(unacknowledged=0, special_operations=0, sensors_online=200), "en"
    )
    assert not any("alert" in c or "warn" in c for c in classes(calm))


def test_kpi_tiles_in_chinese() -> None:
    words = texts(wall.kpi_tiles(snapshot(), "zh"))
    assert "监测企业" in words and "红" in words and "疑似特殊作业" in words


def test_online_rate_without_sensors() -> None:
    assert wall.online_rate_text(0, 0) == "—"
    assert wall.online_rate_text(1, 3) == "33.3 %"


def test_grid_colours_by_worst_alarm_and_names_in_the_chosen_language() -> None:
    grid = wall.enterprise_grid(snapshot(), "zh")
    assert classes(grid) == ["hz-ent hz-ent-red hz-unack", "hz-ent"]
    assert texts(grid) == ["测试化肥", "红色（一级） · 2", "Second Chemicals", "正常"]
    assert texts(wall.enterprise_grid(snapshot(), "en"))[0] == "Test Fertilizer"


def test_feed_rows_show_elapsed_time_and_emphasise_unacknowledged() -> None:
    rows = wall.feed_rows(snapshot(), "en")
    assert classes(rows) == [
        "hz-feed-row hz-sev-red hz-unack",
        "hz-feed-row hz-sev-orange hz-acked",
    ]
    first, second = texts(rows[0]), texts(rows[1])
    assert "1 min" in first and "UNACK" in first
    assert "Test Fertilizer / Main plant" in first
    assert "1 h 1 min" in second and "Suspected special operation · zone:Z1" in second


def test_feed_marks_cleared_unacknowledged_and_repeats() -> None:
    rows = wall.feed_rows(snapshot(feed=(item("yellow", "cleared_unack", NOW, count=4),)), "zh")
    assert texts(rows)[2] == "超限 · sensor:NH3-1 ×4 · 已恢复"


def test_empty_feed_says_so() -> None:
    assert texts(wall.feed_rows(snapshot(feed=()), "zh")) == ["无未关闭报警"]


def test_elapsed_text() -> None:
    assert [shell.elapsed_text(ms, "en") for ms in (0, 59_999, 60_000, 7_260_000, 90_000_000)] == [
        "0 s",
        "59 s",
        "1 min",
        "2 h 1 min",
        "1 d 1 h",
    ]
    assert shell.elapsed_text(-5000, "zh") == "0秒"


def test_health_badges_colour_only_what_is_wrong() -> None:
    snap = snapshot()
    badges = shell.health_badges(snap.health, snap.newest_reading_ms, NOW, "en")
    assert classes(badges) == ["hz-badge", "hz-badge hz-badge-bad", "hz-badge"]
    assert texts(badges) == ["Broker", "OK", "Store", "DOWN", "Data", "2 s"]
    stale = shell.health_badges({}, None, NOW, "zh")
    assert all("hz-badge-bad" in c for c in classes(stale))
    assert texts(stale)[-1] == "无数据"


def test_nav_shows_only_pages_the_role_allows() -> None:
    viewer = shell.nav_links("/", "en", {"viewer": True, "inspector": False, "admin": False})
    assert [link.href for link in viewer] == ["/", "/site", "/enterprises", "/permits"]
    assert "hz-nav-current" in viewer[0].className
    admin = shell.nav_links("/admin", "zh", {"viewer": True, "inspector": True, "admin": True})
    assert texts(admin) == ["大屏", "值守台", "厂区监测", "企业名录", "作业票", "管理"]


def test_wall_refreshes_by_itself_at_least_every_two_seconds() -> None:
    interval = wall.layout("en").children[0]
    assert isinstance(interval, dcc.Interval)
    assert interval.interval <= 2000
