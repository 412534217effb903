"""Wall display: KPI tiles, enterprises coloured by worst open alarm, live alarm feed.

High-performance HMI style: greys for normal, colour only for abnormal states. Builders are
pure functions of a `WallSnapshot` and a language; they never see contact data.
"""

from __future__ import annotations

from dash import dcc, html

from layouts import ids
from layouts.i18n import TEXT, t
from layouts.shell import elapsed_text
from monitoring.alarm_model import SEVERITIES
from monitoring.wall_view import EnterpriseTile, FeedItem, WallSnapshot

REFRESH_MS = 1500  # + the read model cache (0.5 s): a new alarm shows within 2 s


def layout(lang: str) -> html.Div:
    """Return the wall page's frame; the refresh callback fills it at once and every 1.5 s."""
    return html.Div(
        className="hz-wall",
        children=[
            dcc.Interval(id=ids.WALL_INTERVAL, interval=REFRESH_MS),
            html.Section(id=ids.WALL_KPIS, className="hz-kpis"),
            html.Div(
                className="hz-wall-body",
                children=[
                    html.Section(
                        className="hz-panel hz-grid-panel",
                        children=[
                            html.H2(t("grid.title", lang), id=ids.WALL_GRID_TITLE),
                            html.Div(id=ids.WALL_GRID, className="hz-grid"),
                        ],
                    ),
                    html.Section(
                        className="hz-panel hz-feed-panel",
                        children=[
                            html.H2(t("feed.title", lang), id=ids.WALL_FEED_TITLE),
                            html.Div(id=ids.WALL_FEED, className="hz-feed"),
                        ],
                    ),
                ],
            ),
        ],
    )


def online_rate_text(online: int, total: int) -> str:
    """Return the sensor online rate as a percentage with one decimal ('—' without sensors)."""
    if total == 0:
        return "—"
    return f"{100.0 * online / total:.1f} %"


def kpi_tiles(snap: WallSnapshot, lang: str) -> list:
    """Return the five KPI tiles; a tile is coloured only when its figure is abnormal."""
    total_open = sum(snap.open_by_severity.values())
    severity_counts = html.Div(
        className="hz-sev-counts",
        children=[
            html.Span(
                [
                    html.Span(t(f"severity.{sev}.short", lang), className="hz-sev-name"),
                    html.Span(str(n), className="hz-sev-n"),
                ],
                className=f"hz-sev-count hz-sev-{sev}" + (" hz-zero" if n == 0 else ""),
            )
            for sev, n in ((s, snap.open_by_severity.get(s, 0)) for s in SEVERITIES)
        ],
    )
    online_low = snap.sensors_total > 0 and snap.sensors_online < snap.sensors_total
    return [
        _tile("kpi.enterprises", str(len(snap.enterprises)), lang),
        _tile(
            "kpi.online_rate",
            online_rate_text(snap.sensors_online, snap.sensors_total),
            lang,
            sub=f"{snap.sensors_online} / {snap.sensors_total}",
            abnormal="hz-tile-warn" if online_low else None,
        ),
        _tile("kpi.open_alarms", str(total_open), lang, extra=severity_counts, wide=True),
        _tile(
            "kpi.unacknowledged",
            str(snap.unacknowledged),
            lang,
            abnormal="hz-tile-alert" if snap.unacknowledged else None,
        ),
        _tile(
            "kpi.special_operations",
            str(snap.special_operations),
            lang,
            abnormal="hz-tile-warn" if snap.special_operations else None,
        ),
    ]


def _tile(
    key: str,
    value: str,
    lang: str,
    sub: str | None = None,
    abnormal: str | None = None,
    extra: object = None,
    wide: bool = False,
) -> html.Div:
    classes = ["hz-tile"] + ([abnormal] if abnormal else []) + (["hz-tile-wide"] if wide else [])
    children: list = [
        html.Div(t(key, lang), className="hz-tile-label"),
        html.Div(value, className="hz-tile-value"),
    ]
    if sub:
        children.append(html.Div(sub, className="hz-tile-sub"))
    if extra is not None:
        children.append(extra)
    return html.Div(children, className=" ".join(classes))


def display_name(name: str, name_zh: str | None, lang: str) -> str:
    """Return the name in the chosen language when the registry has it."""
    return name_zh if lang == "zh" and name_zh else name


def tile_class(tile: EnterpriseTile) -> str:
    """Return the CSS classes of an enterprise tile: grey when normal, else its worst severity."""
    if tile.worst is None:
        return "hz-ent"
    return f"hz-ent hz-ent-{tile.worst}" + (" hz-unack" if tile.unacknowledged else "")


def enterprise_grid(snap: WallSnapshot, lang: str) -> list:
    """Return one tile per enterprise, worst first, with its open and unacknowledged counts."""
    out = []
    for tile in snap.enterprises:
        status = (
            t("grid.normal", lang)
            if tile.worst is None
            else f"{t(f'severity.{tile.worst}', lang)} · {tile.open_alarms}"
        )
        out.append(
            html.Div(
                [
                    html.Div(display_name(tile.name, tile.name_zh, lang), className="hz-ent-name"),
                    html.Div(status, className="hz-ent-status"),
                ],
                className=tile_class(tile),
                title=tile.id,
            )
        )
    return out


def rule_text(rule: str, lang: str) -> str:
    """Return the translated name of a rule (its id when unknown)."""
    key = f"rule.{rule}"
    return t(key, lang) if key in TEXT else rule


def state_key(item: FeedItem) -> str:
    """Return the label key of an alarm's state in the feed."""
    if item.unacknowledged:
        return "feed.unack"
    return "feed.shelved" if item.state == "shelved" else "feed.ack"


def feed_rows(snap: WallSnapshot, lang: str) -> list:
    """Return the alarm feed, most severe and newest first; unacknowledged rows stand out."""
    if not snap.feed:
        return [html.Div(t("feed.empty", lang), className="hz-feed-empty")]
    rows = []
    for item in snap.feed:
        what = rule_text(item.rule, lang) + f" · {item.source}"
        if item.count > 1:
            what += " " + t("feed.count", lang, count=item.count)
        if item.state == "cleared_unack":
            what += " · " + t("feed.cleared", lang)
        rows.append(
            html.Div(
                [
                    html.Span(t(f"severity.{item.severity}.short", lang), className="hz-feed-sev"),
                    html.Div(
                        [
                            html.Div(
                                display_name(item.enterprise_name, item.enterprise_name_zh, lang)
                                + f" / {item.site_name}",
                                className="hz-feed-where",
                            ),
                            html.Div(what, className="hz-feed-what"),
                        ],
                        className="hz-feed-main",
                    ),
                    html.Span(
                        elapsed_text(snap.now_ms - item.raised_ms, lang), className="hz-feed-age"
                    ),
                    html.Span(t(state_key(item), lang), className="hz-feed-state"),
                ],
                className=f"hz-feed-row hz-sev-{item.severity}"
                + (" hz-unack" if item.unacknowledged else " hz-acked"),
            )
        )
    return rows
