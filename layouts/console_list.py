"""The console's list of open alarms, a page at a time, saying how much of how many it shows.

The browser holds one page (`PAGE_SIZE` rows); the server holds every open alarm and applies
the table's own filters (`matches`, ag-grid's rules) and sort (`sort_rows`, ag-grid's
default comparator) to all of them before cutting the page. So the heading's
figures are true for the whole list ("Showing 1–100 of 1,234 matching · 5,848 open"), and a
filter finds an alarm however far down the list it is. Pure functions of the grid's rowData
(`layouts.console.grid_rows`) and of the `filterModel` and `columnState` the grid reports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dash import dcc, html

from layouts import ids
from layouts.controls import action_button
from layouts.counts import number
from layouts.i18n import t

PAGE_SIZE = 100  # rows the browser gets at once; about 20 are in view at 1920x1080
# Columns filtered on another field than their own (ag-grid's filterValueGetter).
FILTER_FIELDS = {"severity_rank": "severity_label"}
# Columns sorted on something else than a field of the row: the elapsed time is counted in
# the browser from `raised_ms`, so longer elapsed means raised earlier.
SORT_KEYS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "elapsed_s": lambda r: None if r.get("raised_ms") is None else -r["raised_ms"],
}
# The grid's first sort, before the user picks one (layouts.console.alarm_grid).
DEFAULT_SORT: tuple[tuple[str, bool], ...] = (("severity_rank", False), ("raised", True))
_NULL_PASSES = frozenset({"notEqual", "notContains"})  # ag-grid: text conditions a blank passes


class UnsupportedFilter(ValueError):
    """A filter model this module cannot apply exactly (it never guesses)."""


@dataclass(frozen=True)
class TablePage:
    """One page of the open alarms after the table's filters and sort."""

    rows: list[dict]
    page: int  # 0-based, within range
    pages: int  # at least 1
    matching: int  # rows that pass the filters
    total: int  # open alarms in all
    filtered: bool  # the filters were applied to every open alarm
    page_filter: bool = False  # filters the server cannot apply: the browser's grid applies
    # them to this page alone, so `matching` counts the open alarms before filtering

    @property
    def first(self) -> int:
        """Return the 1-based number of the first row shown (0 when none is)."""
        return self.page * PAGE_SIZE + 1 if self.rows else 0

    @property
    def last(self) -> int:
        """Return the 1-based number of the last row shown (0 when none is)."""
        return self.page * PAGE_SIZE + len(self.rows)


def table_page(
    rows: Sequence[dict],
    filter_model: object,
    column_state: object,
    page: int | None,
    selected: int | None = None,
) -> TablePage:
    """Return the page `page` of the rows that pass the filters, in the table's sort.

    `page` None (a console just opened) picks the page that holds the `selected` alarm.
    """
    page_filter = False
    model = filter_model if isinstance(filter_model, Mapping) else {}
    try:
        kept = [r for r in rows if matches(r, model)] if model else list(rows)
    except UnsupportedFilter:  # never guess: show every alarm, the grid filters the page
        kept, page_filter = list(rows), True
    kept = sort_rows(kept, sort_model(column_state))
    pages = max(1, -(-len(kept) // PAGE_SIZE))
    if page is None:
        index = next((i for i, r in enumerate(kept) if r.get("id") == selected), 0)
        page = index // PAGE_SIZE
    page = min(max(0, page), pages - 1)
    shown = [dict(r) for r in kept[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]]
    filtered = bool(model) and not page_filter
    return TablePage(shown, page, pages, len(kept), len(rows), filtered, page_filter)


def heading(p: TablePage, lang: str) -> str:
    """Return what the table shows of how many: every figure for the whole list."""
    total = number(p.total)
    if p.total == 0:
        return t("list.empty", lang)
    if p.filtered and p.matching == 0:
        return t("list.none", lang, total=total)
    first, last, matching = number(p.first), number(p.last), number(p.matching)
    if p.filtered:
        if p.pages == 1:
            return t("list.filtered", lang, matching=matching, total=total)
        return t("list.filtered_page", lang, first=first, last=last, matching=matching, total=total)
    shown = (
        t("list.all", lang, total=total)
        if p.pages == 1
        else t("list.page", lang, first=first, last=last, total=total)
    )
    return shown + (t("list.page_filter", lang) if p.page_filter else "")


def pages_text(p: TablePage, lang: str) -> str:
    """Return 'Page 2 of 59'."""
    return t("list.pages", lang, page=number(p.page + 1), pages=number(p.pages))


def pager(lang: str) -> html.Div:
    """Return the pager beside the heading: previous, 'Page 2 of 59', next (hidden on one page).

    The browser writes the page asked for (`callbacks.console_pager`), the server the page
    shown: a refresh answering late can never undo a click.
    """
    return html.Div(
        [
            dcc.Store(id=ids.CONSOLE_PAGE),
            dcc.Store(id=ids.CONSOLE_PAGE_SHOWN, data=0),
            action_button(t("list.prev", lang), ids.CONSOLE_PAGE_PREV, "hz-pager-button"),
            html.Span(id=ids.CONSOLE_PAGE_LABEL, className="hz-pager-label"),
            action_button(t("list.next", lang), ids.CONSOLE_PAGE_NEXT, "hz-pager-button"),
        ],
        id=ids.CONSOLE_PAGER,
        className=pager_class(None),
    )


def pager_class(p: TablePage | None) -> str:
    """Return the pager's classes: hidden while everything fits on one page."""
    return "hz-pager" + ("" if p is not None and p.pages > 1 else " hz-pager-one")


# -- ag-grid's filters and sort, on the server -------------------------------------------------


def sort_model(column_state: object) -> tuple[tuple[str, bool], ...]:
    """Return ((column, descending), ...) in sort priority from the grid's column state."""
    if not isinstance(column_state, list):
        return DEFAULT_SORT
    sorted_columns = [
        c for c in column_state if isinstance(c, Mapping) and c.get("sort") in ("asc", "desc")
    ]
    sorted_columns.sort(key=lambda c: c.get("sortIndex") or 0)
    return tuple((str(c.get("colId")), c.get("sort") == "desc") for c in sorted_columns)


def sort_rows(rows: list[dict], sort: Sequence[tuple[str, bool]]) -> list[dict]:
    """Return the rows sorted like ag-grid's default comparator (stable; nulls first)."""
    out = list(rows)
    for column, descending in reversed(sort):
        key = SORT_KEYS.get(column) or _field(column)
        present = [r for r in out if key(r) is not None]
        missing = [r for r in out if key(r) is None]
        present.sort(key=key, reverse=descending)
        out = present + missing if descending else missing + present
    return out


def _field(column: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda row: row.get(column)


def matches(row: Mapping[str, Any], filter_model: Mapping[str, Any]) -> bool:
    """Tell whether a row passes every column's filter of an ag-grid filterModel.

    ag-grid's rules for the text and number filters the console uses: text compared without
    case, numbers as numbers, two conditions joined by AND or OR. Anything else raises
    UnsupportedFilter, so nothing (a count, a bulk action) ever rests on a guess.
    """
    for column, model in filter_model.items():
        if not isinstance(model, Mapping):
            raise UnsupportedFilter(f"the filter of {column!r} is not an object")
        if not _column_passes(row.get(FILTER_FIELDS.get(column, column)), model):
            return False
    return True


def _column_passes(value: object, model: Mapping[str, Any]) -> bool:
    conditions = model.get("conditions")
    if conditions is None:
        return _condition(value, model)
    if not isinstance(conditions, list) or not all(isinstance(c, Mapping) for c in conditions):
        raise UnsupportedFilter("conditions must be a list of objects")
    results = [_condition(value, c) for c in conditions]
    operator = model.get("operator", "AND")
    if operator not in ("AND", "OR"):
        raise UnsupportedFilter(f"operator {operator!r}")
    return any(results) if operator == "OR" else all(results)


def _condition(value: object, model: Mapping[str, Any]) -> bool:
    kind, filter_type = model.get("type"), model.get("filterType")
    blank = value is None or (isinstance(value, str) and not value.strip())
    if kind == "blank":
        return blank
    if kind == "notBlank":
        return not blank
    if filter_type == "text" and kind in _TEXT_TESTS:
        wanted = model.get("filter")
        if not isinstance(wanted, str):
            raise UnsupportedFilter("a text filter without text")
        if value is None:
            return kind in _NULL_PASSES
        return _TEXT_TESTS[str(kind)](str(value).lower(), wanted.lower())
    if filter_type == "number" and kind in _NUMBER_TESTS:
        low, high = _number(model.get("filter")), _number(model.get("filterTo"))
        if low is None or (kind == "inRange" and high is None):
            raise UnsupportedFilter("a number filter without its numbers")
        number_value = _number(value)
        if number_value is None:
            return False  # ag-grid: a blank cell passes no number condition
        return _NUMBER_TESTS[str(kind)](number_value, low, high if high is not None else low)
    raise UnsupportedFilter(f"{filter_type} filter {kind!r}")


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


_TEXT_TESTS: dict[str, Callable[[str, str], bool]] = {
    "contains": lambda v, f: f in v,
    "notContains": lambda v, f: f not in v,
    "equals": lambda v, f: v == f,
    "notEqual": lambda v, f: v != f,
    "startsWith": lambda v, f: v.startswith(f),
    "endsWith": lambda v, f: v.endswith(f),
}
_NUMBER_TESTS: dict[str, Callable[[float, float, float], bool]] = {
    "equals": lambda v, low, _high: v == low,
    "notEqual": lambda v, low, _high: v != low,
    "greaterThan": lambda v, low, _high: v > low,
    "greaterThanOrEqual": lambda v, low, _high: v >= low,
    "lessThan": lambda v, low, _high: v < low,
    "lessThanOrEqual": lambda v, low, _high: v <= low,
    "inRange": lambda v, low, high: low < v < high,  # ag-grid's default: both ends excluded
}
