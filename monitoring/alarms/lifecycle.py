"""The ISA-18.2 alarm lifecycle as pure functions over plain alarm rows (contract section 5).

Every transition the book makes is decided here: raising, raising again (count + 1,
chattering), escalating (which un-acknowledges and breaks through shelving), clearing,
acknowledging, shelving and its end, and the unacknowledged-red marker. The functions
change the row dicts they are given and return the `Step`s to record; the book reads and
locks the rows, writes them back and makes their text storable. Nothing here touches a
database or reads a clock: times are passed in.

Times: what a signal reports (raised, cleared) carries the signal's `ts_ms`; what the book
decides or a person does carries the injected `now_ms`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

from monitoring.alarms.model import (
    ACTIVE_ACK,
    ACTIVE_UNACK,
    ALARM_FIELDS,
    CHATTER_COUNT,
    CHATTER_WINDOW_S,
    CLEARED_UNACK,
    CLOSED,
    EVENT_ACK_OVERDUE,
    EVENT_ACKNOWLEDGED,
    EVENT_CLEARED,
    EVENT_ESCALATED,
    EVENT_RAISED,
    EVENT_REACTIVATED,
    EVENT_SHELVED,
    EVENT_SHELVING_EXPIRED,
    EVENT_UNSHELVED,
    SHELVED,
    SYSTEM_ACTOR,
    AlarmChange,
    AlarmError,
    Row,
    alarm_from_row,
)
from monitoring.clock import iso_utc
from monitoring.signals import AlarmSignal, worse

# Every column of a stored alarm but its id: what an Alarm shows plus the book's own
# bookkeeping (the recent activation times, the escalation clock, the unique open key).
ROW_COLUMNS = (
    *(name for name in ALARM_FIELDS if name != "id"),
    "activations",
    "ack_clock_ms",
    "open_key",
)


@dataclass(frozen=True, slots=True)
class Chatter:
    """When an alarm is chattering: `count` activations within `window_ms` (ISA-18.2)."""

    window_ms: int = int(CHATTER_WINDOW_S * 1000)
    count: int = CHATTER_COUNT


@dataclass(slots=True)
class Step:
    """A transition planned in memory; its row gets an id when the book inserts it."""

    row: Row
    seq: int  # the signal's place in its batch: changes are reported in that order
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


# -- signals from the rules ----------------------------------------------------------------


def open_key(key: tuple[str, str, str, str]) -> str:
    """Return the unique key an open alarm of (enterprise, site, source, rule) holds."""
    return "|".join(key)


def plan(
    old: Row | None,
    signals: Sequence[tuple[int, AlarmSignal]],
    now_ms: int,
    chatter: Chatter,
) -> tuple[list[Row], list[Step]]:
    """Apply one key's signals to its open alarm (or none); return the rows and steps."""
    current = dict(old) if old else None
    rows = [current] if current else []
    steps: list[Step] = []
    for seq, s in signals:
        if current is None or current["state"] == CLOSED:
            if s.action == "raise":
                current = new_row(s, now_ms)
                rows.append(current)
                steps.append(
                    Step(current, seq, EVENT_RAISED, None, ACTIVE_UNACK, s.ts_ms, why(s, "raised"))
                )
        elif s.action == "raise":
            steps.extend(raise_again(current, seq, s, now_ms, chatter))
        else:
            steps.extend(clear(current, seq, s, now_ms))
    return rows, steps


def raise_again(row: Row, seq: int, s: AlarmSignal, now_ms: int, chatter: Chatter) -> list[Step]:
    """Apply a raise to an open alarm: new reading, escalation, reactivation, chattering."""
    was, old_severity = row["state"], row["severity"]
    severity = worse(old_severity, s.severity)
    escalated = severity != old_severity
    reactivated = row["cleared_ms"] is not None
    take_reading(row, s, now_ms)
    row["severity"] = severity
    if escalated:
        row["ack_clock_ms"] = now_ms
    notes = [f"severity {old_severity} -> {severity}"] if escalated else []
    if reactivated:
        row["count"] += 1
        row["last_raised_ms"] = s.ts_ms
        row["cleared_ms"] = None
        notes.append(f"raised again (count {row['count']})")
        if activate(row, s.ts_ms, chatter):
            notes.append(
                f"chattering: {chatter.count} activations within {chatter.window_ms / 1000:g} s"
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
    return [Step(row, seq, event, was, row["state"], s.ts_ms, why(s, "; ".join(notes)))]


def activate(row: Row, ts_ms: int, chatter: Chatter) -> bool:
    """Record one activation; tell whether the alarm has just become chattering."""
    # Keep only the activations that can still fall in one chatter window.
    times = [*json.loads(row["activations"]), ts_ms][-chatter.count :]
    row["activations"] = json.dumps(times)
    newly = (
        not row["chattering"]
        and len(times) >= chatter.count
        and max(times) - min(times) <= chatter.window_ms
    )
    if newly:
        row["chattering"] = True
    return newly


def clear(row: Row, seq: int, s: AlarmSignal, now_ms: int) -> list[Step]:
    """Apply a clear to an open alarm; a repeated clear changes nothing."""
    if row["cleared_ms"] is not None:
        return []
    was = row["state"]
    row.update(cleared_ms=s.ts_ms, updated_ms=now_ms)
    if was == ACTIVE_UNACK:
        row["state"] = CLEARED_UNACK
    elif was == ACTIVE_ACK:
        close(row, s.ts_ms)
    # Shelved: stays shelved, remembered as cleared through cleared_ms.
    reason = why(s, "condition returned to normal")
    return [Step(row, seq, EVENT_CLEARED, was, row["state"], s.ts_ms, reason)]


def new_row(s: AlarmSignal, now_ms: int) -> Row:
    """Return the row of a new alarm raised by a signal (no id until inserted)."""
    row: Row = dict.fromkeys(ROW_COLUMNS)
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
        open_key=open_key(s.key),
    )
    take_reading(row, s, now_ms)
    return row


def take_reading(row: Row, s: AlarmSignal, now_ms: int) -> None:
    """Copy a signal's value, message and zone onto the alarm."""
    row.update(
        value=reading_value(s.value),
        message=s.message,
        message_key=s.message_key,
        params=json.dumps(s.params, sort_keys=True, default=str),
        updated_ms=now_ms,
    )
    if s.zone is not None:
        row["zone"] = s.zone


def reading_value(value: float | None) -> float | None:
    """Return a signal's value as the alarm shows it: None unless a finite number."""
    # NaN and infinities are not JSON and not comparable; an alarm shows no value instead.
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def why(s: AlarmSignal, what: str) -> str:
    """Return a transition's reason: what happened, and the rule's message if any."""
    return f"{what}: {s.message}" if s.message else f"{what} by rule {s.rule}"


def close(row: Row, ts_ms: int) -> None:
    """Close an alarm: its open key is freed for the next alarm of the key."""
    row.update(state=CLOSED, closed_ms=ts_ms, open_key=None, shelved_until_ms=None)


# -- what people do ------------------------------------------------------------------------


def acknowledge(
    row: Row, username: str, comment: str, disposition: str | None, now_ms: int
) -> Step:
    """Acknowledge an unacknowledged alarm: active -> active_ack, cleared -> closed."""
    was = row["state"]
    if was == ACTIVE_UNACK:
        row["state"] = ACTIVE_ACK
    elif was == CLEARED_UNACK:
        close(row, now_ms)
    else:
        raise AlarmError(cannot("acknowledge", row["id"], was))
    row.update(acked_ms=now_ms, acked_by=username, disposition=disposition, updated_ms=now_ms)
    reason = f"disposition {disposition}" if disposition else "acknowledged"
    return Step(
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


def shelve(row: Row, username: str, minutes: int, reason: str, now_ms: int) -> Step:
    """Shelve an open alarm for `minutes`; shelving a shelved one resets its end."""
    was = row["state"]
    if was == CLOSED:
        raise AlarmError(cannot("shelve", row["id"], was))
    until = now_ms + minutes * 60_000
    row.update(state=SHELVED, shelved_until_ms=until, shelve_reason=reason, updated_ms=now_ms)
    return Step(
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


def unshelve(row: Row, username: str, comment: str, now_ms: int) -> Step:
    """Return a shelved alarm by hand: active_unack if still active, else closed."""
    if row["state"] != SHELVED:
        raise AlarmError(cannot("unshelve", row["id"], row["state"]))
    step = end_shelving(row, EVENT_UNSHELVED, now_ms, "unshelved", username)
    step.comment = comment or None
    return step


# -- what time does ------------------------------------------------------------------------


def expire_shelving(row: Row, now_ms: int) -> Step:
    """End a shelving whose time is up: active_unack if still active, else closed."""
    cause = f"shelving ended at {iso_utc(row['shelved_until_ms'])}"
    return end_shelving(row, EVENT_SHELVING_EXPIRED, now_ms, cause, SYSTEM_ACTOR)


def end_shelving(row: Row, event: str, now_ms: int, cause: str, actor: str) -> Step:
    """End an alarm's shelving (by hand or by time) the ISA-18.2 way."""
    # ISA-18.2: an alarm leaving shelving is unacknowledged if its condition is still
    # present, and returns to normal (closed here) if it cleared while shelved.
    if row["cleared_ms"] is None:
        row.update(state=ACTIVE_UNACK, shelved_until_ms=None, ack_clock_ms=now_ms)
    else:
        close(row, now_ms)
    row["updated_ms"] = now_ms
    to = "active, needs acknowledgement" if row["state"] == ACTIVE_UNACK else "cleared, closed"
    return Step(row, 0, event, SHELVED, row["state"], now_ms, f"{cause} ({to})", actor=actor)


def mark_overdue(row: Row, now_ms: int, escalate_after_ms: int) -> Step:
    """Mark a red alarm left unacknowledged too long; its state does not change."""
    row.update(escalated_ms=now_ms, updated_ms=now_ms)
    reason = f"red alarm unacknowledged for {escalate_after_ms / 1000:g} s"
    return Step(row, 0, EVENT_ACK_OVERDUE, ACTIVE_UNACK, ACTIVE_UNACK, now_ms, reason)


def cannot(action: str, alarm_id: int, state: str) -> str:
    """Return why a person's action is refused in this state."""
    hint = {
        ACTIVE_ACK: "it is already acknowledged",
        CLOSED: "it is closed",
        SHELVED: "it is shelved; unshelve it first",
    }.get(state, f"it is {state}")
    return f"cannot {action} alarm {alarm_id}: {hint}"


def changes(steps: Sequence[Step]) -> list[AlarmChange]:
    """Return the steps as AlarmChanges in signal order, each with its alarm's final state."""
    alarms = {}
    for step in steps:
        if step.row["id"] not in alarms:
            alarms[step.row["id"]] = alarm_from_row(step.row)
    return [
        AlarmChange(
            s.event, alarms[s.row["id"]], s.from_state, s.to_state, s.severity, s.ts_ms, s.reason
        )
        for s in sorted(steps, key=lambda s: s.seq)
    ]
