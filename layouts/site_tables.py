"""The Site page's live table: every zone with its sensors (values, limits, quality, age and
open alarms), and the header's gateway and alarm badges.

Pure functions of a `SiteSnapshot` and a language; colour only marks abnormal states.
"""

from __future__ import annotations

from dash import html

from layouts import ids
from layouts.alarm_text import format_number, format_quantity
from layouts.i18n import TEXT, name_in, t
from layouts.shell import elapsed_text
from monitoring.signals import SEVERITIES
from monitoring.views.site import AlarmMark, SensorRow, SiteSnapshot, ZoneRow

COLUMNS = (
    "site.col.sensor",
    "site.col.kind",
    "site.col.value",
    "site.col.limits",
    "site.col.quality",
    "site.col.age",
    "site.col.alarm",
)


def kind_text(kind: str, lang: str) -> str:
    """Return a sensor kind's label."""
    key = f"site.kind.{kind}"
    return t(key, lang) if key in TEXT else kind


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
