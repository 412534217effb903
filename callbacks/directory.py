"""Enterprise directory callbacks: filter the table, open an enterprise, show phones (inspectors).

Showing phone numbers checks on the server that the signed-in user is an inspector (or admin)
and records the look-up, whatever the page showed.
"""

from __future__ import annotations

from dash import Input, NoUpdate, Output, State, callback, no_update

from callbacks import views
from layouts import controls, directory, ids
from layouts.i18n import normalise, t
from monitoring.views.common import can_act
from monitoring.web.session import current_session_user


@callback(
    Output(ids.DIRECTORY_REGION, "options"),
    Input(ids.LANG, "data"),
)
def fill_regions(lang: str | None) -> list[dict]:
    """Offer the regions the registry names."""
    return directory.region_options(views.directory().regions(), normalise(lang))


@callback(
    Output(ids.DIRECTORY_GRID, "rowData"),
    Output(ids.DIRECTORY_COUNT, "children"),
    Input(ids.DIRECTORY_SEARCH, "value"),
    Input(ids.DIRECTORY_REGION, "value"),
    Input(ids.DIRECTORY_INTERVAL, "n_intervals"),
    Input(ids.LANG, "data"),
)
def refresh_rows(search: str | None, region: str | None, _n: int | None, lang: str | None):
    """List the enterprises matching the search and region, with their open alarms."""
    lang = normalise(lang)
    view = views.directory()
    rows = view.rows(lang, search, region)
    total = len(view.rows(lang)) if (search or region is not None) else len(rows)
    return directory.grid_rows(rows, lang), t("directory.count", lang, n=len(rows), total=total)


@callback(
    Output(ids.DIRECTORY_SELECTED, "data"),
    Input(ids.DIRECTORY_GRID, "selectedRows"),
    State(ids.DIRECTORY_SELECTED, "data"),
)
def select(selected: list | None, current: str | None) -> str | NoUpdate:
    """Remember the enterprise picked in the table (a refresh that drops it keeps it open)."""
    if not selected:
        return no_update
    enterprise = str(selected[0]["id"])
    return no_update if enterprise == current else enterprise


@callback(
    Output(ids.DIRECTORY_DETAIL_BODY, "children"),
    Output(ids.DIRECTORY_CONTACTS, "children"),
    Output(ids.DIRECTORY_DETAIL, "className"),
    Input(ids.DIRECTORY_SELECTED, "data"),
    Input(ids.LANG, "data"),
)
def show_detail(enterprise: str | None, lang: str | None) -> tuple:
    """Show the enterprise's information, sites, zones and contacts (without phones)."""
    lang = normalise(lang)
    detail = views.directory().detail(enterprise, lang) if enterprise else None
    css = "hz-panel hz-dir-detail" + ("" if detail else " hz-empty")
    people = directory.people_list(detail.people, lang) if detail else []
    return directory.detail_body(detail, lang, enterprise), people, css


@callback(
    Output(ids.DIRECTORY_CONTACTS, "children", allow_duplicate=True),
    Input(ids.DIRECTORY_PHONES_BUTTON, "n_clicks"),
    State(ids.DIRECTORY_SELECTED, "data"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def show_phones(clicks: int | None, enterprise: str | None, lang: str | None) -> list | NoUpdate:
    """Show the contacts with phone numbers, recording the look-up (inspectors only)."""
    lang = normalise(lang)
    if not clicks:
        return no_update
    user = current_session_user()
    if user is None or not can_act(user):
        return [controls.result("directory.error.forbidden", lang, ok=False)]
    if not enterprise:
        return [controls.result("directory.error.no_enterprise", lang, ok=False)]
    contacts = views.directory().phones(enterprise, user.id, lang)
    return directory.phones_list(contacts, lang)
