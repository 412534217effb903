"""The console's server-side action checks: role and required fields, before the book acts."""

from __future__ import annotations

from callbacks.console import check_action


def test_actions_are_refused_without_the_role_or_with_missing_fields() -> None:
    def check(action: str, allowed: bool = True, **kw) -> str | None:
        args = dict(
            alarm_id=7,
            contact="Duty Two",
            outcome="reached",
            comment="ok",
            minutes=30,
            reason="maintenance",
        )
        args.update(kw)
        return check_action(action, allowed, **args)

    for action in ("call", "ack", "shelve"):
        assert check(action, allowed=False) == "console.error.forbidden"
        assert check(action, alarm_id=None) == "console.error.no_alarm"
        assert check(action) is None
    assert check("call", contact=None) == "console.error.contact"
    assert check("ack", comment="  ") == "console.error.comment"
    assert check("shelve", minutes=0) == "console.error.minutes"
    assert check("shelve", minutes=1441) == "console.error.minutes"
    assert check("shelve", minutes=None) == "console.error.minutes"
    assert check("shelve", reason="") == "console.error.reason"
