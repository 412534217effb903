"""Site page callbacks: the page for the address, picker navigation, the live sensor grid,
trends, people and permits.

Every callback checks on the server that the signed-in user may view sites. The live refresh
(every 5 s) sends only what changed: the grid's changed rows (`layouts/site_grid.py`), the
zone lines and badges only when they differ from those on screen, and a chart's new points
only when a new bucket began (or a minute passed), as a tail that `assets/site.js` splices
into the figure on screen, so the user's zoom and pan survive it. A new window, sensor or
zone sends a whole figure, which resets the view. The browser side (merging rows, ages,
tails) is in `assets/site.js`, namespace `hzSite`.
"""

from __future__ import annotations

from dash import (
    ALL,
    ClientsideFunction,
    Input,
    NoUpdate,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    html,
    no_update,
)

from callbacks import views
from layouts import charts, ids, site, site_grid, site_picker, site_tables
from layouts.i18n import normalise
from monitoring.views.site import (
    DEFAULT_WINDOW,
    MAX_SENSORS,
    WINDOWS,
    needs_refresh,
    tail_start,
    trend_window,
)
from monitoring.web.session import current_session_user


def _may_view() -> bool:
    user = current_session_user()
    return bool(user is not None and user.can("viewer"))


def _where(current: dict | None) -> tuple[str, str] | None:
    if not isinstance(current, dict):
        return None
    enterprise, site_id = current.get("enterprise"), current.get("site")
    if isinstance(enterprise, str) and isinstance(site_id, str):
        return enterprise, site_id
    return None


def live_view(triggered: object, stamp: dict | None, revision: str) -> bool:
    """Tell whether a call is a live refresh of the view on screen (send a tail), rather than
    a new view (send a whole figure)."""
    return (
        triggered == ids.SITE_INTERVAL
        and isinstance(stamp, dict)
        and stamp.get("revision") == revision
    )


def _ms(value: object) -> int | None:
    """Return an epoch-ms value the browser sent back, if it is one."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@callback(
    Output(ids.SITE_PAGE, "children"),
    Input(ids.SITE_REQUEST, "data"),
)
def open_page(request: dict | None) -> html.Div | list:
    """Show the site the address names (or the picker), as the registry has it now."""
    if not isinstance(request, dict) or not _may_view():
        return []
    asked = request.get("query")
    query = (
        {k: v for k, v in asked.items() if isinstance(k, str) and isinstance(v, str)}
        if isinstance(asked, dict)
        else {}
    )
    view = views.site()
    ent, found = view.site(query.get("enterprise", ""), query.get("site", ""))
    snap = view.snapshot(ent.id, found.id) if ent is not None and found is not None else None
    lang = normalise(request.get("lang"))
    return site.site_page(lang, query, view.choices(), ent, found, snap)


@callback(
    Output(ids.SITE_SITE, "options"),
    Output(ids.SITE_SITE, "value"),
    Output(ids.SITE_NAV, "href"),
    Input(ids.SITE_ENTERPRISE, "value"),
    Input(ids.SITE_SITE, "value"),
    State(ids.SITE_CURRENT, "data"),
    State(ids.LANG, "data"),
)
def pick(enterprise: str | None, site_id: str | None, current: dict | None, lang: str | None):
    """Offer the chosen enterprise's sites; open a site once one is chosen (or is the only one)."""
    if not _may_view():
        return [], None, no_update
    lang = normalise(lang)
    choices = views.site().choices()
    options = site_picker.site_options(choices, enterprise, lang)
    valid = {o["value"] for o in options}
    if ctx.triggered_id == ids.SITE_ENTERPRISE:
        site_id = options[0]["value"] if len(options) == 1 else None
    elif site_id not in valid:
        site_id = None
    href: str | NoUpdate = no_update
    if enterprise and site_id and (enterprise, site_id) != _where(current):
        href = site_picker.site_href(enterprise, site_id)
    if ctx.triggered_id is None:  # first call: only fill the options
        return options, no_update, no_update
    return options, site_id, href


# The picker's Location writes the new address into the browser's history; the shell's
# Location learns of it from this event and routes to the chosen site. Sent from a callback,
# after rendering: dispatched while the Location itself re-renders ("callback-nav"), the
# event reached the shell's Location too early to change it (Dash 4.4).
clientside_callback(
    """function(href) {
        if (href) {
            window.setTimeout(function () {
                window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
            }, 0);
        }
    }""",
    Input(ids.SITE_NAV, "href"),
    prevent_initial_call=True,
)


@callback(
    Output(ids.SITE_GRID_DELTA, "data"),
    Output(ids.SITE_GRID, "filterModel"),
    Output(ids.SITE_GRID_COUNT, "children"),
    Output(ids.SITE_ZONES, "children"),
    Output(ids.SITE_STATUS, "children"),
    Output(ids.SITE_PANEL_SEEN, "data"),
    Input(ids.SITE_INTERVAL, "n_intervals"),
    Input(ids.SITE_ABNORMAL, "value"),
    Input(ids.SITE_GRID_ZONE, "value"),
    Input(ids.SITE_ZONE, "value"),
    State(ids.SITE_CURRENT, "data"),
    State(ids.LANG, "data"),
    State(ids.SITE_GRID_SEEN, "data"),
    State(ids.SITE_PANEL_SEEN, "data"),
    State(ids.SITE_GRID, "filterModel"),
    # The page arrives with every row, the zone lines and the badges (`open_page`).
    prevent_initial_call=True,
)
def refresh_table(
    _n: int | None,
    abnormal: list | None,
    grid_zone: str | None,
    zone: str | None,
    current: dict | None,
    lang: str | None,
    seen: dict | None,
    panel_seen: str | None,
    applied: dict | None,
) -> tuple:
    """Show every sensor now, sending the browser only the rows that changed, the zone lines
    and badges only when they changed, the filter when the grid's differs from the switches.

    Whatever triggered the call, each output is compared with what the browser has: a tick
    that overtakes a click on a switch (Dash keeps only the newer answer) still applies it.
    """
    where = _where(current)
    if where is None or not _may_view():
        return (no_update,) * 6
    lang = normalise(lang)
    snap = views.site().snapshot(*where)
    only_abnormal = isinstance(abnormal, list) and "abnormal" in abnormal
    grid_zone = grid_zone if isinstance(grid_zone, str) else ""
    delta = site_grid.grid_delta(snap, lang, seen)
    wanted = site_grid.filter_model(only_abnormal, grid_zone)
    filters: dict | NoUpdate = wanted if wanted != (applied or {}) else no_update
    panel = site_tables.panel_digest(snap, lang, zone)
    fresh = panel != panel_seen
    return (
        delta if delta is not None else no_update,
        filters,
        site_grid.count_text(*site_grid.shown_count(snap, only_abnormal, grid_zone), lang),
        site_tables.zone_summary(snap, lang, zone) if fresh else no_update,
        site_tables.status_strip(snap, lang) if fresh else no_update,
        panel if fresh else no_update,
    )


# The grid's rows: all of them (rowData), or the changed ones merged into the rows the grid
# holds as one transaction; what it holds goes back with the next refresh.
clientside_callback(
    ClientsideFunction("hzSite", "applyRows"),
    Output(ids.SITE_GRID, "rowData"),
    Output(ids.SITE_GRID_SEEN, "data"),
    Input(ids.SITE_GRID_DELTA, "data"),
    State(ids.SITE_GRID_SEEN, "data"),
    prevent_initial_call=True,
)
# Ages are counted in the browser: redraw the age cells on screen at each tick.
clientside_callback(
    ClientsideFunction("hzSite", "redrawAges"),
    Input(ids.SITE_INTERVAL, "n_intervals"),
    prevent_initial_call=True,
)
# The sensors on the trend are the grid's selected rows.
clientside_callback(
    ClientsideFunction("hzSite", "selectRows"),
    Output(ids.SITE_GRID, "selectedRows"),
    Input(ids.SITE_SENSORS, "value"),
    prevent_initial_call=True,
)
# A live refresh's tail, spliced into the figure on screen.
for _graph, _delta in (
    (ids.SITE_TREND, ids.SITE_TREND_DELTA),
    (ids.SITE_PEOPLE, ids.SITE_PEOPLE_DELTA),
):
    clientside_callback(
        ClientsideFunction("hzSite", "applyTail"),
        Output(_graph, "figure", allow_duplicate=True),
        Input(_delta, "data"),
        State(_graph, "figure"),
        prevent_initial_call=True,
    )


@callback(
    Output(ids.SITE_TREND, "figure"),
    Output(ids.SITE_TREND_DELTA, "data"),
    Output(ids.SITE_TREND_INFO, "children"),
    Output(ids.SITE_TREND_STAMP, "data"),
    Input(ids.SITE_INTERVAL, "n_intervals"),
    Input(ids.SITE_SENSORS, "value"),
    Input(ids.SITE_WINDOW, "value"),
    State(ids.SITE_CURRENT, "data"),
    State(ids.SITE_TREND_STAMP, "data"),
    State(ids.LANG, "data"),
)
def refresh_trend(
    _n: int | None,
    sensors: list | None,
    window_key: str | None,
    current: dict | None,
    stamp: dict | None,
    lang: str | None,
) -> tuple:
    """Draw the chosen sensors over the window; a live tick sends new points when it must."""
    where = _where(current)
    if where is None or not _may_view():
        return no_update, no_update, no_update, no_update
    lang = normalise(lang)
    view = views.site()
    _ent, found = view.site(*where)
    known = {s.id for s in found.sensors} if found is not None else set()
    wanted = sensors if isinstance(sensors, list) else []
    chosen = [s for s in dict.fromkeys(wanted) if s in known]
    capped, chosen = len(chosen) > MAX_SENSORS, chosen[:MAX_SENSORS]
    window_key = window_key if window_key in WINDOWS else DEFAULT_WINDOW
    now = view.now_ms()
    window = trend_window(window_key, now)
    rev = charts.revision(*where, window_key, *chosen)
    if ctx.triggered_id == ids.SITE_INTERVAL and not needs_refresh(stamp, rev, window, now):
        return no_update, no_update, no_update, no_update
    if chosen and live_view(ctx.triggered_id, stamp, rev) and stamp is not None:
        held = stamp.get("last")
        since = {s: _ms(held.get(s)) if isinstance(held, dict) else None for s in chosen}
        tail = view.trend(*where, chosen, window, since=since)
        starts = {s: tail_start(window, since[s], True) for s in chosen}
        last = {s.sensor: s.points[-1][0] if s.points else since[s.sensor] for s in tail.series}
        return (
            no_update,
            charts.trend_tail(tail, starts, rev),
            no_update,
            {"revision": rev, "end_ms": window.end_ms, "at_ms": now, "last": last},
        )
    trend = view.trend(*where, chosen, window) if chosen else None
    points = max((len(s.points) for s in trend.series), default=0) if trend else 0
    last = {s.sensor: s.points[-1][0] if s.points else None for s in trend.series} if trend else {}
    return (
        charts.trend_figure(trend, lang, rev),
        no_update,
        site.trend_info(points, window.bucket_ms, lang, capped),
        {"revision": rev, "end_ms": window.end_ms, "at_ms": now, "last": last},
    )


@callback(
    Output(ids.SITE_PEOPLE, "figure"),
    Output(ids.SITE_PEOPLE_DELTA, "data"),
    Output(ids.SITE_PERMITS, "children"),
    Output(ids.SITE_PEOPLE_STAMP, "data"),
    Input(ids.SITE_INTERVAL, "n_intervals"),
    Input(ids.SITE_ZONE, "value"),
    Input(ids.SITE_WINDOW, "value"),
    State(ids.SITE_CURRENT, "data"),
    State(ids.SITE_PEOPLE_STAMP, "data"),
    State(ids.LANG, "data"),
)
def refresh_people(
    _n: int | None,
    zone: str | None,
    window_key: str | None,
    current: dict | None,
    stamp: dict | None,
    lang: str | None,
) -> tuple:
    """Draw the zone's people count with max_people and its permits over the window."""
    where = _where(current)
    if where is None or not _may_view():
        return no_update, no_update, no_update, no_update
    lang = normalise(lang)
    view = views.site()
    _ent, found = view.site(*where)
    zone = zone if found is not None and any(z.id == zone for z in found.zones) else None
    window_key = window_key if window_key in WINDOWS else DEFAULT_WINDOW
    now = view.now_ms()
    window = trend_window(window_key, now)
    rev = charts.revision(*where, window_key, zone or "")
    if ctx.triggered_id == ids.SITE_INTERVAL and not needs_refresh(stamp, rev, window, now):
        return no_update, no_update, no_update, no_update
    if zone and live_view(ctx.triggered_id, stamp, rev) and stamp is not None:
        since = _ms(stamp.get("last"))
        tail = view.presence(*where, zone, window, since=since, tail=True)
        start = tail_start(window, since, True)
        delta = charts.presence_tail(
            tail, start, since is not None, bool(stamp.get("over")), lang, rev
        )
        if delta is not None:
            last = tail.points[-1][0] if tail.points else since
            permits = site.permit_list(tail, lang)
            return (
                no_update,
                delta,
                permits,
                {**stamp, "end_ms": window.end_ms, "at_ms": now, "last": last},
            )
    presence = view.presence(*where, zone, window) if zone else None
    return (
        charts.presence_figure(presence, lang, rev),
        no_update,
        site.permit_list(presence, lang),
        {
            "revision": rev,
            "end_ms": window.end_ms,
            "at_ms": now,
            "last": presence.points[-1][0] if presence and presence.points else None,
            "over": charts.has_over_trace(presence),
        },
    )


@callback(
    Output(ids.SITE_SENSORS, "value"),
    Output(ids.SITE_ZONE, "value"),
    Input(ids.SITE_GRID, "cellClicked"),
    Input({"type": ids.SITE_ZONE_ROW, "zone": ALL}, "n_clicks"),
    State(ids.SITE_CURRENT, "data"),
    prevent_initial_call=True,
)
def click_row(cell: dict | None, _zones: list, current: dict | None) -> tuple:
    """Show a clicked sensor's trend (and its zone's people), or a clicked zone's people."""
    clicked = ctx.triggered_id
    if clicked == ids.SITE_GRID:
        wanted = cell.get("rowId") if isinstance(cell, dict) else None
    # Zone lines are rebuilt when they change; only a real click carries a count.
    elif isinstance(clicked, dict) and any(t.get("value") for t in ctx.triggered):
        wanted = None
    else:
        return no_update, no_update
    where = _where(current)
    if where is None or not _may_view():
        return no_update, no_update
    _ent, found = views.site().site(*where)
    if found is None:
        return no_update, no_update
    if isinstance(clicked, dict):
        zone = clicked.get("zone")
        return no_update, zone if any(z.id == zone for z in found.zones) else no_update
    sensor = next((s for s in found.sensors if s.id == wanted), None)
    if sensor is None:
        return no_update, no_update
    return [sensor.id], sensor.zone
