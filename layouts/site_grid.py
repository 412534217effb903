"""The Site page's sensor grid: every sensor of a site in a virtualised AG Grid, sent as changes.

A site may hold hundreds of sensors (issue 11: 400 in 8 zones drew 3,600 components and froze
the browser). The grid draws only the rows on screen. Its rows are plain dicts (`grid_row`):
what never changes while the page is open (id, zone, kind, limits), the value with its time
(`v`, `t`) and the state (`STATE_FIELDS`: limit crossed, quality, stale, alarm, abnormal,
rank) with its digest `s`. The first answer sends every row (`{"full": true, "rows": ...}`);
each refresh after it sends only the rows that changed, and of those only the value, the
state or both (`grid_delta`), which `assets/site.js` merges into the grid as one row
transaction. The browser says what it holds as [time, state digest] per sensor
(`SITE_GRID_SEEN`): a new value always has a new time. 400 new values cost about 20 KB.
Ages are counted in the browser from the value's time (`hzSiteAge`), so a refresh without
new values or states sends nothing.
Zone names, kinds and qualities are looked up in the column definitions (`refData`), sent
once. The abnormal filter and the zone filter are the grid's own filter model on hidden
columns, so filtering needs no new rows. Pure functions of the read model and a language.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable

import dash_ag_grid as dag

from layouts import ids, theme
from layouts.alarm_text import format_quantity
from layouts.i18n import TEXT, name_in, t
from layouts.site_tables import alarm_text, kind_text, limits_text
from monitoring.signals import SEVERITY_RANK
from monitoring.views.site import SensorRow, SiteSnapshot

UNREGISTERED = "~"  # the zone column's value for sensors the registry lacks
VALUE_FIELDS = ("v", "t")
STATE_FIELDS = ("ls", "q", "st", "a", "sev", "cl", "ab", "rank")
QUALITIES = ("good", "uncertain", "bad")
LIMIT_STATES = ("low_low", "low", "high", "high_high")
ROW_HEIGHT = 34


def value_fields(row: SensorRow) -> dict:
    """Return a sensor's latest value as text with its unit, and its time (epoch ms)."""
    return {
        "v": format_quantity(row.value, row.unit) if row.value is not None else None,
        "t": row.ts_ms,
    }


def state_fields(row: SensorRow, lang: str) -> dict:
    """Return a sensor's state on the page, with its digest `s`."""
    fields: dict[str, object] = {
        "ls": row.limit_state,
        "q": row.quality,
        "st": 1 if row.stale else 0,
        "a": alarm_text(row.alarm, lang) if row.alarm else None,
        "sev": row.alarm.severity if row.alarm else None,
        "cl": 1 if row.alarm is not None and not row.alarm.active else 0,
        "ab": 1 if row.abnormal else 0,
        "rank": row.rank,
    }
    fields["s"] = digest(fields)
    return fields


def digest(fields: dict) -> str:
    """Return a short fingerprint of a row's state (what the browser reports it has)."""
    text = json.dumps([fields.get(k) for k in STATE_FIELDS], separators=(",", ":"))
    return format(zlib.crc32(text.encode()), "x")


def grid_row(row: SensorRow, lang: str) -> dict:
    """Return a sensor's whole grid row: what stays, then its live fields."""
    return {
        "id": row.id,
        "z": row.zone if row.registered else UNREGISTERED,
        "k": row.kind,
        "lim": limits_text(row.limits, lang),
        "sa": round(row.stale_after_s),
        **value_fields(row),
        **state_fields(row, lang),
    }


def snapshot_rows(snap: SiteSnapshot) -> list[SensorRow]:
    """Return the site's sensors in the grid's order: zone by zone, then unregistered ones."""
    return [s for z in snap.zones for s in z.sensors] + list(snap.unregistered)


def grid_key(snap: SiteSnapshot, lang: str) -> str:
    """Return what a set of rows was made for: the site and the language."""
    return f"{snap.enterprise}|{snap.site}|{lang}"


def grid_delta(snap: SiteSnapshot | None, lang: str, seen: object) -> dict | None:
    """Return what the browser's grid lacks: every row when it holds another site, language
    or set of sensors (`full`), else for each row that changed its new value or state or both
    (None: nothing changed).

    `seen` is what the browser reports: {"key": grid_key, "d": {sensor: [time, digest]}}.
    """
    if snap is None:
        return None
    rows = snapshot_rows(snap)
    key = grid_key(snap, lang)
    held = seen.get("d") if isinstance(seen, dict) and seen.get("key") == key else None
    if not isinstance(held, dict) or set(held) != {r.id for r in rows}:
        return {
            "key": key,
            "full": True,
            "now": snap.now_ms,
            "rows": [grid_row(r, lang) for r in rows],
        }
    changed = []
    for r in rows:
        has = held.get(r.id)
        has_t, has_s = has if isinstance(has, list) and len(has) == 2 else (None, None)
        out: dict[str, object] = {}
        if r.ts_ms != has_t or has is None:
            out.update(value_fields(r))
        state = state_fields(r, lang)
        if state["s"] != has_s:
            out.update(state)
        if out:
            changed.append({"id": r.id, **out})
    if not changed:
        return None
    return {"key": key, "full": False, "now": snap.now_ms, "rows": changed}


def held(rows: dict | None) -> dict | None:
    """Return what a browser holds once it has every row of `rows` (`grid_delta(..., None)`),
    as it reports it back: {"key", "d": {sensor: [time, state digest]}}."""
    if not rows:
        return None
    return {"key": rows["key"], "d": {r["id"]: [r["t"], r["s"]] for r in rows["rows"]}}


def filter_model(abnormal: bool, zone: str | None) -> dict:
    """Return the grid's filter model: abnormal sensors only, and/or one zone."""
    model: dict[str, dict] = {}
    if abnormal:
        model["ab"] = {"filterType": "number", "type": "equals", "filter": 1}
    if zone:
        model["zf"] = {"filterType": "text", "type": "equals", "filter": zone}
    return model


def shown_count(snap: SiteSnapshot | None, abnormal: bool, zone: str | None) -> tuple[int, int]:
    """Return (sensors the filter shows, all sensors)."""
    if snap is None:
        return 0, 0
    rows = snapshot_rows(snap)
    shown = [
        r
        for r in rows
        if (not abnormal or r.abnormal)
        and (not zone or (r.zone if r.registered else UNREGISTERED) == zone)
    ]
    return len(shown), len(rows)


def count_text(shown: int, total: int, lang: str) -> str:
    """Return 'Showing 28 of 400'."""
    return t("site.grid.count", lang, n=shown, total=total)


def zone_filter_options(snap_zones: Iterable[tuple[str, str, str | None]], lang: str) -> list:
    """Return the zone filter's options: every zone, by (id, name, name_zh)."""
    return [{"label": t("site.filter.zone.all", lang), "value": ""}] + [
        {"label": name_in(name, name_zh, lang), "value": zid} for zid, name, name_zh in snap_zones
    ]


def _labels(prefix: str, keys: Iterable[str], lang: str) -> dict[str, str]:
    return {k: t(f"{prefix}{k}", lang) if f"{prefix}{k}" in TEXT else k for k in keys}


def grid_context(lang: str) -> dict:
    """Return the texts the browser formats ages with (`hzSiteAge` in assets/site.js)."""
    return {
        "s": t("elapsed.s", lang),
        "m": t("elapsed.m", lang),
        "h": t("elapsed.h", lang),
        "d": t("elapsed.d", lang),
        "stale": t("site.stale", lang),
        "stale_hint": t("site.stale.hint", lang),
        "nodata": t("site.no_data", lang),
    }


def sensor_grid(
    lang: str,
    zones: Iterable[tuple[str, str, str | None]],
    kinds: Iterable[str],
    selected: list[str],
) -> dag.AgGrid:
    """Return the empty sensor grid; its rows come from the refresh callback."""
    zone_names = {zid: name_in(name, name_zh, lang) for zid, name, name_zh in zones}
    zone_names[UNREGISTERED] = t("site.unregistered", lang)
    stale_flag = "params.data.st === 1"

    def col(field: str, key: str, **kw: object) -> dict:
        return {"field": field, "headerName": t(key, lang), **kw}

    columns = [
        # The kind is in the sensor's tooltip (and its unit beside the value): the grid fits
        # the half of a 1920-pixel screen in both languages without cutting a text.
        col(
            "id",
            "site.col.sensor",
            width=112,
            pinned="left",
            cellClass="hz-site-id",
            tooltipValueGetter={
                "function": "params.value + ' · ' + (params.context.kinds[params.data.k] || params.data.k)"
            },
        ),
        # The zone's id (its name is on the zone lines above, and in the tooltip).
        col(
            "z",
            "site.col.zone",
            width=58,
            valueFormatter={"function": f"params.value === '{UNREGISTERED}' ? '—' : params.value"},
            tooltipValueGetter={"function": "params.context.zones[params.value] || params.value"},
        ),
        col(
            "v",
            "site.col.value",
            width=112,
            type="rightAligned",
            valueFormatter={"function": "params.value == null ? '—' : params.value"},
            cellClassRules={
                **{f"hz-site-lim-{s}": f"params.data.ls === '{s}'" for s in LIMIT_STATES},
                "hz-site-dim": stale_flag,
                "hz-site-none": "params.value == null",
            },
        ),
        col("lim", "site.col.limits", width=180, cellClass="hz-site-limits", tooltipField="lim"),
        col(
            "q",
            "site.col.quality",
            width=76,
            refData=_labels("site.quality.", QUALITIES, lang),
            cellClassRules={"hz-site-abnormal": "params.value != null && params.value !== 'good'"},
        ),
        col(
            "t",
            "site.col.age",
            colId="age",
            width=146,
            valueFormatter={"function": "hzSiteAge(params)"},
            comparator={"function": "hzSiteByTime(valueA, valueB)"},
            cellClassRules={"hz-site-abnormal": stale_flag},
            tooltipValueGetter={"function": "hzSiteAgeHint(params)"},
        ),
        col(
            "rank",
            "site.col.alarm",
            flex=1,
            minWidth=180,
            valueFormatter={"function": "params.data.a || ''"},
            tooltipValueGetter={"function": "params.data.a || null"},
            cellClassRules={
                **{
                    f"hz-site-alarm-cell hz-sev-{s}": f"params.data.sev === '{s}' && !params.data.cl"
                    for s in SEVERITY_RANK
                },
                "hz-site-alarm-cleared": "params.data.cl === 1",
            },
        ),
        # Filtered on, never shown: abnormal (1/0) and the zone's id.
        {"field": "ab", "colId": "ab", "hide": True, "filter": "agNumberColumnFilter"},
        {"field": "z", "colId": "zf", "hide": True, "filter": "agTextColumnFilter"},
    ]
    options = theme.grid_options(t("site.grid.empty", lang), ROW_HEIGHT)
    context = grid_context(lang)
    context["zones"] = zone_names
    context["kinds"] = {k: kind_text(k, lang) for k in dict.fromkeys(kinds)}
    options.update(
        {
            "rowSelection": {
                "mode": "multiRow",
                "checkboxes": False,
                "headerCheckbox": False,
                "enableClickSelection": False,
            },
            "context": context,
            "suppressCellFocus": True,
            "rowBuffer": 4,  # rows drawn beyond those on screen (default 10)
        }
    )
    return dag.AgGrid(
        id=ids.SITE_GRID,
        rowData=[],
        getRowId="params.data.id",
        columnDefs=columns,
        defaultColDef={"sortable": True, "resizable": True, "suppressHeaderMenuButton": True},
        rowClassRules={
            **{f"hz-site-row-{s}": f"params.data.sev === '{s}'" for s in SEVERITY_RANK},
            "hz-site-row-stale": stale_flag,
        },
        selectedRows={"ids": selected},
        dashGridOptions=options,
        className="hz-site-grid",
        style={"height": "100%", "width": "100%"},
    )
