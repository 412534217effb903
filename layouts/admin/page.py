"""The admin page: users and roles with the audit log, rejected messages, unregistered sensors,
the registry (with reload) and ingest health, as tabs (one module each beside this one).

Builders are pure functions of the admin read model (`monitoring/views/admin.py`) and a
language; the callbacks fill the tabs.
"""

from __future__ import annotations

from collections.abc import Callable

from dash import dcc, html

from layouts import ids
from layouts.admin.health import health_tab
from layouts.admin.registry import registry_tab
from layouts.admin.rejected import rejected_tab
from layouts.admin.unregistered import unregistered_tab
from layouts.admin.users import users_tab
from layouts.i18n import t
from layouts.shell import message_page
from layouts.theme import TAB_COLOURS

REFRESH_MS = 5000
TAB_BUILDERS: dict[str, Callable[[str], html.Div]] = {
    "users": users_tab,
    "rejected": rejected_tab,
    "unregistered": unregistered_tab,
    "registry": registry_tab,
    "health": health_tab,
}
TABS = tuple(TAB_BUILDERS)


def layout(lang: str, can: dict[str, bool], query: dict[str, str]) -> html.Div:
    """Return the page for a user with roles `can`, opened with URL parameters `query`."""
    if not can.get("admin"):
        return message_page("page.forbidden", lang)
    tab = query.get("tab") if query.get("tab") in TABS else "users"
    return html.Div(
        className="hz-admin",
        children=[
            dcc.Interval(id=ids.ADMIN_INTERVAL, interval=REFRESH_MS),
            dcc.Store(id=ids.ADMIN_BUMP, data=0),
            dcc.Store(id=ids.ADMIN_USER_SELECTED),
            dcc.Tabs(
                id=ids.ADMIN_TABS,
                value=tab,
                className="hz-tabs",
                content_className="hz-tab-content",
                parent_className="hz-tabs-parent",
                colors=TAB_COLOURS,
                children=[
                    dcc.Tab(
                        label=t(f"admin.tab.{name}", lang),
                        value=name,
                        className="hz-tab",
                        selected_className="hz-tab-current",
                        children=build(lang),
                    )
                    for name, build in TAB_BUILDERS.items()
                ],
            ),
        ],
    )
