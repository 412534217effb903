"""The console's bulk panel: the count is stated before anything changes, in both languages."""

from __future__ import annotations

from dash import html

from layouts import console_bulk as cb
from monitoring.alarms.bulk import BULK_MAX, BulkOutcome
from monitoring.views.console_bulk import BulkReport


def test_scopes_state_their_counts_and_the_button_what_it_does() -> None:
    plan = cb.plan("ack", [4, 5], list(range(1, 301)), 300)
    selected, matching = cb.scope_options(plan, "en")
    assert selected == {"label": "The 2 selected alarms", "value": "selected", "disabled": False}
    assert matching["label"] == "All 300 unacknowledged alarms matching the table's filter"
    assert cb.default_scope(plan) == "selected"  # several rows ticked
    assert cb.confirm_label(plan, "filter", None, "en") == "Acknowledge 300 alarms"
    assert cb.confirm_label(plan, "filter", None, "zh") == "确认 300 条报警"
    assert cb.chosen_ids(plan, "selected") == [4, 5]
    one = cb.plan("shelve", [4], [4, 5, 6], 3)
    assert cb.default_scope(one) == "filter"  # one row is the detail's, not a choice
    assert cb.confirm_label(one, "filter", 30, "en") == "Shelve 3 alarms for 30 min"
    assert cb.confirm_label(one, "filter", 30, "zh") == "搁置 3 条报警 30 分钟"


def test_a_big_match_is_bounded_and_says_so() -> None:
    plan = cb.plan("ack", [], list(range(1, 5849)), 5848)
    assert len(cb.chosen_ids(plan, "filter")) == BULK_MAX
    label = cb.scope_options(plan, "en")[1]["label"]
    assert label.endswith("The first 1000 of 5848 (at most 1000 at once)")
    assert cb.scope_options(plan, "en")[0]["disabled"]  # nothing ticked


def test_a_filter_the_server_cannot_apply_leaves_only_the_ticked_rows() -> None:
    plan = cb.plan("ack", [7], None, 0)
    assert cb.scope_options(plan, "en")[1]["disabled"]
    assert cb.default_scope(plan) == "selected"
    assert cb.chosen_ids(None, "filter") == [] and cb.confirm_label(None, None, None, "en") == (
        "No alarm to act on"
    )


def test_the_report_names_each_alarm_not_changed() -> None:
    report = BulkReport.of(
        "ack",
        [
            BulkOutcome(1, "done", "active_ack"),
            BulkOutcome(2, "refused", "closed", "cannot acknowledge alarm 2: it is closed"),
            BulkOutcome(3, "not_found"),
        ],
    )
    lines = cb.report(report, "zh")
    assert lines[0].children == "已确认 1 条报警" and lines[1].children == "2 条未变更："
    items = [li.children for li in lines[2].children]
    assert items == ["#2: 当前状态不允许此操作", "#3: 已不存在"]
    assert isinstance(lines[2], html.Ul)


def test_the_panel_is_hidden_until_opened() -> None:
    assert cb.panel_class(False) == "hz-bulk-panel hz-bulk-ack hz-hidden"
    assert cb.panel_class(True, "shelve") == "hz-bulk-panel hz-bulk-shelve"
