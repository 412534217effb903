"""The console's pager, in the browser: which page of the open alarms the person asks for.

A click must not wait for the server: while a refresh is on its way, a page number the
server wrote back would carry the page of the moment that refresh left, and a late answer
undid the click. So the browser keeps the page asked for (`CONSOLE_PAGE`), moving from the
page shown (`CONSOLE_PAGE_SHOWN`, written by the refresh), back to the first page when the
filters or the sort change; `None` until then, for the page of a linked alarm.
"""

from __future__ import annotations

import json

from dash import Input, Output, State, clientside_callback

from layouts import console_list, ids

# The grid's sort before anyone picks one, as its column state reports it.
_DEFAULT_SORT = json.dumps(
    [
        [column, "desc" if descending else "asc", i]
        for i, (column, descending) in enumerate(console_list.DEFAULT_SORT)
    ],
    separators=(",", ":"),  # as JSON.stringify writes it
)

clientside_callback(
    """function(_prev, _next, filterModel, columnState, asked, shown) {
        var ns = window.dash_clientside;
        var fired = (ns.callback_context.triggered || []).map(function (t) { return t.prop_id; });
        var sort = (columnState || []).filter(function (c) { return c.sort; })
            .map(function (c) { return [c.colId, c.sort, c.sortIndex || 0]; });
        var view = JSON.stringify(filterModel || {}) + "|"
            + (columnState ? JSON.stringify(sort) : DEFAULT_SORT);
        var page = asked && typeof asked.page === "number" ? asked.page : null;
        if (asked && asked.view !== view) { page = 0; }
        var from = typeof shown === "number" ? shown : 0;
        if (fired.indexOf("PREV_ID.n_clicks") >= 0) { page = Math.max(0, from - 1); }
        if (fired.indexOf("NEXT_ID.n_clicks") >= 0) { page = from + 1; }
        if (asked && asked.view === view && asked.page === page) { return ns.no_update; }
        return {page: page, view: view};
    }""".replace("PREV_ID", ids.CONSOLE_PAGE_PREV)
    .replace("NEXT_ID", ids.CONSOLE_PAGE_NEXT)
    .replace("DEFAULT_SORT", json.dumps(_DEFAULT_SORT)),
    Output(ids.CONSOLE_PAGE, "data"),
    Input(ids.CONSOLE_PAGE_PREV, "n_clicks"),
    Input(ids.CONSOLE_PAGE_NEXT, "n_clicks"),
    Input(ids.CONSOLE_GRID, "filterModel"),
    Input(ids.CONSOLE_GRID, "columnState"),
    State(ids.CONSOLE_PAGE, "data"),
    State(ids.CONSOLE_PAGE_SHOWN, "data"),
)
