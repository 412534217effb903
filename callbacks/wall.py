"""Wall display callbacks: refresh every 1.5 s from the cached snapshot; chime on new red alarms.

With hundreds of enterprises the grid is most of an answer (about 240 KB for 500) and
building it most of the work, so the refresh sends the grid only to a browser that does not
have it, a Patch of the changed tiles to one that has an older grid, and nothing otherwise;
what is built from one snapshot is shared by every wall screen that asks during its life.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from dash import Input, NoUpdate, Output, Patch, State, callback, clientside_callback, no_update

from callbacks import views
from layouts import ids, wall
from layouts.i18n import normalise
from monitoring.views.wall import EnterpriseTile, WallSnapshot
from monitoring.web.session import current_session_user

RENDER_CACHE_SIZE = 16
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
# What one snapshot shows in one language: (snapshot, content keys, KPI tiles, feed rows).
WallView = tuple[WallSnapshot, dict[str, str], list, list]


class RenderCache(Generic[K, V]):
    """A small LRU of what was built, by key; shared by the request threads."""

    def __init__(self, size: int = RENDER_CACHE_SIZE) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, key: K, build: Callable[[], V]) -> V:
        """Return the item built for `key`, building it (once per key, mostly) if needed."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = build()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

    def peek(self, key: K) -> V | None:
        """Return the item for `key`, or None."""
        with self._lock:
            return self._items.get(key)


# Per web process; keys are content fingerprints, so several processes agree on them.
# grid key -> the tiles it shows (to patch from)
_tiles_by_key: RenderCache[str, tuple[EnterpriseTile, ...]] = RenderCache()
_grids: RenderCache[str, list] = RenderCache(4)  # grid key -> the full grid
# (snapshot id, language, to console) -> what that snapshot shows
_views: RenderCache[tuple[int, str, bool], WallView] = RenderCache(8)


def _view(snap: WallSnapshot, lang: str, to_console: bool) -> WallView:
    def build() -> WallView:
        grid_key = wall.grid_key(snap.enterprises, lang)
        _tiles_by_key.get(grid_key, lambda: snap.enterprises)
        kpis, feed = wall.kpi_tiles(snap, lang), wall.feed_rows(snap, lang, to_console)
        keys = {
            "grid": grid_key,
            "kpis": wall.content_key(kpis),
            "feed": wall.content_key(feed),
            "title": wall.feed_title(snap, lang),  # "Alarm feed · 30 of 6,075 open"
        }
        # The snapshot is kept in the tuple so its id is not reused while cached.
        return snap, keys, kpis, feed

    return _views.get((id(snap), lang, to_console), build)


@callback(
    Output(ids.WALL_KPIS, "children"),
    Output(ids.WALL_GRID, "children"),
    Output(ids.WALL_FEED, "children"),
    Output(ids.WALL_FEED_TITLE, "children"),
    Output(ids.WALL_RED_IDS, "data"),
    Output(ids.WALL_GRID_KEY, "data"),
    Input(ids.WALL_INTERVAL, "n_intervals"),
    Input(ids.LANG, "data"),
    State(ids.WALL_GRID_KEY, "data"),
    State(ids.WALL_RED_IDS, "data"),
)
def refresh_wall(
    _n: int | None, lang: str | None, shown: dict | None, shown_red: list | None
) -> tuple:
    """Refresh the wall from the newest snapshot, sending only what the browser lacks.

    `shown` holds the content keys of what the browser shows ({"grid", "kpis", "feed",
    "title"}).
    """
    lang = normalise(lang)
    shown = shown if isinstance(shown, dict) else {}
    snap = views.wall().snapshot()
    user = current_session_user()
    _snap, keys, kpis, feed = _view(snap, lang, bool(user and user.can("inspector")))
    key, shown_key = keys["grid"], shown.get("grid")
    grid: list | Patch | NoUpdate | None
    if key == shown_key:
        grid = no_update
    else:
        same_lang = isinstance(shown_key, str) and shown_key.startswith(f"{lang}:")
        tiles = _tiles_by_key.peek(shown_key) if same_lang and shown_key else None
        grid = wall.grid_patch(tiles, snap.enterprises, lang) if tiles is not None else None
        if grid is None:
            grid = _grids.get(key, lambda: wall.enterprise_grid(snap, lang))
    red = list(snap.red_ids)
    return (
        no_update if keys["kpis"] == shown.get("kpis") else kpis,
        grid,
        no_update if keys["feed"] == shown.get("feed") else feed,
        no_update if keys["title"] == shown.get("title") else keys["title"],
        no_update if red == shown_red else red,
        no_update if keys == shown else keys,
    )


# Sound: the click itself unlocks audio (browsers block autoplay until the page is clicked)
# and plays the chime once, so the operator hears what it sounds like.
clientside_callback(
    """function(n, on) {
        if (!n) { return window.dash_clientside.no_update; }
        var enable = !on;
        if (enable) {
            var audio = document.getElementById("AUDIO_ID");
            if (audio) { audio.currentTime = 0; audio.play().catch(function () {}); }
        }
        return enable;
    }""".replace("AUDIO_ID", ids.WALL_CHIME_AUDIO),
    Output(ids.WALL_SOUND_ON, "data"),
    Input(ids.WALL_SOUND, "n_clicks"),
    State(ids.WALL_SOUND_ON, "data"),
    prevent_initial_call=True,
)

clientside_callback(
    """function(on) {
        return on ? "hz-sound hz-sound-on" : "hz-sound";
    }""",
    Output(ids.WALL_SOUND, "className"),
    Input(ids.WALL_SOUND_ON, "data"),
)

# Chime once per red alarm id not seen before on this page. The ids present at page load are
# remembered without a chime; a language switch re-renders the page but keeps what was seen.
# window.hazwatchChimes counts chimes that played (for tests and for people debugging a wall).
clientside_callback(
    """function(redIds, on, chimes) {
        var ns = window.dash_clientside;
        if (!Array.isArray(redIds)) { return ns.no_update; }
        if (!window.hazwatchSeenRed) {
            window.hazwatchSeenRed = new Set(redIds);
            window.hazwatchChimes = window.hazwatchChimes || 0;
            return ns.no_update;
        }
        var fresh = redIds.filter(function (id) { return !window.hazwatchSeenRed.has(id); });
        fresh.forEach(function (id) { window.hazwatchSeenRed.add(id); });
        if (!fresh.length || !on) { return ns.no_update; }
        var audio = document.getElementById("AUDIO_ID");
        if (!audio) { return ns.no_update; }
        audio.currentTime = 0;
        var played = audio.play();
        var count = function () { window.hazwatchChimes = (window.hazwatchChimes || 0) + 1; };
        if (played && played.then) {
            played.then(count).catch(function () {
                // Blocked (e.g. after a reload, before any click): ask for the click again.
                ns.set_props("SOUND_ON_ID", {data: false});
            });
        } else {
            count();
        }
        return (chimes || 0) + 1;
    }""".replace("AUDIO_ID", ids.WALL_CHIME_AUDIO).replace("SOUND_ON_ID", ids.WALL_SOUND_ON),
    Output(ids.WALL_CHIMES, "data"),
    Input(ids.WALL_RED_IDS, "data"),
    State(ids.WALL_SOUND_ON, "data"),
    State(ids.WALL_CHIMES, "data"),
)
