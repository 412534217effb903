"""The wall's refresh callback: it sends only what the browser does not have yet."""

from __future__ import annotations

from dash import Patch, no_update

import callbacks.views
import callbacks.wall
from monitoring.views.wall import EnterpriseTile, WallSnapshot
from tests.layouts.test_wall import NOW, snapshot


def test_refresh_sends_the_grid_and_red_ids_only_when_they_change(monkeypatch) -> None:
    class View:
        snap = snapshot()

        def snapshot(self) -> WallSnapshot:
            return self.snap

    view = View()
    monkeypatch.setattr(callbacks.views, "wall", lambda: view)
    monkeypatch.setattr(callbacks.wall, "current_session_user", lambda: None)  # a viewer
    kpis, grid, feed, title, red, key = callbacks.wall.refresh_wall(1, "en", None, None)
    assert len(kpis) == 5 and len(grid) == 2 and len(feed) == 2 and red == [1]
    assert title == "Alarm feed · all 2 open"  # the feed says how many of the open it lists
    assert set(key) == {"grid", "kpis", "feed", "title"}
    again = callbacks.wall.refresh_wall(2, "en", key, red)
    assert all(part is no_update for part in again)  # the browser has all of it
    view.snap = snapshot(now_ms=NOW + 60_000)  # the feed's ages moved on, nothing else
    older = callbacks.wall.refresh_wall(2, "en", key, red)
    assert older[0] is no_update and older[1] is no_update and len(older[2]) == 2
    assert older[3] is no_update  # the same title
    assert older[5]["feed"] != key["feed"] and older[5]["grid"] == key["grid"]
    view.snap = snapshot()
    assert len(callbacks.wall.refresh_wall(3, "zh", key, red)[1]) == 2  # another language
    calm = EnterpriseTile("e2", "Second Chemicals", None, "yellow", 1, 1, site="s9")
    view.snap = snapshot(enterprises=(snapshot().enterprises[0], calm), red_ids=())
    changed = callbacks.wall.refresh_wall(4, "en", key, red)
    assert isinstance(changed[1], Patch)  # only the tile that changed
    assert list(changed[1].to_plotly_json()["operations"][0]["location"]) == [1]
    assert changed[4] == [] and changed[5]["grid"] != key["grid"]
    unknown = callbacks.wall.refresh_wall(5, "en", {"grid": "en:2:not-seen-here"}, None)
    assert len(unknown[1]) == 2  # a grid this process never built: send it all
