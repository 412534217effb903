"""The controls the pages' forms share."""

from __future__ import annotations

from layouts import controls


def test_an_action_button_counts_clicks_and_adds_its_kind() -> None:
    plain = controls.action_button("Save", "save")
    assert (plain.children, plain.id, plain.n_clicks, plain.className) == (
        "Save",
        "save",
        0,
        "hz-button",
    )
    assert controls.action_button("Go", "go", "hz-button-primary").className == (
        "hz-button hz-button-primary"
    )


def test_an_outcome_line_says_what_happened_in_the_language() -> None:
    done = controls.result("console.done.ack", "en", ok=True)
    assert done.className == "hz-ok" and done.children
    refused = controls.result("admin.error.password", "zh", ok=False, n=12)
    assert refused.className == "hz-error" and "12" in refused.children
