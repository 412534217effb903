"""Home page callbacks: refresh the live readings table."""

from __future__ import annotations

from dash import Input, Output, callback

from layouts import ids
from monitoring import readmodels


@callback(
    Output(ids.HOME_TABLE, "data"),
    Output(ids.HOME_SUMMARY, "children"),
    Input(ids.HOME_INTERVAL, "n_intervals"),
)
def refresh_table(_n: int | None) -> tuple[list[dict], str]:
    """Reload the newest value of every sensor."""
    rows = readmodels.current().latest_table()
    fresh = sum(1 for r in rows if r["age_s"] is not None and r["age_s"] < 120)
    return rows, f"{len(rows)} sensors, {fresh} reporting in the last 2 minutes"
