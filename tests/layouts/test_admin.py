"""Admin page builders: pure functions of the read model, in both languages, untrusted text inert."""

from __future__ import annotations

import json

import plotly
import pytest

from layouts import admin, ids
from layouts.i18n import TEXT
from monitoring.views.admin import (
    AuditRow,
    HealthSummary,
    RegistryInfo,
    RejectRow,
    RejectSummary,
    ReloadResult,
    UnregisteredRow,
    UserRow,
    WorkerRow,
)

ADMIN = {"viewer": True, "inspector": True, "admin": True}
HOSTILE = '<img src=x onerror="alert(1)">'


def texts(component) -> str:
    """Return every string in a component tree (JSON, as Dash would send it)."""
    return json.dumps(component, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


def find(component, component_id):
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            found = find(child, component_id)
            if found is not None:
                return found
    return None


@pytest.mark.parametrize("can", [{"viewer": True}, {"viewer": True, "inspector": True}, {}])
def test_only_an_admin_gets_the_page(can) -> None:
    page = admin.layout("en", can, {})
    assert find(page, ids.ADMIN_TABS) is None and "Your role may not open this page" in texts(page)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_has_every_tab_and_form_in_the_language(lang) -> None:
    page = admin.layout(lang, ADMIN, {})
    tabs = find(page, ids.ADMIN_TABS)
    assert [tab.value for tab in tabs.children] == list(admin.TABS) and tabs.value == "users"
    for component_id in (
        ids.ADMIN_USERS_GRID,
        ids.ADMIN_AUDIT_GRID,
        ids.ADMIN_CREATE,
        ids.ADMIN_SET_ROLE,
        ids.ADMIN_DELETE,
        ids.ADMIN_REJECT_GRID,
        ids.ADMIN_UNREGISTERED_GRID,
        ids.ADMIN_RELOAD,
        ids.ADMIN_HEALTH,
    ):
        assert find(page, component_id) is not None, component_id
    dump = texts(page)
    label = TEXT["admin.tab.rejected"][1 if lang == "zh" else 0]
    assert label in dump
    if lang == "zh":
        assert "Rejected messages" not in dump and "Create user" not in dump


def test_the_tab_comes_from_the_query_when_known() -> None:
    assert find(admin.layout("en", ADMIN, {"tab": "registry"}), ids.ADMIN_TABS).value == "registry"
    assert find(admin.layout("en", ADMIN, {"tab": "<x>"}), ids.ADMIN_TABS).value == "users"


def test_no_grid_renders_cells_as_html() -> None:
    dump = texts(admin.layout("en", ADMIN, {}))
    assert "dangerously_allow_code" not in dump and "markdown" not in dump
    assert "cellRenderer" not in dump


def test_user_rows_translate_role_state_and_never() -> None:
    rows = [UserRow("ann", "inspector", False, 0, "2026-01-01 08:00:00", None, "")]
    [row] = admin.user_grid_rows(rows, "zh")
    assert row["role_label"] == "值守员" and row["state_label"] == "已停用"
    assert row["last_login"] == "从未" and row["active"] is False


def test_user_head_says_when_it_is_you() -> None:
    row = UserRow("root", "admin", True, 0, "", 1, "2026-01-01 08:00:00")
    assert "this is you" in texts(admin.user_head(row, "en", is_self=True))
    assert "this is you" not in texts(admin.user_head(row, "en", is_self=False))
    assert "Select a user" in texts(admin.user_head(None, "en", False))


def reject_summary() -> RejectSummary:
    row = RejectRow(
        1,
        0,
        "2026-01-01 08:00:00",
        "hazmon/e1/s1/telemetry",
        "bad_json",
        "not JSON",
        44,
        HOSTILE,
        False,
    )
    odd = RejectRow(2, 0, "2026-01-01 08:00:01", "hazmon/x", "brand_new_code", "?", 1, "x", False)
    return RejectSummary(total=7, counts=(("bad_json", 5), ("brand_new_code", 2)), rows=(row, odd))


def test_rejected_rows_keep_payloads_as_plain_strings() -> None:
    rows = admin.reject_grid_rows(reject_summary(), "zh")
    assert rows[0]["excerpt"] == HOSTILE  # a string cell: ag-grid shows it as text
    assert rows[0]["code_label"] == "非法JSON" and rows[1]["code_label"] == "brand_new_code"
    assert rows[0]["row_id"] == "1"


def test_reject_counts_show_total_and_each_code() -> None:
    dump = texts(admin.reject_counts(reject_summary(), "en"))
    assert "7 rejected in all" in dump and "Not valid JSON" in dump and "brand_new_code" in dump


def test_every_reject_code_has_a_label() -> None:
    for code in (
        "bad_topic", "bad_id", "too_large", "bad_encoding", "bad_json", "not_object",
        "bad_timestamp", "future_timestamp", "bad_value", "bad_field", "no_content",
    ):  # fmt: skip
        assert f"admin.code.{code}" in TEXT


def test_unregistered_rows_say_what_is_missing() -> None:
    row = UnregisteredRow("e9", "s1", "PT-1", "a", "b", 0, 3, "enterprise")
    [out] = admin.unregistered_grid_rows([row], "zh")
    assert out["missing_label"] == "企业未登记" and out["row_id"] == "e9/s1/PT-1"


def test_registry_fields_and_the_separate_ingest_note() -> None:
    info = RegistryInfo(
        "/etc/hazwatch/registry.yaml",
        True,
        "2026-01-01 08:00:00",
        "Asia/Shanghai",
        8,
        10,
        44,
        257,
        44,
        1,
        ingest_here=False,
    )
    dump = texts(admin.registry_fields(info, "en"))
    assert "/etc/hazwatch/registry.yaml" in dump and "257" in dump
    assert "restart them" in dump
    empty = RegistryInfo(None, False, "", "UTC")
    assert "No registry is loaded" in texts(admin.registry_fields(empty, "en"))


def test_reload_result_lists_every_problem_as_text() -> None:
    errors = (f"registry.yaml: enterprises[0]: {HOSTILE}", "second problem")
    failed = admin.reload_result(
        ReloadResult(False, errors, RegistryInfo(None, True, "", "UTC")), "en"
    )
    dump = texts(failed)
    assert "2 problems" in dump and "second problem" in dump
    assert json.loads(dump)[1]["props"]["children"][0]["props"]["children"] == errors[0]
    ok = admin.reload_result(
        ReloadResult(True, (), RegistryInfo(None, True, "", "UTC", 2, 3, 0, 9)), "zh"
    )
    assert "2家企业" in texts(ok)


def test_health_panel_colours_only_what_is_wrong() -> None:
    stale = WorkerRow("w1", "2026-01-01 08:00:00", 95, False, 10, 9, 1, 0, True, True)
    h = HealthSummary(
        "degraded",
        ("no ingest worker reporting",),
        False,
        (),
        "influxdb",
        True,
        True,
        "sqlite",
        (("received", 10),),
        (stale,),
    )
    dump = texts(admin.health_panel(h, "en"))
    assert "Degraded" in dump and "disconnected" in dump and "no ingest worker reporting" in dump
    assert dump.count("hz-bad") == 3  # status, broker, the stale worker's age
    none = HealthSummary("ok", (), True, (), "embedded", True, True, "sqlite", (), ())
    assert "没有接入进程上报状态" in texts(admin.health_panel(none, "zh"))


def test_audit_rows_translate_actions_and_outcomes() -> None:
    rows = admin.audit_grid_rows(
        [AuditRow(1, "t", "root", "user.role", "ann", "refused", "x")], "zh"
    )
    assert rows[0]["action_label"] == "修改角色" and rows[0]["outcome_label"] == "已拒绝"
    unknown = admin.audit_grid_rows([AuditRow(2, "t", "root", "future.thing", "", "ok", "")], "en")
    assert unknown[0]["action_label"] == "future.thing"
