"""The shell's router callback helpers."""

from __future__ import annotations

from callbacks.shell import _alarm_id


def test_a_console_link_may_name_the_alarm_to_open() -> None:
    assert _alarm_id({"alarm": "42"}) == 42
    assert [_alarm_id(q) for q in ({}, {"alarm": "x"}, {"alarm": "-1"}, {"alarm": "9" * 30})] == [
        None
    ] * 4
