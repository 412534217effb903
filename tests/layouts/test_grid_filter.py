"""ag-grid's text and number filters, applied in Python as the grid applies them."""

from __future__ import annotations

import pytest

from layouts.grid_filter import UnsupportedFilter, matching

ROWS = [
    {"id": 1, "rule_label": "Lost communication", "severity_label": "Yellow", "count": 1},
    {"id": 2, "rule_label": "Limit exceeded", "severity_label": "Red", "count": 5},
    {"id": 3, "rule_label": "Lost communication", "severity_label": "Orange", "count": 12},
    {"id": 4, "rule_label": "", "severity_label": "Blue", "count": None},
]


def ids(model, fields=None) -> list[int]:
    return [r["id"] for r in matching(ROWS, model, fields)]


def text(kind: str, value: str = "") -> dict:
    return {"filterType": "text", "type": kind, "filter": value}


def number(kind: str, value: float, to: float | None = None) -> dict:
    return {"filterType": "number", "type": kind, "filter": value, "filterTo": to}


def test_no_filter_keeps_every_row() -> None:
    assert ids({}) == ids(None) == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (text("contains", "LOST"), [1, 3]),  # case does not matter
        (text("notContains", "lost"), [2, 4]),
        (text("equals", "limit exceeded"), [2]),
        (text("notEqual", "limit exceeded"), [1, 3, 4]),
        (text("startsWith", "lim"), [2]),
        (text("endsWith", "tion"), [1, 3]),
        ({"filterType": "text", "type": "blank"}, [4]),
        ({"filterType": "text", "type": "notBlank"}, [1, 2, 3]),
    ],
)
def test_text_conditions(model, expected) -> None:
    assert ids({"rule_label": model}) == expected


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (number("equals", 5), [2]),
        (number("greaterThan", 1), [2, 3]),
        (number("greaterThanOrEqual", 5), [2, 3]),
        (number("lessThan", 5), [1]),
        (number("lessThanOrEqual", 5), [1, 2]),
        (number("inRange", 1, 12), [2]),  # both ends excluded, as in ag-grid
        (number("notEqual", 5), [1, 3]),  # a blank count passes no number condition
    ],
)
def test_number_conditions(model, expected) -> None:
    assert ids({"count": model}) == expected


def test_two_conditions_and_two_columns() -> None:
    either = {
        "filterType": "text",
        "operator": "OR",
        "conditions": [text("contains", "limit"), text("equals", "")],
    }
    assert ids({"rule_label": either}) == [2, 4]
    both = {"rule_label": text("contains", "lost"), "count": number("greaterThan", 2)}
    assert ids(both) == [3]


def test_a_column_may_filter_on_another_field() -> None:
    model = {"severity_rank": text("equals", "red")}
    assert ids(model, {"severity_rank": "severity_label"}) == [2]


@pytest.mark.parametrize(
    "model",
    [
        {"rule_label": {"filterType": "set", "values": ["x"]}},
        {"rule_label": text("regex", "x")},
        {
            "rule_label": {
                "filterType": "text",
                "operator": "XOR",
                "conditions": [text("contains", "x")],
            }
        },
        {"count": number("between", 1)},
        {"rule_label": "lost"},
        ["lost"],
    ],
)
def test_what_it_cannot_apply_exactly_is_refused(model) -> None:
    with pytest.raises(UnsupportedFilter):
        matching(ROWS, model)
