"""Checks on what reaches the alarm book: people's names and text, and the rules' signals.

People's input is checked and made storable before any lock is taken; a malformed signal
from our own rules is a bug, refused before anything of its batch is written.
"""

from __future__ import annotations

from monitoring.alarms.model import SYSTEM_ACTOR
from monitoring.db.database import clean_text
from monitoring.db.schema import MAX_RULE_CHARS, MAX_SOURCE_CHARS, MAX_USERNAME_CHARS
from monitoring.signals import SEVERITIES, AlarmSignal


def check_username(username: str) -> str:
    """Return a valid acting username, or raise ValueError."""
    if not isinstance(username, str) or not username.strip():
        raise ValueError("username is required")
    if len(username) > MAX_USERNAME_CHARS or username == SYSTEM_ACTOR:
        raise ValueError(f"username must be 1-{MAX_USERNAME_CHARS} characters, not 'system'")
    return username.strip()


def check_text(text: str, name: str, max_chars: int, required: bool = True) -> str:
    """Return stripped, storable user text, or raise ValueError if missing or too long."""
    if not isinstance(text, str):
        raise ValueError(f"{name} must be text")
    text = text.strip()
    if required and not text:
        raise ValueError(f"{name} is required")
    if len(text) > max_chars:
        raise ValueError(f"{name} must be at most {max_chars} characters")
    return clean_text(text, max_chars)


def check_signal(s: AlarmSignal) -> None:
    """Raise ValueError if a rule's signal could not be stored as it is."""
    problems = []
    if s.action not in ("raise", "clear"):
        problems.append(f"action {s.action!r}")
    if s.severity not in SEVERITIES:
        problems.append(f"severity {s.severity!r}")
    for name, most in (
        ("enterprise", 64),
        ("site", 64),
        ("source", MAX_SOURCE_CHARS),
        ("rule", MAX_RULE_CHARS),
    ):
        value = getattr(s, name)
        if not isinstance(value, str) or not 0 < len(value) <= most or "|" in value:
            problems.append(f"{name} {value!r}")
    if s.zone is not None and not (isinstance(s.zone, str) and 0 < len(s.zone) <= 64):
        problems.append(f"zone {s.zone!r}")
    if isinstance(s.ts_ms, bool) or not isinstance(s.ts_ms, int):
        problems.append(f"ts_ms {s.ts_ms!r}")
    if s.value is not None and not isinstance(s.value, int | float):
        problems.append(f"value {s.value!r}")
    if problems:
        raise ValueError(f"invalid alarm signal ({', '.join(problems)}): {s!r}")
