"""The console's inspector actions: whom to call (with phone links), log a call, acknowledge, shelve.

Built only for inspectors and up (`layouts/console.py` leaves them out for viewers); every
action's callback checks the role again on the server.
"""

from __future__ import annotations

from dash import dcc, html

from layouts import ids, theme
from layouts.controls import action_button
from layouts.i18n import t
from monitoring.signals import CALL_OUTCOMES, DISPOSITIONS
from monitoring.views.common import ContactRow

SHELVE_DEFAULT_MINUTES = 30


def contacts_list(contacts: list[ContactRow], lang: str) -> list:
    """Return contacts in call order; the duty officer on shift now is highlighted."""
    if not contacts:
        return [html.Div(t("console.contacts.none", lang), className="hz-muted")]
    return [
        html.Div(
            [
                html.Div(
                    [
                        html.Span(c.name, className="hz-contact-name"),
                        html.Span(c.role_title, className="hz-contact-role"),
                        html.Span(t("console.on_duty", lang), className="hz-on-duty")
                        if c.on_duty
                        else None,
                        html.Span(", ".join(c.shifts), className="hz-contact-shifts")
                        if c.shifts
                        else None,
                    ],
                    className="hz-contact-who",
                ),
                html.A(c.phone, href=theme.phone_href(c.phone), className="hz-contact-phone"),
            ],
            className="hz-contact" + (" hz-contact-on-duty" if c.on_duty else ""),
        )
        for c in contacts
    ]


def actions(lang: str) -> html.Section:
    """Return the inspector's actions: contacts, log a call, acknowledge, shelve."""
    return html.Section(
        id=ids.CONSOLE_ACTIONS,
        className="hz-panel hz-actions hz-needs-alarm",
        children=[
            action_button(
                t("console.contacts", lang), ids.CONSOLE_CONTACTS_BUTTON, "hz-button-primary"
            ),
            html.Div(id=ids.CONSOLE_CONTACTS, className="hz-contacts"),
            html.Div(id=ids.CONSOLE_RESULT, className="hz-result", role="status"),
            html.Details(
                open=True,
                className="hz-form",
                children=[
                    html.Summary(t("console.call", lang)),
                    dcc.Dropdown(
                        id=ids.CONSOLE_CALL_CONTACT,
                        placeholder=t("console.call.contact", lang),
                        clearable=False,
                        className="hz-dropdown",
                    ),
                    dcc.RadioItems(
                        id=ids.CONSOLE_CALL_OUTCOME,
                        options=[
                            {"label": t(f"console.outcome.{o}", lang), "value": o}
                            for o in CALL_OUTCOMES
                        ],
                        value="reached",
                        inline=True,
                        className="hz-radios",
                    ),
                    dcc.Textarea(
                        id=ids.CONSOLE_CALL_NOTE,
                        placeholder=t("console.call.note", lang),
                        className="hz-textarea",
                    ),
                    action_button(t("console.call", lang), ids.CONSOLE_CALL_SUBMIT),
                ],
            ),
            html.Details(
                open=True,
                className="hz-form",
                children=[
                    html.Summary(t("console.ack", lang)),
                    dcc.Textarea(
                        id=ids.CONSOLE_ACK_COMMENT,
                        placeholder=t("console.ack.comment", lang),
                        className="hz-textarea hz-textarea-short",
                    ),
                    dcc.Dropdown(
                        id=ids.CONSOLE_ACK_DISPOSITION,
                        options=[
                            {"label": t(f"console.disposition.{d}", lang), "value": d}
                            for d in DISPOSITIONS
                        ],
                        placeholder=t("console.ack.disposition", lang),
                        className="hz-dropdown",
                    ),
                    action_button(t("console.ack", lang), ids.CONSOLE_ACK_SUBMIT),
                ],
            ),
            html.Details(
                className="hz-form",
                children=[
                    html.Summary(t("console.shelve", lang)),
                    html.Div(
                        [
                            dcc.Input(
                                id=ids.CONSOLE_SHELVE_MINUTES,
                                type="number",
                                min=1,
                                max=1440,
                                step=1,
                                value=SHELVE_DEFAULT_MINUTES,
                                className="hz-input hz-input-minutes",
                                placeholder=t("console.shelve.minutes", lang),
                            ),
                            dcc.Input(
                                id=ids.CONSOLE_SHELVE_REASON,
                                type="text",
                                placeholder=t("console.shelve.reason", lang),
                                className="hz-input",
                            ),
                        ],
                        className="hz-inline",
                    ),
                    action_button(t("console.shelve", lang), ids.CONSOLE_SHELVE_SUBMIT),
                ],
            ),
        ],
    )


def contact_options(names: tuple[str, ...]) -> list[dict]:
    """Return the call form's contact choices (names only: phones come with Contacts)."""
    return [{"label": n, "value": n} for n in names]
