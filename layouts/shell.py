"""The app shell: header (centre, navigation, health, clock, language, user) and page slot."""

from __future__ import annotations

from dash import dcc, html

from layouts import ids
from layouts.i18n import DEFAULT_LANGUAGE, t
from monitoring.web.forms import CSRF_FIELD

CLOCK_MS = 1000
HEALTH_MS = 2000
FRESH_DATA_S = 60  # newest reading older than this: data freshness is shown as abnormal

# (path, label key, role needed), in the navigation's order.
PAGES: tuple[tuple[str, str, str], ...] = (
    ("/", "nav.wall", "viewer"),
    ("/console", "nav.console", "inspector"),
    ("/site", "nav.site", "viewer"),
    ("/enterprises", "nav.directory", "viewer"),
    ("/permits", "nav.permits", "viewer"),
    ("/admin", "nav.admin", "admin"),
)


def layout(timezone: str = "Asia/Shanghai") -> html.Div:
    """Return the shell; the router callback fills the page and the translated labels.

    The clock shows the registry's timezone, like every time on the pages, whatever the
    timezone of the wall display's computer.
    """
    return html.Div(
        className="hz-app",
        children=[
            dcc.Location(id=ids.URL),
            dcc.Store(id=ids.LANG, storage_type="local", data=DEFAULT_LANGUAGE),
            dcc.Store(id=ids.TIMEZONE, data=timezone),
            dcc.Interval(id=ids.CLOCK_INTERVAL, interval=CLOCK_MS),
            dcc.Interval(id=ids.HEALTH_INTERVAL, interval=HEALTH_MS),
            html.Header(
                className="hz-header",
                children=[
                    html.Div(id=ids.CENTRE_NAME, className="hz-centre"),
                    html.Nav(id=ids.NAV, className="hz-nav"),
                    html.Div(id=ids.HEALTH, className="hz-health"),
                    html.Div(id=ids.CLOCK, className="hz-clock"),
                    html.Button(id=ids.LANG_SWITCH, className="hz-lang", n_clicks=0),
                    html.Div(id=ids.USER_MENU, className="hz-user"),
                ],
            ),
            # Filled (layouts.outage) while the database does not answer; empty, it is hidden.
            html.Div(id=ids.OUTAGE, className="hz-outage", role="alert"),
            html.Main(id=ids.PAGE, className="hz-page"),
        ],
    )


def centre_name(lang: str) -> list:
    """Return the header's title: product and centre name."""
    return [
        html.Span(t("app.title", lang), className="hz-product"),
        html.Span(t("centre.name", lang), className="hz-centre-name"),
    ]


def nav_links(pathname: str, lang: str, can: dict[str, bool]) -> list:
    """Return links to the pages the user's roles allow, the current one marked."""
    return [
        dcc.Link(
            t(label, lang),
            href=path,
            className="hz-nav-link" + (" hz-nav-current" if path == pathname else ""),
        )
        for path, label, role in PAGES
        if can.get(role)
    ]


def user_menu(username: str | None, role: str | None, lang: str, logout_token: str = "") -> list:
    """Return the signed-in user's name (a link to the password page), role and sign-out button.

    Signing out is a POST carrying the session's form token, so no link on another site
    can sign a wall display out.
    """
    if not username:
        return []
    return [
        # The name opens the password page (a server-rendered form, not a Dash page); the
        # header has no room for one more link at 1920 px.
        html.A(
            username, href="/password", className="hz-user-name", title=t("user.password", lang)
        ),
        html.Span(t(f"role.{role}", lang), className="hz-user-role"),
        html.Form(
            [
                dcc.Input(type="hidden", name=CSRF_FIELD, value=logout_token),
                html.Button(t("user.logout", lang), type="submit", className="hz-logout"),
            ],
            action="/logout",
            method="POST",
            className="hz-logout-form",
        ),
    ]


def health_badges(health: dict, newest_reading_ms: int | None, now_ms: int, lang: str) -> list:
    """Return broker, store, database and data-freshness badges; only abnormal ones are coloured."""
    broker_ok = bool(health.get("broker", {}).get("connected"))
    store_ok = bool(health.get("store", {}).get("reachable"))
    database_ok = bool(health.get("database", {}).get("reachable"))
    if newest_reading_ms is None:
        fresh_ok, fresh_text = False, t("health.no_data", lang)
    else:
        age_s = max(0, (now_ms - newest_reading_ms) // 1000)
        fresh_ok, fresh_text = age_s <= FRESH_DATA_S, elapsed_text(age_s * 1000, lang)
    badges = (
        ("health.broker", broker_ok, t("health.ok" if broker_ok else "health.down", lang)),
        ("health.store", store_ok, t("health.ok" if store_ok else "health.down", lang)),
        ("health.database", database_ok, t("health.ok" if database_ok else "health.down", lang)),
        ("health.freshness", fresh_ok, fresh_text),
    )
    return [
        html.Span(
            [html.Span(t(key, lang), className="hz-badge-label"), html.Span(text)],
            className="hz-badge" + ("" if ok else " hz-badge-bad"),
        )
        for key, ok, text in badges
    ]


def elapsed_text(elapsed_ms: int, lang: str) -> str:
    """Return a duration as people read it on a wall: 45 s, 12 min, 3 h 5 min, 2 d 4 h."""
    s = max(0, int(elapsed_ms // 1000))
    if s < 60:
        return t("elapsed.s", lang, n=s)
    if s < 3600:
        return t("elapsed.m", lang, n=s // 60)
    if s < 86400:
        return t("elapsed.h", lang, h=s // 3600, m=(s % 3600) // 60)
    return t("elapsed.d", lang, d=s // 86400, h=(s % 86400) // 3600)


def message_page(key: str, lang: str) -> html.Div:
    """Return a page that only says something (not found, not allowed, coming soon)."""
    return html.Div(t(key, lang), className="hz-message-page")
