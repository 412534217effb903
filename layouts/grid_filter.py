"""An ag-grid filter model, applied in Python to the rows a table was given.

A bulk action "on every alarm matching the table's filter" must act on what the person
filtered, including rows the browser never received (the list is paged). The grid sends its
`filterModel`; `matching` applies it to rows built the same way as the table's, with
ag-grid's own rules for the text and number filters the pages use: case-insensitive text
conditions, numbers compared as numbers, two conditions joined by AND or OR. A model using
anything else raises `UnsupportedFilter`, so no action ever runs on a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

Row = Mapping[str, Any]


class UnsupportedFilter(ValueError):
    """A filter model this module cannot apply exactly."""


def _text(value: object) -> str:
    return "" if value is None else str(value).lower()


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


_TEXT_TESTS: dict[str, Callable[[str, str], bool]] = {
    "contains": lambda v, f: f in v,
    "notContains": lambda v, f: f not in v,
    "equals": lambda v, f: v == f,
    "notEqual": lambda v, f: v != f,
    "startsWith": lambda v, f: v.startswith(f),
    "endsWith": lambda v, f: v.endswith(f),
}
_NUMBER_KINDS = frozenset(
    {
        "equals",
        "notEqual",
        "greaterThan",
        "greaterThanOrEqual",
        "lessThan",
        "lessThanOrEqual",
        "inRange",
    }
)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _number_test(kind: object, value: float | None, low: float, high: float | None) -> bool:
    if value is None:
        return False  # ag-grid's default: a blank cell passes no number condition
    if kind == "equals":
        return value == low
    if kind == "notEqual":
        return value != low
    if kind == "greaterThan":
        return value > low
    if kind == "greaterThanOrEqual":
        return value >= low
    if kind == "lessThan":
        return value < low
    if kind == "lessThanOrEqual":
        return value <= low
    if kind == "inRange" and high is not None:
        return min(low, high) < value < max(low, high)  # ag-grid's default: ends excluded
    raise UnsupportedFilter(f"number filter {kind!r}")


def _condition(model: Mapping[str, Any], value: object) -> bool:
    kind, filter_type = model.get("type"), model.get("filterType")
    if kind == "blank":
        return _blank(value)
    if kind == "notBlank":
        return not _blank(value)
    if filter_type == "text" and kind in _TEXT_TESTS:
        wanted = model.get("filter")
        if not isinstance(wanted, str):
            raise UnsupportedFilter("a text filter without text")
        return _TEXT_TESTS[kind](_text(value), wanted.lower())
    if filter_type == "number" and kind in _NUMBER_KINDS:
        low, high = _number(model.get("filter")), _number(model.get("filterTo"))
        if low is None:
            raise UnsupportedFilter("a number filter without a number")
        return _number_test(kind, _number(value), low, high)
    raise UnsupportedFilter(f"{filter_type} filter {kind!r}")


def _column(model: object, value: object) -> bool:
    if not isinstance(model, Mapping):
        raise UnsupportedFilter("a column filter that is not an object")
    conditions = model.get("conditions")
    if conditions is None:
        return _condition(model, value)
    if not isinstance(conditions, list) or not conditions:
        raise UnsupportedFilter("conditions must be a list")
    results = [_condition(c, value) for c in conditions if isinstance(c, Mapping)]
    if len(results) != len(conditions):
        raise UnsupportedFilter("a condition that is not an object")
    operator = model.get("operator", "AND")
    if operator == "AND":
        return all(results)
    if operator == "OR":
        return any(results)
    raise UnsupportedFilter(f"operator {operator!r}")


def matching(
    rows: Iterable[Row], model: object, value_fields: Mapping[str, str] | None = None
) -> list[Row]:
    """Return the rows the filter model lets through, in their order.

    `value_fields` names the field a column filters on when it is not the column's own
    (a column whose `filterValueGetter` shows a label instead of a rank).
    """
    if not model:
        return list(rows)
    if not isinstance(model, Mapping):
        raise UnsupportedFilter("the filter model is not an object")
    fields = value_fields or {}
    columns = [(fields.get(col, col), col_model) for col, col_model in model.items()]
    return [r for r in rows if all(_column(m, r.get(field)) for field, m in columns)]
