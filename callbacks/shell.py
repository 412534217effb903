"""Shell callbacks: routing, language switch, header labels, clock and system health."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl

from dash import Input, Output, State, callback, clientside_callback, html

from callbacks import views
from layouts import console, directory, ids, outage, permits, shell, site, wall
from layouts.admin import page as admin_page
from layouts.i18n import normalise, t
from monitoring.users import ROLES
from monitoring.web.session import csrf_token, current_session_user


@callback(
    Output(ids.LANG, "data"),
    Input(ids.LANG_SWITCH, "n_clicks"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def switch_language(_clicks: int, lang: str | None) -> str:
    """Toggle between English and Chinese."""
    return "en" if normalise(lang) == "zh" else "zh"


# path -> page builder(lang, can, query); `shell.PAGES` says which role each path needs.
PAGE_BUILDERS: dict[str, Callable[[str, dict[str, bool], dict[str, str]], html.Div]] = {
    "/": lambda lang, _can, _query: wall.layout(lang),
    "/console": lambda lang, can, query: console.layout(
        lang, can_act=can["inspector"], selected=_alarm_id(query)
    ),
    "/site": site.layout,
    "/enterprises": directory.layout,
    "/permits": permits.layout,
    "/admin": admin_page.layout,
}


def _alarm_id(query: dict[str, str]) -> int | None:
    """Return the alarm id of a `?alarm=<id>` link, if it is one."""
    text = query.get("alarm", "")
    return int(text) if text.isdigit() and len(text) < 19 else None


@callback(
    Output(ids.PAGE, "children"),
    Output(ids.NAV, "children"),
    Output(ids.USER_MENU, "children"),
    Output(ids.CENTRE_NAME, "children"),
    Output(ids.LANG_SWITCH, "children"),
    Input(ids.URL, "pathname"),
    Input(ids.URL, "search"),
    Input(ids.LANG, "data"),
)
def route(pathname: str | None, search: str | None, lang: str | None) -> tuple:
    """Show the page at `pathname` in the chosen language, if the user's role allows it."""
    lang = normalise(lang)
    pathname = pathname or "/"
    user = current_session_user()
    can = {role: bool(user and user.can(role)) for role in ROLES}
    needed = {path: role for path, _label, role in shell.PAGES}
    if pathname not in needed:
        page = shell.message_page("page.not_found", lang)
    elif not can[needed[pathname]]:
        page = shell.message_page("page.forbidden", lang)
    else:
        query = dict(parse_qsl((search or "").lstrip("?")))
        page = PAGE_BUILDERS[pathname](lang, can, query)
    return (
        page,
        shell.nav_links(pathname, lang, can),
        shell.user_menu(
            user.id if user else None,
            user.role if user else None,
            lang,
            csrf_token() if user else "",
        ),
        shell.centre_name(lang),
        t("nav.language", lang),
    )


@callback(
    Output(ids.HEALTH, "children"),
    Output(ids.OUTAGE, "children"),
    Input(ids.HEALTH_INTERVAL, "n_intervals"),
    Input(ids.LANG, "data"),
)
def refresh_health(_n: int | None, lang: str | None) -> tuple[list, list]:
    """Show broker, store, database and data freshness from the (cached) wall snapshot,
    and, while the database does not answer, the banner saying how old the data shown is."""
    lang = normalise(lang)
    snap = views.wall().snapshot()
    return (
        shell.health_badges(snap.health, snap.newest_reading_ms, snap.now_ms, lang),
        outage.outage_banner(snap.outage, snap.now_ms, snap.tz, lang),
    )


# The clock runs in the browser: no server round trip every second.
clientside_callback(
    """function(_n, tz) {
        // sv-SE formats as YYYY-MM-DD HH:MM:SS; the zone is the registry's.
        try {
            return new Intl.DateTimeFormat("sv-SE", {timeZone: tz || undefined,
                year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
                minute: "2-digit", second: "2-digit", hour12: false}).format(new Date());
        } catch (e) {
            return new Date().toISOString().slice(0, 19).replace("T", " ");
        }
    }""",
    Output(ids.CLOCK, "children"),
    Input(ids.CLOCK_INTERVAL, "n_intervals"),
    State(ids.TIMEZONE, "data"),
)
