"""Small test doubles shared by several test modules."""

from __future__ import annotations


class Clock:
    """A settable clock: `clock()` returns seconds, like time.time."""

    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> float:
        return self.ms / 1000
