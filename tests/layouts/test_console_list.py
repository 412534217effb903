"""The console's paged list: filters and sort over every open alarm, and what the heading says."""

from __future__ import annotations

import pytest

from layouts import console_list as cl


def rows(n: int) -> list[dict]:
    """Rows as layouts.console.grid_rows makes them: most severe first, then newest."""
    severities = [("red", 0, "Red"), ("orange", 1, "Orange"), ("yellow", 2, "Yellow")]
    out = []
    for i in range(n):
        severity, rank, label = severities[min(2, i * 3 // n)]
        out.append(
            {
                "id": i + 1,
                "severity": severity,
                "severity_rank": rank,
                "severity_label": label,
                "state": "active_unack",
                "enterprise": f"Works {i % 7}",
                "message": f"S{i} high",
                "raised": "2026-12-03 {:02d}:{:02d}:{:02d}".format(*clock(36_000 - i)),
                "raised_ms": 1_000_000 - i,
                "count": i % 4 + 1,
            }
        )
    return out


def clock(seconds: int) -> tuple[int, int, int]:
    return seconds // 3600, seconds // 60 % 60, seconds % 60


TEXT = {"filterType": "text", "type": "contains"}


def test_every_open_alarm_is_paged_and_the_heading_counts_them_all() -> None:
    table = rows(250)
    first = cl.table_page(table, None, None, None)
    assert [r["id"] for r in first.rows] == list(range(1, 101))
    assert (first.page, first.pages, first.matching, first.total) == (0, 3, 250, 250)
    assert cl.heading(first, "en") == "Showing 1–100 of 250 open"
    assert cl.heading(first, "zh") == "显示第1–100条，共250条未关闭"
    assert cl.pages_text(first, "en") == "Page 1 of 3"
    last = cl.table_page(table, None, None, 7)  # beyond the end: the last page
    assert (last.page, last.first, last.last) == (2, 201, 250)
    assert cl.heading(cl.table_page(rows(40), None, None, 0), "en") == "All 40 open"
    assert cl.heading(cl.table_page([], None, None, 0), "zh") == "无未关闭报警"
    big = cl.TablePage(rows(1), 0, 59, 5848, 5848, False)
    assert cl.heading(big, "en") == "Showing 1–1 of 5,848 open"


def test_filters_apply_to_every_open_alarm_and_the_heading_says_filtered_and_total() -> None:
    table = rows(700)
    model = {"enterprise": TEXT | {"filter": "works 3"}}
    page = cl.table_page(table, model, None, 0)
    assert page.matching == 100 and all(r["enterprise"] == "Works 3" for r in page.rows)
    assert cl.heading(page, "en") == "100 of 700 open match the filters"  # issue 11: "219 open"
    assert cl.heading(page, "zh") == "700条未关闭中100条符合筛选"
    wide = cl.table_page(table, {"message": TEXT | {"filter": "1"}}, None, 1)
    assert wide.filtered and wide.pages > 1
    assert cl.heading(wide, "en") == f"Showing 101–200 of {wide.matching} matching · 700 open"
    none = cl.table_page(table, {"enterprise": TEXT | {"filter": "nowhere"}}, None, 0)
    assert none.rows == [] and cl.heading(none, "en") == "None of 700 open matches the filters"
    # The severity column filters on its label, as the grid's filterValueGetter does.
    red = cl.table_page(table, {"severity_rank": TEXT | {"filter": "red"}}, None, 0)
    assert red.matching == 234


def test_ag_grid_filter_rules() -> None:
    row = {"enterprise": "Tianyu Fertilizer", "count": 3, "zone": None}
    assert cl.matches(row, {"enterprise": TEXT | {"filter": "TIANYU"}})
    assert not cl.matches(
        row, {"enterprise": {"filterType": "text", "type": "equals", "filter": "t"}}
    )
    assert cl.matches(row, {"count": {"filterType": "number", "type": "greaterThan", "filter": 2}})
    in_range = {"filterType": "number", "type": "inRange", "filter": 3, "filterTo": 5}
    assert not cl.matches(row, {"count": in_range})  # ag-grid excludes both ends
    either = {
        "filterType": "text",
        "operator": "OR",
        "conditions": [TEXT | {"filter": "nope"}, TEXT | {"filter": "fert"}],
    }
    assert cl.matches(row, {"enterprise": either})
    assert cl.matches(row, {"zone": {"filterType": "text", "type": "blank"}})
    with pytest.raises(cl.UnsupportedFilter):
        cl.matches(row, {"enterprise": {"filterType": "set", "values": ["x"]}})
    # A filter the server cannot apply: every alarm is listed and the heading says so.
    page = cl.table_page(rows(150), {"enterprise": {"filterType": "set"}}, None, 0)
    assert page.matching == 150 and page.page_filter
    assert cl.heading(page, "en").endswith("filters apply to this page only")


def test_sort_follows_the_grid_column_state_over_every_alarm() -> None:
    table = rows(300)
    state = [{"colId": "count", "sort": "desc", "sortIndex": 0}, {"colId": "message"}]
    page = cl.table_page(table, None, state, 0)
    assert [r["count"] for r in page.rows] == [4] * 75 + [3] * 25  # the top of all 300
    assert [r["id"] for r in page.rows[:3]] == [4, 8, 12]  # ties keep the list's order
    oldest = cl.table_page(table, None, [{"colId": "elapsed_s", "sort": "desc"}], 0)
    assert oldest.rows[0]["id"] == 300  # longest elapsed: raised first
    assert cl.sort_model(None) == cl.DEFAULT_SORT


def test_the_page_holds_the_linked_alarm_until_one_is_asked_for() -> None:
    table = rows(350)
    linked = cl.table_page(table, None, None, None, selected=275)
    assert linked.page == 2 and any(r["id"] == 275 for r in linked.rows)
    assert cl.table_page(table, None, None, None, selected=None).page == 0
    assert cl.table_page(table, None, None, 1, selected=275).page == 1  # asked for: kept


def test_the_pager_hides_on_one_page() -> None:
    assert cl.pager_class(cl.table_page(rows(20), None, None, 0)) == "hz-pager hz-pager-one"
    assert cl.pager_class(cl.table_page(rows(200), None, None, 0)) == "hz-pager"
