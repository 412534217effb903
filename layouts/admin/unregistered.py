"""The admin page's unregistered-sensors tab: sensors seen in messages but not in the registry."""

from __future__ import annotations

from dash import html

from layouts import ids
from layouts.admin.parts import col, grid, grid_tab
from layouts.i18n import t
from monitoring.views.admin import UnregisteredRow


def unregistered_tab(lang: str) -> html.Div:
    """Return the table of sensors seen but not registered."""
    return grid_tab(
        html.Div(
            [
                html.Span(t("admin.unregistered.hint", lang)),
                html.Span(id=ids.ADMIN_UNREGISTERED_COUNT, className="hz-strong"),
            ],
            className="hz-admin-hint",
        ),
        grid(
            ids.ADMIN_UNREGISTERED_GRID,
            [
                col("enterprise", "admin.unregistered.col.enterprise", lang, flex=1),
                col("site", "admin.unregistered.col.site", lang, flex=1),
                col("sensor", "admin.unregistered.col.sensor", lang, flex=1),
                col("missing_label", "admin.unregistered.col.missing", lang, flex=1),
                col("first", "admin.unregistered.col.first", lang, width=200),
                col("last", "admin.unregistered.col.last", lang, width=200, sort="desc"),
                col(
                    "count",
                    "admin.unregistered.col.count",
                    lang,
                    width=140,
                    filter="agNumberColumnFilter",
                ),
            ],
            lang,
            "admin.unregistered.none",
            getRowId="params.data.row_id",
        ),
    )


def unregistered_grid_rows(rows: list[UnregisteredRow], lang: str) -> list[dict]:
    """Return the unregistered sensors' rowData."""
    return [
        {
            "row_id": f"{r.enterprise}/{r.site}/{r.sensor}",
            "enterprise": r.enterprise,
            "site": r.site,
            "sensor": r.sensor,
            "missing": r.missing,
            "missing_label": t(f"admin.missing.{r.missing}", lang),
            "first": r.first_local,
            "last": r.last_local,
            "count": r.count,
        }
        for r in rows
    ]
