"""The users tab: users' and audit rows translated, the selected user's head."""

from __future__ import annotations

from layouts.admin import users
from monitoring.views.admin import AuditRow, UserRow
from tests.layouts.admin.tree import texts


def test_user_rows_translate_role_state_and_never() -> None:
    rows = [UserRow("ann", "inspector", False, 0, "2026-01-01 08:00:00", None, "")]
    [row] = users.user_grid_rows(rows, "zh")
    assert row["role_label"] == "值守员" and row["state_label"] == "已停用"
    assert row["last_login"] == "从未" and row["active"] is False


def test_user_head_says_when_it_is_you() -> None:
    row = UserRow("root", "admin", True, 0, "", 1, "2026-01-01 08:00:00")
    assert "this is you" in texts(users.user_head(row, "en", is_self=True))
    assert "this is you" not in texts(users.user_head(row, "en", is_self=False))
    assert "Select a user" in texts(users.user_head(None, "en", False))


def test_audit_rows_translate_actions_and_outcomes() -> None:
    rows = users.audit_grid_rows(
        [AuditRow(1, "t", "root", "user.role", "ann", "refused", "x")], "zh"
    )
    assert rows[0]["action_label"] == "修改角色" and rows[0]["outcome_label"] == "已拒绝"
    unknown = users.audit_grid_rows([AuditRow(2, "t", "root", "future.thing", "", "ok", "")], "en")
    assert unknown[0]["action_label"] == "future.thing"
