"""The console's bulk actions: acknowledge or shelve the selected rows or all matching the filter.

Inspectors only (the callbacks check the role again). The bar above the table opens a panel
that says how many alarms the action will change before anything is changed: the button
itself reads "Acknowledge 300 alarms". A comment (or the shelving reason) is required and
is recorded on each alarm's own transition.
"""

from __future__ import annotations

from dash import dcc, html

from layouts import ids
from layouts.controls import action_button
from layouts.i18n import t
from monitoring.alarms.bulk import BULK_MAX
from monitoring.signals import DISPOSITIONS
from monitoring.views.console_bulk import BulkReport

SHELVE_DEFAULT_MINUTES = 60
SCOPE_SELECTED, SCOPE_FILTER = "selected", "filter"
HIDDEN = {"display": "none"}


def bulk_bar(lang: str) -> html.Div:
    """Return the bar above the table: how many rows are selected and the two bulk actions."""
    return html.Div(
        [
            html.Span(id=ids.CONSOLE_BULK_SELECTION, className="hz-bulk-selection"),
            action_button(t("bulk.ack.open", lang), ids.CONSOLE_BULK_ACK),
            action_button(t("bulk.shelve.open", lang), ids.CONSOLE_BULK_SHELVE),
        ],
        className="hz-bulk-bar",
    )


def bulk_panel(lang: str) -> html.Div:
    """Return the (hidden) panel that states the count and takes the comment before acting."""
    return html.Div(
        id=ids.CONSOLE_BULK_PANEL,
        className=panel_class(False),
        role="dialog",
        children=html.Div(
            className="hz-bulk-box",
            children=[
                dcc.Store(id=ids.CONSOLE_BULK_PLAN),
                html.H3(id=ids.CONSOLE_BULK_TITLE),
                dcc.RadioItems(id=ids.CONSOLE_BULK_SCOPE, className="hz-bulk-scope"),
                dcc.Textarea(id=ids.CONSOLE_BULK_COMMENT, className="hz-textarea"),
                dcc.Dropdown(
                    id=ids.CONSOLE_BULK_DISPOSITION,
                    options=[
                        {"label": t(f"console.disposition.{d}", lang), "value": d}
                        for d in DISPOSITIONS
                    ],
                    placeholder=t("console.ack.disposition", lang),
                    className="hz-dropdown",
                ),
                html.Label(
                    [
                        t("bulk.minutes", lang),
                        dcc.Input(
                            id=ids.CONSOLE_BULK_MINUTES,
                            type="number",
                            min=1,
                            max=1440,
                            step=1,
                            value=SHELVE_DEFAULT_MINUTES,
                            className="hz-input hz-input-minutes",
                        ),
                    ],
                    className="hz-bulk-minutes",
                ),
                html.Div(
                    [
                        action_button("", ids.CONSOLE_BULK_CONFIRM, "hz-button-primary"),
                        action_button(t("bulk.cancel", lang), ids.CONSOLE_BULK_CANCEL),
                    ],
                    className="hz-inline",
                ),
                html.Div(id=ids.CONSOLE_BULK_RESULT, className="hz-result", role="status"),
            ],
        ),
    )


def panel_class(open_: bool, action: str = "ack") -> str:
    """Return the panel's classes: hidden unless open; the action shows its own fields."""
    return f"hz-bulk-panel hz-bulk-{action}" + ("" if open_ else " hz-hidden")


def plan(action: str, selected: list[int], matching: list[int] | None, matched: int) -> dict:
    """Return what the panel may act on: the selected ids, and the ids matching the filter.

    `matching` is None when the table's filter cannot be applied on the server; it holds at
    most BULK_MAX ids of the `matched` ones.
    """
    return {
        "action": action,
        "selected": selected[:BULK_MAX],
        "matching": None if matching is None else matching[:BULK_MAX],
        "matched": matched,
    }


def scope_options(p: dict, lang: str) -> list[dict]:
    """Return the two scopes with their counts; one without alarms cannot be chosen."""
    selected, matching, matched = p["selected"], p["matching"], p["matched"]
    if matching is None:
        filter_label = t("bulk.scope.unsupported", lang)
    else:
        filter_label = t(f"bulk.scope.filter.{p['action']}", lang, n=matched)
        if matched > len(matching):
            filter_label += " — " + t("bulk.scope.first", lang, most=len(matching), n=matched)
    return [
        {
            "label": t("bulk.scope.selected", lang, n=len(selected)),
            "value": SCOPE_SELECTED,
            "disabled": not selected,
        },
        {"label": filter_label, "value": SCOPE_FILTER, "disabled": not matching},
    ]


def default_scope(p: dict) -> str:
    """Return the scope offered first: several selected rows, else all matching."""
    return SCOPE_SELECTED if len(p["selected"]) > 1 or not p["matching"] else SCOPE_FILTER


def chosen_ids(p: dict | None, scope: str | None) -> list[int]:
    """Return the ids the chosen scope acts on."""
    if not isinstance(p, dict):
        return []
    ids_ = p.get("selected") if scope == SCOPE_SELECTED else p.get("matching")
    return [int(i) for i in ids_ or ()][:BULK_MAX]


def confirm_label(p: dict | None, scope: str | None, minutes: object, lang: str) -> str:
    """Return the confirm button's label, which states how many alarms it changes."""
    n = len(chosen_ids(p, scope))
    if not n or not isinstance(p, dict):
        return t("bulk.none", lang)
    if p["action"] == "shelve":
        return t("bulk.confirm.shelve", lang, n=n, m=minutes if minutes else "?")
    return t("bulk.confirm.ack", lang, n=n)


def report(r: BulkReport, lang: str) -> list:
    """Return what the action did: how many changed, and each alarm it could not change."""
    lines: list = [html.Div(t(f"bulk.done.{r.action}", lang, n=r.done), className="hz-ok")]
    if r.failed:
        lines.append(html.Div(t("bulk.failed", lang, n=len(r.failed)), className="hz-error"))
        lines.append(
            html.Ul(
                [
                    html.Li(f"#{o.id}: " + t(f"bulk.outcome.{o.outcome}", lang))
                    for o in r.failed[:20]
                ],
                className="hz-bulk-failed",
            )
        )
    return lines
