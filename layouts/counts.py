"""How many, in words: open alarms per severity ("1 red · 12 yellow") and numbers as read.

A count of one severity never stands for another: a tile with one red and twelve yellow
alarms says so, instead of "Red · 13".
"""

from __future__ import annotations

from collections.abc import Iterable

from layouts.i18n import TEXT, t


def number(n: int) -> str:
    """Return a count with thousands separators: 5,848."""
    return f"{n:,}"


def severity_count(severity: str, n: int, lang: str) -> str:
    """Return '12 yellow' (黄色12条) for one severity."""
    key = f"count.{severity}"
    return t(key, lang, n=number(n)) if key in TEXT else f"{number(n)} {severity}"


def severity_counts(by_severity: Iterable[tuple[str, int]], lang: str) -> list[str]:
    """Return one '<n> <severity>' per severity that has any, in the order given."""
    return [severity_count(s, n, lang) for s, n in by_severity if n]
