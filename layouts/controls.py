"""The controls the pages' forms share: an action's button and the line saying what it did."""

from __future__ import annotations

from dash import html

from layouts.i18n import t


def action_button(label: str, button_id: str, kind: str = "") -> html.Button:
    """Return a button whose clicks a callback counts; `kind` adds "hz-button-primary" etc."""
    return html.Button(label, id=button_id, n_clicks=0, className=f"hz-button {kind}".strip())


def result(key: str, lang: str, ok: bool, **params: object) -> html.Div:
    """Return an action's outcome line, styled as done or as refused."""
    return html.Div(t(key, lang, **params), className="hz-ok" if ok else "hz-error")
