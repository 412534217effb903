"""Console bulk actions: acknowledge or shelve the ticked rows or every alarm matching the filter.

Opening the panel counts the alarms of each scope on the server (all open alarms, not one
page, through the table's own filter model); the confirm button states the count, and the
action changes exactly the ids counted, each checked by the alarm book. Every callback that
counts or changes alarms checks on the server that the user is an inspector (or admin).
"""

from __future__ import annotations

from dash import Input, Output, State, callback, ctx, no_update

from callbacks import console_refresh, views
from layouts import console, console_bulk, console_list, controls, grid_filter, ids
from layouts.i18n import normalise, t
from monitoring.views import console_bulk as bulk_view
from monitoring.views.common import can_act
from monitoring.web.session import current_session_user


@callback(
    Output(ids.CONSOLE_BULK_SELECTION, "children"),
    Input(ids.CONSOLE_GRID, "selectedRows"),
    State(ids.LANG, "data"),
)
def count_selection(selected: list | dict | None, lang: str | None) -> str:
    """Say how many rows are ticked (nothing while none is)."""
    n = len(console_refresh.selected_ids(selected))
    return t("bulk.selected", normalise(lang), n=n) if n else ""


@callback(
    Output(ids.CONSOLE_BULK_PANEL, "className"),
    Output(ids.CONSOLE_BULK_PLAN, "data"),
    Output(ids.CONSOLE_BULK_TITLE, "children"),
    Output(ids.CONSOLE_BULK_SCOPE, "options"),
    Output(ids.CONSOLE_BULK_SCOPE, "value"),
    Output(ids.CONSOLE_BULK_COMMENT, "value"),
    Output(ids.CONSOLE_BULK_COMMENT, "placeholder"),
    Output(ids.CONSOLE_BULK_RESULT, "children"),
    Input(ids.CONSOLE_BULK_ACK, "n_clicks"),
    Input(ids.CONSOLE_BULK_SHELVE, "n_clicks"),
    Input(ids.CONSOLE_BULK_CANCEL, "n_clicks"),
    State(ids.CONSOLE_GRID, "selectedRows"),
    State(ids.CONSOLE_GRID, "filterModel"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def open_panel(
    _ack: int,
    _shelve: int,
    _cancel: int,
    selected: list | dict | None,
    model: dict | None,
    lang: str,
) -> tuple:
    """Open the panel for an action with the count of each scope, or close it."""
    lang = normalise(lang)
    action = {ids.CONSOLE_BULK_ACK: "ack", ids.CONSOLE_BULK_SHELVE: "shelve"}.get(ctx.triggered_id)
    if action is None:
        return (console_bulk.panel_class(False),) + (no_update,) * 7
    if not can_act(current_session_user()):
        refused = controls.result("console.error.forbidden", lang, ok=False)
        plan = console_bulk.plan(action, [], [], 0)
        return _opened(action, plan, lang, refused)
    chosen = console_refresh.selected_ids(selected)
    matching: list[int] | None
    try:
        matching = matching_ids(action, model, lang)
    except grid_filter.UnsupportedFilter:
        matching = None  # never act on a guess: the ticked rows remain
    plan = console_bulk.plan(action, chosen, matching, len(matching or ()))
    return _opened(action, plan, lang, [])


def _opened(action: str, plan: dict, lang: str, result: object) -> tuple:
    return (
        console_bulk.panel_class(True, action),
        plan,
        t(f"bulk.{action}.title", lang),
        console_bulk.scope_options(plan, lang),
        console_bulk.default_scope(plan),
        "",
        t("bulk.comment" if action == "ack" else "bulk.reason", lang),
        result,
    )


def matching_ids(action: str, model: dict | None, lang: str) -> list[int]:
    """Return the ids of every open alarm the table's filter shows that the action takes.

    The filter is applied as the list's heading counts it (`layouts.grid_filter`), to every
    open alarm as read now, not to the page the browser holds.
    """
    rows = views.console().table(lang, lambda found: console.grid_rows(found, lang), fresh=True)
    states = bulk_view.ACTION_STATES[action]
    shown = grid_filter.matching(rows, model, console_list.FILTER_FIELDS)
    return sorted(int(r["id"]) for r in shown if r["state"] in states)


@callback(
    Output(ids.CONSOLE_BULK_CONFIRM, "children"),
    Output(ids.CONSOLE_BULK_CONFIRM, "disabled"),
    Input(ids.CONSOLE_BULK_SCOPE, "value"),
    Input(ids.CONSOLE_BULK_PLAN, "data"),
    Input(ids.CONSOLE_BULK_MINUTES, "value"),
    State(ids.LANG, "data"),
)
def describe(
    scope: str | None, plan: dict | None, minutes: object, lang: str | None
) -> tuple[str, bool]:
    """Label the confirm button with what it does: "Acknowledge 300 alarms"."""
    label = console_bulk.confirm_label(plan, scope, minutes, normalise(lang))
    return label, not console_bulk.chosen_ids(plan, scope)


@callback(
    Output(ids.CONSOLE_BULK_RESULT, "children", allow_duplicate=True),
    Output(ids.CONSOLE_BULK_PLAN, "data", allow_duplicate=True),
    Output(ids.CONSOLE_BULK_SCOPE, "options", allow_duplicate=True),
    Output(ids.CONSOLE_BUMP, "data", allow_duplicate=True),
    Input(ids.CONSOLE_BULK_CONFIRM, "n_clicks"),
    State(ids.CONSOLE_BULK_PLAN, "data"),
    State(ids.CONSOLE_BULK_SCOPE, "value"),
    State(ids.CONSOLE_BULK_COMMENT, "value"),
    State(ids.CONSOLE_BULK_DISPOSITION, "value"),
    State(ids.CONSOLE_BULK_MINUTES, "value"),
    State(ids.CONSOLE_BUMP, "data"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def confirm(
    _clicks: int,
    plan: dict | None,
    scope: str | None,
    comment: str | None,
    disposition: str | None,
    minutes: object,
    bump: int | None,
    lang: str | None,
) -> tuple:
    """Acknowledge or shelve the counted alarms as the signed-in inspector."""
    lang = normalise(lang)

    def refused(key: str, **params: object) -> tuple:
        return controls.result(key, lang, ok=False, **params), no_update, no_update, no_update

    user = current_session_user()
    if user is None or not can_act(user):
        return refused("console.error.forbidden")
    chosen = console_bulk.chosen_ids(plan, scope)
    if not chosen or not isinstance(plan, dict):
        return refused("bulk.none")
    action = plan.get("action")
    text = (comment or "").strip()
    if not text:
        return refused("console.error.comment" if action == "ack" else "console.error.reason")
    view = views.console()
    try:
        if action == "shelve":
            if isinstance(minutes, bool) or not isinstance(minutes, int | float):
                return refused("console.error.minutes")
            report = bulk_view.shelve(view, chosen, user.id, int(minutes), text)
        else:
            report = bulk_view.acknowledge(view, chosen, user.id, text, disposition)
    except ValueError as exc:
        return refused("console.error.invalid", detail=exc)
    # The plan is spent: a second click must not act on the same alarms again.
    spent = console_bulk.plan(str(action), [], [], 0)
    return (
        console_bulk.report(report, lang),
        spent,
        console_bulk.scope_options(spent, lang),
        (bump or 0) + 1,
    )
