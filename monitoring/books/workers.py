"""The worker board: one heartbeat row per ingest worker, read by every web process.

Each ingest process writes its counters here every few seconds; /health adds up the
fresh ones, so a web process reports the ingest however many workers run elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import sqlalchemy as sa

from monitoring.db.database import Database, upsert
from monitoring.db.rows import replace_row
from monitoring.db.schema import MAX_WORKER_ID_CHARS, ingest_worker_table


class WorkerBoard:
    """One heartbeat row per ingest worker, read by every web process for /health."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def heartbeat(
        self, worker_id: str, started_ms: int, now_ms: int, state: Mapping[str, object]
    ) -> None:
        """Write this worker's heartbeat and counters, replacing its previous one."""
        if not worker_id or len(worker_id) > MAX_WORKER_ID_CHARS:
            raise ValueError(f"worker_id must be 1-{MAX_WORKER_ID_CHARS} characters")
        stmt = upsert(self.db, ingest_worker_table).values(
            worker_id=worker_id,
            started_ms=started_ms,
            heartbeat_ms=now_ms,
            state=json.dumps(state, sort_keys=True),
        )
        stmt = replace_row(stmt)
        with self.db.engine.begin() as conn:
            conn.execute(stmt)

    def all(self) -> list[dict[str, object]]:
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
