"""Home page: live readings of every registered sensor (the full wall display comes later)."""

from __future__ import annotations

from dash import dash_table, dcc, html

from layouts import ids

REFRESH_MS = 5000

COLUMNS = [
    {"name": "Enterprise", "id": "enterprise"},
    {"name": "Site", "id": "site"},
    {"name": "Zone", "id": "zone"},
    {"name": "Sensor", "id": "sensor"},
    {"name": "Kind", "id": "kind"},
    {"name": "Value", "id": "value", "type": "numeric"},
    {"name": "Unit", "id": "unit"},
    {"name": "Quality", "id": "quality"},
    {"name": "Age (s)", "id": "age_s", "type": "numeric"},
]


def layout() -> html.Div:
    """Return the home page: a live table of latest readings."""
    return html.Div(
        className="hz-page",
        children=[
            html.H1("Hazwatch — live readings"),
            html.P(id=ids.HOME_SUMMARY, className="hz-summary"),
            dcc.Interval(id=ids.HOME_INTERVAL, interval=REFRESH_MS),
            dash_table.DataTable(
                id=ids.HOME_TABLE,
                columns=COLUMNS,
                data=[],
                page_size=40,
                sort_action="native",
                filter_action="native",
                style_as_list_view=True,
                style_header={"fontWeight": "bold", "backgroundColor": "#2b2f36",
                              "color": "#e6e6e6"},
                style_cell={"backgroundColor": "#1d2026", "color": "#d0d0d0",
                            "fontSize": "16px", "padding": "6px"},
            ),
        ],
    )
