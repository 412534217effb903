"""What an alarm is, outside the database: the value objects, their JSON and the limits.

`Alarm` and `AlarmChange` are what the book hands out; the page read models, the API and
the lifecycle all speak them. This module imports neither SQLAlchemy nor `monitoring.db`,
so a page read model can name an `Alarm` without reaching the relational store.

States (contract section 5): a new alarm is `active_unack`. Acknowledged it is
`active_ack`; cleared while unacknowledged it is `cleared_unack`; an acknowledged alarm that
clears, or a cleared one that is acknowledged, is `closed`. `shelved` hides an open alarm
until a time; whether its condition is still active is kept in `cleared_ms` (NULL while
active).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, fields
from typing import Any, Protocol

from monitoring.clock import iso_utc, iso_utc_or_none
from monitoring.signals import SEVERITIES, SEVERITY_RANK, STATES

ACTIVE_UNACK, ACTIVE_ACK, CLEARED_UNACK, CLOSED, SHELVED = STATES
RED = SEVERITIES[0]  # the only severity whose unacknowledged alarms are escalated
SYSTEM_ACTOR = "system"

# Events: what a transition did ("why" in words is its `reason`).
EVENT_RAISED = "raised"
EVENT_ESCALATED = "escalated"  # severity rose on the same alarm
EVENT_REACTIVATED = "reactivated"  # raised again after clearing: count + 1
EVENT_CLEARED = "cleared"
EVENT_ACKNOWLEDGED = "acknowledged"
EVENT_SHELVED = "shelved"
EVENT_UNSHELVED = "unshelved"
EVENT_SHELVING_EXPIRED = "shelving_expired"
EVENT_ACK_OVERDUE = "ack_overdue"  # red still unacknowledged after escalate_after_s

ESCALATE_AFTER_S = 300.0  # a red alarm unacknowledged this long is escalated
CHATTER_WINDOW_S = 60.0  # ISA-18.2: 3 or more activations within 1 minute is chattering
CHATTER_COUNT = 3
MAX_SHELVE_MINUTES = 1440
MAX_COMMENT_CHARS = 2000
MAX_MESSAGE_CHARS = 2000
MAX_MESSAGE_KEY_CHARS = 128
MAX_PARAMS_CHARS = 4000
MAX_LIST = 5000  # the most alarms one read returns (contract section 8: `limit` <= 5,000)
DEFAULT_PAGE = 500  # contract section 8: `limit` defaults to 500
UNACK_STATES = frozenset({ACTIVE_UNACK, CLEARED_UNACK})  # nobody has acknowledged them yet

# One alarm row as the book plans it: column name -> value, as the relational store has it.
Row = dict[str, Any]


class StoredRow(Protocol):
    """A stored row read by column name: a plain dict or a SQLAlchemy RowMapping."""

    def __getitem__(self, name: str, /) -> Any: ...


class AlarmError(Exception):
    """An action the alarm's state does not allow (the API answers 409)."""


class AlarmNotFound(LookupError):
    """No alarm has this id (the API answers 404)."""


@dataclass(frozen=True, slots=True)
class Alarm:
    """One alarm as stored; `as_json` gives the contract's view of it."""

    id: int
    enterprise: str
    site: str
    zone: str | None
    source: str
    rule: str
    severity: str
    state: str
    count: int
    raised_ms: int
    last_raised_ms: int
    cleared_ms: int | None
    acked_ms: int | None
    acked_by: str | None
    value: float | None
    message: str
    message_key: str
    params: dict
    shelved_until_ms: int | None
    shelve_reason: str | None
    chattering: bool
    escalated_ms: int | None
    disposition: str | None
    closed_ms: int | None
    updated_ms: int

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Return (enterprise, site, source, rule), the key of its AlarmSignals."""
        return (self.enterprise, self.site, self.source, self.rule)

    @property
    def is_open(self) -> bool:
        """Tell whether the alarm is in any state but closed."""
        return self.state != CLOSED

    @property
    def is_active(self) -> bool:
        """Tell whether the alarm's condition is present now (open and not cleared)."""
        return self.is_open and self.cleared_ms is None

    def as_json(self) -> dict[str, Any]:
        """Return the contract's alarm fields first, then the documented extras."""
        return {
            "id": self.id,
            "enterprise": self.enterprise,
            "site": self.site,
            "zone": self.zone,
            "source": self.source,
            "rule": self.rule,
            "severity": self.severity,
            "state": self.state,
            "count": self.count,
            "raised_at": iso_utc(self.raised_ms),
            "cleared_at": iso_utc_or_none(self.cleared_ms),
            "value": self.value,
            "message": self.message,
            # Extras, not in contract section 6:
            "last_raised_at": iso_utc(self.last_raised_ms),
            "acked_by": self.acked_by,
            "acked_at": iso_utc_or_none(self.acked_ms),
            "shelved_until": iso_utc_or_none(self.shelved_until_ms),
            "shelve_reason": self.shelve_reason,
            "chattering": self.chattering,
            "escalated": self.escalated_ms is not None,
            "escalated_at": iso_utc_or_none(self.escalated_ms),
            "disposition": self.disposition,
            "closed_at": iso_utc_or_none(self.closed_ms),
            "message_key": self.message_key,
            "params": dict(self.params),
        }


ALARM_FIELDS = tuple(f.name for f in fields(Alarm))


@dataclass(frozen=True, slots=True)
class AlarmChange:
    """One transition made by the book; `alarm` is the alarm after the whole call."""

    event: str
    alarm: Alarm
    from_state: str | None
    to_state: str
    severity: str
    ts_ms: int
    reason: str


def alarm_from_row(r: StoredRow) -> Alarm:
    """Return the Alarm of a stored alarm row (its JSON params decoded)."""
    values = {name: r[name] for name in ALARM_FIELDS}
    return Alarm(
        **values | {"params": json.loads(r["params"]), "chattering": bool(r["chattering"])}
    )


def transition_json(r: StoredRow) -> dict[str, Any]:
    """Return a stored transition as JSON."""
    return {
        "at": iso_utc(r["ts_ms"]),
        "event": r["event"],
        "from_state": r["from_state"],
        "to_state": r["to_state"],
        "severity": r["severity"],
        "actor": r["actor"],
        "reason": r["reason"],
        "comment": r["comment"],
    }


def call_json(r: StoredRow, include_phone: bool) -> dict[str, Any]:
    """Return a stored call record as JSON; the phone only for roles allowed to see it."""
    record = {
        "id": r["id"],
        "alarm_id": r["alarm_id"],
        "at": iso_utc(r["ts_ms"]),
        "username": r["username"],
        "contact": r["contact_name"],
        "contact_role": r["contact_role"],
        "outcome": r["outcome"],
        "note": r["note"],
    }
    if include_phone:
        record["phone"] = r["phone"]
    return record


@dataclass(frozen=True, slots=True)
class OpenCount:
    """How many open alarms one site has of one severity (a GROUP BY row), and of them how
    many are unacknowledged and how many are suspected special operations."""

    enterprise: str
    site: str
    severity: str
    count: int
    unacknowledged: int  # active_unack or cleared_unack
    special_operations: int  # raised by the special_operation rule
    newest_ms: int  # when the newest of them was raised


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """Where an alarm stands in the lists' order: most severe first, then newest, then id.

    Lists are read after a position (keyset paging), so a page never repeats or skips an
    alarm that stays put; one whose severity changes between two pages moves in the order.
    """

    rank: int  # SEVERITY_RANK, an unknown severity last
    raised_ms: int
    id: int

    @classmethod
    def of(cls, alarm: Alarm) -> Position:
        """Return the position of an alarm."""
        return cls(SEVERITY_RANK.get(alarm.severity, len(SEVERITIES)), alarm.raised_ms, alarm.id)


@dataclass(frozen=True, slots=True)
class AlarmPage:
    """One page of a list: its alarms, how many match in all, where the next page starts."""

    alarms: list[Alarm]
    total: int
    next: Position | None  # None: this is the last page


_CURSOR_PREFIX = "a1"  # the cursor's format version


def encode_cursor(position: Position) -> str:
    """Return an opaque cursor for the page after `position` (URL-safe text)."""
    text = f"{_CURSOR_PREFIX}:{position.rank}:{position.raised_ms}:{position.id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Position:
    """Return the position a cursor of `encode_cursor` names; ValueError if it is not one."""
    if not cursor or len(cursor) > 100:
        raise ValueError("cursor is not one this server gave")
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError("cursor is not one this server gave") from None
    parts = text.split(":")
    if len(parts) != 4 or parts[0] != _CURSOR_PREFIX or not all(_is_int(p) for p in parts[1:]):
        raise ValueError("cursor is not one this server gave")
    rank, raised_ms, alarm_id = (int(p) for p in parts[1:])
    if not 0 <= rank <= len(SEVERITIES) or alarm_id < 1:
        raise ValueError("cursor is not one this server gave")
    return Position(rank, raised_ms, alarm_id)


def _is_int(text: str) -> bool:
    return text.removeprefix("-").isdigit() and len(text) < 20
