"""Alarm console callbacks: refresh the table, show one alarm, contacts, log call, ack, shelve.

Every callback that shows phone numbers or changes an alarm checks on the server that the
signed-in user is an inspector (or admin), whatever the page showed.
"""

from __future__ import annotations

from dash import Input, NoUpdate, Output, State, callback, ctx, no_update

from callbacks import (
    console_pager,  # noqa: F401  (registers the pager's callback)
    console_refresh,
    views,
)
from layouts import charts, console, console_actions, console_list, controls, ids
from layouts.i18n import normalise
from monitoring.alarms.model import AlarmError, AlarmNotFound
from monitoring.views.common import can_act
from monitoring.web.session import current_session_user


@callback(
    Output(ids.CONSOLE_GRID, "rowData"),
    Output(ids.CONSOLE_COUNT, "children"),
    Output(ids.CONSOLE_ROWS_KEY, "data"),
    Output(ids.CONSOLE_CLOCK, "data"),
    Output(ids.CONSOLE_PAGE_SHOWN, "data"),
    Output(ids.CONSOLE_PAGER, "className"),
    Output(ids.CONSOLE_PAGE_LABEL, "children"),
    Output(ids.CONSOLE_PAGE_PREV, "disabled"),
    Output(ids.CONSOLE_PAGE_NEXT, "disabled"),
    Input(ids.CONSOLE_INTERVAL, "n_intervals"),
    Input(ids.CONSOLE_BUMP, "data"),
    Input(ids.LANG, "data"),
    Input(ids.CONSOLE_GRID, "filterModel"),
    Input(ids.CONSOLE_GRID, "columnState"),
    Input(ids.CONSOLE_PAGE, "data"),  # the page asked for (callbacks.console_pager)
    State(ids.CONSOLE_SELECTED, "data"),
    State(ids.CONSOLE_ROWS_KEY, "data"),
)
def refresh_rows(
    _n: int | None,
    _bump: int | None,
    lang: str | None,
    filter_model: dict | None,
    column_state: list | None,
    asked: dict | None,
    selected: int | None,
    shown: str | None,
) -> tuple:
    """Show one page of the open alarms that pass the table's filters, in its sort.

    Filters, sort and the heading's counts cover every open alarm, not the page
    (`layouts.console_list`); before any page is asked for, the page of the linked alarm.
    The linked or selected alarm is always among the rows; rows the browser already has
    are not sent again (`callbacks.console_refresh`).
    """
    lang = normalise(lang)
    view = views.console()
    table = view.table(
        lang,
        lambda rows: console.grid_rows(rows, lang),
        fresh=f"{ids.CONSOLE_BUMP}.data" in ctx.triggered_prop_ids,  # after an action
    )
    page = asked.get("page") if isinstance(asked, dict) else None
    shown_page = console_list.table_page(
        table, filter_model, column_state, page if isinstance(page, int) else None, selected
    )
    data, rows_key = console_refresh.only_changes(
        console_refresh.with_linked_row(shown_page.rows, selected, lang), shown
    )
    return (
        data,
        console_list.heading(shown_page, lang),
        rows_key,
        view.now_ms(),
        shown_page.page,
        console_list.pager_class(shown_page),
        console_list.pages_text(shown_page, lang),
        shown_page.page == 0,
        shown_page.page >= shown_page.pages - 1,
    )


@callback(
    Output(ids.CONSOLE_SELECTED, "data"),
    Input(ids.CONSOLE_GRID, "selectedRows"),
    State(ids.CONSOLE_SELECTED, "data"),
    # Not on page load: Dash holds back the callbacks of an output another initial callback
    # may set, and a linked alarm's forms (reset_forms) would wait for this one forever.
    prevent_initial_call=True,
)
def select(selected: list | dict | None, current: int | None) -> int | NoUpdate:
    """Remember the alarm of the detail panel (a refresh that drops its row keeps it open).

    With several rows ticked for a bulk action, the detail stays on its alarm while that is
    among them.
    """
    chosen = console_refresh.selected_ids(selected)
    if not chosen:
        return no_update
    return no_update if current in chosen else chosen[0]


@callback(
    Output(ids.CONSOLE_DETAIL_BODY, "children"),
    Output(ids.CONSOLE_TREND, "figure"),
    Output(ids.CONSOLE_PERMITS, "children"),
    Output(ids.CONSOLE_HISTORY, "children"),
    Output(ids.CONSOLE_BODY, "className"),
    Input(ids.CONSOLE_SELECTED, "data"),
    Input(ids.CONSOLE_BUMP, "data"),
    Input(ids.LANG, "data"),
)
def show_detail(alarm_id: int | None, _bump: int | None, lang: str | None) -> tuple:
    """Show the selected alarm's detail, trend, permits and history."""
    lang = normalise(lang)
    detail = None
    allowed = can_act(current_session_user())
    if alarm_id is not None:
        detail = views.console().detail(alarm_id, lang, allowed)
    css = console.body_class(detail, allowed)
    return (
        console.detail_body(detail, lang),
        charts.alarm_trend_figure(detail.trend if detail else None, lang),
        console.permits_list(detail.permits if detail else (), lang),
        console.history_list(detail, lang),
        css,
    )


@callback(
    Output(ids.CONSOLE_CALL_CONTACT, "options"),
    Output(ids.CONSOLE_CALL_CONTACT, "value"),
    Output(ids.CONSOLE_CALL_NOTE, "value"),
    Output(ids.CONSOLE_CONTACTS, "children"),
    Output(ids.CONSOLE_ACK_COMMENT, "value"),
    Output(ids.CONSOLE_RESULT, "children", allow_duplicate=True),
    Input(ids.CONSOLE_SELECTED, "data"),
    State(ids.LANG, "data"),
    # Also when the page opens on a linked alarm (`?alarm=<id>` sets the store in the layout).
    prevent_initial_call="initial_duplicate",
)
def reset_forms(alarm_id: int | None, lang: str | None) -> tuple:
    """Prepare the forms for a newly selected alarm: its contacts and the call-note reminder."""
    lang = normalise(lang)
    if alarm_id is None or not can_act(current_session_user()):
        return [], None, "", [], "", []
    detail = views.console().detail(alarm_id, lang, include_phones=False)
    if detail is None:
        return [], None, "", [], "", []
    names = detail.contact_names
    return console_actions.contact_options(names), None, detail.reminder, [], "", []


@callback(
    Output(ids.CONSOLE_CONTACTS, "children", allow_duplicate=True),
    Output(ids.CONSOLE_CALL_CONTACT, "value", allow_duplicate=True),
    Input(ids.CONSOLE_CONTACTS_BUTTON, "n_clicks"),
    State(ids.CONSOLE_SELECTED, "data"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def show_contacts(_clicks: int, alarm_id: int | None, lang: str | None) -> tuple:
    """Show the contacts in call order (recorded as a look-up); preselect the first to call."""
    lang = normalise(lang)
    user = current_session_user()
    if user is None or not can_act(user):
        return [controls.result("console.error.forbidden", lang, ok=False)], no_update
    if alarm_id is None:
        return [controls.result("console.error.no_alarm", lang, ok=False)], no_update
    contacts = views.console().contacts(alarm_id, user.id, lang)
    first = contacts[0].name if contacts else no_update
    return console_actions.contacts_list(contacts, lang), first


@callback(
    Output(ids.CONSOLE_RESULT, "children"),
    Output(ids.CONSOLE_BUMP, "data"),
    Input(ids.CONSOLE_CALL_SUBMIT, "n_clicks"),
    Input(ids.CONSOLE_ACK_SUBMIT, "n_clicks"),
    Input(ids.CONSOLE_SHELVE_SUBMIT, "n_clicks"),
    State(ids.CONSOLE_SELECTED, "data"),
    State(ids.CONSOLE_CALL_CONTACT, "value"),
    State(ids.CONSOLE_CALL_OUTCOME, "value"),
    State(ids.CONSOLE_CALL_NOTE, "value"),
    State(ids.CONSOLE_ACK_COMMENT, "value"),
    State(ids.CONSOLE_ACK_DISPOSITION, "value"),
    State(ids.CONSOLE_SHELVE_MINUTES, "value"),
    State(ids.CONSOLE_SHELVE_REASON, "value"),
    State(ids.CONSOLE_BUMP, "data"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def act(
    _call: int,
    _ack: int,
    _shelve: int,
    alarm_id: int | None,
    contact: str | None,
    outcome: str | None,
    note: str | None,
    comment: str | None,
    disposition: str | None,
    minutes: object,
    reason: str | None,
    bump: int | None,
    lang: str | None,
) -> tuple:
    """Log a call, acknowledge or shelve the selected alarm, as the signed-in inspector."""
    lang = normalise(lang)
    action = {
        ids.CONSOLE_CALL_SUBMIT: "call",
        ids.CONSOLE_ACK_SUBMIT: "ack",
        ids.CONSOLE_SHELVE_SUBMIT: "shelve",
    }.get(ctx.triggered_id)
    if action is None:
        return no_update, no_update
    user = current_session_user()
    key = check_action(action, can_act(user), alarm_id, contact, outcome, comment, minutes, reason)
    if key or user is None or alarm_id is None:  # check_action refused a missing user or alarm
        return controls.result(key or "console.error.forbidden", lang, ok=False), no_update
    view = views.console()
    try:  # check_action has checked the values each action needs
        if action == "call":
            view.log_call(alarm_id, user.id, contact or "", outcome or "", note or "")
        elif action == "ack":
            view.acknowledge(alarm_id, user.id, comment or "", disposition)
        else:
            shelve_for = minutes if isinstance(minutes, int | float) else 0
            view.shelve(alarm_id, user.id, int(shelve_for), reason or "")
    except AlarmNotFound:
        return controls.result("console.error.not_found", lang, ok=False), no_update
    except AlarmError:
        return controls.result("console.error.state", lang, ok=False), no_update
    except ValueError as exc:
        return controls.result("console.error.invalid", lang, ok=False, detail=exc), no_update
    return controls.result(f"console.done.{action}", lang, ok=True), (bump or 0) + 1


def check_action(
    action: str,
    allowed: bool,
    alarm_id: int | None,
    contact: str | None,
    outcome: str | None,
    comment: str | None,
    minutes: object,
    reason: str | None,
) -> str | None:
    """Return the label key of why an action cannot be done, or None when it may be tried."""
    if not allowed:
        return "console.error.forbidden"
    if alarm_id is None:
        return "console.error.no_alarm"
    if action == "call":
        if not contact:
            return "console.error.contact"
        if not outcome:
            return "console.error.outcome"
    elif action == "ack":
        if not (comment or "").strip():
            return "console.error.comment"
    elif action == "shelve":
        if isinstance(minutes, bool) or not isinstance(minutes, int | float):
            return "console.error.minutes"
        if minutes != int(minutes) or not 1 <= minutes <= 1440:
            return "console.error.minutes"
        if not (reason or "").strip():
            return "console.error.reason"
    return None
