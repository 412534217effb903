"""Pure builders of the wall display, tested without a browser."""

from __future__ import annotations

import wave
from pathlib import Path

from dash import dcc, html

from layouts import ids, wall
from monitoring.views.wall import EnterpriseTile, FeedItem, WallSnapshot

ROOT = Path(__file__).resolve().parents[2]

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
            EnterpriseTile("e1", "Test Fertilizer", "测试化肥", "red", 2, 1, site="s1"),
            EnterpriseTile("e2", "Second Chemicals", None, None, 0, 0, site="s9"),
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
                message="6 people in Ammonia tanks for 3 min, no permit reported",
                message_key="special_operation.no_permit",
                params={"zone": "Z1", "zone_name": "Ammonia tanks", "people": 6},
                zone_name="Ammonia tanks",
                zone_name_zh="液氨罐区",
            ),
        ),
        red_ids=(1,),
        health={
            "broker": {"connected": True},
            "store": {"reachable": False},
            "database": {"reachable": True},
        },
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
    assert classes(grid) == ["hz-ent hz-ent-red hz-unack", "hz-ent hz-ent-calm"]
    assert texts(grid) == ["测试化肥", "红色2条", "Second Chemicals"]
    # Calm tiles say "Normal" through CSS, in the page's language.
    assert find_id(wall.layout("zh"), ids.WALL_GRID).style == {"--hz-normal": '"正常"'}
    assert texts(wall.enterprise_grid(snapshot(), "en"))[0] == "Test Fertilizer"


def test_a_tile_counts_each_severity_and_never_calls_twelve_yellows_red() -> None:
    # Issue 11: a tile read "Red · 13" for one red and twelve yellow alarms.
    tile = EnterpriseTile(
        "e1", "Test Fertilizer", "测试化肥", "red", 13, 13, by_severity=(("red", 1), ("yellow", 12))
    )
    assert texts(wall.enterprise_tile(tile, "en")) == ["Test Fertilizer", "1\xa0red · 12\xa0yellow"]
    assert texts(wall.enterprise_tile(tile, "zh")) == ["测试化肥", "红色1条 · 黄色12条"]
    many = EnterpriseTile("e1", "T", None, "orange", 1234, 0, by_severity=(("orange", 1234),))
    assert texts(wall.enterprise_tile(many, "en"))[1] == "1,234\xa0orange"


def test_feed_rows_show_elapsed_time_and_emphasise_unacknowledged() -> None:
    rows = wall.feed_rows(snapshot(), "en")
    assert classes(rows) == [
        "hz-feed-row hz-sev-red hz-unack",
        "hz-feed-row hz-sev-orange hz-acked",
    ]
    first, second = texts(rows[0]), texts(rows[1])
    assert "1 min" in first and "UNACK" in first
    assert "Test Fertilizer / Main plant" in first
    assert "1 h 1 min" in second
    assert "Suspected special operation · 6 people in Ammonia tanks, no permit reported" in second


def test_feed_messages_are_in_the_chosen_language_with_the_zone_name() -> None:
    second = texts(wall.feed_rows(snapshot(), "zh")[1])
    assert "疑似特殊作业 · 液氨罐区内有6人，未报备作业票" in second


def test_feed_marks_cleared_unacknowledged_and_repeats() -> None:
    rows = wall.feed_rows(snapshot(feed=(item("yellow", "cleared_unack", NOW, count=4),)), "zh")
    assert texts(rows)[2] == "超限 · NH3-1 high ×4 · 已恢复"  # no key: the stored message
    gone = item("yellow", "active_unack", NOW, message="")
    assert texts(wall.feed_rows(snapshot(feed=(gone,)), "en"))[2] == "Limit exceeded · sensor:NH3-1"


def test_tiles_and_feed_rows_link_to_the_site_page() -> None:
    grid = wall.enterprise_grid(snapshot(), "en")
    assert all(isinstance(tile, dcc.Link) for tile in grid)
    assert [tile.href for tile in grid] == [
        "/site?enterprise=e1&site=s1",
        "/site?enterprise=e2&site=s9",
    ]
    rows = wall.feed_rows(snapshot(), "en")
    assert [row.href for row in rows] == [
        "/site?enterprise=e1&site=s1&sensor=NH3-1",  # an alarm on a sensor opens the sensor
        "/site?enterprise=e1&site=s1",
    ]
    assert wall.site_href("e 1", None) == "/site?enterprise=e+1"


def find_id(component, wanted: str):
    """Return the component with id `wanted` inside a tree, or None."""
    if getattr(component, "id", None) == wanted:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str):
            found = find_id(child, wanted)
            if found is not None:
                return found
    return None


def test_the_wall_has_a_visible_sound_toggle_and_a_local_chime() -> None:
    page = wall.layout("zh")
    toggle = find_id(page, ids.WALL_SOUND)
    assert isinstance(toggle, html.Button) and "开启声音" in texts(toggle)
    assert "Enable sound" in texts(find_id(wall.layout("en"), ids.WALL_SOUND))
    audio = find_id(page, ids.WALL_CHIME_AUDIO)
    assert audio.src == wall.CHIME_URL and audio.src.startswith("/assets/")
    path = ROOT / "assets" / Path(wall.CHIME_URL).name
    with wave.open(str(path)) as chime:
        seconds = chime.getnframes() / chime.getframerate()
    assert 0.2 < seconds < 1.5 and path.stat().st_size < 60_000
    sound_on = find_id(page, ids.WALL_SOUND_ON)
    assert sound_on.data is False  # off until someone clicks


def test_grid_shows_the_worst_first_by_css_order_keeping_registry_order() -> None:
    tiles = (
        EnterpriseTile("a", "A", None, None, 0, 0),
        EnterpriseTile("b", "B", None, "yellow", 1, 0),
        EnterpriseTile("c", "C", None, "red", 1, 1),
    )
    grid = wall.enterprise_grid(snapshot(enterprises=tiles), "en")
    assert [texts(tile)[0] for tile in grid] == ["A", "B", "C"]
    orders = [(getattr(tile, "style", None) or {}).get("order", 0) for tile in grid]
    assert orders[2] < orders[1] < orders[0] == 0


def test_grid_patch_replaces_only_changed_tiles() -> None:
    before = snapshot().enterprises
    after = (before[0], EnterpriseTile("e2", "Second Chemicals", None, "red", 1, 1, site="s9"))
    patch = wall.grid_patch(before, after, "zh")
    [operation] = patch.to_plotly_json()["operations"]
    assert operation["operation"] == "Assign" and operation["location"] == [1]
    assert "红色1条" in texts(operation["params"]["value"])
    assert wall.grid_patch(before, before[:1], "en") is None  # enterprises changed
    assert wall.grid_patch(before, before[::-1], "en") is None
    assert wall.grid_key(before, "en") == wall.grid_key(tuple(before), "en")
    assert wall.grid_key(before, "en") != wall.grid_key(after, "en")
    assert wall.grid_key(before, "en") != wall.grid_key(before, "zh")


def test_wall_refreshes_by_itself_at_least_every_two_seconds() -> None:
    interval = wall.layout("en").children[0]
    assert isinstance(interval, dcc.Interval)
    assert interval.interval <= 2000


def test_feed_rows_open_the_console_for_inspectors_and_the_site_page_for_viewers() -> None:
    snap = snapshot()
    viewer_rows = wall.feed_rows(snap, "en")
    inspector_rows = wall.feed_rows(snap, "en", to_console=True)
    assert all(row.href.startswith("/site?") for row in viewer_rows)
    assert [row.href for row in inspector_rows] == [f"/console?alarm={i.id}" for i in snap.feed]


def test_the_feed_title_says_how_many_of_the_open_alarms_it_lists() -> None:
    flood = snapshot(open_by_severity={"red": 1130, "orange": 2255, "yellow": 2450, "blue": 240})
    assert wall.feed_title(flood, "en") == "Alarm feed · 2 of 6,075 open"
    assert wall.feed_title(flood, "zh") == "实时报警 · 6,075条中的2条"
    assert wall.feed_title(snapshot(), "en") == "Alarm feed · all 2 open"
    calm = snapshot(open_by_severity=dict.fromkeys(("red", "orange", "yellow", "blue"), 0))
    assert wall.feed_title(calm, "zh") == "实时报警"
