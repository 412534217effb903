"""The latest online/offline state of every gateway, as its status messages report it."""

from __future__ import annotations

import time
from collections.abc import Sequence

import sqlalchemy as sa

from monitoring.clock import Clock
from monitoring.db.database import Database, upsert
from monitoring.db.rows import replace_row
from monitoring.db.schema import gateway_status_table
from monitoring.records import GatewayStatus


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
        stmt = replace_row(stmt, where=stmt.excluded.ts_ms >= gateway_status_table.c.ts_ms)
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
