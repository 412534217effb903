"""What the console's 3 s refresh sends, and how a linked alarm is shown, selected and in view.

- Only what changed: the rows carry no elapsed time (the browser counts it from `raised_ms`),
  so the browser keeps a fingerprint of the rows it has and a refresh that changes nothing
  sends none of them, only the server's clock.
- A linked alarm (`/console?alarm=<id>`, from the wall) is always in the table, even beyond
  the list's first page, and is selected and scrolled into view once its row is there; the
  grid is never made to select it again after the person picked other rows.
"""

from __future__ import annotations

import hashlib
import json

from dash import Input, NoUpdate, Output, State, clientside_callback, no_update

from callbacks import views
from layouts import console, ids
from monitoring.views import console_bulk

ELAPSED_FIELDS = frozenset({"elapsed", "elapsed_s"})


def selected_ids(selected: object) -> list[int]:
    """Return the alarm ids of the grid's `selectedRows`: rows, or `{"ids": [...]}` as set."""
    if isinstance(selected, dict):
        return [int(i) for i in selected.get("ids") or () if str(i).isdigit()]
    if isinstance(selected, list):
        return [int(r["id"]) for r in selected if isinstance(r, dict) and "id" in r]
    return []


def with_linked_row(rows: list[dict], alarm_id: int | None, lang: str) -> list[dict]:
    """Return the rows with the selected alarm's row added if the list's page lacks it."""
    if alarm_id is None or any(r["id"] == alarm_id for r in rows):
        return rows
    row = console_bulk.open_row(views.console(), alarm_id, lang)
    return rows if row is None else rows + console.grid_rows([row], lang)


def fingerprint(rows: list[dict]) -> str:
    """Return a short fingerprint of the rows (labels included, so of their language too)."""
    text = json.dumps(rows, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def only_changes(rows: list[dict], shown: str | None) -> tuple[list[dict] | NoUpdate, str]:
    """Return the rows to send (none if the browser has them) and their fingerprint.

    An elapsed time in a row changes every second and the browser counts it itself from
    `raised_ms`, so it is neither sent nor part of the fingerprint.
    """
    steady = [{k: v for k, v in r.items() if k not in ELAPSED_FIELDS} for r in rows]
    key = fingerprint(steady)
    return (no_update if key == shown else steady), key


# Select and scroll to the alarm of the detail panel when the grid has nothing selected
# (the page was opened from a link, or the row arrived with a later refresh); a grid where the
# person selected rows is left alone.
clientside_callback(
    """function(rows, alarmId, selected) {
        var ns = window.dash_clientside;
        if (alarmId === null || alarmId === undefined || !Array.isArray(rows)) {
            return [ns.no_update, ns.no_update];
        }
        if (Array.isArray(selected) && selected.length) { return [ns.no_update, ns.no_update]; }
        var id = String(alarmId);
        if (!rows.some(function (r) { return r.row_id === id; })) {
            return [ns.no_update, ns.no_update];
        }
        return [{ids: [id]}, {rowId: id, rowPosition: "middle"}];
    }""",
    Output(ids.CONSOLE_GRID, "selectedRows"),
    Output(ids.CONSOLE_GRID, "scrollTo"),
    Input(ids.CONSOLE_GRID, "rowData"),
    Input(ids.CONSOLE_SELECTED, "data"),
    State(ids.CONSOLE_GRID, "selectedRows"),
)

# Each refresh brings the server's clock: the elapsed times are redrawn from it.
clientside_callback(
    """function(serverMs) {
        if (typeof serverMs !== "number") { return window.dash_clientside.no_update; }
        window.hzClockSkewMs = serverMs - Date.now();
        var grid = window.dash_ag_grid && window.dash_ag_grid.getApi
            ? (function () { try { return window.dash_ag_grid.getApi("GRID_ID"); }
                             catch (e) { return null; } })()
            : null;
        if (grid) { grid.refreshCells({columns: ["elapsed_s"], force: true}); }
        return serverMs;
    }""".replace("GRID_ID", ids.CONSOLE_GRID),
    Output(ids.CONSOLE_TICK, "data"),
    Input(ids.CONSOLE_CLOCK, "data"),
)
