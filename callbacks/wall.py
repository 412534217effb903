"""Wall display callbacks: refresh tiles, grid and feed every 1.5 s from the cached snapshot."""

from __future__ import annotations

from dash import Input, Output, callback

from layouts import ids, wall
from layouts.i18n import normalise
from monitoring import wall_view


@callback(
    Output(ids.WALL_KPIS, "children"),
    Output(ids.WALL_GRID, "children"),
    Output(ids.WALL_FEED, "children"),
    Input(ids.WALL_INTERVAL, "n_intervals"),
    Input(ids.LANG, "data"),
)
def refresh_wall(_n: int | None, lang: str | None) -> tuple[list, list, list]:
    """Rebuild the wall from the newest snapshot."""
    lang = normalise(lang)
    snap = wall_view.current().snapshot()
    return wall.kpi_tiles(snap, lang), wall.enterprise_grid(snap, lang), wall.feed_rows(snap, lang)
