"""The console refresh sends rows only when they changed; the grid's selection in both forms."""

from __future__ import annotations

from dash import no_update

from callbacks.console_refresh import fingerprint, only_changes, selected_ids


def rows(count: int = 2, elapsed: int = 5) -> list[dict]:
    return [
        {"id": i, "row_id": str(i), "state_label": "Unacknowledged", "raised_ms": 1000 * i,
         "elapsed_s": elapsed, "elapsed": f"{elapsed} s"}
        for i in range(1, count + 1)
    ]  # fmt: skip


def test_rows_the_browser_has_are_not_sent_again_whatever_their_age() -> None:
    sent, key = only_changes(rows(), None)
    assert sent == [{k: v for k, v in r.items() if not k.startswith("elapsed")} for r in rows()]
    again, same = only_changes(rows(elapsed=9), key)  # only the elapsed time moved
    assert again is no_update and same == key
    changed, other = only_changes(rows(3), key)
    assert changed is not no_update and len(changed) == 3 and other != key


def test_the_fingerprint_follows_the_language_of_the_labels() -> None:
    zh = [r | {"state_label": "未确认"} for r in rows()]
    assert fingerprint(zh) != fingerprint(rows())


def test_selected_rows_as_rows_or_as_ids() -> None:
    assert selected_ids([{"id": 4, "row_id": "4"}, {"id": 9}]) == [4, 9]
    assert selected_ids({"ids": ["12"]}) == [12]
    assert selected_ids(None) == selected_ids({"function": "x"}) == selected_ids([]) == []
