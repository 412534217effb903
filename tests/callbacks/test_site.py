"""Site page callbacks: the page for the address, refreshes that send only what changed."""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import replace

import pytest
from dash import no_update
from dash._callback_context import context_value
from dash._utils import AttributeDict

import callbacks.site
import callbacks.views
from layouts import ids
from monitoring.views import site as site_view
from monitoring.views.site import Trend
from tests.layouts.site_factories import ENT, NOW, REGISTRY, SITE, TZ, series, snapshot, text, walk


@contextmanager
def triggered_by(prop_id: str, value: object = 1):
    """Run a callback as Dash would when `prop_id` changed."""
    token = context_value.set(
        AttributeDict(triggered_inputs=[{"prop_id": prop_id, "value": value}])
    )
    try:
        yield
    finally:
        context_value.reset(token)


def test_only_a_tick_of_the_view_on_screen_is_a_live_refresh():
    stamp = {"revision": "r", "end_ms": NOW, "at_ms": NOW}
    assert callbacks.site.live_view(ids.SITE_INTERVAL, stamp, "r")
    assert not callbacks.site.live_view(ids.SITE_INTERVAL, stamp, "another view")
    assert not callbacks.site.live_view(ids.SITE_WINDOW, stamp, "r")
    assert not callbacks.site.live_view(None, None, "r")  # first drawing


class Viewer:
    def can(self, role: str) -> bool:
        return role == "viewer"


class View:
    """The reads the page makes: the registry's choices, one site, the site now, series."""

    def __init__(self, snap=None) -> None:
        self.snap = snap if snap is not None else snapshot()
        self.trend_calls: list = []

    def choices(self) -> list:
        return site_view.site_choices(REGISTRY)

    def site(self, enterprise: str, site: str) -> tuple:
        return (ENT, SITE) if (enterprise, site) == ("e1", "s1") else (None, None)

    def snapshot(self, enterprise: str, site: str):
        return self.snap if (enterprise, site) == ("e1", "s1") else None

    def now_ms(self) -> int:
        return NOW

    def trend(self, enterprise, site, sensors, window, since=None):
        self.trend_calls.append(since)
        start = {
            s: site_view.tail_start(window, (since or {}).get(s), since is not None)
            for s in sensors
        }
        return Trend(
            window,
            TZ,
            tuple(
                series(
                    s,
                    "ppm",
                    {},
                    (window.end_ms - start[s]) // window.bucket_ms,
                    start[s],
                    window.bucket_ms,
                )
                for s in sensors
            ),
        )


def ids_in(page) -> set:
    return {c.id for c in walk(page) if isinstance(getattr(c, "id", None), str)}


def test_the_page_callback_reads_the_site_the_address_names(monkeypatch):
    monkeypatch.setattr(callbacks.views, "site", lambda: View())
    monkeypatch.setattr(callbacks.site, "current_session_user", lambda: Viewer())
    query = {"enterprise": "e1", "site": "s1", "window": "6h"}
    page = callbacks.site.open_page({"lang": "zh", "query": query})
    assert "测试化肥" in text(page) and ids.SITE_INTERVAL in ids_in(page)
    [current] = [c for c in walk(page) if getattr(c, "id", None) == ids.SITE_CURRENT]
    assert current.data == {"enterprise": "e1", "site": "s1"}
    unknown = callbacks.site.open_page({"lang": "en", "query": {"enterprise": "e1", "site": "x"}})
    assert "site.pick" not in text(unknown) and ids.SITE_INTERVAL not in ids_in(unknown)
    assert ids.SITE_ENTERPRISE in ids_in(unknown)  # the picker
    # Whatever the browser sends back, only text parameters are read.
    odd = callbacks.site.open_page({"lang": 3, "query": {"enterprise": ["e1"], "site": "s1"}})
    assert ids.SITE_INTERVAL not in ids_in(odd) and ids.SITE_ENTERPRISE in ids_in(odd)
    assert callbacks.site.open_page(None) == []


def test_the_page_callback_shows_nothing_without_a_signed_in_viewer(monkeypatch):
    monkeypatch.setattr(callbacks.views, "site", lambda: View())
    monkeypatch.setattr(callbacks.site, "current_session_user", lambda: None)
    assert (
        callbacks.site.open_page({"lang": "en", "query": {"enterprise": "e1", "site": "s1"}}) == []
    )


CURRENT = {"enterprise": "e1", "site": "s1"}


@pytest.fixture
def signed_in(monkeypatch):
    view = View()
    monkeypatch.setattr(callbacks.views, "site", lambda: view)
    monkeypatch.setattr(callbacks.site, "current_session_user", lambda: Viewer())
    return view


def test_the_page_arrives_with_the_site_now_and_a_refresh_sends_only_what_changed(signed_in):
    page = callbacks.site.open_page({"lang": "en", "query": CURRENT})
    [seen] = [c.data for c in walk(page) if getattr(c, "id", None) == ids.SITE_GRID_SEEN]
    [panel] = [c.data for c in walk(page) if getattr(c, "id", None) == ids.SITE_PANEL_SEEN]
    assert len(seen["d"]) == 4

    def tick(snap, seen, panel, abnormal=(), prop=f"{ids.SITE_INTERVAL}.n_intervals", applied=None):
        signed_in.snap = snap
        with triggered_by(prop):
            return callbacks.site.refresh_table(
                1, list(abnormal), "", "Z1", CURRENT, "en", seen, panel, applied
            )

    # Nothing changed: nothing but the count is sent.
    delta, filters, count, zones, status, digest = tick(snapshot(), seen, panel)
    assert (delta, filters, zones, status, digest) == (no_update,) * 5
    assert count == "Showing 4 of 4"

    # One new value: one row, its value and time only; the zone lines stay.
    snap = snapshot()
    moved = tuple(
        replace(s, value=13.0, ts_ms=NOW) if s.id == "NH3-1" else s for s in snap.zones[0].sensors
    )
    snap = replace(snap, zones=(replace(snap.zones[0], sensors=moved),))
    delta, _f, _c, zones, _s, _d = tick(snap, seen, panel)
    assert delta["rows"] == [{"id": "NH3-1", "v": "13 ppm", "t": NOW}] and zones is no_update

    # More people in the zone: the zone lines and badges again, with their new digest.
    delta, _f, _c, zones, status, digest = tick(snapshot(people=5), seen, panel)
    assert delta is no_update and "People 5 / max 2" in text(zones) and digest != panel

    # The abnormal switch: the grid's filter model and the count of what it shows.
    _d, filters, count, *_ = tick(
        snapshot(), seen, panel, ["abnormal"], f"{ids.SITE_ABNORMAL}.value"
    )
    assert filters == {"ab": {"filterType": "number", "type": "equals", "filter": 1}}
    assert count == "Showing 3 of 4"


def test_a_live_trend_refresh_reads_and_sends_only_the_tail(signed_in):
    window = site_view.trend_window("1h", NOW)
    with triggered_by(f"{ids.SITE_SENSORS}.value", ["NH3-1"]):
        figure, delta, info, stamp = callbacks.site.refresh_trend(
            None, ["NH3-1"], "1h", CURRENT, None, "en"
        )
    assert delta is no_update and [t.name for t in figure.data] == ["NH3-1 ppm", ""]
    assert stamp["last"] == {"NH3-1": window.end_ms - window.bucket_ms}
    assert "1200 points" in info and signed_in.trend_calls == [None]

    later = NOW + 6000  # two new buckets of 3 s
    signed_in.now_ms = lambda: later
    with triggered_by(f"{ids.SITE_INTERVAL}.n_intervals"):
        figure, delta, info, new_stamp = callbacks.site.refresh_trend(
            1, ["NH3-1"], "1h", CURRENT, stamp, "en"
        )
    assert figure is no_update and info is no_update
    assert signed_in.trend_calls[-1] == {"NH3-1": window.end_ms - window.bucket_ms}
    (trace,) = delta["traces"]
    assert len(trace["x"]) == 3  # the last bucket the browser had, read again, and two new
    assert new_stamp["last"]["NH3-1"] > stamp["last"]["NH3-1"]
    assert len(json.dumps(delta)) < 1000

    # No new bucket yet: nothing at all.
    with triggered_by(f"{ids.SITE_INTERVAL}.n_intervals"):
        assert (
            callbacks.site.refresh_trend(2, ["NH3-1"], "1h", CURRENT, new_stamp, "en")
            == (no_update,) * 4
        )


def test_a_click_on_a_grid_row_shows_that_sensors_trend_and_zone(signed_in):
    with triggered_by(f"{ids.SITE_GRID}.cellClicked"):
        assert callbacks.site.click_row({"rowId": "LT-1", "colId": "v"}, [], CURRENT) == (
            ["LT-1"],
            "Z1",
        )
        assert callbacks.site.click_row({"rowId": "nope"}, [], CURRENT) == (no_update, no_update)
    zone_row = json.dumps({"type": ids.SITE_ZONE_ROW, "zone": "Z1"}, separators=(",", ":"))
    with triggered_by(f"{zone_row}.n_clicks", 1):
        assert callbacks.site.click_row(None, [1], CURRENT) == (no_update, "Z1")
    with triggered_by(f"{zone_row}.n_clicks", 0):  # zone lines redrawn, not clicked
        assert callbacks.site.click_row(None, [0], CURRENT) == (no_update, no_update)
