"""The rejected-messages tab: payloads stay plain text, every reason code has a label."""

from __future__ import annotations

from layouts.admin import rejected
from layouts.i18n import TEXT
from monitoring.records import REJECTION_CODES
from monitoring.views.admin import RejectRow, RejectSummary
from tests.layouts.admin.tree import texts

HOSTILE = '<img src=x onerror="alert(1)">'


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
    rows = rejected.reject_grid_rows(reject_summary(), "zh")
    assert rows[0]["excerpt"] == HOSTILE  # a string cell: ag-grid shows it as text
    assert rows[0]["code_label"] == "非法JSON" and rows[1]["code_label"] == "brand_new_code"
    assert rows[0]["row_id"] == "1"


def test_reject_counts_show_total_and_each_code() -> None:
    dump = texts(rejected.reject_counts(reject_summary(), "en"))
    assert "7 rejected in all" in dump and "Not valid JSON" in dump and "brand_new_code" in dump


def test_every_reject_code_has_a_label() -> None:
    assert "conflicting_repeat" in REJECTION_CODES
    for code in REJECTION_CODES:
        assert f"admin.code.{code}" in TEXT
        en, zh = TEXT[f"admin.code.{code}"]
        assert en and zh and en != zh
