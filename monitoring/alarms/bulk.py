"""Acting on many alarms at once: which alarms, how many at most, and what became of each.

A burst (300 sensors of one site losing communication) is cleaned up in one call: acknowledge
or shelve a list of ids, or every open alarm matching a filter, at most `BULK_MAX` a call.
Each alarm is checked and changed the way a single acknowledgement or shelving is, with its
own transition; one that its state refuses (already acknowledged, closed) is reported, not
fatal. This module is db-free; `AlarmBook.acknowledge_many` and `shelve_many` do the work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from monitoring.signals import OPEN_STATES, SEVERITIES

BULK_MAX = 1000  # alarms one bulk call may change
# The states each bulk action applies to: acknowledging needs an unacknowledged alarm;
# shelving takes any open one (a shelved one gets a new end).
ACK_STATES: frozenset[str] = frozenset({"active_unack", "cleared_unack"})
SHELVE_STATES: frozenset[str] = OPEN_STATES

DONE, NOT_FOUND, REFUSED = "done", "not_found", "refused"


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    """What one bulk call did to one alarm."""

    id: int
    outcome: str  # DONE, NOT_FOUND or REFUSED
    state: str | None = None  # the alarm's state after the call
    error: str | None = None  # why it was refused

    @property
    def ok(self) -> bool:
        """Tell whether the action was done on this alarm."""
        return self.outcome == DONE

    def as_json(self) -> dict[str, Any]:
        """Return the outcome as the API answers it."""
        out: dict[str, Any] = {"id": self.id, "outcome": self.outcome, "state": self.state}
        if self.error:
            out["error"] = self.error
        return out


@dataclass(frozen=True, slots=True)
class AlarmFilter:
    """Which open alarms a bulk action applies to; None matches anything."""

    enterprise: str | None = None
    site: str | None = None
    severity: str | None = None
    rule: str | None = None
    source: str | None = None
    state: str | None = None  # one open state, or None for every state the action takes

    FIELDS = ("enterprise", "site", "severity", "rule", "source", "state")

    @classmethod
    def from_json(cls, doc: object) -> AlarmFilter:
        """Return the filter of an API request; ValueError names what is wrong."""
        if not isinstance(doc, Mapping):
            raise ValueError("filter must be an object")
        unknown = sorted(set(doc) - set(cls.FIELDS))
        if unknown:
            raise ValueError(f"filter takes only {', '.join(cls.FIELDS)}; not {unknown[0]}")
        values: dict[str, str | None] = {}
        for name in cls.FIELDS:
            value = doc.get(name)
            if value is not None and (not isinstance(value, str) or not 0 < len(value) <= 200):
                raise ValueError(f"filter {name} must be text")
            values[name] = value
        if values["severity"] is not None and values["severity"] not in SEVERITIES:
            raise ValueError(f"filter severity must be one of {', '.join(SEVERITIES)}")
        if values["state"] is not None and values["state"] not in OPEN_STATES:
            raise ValueError(f"filter state must be one of {', '.join(sorted(OPEN_STATES))}")
        return cls(**values)


def check_ids(ids: object, most: int = BULK_MAX, *, allow_empty: bool = False) -> list[int]:
    """Return the alarm ids of a request, each once in the order given; ValueError if bad."""
    if not isinstance(ids, Sequence) or isinstance(ids, str | bytes):
        raise ValueError("ids must be a list of alarm ids")
    if not ids and not allow_empty:
        raise ValueError("ids must name at least one alarm")
    out: dict[int, None] = {}
    for i in ids:
        if isinstance(i, bool) or not isinstance(i, int) or not 0 < i < 2**63:
            raise ValueError("each id must be a positive whole number")
        out[i] = None
    if len(out) > most:
        raise ValueError(f"at most {most} alarms a call ({len(out)} given)")
    return list(out)


def summary(outcomes: Sequence[BulkOutcome]) -> dict[str, int]:
    """Return how many alarms each outcome had."""
    counts = {DONE: 0, NOT_FOUND: 0, REFUSED: 0}
    for o in outcomes:
        counts[o.outcome] += 1
    return counts
