"""Special-operation permits: the latest report of each, and who recorded the phoned-in ones.

A gateway reports permits over MQTT; an inspector records one an enterprise reported by
phone (checked by `monitoring.edge.permit_report.permit_from_report`, the same checks as a
gateway's report). Both land in `PermitBook`, so the rules treat them alike;
`PermitRecordings` keeps who entered a phoned-in report and their note, since a gateway's
report has no such fields.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Iterable, Sequence
from dataclasses import fields

import sqlalchemy as sa

from monitoring.clock import Clock
from monitoring.db.database import Database, clean_text, upsert
from monitoring.db.rows import replace_row
from monitoring.db.schema import (
    MAX_FREE_TEXT_CHARS,
    MAX_USERNAME_CHARS,
    permit_recording_table,
    permit_table,
)
from monitoring.edge.permit_report import Recording
from monitoring.records import Permit

MAX_NOTE_CHARS = 1000

_PERMIT_FIELDS = tuple(f.name for f in fields(Permit))
PermitKey = tuple[str, str, str]  # (enterprise, site, permit)


class PermitBook:
    """The latest report of every special-operation permit."""

    def __init__(self, db: Database, clock: Clock = time.time) -> None:
        self.db = db
        self.clock = clock

    def upsert_many(self, permits: Sequence[Permit]) -> None:
        """Store permits; a permit reported again replaces an older report of it."""
        if not permits:
            return
        latest: dict[PermitKey, Permit] = {}
        for p in permits:  # one row per key: PostgreSQL refuses to upsert a row twice
            key = (p.enterprise, p.site, p.permit)
            if key not in latest or p.reported_ms >= latest[key].reported_ms:
                latest[key] = p
        now_ms = int(self.clock() * 1000)
        rows = [_permit_row(p, now_ms) for _, p in sorted(latest.items())]
        stmt = upsert(self.db, permit_table)
        # A redelivered or late older report must not undo a newer one (e.g. revive a
        # cancelled permit).
        stmt = replace_row(stmt, where=stmt.excluded.reported_ms >= permit_table.c.reported_ms)
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

    def covering(
        self, enterprise: str, site: str, zone: str, ts_ms: int
    ) -> builtins.list[Permit]:  # `list` in this class is the method above
        """Return the approved permits for `zone` at `ts_ms`."""
        return self.list(enterprise, site, zone, active_at_ms=ts_ms, status="approved")


def _permit_row(p: Permit, now_ms: int) -> dict[str, object]:
    # Not dataclasses.asdict: its deep copy is most of the cost of a large batch.
    row: dict[str, object] = {name: getattr(p, name) for name in _PERMIT_FIELDS}
    if p.level is not None:
        row["level"] = clean_text(p.level, MAX_FREE_TEXT_CHARS)
    if p.supervisor is not None:
        row["supervisor"] = clean_text(p.supervisor, MAX_FREE_TEXT_CHARS)
    return row | {"updated_ms": now_ms}


def _permit(row: sa.RowMapping) -> Permit:
    return Permit(**{name: row[name] for name in _PERMIT_FIELDS})


class PermitRecordings:
    """Who recorded which permit by phone (an inspector), with their note."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, permit: Permit, username: str, note: str, now_ms: int) -> None:
        """Record that `username` entered this permit report now."""
        if not isinstance(username, str) or not 0 < len(username) <= MAX_USERNAME_CHARS:
            raise ValueError(f"username must be 1-{MAX_USERNAME_CHARS} characters")
        row = {
            "enterprise": permit.enterprise,
            "site": permit.site,
            "permit": permit.permit,
            "username": username,
            "recorded_ms": now_ms,
            "reported_ms": permit.reported_ms,
            "note": clean_text(note or "", MAX_NOTE_CHARS),
        }
        with self.db.engine.begin() as conn:
            conn.execute(permit_recording_table.insert().values(row))

    def latest(self, keys: Iterable[PermitKey]) -> dict[PermitKey, Recording]:
        """Return the latest recording of each (enterprise, site, permit) that has one."""
        wanted = set(keys)
        if not wanted:
            return {}
        t = permit_recording_table
        enterprises = sorted({e for e, _, _ in wanted})
        query = sa.select(t).where(t.c.enterprise.in_(enterprises)).order_by(t.c.id)
        out: dict[PermitKey, Recording] = {}
        with self.db.engine.connect() as conn:
            for r in conn.execute(query).mappings():
                key = (r["enterprise"], r["site"], r["permit"])
                if key in wanted:  # later rows (higher ids) replace earlier ones
                    out[key] = Recording(
                        r["username"], r["recorded_ms"], r["reported_ms"], r["note"]
                    )
        return out
