"""The admin page's rejected-messages tab: counts by reason and the recent rejected messages.

Payload excerpts are untrusted: they go into grid cells as plain strings, never as markup.
"""

from __future__ import annotations

from dash import html

from layouts import ids
from layouts.admin.parts import col, grid, grid_tab, label
from layouts.i18n import t
from monitoring.views.admin import RejectSummary


def rejected_tab(lang: str) -> html.Div:
    """Return the reject counts by reason and the table of recent rejected messages."""
    return grid_tab(
        html.Div(id=ids.ADMIN_REJECT_COUNTS, className="hz-admin-counts"),
        grid(
            ids.ADMIN_REJECT_GRID,
            [
                col("received", "admin.rejected.col.time", lang, width=190, sort="desc"),
                col("code_label", "admin.rejected.col.code", lang, width=180),
                col("topic", "admin.rejected.col.topic", lang, flex=2, minWidth=220),
                col(
                    "reason",
                    "admin.rejected.col.reason",
                    lang,
                    flex=2,
                    minWidth=220,
                    tooltipField="reason",
                ),
                col(
                    "size",
                    "admin.rejected.col.size",
                    lang,
                    width=100,
                    filter="agNumberColumnFilter",
                ),
                col(
                    "excerpt",
                    "admin.rejected.col.payload",
                    lang,
                    flex=3,
                    minWidth=260,
                    cellClass="hz-mono",
                    tooltipField="excerpt",
                ),
            ],
            lang,
            "admin.rejected.none",
            getRowId="params.data.row_id",
        ),
    )


def code_text(code: str, lang: str) -> str:
    """Return a reject reason code's label (the code itself when unknown)."""
    return label("admin.code", code, lang)


def reject_counts(summary: RejectSummary, lang: str) -> list:
    """Return the total and one chip per reason code, most frequent first."""
    return [
        html.Div(
            [
                html.Span(t("admin.rejected.total", lang, n=summary.total), className="hz-strong"),
                html.Span(
                    t("admin.rejected.shown", lang, n=len(summary.rows)), className="hz-muted"
                ),
            ],
            className="hz-admin-total",
        ),
        *[
            html.Span(
                [html.Span(code_text(code, lang)), html.Span(str(n), className="hz-admin-n")],
                className="hz-admin-count",
                title=code,
            )
            for code, n in summary.counts
        ],
    ]


def reject_grid_rows(summary: RejectSummary, lang: str) -> list[dict]:
    """Return the rejected messages' rowData (payloads as plain text)."""
    return [
        {
            "row_id": str(r.id),
            "received": r.received_local,
            "code": r.code,
            "code_label": code_text(r.code, lang),
            "topic": r.topic,
            "reason": r.reason,
            "size": r.size,
            "excerpt": r.excerpt,
        }
        for r in summary.rows
    ]
