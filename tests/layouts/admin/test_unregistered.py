"""The unregistered-sensors tab's rows."""

from __future__ import annotations

from layouts.admin import unregistered
from monitoring.views.admin import UnregisteredRow


def test_unregistered_rows_say_what_is_missing() -> None:
    row = UnregisteredRow("e9", "s1", "PT-1", "a", "b", 0, 3, "enterprise")
    [out] = unregistered.unregistered_grid_rows([row], "zh")
    assert out["missing_label"] == "企业未登记" and out["row_id"] == "e9/s1/PT-1"
