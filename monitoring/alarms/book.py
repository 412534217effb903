"""The alarm book: the durable ISA-18.2 lifecycle of every alarm (contract section 5).

Rules emit `AlarmSignal`s; `AlarmBook.apply` turns them into alarms and transitions, and
people acknowledge and shelve them through the same book. Ingest and web processes may be
separate and several: the database itself keeps one open alarm per (enterprise, site,
source, rule) through the unique `open_key`, and every change locks the rows it reads.

States: a new alarm is `active_unack`. Acknowledged it is `active_ack`; cleared while
unacknowledged it is `cleared_unack`; an acknowledged alarm that clears, or a cleared one
that is acknowledged, is `closed`. `shelved` hides an open alarm until a time; whether its
condition is still active is kept in `cleared_ms` (NULL while active).

Times: what a signal reports (raised, cleared) carries the signal's `ts_ms`; what the book
decides or a person does carries the injected `now_ms`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import Any

import sqlalchemy as sa

from monitoring.clock import iso_utc, iso_utc_or_none
from monitoring.db.database import Database, clean_text, upsert
from monitoring.db.schema import (
    MAX_RULE_CHARS,
    MAX_SOURCE_CHARS,
    MAX_USERNAME_CHARS,
    alarm_table,
    alarm_transition_table,
    call_record_table,
)
from monitoring.signals import (
    DISPOSITIONS,
    OPEN_STATES,
    SEVERITIES,
    SEVERITY_RANK,
    STATES,
    AlarmSignal,
    worse,
)

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
MAX_PARAMS_CHARS = 4000
MAX_LIST = 5000
KEY_CHUNK = 500  # keys per IN (...) and rows per INSERT: far below both backends' limits
INSERT_ATTEMPTS = 5  # a key lost to another worker's insert is re-read and re-applied
TRANSACTION_ATTEMPTS = 3  # a batch aborted by a deadlock is redone from the start
_RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock, serialization failure


_UPDATABLE = tuple(c.name for c in alarm_table.columns if c.name != "id")


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


_ALARM_FIELDS = tuple(f.name for f in fields(Alarm))


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


@dataclass(slots=True)
class _Step:
    # A transition planned in memory; the row gets its id when inserted.
    row: dict[str, Any]
    seq: int
    event: str
    from_state: str | None
    to_state: str
    ts_ms: int
    reason: str
    actor: str = SYSTEM_ACTOR
    comment: str | None = None
    severity: str = ""

    def __post_init__(self) -> None:
        # The severity when the transition happened, not after the rest of the batch.
        self.severity = self.severity or self.row["severity"]

    def transition_row(self) -> dict[str, Any]:
        return {
            "alarm_id": self.row["id"],
            "ts_ms": self.ts_ms,
            "event": self.event,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "severity": self.severity,
            "actor": self.actor,
            "reason": clean_text(self.reason, MAX_MESSAGE_CHARS),
            "comment": self.comment,
        }


class AlarmBook:
    """Every alarm, its transitions and its call log, in the relational store."""

    def __init__(
        self,
        db: Database,
        *,
        escalate_after_s: float = ESCALATE_AFTER_S,
        chatter_window_s: float = CHATTER_WINDOW_S,
        chatter_count: int = CHATTER_COUNT,
    ) -> None:
        if escalate_after_s <= 0 or chatter_window_s <= 0:
            raise ValueError("escalate_after_s and chatter_window_s must be positive")
        if chatter_count < 2:
            raise ValueError("chatter_count must be at least 2")
        self.db = db
        self.escalate_after_ms = int(escalate_after_s * 1000)
        self.chatter_window_ms = int(chatter_window_s * 1000)
        self.chatter_count = chatter_count

    # -- signals from the rules ------------------------------------------------------------

    def apply(self, signals: Sequence[AlarmSignal], now_ms: int) -> list[AlarmChange]:
        """Apply a batch of rule signals in one transaction; return the transitions made."""
        by_key: dict[str, list[tuple[int, AlarmSignal]]] = {}
        for seq, signal in enumerate(signals):
            _check_signal(signal)
            by_key.setdefault(_open_key(signal.key), []).append((seq, signal))
        if not by_key:
            return []
        for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
            try:
                with writing(self.db) as conn:
                    steps = self._apply_keys(conn, by_key, now_ms)
                    _insert_transitions(conn, steps)
                return _changes(steps)
            except sa.exc.OperationalError as exc:
                # A re-read after a lost insert may lock out of key order; PostgreSQL then
                # aborts one side of the rare deadlock, and the whole batch is simply redone.
                if attempt == TRANSACTION_ATTEMPTS or not _is_retryable(exc):
                    raise
        raise AssertionError("unreachable")

    def _apply_keys(
        self, conn: sa.Connection, by_key: dict[str, list[tuple[int, AlarmSignal]]], now_ms: int
    ) -> list[_Step]:
        steps: list[_Step] = []
        keys = sorted(by_key)  # one lock order for every worker: no deadlock between them
        for _ in range(INSERT_ATTEMPTS):
            existing = _lock_open(conn, keys)
            updates: list[dict] = []
            inserts: list[dict] = []
            planned: dict[str, list[_Step]] = {}
            for key in keys:
                old = existing.get(key)
                rows, planned[key] = self._plan(old, by_key[key], now_ms)
                for row in rows:
                    if row.get("id") is None:
                        inserts.append(row)
                    elif row != old:
                        updates.append(row)
            # Updates first: closing an alarm frees its open_key for a new one of the key.
            _update_rows(conn, updates)
            # A key is lost only if it had no open alarm when read, so nothing of it was
            # updated: re-reading and re-planning it from the other worker's alarm is safe.
            lost = _insert_rows(self.db, conn, inserts)
            for key in keys:
                if key not in lost:
                    steps.extend(planned[key])
            if not lost:
                return steps
            keys = sorted(lost)
        raise RuntimeError(f"alarm keys kept changing under concurrent inserts: {keys[:5]}")

    def _plan(
        self, old: dict | None, signals: list[tuple[int, AlarmSignal]], now_ms: int
    ) -> tuple[list[dict], list[_Step]]:
        current = dict(old) if old else None
        rows = [current] if current else []
        steps: list[_Step] = []
        for seq, s in signals:
            if current is None or current["state"] == CLOSED:
                if s.action == "raise":
                    current = _new_row(s, now_ms)
                    rows.append(current)
                    steps.append(
                        _Step(
                            current,
                            seq,
                            EVENT_RAISED,
                            None,
                            ACTIVE_UNACK,
                            s.ts_ms,
                            _why(s, "raised"),
                        )
                    )
            elif s.action == "raise":
                steps.extend(self._raise(current, seq, s, now_ms))
            else:
                steps.extend(_clear(current, seq, s, now_ms))
        return rows, steps

    def _raise(self, row: dict, seq: int, s: AlarmSignal, now_ms: int) -> list[_Step]:
        was, old_severity = row["state"], row["severity"]
        severity = worse(old_severity, s.severity)
        escalated = severity != old_severity
        reactivated = row["cleared_ms"] is not None
        _take_reading(row, s, now_ms)
        row["severity"] = severity
        if escalated:
            row["ack_clock_ms"] = now_ms
        notes = [f"severity {old_severity} -> {severity}"] if escalated else []
        if reactivated:
            row["count"] += 1
            row["last_raised_ms"] = s.ts_ms
            row["cleared_ms"] = None
            notes.append(f"raised again (count {row['count']})")
            if self._activate(row, s.ts_ms):
                notes.append(
                    f"chattering: {self.chatter_count} activations within "
                    f"{self.chatter_window_ms / 1000:g} s"
                )
        if was == SHELVED and escalated:
            # Shelving hid a nuisance at its severity; a worse condition must be seen.
            row["state"] = ACTIVE_UNACK
            row["shelved_until_ms"] = None
            notes.append("shelving ended by the escalation")
        elif was == SHELVED and not reactivated:
            return []
        elif was in (ACTIVE_UNACK, ACTIVE_ACK):
            if not escalated:
                return []
            # An acknowledged alarm that gets worse needs a fresh acknowledgement.
            row["state"] = ACTIVE_UNACK
        elif was == CLEARED_UNACK:
            row["state"] = ACTIVE_UNACK
        event = EVENT_ESCALATED if escalated else EVENT_REACTIVATED
        return [_Step(row, seq, event, was, row["state"], s.ts_ms, _why(s, "; ".join(notes)))]

    def _activate(self, row: dict, ts_ms: int) -> bool:
        # Keep only the activations that can still fall in one chatter window.
        times = [*json.loads(row["activations"]), ts_ms][-self.chatter_count :]
        row["activations"] = json.dumps(times)
        newly = (
            not row["chattering"]
            and len(times) >= self.chatter_count
            and max(times) - min(times) <= self.chatter_window_ms
        )
        if newly:
            row["chattering"] = True
        return newly

    # -- what people do --------------------------------------------------------------------

    def acknowledge(
        self,
        alarm_id: int,
        username: str,
        comment: str,
        disposition: str | None = None,
        *,
        now_ms: int,
    ) -> Alarm:
        """Acknowledge an unacknowledged alarm with a comment and an optional disposition."""
        username = check_username(username)
        comment = check_text(comment, "comment", MAX_COMMENT_CHARS)
        if disposition is not None and disposition not in DISPOSITIONS:
            raise ValueError(f"disposition must be one of {', '.join(DISPOSITIONS)}")
        with writing(self.db) as conn:
            row = _lock_one(conn, alarm_id)
            was = row["state"]
            if was == ACTIVE_UNACK:
                row["state"] = ACTIVE_ACK
            elif was == CLEARED_UNACK:
                _close(row, now_ms)
            else:
                raise AlarmError(_cannot("acknowledge", alarm_id, was))
            row.update(
                acked_ms=now_ms, acked_by=username, disposition=disposition, updated_ms=now_ms
            )
            reason = f"disposition {disposition}" if disposition else "acknowledged"
            step = _Step(
                row,
                0,
                EVENT_ACKNOWLEDGED,
                was,
                row["state"],
                now_ms,
                reason,
                actor=username,
                comment=comment,
            )
            _update_rows(conn, [row])
            _insert_transitions(conn, [step])
        return _alarm(row)

    def shelve(self, alarm_id: int, username: str, minutes: int, reason: str, now_ms: int) -> Alarm:
        """Shelve an open alarm for 1 to 1440 minutes; shelving a shelved one resets its end."""
        username = check_username(username)
        reason = check_text(reason, "reason", MAX_COMMENT_CHARS)
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise ValueError("minutes must be a whole number")
        if not 1 <= minutes <= MAX_SHELVE_MINUTES:
            raise ValueError(f"minutes must be between 1 and {MAX_SHELVE_MINUTES}")
        with writing(self.db) as conn:
            row = _lock_one(conn, alarm_id)
            was = row["state"]
            if was == CLOSED:
                raise AlarmError(_cannot("shelve", alarm_id, was))
            until = now_ms + minutes * 60_000
            row.update(
                state=SHELVED, shelved_until_ms=until, shelve_reason=reason, updated_ms=now_ms
            )
            step = _Step(
                row,
                0,
                EVENT_SHELVED,
                was,
                SHELVED,
                now_ms,
                f"shelved for {minutes} min until {iso_utc(until)}: {reason}",
                actor=username,
                comment=reason,
            )
            _update_rows(conn, [row])
            _insert_transitions(conn, [step])
        return _alarm(row)

    def unshelve(self, alarm_id: int, username: str, now_ms: int, comment: str = "") -> Alarm:
        """Return a shelved alarm: active_unack if its condition is active, else closed."""
        username = check_username(username)
        comment = check_text(comment, "comment", MAX_COMMENT_CHARS, required=False)
        with writing(self.db) as conn:
            row = _lock_one(conn, alarm_id)
            if row["state"] != SHELVED:
                raise AlarmError(_cannot("unshelve", alarm_id, row["state"]))
            step = _end_shelving(row, EVENT_UNSHELVED, now_ms, "unshelved", username)
            step.comment = comment or None
            _update_rows(conn, [row])
            _insert_transitions(conn, [step])
        return _alarm(row)

    # -- what time does --------------------------------------------------------------------

    def expire_shelving(self, now_ms: int) -> list[AlarmChange]:
        """Return alarms whose shelving has ended: active_unack if active, else closed."""
        t = alarm_table
        query = _locked(sa.select(t).where(t.c.state == SHELVED, t.c.shelved_until_ms <= now_ms))
        with writing(self.db) as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
            steps = [
                _end_shelving(
                    row,
                    EVENT_SHELVING_EXPIRED,
                    now_ms,
                    f"shelving ended at {iso_utc(row['shelved_until_ms'])}",
                    SYSTEM_ACTOR,
                )
                for row in rows
            ]
            _update_rows(conn, rows)
            _insert_transitions(conn, steps)
        return _changes(steps)

    def mark_escalations(self, now_ms: int) -> list[Alarm]:
        """Mark red alarms unacknowledged for escalate_after_s; return each one once."""
        t = alarm_table
        query = _locked(
            sa.select(t).where(
                t.c.state == ACTIVE_UNACK,
                t.c.severity == RED,
                t.c.escalated_ms.is_(None),
                t.c.ack_clock_ms <= now_ms - self.escalate_after_ms,
            )
        )
        with writing(self.db) as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
            reason = f"red alarm unacknowledged for {self.escalate_after_ms / 1000:g} s"
            steps = []
            for row in rows:
                row.update(escalated_ms=now_ms, updated_ms=now_ms)
                steps.append(
                    _Step(row, 0, EVENT_ACK_OVERDUE, ACTIVE_UNACK, ACTIVE_UNACK, now_ms, reason)
                )
            _update_rows(conn, rows)
            _insert_transitions(conn, steps)
        return [_alarm(row) for row in rows]

    # -- reading ---------------------------------------------------------------------------

    def get(self, alarm_id: int) -> Alarm | None:
        """Return one alarm."""
        with self.db.engine.connect() as conn:
            rows = _fetch(conn, sa.select(alarm_table).where(alarm_table.c.id == alarm_id))
        return _alarm(rows[0]) if rows else None

    def detail(self, alarm_id: int, include_phones: bool = False) -> dict | None:
        """Return one alarm as JSON with its transitions and call log (phones if allowed)."""
        tt, ct = alarm_transition_table, call_record_table
        with self.db.engine.connect() as conn:
            row = _fetch(conn, sa.select(alarm_table).where(alarm_table.c.id == alarm_id))
            if not row:
                return None
            transitions = _fetch(conn, sa.select(tt).where(tt.c.alarm_id == alarm_id), tt)
            calls = _fetch(conn, sa.select(ct).where(ct.c.alarm_id == alarm_id), ct)
        return _alarm(row[0]).as_json() | {
            "transitions": [transition_json(r) for r in transitions],
            "calls": [call_json(r, include_phones) for r in calls],
        }

    def list(
        self,
        state: str = "open",
        enterprise: str | None = None,
        site: str | None = None,
        severity: str | None = None,
        since_ms: int | None = None,
        limit: int = 500,
    ) -> list[Alarm]:
        """Return alarms, most severe first, then newest; `since_ms` means changed since."""
        t = alarm_table
        query = sa.select(t)
        if state == "open":
            query = query.where(t.c.state.in_(sorted(OPEN_STATES)))
        elif state in STATES:
            query = query.where(t.c.state == state)
        elif state != "all":
            raise ValueError(f"state must be open, all or one of {', '.join(STATES)}")
        if severity is not None and severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}")
        for column, value in (
            (t.c.enterprise, enterprise),
            (t.c.site, site),
            (t.c.severity, severity),
        ):
            if value is not None:
                query = query.where(column == value)
        if since_ms is not None:
            query = query.where(t.c.updated_ms >= since_ms)
        query = query.order_by(
            sa.case(SEVERITY_RANK, value=t.c.severity, else_=len(SEVERITIES)),
            t.c.raised_ms.desc(),
            t.c.id.desc(),
        ).limit(max(1, min(int(limit), MAX_LIST)))
        with self.db.engine.connect() as conn:
            return [_alarm(r) for r in conn.execute(query).mappings()]

    def open_keys(self) -> dict[tuple[str, str, str, str], str]:
        """Return the key and severity of every open alarm whose condition is active."""
        # Cleared-but-open alarms are left out: a restored rule must raise them again.
        t = alarm_table
        query = sa.select(t.c.enterprise, t.c.site, t.c.source, t.c.rule, t.c.severity).where(
            t.c.open_key.is_not(None), t.c.cleared_ms.is_(None)
        )
        with self.db.engine.connect() as conn:
            return {(e, s, src, r): sev for e, s, src, r, sev in conn.execute(query)}

    def counts_by_severity(
        self, enterprise: str | None = None, site: str | None = None
    ) -> dict[str, int]:
        """Return how many open alarms (shelved included) there are of each severity."""
        t = alarm_table
        query = sa.select(t.c.severity, sa.func.count()).where(t.c.state.in_(sorted(OPEN_STATES)))
        for column, value in ((t.c.enterprise, enterprise), (t.c.site, site)):
            if value is not None:
                query = query.where(column == value)
        with self.db.engine.connect() as conn:
            found = dict(conn.execute(query.group_by(t.c.severity)).all())
        return {s: int(found.get(s, 0)) for s in SEVERITIES}

    def disposition_counts(
        self, since_ms: int | None = None, enterprise: str | None = None
    ) -> dict[str, int]:
        """Return how many alarms acknowledged since `since_ms` got each disposition."""
        t = alarm_table
        query = sa.select(t.c.disposition, sa.func.count()).where(t.c.disposition.is_not(None))
        if since_ms is not None:
            query = query.where(t.c.acked_ms >= since_ms)
        if enterprise is not None:
            query = query.where(t.c.enterprise == enterprise)
        with self.db.engine.connect() as conn:
            found = dict(conn.execute(query.group_by(t.c.disposition)).all())
        return {d: int(found.get(d, 0)) for d in DISPOSITIONS}


@contextmanager
def writing(db: Database) -> Iterator[sa.Connection]:
    """Open a write transaction that holds the write lock from its first statement."""
    with db.engine.connect() as conn:
        if db.dialect == "sqlite":
            # A deferred SQLite transaction that reads then writes fails with "database is
            # locked" when another process wrote meanwhile; IMMEDIATE waits its turn instead.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        yield conn
        conn.commit()


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


def transition_json(r: Any) -> dict[str, Any]:
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


def call_json(r: Any, include_phone: bool) -> dict[str, Any]:
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


def _check_signal(s: AlarmSignal) -> None:
    # Signals come from our own rules: a malformed one is a bug, refused before any write.
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


def _is_retryable(exc: sa.exc.OperationalError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES


def _open_key(key: tuple[str, str, str, str]) -> str:
    return "|".join(key)


def _why(s: AlarmSignal, what: str) -> str:
    return f"{what}: {s.message}" if s.message else f"{what} by rule {s.rule}"


def _value(value: Any) -> float | None:
    # NaN and infinities are not JSON and not comparable; an alarm shows no value instead.
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _take_reading(row: dict, s: AlarmSignal, now_ms: int) -> None:
    row.update(
        value=_value(s.value),
        message=clean_text(s.message, MAX_MESSAGE_CHARS),
        message_key=clean_text(s.message_key, 128),
        params=clean_text(json.dumps(s.params, sort_keys=True, default=str), MAX_PARAMS_CHARS),
        updated_ms=now_ms,
    )
    if s.zone is not None:
        row["zone"] = s.zone


def _new_row(s: AlarmSignal, now_ms: int) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(_UPDATABLE)
    row.update(
        id=None,
        enterprise=s.enterprise,
        site=s.site,
        source=s.source,
        rule=s.rule,
        severity=s.severity,
        state=ACTIVE_UNACK,
        count=1,
        raised_ms=s.ts_ms,
        last_raised_ms=s.ts_ms,
        chattering=False,
        activations=json.dumps([s.ts_ms]),
        ack_clock_ms=now_ms,  # the operator's clock starts when the book shows it
        open_key=_open_key(s.key),
    )
    _take_reading(row, s, now_ms)
    return row


def _clear(row: dict, seq: int, s: AlarmSignal, now_ms: int) -> list[_Step]:
    if row["cleared_ms"] is not None:
        return []  # already cleared: a repeated clear changes nothing
    was = row["state"]
    row.update(cleared_ms=s.ts_ms, updated_ms=now_ms)
    if was == ACTIVE_UNACK:
        row["state"] = CLEARED_UNACK
    elif was == ACTIVE_ACK:
        _close(row, s.ts_ms)
    # Shelved: stays shelved, remembered as cleared through cleared_ms.
    return [
        _Step(
            row,
            seq,
            EVENT_CLEARED,
            was,
            row["state"],
            s.ts_ms,
            _why(s, "condition returned to normal"),
        )
    ]


def _close(row: dict, ts_ms: int) -> None:
    row.update(state=CLOSED, closed_ms=ts_ms, open_key=None, shelved_until_ms=None)


def _end_shelving(row: dict, event: str, now_ms: int, why: str, actor: str) -> _Step:
    # ISA-18.2: an alarm leaving shelving is unacknowledged if its condition is still
    # present, and returns to normal (closed here) if it cleared while shelved.
    if row["cleared_ms"] is None:
        row.update(state=ACTIVE_UNACK, shelved_until_ms=None, ack_clock_ms=now_ms)
    else:
        _close(row, now_ms)
    row["updated_ms"] = now_ms
    to = "active, needs acknowledgement" if row["state"] == ACTIVE_UNACK else "cleared, closed"
    return _Step(row, 0, event, SHELVED, row["state"], now_ms, f"{why} ({to})", actor=actor)


def _cannot(action: str, alarm_id: int, state: str) -> str:
    hint = {
        ACTIVE_ACK: "it is already acknowledged",
        CLOSED: "it is closed",
        SHELVED: "it is shelved; unshelve it first",
    }.get(state, f"it is {state}")
    return f"cannot {action} alarm {alarm_id}: {hint}"


def _locked(query: sa.Select) -> sa.Select:
    # Sorted by open_key, the order apply() locks in, so lockers never wait on each other
    # in a cycle. (SQLite ignores FOR UPDATE: BEGIN IMMEDIATE already serialises writers.)
    return query.order_by(alarm_table.c.open_key).with_for_update()


def _lock_open(conn: sa.Connection, keys: list[str]) -> dict[str, dict]:
    t = alarm_table
    found: dict[str, dict] = {}
    for i in range(0, len(keys), KEY_CHUNK):
        query = sa.select(t).where(t.c.open_key.in_(keys[i : i + KEY_CHUNK]))
        for r in conn.execute(query.order_by(t.c.open_key).with_for_update()).mappings():
            found[r["open_key"]] = dict(r)
    return found


def _lock_one(conn: sa.Connection, alarm_id: int) -> dict:
    t = alarm_table
    row = conn.execute(sa.select(t).where(t.c.id == alarm_id).with_for_update()).mappings().first()
    if row is None:
        raise AlarmNotFound(f"no alarm {alarm_id}")
    return dict(row)


_UPDATE = (
    alarm_table.update()
    .where(alarm_table.c.id == sa.bindparam("b_id"))
    .values({name: sa.bindparam(f"b_{name}") for name in _UPDATABLE})
)


def _update_rows(conn: sa.Connection, rows: list[dict]) -> None:
    if rows:
        conn.execute(_UPDATE, [{f"b_{k}": v for k, v in row.items()} for row in rows])


def _insert_rows(db: Database, conn: sa.Connection, rows: list[dict]) -> set[str]:
    # ON CONFLICT DO NOTHING rather than catching IntegrityError: on PostgreSQL an error
    # aborts the whole transaction, and the batch's other alarms with it.
    if not rows:
        return set()
    t = alarm_table
    stmt = (
        upsert(db, t)
        .on_conflict_do_nothing(index_elements=["open_key"])
        .returning(t.c.id, t.c.open_key)
    )
    rows = sorted(rows, key=lambda r: r["open_key"])  # one order for every worker
    # executemany: SQLAlchemy batches it into multi-row INSERTs and caches the statement.
    params = [{k: v for k, v in row.items() if k != "id"} for row in rows]
    ids = {key: id_ for id_, key in conn.execute(stmt, params)}
    lost: set[str] = set()
    for row in rows:
        if row["open_key"] in ids:
            row["id"] = ids[row["open_key"]]
        else:
            lost.add(row["open_key"])
    return lost


def _insert_transitions(conn: sa.Connection, steps: list[_Step]) -> None:
    if steps:
        conn.execute(alarm_transition_table.insert(), [s.transition_row() for s in steps])


def _changes(steps: list[_Step]) -> list[AlarmChange]:
    alarms: dict[int, Alarm] = {}
    for step in steps:
        if step.row["id"] not in alarms:
            alarms[step.row["id"]] = _alarm(step.row)
    return [
        AlarmChange(
            s.event, alarms[s.row["id"]], s.from_state, s.to_state, s.severity, s.ts_ms, s.reason
        )
        for s in sorted(steps, key=lambda s: s.seq)
    ]


def _alarm(r: Any) -> Alarm:
    values = {name: r[name] for name in _ALARM_FIELDS}
    return Alarm(
        **values | {"params": json.loads(r["params"]), "chattering": bool(r["chattering"])}
    )


def _fetch(conn: sa.Connection, query: sa.Select, ordered_by: sa.Table | None = None) -> list:
    if ordered_by is not None:
        query = query.order_by(ordered_by.c.id)
    return list(conn.execute(query).mappings())
