"""Site page callbacks: the page for the address, and patches that keep the user's zoom."""

from __future__ import annotations

from dash import Patch

import callbacks.site
import callbacks.views
from layouts import charts, ids
from monitoring.views import site as site_view
from monitoring.views.site import Trend
from tests.layouts.site_factories import ENT, NOW, REGISTRY, SITE, TZ, series, text, walk, window


def test_a_live_refresh_of_the_view_on_screen_is_sent_as_a_patch():
    w = window("15m")
    fig = charts.trend_figure(
        Trend(w, TZ, (series("NH3-1", "ppm", {"high": 42.0}, 5, w.start_ms, 1000),)), "en", "r"
    )
    stamp = {"revision": "r", "end_ms": w.end_ms, "at_ms": NOW}
    whole_or_patch = callbacks.site.whole_or_patch
    assert isinstance(whole_or_patch(fig, ids.SITE_INTERVAL, stamp, "r"), Patch)
    assert whole_or_patch(fig, ids.SITE_INTERVAL, stamp, "other view") is fig
    assert whole_or_patch(fig, ids.SITE_WINDOW, stamp, "r") is fig
    assert whole_or_patch(fig, None, None, "r") is fig  # first drawing


class Viewer:
    def can(self, role: str) -> bool:
        return role == "viewer"


class View:
    """The two reads the page makes: the registry's choices and one site."""

    def choices(self) -> list:
        return site_view.site_choices(REGISTRY)

    def site(self, enterprise: str, site: str) -> tuple:
        return (ENT, SITE) if (enterprise, site) == ("e1", "s1") else (None, None)


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
