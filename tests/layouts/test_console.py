"""Pure builders of the alarm console, without a browser."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from layouts import console
from monitoring.views.console import (
    AlarmDetail,
    AlarmRow,
    HistoryEntry,
)

NOW = 1_790_000_000_000
ASSETS = Path(__file__).resolve().parents[2] / "assets"


def row(**kw) -> AlarmRow:
    base = dict(
        id=7,
        severity="orange",
        state="active_unack",
        enterprise="e1",
        enterprise_name="Test Fertilizer",
        site="s1",
        site_name="Main plant",
        zone="Z1",
        zone_name="Ammonia tanks",
        source="zone:Z1",
        rule="special_operation",
        message="6 people in Ammonia tanks",
        raised_ms=NOW - 125_000,
        raised_local="2026-09-21 22:13:20",
        elapsed_ms=125_000,
        count=2,
    )
    return AlarmRow(**(base | kw))


def texts(component) -> list[str]:
    """Every string inside a component tree."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, (list, tuple)):
        return [s for c in component for s in texts(c)]
    children = getattr(component, "children", None)
    return texts(children) if children is not None else []


def find(component, cls: str) -> list:
    found = []
    if isinstance(component, (list, tuple)):
        for c in component:
            found += find(c, cls)
        return found
    if cls in (getattr(component, "className", None) or "").split():
        found.append(component)
    children = getattr(component, "children", None)
    if children is not None and not isinstance(children, str):
        found += find(children, cls)
    return found


def test_grid_rows_translate_labels_and_keep_raw_fields() -> None:
    [en] = console.grid_rows([row()], "en")
    assert en["row_id"] == "7" and en["severity"] == "orange" and en["severity_rank"] == 1
    assert en["severity_label"] == "Orange" and en["rule_label"] == "Suspected special operation"
    assert en["state_label"] == "Unacknowledged" and en["raised_ms"] == NOW - 125_000
    assert "elapsed" not in en  # the browser counts it from raised_ms (callbacks.console_refresh)
    assert en["zone"] == "Ammonia tanks" and en["count"] == 2
    [zh] = console.grid_rows([row(state="shelved")], "zh")
    assert zh["severity_label"] == "橙色（二级）" and zh["rule_label"] == "疑似特殊作业"
    assert zh["state_label"] == "已搁置"


def test_the_browser_writes_elapsed_times_in_each_language() -> None:
    elapsed = {c["field"]: c for c in console.alarm_grid("zh").columnDefs}["elapsed_s"]
    assert elapsed["valueGetter"] == {"function": "hzElapsedSeconds(params.data.raised_ms)"}
    assert elapsed["valueFormatter"] == {
        "function": "hzElapsedText(params.value, '{n}秒', '{n}分钟', '{h}小时{m}分', '{d}天{h}小时')"
    }
    script = (ASSETS / "console.js").read_text(encoding="utf-8")
    assert "dagfuncs.hzElapsedSeconds" in script and "dagfuncs.hzElapsedText" in script


def test_inspectors_may_tick_several_rows_viewers_none() -> None:
    inspector = console.alarm_grid("en", select_many=True).dashGridOptions["rowSelection"]
    assert inspector["mode"] == "multiRow" and inspector["enableClickSelection"]
    assert console.alarm_grid("en").dashGridOptions["rowSelection"]["mode"] == "singleRow"
    page = console.layout("en", can_act=True)
    assert find(page, "hz-bulk-bar") and find(page, "hz-bulk-panel")
    assert not find(console.layout("en", can_act=False), "hz-bulk-bar")


def test_messages_are_translated_in_the_table_and_the_detail() -> None:
    translated = row(
        message_key="special_operation.no_permit",
        params={"zone": "Z1", "zone_name": "Ammonia tanks", "people": 6},
    )
    [zh] = console.grid_rows([translated], "zh")
    assert zh["message"] == "Ammonia tanks内有6人，未报备作业票"
    [en] = console.grid_rows([translated], "en")
    assert en["message"] == "6 people in Ammonia tanks, no permit reported"
    zh_zone = replace(translated, zone_name="液氨罐区")  # the read model's name in Chinese
    detail = AlarmDetail(zh_zone, {}, (), (), "r", None, ())
    assert "液氨罐区内有6人，未报备作业票" in texts(console.detail_body(detail, "zh"))
    [unknown] = console.grid_rows([row(message_key="new.rule")], "zh")
    assert unknown["message"] == "6 people in Ammonia tanks"  # the stored English message


def test_severity_column_fits_the_longest_label() -> None:
    severity = console.alarm_grid("zh").columnDefs[0]
    # "橙色（二级）" (6 wide characters at 16 px) + cell padding + sort marks.
    assert severity["width"] >= 165 and severity["minWidth"] >= 165


def test_the_body_hides_detail_parts_until_an_alarm_is_chosen() -> None:
    assert console.body_class(None, True) == "hz-console-body hz-empty hz-can-act"
    detail = AlarmDetail(row(), {}, (), (), "r", None, ())
    assert console.body_class(detail, False) == "hz-console-body"
    page = console.layout("en", can_act=True)
    [body] = find(page, "hz-console-body")
    assert body.id == "console-body"
    # The actions sit beside the detail, not below it: both are children of the body grid.
    assert [c.className.split()[1] for c in body.children] == [
        "hz-console-list",
        "hz-console-detail",
        "hz-actions",
    ]


def test_severity_cells_are_coloured_by_severity() -> None:
    grid = console.alarm_grid("en")
    severity = grid.columnDefs[0]
    assert severity["cellClassRules"]["hz-cell-red"] == "params.data.severity === 'red'"
    assert grid.getRowId == "params.data.row_id"  # selection survives the 3 s refresh


def test_detail_and_history() -> None:
    detail = AlarmDetail(
        row=row(),
        alarm={"value": 6.0, "acked_by": None},
        history=(
            HistoryEntry("2026-09-21 22:13:20", "transition", "system", "raised", "6 people"),
            HistoryEntry("2026-09-21 22:15:00", "call", "insp", "no_answer", "Duty Two"),
        ),
        permits=(),
        reminder="r",
        trend=None,
        contact_names=("Duty Two",),
    )
    body = texts(console.detail_body(detail, "en"))
    assert "Ammonia tanks" in body and "#7 Suspected special operation" in body
    [link] = find(console.detail_body(detail, "en"), "hz-site-link")
    assert link.href == "/site?enterprise=e1&site=s1" and "Site page" in link.children
    sensor = replace(detail, row=row(source="sensor:NH3-1"))
    [link] = find(console.detail_body(sensor, "zh"), "hz-site-link")
    assert link.href == "/site?enterprise=e1&site=s1&sensor=NH3-1" and "厂区页面" in link.children
    history = console.history_list(detail, "en")
    assert "call · No answer" in texts(history[0])  # newest first
    assert "raised" in texts(history[1])
    assert "报警" in texts(console.history_list(detail, "zh")[1])  # events translated
    assert texts(console.detail_body(None, "zh")) == ["请选择一条报警查看详情"]
    assert texts(console.permits_list((), "en")) == ["No active permit for this zone"]


def test_viewers_get_no_actions_and_no_contacts_button() -> None:
    viewer = console.layout("en", can_act=False)
    inspector = console.layout("en", can_act=True)
    assert not find(viewer, "hz-actions")
    assert find(inspector, "hz-actions")


def test_an_alarm_without_a_zone_names_its_source() -> None:
    assert console.source_label("gateway", "en") == "Site gateway"
    assert console.source_label("gateway", "zh") == "厂区网关"
    assert console.source_label("sensor:NH3-S-01", "zh") == "NH3-S-01"
