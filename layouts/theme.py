"""The look every page shares: the palette, the tables' options and phone links.

The palette is the one `assets/hazwatch.css` declares in `:root` (high-performance HMI:
greys for normal, colour only for abnormal states), named here for what Python draws itself:
figures, ag-grid's theme and the admin tabs.
"""

from __future__ import annotations

from dash import dcc

# The CSS variables of the same names.
BACKGROUND = "#1b1d21"  # --bg: the page, and the plot area of figures
PANEL = "#25282d"  # --panel
PANEL_2 = "#2e3238"  # --panel-2: headers and hover labels
LINE = "#3a3f46"  # --line: borders and grid lines
TEXT = "#d4d6d9"  # --text
MUTED = "#8d939b"  # --muted
RED = "#e5322d"  # --red
ORANGE = "#f28c28"  # --orange
YELLOW = "#f2d22e"  # --yellow
BLUE = "#3d8fe6"  # --blue: the accent of controls and approved permits
# Shades only tables and figures use.
SELECTED_ROW = "#3a4a5e"
ODD_ROW = "#292c31"
LIGHT_BLUE = "#9cc8ff"

TAB_COLOURS: dcc.Tabs.Colors = {"border": LINE, "primary": BLUE, "background": PANEL}

GRID_THEME = (
    f"themeQuartz.withParams({{backgroundColor: '{PANEL}', foregroundColor: '{TEXT}', "
    f"headerBackgroundColor: '{PANEL_2}', borderColor: '{LINE}', accentColor: '{BLUE}', "
    f"selectedRowBackgroundColor: '{SELECTED_ROW}', fontSize: 16, headerFontSize: 16, "
    f"oddRowBackgroundColor: '{ODD_ROW}'}})"
)
SELECT_ONE_ROW = {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True}
# Tick boxes for several rows (the header's box takes every row the filter shows); a click
# elsewhere on a row still selects that row alone.
SELECT_MANY_ROWS = {
    "mode": "multiRow",
    "checkboxes": True,
    "headerCheckbox": True,
    "selectAll": "filtered",
    "enableClickSelection": True,
}


def grid_options(
    no_rows: str, row_height: int = 38, *, select_one: bool = False, select_many: bool = False
) -> dict:
    """Return the ag-grid options every Hazwatch table shares (dark theme, no animation)."""
    options: dict[str, object] = {
        "theme": {"function": GRID_THEME},
        "animateRows": False,
        "tooltipShowDelay": 300,
        "rowHeight": row_height,
        "localeText": {"noRowsToShow": no_rows},
    }
    if select_one:
        options["rowSelection"] = SELECT_ONE_ROW
    elif select_many:
        options["rowSelection"] = SELECT_MANY_ROWS
    return options


def phone_href(phone: str) -> str:
    """Return a tel: link for a phone number as written in the registry."""
    return "tel:" + "".join(ch for ch in phone if ch.isdigit() or ch == "+")
