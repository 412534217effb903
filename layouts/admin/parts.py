"""The pieces the admin tabs are built from: titled panels, grids and their columns, field
lists and the labels of codes the read model passes through.

Untrusted text (payload excerpts, topics, names) only ever goes into grid cells and text
nodes, which render it as text, never as markup.
"""

from __future__ import annotations

import dash_ag_grid as dag
from dash import html
from dash.development.base_component import Component

from layouts.i18n import TEXT, t
from layouts.theme import grid_options

FieldValue = str | Component | list[Component]
GRID_ROW_HEIGHT = 36
DEFAULT_COLUMN = {
    "sortable": True,
    "filter": True,
    "floatingFilter": True,
    "resizable": True,
    "suppressHeaderMenuButton": True,
    "cellDataType": False,  # local times are text; no date pickers in the filters
}


def panel(
    class_name: str, children: list[Component | None], title: str | None = None
) -> html.Section:
    """Return a panel, headed by `title` when it has one."""
    head = [html.H2(title)] if title else []
    return html.Section(className=f"hz-panel {class_name}".strip(), children=[*head, *children])


def grid(
    grid_id: str, columns: list[dict], lang: str, empty_key: str, **options: object
) -> dag.AgGrid:
    """Return an admin table: sortable, filterable columns in the shared dark theme."""
    return dag.AgGrid(
        id=grid_id,
        rowData=[],
        columnDefs=columns,
        defaultColDef=dict(DEFAULT_COLUMN),
        dashGridOptions={**grid_options(t(empty_key, lang), GRID_ROW_HEIGHT), **options},
        className="hz-admin-grid",
        style={"height": "100%", "width": "100%"},
    )


def col(field: str, key: str, lang: str, **kw: object) -> dict:
    """Return a column definition headed by the translated `key`."""
    return {"field": field, "headerName": t(key, lang), **kw}


def grid_tab(head: Component, table: dag.AgGrid) -> html.Div:
    """Return a tab that is a line of counts or hints above a table filling the rest."""
    return html.Div(
        className="hz-admin-stack",
        children=[head, panel("hz-admin-fill", [table])],
    )


def fields(pairs: list[tuple[str, FieldValue]], lang: str) -> html.Dl:
    """Return label/value pairs as a definition list (labels translated, values as given)."""
    return html.Dl(
        [item for key, value in pairs for item in (html.Dt(t(key, lang)), html.Dd(value))],
        className="hz-fields hz-admin-fields",
    )


def label(prefix: str, value: str, lang: str) -> str:
    """Return the label of code `value` under `prefix` (the code itself when unknown)."""
    key = f"{prefix}.{value}"
    return t(key, lang) if key in TEXT else value
