"""The relational side of intake: one object the pipeline writes rejects, permits and status to.

Each book lives in its own module (`rejects`, `permits`, `gateways`, `unregistered`,
`workers`); `IntakeBooks` is the set of them one ingest worker writes a batch to.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from monitoring.books.gateways import GatewayBook
from monitoring.books.permits import PermitBook
from monitoring.books.rejects import RejectedMessage, RejectLog
from monitoring.books.unregistered import Sighting, UnregisteredSensors
from monitoring.books.workers import WorkerBoard
from monitoring.db.database import Database
from monitoring.records import GatewayStatus, Permit, Rejection

STORE_REJECTED_TOPIC = "(store)"


@dataclass
class IntakeBooks:
    """Every book intake writes to, over one relational store."""

    rejects: RejectLog
    permits: PermitBook
    gateways: GatewayBook
    unregistered: UnregisteredSensors
    workers: WorkerBoard

    @classmethod
    def open(cls, db: Database) -> IntakeBooks:
        """Return the books over a started database."""
        return cls(
            RejectLog(db), PermitBook(db), GatewayBook(db), UnregisteredSensors(db), WorkerBoard(db)
        )

    def record(
        self,
        rejects: Sequence[RejectedMessage],
        permits: Sequence[Permit],
        statuses: Sequence[GatewayStatus],
        unregistered: Sequence[Sighting],
    ) -> None:
        """Keep one batch's relational records (each write is idempotent on redelivery)."""
        if rejects:
            self.rejects.record_many(rejects)
        if permits:
            self.permits.upsert_many(permits)
        if statuses:
            self.gateways.update_many(statuses)
        if unregistered:
            self.unregistered.seen_many(unregistered)

    def store_rejected(self, reason: str, points: int) -> None:
        """Keep a note that the time-series store refused a batch for good."""
        now_ms = int(time.time() * 1000)
        detail = f"the store refused {points} points: {reason}"
        self.rejects.record_many(
            [
                RejectedMessage.from_raw(
                    STORE_REJECTED_TOPIC, b"", Rejection("store_rejected", detail), now_ms
                )
            ]
        )

    def heartbeat(
        self, worker_id: str, started_ms: int, now_ms: int, state: Mapping[str, object]
    ) -> None:
        """Publish this worker's counters for /health."""
        self.workers.heartbeat(worker_id, started_ms, now_ms, state)

    def status(self) -> dict[str, object]:
        """Return nothing extra: written straight to the database, nothing waits here."""
        return {}
