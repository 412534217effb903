"""What the intake keeps in the relational store besides the time series.

Rejected messages and their counts (contract section 2, "bad input"), the latest report of
every permit, the latest state of every gateway, sensors seen but not registered, and one
heartbeat row per ingest worker for /health. Every batch operation is one transaction of a
few statements, so an ingest process and the web processes can share the store.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import sqlalchemy as sa

from monitoring.clock import iso_utc
from monitoring.db.database import Database, clean_text, upsert
from monitoring.db.schema import (
    MAX_CODE_CHARS,
    MAX_FREE_TEXT_CHARS,
    MAX_TOPIC_CHARS,
    MAX_WORKER_ID_CHARS,
    gateway_status_table,
    ingest_worker_table,
    permit_table,
    reject_count_table,
    rejected_message_table,
    unregistered_sensor_table,
)
from monitoring.records import GatewayStatus, Permit, Rejection

MAX_PAYLOAD_BYTES = 4096  # contract: keep the first 4 KiB of a rejected payload
MAX_REASON_CHARS = 1000
MAX_RECENT = 1000
MAX_UNREGISTERED_LIST = 5000
PRUNE_EVERY = 1000  # inserts between two prunes of the reject log, per RejectLog

Clock = Callable[[], float]
_PERMIT_FIELDS = tuple(f.name for f in fields(Permit))


def _clamp(limit: int, most: int) -> int:
    return max(1, min(int(limit), most))


def _replace_row(stmt: Any, where: Any = None) -> Any:
    # On a primary-key conflict, overwrite every other column with the new row's value.
    table = stmt.table
    return stmt.on_conflict_do_update(
        index_elements=list(table.primary_key.columns),
        set_={c.name: stmt.excluded[c.name] for c in table.columns if not c.primary_key},
        where=where,
    )


def _greater(a: Any, b: Any) -> sa.Case:
    # Portable GREATEST(a, b): SQLite spells it max(a, b), PostgreSQL greatest(a, b).
    return sa.case((a > b, a), else_=b)


def _lesser(a: Any, b: Any) -> sa.Case:
    return sa.case((a < b, a), else_=b)


@dataclass(frozen=True, slots=True)
class RejectedMessage:
    """A rejected message as kept for administrators: topic, first 4 KiB, reason, time."""

    received_ms: int
    topic: str
    payload: bytes
    code: str
    reason: str
    size: int  # bytes of the original payload

    @classmethod
    def from_raw(
        cls, topic: str, payload: bytes, rejection: Rejection, received_ms: int
    ) -> RejectedMessage:
        """Build the kept form of a raw message, truncating topic, payload and reason."""
        return cls(
            received_ms=received_ms,
            topic=clean_text(topic, MAX_TOPIC_CHARS),
            payload=bytes(payload[:MAX_PAYLOAD_BYTES]),
            code=clean_text(rejection.code, MAX_CODE_CHARS),
            reason=clean_text(rejection.detail, MAX_REASON_CHARS),
            size=len(payload),
        )


class RejectLog:
    """Keep the newest rejected messages and count every rejection by code."""

    def __init__(self, db: Database, max_rows: int = 100_000) -> None:
        if max_rows < 1:
            raise ValueError("max_rows must be at least 1")
        self.db = db
        self.max_rows = max_rows
        # Start due, so a process that restarts often still prunes with its first batch.
        self._inserts_since_prune = PRUNE_EVERY

    def record_many(self, items: Sequence[RejectedMessage]) -> None:
        """Store rejected messages and count them, in one transaction."""
        if not items:
            return
        rows = [_reject_row(m) for m in items]
        per_code: dict[str, int] = {}
        for row in rows:
            per_code[row["code"]] = per_code.get(row["code"], 0) + 1
        counts = upsert(self.db, reject_count_table)
        counts = counts.on_conflict_do_update(
            index_elements=["code"],
            set_={"count": reject_count_table.c.count + counts.excluded.count},
        )
        self._inserts_since_prune += len(rows)
        prune = self._inserts_since_prune >= PRUNE_EVERY
        with self.db.engine.begin() as conn:
            conn.execute(rejected_message_table.insert(), rows)
            # Sorted keys: concurrent writers lock counter rows in one order, no deadlock.
            conn.execute(counts, [{"code": c, "count": n} for c, n in sorted(per_code.items())])
            if prune:
                conn.execute(self._prune_statement())
        if prune:
            self._inserts_since_prune = 0

    def _prune_statement(self) -> sa.Delete:
        t = rejected_message_table
        # The id of the newest row that no longer fits; NULL (delete nothing) if all fit.
        oldest_dropped = (
            sa.select(t.c.id).order_by(t.c.id.desc()).offset(self.max_rows).limit(1)
        ).scalar_subquery()
        return t.delete().where(t.c.id <= oldest_dropped)

    def recent(self, limit: int = 100) -> list[dict]:
        """Return the newest rejected messages first (at most 1000)."""
        t = rejected_message_table
        query = sa.select(t).order_by(t.c.id.desc()).limit(_clamp(limit, MAX_RECENT))
        with self.db.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            {
                "id": r["id"],
                "received_at": iso_utc(r["received_ms"]),
                "received_ms": r["received_ms"],
                "topic": r["topic"],
                "payload": bytes(r["payload"]).decode("utf-8", errors="replace"),
                "payload_truncated": r["size"] > len(r["payload"]),
                "size": r["size"],
                "code": r["code"],
                "reason": r["reason"],
            }
            for r in rows
        ]

    def counts(self) -> dict[str, int]:
        """Return how many rejections each code has counted, pruned rows included."""
        t = reject_count_table
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(t.c.code, t.c.count).order_by(t.c.code)).all()
        return {code: int(count) for code, count in rows}

    def total(self) -> int:
        """Return how many rejections have been counted in all."""
        with self.db.engine.connect() as conn:
            total = conn.scalar(sa.select(sa.func.sum(reject_count_table.c.count)))
        return int(total or 0)


def _reject_row(m: RejectedMessage) -> dict[str, Any]:
    # A message built directly rather than by from_raw may still be too long.
    return {
        "received_ms": m.received_ms,
        "topic": clean_text(m.topic, MAX_TOPIC_CHARS),
        "payload": bytes(m.payload[:MAX_PAYLOAD_BYTES]),
        "code": clean_text(m.code, MAX_CODE_CHARS),
        "reason": clean_text(m.reason, MAX_REASON_CHARS),
        "size": m.size,
    }


class PermitBook:
    """The latest report of every special-operation permit."""

    def __init__(self, db: Database, clock: Clock = time.time) -> None:
        self.db = db
        self.clock = clock

    def upsert_many(self, permits: Sequence[Permit]) -> None:
        """Store permits; a permit reported again replaces an older report of it."""
        if not permits:
            return
        latest: dict[tuple[str, str, str], Permit] = {}
        for p in permits:  # one row per key: PostgreSQL refuses to upsert a row twice
            key = (p.enterprise, p.site, p.permit)
            if key not in latest or p.reported_ms >= latest[key].reported_ms:
                latest[key] = p
        now_ms = int(self.clock() * 1000)
        rows = [_permit_row(p, now_ms) for _, p in sorted(latest.items())]
        stmt = upsert(self.db, permit_table)
        # A redelivered or late older report must not undo a newer one (e.g. revive a
        # cancelled permit).
        stmt = _replace_row(stmt, where=stmt.excluded.reported_ms >= permit_table.c.reported_ms)
        with self.db.engine.begin() as conn:
            conn.execute(stmt, rows)

    def get(self, enterprise: str, site: str, permit: str) -> Permit | None:
        """Return one permit."""
        t = permit_table
        query = sa.select(t).where(
            t.c.enterprise == enterprise, t.c.site == site, t.c.permit == permit
        )
        with self.db.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return _permit(row) if row else None

    def list(
        self,
        enterprise: str | None = None,
        site: str | None = None,
        zone: str | None = None,
        active_at_ms: int | None = None,
        status: str | None = None,
        ending_after_ms: int | None = None,
    ) -> list[Permit]:
        """Return permits matching every given filter (active: start <= t < end)."""
        t = permit_table
        query = sa.select(t).order_by(t.c.enterprise, t.c.site, t.c.start_ms, t.c.permit)
        for column, value in (
            (t.c.enterprise, enterprise),
            (t.c.site, site),
            (t.c.zone, zone),
            (t.c.status, status),
        ):
            if value is not None:
                query = query.where(column == value)
        if active_at_ms is not None:
            query = query.where(t.c.start_ms <= active_at_ms, t.c.end_ms > active_at_ms)
        if ending_after_ms is not None:
            query = query.where(t.c.end_ms > ending_after_ms)
        with self.db.engine.connect() as conn:
            return [_permit(r) for r in conn.execute(query).mappings()]

    def covering(self, enterprise: str, site: str, zone: str, ts_ms: int) -> list[Permit]:
        """Return the approved permits for `zone` at `ts_ms`."""
        return self.list(enterprise, site, zone, active_at_ms=ts_ms, status="approved")


def _permit_row(p: Permit, now_ms: int) -> dict[str, Any]:
    # Not dataclasses.asdict: its deep copy is most of the cost of a large batch.
    row = {name: getattr(p, name) for name in _PERMIT_FIELDS}
    for name in ("level", "supervisor"):
        if row[name] is not None:
            row[name] = clean_text(row[name], MAX_FREE_TEXT_CHARS)
    return row | {"updated_ms": now_ms}


def _permit(row: Any) -> Permit:
    return Permit(**{name: row[name] for name in _PERMIT_FIELDS})


class GatewayBook:
    """The latest online/offline state of every gateway."""

    def __init__(self, db: Database, clock: Clock = time.time) -> None:
        self.db = db
        self.clock = clock

    def update_many(self, statuses: Sequence[GatewayStatus]) -> None:
        """Store gateway states; a state older than the stored one is ignored."""
        if not statuses:
            return
        latest: dict[tuple[str, str], GatewayStatus] = {}
        for s in statuses:
            key = (s.enterprise, s.site)
            if key not in latest or s.ts_ms >= latest[key].ts_ms:
                latest[key] = s
        now_ms = int(self.clock() * 1000)
        rows = [
            {
                "enterprise": s.enterprise,
                "site": s.site,
                "state": s.state,
                "ts_ms": s.ts_ms,
                "updated_ms": now_ms,
            }
            for _, s in sorted(latest.items())
        ]
        stmt = upsert(self.db, gateway_status_table)
        stmt = _replace_row(stmt, where=stmt.excluded.ts_ms >= gateway_status_table.c.ts_ms)
        with self.db.engine.begin() as conn:
            conn.execute(stmt, rows)

    def all(self) -> list[GatewayStatus]:
        """Return every gateway's latest state, by enterprise and site."""
        t = gateway_status_table
        query = sa.select(t.c.enterprise, t.c.site, t.c.state, t.c.ts_ms).order_by(
            t.c.enterprise, t.c.site
        )
        with self.db.engine.connect() as conn:
            return [GatewayStatus(*row) for row in conn.execute(query)]

    def get(self, enterprise: str, site: str) -> GatewayStatus | None:
        """Return one gateway's latest state."""
        t = gateway_status_table
        query = sa.select(t.c.enterprise, t.c.site, t.c.state, t.c.ts_ms).where(
            t.c.enterprise == enterprise, t.c.site == site
        )
        with self.db.engine.connect() as conn:
            row = conn.execute(query).first()
        return GatewayStatus(*row) if row else None


class UnregisteredSensors:
    """Sensors that sent readings but are missing from the registry."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def seen_many(self, items: Sequence[tuple[str, str, str, int]]) -> None:
        """Record sightings of (enterprise, site, sensor, ts_ms)."""
        if not items:
            return
        seen: dict[tuple[str, str, str], list[int]] = {}  # key -> [first, last, count]
        for enterprise, site, sensor, ts_ms in items:
            entry = seen.setdefault((enterprise, site, sensor), [ts_ms, ts_ms, 0])
            entry[0] = min(entry[0], ts_ms)
            entry[1] = max(entry[1], ts_ms)
            entry[2] += 1
        names = ("enterprise", "site", "sensor", "first_seen_ms", "last_seen_ms", "count")
        rows = [
            dict(zip(names, (*key, *entry), strict=True)) for key, entry in sorted(seen.items())
        ]
        t = unregistered_sensor_table
        stmt = upsert(self.db, t)
        x = stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=["enterprise", "site", "sensor"],
            set_={
                "first_seen_ms": _lesser(x.first_seen_ms, t.c.first_seen_ms),
                "last_seen_ms": _greater(x.last_seen_ms, t.c.last_seen_ms),
                "count": t.c.count + x.count,
            },
        )
        with self.db.engine.begin() as conn:
            conn.execute(stmt, rows)

    def list(self, limit: int = 500) -> list[dict]:
        """Return unregistered sensors, most recently seen first."""
        t = unregistered_sensor_table
        query = (
            sa.select(t)
            .order_by(t.c.last_seen_ms.desc(), t.c.enterprise, t.c.site, t.c.sensor)
            .limit(_clamp(limit, MAX_UNREGISTERED_LIST))
        )
        with self.db.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def forget(self, enterprise: str, site: str, sensor: str) -> None:
        """Drop a sensor from the list (it has been registered)."""
        t = unregistered_sensor_table
        with self.db.engine.begin() as conn:
            conn.execute(
                t.delete().where(
                    t.c.enterprise == enterprise, t.c.site == site, t.c.sensor == sensor
                )
            )


class WorkerBoard:
    """One heartbeat row per ingest worker, read by every web process for /health."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def heartbeat(self, worker_id: str, started_ms: int, now_ms: int, state: dict) -> None:
        """Write this worker's heartbeat and counters, replacing its previous one."""
        if not worker_id or len(worker_id) > MAX_WORKER_ID_CHARS:
            raise ValueError(f"worker_id must be 1-{MAX_WORKER_ID_CHARS} characters")
        stmt = upsert(self.db, ingest_worker_table).values(
            worker_id=worker_id,
            started_ms=started_ms,
            heartbeat_ms=now_ms,
            state=json.dumps(state, sort_keys=True),
        )
        stmt = _replace_row(stmt)
        with self.db.engine.begin() as conn:
            conn.execute(stmt)

    def all(self) -> list[dict]:
        """Return every worker's last heartbeat, by worker id."""
        t = ingest_worker_table
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(t).order_by(t.c.worker_id)).mappings().all()
        return [
            {
                "worker_id": r["worker_id"],
                "started_ms": r["started_ms"],
                "heartbeat_ms": r["heartbeat_ms"],
                "state": json.loads(r["state"]),
            }
            for r in rows
        ]

    def remove(self, worker_id: str) -> None:
        """Drop a worker's row (it stopped for good)."""
        t = ingest_worker_table
        with self.db.engine.begin() as conn:
            conn.execute(t.delete().where(t.c.worker_id == worker_id))
