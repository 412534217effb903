"""Every figure on the pages: sensor trends and people on the Site page, the trend around an alarm.

Pure functions of the read models (`monitoring/views/site.py`, `monitoring/views/console.py`)
and a language, drawn in the shared palette (`layouts/theme.py`) with one set of limit
colours. On the Site page a new view (site, window, sensors, zone) gets a whole new figure
with its own `uirevision`, which resets zoom and pan. A live refresh of the same view sends
only its tail (`trend_tail`, `presence_tail`): for each trace the points from the bucket of
the newest point the browser has, and the window's new bounds, which `assets/site.js` splices
into the figure on screen (dropping points older than the window). Dash's Graph writes the
user's zoom into the figure's layout, and the splice leaves the axes as the user left them.
A refresh of a 1-hour window thus sends a few points per trace instead of 1,200.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from layouts import theme
from layouts.i18n import TEXT, t
from monitoring.clock import local_dt
from monitoring.views.console import Trend as AlarmTrend
from monitoring.views.site import PermitSpan, Presence, SensorSeries, Trend, TrendWindow

# Limit lines: the second level red, the first orange (max_people has only one level).
LIMIT_COLOURS = {
    "high_high": theme.RED,
    "low_low": theme.RED,
    "high": theme.ORANGE,
    "low": theme.ORANGE,
    "max_people": theme.ORANGE,
}
OVER_COLOUR = theme.ORANGE  # a limit without a colour of its own, and people over the limit
# Traces are told apart by muted tints; red, orange and yellow stay for abnormal states.
TRACE_COLOURS = (theme.TEXT, "#7fb0e0", "#b49be0", "#7fd0c0", "#c8c8a0", "#e0a0c8")
PERMIT_FILL = {"approved": theme.BLUE}
PERMIT_FILL_OTHER = theme.MUTED
# Numeric dates in both languages (Plotly's own put English month names under the axis).
TIME_TICKS = [
    {"dtickrange": [None, 60_000], "value": "%H:%M:%S"},
    {"dtickrange": [60_000, 3_600_000], "value": "%H:%M"},
    {"dtickrange": [3_600_000, 86_400_000], "value": "%m-%d %H:%M"},
    {"dtickrange": [86_400_000, None], "value": "%m-%d"},
]
# Labels sit between a pair of lines (H under its line, L over it), HH and LL outside them.
LIMIT_LABEL_POSITION = {
    "high_high": "top right",
    "high": "bottom right",
    "low": "top right",
    "low_low": "bottom right",
}


def limit_label(name: str, lang: str) -> str:
    """Return a limit's short label (HH, H, L, LL, max; 高高 ... 上限 in Chinese)."""
    key = "console.limit.max_people" if name == "max_people" else f"site.limit.{name}"
    return t(key, lang) if key in TEXT else name.replace("_", " ")


def limit_text(name: str, value: float, lang: str) -> str:
    """Return a limit line's label: 'HH 85'."""
    return f"{limit_label(name, lang)} {value:g}"


def revision(enterprise: str, site: str, window: str, *items: str) -> str:
    """Return the uirevision of a view: same site, window and items, same user zoom."""
    return "|".join((enterprise, site, window, *items))


def iso(ts_ms: int, tz: str) -> str:
    """Return a time as the figures carry it: local wall clock, ISO (what Plotly receives)."""
    return local_dt(ts_ms, tz).isoformat()


def trend_tail(tail: Trend, starts: dict[str, int], uirevision: str) -> dict:
    """Return a live refresh of the trend on screen (`trend_figure` of the same view).

    `tail` holds each sensor's points from `starts[sensor]`, the bucket of the newest point the
    browser has: the browser keeps its points from the window's start up to that bucket and
    appends these. The traces are in `trend_figure`'s order: the series, then one invisible
    bounds trace per unit panel, moved to the new window.
    """
    window, tz = tail.window, tail.tz
    units = list(dict.fromkeys(s.unit for s in tail.series)) or [""]
    return {
        "rev": uirevision,
        "x0": iso(window.start_ms, tz),
        "traces": [
            {
                "i": i,
                "from": iso(starts.get(s.sensor, window.start_ms), tz),
                "x": [iso(ts, tz) for ts, _ in s.points],
                "y": [v for _, v in s.points],
            }
            for i, s in enumerate(tail.series)
        ],
        "bounds": [
            {"i": len(tail.series) + row, "x": [iso(window.start_ms, tz), iso(window.end_ms, tz)]}
            for row in range(len(units))
        ]
        if tail.series
        else [],
    }


def presence_tail(
    tail: Presence, start_ms: int, had_points: bool, had_over: bool, lang: str, uirevision: str
) -> dict | None:
    """Return a live refresh of the people chart on screen (`presence_figure` of the same
    view), as `trend_tail` does, with its limit line and permits redrawn (they are few);
    None when the chart must be drawn whole (people went over the limit for the first time)."""
    window, tz, limit = tail.window, tail.tz, tail.max_people
    over = [(ts, v) for ts, v in tail.points if limit is not None and v > limit]
    if over and not had_over:
        return None
    start = iso(start_ms, tz)
    traces = [
        {
            "i": 0,
            "from": start,
            "x": [iso(ts, tz) for ts, _ in tail.points],
            "y": [v for _, v in tail.points],
        }
    ]
    if had_over:
        traces.append(
            {
                "i": 1,
                "from": start,
                "x": [iso(ts, tz) for ts, _ in over],
                "y": [v for _, v in over],
            }
        )
    decor = go.Figure()
    _presence_decor(decor, tail, lang)
    if not had_points and not tail.points:
        _empty_note(decor, t("site.people.none", lang))
    layout = decor.to_plotly_json()["layout"]
    return {
        "rev": uirevision,
        "x0": iso(window.start_ms, tz),
        "traces": traces,
        "bounds": [
            {"i": 2 if had_over else 1, "x": [iso(window.start_ms, tz), iso(window.end_ms, tz)]}
        ],
        "shapes": layout.get("shapes", []),
        "annotations": layout.get("annotations", []),
    }


def _base_layout(fig: go.Figure, uirevision: str) -> None:
    fig.update_layout(
        template="none",
        uirevision=uirevision,
        paper_bgcolor=theme.PANEL,
        plot_bgcolor=theme.BACKGROUND,
        font={"size": 14, "color": theme.TEXT},
        margin={"l": 64, "r": 24, "t": 36, "b": 36},
        hovermode="x unified",
        hoverlabel={"bgcolor": theme.PANEL_2, "font": {"color": theme.TEXT}},
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "font": {"size": 14}},
    )
    fig.update_xaxes(
        gridcolor=theme.LINE,
        linecolor=theme.LINE,
        zeroline=False,
        type="date",
        hoverformat="%Y-%m-%d %H:%M:%S",
        tickformatstops=TIME_TICKS,
    )
    fig.update_yaxes(gridcolor=theme.LINE, linecolor=theme.LINE, zeroline=False)


def _bounds_trace(window: TrendWindow, tz: str, y: float) -> go.Scatter:
    """Return an invisible trace spanning the window, so autorange shows all of it.

    An explicit axis range would be re-applied at every refresh and override the user's
    zoom; autorange is what uirevision preserves.
    """
    return go.Scatter(
        x=[local_dt(window.start_ms, tz), local_dt(window.end_ms, tz)],
        y=[y, y],
        mode="markers",
        marker={"opacity": 0, "size": 1},
        hoverinfo="skip",
        showlegend=False,
        name="",
    )


def _empty_note(fig: go.Figure, text: str) -> None:
    fig.add_annotation(
        text=text,
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        showarrow=False,
        font={"size": 18, "color": theme.MUTED},
    )


def trend_figure(trend: Trend | None, lang: str, uirevision: str) -> go.Figure:
    """Return the sensors' trend: one panel per unit, each sensor's limits as dashed lines."""
    series = trend.series if trend else ()
    units = list(dict.fromkeys(s.unit for s in series)) or [""]
    fig = make_subplots(
        rows=len(units), cols=1, shared_xaxes=True, vertical_spacing=0.08 / len(units)
    )
    _base_layout(fig, uirevision)
    if trend is None or not series:
        _empty_note(fig, t("site.trend.pick", lang))
        return fig
    for i, s in enumerate(series):
        row = units.index(s.unit) + 1
        fig.add_trace(_series_trace(s, i, trend.tz), row=row, col=1)
    for row, unit in enumerate(units, start=1):
        in_row = [s for s in series if s.unit == unit]
        _add_limits(fig, in_row, row, lang)
        anchor = next((p[1] for s in in_row for p in s.points[:1]), None)
        if anchor is None:
            anchor = next(iter(in_row[0].limits.values()), 0.0)
        fig.add_trace(_bounds_trace(trend.window, trend.tz, anchor), row=row, col=1)
        fig.update_yaxes(title_text=unit or None, row=row, col=1)
    if not any(s.points for s in series):
        _empty_note(fig, t("site.trend.none", lang))
    return fig


def _series_trace(s: SensorSeries, index: int, tz: str) -> go.Scatter:
    unit = f" {s.unit}" if s.unit else ""
    return go.Scatter(
        x=[local_dt(ts, tz) for ts, _ in s.points],
        y=[v for _, v in s.points],
        mode="lines",
        name=f"{s.sensor}{unit}",
        line={"color": TRACE_COLOURS[index % len(TRACE_COLOURS)], "width": 2},
        connectgaps=False,
        hovertemplate=f"%{{y:.4g}}{unit}<extra>{s.sensor}</extra>",
    )


def _add_limits(fig: go.Figure, in_row: list[SensorSeries], row: int, lang: str) -> None:
    """Draw each distinct limit of the row's sensors once, labelled with its name and value.

    As one layout update of plain shapes and labels: `add_hline` validates each line on its
    own and cost about 60 ms a line, a third of a second for a trend of three panels.
    """
    axis = "" if row == 1 else str(row)
    shapes, labels = [], []
    drawn: set[tuple[str, float]] = set()
    for s in in_row:
        for name, value in s.limits.items():
            if (name, value) in drawn:
                continue
            drawn.add((name, value))
            colour = LIMIT_COLOURS.get(name, OVER_COLOUR)
            shapes.append(
                {
                    "type": "line",
                    "xref": f"x{axis} domain",
                    "x0": 0,
                    "x1": 1,
                    "yref": f"y{axis}",
                    "y0": value,
                    "y1": value,
                    "line": {"color": colour, "dash": "dash", "width": 1.5},
                }
            )
            above = LIMIT_LABEL_POSITION.get(name, "top right").startswith("top")
            labels.append(
                {
                    "text": limit_text(name, value, lang),
                    "xref": f"x{axis} domain",
                    "x": 1,
                    "xanchor": "right",
                    "yref": f"y{axis}",
                    "y": value,
                    "yanchor": "bottom" if above else "top",
                    "showarrow": False,
                    "font": {"color": colour, "size": 13},
                }
            )
    fig.update_layout(
        shapes=[*fig.layout.shapes, *shapes], annotations=[*fig.layout.annotations, *labels]
    )


def permit_text(span: PermitSpan, lang: str) -> str:
    """Return a permit's label on the timeline: type, number, workers and status."""
    type_key = f"site.permit.type.{span.type}"
    status_key = f"site.permit.status.{span.status}"
    parts = [t(type_key, lang) if type_key in TEXT else span.type, span.permit]
    if span.workers is not None:
        parts.append(t("site.permit.workers", lang, n=span.workers))
    if span.status != "approved":
        parts.append(t(status_key, lang) if status_key in TEXT else span.status)
    return " · ".join(parts)


def right_half(span: PermitSpan, window: TrendWindow) -> bool:
    """Tell whether a permit's span starts in the right half of the window."""
    return span.clipped_start_ms - window.start_ms > (window.end_ms - window.start_ms) / 2


def presence_figure(presence: Presence | None, lang: str, uirevision: str) -> go.Figure:
    """Return a zone's people count with max_people, and its permits as shaded spans."""
    fig = go.Figure()
    _base_layout(fig, uirevision)
    fig.update_yaxes(rangemode="tozero", title_text=t("site.people.axis", lang), tickformat="d")
    if presence is None:
        _empty_note(fig, t("site.people.none", lang))
        return fig
    tz = presence.tz
    xs = [local_dt(ts, tz) for ts, _ in presence.points]
    ys = [v for _, v in presence.points]
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            name=t("site.people.axis", lang),
            line={"color": theme.TEXT, "width": 2, "shape": "hv"},
            hovertemplate="%{y:d}<extra></extra>",
            showlegend=False,
        )
    )
    limit = presence.max_people
    if limit is not None:
        over = [(x, y) for x, y in zip(xs, ys, strict=True) if y > limit]
        if over:
            fig.add_trace(
                go.Scatter(
                    x=[x for x, _ in over],
                    y=[y for _, y in over],
                    mode="markers",
                    name=t("site.people.over", lang),
                    marker={"color": OVER_COLOUR, "size": 6},
                    hoverinfo="skip",
                    showlegend=False,
                )
            )
    _presence_decor(fig, presence, lang)
    anchor = ys[0] if ys else float(limit or 0)
    fig.add_trace(_bounds_trace(presence.window, tz, anchor))
    if not presence.points:
        _empty_note(fig, t("site.people.none", lang))
    return fig


def has_over_trace(presence: Presence | None) -> bool:
    """Tell whether `presence_figure` draws the over-the-limit markers (its trace 1)."""
    if presence is None or presence.max_people is None:
        return False
    return any(v > presence.max_people for _, v in presence.points)


def _presence_decor(fig: go.Figure, presence: Presence, lang: str) -> None:
    """Draw max_people and the permits as shaded spans with their labels."""
    tz, limit = presence.tz, presence.max_people
    if limit is not None:
        fig.add_hline(
            y=limit,
            line={"color": LIMIT_COLOURS["max_people"], "dash": "dash", "width": 1.5},
            annotation_text=f"{limit_label('max_people', lang)} {limit}",
            annotation_position="top right",
            annotation_font={"color": LIMIT_COLOURS["max_people"], "size": 13},
        )
    for i, span in enumerate(presence.permits):
        approved = span.status == "approved"
        fig.add_vrect(
            x0=local_dt(span.clipped_start_ms, tz),
            x1=local_dt(span.clipped_end_ms, tz),
            fillcolor=PERMIT_FILL.get(span.status, PERMIT_FILL_OTHER),
            opacity=0.22 if approved else 0.12,
            line_width=0,
            layer="below",
            annotation_text=permit_text(span, lang),
            # Labels run into the plot, never past its edge (a label past the window's end
            # would stretch the autoranged time axis).
            annotation_position="top right" if right_half(span, presence.window) else "top left",
            # Stack labels of overlapping permits instead of printing them on each other.
            annotation_y=1 - 0.09 * (i % 4),
            annotation_yanchor="top",
            annotation_font={"size": 13, "color": theme.LIGHT_BLUE if approved else theme.MUTED},
        )


def alarm_trend_figure(trend: AlarmTrend | None, lang: str) -> go.Figure:
    """Return the trend around an alarm with its limits and the alarm time drawn."""
    fig = go.Figure()
    fig.update_layout(
        template="plotly_dark",
        paper_bgcolor=theme.PANEL,
        plot_bgcolor=theme.BACKGROUND,
        margin={"l": 50, "r": 20, "t": 30, "b": 40},
        showlegend=False,
        font={"size": 14, "color": theme.TEXT},
        height=340,
    )
    if trend is None:
        return fig
    unit = trend.unit or (t("console.trend.people", lang) if trend.kind == "zone" else "")
    fig.add_trace(
        go.Scatter(
            x=[local_dt(ts, trend.tz) for ts, _ in trend.points],
            y=[v for _, v in trend.points],
            mode="lines",
            line={
                "color": theme.TEXT,
                "width": 2,
                "shape": "hv" if trend.kind == "zone" else "linear",
            },
            name=trend.label,
        )
    )
    for name, value in trend.limits.items():
        colour = LIMIT_COLOURS.get(name, OVER_COLOUR)
        fig.add_hline(
            y=value,
            line={"color": colour, "dash": "dash", "width": 1.5},
            annotation_text=limit_text(name, value, lang),
            annotation_position="top left",
            annotation_font_color=colour,
        )
    x = local_dt(trend.alarm_ms, trend.tz)
    fig.add_shape(
        type="line",
        x0=x,
        x1=x,
        y0=0,
        y1=1,
        yref="paper",
        line={"color": theme.MUTED, "dash": "dot"},
    )
    fig.add_annotation(
        x=x,
        y=1,
        yref="paper",
        text=t("console.trend.alarm", lang),
        showarrow=False,
        yanchor="bottom",
    )
    fig.update_layout(
        title={
            "text": f"{trend.label} {unit}".strip(),
            "font": {"size": 15},
            "x": 0.99,
            "xanchor": "right",
        }
    )
    if not trend.points:
        fig.add_annotation(
            text=t("console.trend.none", lang),
            xref="paper",
            yref="paper",
            x=0.5,
            y=0.5,
            showarrow=False,
        )
    return fig
