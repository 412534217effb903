"""The Site page's zone lines (people now against max_people, sensors and abnormal ones, zone
alarm), the header's gateway and alarm badges, and the texts the sensor grid shares.

Pure functions of a `SiteSnapshot` and a language; colour only marks abnormal states. The
sensors themselves are in the grid of `layouts/site_grid.py`.
"""

from __future__ import annotations

import zlib

from dash import html

from layouts import ids
from layouts.alarm_text import format_number
from layouts.i18n import TEXT, name_in, t
from monitoring.signals import SEVERITIES
from monitoring.views.site import AlarmMark, SiteSnapshot, ZoneRow


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


def alarm_text(mark: AlarmMark, lang: str) -> str:
    """Return a worst open alarm as text: 'Red · Limit exceeded · unack'."""
    rule_key = f"rule.{mark.rule}"
    text = t(f"severity.{mark.severity}.short", lang) + " · "
    text += t(rule_key, lang) if rule_key in TEXT else mark.rule
    if not mark.active:
        text += " · " + t("site.alarm.cleared", lang)
    elif mark.unacknowledged:
        text += " · " + t("site.alarm.unack", lang)
    return text


def alarm_chip(mark: AlarmMark | None, lang: str) -> html.Span | None:
    """Return a sensor's or zone's worst open alarm as a chip in its severity's colour."""
    if mark is None:
        return None
    return html.Span(
        alarm_text(mark, lang),
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
    """Return a zone's line: name, hazard class, people now, its sensors and abnormal ones, and
    its alarm. Clicking it shows its people and permits."""
    abnormal = sum(1 for s in zone.sensors if s.abnormal)
    return html.Tr(
        id={"type": ids.SITE_ZONE_ROW, "zone": zone.id},
        n_clicks=0,
        className="hz-site-zone"
        + (f" hz-site-alarmed hz-sev-{zone.alarm.severity}" if zone.alarm else "")
        + (" hz-site-selected" if selected else ""),
        children=[
            html.Td(
                [
                    html.Span(name_in(zone.name, zone.name_zh, lang), className="hz-site-zn"),
                    html.Span(zone.id, className="hz-site-zid"),
                ],
                className="hz-site-zone-name",
            ),
            html.Td(
                html.Span(
                    t("site.zone.major" if zone.major else "site.zone.general", lang),
                    className="hz-site-hazard" + (" hz-site-major" if zone.major else ""),
                )
            ),
            html.Td(
                people_text(zone, lang),
                className="hz-site-people-now" + (" hz-site-over" if zone.over_max else ""),
            ),
            html.Td(
                [
                    html.Span(t("site.zone.sensors", lang, n=len(zone.sensors))),
                    html.Span(
                        t("site.zone.abnormal", lang, n=abnormal),
                        className="hz-site-abnormal-count",
                    )
                    if abnormal
                    else None,
                ],
                className="hz-site-zone-sensors",
            ),
            html.Td(alarm_chip(zone.alarm, lang), className="hz-site-alarm"),
        ],
    )


def zone_summary(
    snap: SiteSnapshot | None, lang: str, selected_zone: str | None = None
) -> html.Table | html.Div:
    """Return one line per zone (a few, whatever the number of sensors); the sensors
    themselves are in the grid (`layouts/site_grid.py`)."""
    if snap is None:
        return html.Div(t("site.pick.unknown", lang), className="hz-muted")
    return html.Table(
        html.Tbody([zone_tr(z, lang, z.id == selected_zone) for z in snap.zones]),
        className="hz-site-zone-table",
    )


def panel_digest(snap: SiteSnapshot | None, lang: str, selected_zone: str | None) -> str:
    """Return a fingerprint of what the zone lines and the header's badges show, so a refresh
    sends them again only when it changed (ages and values are the grid's)."""
    if snap is None:
        return ""
    zones = [
        (
            z.id,
            z.people,
            z.max_people,
            z.has_cameras,
            len(z.sensors),
            sum(1 for s in z.sensors if s.abnormal),
            z.alarm,
        )
        for z in snap.zones
    ]
    shown = (lang, selected_zone, zones, snap.gateway_state, sorted(snap.open_by_severity.items()))
    return format(zlib.crc32(repr(shown).encode()), "x")
