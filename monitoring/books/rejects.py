"""The reject log: rejected messages kept for administrators, and a count per reason code.

Contract section 2, "bad input": a message the edge refuses is kept (its topic, the first
4 KiB of its payload and the reason) and counted, never only logged. The newest rows are
kept; the counts include the pruned ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypedDict

import sqlalchemy as sa

from monitoring.clock import iso_utc
from monitoring.db.database import Database, clean_text, upsert
from monitoring.db.rows import clamp_limit
from monitoring.db.schema import (
    MAX_CODE_CHARS,
    MAX_TOPIC_CHARS,
    reject_count_table,
    rejected_message_table,
)
from monitoring.records import Rejection

MAX_PAYLOAD_BYTES = 4096  # contract: keep the first 4 KiB of a rejected payload
MAX_REASON_CHARS = 1000
MAX_RECENT = 1000
PRUNE_EVERY = 1000  # inserts between two prunes of the reject log, per RejectLog


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

    def recent(self, limit: int = 100) -> list[dict[str, object]]:
        """Return the newest rejected messages first (at most 1000)."""
        t = rejected_message_table
        query = sa.select(t).order_by(t.c.id.desc()).limit(clamp_limit(limit, MAX_RECENT))
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


class _RejectRow(TypedDict):
    received_ms: int
    topic: str
    payload: bytes
    code: str
    reason: str
    size: int


def _reject_row(m: RejectedMessage) -> _RejectRow:
    # A message built directly rather than by from_raw may still be too long.
    return {
        "received_ms": m.received_ms,
        "topic": clean_text(m.topic, MAX_TOPIC_CHARS),
        "payload": bytes(m.payload[:MAX_PAYLOAD_BYTES]),
        "code": clean_text(m.code, MAX_CODE_CHARS),
        "reason": clean_text(m.reason, MAX_REASON_CHARS),
        "size": m.size,
    }
