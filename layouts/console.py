"""Alarm console: open alarms in a sortable, filterable table and one alarm's detail.

Builders are pure functions of the console read model (`monitoring/views/console.py`) and a
language. Whom to call (phone numbers) and the action forms (`layouts/console_actions.py`)
are added only for inspectors and up; the trend figure is `layouts/charts.py`'s.
"""

from __future__ import annotations

import dash_ag_grid as dag
from dash import dcc, html

from layouts import ids, theme
from layouts.alarm_text import alarm_message
from layouts.charts import alarm_trend_figure
from layouts.console_actions import actions
from layouts.console_bulk import bulk_bar, bulk_panel
from layouts.console_list import pager
from layouts.i18n import TEXT, t
from layouts.shell import elapsed_text
from layouts.wall import rule_text, site_href
from monitoring.signals import SEVERITY_RANK
from monitoring.views.console import AlarmDetail, AlarmRow, PermitRow, source_id

REFRESH_MS = 3000


def layout(lang: str, can_act: bool, selected: int | None = None) -> html.Div:
    """Return the console page; callbacks fill the table every 3 s and the detail on selection.

    Table on top, full width; below it the selected alarm's detail and trend, and on the right
    what an inspector does next (contacts, log call, acknowledge, shelve), so that at
    1920x1080 the detail, the contacts and the call form are all in view without scrolling.
    """
    detail_columns = [
        html.Div(
            className="hz-console-col",
            children=[
                html.Div(id=ids.CONSOLE_DETAIL_BODY, className="hz-detail-body"),
                html.H3(t("console.permits", lang), className="hz-needs-alarm"),
                html.Div(id=ids.CONSOLE_PERMITS, className="hz-permits hz-needs-alarm"),
                html.H3(t("console.history", lang), className="hz-needs-alarm"),
                html.Div(id=ids.CONSOLE_HISTORY, className="hz-history hz-needs-alarm"),
            ],
        ),
        html.Div(
            className="hz-console-col hz-needs-alarm",
            children=[
                html.H3(t("console.trend", lang)),
                dcc.Graph(
                    id=ids.CONSOLE_TREND,
                    figure=alarm_trend_figure(None, lang),
                    config={"displayModeBar": False, "displaylogo": False},
                    className="hz-trend",
                ),
            ],
        ),
    ]
    body = [
        html.Section(
            className="hz-panel hz-console-list",
            children=[
                html.Div(
                    [
                        html.H2(t("console.title", lang)),
                        html.Span(id=ids.CONSOLE_COUNT, className="hz-console-count"),
                        pager(lang),  # the list is paged: layouts.console_list
                        bulk_bar(lang) if can_act else None,
                    ],
                    className="hz-console-head",
                ),
                alarm_grid(lang, can_act),
            ],
        ),
        html.Section(
            id=ids.CONSOLE_DETAIL,
            className="hz-panel hz-console-detail",
            children=detail_columns,
        ),
    ]
    if can_act:
        body.append(actions(lang))
    return html.Div(
        className="hz-console",
        children=[
            dcc.Interval(id=ids.CONSOLE_INTERVAL, interval=REFRESH_MS),
            dcc.Store(id=ids.CONSOLE_SELECTED, data=selected),  # ?alarm=<id> opens one
            dcc.Store(id=ids.CONSOLE_BUMP, data=0),
            dcc.Store(id=ids.CONSOLE_ROWS_KEY),
            dcc.Store(id=ids.CONSOLE_CLOCK),
            dcc.Store(id=ids.CONSOLE_TICK),
            html.Div(id=ids.CONSOLE_BODY, className=body_class(None, can_act), children=body),
            bulk_panel(lang) if can_act else None,
        ],
    )


def body_class(detail: AlarmDetail | None, can_act: bool) -> str:
    """Return the console body's classes: without a selected alarm, the detail parts hide."""
    return "hz-console-body" + ("" if detail else " hz-empty") + (" hz-can-act" if can_act else "")


def alarm_grid(lang: str, select_many: bool = False) -> dag.AgGrid:
    """Return the open-alarm table; row ids keep selection, sort and filters across refreshes.

    Inspectors may tick several rows for a bulk action (`select_many`); a click on a row
    still selects that row alone and opens it. Elapsed times are counted in the browser
    from `raised_ms`, so a refresh that changes nothing sends nothing.
    """

    def col(field: str, key: str, **kw) -> dict:
        return {"field": field, "headerName": t(key, lang), **kw}

    return dag.AgGrid(
        id=ids.CONSOLE_GRID,
        rowData=[],
        getRowId="params.data.row_id",
        columnDefs=[
            col(
                "severity_rank",
                "console.col.severity",
                valueFormatter={"function": "params.data.severity_label"},
                filterValueGetter={"function": "params.data.severity_label"},
                cellClassRules={
                    f"hz-cell-{s}": f"params.data.severity === '{s}'" for s in SEVERITY_RANK
                },
                # Wide enough for "橙色（二级）" and the header's sort marks at 1920x1080.
                width=170,
                minWidth=170,
                filter="agTextColumnFilter",
                sort="asc",  # most severe first, then newest
                sortIndex=0,
            ),
            col("state_label", "console.col.state", width=225, tooltipField="state_label"),
            col(
                "enterprise",
                "console.col.enterprise",
                flex=2,
                minWidth=160,
                tooltipField="enterprise",
            ),
            col("zone", "console.col.zone", flex=1, minWidth=120, tooltipField="zone"),
            col("rule_label", "console.col.rule", flex=1, minWidth=150, tooltipField="rule_label"),
            col("message", "console.col.message", flex=3, minWidth=220, tooltipField="message"),
            col(
                "raised",
                "console.col.raised",
                width=190,
                sort="desc",
                sortIndex=1,
                filter="agTextColumnFilter",
            ),
            col(
                "elapsed_s",
                "console.col.elapsed",
                width=130,
                valueGetter={"function": "hzElapsedSeconds(params.data.raised_ms)"},
                valueFormatter={"function": elapsed_formatter(lang)},
                filter=False,
            ),
            col("count", "console.col.count", width=95, filter="agNumberColumnFilter"),
        ],
        defaultColDef={
            "sortable": True,
            "filter": True,
            "floatingFilter": True,
            "resizable": True,
            "suppressHeaderMenuButton": True,
        },
        dashGridOptions=theme.grid_options(
            t("feed.empty", lang), select_one=not select_many, select_many=select_many
        ),
        className="hz-console-grid",
        style={"height": "100%", "width": "100%"},
    )


def elapsed_formatter(lang: str) -> str:
    """Return the grid function that writes seconds as `layouts.shell.elapsed_text` does."""
    labels = ", ".join(
        "'" + t(f"elapsed.{unit}", lang).replace("'", "") + "'" for unit in ("s", "m", "h", "d")
    )
    return f"hzElapsedText(params.value, {labels})"


def source_label(source: str, lang: str) -> str:
    """Return what an alarm without a zone is about: the whole site's gateway, or its id."""
    kind, ident = source_id(source)
    return t("console.source.gateway", lang) if kind == "gateway" else ident or source


def state_text(state: str, lang: str) -> str:
    """Return an alarm state's label."""
    key = f"console.state.{state}"
    return t(key, lang) if key in TEXT else state


def row_message(r: AlarmRow, lang: str) -> str:
    """Return an alarm's message in the chosen language (the stored English one if unknown)."""
    return alarm_message(
        r.message_key, r.params, lang, r.message, zone_name=r.zone_name or None, tz=r.tz
    )


def grid_rows(rows: list[AlarmRow], lang: str) -> list[dict]:
    """Return the table's rowData: labels translated, raw fields kept for sorting and colour."""
    return [
        {
            "id": r.id,
            "row_id": str(r.id),
            "severity": r.severity,
            "severity_rank": SEVERITY_RANK.get(r.severity, 99),
            "severity_label": t(f"severity.{r.severity}", lang),
            "state": r.state,
            "state_label": state_text(r.state, lang),
            "enterprise": r.enterprise_name,
            "zone": r.zone_name or source_label(r.source, lang),
            "rule": r.rule,
            "rule_label": rule_text(r.rule, lang),
            "message": row_message(r, lang),
            "raised": r.raised_local,
            "raised_ms": r.raised_ms,  # the browser counts the elapsed time from it
            "count": r.count,
        }
        for r in rows
    ]


def detail_body(detail: AlarmDetail | None, lang: str) -> list:
    """Return the detail panel's header and fields (or the 'select an alarm' hint)."""
    if detail is None:
        return [html.Div(t("console.pick", lang), className="hz-detail-hint")]
    r, a = detail.row, detail.alarm
    fields = [
        ("console.col.enterprise", r.enterprise_name),
        ("console.field.site", r.site_name),
        ("console.col.zone", r.zone_name or "—"),
        ("console.field.source", r.source),
        ("console.col.state", state_text(r.state, lang)),
        ("console.col.raised", r.raised_local),
        ("console.col.elapsed", elapsed_text(r.elapsed_ms, lang)),
        ("console.col.count", str(r.count)),
    ]
    if a.get("value") is not None:
        fields.append(("console.field.value", f"{a['value']:g}"))
    if a.get("acked_by"):
        fields.append(("console.field.acked", a["acked_by"]))
    return [
        html.Div(
            [
                html.Span(t(f"severity.{r.severity}", lang), className="hz-detail-sev"),
                html.Span(f"#{r.id} {rule_text(r.rule, lang)}", className="hz-detail-rule"),
            ],
            className=f"hz-detail-head hz-sev-{r.severity}",
        ),
        html.Div(row_message(r, lang), className="hz-detail-message"),
        html.Dl(
            [item for key, value in fields for item in (html.Dt(t(key, lang)), html.Dd(value))],
            className="hz-fields",
        ),
        dcc.Link(
            t("console.site_link", lang) + " →",
            href=site_href(r.enterprise, r.site, r.sensor),
            className="hz-site-link",
        ),
    ]


def permits_list(permits: tuple[PermitRow, ...], lang: str) -> list:
    """Return the active permits of the alarm's zone."""
    if not permits:
        return [html.Div(t("console.permits.none", lang), className="hz-muted")]
    return [
        html.Div(
            [
                html.Span(f"{p.permit} · {p.type} · {p.status}", className="hz-permit-id"),
                html.Span(f"{p.start_local} – {p.end_local}"),
                html.Span(t("console.permit.workers", lang, n=p.workers))
                if p.workers is not None
                else None,
                html.Span(p.supervisor) if p.supervisor else None,
            ],
            className="hz-permit",
        )
        for p in permits
    ]


def history_list(detail: AlarmDetail | None, lang: str) -> list:
    """Return transitions and calls, newest first."""
    if detail is None or not detail.history:
        return [html.Div(t("console.history.none", lang), className="hz-muted")]
    out = []
    for h in reversed(detail.history):
        if h.kind == "call":
            key = f"console.outcome.{h.what}"
            what = (
                t("console.history.call", lang) + " · " + (t(key, lang) if key in TEXT else h.what)
            )
        else:
            key = f"console.event.{h.what}"
            what = t(key, lang) if key in TEXT else h.what.replace("_", " ")
        out.append(
            html.Div(
                [
                    html.Span(h.at_local, className="hz-history-at"),
                    html.Span(what, className="hz-history-what"),
                    html.Span(h.actor, className="hz-history-actor"),
                    html.Span(h.text, className="hz-history-text"),
                ],
                className=f"hz-history-row hz-history-{h.kind}",
            )
        )
    return out
