"""Site page callbacks: the page for the address, picker navigation, the live table, trends,
people and permits.

Every callback checks on the server that the signed-in user may view sites. The live
refresh (every 5 s) redraws a chart only when a new bucket began (or a minute passed), and
then sends a patch of its traces, shapes and labels, so the user's zoom and pan survive it;
a new window, sensor or zone sends a whole figure, which resets the view.
"""

from __future__ import annotations

import plotly.graph_objects as go
from dash import (
    ALL,
    Input,
    NoUpdate,
    Output,
    Patch,
    State,
    callback,
    clientside_callback,
    ctx,
    html,
    no_update,
)

from callbacks import views
from layouts import charts, ids, site, site_picker, site_tables
from layouts.i18n import normalise
from monitoring.views.site import (
    DEFAULT_WINDOW,
    MAX_SENSORS,
    WINDOWS,
    needs_refresh,
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


def whole_or_patch(
    figure: go.Figure, triggered: object, stamp: dict | None, revision: str
) -> go.Figure | Patch:
    """Send a live refresh of the view on screen as a patch; anything else as a whole figure."""
    live = triggered == ids.SITE_INTERVAL and isinstance(stamp, dict)
    if live and stamp is not None and stamp.get("revision") == revision:
        return charts.live_patch(figure)
    return figure


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
    return site.site_page(normalise(request.get("lang")), query, view.choices(), ent, found)


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
    Output(ids.SITE_TABLE, "children"),
    Output(ids.SITE_STATUS, "children"),
    Input(ids.SITE_INTERVAL, "n_intervals"),
    Input(ids.SITE_SENSORS, "value"),
    Input(ids.SITE_ZONE, "value"),
    State(ids.SITE_CURRENT, "data"),
    State(ids.LANG, "data"),
)
def refresh_table(
    _n: int | None, sensors: list | None, zone: str | None, current: dict | None, lang: str | None
) -> tuple:
    """Show every zone and sensor now: values, limits, quality, age and open alarms."""
    where = _where(current)
    if where is None or not _may_view():
        return [], []
    lang = normalise(lang)
    snap = views.site().snapshot(*where)
    return (
        site_tables.zone_table(snap, lang, sensors if isinstance(sensors, list) else [], zone),
        site_tables.status_strip(snap, lang),
    )


@callback(
    Output(ids.SITE_TREND, "figure"),
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
    """Draw the chosen sensors over the window; a live tick redraws only when it must."""
    where = _where(current)
    if where is None or not _may_view():
        return no_update, no_update, no_update
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
        return no_update, no_update, no_update
    trend = view.trend(*where, chosen, window) if chosen else None
    points = max((len(s.points) for s in trend.series), default=0) if trend else 0
    figure = charts.trend_figure(trend, lang, rev)
    return (
        whole_or_patch(figure, ctx.triggered_id, stamp, rev),
        site.trend_info(points, window.bucket_ms, lang, capped),
        {"revision": rev, "end_ms": window.end_ms, "at_ms": now},
    )


@callback(
    Output(ids.SITE_PEOPLE, "figure"),
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
        return no_update, no_update, no_update
    lang = normalise(lang)
    view = views.site()
    _ent, found = view.site(*where)
    zone = zone if found is not None and any(z.id == zone for z in found.zones) else None
    window_key = window_key if window_key in WINDOWS else DEFAULT_WINDOW
    now = view.now_ms()
    window = trend_window(window_key, now)
    rev = charts.revision(*where, window_key, zone or "")
    if ctx.triggered_id == ids.SITE_INTERVAL and not needs_refresh(stamp, rev, window, now):
        return no_update, no_update, no_update
    presence = view.presence(*where, zone, window) if zone else None
    figure = charts.presence_figure(presence, lang, rev)
    return (
        whole_or_patch(figure, ctx.triggered_id, stamp, rev),
        site.permit_list(presence, lang),
        {"revision": rev, "end_ms": window.end_ms, "at_ms": now},
    )


@callback(
    Output(ids.SITE_SENSORS, "value"),
    Output(ids.SITE_ZONE, "value"),
    Input({"type": ids.SITE_SENSOR_ROW, "sensor": ALL}, "n_clicks"),
    Input({"type": ids.SITE_ZONE_ROW, "zone": ALL}, "n_clicks"),
    State(ids.SITE_CURRENT, "data"),
    prevent_initial_call=True,
)
def click_row(_sensors: list, _zones: list, current: dict | None) -> tuple:
    """Show a clicked sensor's trend (and its zone's people), or a clicked zone's people."""
    clicked = ctx.triggered_id
    # Rows are rebuilt by every refresh; only a real click carries a count.
    if not isinstance(clicked, dict) or not any(t.get("value") for t in ctx.triggered):
        return no_update, no_update
    where = _where(current)
    if where is None or not _may_view():
        return no_update, no_update
    _ent, found = views.site().site(*where)
    if found is None:
        return no_update, no_update
    if clicked.get("type") == ids.SITE_ZONE_ROW:
        zone = clicked.get("zone")
        return no_update, zone if any(z.id == zone for z in found.zones) else no_update
    sensor = next((s for s in found.sensors if s.id == clicked.get("sensor")), None)
    if sensor is None:
        return no_update, no_update
    return [sensor.id], sensor.zone
