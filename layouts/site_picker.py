"""The Site page's enterprise/site picker, and the page shown without a (known) site.

Choosing an enterprise offers its sites; choosing a site navigates to it (the callback writes
`site_href` into the page's own `dcc.Location`). Pure functions of the site read model's
choices and a language.
"""

from __future__ import annotations

from urllib.parse import urlencode

from dash import dcc, html

from layouts import ids
from layouts.i18n import name_in, t
from monitoring.views.site import EnterpriseChoice


def navigation(current: dict | None) -> list:
    """Return the picker's Location and the store naming the site on screen (None: none)."""
    return [
        dcc.Location(id=ids.SITE_NAV, refresh=False),
        dcc.Store(id=ids.SITE_CURRENT, data=current),
    ]


def picker_page(lang: str, query: dict[str, str], choices: list[EnterpriseChoice]) -> html.Div:
    """Return the page without a (known) site: a hint and the picker."""
    if not choices:
        key = "site.pick.empty"
    elif query.get("enterprise") or query.get("site"):
        key = "site.pick.unknown"
    else:
        key = "site.pick.hint"
    wanted = query.get("enterprise")
    ent = wanted if any(c.id == wanted for c in choices) else None
    return html.Div(
        className="hz-site hz-site-picking",
        children=[
            *navigation(None),
            html.Section(
                className="hz-panel hz-site-pick-panel",
                children=[
                    html.Div(t(key, lang), className="hz-site-hint"),
                    picker(lang, choices, ent, None),
                ],
            ),
        ],
    )


def enterprise_options(choices: list[EnterpriseChoice], lang: str) -> list[dict]:
    """Return the enterprise dropdown's options, names in the language."""
    return [{"label": name_in(c.name, c.name_zh, lang), "value": c.id} for c in choices]


def site_options(choices: list[EnterpriseChoice], enterprise: str | None, lang: str) -> list[dict]:
    """Return the site dropdown's options for an enterprise."""
    ent = next((c for c in choices if c.id == enterprise), None)
    if ent is None:
        return []
    return [{"label": name_in(s.name, s.name_zh, lang), "value": s.id} for s in ent.sites]


def _choice(
    lang: str, title_key: str, dropdown_id: str, options: list[dict], value: str | None, cls: str
) -> html.Label:
    return html.Label(
        [
            html.Span(t(title_key, lang)),
            dcc.Dropdown(
                id=dropdown_id,
                options=options,
                value=value,
                searchable=True,
                labels=dropdown_labels(lang),
                clearable=False,
                placeholder=t(title_key, lang),
                className=f"hz-dropdown {cls}",
            ),
        ]
    )


def picker(
    lang: str, choices: list[EnterpriseChoice], enterprise: str | None, site: str | None
) -> html.Div:
    """Return the searchable enterprise and site dropdowns (choosing one navigates)."""
    return html.Div(
        className="hz-site-picker",
        children=[
            _choice(
                lang,
                "site.pick.enterprise",
                ids.SITE_ENTERPRISE,
                enterprise_options(choices, lang),
                enterprise,
                "hz-site-pick-ent",
            ),
            _choice(
                lang,
                "site.pick.site",
                ids.SITE_SITE,
                site_options(choices, enterprise, lang),
                site,
                "hz-site-pick-site",
            ),
        ],
    )


def dropdown_labels(lang: str) -> dcc.Dropdown.Labels:
    """Return the dropdowns' own texts (search box, "3 selected", ...) in the language."""
    return {
        "select_all": t("site.dd.select_all", lang),
        "deselect_all": t("site.dd.deselect_all", lang),
        "selected_count": t("site.dd.selected_count", lang),
        "search": t("site.dd.search", lang),
        "clear_search": t("site.dd.clear_search", lang),
        "clear_selection": t("site.dd.clear_selection", lang),
        "no_options_found": t("site.dd.no_options_found", lang),
    }


def site_href(enterprise: str, site: str) -> str:
    """Return the Site page's address for a site."""
    return "/site?" + urlencode({"enterprise": enterprise, "site": site})
