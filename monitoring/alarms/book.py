"""The alarm book: the durable ISA-18.2 lifecycle of every alarm (contract section 5).

Rules emit `AlarmSignal`s; `AlarmBook.apply` turns them into alarms and transitions, and
people acknowledge and shelve them through the same book. Ingest and web processes may be
separate and several: the database itself keeps one open alarm per (enterprise, site,
source, rule) through the unique `open_key`, and every change locks the rows it reads.

This module owns the transactions: locking, writing, the deadlock retry and the re-plan of
an insert lost to another worker. What each transition does is decided in `lifecycle`;
reads live in `queries`, and the read methods here only delegate to them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from monitoring.alarms import bulk, lifecycle, queries
from monitoring.alarms.bulk import BULK_MAX, AlarmFilter, BulkOutcome
from monitoring.alarms.checks import check_signal, check_text, check_username
from monitoring.alarms.lifecycle import Chatter, Step
from monitoring.alarms.model import (
    ACTIVE_UNACK,
    CHATTER_COUNT,
    CHATTER_WINDOW_S,
    DEFAULT_PAGE,
    ESCALATE_AFTER_S,
    MAX_COMMENT_CHARS,
    MAX_MESSAGE_CHARS,
    MAX_MESSAGE_KEY_CHARS,
    MAX_PARAMS_CHARS,
    MAX_SHELVE_MINUTES,
    RED,
    SHELVED,
    Alarm,
    AlarmChange,
    AlarmError,
    AlarmNotFound,
    AlarmPage,
    OpenCount,
    Position,
    Row,
    alarm_from_row,
)
from monitoring.db.database import Database, clean_text, upsert
from monitoring.db.schema import alarm_table, alarm_transition_table
from monitoring.signals import DISPOSITIONS, AlarmSignal

KEY_CHUNK = 500  # keys per IN (...) and rows per INSERT: far below both backends' limits
INSERT_ATTEMPTS = 5  # a key lost to another worker's insert is re-read and re-applied
TRANSACTION_ATTEMPTS = 3  # a batch aborted by a deadlock is redone from the start
_RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock, serialization failure
# Text a signal brings onto an alarm row, and the most of it that is kept.
_SIGNAL_TEXT = {
    "message": MAX_MESSAGE_CHARS,
    "message_key": MAX_MESSAGE_KEY_CHARS,
    "params": MAX_PARAMS_CHARS,
}

_UPDATABLE = tuple(c.name for c in alarm_table.columns if c.name != "id")

SignalsByKey = dict[str, list[tuple[int, AlarmSignal]]]


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
        self.chatter = Chatter(int(chatter_window_s * 1000), chatter_count)

    # -- signals from the rules ------------------------------------------------------------

    def apply(self, signals: Sequence[AlarmSignal], now_ms: int) -> list[AlarmChange]:
        """Apply a batch of rule signals in one transaction; return the transitions made."""
        by_key: SignalsByKey = {}
        for seq, signal in enumerate(signals):
            check_signal(signal)
            by_key.setdefault(lifecycle.open_key(signal.key), []).append((seq, signal))
        if not by_key:
            return []
        for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
            try:
                with writing(self.db) as conn:
                    steps = self._apply_keys(conn, by_key, now_ms)
                    _insert_transitions(conn, steps)
                return lifecycle.changes(steps)
            except sa.exc.OperationalError as exc:
                # A re-read after a lost insert may lock out of key order; PostgreSQL then
                # aborts one side of the rare deadlock, and the whole batch is simply redone.
                if attempt == TRANSACTION_ATTEMPTS or not _is_retryable(exc):
                    raise
        raise AssertionError("unreachable")

    def _apply_keys(self, conn: sa.Connection, by_key: SignalsByKey, now_ms: int) -> list[Step]:
        steps: list[Step] = []
        keys = sorted(by_key)  # one lock order for every worker: no deadlock between them
        for _ in range(INSERT_ATTEMPTS):
            existing = _lock_open(conn, keys)
            updates: list[Row] = []
            inserts: list[Row] = []
            planned: dict[str, list[Step]] = {}
            for key in keys:
                old = existing.get(key)
                rows, planned[key] = lifecycle.plan(old, by_key[key], now_ms, self.chatter)
                for row in rows:
                    _make_storable(row)
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
            step = lifecycle.acknowledge(row, username, comment, disposition, now_ms)
            _update_rows(conn, [row])
            _insert_transitions(conn, [step])
        return alarm_from_row(row)

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
            step = lifecycle.shelve(row, username, minutes, reason, now_ms)
            _update_rows(conn, [row])
            _insert_transitions(conn, [step])
        return alarm_from_row(row)

    def unshelve(self, alarm_id: int, username: str, now_ms: int, comment: str = "") -> Alarm:
        """Return a shelved alarm: active_unack if its condition is active, else closed."""
        username = check_username(username)
        comment = check_text(comment, "comment", MAX_COMMENT_CHARS, required=False)
        with writing(self.db) as conn:
            row = _lock_one(conn, alarm_id)
            step = lifecycle.unshelve(row, username, comment, now_ms)
            _update_rows(conn, [row])
            _insert_transitions(conn, [step])
        return alarm_from_row(row)

    # -- what people do to many alarms at once (see monitoring.alarms.bulk) ----------------

    def acknowledge_many(
        self,
        alarm_ids: Sequence[int],
        username: str,
        comment: str,
        disposition: str | None = None,
        *,
        now_ms: int,
    ) -> list[BulkOutcome]:
        """Acknowledge each alarm like `acknowledge`, in one transaction; report each one."""
        username = check_username(username)
        comment = check_text(comment, "comment", MAX_COMMENT_CHARS)
        if disposition is not None and disposition not in DISPOSITIONS:
            raise ValueError(f"disposition must be one of {', '.join(DISPOSITIONS)}")
        return self._act_on_many(
            alarm_ids,
            lambda row: lifecycle.acknowledge(row, username, comment, disposition, now_ms),
        )

    def shelve_many(
        self, alarm_ids: Sequence[int], username: str, minutes: int, reason: str, now_ms: int
    ) -> list[BulkOutcome]:
        """Shelve each alarm like `shelve`, in one transaction; report each one."""
        username = check_username(username)
        reason = check_text(reason, "reason", MAX_COMMENT_CHARS)
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise ValueError("minutes must be a whole number")
        if not 1 <= minutes <= MAX_SHELVE_MINUTES:
            raise ValueError(f"minutes must be between 1 and {MAX_SHELVE_MINUTES}")
        return self._act_on_many(
            alarm_ids, lambda row: lifecycle.shelve(row, username, minutes, reason, now_ms)
        )

    def _act_on_many(
        self, alarm_ids: Sequence[int], act: Callable[[Row], Step]
    ) -> list[BulkOutcome]:
        ids = bulk.check_ids(alarm_ids, allow_empty=True)  # a filter may match none
        outcomes: list[BulkOutcome] = []
        with writing(self.db) as conn:
            rows = _lock_ids(conn, ids)
            changed, steps = [], []
            for alarm_id in ids:
                row = rows.get(alarm_id)
                if row is None:
                    outcomes.append(BulkOutcome(alarm_id, bulk.NOT_FOUND))
                    continue
                try:
                    steps.append(act(row))
                except AlarmError as exc:
                    outcomes.append(BulkOutcome(alarm_id, bulk.REFUSED, row["state"], str(exc)))
                    continue
                changed.append(row)
                outcomes.append(BulkOutcome(alarm_id, bulk.DONE, row["state"]))
            _update_rows(conn, changed)
            _insert_transitions(conn, steps)
        return outcomes

    def matching_ids(
        self, where: AlarmFilter, states: frozenset[str], limit: int = BULK_MAX
    ) -> tuple[list[int], int]:
        """Return up to `limit` ids of alarms matching, oldest first, and how many match."""
        t = alarm_table
        wanted = states & {where.state} if where.state else states
        query = sa.select(t.c.id).where(t.c.state.in_(sorted(wanted)))
        for name in ("enterprise", "site", "severity", "rule", "source"):
            value = getattr(where, name)
            if value is not None:
                query = query.where(t.c[name] == value)
        with self.db.engine.connect() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery()))
            found = conn.execute(query.order_by(t.c.id).limit(max(0, limit))).scalars()
            return list(found), int(total.scalar_one())

    # -- what time does --------------------------------------------------------------------

    def expire_shelving(self, now_ms: int) -> list[AlarmChange]:
        """Return alarms whose shelving has ended: active_unack if active, else closed."""
        t = alarm_table
        query = _locked(sa.select(t).where(t.c.state == SHELVED, t.c.shelved_until_ms <= now_ms))
        with writing(self.db) as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
            steps = [lifecycle.expire_shelving(row, now_ms) for row in rows]
            _update_rows(conn, rows)
            _insert_transitions(conn, steps)
        return lifecycle.changes(steps)

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
            steps = [lifecycle.mark_overdue(row, now_ms, self.escalate_after_ms) for row in rows]
            _update_rows(conn, rows)
            _insert_transitions(conn, steps)
        return [alarm_from_row(row) for row in rows]

    # -- reading (see monitoring.alarms.queries) -------------------------------------------

    def get(self, alarm_id: int) -> Alarm | None:
        """Return one alarm."""
        return queries.get(self.db, alarm_id)

    def detail(self, alarm_id: int, include_phones: bool = False) -> dict[str, Any] | None:
        """Return one alarm as JSON with its transitions and call log (phones if allowed)."""
        return queries.detail(self.db, alarm_id, include_phones)

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
        return queries.list_alarms(self.db, state, enterprise, site, severity, since_ms, limit)

    def open_keys(self) -> dict[tuple[str, str, str, str], str]:
        """Return the key and severity of every open alarm whose condition is active."""
        return queries.open_keys(self.db)

    def counts_by_severity(
        self, enterprise: str | None = None, site: str | None = None
    ) -> dict[str, int]:
        """Return how many open alarms (shelved included) there are of each severity."""
        return queries.counts_by_severity(self.db, enterprise, site)

    def page(
        self,
        state: str = "open",
        enterprise: str | None = None,
        site: str | None = None,
        severity: str | None = None,
        since_ms: int | None = None,
        limit: int = DEFAULT_PAGE,
        after: Position | None = None,
    ) -> AlarmPage:
        """Return one page of alarms (in `list` order) after `after`, with the total count."""
        return queries.page_alarms(
            self.db, state, enterprise, site, severity, since_ms, limit, after
        )

    def open_counts(self, enterprise: str | None = None) -> Sequence[OpenCount]:
        """Return the open alarms counted by enterprise, site, severity, state and rule."""
        return queries.open_counts(self.db, enterprise)

    def open_ids(self, severity: str | None = None) -> Sequence[int]:
        """Return the ids of the open alarms (of one severity), ascending."""
        return queries.open_ids(self.db, severity)

    def disposition_counts(
        self, since_ms: int | None = None, enterprise: str | None = None
    ) -> dict[str, int]:
        """Return how many alarms acknowledged since `since_ms` got each disposition."""
        return queries.disposition_counts(self.db, since_ms, enterprise)


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


def _is_retryable(exc: sa.exc.OperationalError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES


def _make_storable(row: Row) -> None:
    # Signal text is untrusted enough to hold NULs or lone surrogates (PostgreSQL refuses
    # both); made storable before comparing, so an unchanged alarm is not rewritten.
    for name, most in _SIGNAL_TEXT.items():
        row[name] = clean_text(row[name], most)


def _locked(query: sa.Select[Any]) -> sa.Select[Any]:
    # Sorted by open_key, the order apply() locks in, so lockers never wait on each other
    # in a cycle. (SQLite ignores FOR UPDATE: BEGIN IMMEDIATE already serialises writers.)
    return query.order_by(alarm_table.c.open_key).with_for_update()


def _lock_open(conn: sa.Connection, keys: list[str]) -> dict[str, Row]:
    t = alarm_table
    found: dict[str, Row] = {}
    for i in range(0, len(keys), KEY_CHUNK):
        query = sa.select(t).where(t.c.open_key.in_(keys[i : i + KEY_CHUNK]))
        for r in conn.execute(query.order_by(t.c.open_key).with_for_update()).mappings():
            found[r["open_key"]] = dict(r)
    return found


def _lock_one(conn: sa.Connection, alarm_id: int) -> Row:
    t = alarm_table
    row = conn.execute(sa.select(t).where(t.c.id == alarm_id).with_for_update()).mappings().first()
    if row is None:
        raise AlarmNotFound(f"no alarm {alarm_id}")
    return dict(row)


def _lock_ids(conn: sa.Connection, ids: Sequence[int]) -> dict[int, Row]:
    # Locked in chunks in open_key order, the order apply() locks in, so a bulk action and
    # the rules never wait on each other in a cycle (closed alarms, without a key, last).
    t = alarm_table
    keys: dict[int, str | None] = {}
    for i in range(0, len(ids), KEY_CHUNK):
        query = sa.select(t.c.id, t.c.open_key).where(t.c.id.in_(ids[i : i + KEY_CHUNK]))
        keys.update((row[0], row[1]) for row in conn.execute(query))
    ordered = sorted(keys, key=lambda i: (keys[i] is None, keys[i] or "", i))
    found: dict[int, Row] = {}
    for i in range(0, len(ordered), KEY_CHUNK):
        query = _locked(sa.select(t).where(t.c.id.in_(ordered[i : i + KEY_CHUNK])))
        for r in conn.execute(query).mappings():
            found[r["id"]] = dict(r)
    return found


_UPDATE = (
    alarm_table.update()
    .where(alarm_table.c.id == sa.bindparam("b_id"))
    .values({name: sa.bindparam(f"b_{name}") for name in _UPDATABLE})
)


def _update_rows(conn: sa.Connection, rows: list[Row]) -> None:
    if rows:
        conn.execute(_UPDATE, [{f"b_{k}": v for k, v in row.items()} for row in rows])


def _insert_rows(db: Database, conn: sa.Connection, rows: list[Row]) -> set[str]:
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


def _insert_transitions(conn: sa.Connection, steps: list[Step]) -> None:
    if steps:
        conn.execute(alarm_transition_table.insert(), [_transition_row(s) for s in steps])


def _transition_row(step: Step) -> Row:
    return {
        "alarm_id": step.row["id"],
        "ts_ms": step.ts_ms,
        "event": step.event,
        "from_state": step.from_state,
        "to_state": step.to_state,
        "severity": step.severity,
        "actor": step.actor,
        "reason": clean_text(step.reason, MAX_MESSAGE_CHARS),
        "comment": step.comment,
    }
