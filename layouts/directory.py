"""Enterprise directory: search and filter the registry's enterprises, open one to see it all.

Builders are pure functions of the directory read model (`monitoring/views/directory.py`) and a
language. Contacts are shown with names, roles and shifts to everyone; phone numbers only after
an inspector's "Show phones" (a callback that checks the role and records the look-up).
"""

from __future__ import annotations

from urllib.parse import urlencode

import dash_ag_grid as dag
from dash import dcc, html

from layouts import ids
from layouts.controls import action_button
from layouts.counts import severity_counts
from layouts.i18n import t
from layouts.theme import grid_options, phone_href
from monitoring.signals import SEVERITY_RANK
from monitoring.views.common import ContactRow
from monitoring.views.directory import (
    NO_REGION,
    EnterpriseDetail,
    EnterpriseRow,
    PersonRow,
    RestrictionRow,
    ZoneRow,
)

REFRESH_MS = 10_000  # open-alarm counts; the registry itself changes only on a reload


def layout(lang: str, can: dict[str, bool], query: dict[str, str]) -> html.Div:
    """Return the page for a user with roles `can`, opened with URL parameters `query`.

    `?enterprise=<id>` opens that enterprise; `?q=<text>` starts with a search.
    """
    contacts_head: list = [html.H3(t("directory.contacts", lang))]
    if can.get("inspector"):
        contacts_head.append(
            action_button(
                t("directory.phones", lang),
                ids.DIRECTORY_PHONES_BUTTON,
                "hz-button-primary hz-dir-phones",
            )
        )
    return html.Div(
        className="hz-directory",
        children=[
            dcc.Interval(id=ids.DIRECTORY_INTERVAL, interval=REFRESH_MS),
            dcc.Store(id=ids.DIRECTORY_SELECTED, data=query.get("enterprise") or None),
            html.Section(
                className="hz-panel hz-dir-list",
                children=[
                    html.Div(
                        [
                            html.H2(t("directory.title", lang)),
                            html.Span(id=ids.DIRECTORY_COUNT, className="hz-dir-count"),
                        ],
                        className="hz-dir-head",
                    ),
                    html.Div(
                        [
                            dcc.Input(
                                id=ids.DIRECTORY_SEARCH,
                                type="search",
                                value=query.get("q", ""),
                                placeholder=t("directory.search", lang),
                                className="hz-input hz-dir-search",
                                autoComplete="off",
                            ),
                            dcc.Dropdown(
                                id=ids.DIRECTORY_REGION,
                                placeholder=t("directory.region.all", lang),
                                className="hz-dropdown hz-dir-region",
                                searchable=False,
                            ),
                        ],
                        className="hz-dir-filters",
                    ),
                    enterprise_grid(lang),
                ],
            ),
            html.Section(
                id=ids.DIRECTORY_DETAIL,
                className="hz-panel hz-dir-detail hz-empty",
                children=[
                    html.Div(id=ids.DIRECTORY_DETAIL_BODY, className="hz-dir-col"),
                    html.Div(
                        className="hz-dir-col hz-needs-enterprise",
                        children=[
                            html.Div(contacts_head, className="hz-dir-contacts-head"),
                            html.Div(
                                t("directory.contacts.hint", lang),
                                className="hz-muted hz-dir-hint",
                            )
                            if can.get("inspector")
                            else None,
                            html.Div(id=ids.DIRECTORY_CONTACTS, className="hz-contacts"),
                        ],
                    ),
                ],
            ),
        ],
    )


def enterprise_grid(lang: str) -> dag.AgGrid:
    """Return the enterprise table; a click on a row opens the enterprise."""

    def col(field: str, key: str, **kw) -> dict:
        return {"field": field, "headerName": t(key, lang), **kw}

    return dag.AgGrid(
        id=ids.DIRECTORY_GRID,
        rowData=[],
        getRowId="params.data.id",
        columnDefs=[
            col("name", "directory.col.name", flex=3, minWidth=170, tooltipField="other_name"),
            col("id", "directory.col.id", width=105),
            col("region", "directory.col.region", width=105),
            col(
                "alarm_rank",
                "directory.col.alarms",
                width=200,
                tooltipField="alarms",
                # "10 red · 20 orange · 20 yellow" wraps between counts rather than being cut.
                wrapText=True,
                autoHeight=True,
                cellClass="hz-dir-alarms",
                valueFormatter={"function": "params.data.alarms"},
                cellClassRules={
                    f"hz-cell-{s}": f"params.data.worst === '{s}'" for s in SEVERITY_RANK
                },
            ),
            col("sites", "directory.col.sites", width=75),
            col(
                "zones",
                "directory.col.zones",
                width=125,
                valueFormatter={"function": "params.data.zones_label"},
            ),
        ],
        defaultColDef={"sortable": True, "resizable": True, "suppressHeaderMenuButton": True},
        dashGridOptions=grid_options(t("directory.none", lang), 40, select_one=True),
        className="hz-dir-grid",
        style={"height": "100%", "width": "100%"},
    )


def alarm_text(row: EnterpriseRow, lang: str) -> str:
    """Return the open-alarm cell: 'none', or the count of each severity (1 red · 12 yellow)."""
    if not row.open_alarms or row.worst is None:
        return t("directory.alarms.none", lang)
    by_severity = row.by_severity or ((row.worst, row.open_alarms),)
    return " · ".join(c.replace(" ", "\u00a0") for c in severity_counts(by_severity, lang))


def severity(level: str, lang: str) -> str:
    """Return a severity's short label."""
    return t(f"severity.{level}.short", lang) if level in SEVERITY_RANK else level


def grid_rows(rows: list[EnterpriseRow], lang: str) -> list[dict]:
    """Return the table's rowData; the other language's name is the name cell's tooltip."""
    return [
        {
            "id": r.id,
            "name": r.name,
            "other_name": r.name_en if lang == "zh" else (r.name_zh or r.name_en),
            "region": region_text(r.region, lang),
            "worst": r.worst,
            # Sort: worst severity first, then more alarms; none last.
            "alarm_rank": (SEVERITY_RANK.get(r.worst, 9) if r.worst else 9) * 10_000
            - r.open_alarms,
            "alarms": alarm_text(r, lang),
            "sites": r.sites,
            "zones": r.zones,
            "major_zones": r.major_zones,
            "zones_label": t("directory.zones.count", lang, n=r.zones, major=r.major_zones),
        }
        for r in rows
    ]


def region_text(region: str, lang: str) -> str:
    """Return a region as shown (the registry's text; a label for 'no region')."""
    return region if region != NO_REGION else t("directory.region.none", lang)


def region_options(regions: list[str], lang: str) -> list[dict]:
    """Return the region filter's choices."""
    return [{"label": region_text(r, lang), "value": r} for r in regions]


def site_href(enterprise: str, site: str) -> str:
    """Return the link to a site's page."""
    return "/site?" + urlencode({"enterprise": enterprise, "site": site})


def detail_body(detail: EnterpriseDetail | None, lang: str, wanted: str | None = None) -> list:
    """Return basic information, sites, hazard zones and restriction periods of an enterprise."""
    if detail is None:
        key = "directory.not_found" if wanted else "directory.pick"
        return [html.Div(t(key, lang), className="hz-detail-hint")]
    return [
        *basic_info(detail, lang),
        html.H3(t("directory.sites", lang)),
        html.Div(site_rows(detail, lang), className="hz-dir-sites"),
        html.H3(t("directory.zones", lang)),
        zones_table(detail.zones, lang),
        html.H3(t("directory.restrictions", lang)),
        html.Div(restrictions_list(detail.restrictions, lang), className="hz-dir-restrictions"),
    ]


def basic_info(detail: EnterpriseDetail, lang: str) -> list:
    """Return the enterprise's title and every field the registry has for it."""
    r = detail.row
    if r.major_zones:
        hazard = t("directory.field.hazard.yes", lang, n=r.major_zones)
    else:
        hazard = t("directory.field.hazard.no", lang)
    if r.open_alarms and r.worst:
        alarms = t(
            "directory.field.alarms.text",
            lang,
            n=r.open_alarms,
            unack=r.unacknowledged,
            severity=severity(r.worst, lang),
        )
    else:
        alarms = t("directory.alarms.none", lang)
    fields = [
        ("directory.field.name_en", r.name_en),
        ("directory.field.name_zh", r.name_zh or "—"),
        ("directory.field.id", r.id),
        ("directory.field.region", region_text(r.region, lang)),
        ("directory.field.address", r.address or "—"),
        ("directory.field.hazard", hazard),
        (
            "directory.field.instruments",
            t("directory.field.instruments.text", lang, sensors=r.sensors, cameras=r.cameras),
        ),
        ("directory.field.alarms", alarms),
    ]
    return [
        html.Div(
            [
                html.Span(r.name, className="hz-dir-name"),
                html.Span(severity(r.worst, lang), className="hz-dir-worst") if r.worst else None,
            ],
            className="hz-dir-title" + (f" hz-sev-{r.worst}" if r.worst else ""),
        ),
        html.Dl(
            [item for key, value in fields for item in (html.Dt(t(key, lang)), html.Dd(value))],
            className="hz-fields hz-dir-fields",
        ),
    ]


def site_rows(detail: EnterpriseDetail, lang: str) -> list:
    """Return the sites with translated counts and a link to each site's page."""
    out = []
    for s in detail.sites:
        counts = t(
            "directory.site.counts", lang, zones=s.zones, sensors=s.sensors, cameras=s.cameras
        )
        extra = t("directory.site.alarms", lang, n=s.open_alarms) if s.open_alarms else ""
        out.append(
            html.Div(
                [
                    html.Div(
                        [
                            html.Span(s.name, className="hz-dir-site-name"),
                            html.Span(s.id, className="hz-muted"),
                        ],
                        className="hz-dir-site-who",
                    ),
                    html.Span(counts, className="hz-dir-site-counts"),
                    html.Span(extra, className="hz-dir-site-alarms") if extra else None,
                    dcc.Link(
                        t("directory.site.open", lang) + " →",
                        href=site_href(detail.row.id, s.id),
                        className="hz-dir-site-link",
                    ),
                ],
                className="hz-dir-site" + (f" hz-sev-{s.worst}" if s.worst else ""),
            )
        )
    return out


def kinds_text(zone: ZoneRow, lang: str) -> str:
    """Return a zone's instruments: kinds with counts, then cameras."""
    parts = [kind if n == 1 else f"{kind} ×{n}" for kind, n in zone.sensor_kinds]
    if zone.cameras:
        parts.append(t("directory.zone.cameras", lang, n=zone.cameras))
    return ", ".join(parts) or "—"


def zones_table(zones: tuple[ZoneRow, ...], lang: str) -> html.Div:
    """Return the zones: name, site, hazard, people limit and dwell, instruments."""
    if not zones:
        return html.Div(t("directory.zone.none", lang), className="hz-muted")
    several_sites = len({z.site for z in zones}) > 1
    columns = ("zone", "site", "hazard", "people", "dwell", "kinds")
    head = tuple(h for h in columns if several_sites or h != "site")
    header = html.Tr([html.Th(t(f"directory.zone.col.{h}", lang)) for h in head])
    body = []
    for z in zones:
        major = z.hazard == "major"
        body.append(
            html.Tr(
                [
                    html.Td([html.Span(z.name), html.Span(z.id, className="hz-muted hz-dir-id")]),
                    html.Td(z.site_name) if several_sites else None,
                    html.Td(
                        t("directory.zone.major" if major else "directory.zone.general", lang),
                        className="hz-dir-major" if major else "",
                    ),
                    html.Td("—" if z.max_people is None else str(z.max_people)),
                    html.Td(f"{z.dwell_s} s" if lang != "zh" else f"{z.dwell_s}秒"),
                    html.Td(kinds_text(z, lang), className="hz-dir-kinds"),
                ],
                className="hz-dir-zone-major" if major else "",
            )
        )
    return html.Div(
        html.Table([html.Thead(header), html.Tbody(body)], className="hz-dir-table"),
        className="hz-dir-zones",
    )


def restrictions_list(
    rows: tuple[RestrictionRow, ...] | list[RestrictionRow],
    lang: str,
    none_key: str = "directory.restrictions.none",
) -> list:
    """Return restriction periods; the ones in force now stand out (`none_key`: if none)."""
    if not rows:
        return [html.Div(t(none_key, lang), className="hz-muted")]
    return [
        html.Div(
            [
                html.Span(r.name, className="hz-restriction-name"),
                html.Span(
                    f"{r.start_local[:16]} – {r.end_local[:16]}", className="hz-restriction-when"
                ),
                html.Span(
                    t(f"directory.restriction.{r.phase}", lang),
                    className=f"hz-restriction-phase hz-restriction-phase-{r.phase}",
                ),
            ],
            className=f"hz-restriction hz-restriction-{r.phase}",
        )
        for r in rows
    ]


def people_list(people: tuple[PersonRow, ...] | list[PersonRow], lang: str) -> list:
    """Return contacts in call order with role, shifts and who is on duty now; no phones."""
    if not people:
        return [html.Div(t("directory.contacts.none", lang), className="hz-muted")]
    return [_contact(p.name, p.role_title, p.on_duty, p.shifts, None, lang) for p in people]


def phones_list(contacts: list[ContactRow], lang: str) -> list:
    """Return contacts in call order with their phone numbers as tel: links."""
    if not contacts:
        return [html.Div(t("directory.contacts.none", lang), className="hz-muted")]
    return [_contact(c.name, c.role_title, c.on_duty, c.shifts, c.phone, lang) for c in contacts]


def _contact(
    name: str, role: str, on_duty: bool, shifts: tuple[str, ...], phone: str | None, lang: str
) -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.Span(name, className="hz-contact-name"),
                    html.Span(role, className="hz-contact-role"),
                    html.Span(t("directory.on_duty", lang), className="hz-on-duty")
                    if on_duty
                    else None,
                ],
                className="hz-contact-who",
            ),
            html.A(phone, href=phone_href(phone), className="hz-contact-phone")
            if phone
            else html.Span(),
            html.Span(", ".join(shifts), className="hz-contact-shifts"),
        ],
        className="hz-contact" + (" hz-contact-on-duty" if on_duty else ""),
    )
