"""The Site page: one site's zones and sensors now, sensor trends, people and permits over time.

`layout(lang, can, query)` returns only a slot and what the page was opened with; the
`open_page` callback (`callbacks/site.py`) reads the registry through the site read model and
fills the slot with `site_page`, a pure function like every other builder here. Without a
query, or with one the registry does not know, the page is only the enterprise/site picker
(`layouts/site_picker.py`). Query parameters: `enterprise`, `site`, and optionally `sensor`
(comma-separated; without it the trend shows the worst abnormal sensors), `zone` and `window`;
the Wall and the Console link here with them. No contact data on this page. The zone lines
are built by `layouts/site_tables.py`, the sensor grid (virtualised, filled and refreshed
with changes only) by `layouts/site_grid.py`, the figures by `layouts/charts.py`.
"""

from __future__ import annotations

from dash import dcc, html
from dash.development.base_component import Component

from layouts import ids
from layouts.charts import permit_text
from layouts.i18n import name_in, t
from layouts.site_grid import (
    count_text,
    grid_delta,
    held,
    sensor_grid,
    shown_count,
    zone_filter_options,
)
from layouts.site_picker import dropdown_labels, navigation, picker, picker_page
from layouts.site_tables import kind_text, panel_digest, status_strip, zone_summary
from monitoring.clock import local_time
from monitoring.registry.model import Enterprise, Site
from monitoring.views.site import (
    DEFAULT_WINDOW,
    MAX_SENSORS,
    WINDOWS,
    EnterpriseChoice,
    Presence,
    SiteSnapshot,
    default_sensors,
    pick_sensors,
    pick_zone,
)

REFRESH_MS = 5000  # table ages and live trends; long windows redraw only when a bucket ends
GRAPH_CONFIG: dcc.Graph.Config = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "toImage"],
    "scrollZoom": False,
}
SHORT_TIME = "%m-%d %H:%M"  # permit times in the people panel


def layout(lang: str, can: dict[str, bool], query: dict[str, str]) -> html.Div:
    """Return the page's slot, holding the language and query its callback builds it from."""
    return html.Div(
        [
            dcc.Store(id=ids.SITE_REQUEST, data={"lang": lang, "query": query}),
            html.Div(id=ids.SITE_PAGE),
        ]
    )


def site_page(
    lang: str,
    query: dict[str, str],
    choices: list[EnterpriseChoice],
    ent: Enterprise | None,
    site: Site | None,
    snap: SiteSnapshot | None = None,
) -> html.Div:
    """Return the page for registry objects `ent` and `site` (None: show only the picker).

    `snap`, the site now, fills the zone lines, the badges and every row of the sensor grid
    in the page itself, so the table is on screen without waiting for a refresh; and when
    the address names no sensor, the trend shows the worst abnormal ones
    (`default_sensors`), else the site's first sensor.
    """
    if ent is None or site is None:
        return picker_page(lang, query, choices)
    sensors = pick_sensors(site, (query.get("sensor") or "").split(","), default_sensors(snap))
    window = query.get("window", DEFAULT_WINDOW)
    if window not in WINDOWS:
        window = DEFAULT_WINDOW
    zone = pick_zone(site, query.get("zone"), sensors)
    rows = grid_delta(snap, lang, None)
    return html.Div(
        className="hz-site",
        children=[
            *navigation({"enterprise": ent.id, "site": site.id}),
            dcc.Interval(id=ids.SITE_INTERVAL, interval=REFRESH_MS),
            dcc.Store(id=ids.SITE_TREND_STAMP),
            dcc.Store(id=ids.SITE_TREND_DELTA),
            dcc.Store(id=ids.SITE_PEOPLE_STAMP),
            dcc.Store(id=ids.SITE_PEOPLE_DELTA),
            dcc.Store(id=ids.SITE_GRID_DELTA),
            dcc.Store(id=ids.SITE_GRID_SEEN, data=held(rows)),
            dcc.Store(id=ids.SITE_PANEL_SEEN, data=panel_digest(snap, lang, zone) or None),
            html.Section(
                className="hz-panel hz-site-head",
                children=[
                    html.Div(
                        [
                            html.H1(name_in(ent.name, ent.name_zh, lang), className="hz-site-ent"),
                            html.Span(
                                name_in(site.name, site.name_zh, lang),
                                className="hz-site-name",
                            ),
                            html.Span(
                                f"{t('site.region', lang)}: {ent.region}" if ent.region else "",
                                className="hz-site-region",
                            ),
                        ],
                        className="hz-site-title",
                    ),
                    html.Div(
                        status_strip(snap, lang), id=ids.SITE_STATUS, className="hz-site-status"
                    ),
                    picker(lang, choices, ent.id, site.id),
                ],
            ),
            html.Div(
                className="hz-site-body",
                children=[
                    sensors_panel(lang, site, sensors, snap, zone, rows),
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


def sensors_panel(
    lang: str,
    site: Site,
    selected: list[str],
    snap: SiteSnapshot | None = None,
    zone: str | None = None,
    rows: dict | None = None,
) -> html.Section:
    """Return the zones and sensors panel: a line per zone, the filters and the sensor grid,
    filled from `snap` and its grid rows `rows` (`grid_delta`) when given."""
    zones = [(z.id, z.name, z.name_zh) for z in site.zones]
    grid = sensor_grid(lang, zones, (s.kind for s in site.sensors), selected)
    if rows is not None:
        grid.rowData = rows["rows"]
    return html.Section(
        className="hz-panel hz-site-zones",
        children=[
            html.H2(t("site.zones", lang)),
            html.Div(
                zone_summary(snap, lang, zone) if snap is not None else None,
                id=ids.SITE_ZONES,
                className="hz-site-zone-wrap",
            ),
            html.Div(
                className="hz-site-grid-bar",
                children=[
                    dcc.Dropdown(
                        id=ids.SITE_GRID_ZONE,
                        options=zone_filter_options(zones, lang),
                        value="",
                        searchable=False,
                        clearable=False,
                        labels=dropdown_labels(lang),
                        className="hz-dropdown hz-site-grid-zone",
                    ),
                    dcc.Checklist(
                        id=ids.SITE_ABNORMAL,
                        options=[
                            {
                                "label": html.Span(
                                    t("site.filter.abnormal", lang),
                                    title=t("site.filter.abnormal.hint", lang),
                                ),
                                "value": "abnormal",
                            }
                        ],
                        value=[],
                        className="hz-site-abnormal",
                    ),
                    html.Span(
                        count_text(*shown_count(snap, False, ""), lang) if snap else None,
                        id=ids.SITE_GRID_COUNT,
                        className="hz-site-grid-count",
                    ),
                ],
            ),
            html.Div(
                grid,
                className="hz-site-grid-wrap",
            ),
        ],
    )


def sensor_options(site: Site, lang: str) -> list[dict]:
    """Return the trend's sensor choices: id, zone and kind, in registry order."""
    zones = {z.id: z for z in site.zones}
    out = []
    for s in site.sensors:
        zone = zones.get(s.zone)
        where = name_in(zone.name, zone.name_zh, lang) if zone else s.zone
        unit = f" ({s.unit})" if s.unit else ""
        out.append({"label": f"{s.id} · {where} · {kind_text(s.kind, lang)}{unit}", "value": s.id})
    return out


def zone_options(site: Site, lang: str) -> list[dict]:
    """Return the people chart's zone choices."""
    return [
        {
            "label": name_in(z.name, z.name_zh, lang)
            + (f" · {t('site.zone.major', lang)}" if z.hazard == "major" else ""),
            "value": z.id,
        }
        for z in site.zones
    ]


def _controls(title: str, *controls: Component) -> html.Div:
    return html.Div(className="hz-site-controls", children=[html.H2(title), *controls])


def _graph(graph_id: str, class_name: str) -> dcc.Graph:
    return dcc.Graph(id=graph_id, config=GRAPH_CONFIG, responsive=True, className=class_name)


def trend_panel(lang: str, site: Site, sensors: list[str], window: str) -> html.Section:
    """Return the trend panel: sensors, window and the (live) figure."""
    return html.Section(
        className="hz-panel hz-site-trend",
        children=[
            _controls(
                t("site.trend", lang),
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
                        {"label": t(f"site.window.{key}", lang), "value": key} for key in WINDOWS
                    ],
                    value=window,
                    inline=True,
                    className="hz-site-windows",
                ),
            ),
            html.Div(id=ids.SITE_TREND_INFO, className="hz-site-info"),
            _graph(ids.SITE_TREND, "hz-site-graph-trend"),
        ],
    )


def people_panel(lang: str, site: Site, zone: str | None) -> html.Section:
    """Return the people panel: zone choice, the count with max_people and permit spans."""
    return html.Section(
        className="hz-panel hz-site-people",
        children=[
            _controls(
                t("site.people", lang),
                dcc.Dropdown(
                    id=ids.SITE_ZONE,
                    options=zone_options(site, lang),
                    value=zone,
                    searchable=True,
                    labels=dropdown_labels(lang),
                    clearable=False,
                    className="hz-dropdown hz-site-zone-pick",
                ),
            ),
            _graph(ids.SITE_PEOPLE, "hz-site-graph-people"),
            html.Div(id=ids.SITE_PERMITS, className="hz-site-permits"),
        ],
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
                    f"{local_time(p.start_ms, presence.tz, SHORT_TIME)}"
                    f" – {local_time(p.end_ms, presence.tz, SHORT_TIME)}",
                    className="hz-site-permit-time",
                ),
                html.Span(p.supervisor or "", className="hz-site-permit-who"),
            ],
            className="hz-site-permit" + ("" if p.status == "approved" else " hz-site-permit-off"),
        )
        for p in presence.permits
    ]
