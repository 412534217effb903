"""The Site page's builders: the page for a site (or the picker), its panels and captions."""

from __future__ import annotations

from dash import dcc

from layouts import ids, site, site_grid, site_picker, site_tables
from monitoring.views import site as sv
from tests.layouts.site_factories import (
    ENT,
    NOW,
    PHONE,
    REGISTRY,
    SITE,
    presence,
    sensor,
    snapshot,
    span,
    text,
    walk,
    window,
)


def test_the_layout_reads_nothing_and_holds_what_the_page_was_opened_with():
    query = {"enterprise": "e1", "site": "s1", "window": "6h"}
    frame = site.layout("zh", {"viewer": True}, query)
    assert component(frame, ids.SITE_REQUEST).data == {"lang": "zh", "query": query}
    assert component(frame, ids.SITE_PAGE).children is None  # filled by its callback


def test_permit_list_gives_type_number_times_and_supervisor():
    w = window()
    items = site.permit_list(
        presence(w, (), [span("DH-42", NOW - 60_000, NOW, w, workers=4, supervisor="Wang")]), "en"
    )
    assert len(items) == 1
    assert text(items[0]) == "Hot work · DH-42 · 4 workers 11-28 09:59 – 11-28 10:00 Wang"
    assert text(site.permit_list(presence(w, ()), "zh")[0]) == "该时段无作业票"


def test_no_phone_numbers_anywhere_on_the_page():
    page = site.site_page(
        "en", {"enterprise": "e1", "site": "s1"}, sv.site_choices(REGISTRY), ENT, SITE
    )
    everything = (
        str(page.to_plotly_json())
        + str(site_tables.zone_summary(snapshot(), "en").to_plotly_json())
        # The grid's texts (its times are epoch ms, which look like phone numbers).
        + str(
            [
                v
                for r in site_grid.grid_delta(snapshot(), "en", None)["rows"]
                for v in r.values()
                if isinstance(v, str)
            ]
        )
    )
    assert not PHONE.search(everything)
    assert "Duty One" not in everything


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
    assert site_picker.site_href("e1", "s 1") == "/site?enterprise=e1&site=s+1"
    assert site.trend_info(1200, 3000, "en") == "1200 points, 3 s per point · live, every 5 s"
    assert site.bucket_text(404_000, "en") == "6 min 44s"
    assert site.trend_info(10, 1000, "zh", capped=True).endswith("仅显示前6个")


def test_the_dropdowns_own_texts_are_translated():
    page = site.site_page("zh", {"enterprise": "e1", "site": "s1"}, [], ENT, SITE)
    labels = component(page, ids.SITE_SENSORS).labels
    assert labels["selected_count"] == "已选{num_selected}个" and labels["search"] == "搜索"


def test_the_page_arrives_with_its_rows_and_the_trend_opens_on_the_worst_sensors():
    # NH3-2 in a red alarm (not in the registry), PT-1 stale and bad (MPa), LT-1 no data (ppm)
    snap = snapshot()
    page = site.site_page("zh", {"enterprise": "e1", "site": "s1"}, [], ENT, SITE, snap)
    # The worst abnormal ones of the worst one's unit that the registry knows.
    assert component(page, ids.SITE_SENSORS).value == ["LT-1"]
    assert component(page, ids.SITE_ZONE).value == "Z1"
    grid = component(page, ids.SITE_GRID)
    assert grid.selectedRows == {"ids": ["LT-1"]}
    assert [r["id"] for r in grid.rowData] == ["NH3-1", "NH3-2", "PT-1", "LT-1"]
    seen = component(page, ids.SITE_GRID_SEEN).data
    assert seen == site_grid.held(site_grid.grid_delta(snap, "zh", None))
    assert site_grid.grid_delta(snap, "zh", seen) is None  # the first refresh sends nothing
    assert component(page, ids.SITE_PANEL_SEEN).data == site_tables.panel_digest(snap, "zh", "Z1")
    assert "3个异常" in text(component(page, ids.SITE_ZONES))
    assert text(component(page, ids.SITE_GRID_COUNT)) == "显示 4 / 4"
    assert "红 1" in text(component(page, ids.SITE_STATUS))
    abnormal = component(page, ids.SITE_ABNORMAL)
    assert abnormal.value == [] and abnormal.options[0]["value"] == "abnormal"
    assert text(abnormal.options[0]["label"]) == "仅显示异常"
    assert component(page, ids.SITE_GRID_ZONE).options == [
        {"label": "全部区域", "value": ""},
        {"label": "Ammonia tanks", "value": "Z1"},
    ]
    for store in (ids.SITE_GRID_DELTA, ids.SITE_TREND_DELTA, ids.SITE_PEOPLE_DELTA):
        assert isinstance(component(page, store), dcc.Store)
    # The address's sensors win over the worst ones; nothing abnormal: the first sensor.
    query = {"enterprise": "e1", "site": "s1", "sensor": "NH3-1"}
    assert component(site.site_page("en", query, [], ENT, SITE, snap), ids.SITE_SENSORS).value == [
        "NH3-1"
    ]
    calm = snapshot(sensors=(sensor("LT-1"),))
    assert component(site.site_page("en", {}, [], ENT, SITE, calm), ids.SITE_SENSORS).value == [
        "NH3-1"
    ]
    # Without a snapshot (not read yet) the panel is empty and filled by its refresh.
    bare = site.site_page("en", {}, [], ENT, SITE)
    assert component(bare, ids.SITE_GRID).rowData == []
    assert component(bare, ids.SITE_GRID_SEEN).data is None


def test_a_big_site_is_a_page_of_a_few_components_whatever_its_sensors(tmp_path):
    from dataclasses import replace

    from monitoring.registry.loader import load_registry
    from tests.big_site import ENTERPRISE, write_big_site
    from tests.big_site import SITE as BIG

    counts = []
    for n in (400, 800):
        registry = load_registry(write_big_site(tmp_path / str(n), n).registry)
        ent, big = registry.enterprise(ENTERPRISE), registry.site(ENTERPRISE, BIG)
        zones, unregistered = sv.zone_rows(big, [], [], [], NOW)
        snap = replace(snapshot(), zones=zones, unregistered=unregistered)
        page = site.site_page("en", {}, sv.site_choices(registry), ent, big, snap)
        counts.append(len(list(walk(page))))
        # Every sensor is a plain row of the grid, drawn only when scrolled into view.
        assert len(component(page, ids.SITE_GRID).rowData) == n
        assert len(component(page, ids.SITE_SENSORS).options) == n
    # The old page drew each sensor as a row of 8 components (3,600 for 400 sensors).
    assert counts[0] == counts[1] < 200
