"""Sensors that sent readings but are missing from the registry, for the admin page.

One row per (enterprise, site, sensor) with the first and last time it was seen and how
often, so an administrator can register it (and then forget it here).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from monitoring.db.database import Database, upsert
from monitoring.db.rows import clamp_limit, greater, lesser
from monitoring.db.schema import unregistered_sensor_table

MAX_UNREGISTERED_LIST = 5000

Sighting = tuple[str, str, str, int]  # (enterprise, site, sensor, ts_ms)


class UnregisteredSensors:
    """Sensors that sent readings but are missing from the registry."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def seen_many(self, items: Sequence[Sighting]) -> None:
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
                "first_seen_ms": lesser(x.first_seen_ms, t.c.first_seen_ms),
                "last_seen_ms": greater(x.last_seen_ms, t.c.last_seen_ms),
                "count": t.c.count + x.count,
            },
        )
        with self.db.engine.begin() as conn:
            conn.execute(stmt, rows)

    def list(self, limit: int = 500) -> list[dict[str, object]]:
        """Return unregistered sensors, most recently seen first."""
        t = unregistered_sensor_table
        query = (
            sa.select(t)
            .order_by(t.c.last_seen_ms.desc(), t.c.enterprise, t.c.site, t.c.sensor)
            .limit(clamp_limit(limit, MAX_UNREGISTERED_LIST))
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
