"""Wall display: KPI tiles, enterprises coloured by worst open alarm, live alarm feed.

High-performance HMI style: greys for normal, colour only for abnormal states. Builders are
pure functions of a `WallSnapshot` and a language; they never see contact data.
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import urlencode

from dash import Patch, dcc, html

from layouts import ids
from layouts.alarm_text import alarm_message
from layouts.counts import number, severity_counts
from layouts.i18n import TEXT, name_in, t
from layouts.shell import elapsed_text
from monitoring.signals import SEVERITIES, SEVERITY_RANK
from monitoring.views.wall import EnterpriseTile, FeedItem, WallSnapshot

REFRESH_MS = 1500  # + the read model cache (0.5 s): a new alarm shows within 2 s
# Two short tones (880 Hz, then 1175 Hz; 16-bit mono 22.05 kHz, 25 KB), written once
# with Python's `wave` module: served by the app itself, never fetched from elsewhere.
CHIME_URL = "/assets/hazwatch-chime.wav"


def layout(lang: str) -> html.Div:
    """Return the wall page's frame; the refresh callback fills it at once and every 1.5 s."""
    return html.Div(
        className="hz-wall",
        children=[
            dcc.Interval(id=ids.WALL_INTERVAL, interval=REFRESH_MS),
            dcc.Store(id=ids.WALL_RED_IDS),
            dcc.Store(id=ids.WALL_GRID_KEY),
            # Session storage: a language switch re-renders the page without losing the choice.
            dcc.Store(id=ids.WALL_SOUND_ON, storage_type="session", data=False),
            dcc.Store(id=ids.WALL_CHIMES, data=0),
            html.Audio(id=ids.WALL_CHIME_AUDIO, src=CHIME_URL, preload="auto"),
            html.Section(id=ids.WALL_KPIS, className="hz-kpis"),
            html.Div(
                className="hz-wall-body",
                children=[
                    html.Section(
                        className="hz-panel hz-grid-panel",
                        children=[
                            html.H2(t("grid.title", lang), id=ids.WALL_GRID_TITLE),
                            # Calm tiles show this label from CSS: 500 of them in every
                            # first answer would otherwise cost about 50 KB.
                            html.Div(
                                id=ids.WALL_GRID,
                                className="hz-grid",
                                style={
                                    "--hz-normal": json.dumps(
                                        t("grid.normal", lang), ensure_ascii=False
                                    )
                                },
                            ),
                        ],
                    ),
                    html.Section(
                        className="hz-panel hz-feed-panel",
                        children=[
                            html.Div(
                                [
                                    html.H2(t("feed.title", lang), id=ids.WALL_FEED_TITLE),
                                    sound_toggle(lang),
                                ],
                                className="hz-feed-head",
                            ),
                            html.Div(id=ids.WALL_FEED, className="hz-feed"),
                        ],
                    ),
                ],
            ),
        ],
    )


def sound_toggle(lang: str) -> html.Button:
    """Return the 'Enable sound' toggle; browsers play sound only after such a click."""
    return html.Button(
        [
            html.Span(t("wall.sound.enable", lang), className="hz-sound-label-off"),
            html.Span(t("wall.sound.on", lang), className="hz-sound-label-on"),
        ],
        id=ids.WALL_SOUND,
        n_clicks=0,
        className="hz-sound",
        title=t("wall.sound.hint", lang),
    )


def site_href(enterprise: str, site: str | None, sensor: str | None = None) -> str:
    """Return the Site page's address for an enterprise's site (and a sensor on it)."""
    query = {"enterprise": enterprise}
    if site:
        query["site"] = site
    if sensor:
        query["sensor"] = sensor
    return "/site?" + urlencode(query)


def online_rate_text(online: int, total: int) -> str:
    """Return the sensor online rate as a percentage with one decimal ('—' without sensors)."""
    if total == 0:
        return "—"
    return f"{100.0 * online / total:.1f} %"


def kpi_tiles(snap: WallSnapshot, lang: str) -> list:
    """Return the five KPI tiles; a tile is coloured only when its figure is abnormal."""
    total_open = sum(snap.open_by_severity.values())
    per_severity = html.Div(
        className="hz-sev-counts",
        children=[
            html.Span(
                [
                    html.Span(t(f"severity.{sev}.short", lang), className="hz-sev-name"),
                    html.Span(number(n), className="hz-sev-n"),
                ],
                className=f"hz-sev-count hz-sev-{sev}" + (" hz-zero" if n == 0 else ""),
            )
            for sev, n in ((s, snap.open_by_severity.get(s, 0)) for s in SEVERITIES)
        ],
    )
    online_low = snap.sensors_total > 0 and snap.sensors_online < snap.sensors_total
    return [
        _tile("kpi.enterprises", number(len(snap.enterprises)), lang),
        _tile(
            "kpi.online_rate",
            online_rate_text(snap.sensors_online, snap.sensors_total),
            lang,
            sub=f"{number(snap.sensors_online)} / {number(snap.sensors_total)}",
            abnormal="hz-tile-warn" if online_low else None,
        ),
        _tile("kpi.open_alarms", number(total_open), lang, extra=per_severity, wide=True),
        _tile(
            "kpi.unacknowledged",
            number(snap.unacknowledged),
            lang,
            abnormal="hz-tile-alert" if snap.unacknowledged else None,
        ),
        _tile(
            "kpi.special_operations",
            number(snap.special_operations),
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


def tile_class(tile: EnterpriseTile) -> str:
    """Return the CSS classes of an enterprise tile: grey when normal, else its worst severity."""
    if tile.worst is None:
        return "hz-ent hz-ent-calm"
    return f"hz-ent hz-ent-{tile.worst}" + (" hz-unack" if tile.unacknowledged else "")


def tile_order(tile: EnterpriseTile) -> int | None:
    """Return the CSS order that puts the worst enterprises first (None: registry order)."""
    if tile.worst is None:
        return None
    return SEVERITY_RANK.get(tile.worst, len(SEVERITIES)) - len(SEVERITIES)


def enterprise_tile(tile: EnterpriseTile, lang: str) -> dcc.Link:
    """Return one enterprise's tile: name, status, a link to its Site page.

    A calm tile carries only its name: "Normal" comes from the grid's CSS (kept small,
    since the grid is most of the wall's first answer).
    """
    # The name is the link's own text (a wrapping Div would cost ~100 bytes a tile).
    name = name_in(tile.name, tile.name_zh, lang)
    href, css = site_href(tile.id, tile.site), tile_class(tile)
    if tile.worst is None:
        return dcc.Link([name], href=href, className=css)
    # One count per severity ("1 red · 12 yellow"), each kept on one line: a no-break space
    # inside a count, and CSS keeps Chinese counts whole (one string: 500 tiles of spans
    # would cost the first answer some 50 KB).
    by_severity = tile.by_severity or ((tile.worst, tile.open_alarms),)
    status = " · ".join(c.replace(" ", "\u00a0") for c in severity_counts(by_severity, lang))
    return dcc.Link(
        [name, html.Div(status, className="hz-ent-status")],
        href=href,
        className=css,
        style={"order": tile_order(tile)},
    )


def enterprise_grid(snap: WallSnapshot, lang: str) -> list:
    """Return one tile per enterprise in registry order; CSS order shows the worst first."""
    return [enterprise_tile(tile, lang) for tile in snap.enterprises]


def grid_patch(
    shown: tuple[EnterpriseTile, ...], tiles: tuple[EnterpriseTile, ...], lang: str
) -> Patch | None:
    """Return a Patch turning the grid of `shown` into that of `tiles`, if only tiles changed.

    None when the enterprises themselves changed (added, removed, reordered): send it all.
    """
    if len(shown) != len(tiles) or any(a.id != b.id for a, b in zip(shown, tiles, strict=True)):
        return None
    patch = Patch()
    for i, (was, now) in enumerate(zip(shown, tiles, strict=True)):
        if was != now:
            patch[i] = enterprise_tile(now, lang)
    return patch


def rule_text(rule: str, lang: str) -> str:
    """Return the translated name of a rule (its id when unknown)."""
    key = f"rule.{rule}"
    return t(key, lang) if key in TEXT else rule


def state_key(item: FeedItem) -> str:
    """Return the label key of an alarm's state in the feed."""
    if item.unacknowledged:
        return "feed.unack"
    return "feed.shelved" if item.state == "shelved" else "feed.ack"


def feed_message(item: FeedItem, tz: str, lang: str) -> str:
    """Return a feed item's alarm message in the chosen language."""
    zone = name_in(item.zone_name, item.zone_name_zh, lang) if item.zone_name else None
    return alarm_message(item.message_key, item.params, lang, item.message, zone_name=zone, tz=tz)


def feed_title(snap: WallSnapshot, lang: str) -> str:
    """Return the feed's title with how many of the open alarms it lists: the feed is the
    most severe and newest few, and says so ("Alarm feed · 30 of 6,075 open")."""
    total = sum(snap.open_by_severity.values())
    if not total:
        return t("feed.title", lang)
    shown = len(snap.feed)
    count = (
        t("feed.all", lang, total=number(total))
        if shown >= total
        else t("feed.shown", lang, shown=number(shown), total=number(total))
    )
    return f"{t('feed.title', lang)} · {count}"


def console_href(alarm_id: int) -> str:
    """Return the console's address with one alarm opened."""
    return f"/console?alarm={alarm_id}"


def feed_rows(snap: WallSnapshot, lang: str, to_console: bool = False) -> list:
    """Return the alarm feed, most severe and newest first; unacknowledged rows stand out.

    A row opens the alarm on the console for those who may act on it (`to_console`), else
    the site page.
    """
    if not snap.feed:
        return [html.Div(t("feed.empty", lang), className="hz-feed-empty")]
    rows = []
    for item in snap.feed:
        what = (
            rule_text(item.rule, lang) + " · " + (feed_message(item, snap.tz, lang) or item.source)
        )
        if item.count > 1:
            what += " " + t("feed.count", lang, count=item.count)
        if item.state == "cleared_unack":
            what += " · " + t("feed.cleared", lang)
        rows.append(
            dcc.Link(
                [
                    html.Span(t(f"severity.{item.severity}.short", lang), className="hz-feed-sev"),
                    html.Div(
                        [
                            html.Div(
                                name_in(item.enterprise_name, item.enterprise_name_zh, lang)
                                + " / "
                                + name_in(item.site_name, item.site_name_zh, lang),
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
                href=console_href(item.id)
                if to_console
                else site_href(item.enterprise, item.site, item.sensor),
                className=f"hz-feed-row hz-sev-{item.severity}"
                + (" hz-unack" if item.unacknowledged else " hz-acked"),
            )
        )
    return rows


def grid_key(tiles: tuple[EnterpriseTile, ...], lang: str) -> str:
    """Return a fingerprint of the enterprise grid, the same in every web process."""
    digest = hashlib.blake2b(repr((lang, tiles)).encode(), digest_size=12).hexdigest()
    return f"{lang}:{len(tiles)}:{digest}"


def content_key(components: list) -> str:
    """Return a fingerprint of built components (what the browser would be sent)."""
    text = repr([c.to_plotly_json() if hasattr(c, "to_plotly_json") else c for c in components])
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
