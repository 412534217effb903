"""The Site page: one site's zones and sensors now, sensor trends, people and permits over time.

`layout(lang, can, query)` reads the registry through the site read model and hands it to
`site_page`, a pure function like every other builder here. Without a query, or with one the
registry does not know, the page is only the enterprise/site picker. Query parameters:
`enterprise`, `site`, and optionally `sensor` (comma-separated), `zone` and `window`; the Wall
and the Console link here with them. No contact data on this page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from dash import dcc, html

from layouts import ids
from layouts.alarm_text import format_number, format_quantity
from layouts.i18n import TEXT, t
from layouts.shell import elapsed_text
from layouts.site_charts import permit_text
from monitoring.clock import local_time
from monitoring.signals import SEVERITIES
from monitoring.views import site as site_view
from monitoring.views.site import (
    DEFAULT_WINDOW,
    MAX_SENSORS,
    WINDOWS,
    AlarmMark,
    EnterpriseChoice,
    Presence,
    SensorRow,
    SiteSnapshot,
    ZoneRow,
    pick_sensors,
    pick_zone,
)

REFRESH_MS = 5000  # table ages and live trends; long windows redraw only when a bucket ends
GRAPH_CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "toImage"],
    "scrollZoom": False,
}
COLUMNS = (
    "site.col.sensor",
    "site.col.kind",
    "site.col.value",
    "site.col.limits",
    "site.col.quality",
    "site.col.age",
    "site.col.alarm",
)

SHORT_TIME = "%m-%d %H:%M"  # permit times in the people panel


def layout(lang: str, can: dict[str, bool], query: dict[str, str]) -> html.Div:
    """Return the page for a user with roles `can`, opened with URL parameters `query`."""
    view = site_view.current()
    ent, site = view.site(query.get("enterprise", ""), query.get("site", ""))
    return site_page(lang, query, view.choices(), ent, site)


def name_in(name: str, name_zh: str | None, lang: str) -> str:
    """Return a registry name in the language: the Chinese one when there is one."""
    return name_zh if lang == "zh" and name_zh else name


def site_page(
    lang: str, query: dict[str, str], choices: list[EnterpriseChoice], ent: Any, site: Any
) -> html.Div:
    """Return the page for registry objects `ent` and `site` (None: show only the picker)."""
    if site is None:
        return picker_page(lang, query, choices)
    sensors = pick_sensors(site, (query.get("sensor") or "").split(","))
    window = query.get("window") if query.get("window") in WINDOWS else DEFAULT_WINDOW
    zone = pick_zone(site, query.get("zone"), sensors)
    return html.Div(
        className="hz-site",
        children=[
            *_plumbing({"enterprise": ent.id, "site": site.id}),
            dcc.Interval(id=ids.SITE_INTERVAL, interval=REFRESH_MS),
            dcc.Store(id=ids.SITE_TREND_STAMP),
            dcc.Store(id=ids.SITE_PEOPLE_STAMP),
            html.Section(
                className="hz-panel hz-site-head",
                children=[
                    html.Div(
                        [
                            html.H1(name_in(ent.name, ent.name_zh, lang), className="hz-site-ent"),
                            html.Span(
                                name_in(site.name, getattr(site, "name_zh", None), lang),
                                className="hz-site-name",
                            ),
                            html.Span(
                                f"{t('site.region', lang)}: {ent.region}" if ent.region else "",
                                className="hz-site-region",
                            ),
                        ],
                        className="hz-site-title",
                    ),
                    html.Div(id=ids.SITE_STATUS, className="hz-site-status"),
                    picker(lang, choices, ent.id, site.id),
                ],
            ),
            html.Div(
                className="hz-site-body",
                children=[
                    html.Section(
                        className="hz-panel hz-site-zones",
                        children=[
                            html.H2(t("site.zones", lang)),
                            html.Div(id=ids.SITE_TABLE, className="hz-site-table-wrap"),
                        ],
                    ),
                    html.Div(
                        className="hz-site-charts",
                        children=[
                            trend_panel(lang, site, sensors, window),
                            people_panel(lang, site, zone),
                        ],
                    ),
                ],
            ),
        ],
    )


def _plumbing(current: dict | None) -> list:
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
            *_plumbing(None),
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


def picker(
    lang: str, choices: list[EnterpriseChoice], enterprise: str | None, site: str | None
) -> html.Div:
    """Return the searchable enterprise and site dropdowns (choosing one navigates)."""
    return html.Div(
        className="hz-site-picker",
        children=[
            html.Label(
                [
                    html.Span(t("site.pick.enterprise", lang)),
                    dcc.Dropdown(
                        id=ids.SITE_ENTERPRISE,
                        options=enterprise_options(choices, lang),
                        value=enterprise,
                        searchable=True,
                        labels=dropdown_labels(lang),
                        clearable=False,
                        placeholder=t("site.pick.enterprise", lang),
                        className="hz-dropdown hz-site-pick-ent",
                    ),
                ]
            ),
            html.Label(
                [
                    html.Span(t("site.pick.site", lang)),
                    dcc.Dropdown(
                        id=ids.SITE_SITE,
                        options=site_options(choices, enterprise, lang),
                        value=site,
                        searchable=True,
                        labels=dropdown_labels(lang),
                        clearable=False,
                        placeholder=t("site.pick.site", lang),
                        className="hz-dropdown hz-site-pick-site",
                    ),
                ]
            ),
        ],
    )


DROPDOWN_LABELS = (
    "select_all",
    "deselect_all",
    "selected_count",
    "search",
    "clear_search",
    "clear_selection",
    "no_options_found",
)


def dropdown_labels(lang: str) -> dict[str, str]:
    """Return the dropdowns' own texts (search box, "3 selected", ...) in the language."""
    return {key: t(f"site.dd.{key}", lang) for key in DROPDOWN_LABELS}


def site_href(enterprise: str, site: str) -> str:
    """Return this page's address for a site."""
    return "/site?" + urlencode({"enterprise": enterprise, "site": site})


def kind_text(kind: str, lang: str) -> str:
    """Return a sensor kind's label."""
    key = f"site.kind.{kind}"
    return t(key, lang) if key in TEXT else kind


def sensor_options(site: Any, lang: str) -> list[dict]:
    """Return the trend's sensor choices: id, zone and kind, in registry order."""
    zones = {z.id: z for z in site.zones}
    out = []
    for s in site.sensors:
        zone = zones.get(s.zone)
        where = name_in(zone.name, zone.name_zh, lang) if zone else s.zone
        unit = f" ({s.unit})" if s.unit else ""
        out.append({"label": f"{s.id} · {where} · {kind_text(s.kind, lang)}{unit}", "value": s.id})
    return out


def zone_options(site: Any, lang: str) -> list[dict]:
    """Return the people chart's zone choices."""
    return [
        {
            "label": name_in(z.name, z.name_zh, lang)
            + (f" · {t('site.zone.major', lang)}" if z.hazard == "major" else ""),
            "value": z.id,
        }
        for z in site.zones
    ]


def trend_panel(lang: str, site: Any, sensors: list[str], window: str) -> html.Section:
    """Return the trend panel: sensors, window and the (live) figure."""
    return html.Section(
        className="hz-panel hz-site-trend",
        children=[
            html.Div(
                className="hz-site-controls",
                children=[
                    html.H2(t("site.trend", lang)),
                    dcc.Dropdown(
                        id=ids.SITE_SENSORS,
                        options=sensor_options(site, lang),
                        value=sensors,
                        multi=True,
                        searchable=True,
                        labels=dropdown_labels(lang),
                        clearable=False,
                        placeholder=t("site.trend.sensors.hint", lang, n=MAX_SENSORS),
                        className="hz-dropdown hz-site-sensors",
                    ),
                    dcc.RadioItems(
                        id=ids.SITE_WINDOW,
                        options=[
                            {"label": t(f"site.window.{key}", lang), "value": key}
                            for key in WINDOWS
                        ],
                        value=window,
                        inline=True,
                        className="hz-site-windows",
                    ),
                ],
            ),
            html.Div(id=ids.SITE_TREND_INFO, className="hz-site-info"),
            dcc.Graph(
                id=ids.SITE_TREND,
                config=GRAPH_CONFIG,
                responsive=True,
                className="hz-site-graph-trend",
            ),
        ],
    )


def people_panel(lang: str, site: Any, zone: str | None) -> html.Section:
    """Return the people panel: zone choice, the count with max_people and permit spans."""
    return html.Section(
        className="hz-panel hz-site-people",
        children=[
            html.Div(
                className="hz-site-controls",
                children=[
                    html.H2(t("site.people", lang)),
                    dcc.Dropdown(
                        id=ids.SITE_ZONE,
                        options=zone_options(site, lang),
                        value=zone,
                        searchable=True,
                        labels=dropdown_labels(lang),
                        clearable=False,
                        className="hz-dropdown hz-site-zone-pick",
                    ),
                ],
            ),
            dcc.Graph(
                id=ids.SITE_PEOPLE,
                config=GRAPH_CONFIG,
                responsive=True,
                className="hz-site-graph-people",
            ),
            html.Div(id=ids.SITE_PERMITS, className="hz-site-permits"),
        ],
    )


# -- the live parts ------------------------------------------------------------------------


def status_strip(snap: SiteSnapshot | None, lang: str) -> list:
    """Return the gateway state and the site's open alarms by severity (colour only if any)."""
    if snap is None:
        return []
    state = snap.gateway_state
    bad = state == "offline"
    key = f"site.gateway.{state}" if state in ("online", "offline") else "site.gateway.unknown"
    items = [
        html.Span(
            [html.Span(t("site.gateway", lang), className="hz-badge-label"), t(key, lang)],
            className="hz-badge" + (" hz-badge-bad" if bad else ""),
        )
    ]
    counts = [(s, snap.open_by_severity.get(s, 0)) for s in SEVERITIES]
    alarms = [html.Span(t("site.alarms", lang), className="hz-badge-label")]
    if not any(n for _, n in counts):
        alarms.append(html.Span(t("site.alarms.none", lang)))
    for severity, n in counts:
        if n:
            alarms.append(
                html.Span(
                    f"{t(f'severity.{severity}.short', lang)} {n}",
                    className=f"hz-site-count hz-sev-{severity}",
                )
            )
    items.append(html.Span(alarms, className="hz-badge hz-site-alarm-badge"))
    return items


def alarm_chip(mark: AlarmMark | None, lang: str) -> html.Span | None:
    """Return a sensor's or zone's worst open alarm as a chip in its severity's colour."""
    if mark is None:
        return None
    rule_key = f"rule.{mark.rule}"
    text = t(f"severity.{mark.severity}.short", lang) + " · "
    text += t(rule_key, lang) if rule_key in TEXT else mark.rule
    if not mark.active:
        text += " · " + t("site.alarm.cleared", lang)
    elif mark.unacknowledged:
        text += " · " + t("site.alarm.unack", lang)
    return html.Span(
        text,
        className=f"hz-site-chip hz-sev-{mark.severity}"
        + ("" if mark.active else " hz-site-chip-cleared"),
    )


def limits_text(limits: dict[str, float], lang: str) -> str:
    """Return a sensor's limits, lowest first: 'L 10 · H 85 · HH 90'."""
    if not limits:
        return t("site.limits.none", lang)
    return " · ".join(
        f"{t(f'site.limit.{name}', lang)} {format_number(value)}" for name, value in limits.items()
    )


def sensor_tr(row: SensorRow, lang: str, selected: bool = False) -> html.Tr:
    """Return a sensor's table row; clicking it shows its trend."""
    if row.value is None:
        value = html.Td("—", className="hz-site-value hz-site-none")
        age = html.Td(t("site.no_data", lang), className="hz-site-age hz-site-abnormal")
    else:
        value = html.Td(
            format_quantity(row.value, row.unit),
            className="hz-site-value"
            + (f" hz-site-lim-{row.limit_state}" if row.limit_state else "")
            + (" hz-site-dim" if row.stale else ""),
        )
        age_text = elapsed_text(row.age_ms or 0, lang)
        age = html.Td(
            [html.Span(t("site.stale", lang), className="hz-site-stale-flag"), age_text]
            if row.stale
            else age_text,
            className="hz-site-age" + (" hz-site-abnormal" if row.stale else ""),
            title=t("site.stale.hint", lang, s=format_number(row.stale_after_s)),
        )
    quality = row.quality
    quality_key = f"site.quality.{quality}"
    return html.Tr(
        id={"type": ids.SITE_SENSOR_ROW, "sensor": row.id},
        n_clicks=0,
        className="hz-site-sensor"
        + (f" hz-site-alarmed hz-sev-{row.alarm.severity}" if row.alarm else "")
        + (" hz-site-stale" if row.stale else "")
        + (" hz-site-selected" if selected else ""),
        children=[
            html.Td(row.id, className="hz-site-id"),
            html.Td(kind_text(row.kind, lang), className="hz-site-kind"),
            value,
            html.Td(limits_text(row.limits, lang), className="hz-site-limits"),
            html.Td(
                (t(quality_key, lang) if quality_key in TEXT else quality) if quality else "",
                className="hz-site-quality"
                + ("" if quality in (None, "good") else " hz-site-abnormal"),
            ),
            age,
            html.Td(alarm_chip(row.alarm, lang), className="hz-site-alarm"),
        ],
    )


def people_text(zone: ZoneRow, lang: str) -> str:
    """Return a zone's people count against its limit."""
    if not zone.has_cameras and zone.people is None:
        return t("site.zone.no_camera", lang)
    if zone.people is None:
        return t("site.zone.no_count", lang)
    if zone.max_people is None:
        return t("site.zone.people_nomax", lang, n=zone.people)
    return t("site.zone.people", lang, n=zone.people, max=zone.max_people)


def zone_tr(zone: ZoneRow, lang: str, selected: bool = False) -> html.Tr:
    """Return a zone's heading row: name, hazard class, people now and its alarm."""
    return html.Tr(
        id={"type": ids.SITE_ZONE_ROW, "zone": zone.id},
        n_clicks=0,
        className="hz-site-zone"
        + (f" hz-site-alarmed hz-sev-{zone.alarm.severity}" if zone.alarm else "")
        + (" hz-site-selected" if selected else ""),
        children=[
            html.Td(
                colSpan=len(COLUMNS),
                children=html.Div(
                    [
                        html.Span(name_in(zone.name, zone.name_zh, lang), className="hz-site-zn"),
                        html.Span(zone.id, className="hz-site-zid"),
                        html.Span(
                            t("site.zone.major" if zone.major else "site.zone.general", lang),
                            className="hz-site-hazard" + (" hz-site-major" if zone.major else ""),
                        ),
                        html.Span(
                            people_text(zone, lang),
                            className="hz-site-people-now"
                            + (" hz-site-over" if zone.over_max else ""),
                        ),
                        alarm_chip(zone.alarm, lang),
                    ],
                    className="hz-site-zone-line",
                ),
            )
        ],
    )


def zone_table(
    snap: SiteSnapshot | None,
    lang: str,
    selected_sensors: list[str] | None = None,
    selected_zone: str | None = None,
) -> html.Table | html.Div:
    """Return every zone with its sensors (then unregistered sensors) as one table."""
    if snap is None:
        return html.Div(t("site.pick.unknown", lang), className="hz-muted")
    chosen = set(selected_sensors or ())
    bodies = []
    for zone in snap.zones:
        rows = [zone_tr(zone, lang, zone.id == selected_zone)]
        rows += [sensor_tr(s, lang, s.id in chosen) for s in zone.sensors]
        if not zone.sensors:
            rows.append(
                html.Tr(
                    html.Td(t("site.zone.no_sensors", lang), colSpan=len(COLUMNS)),
                    className="hz-site-empty",
                )
            )
        bodies.append(html.Tbody(rows))
    if snap.unregistered:
        head = html.Tr(
            html.Td(t("site.unregistered", lang), colSpan=len(COLUMNS)),
            className="hz-site-zone hz-site-unregistered",
        )
        bodies.append(
            html.Tbody([head, *[sensor_tr(s, lang, s.id in chosen) for s in snap.unregistered]])
        )
    return html.Table(
        [html.Thead(html.Tr([html.Th(t(key, lang)) for key in COLUMNS])), *bodies],
        className="hz-site-table",
    )


def bucket_text(bucket_ms: int, lang: str) -> str:
    """Return a bucket width: 1 s, 15 s, 6 min 44 s."""
    s = bucket_ms // 1000
    if s < 60:
        return t("elapsed.s", lang, n=s)
    return t("elapsed.m", lang, n=s // 60) + (f" {s % 60}s" if s % 60 else "")


def trend_info(points: int, bucket_ms: int, lang: str, capped: bool = False) -> str:
    """Return the line under the trend controls: how many points, how wide each, live."""
    parts = [
        t("site.trend.points", lang, n=points, bucket=bucket_text(bucket_ms, lang)),
        t("site.trend.live", lang, s=REFRESH_MS // 1000),
    ]
    if capped:
        parts.append(t("site.trend.capped", lang, n=MAX_SENSORS))
    return " · ".join(parts)


def permit_list(presence: Presence | None, lang: str) -> list:
    """Return the permits of the zone in the window as text: type, number, times, workers."""
    if presence is None or not presence.permits:
        return [html.Div(t("site.permits.none", lang), className="hz-muted")]
    return [
        html.Div(
            [
                html.Span(permit_text(p, lang), className="hz-site-permit-id"),
                html.Span(
                    f"{local_time(p.start_ms, presence.tz, '%m-%d %H:%M')} – {local_time(p.end_ms, presence.tz, '%m-%d %H:%M')}",
                    className="hz-site-permit-time",
                ),
                html.Span(p.supervisor or "", className="hz-site-permit-who"),
            ],
            className="hz-site-permit" + ("" if p.status == "approved" else " hz-site-permit-off"),
        )
        for p in presence.permits
    ]
