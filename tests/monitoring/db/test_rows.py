"""The row helpers the books share, run as SQL on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from monitoring.db.database import upsert
from monitoring.db.rows import clamp_limit, greater, lesser, replace_row
from monitoring.db.schema import gateway_status_table


@pytest.mark.parametrize(
    ("asked", "most", "used"), [(0, 10, 1), (-5, 10, 1), (7, 10, 7), (10**9, 10, 10)]
)
def test_clamp_limit(asked, most, used) -> None:
    assert clamp_limit(asked, most) == used


def test_greater_and_lesser_pick_by_value(db) -> None:
    a, b = sa.literal(3), sa.literal(8)
    with db.engine.connect() as conn:
        assert conn.execute(sa.select(greater(a, b), lesser(a, b))).one() == (8, 3)
        assert conn.execute(sa.select(greater(b, a), lesser(b, a))).one() == (8, 3)


def test_replace_row_overwrites_only_when_allowed(db) -> None:
    t = gateway_status_table
    row = {"enterprise": "e", "site": "s", "state": "online", "ts_ms": 10, "updated_ms": 1}

    def put(**changes) -> None:
        stmt = upsert(db, t)
        stmt = replace_row(stmt, where=stmt.excluded.ts_ms >= t.c.ts_ms)
        with db.engine.begin() as conn:
            conn.execute(stmt, [row | changes])

    put()
    put(state="offline", ts_ms=5, updated_ms=2)  # older: ignored
    put(state="offline", ts_ms=20, updated_ms=3)  # newer: every column replaced
    with db.engine.connect() as conn:
        assert conn.execute(sa.select(t.c.state, t.c.ts_ms, t.c.updated_ms)).all() == [
            ("offline", 20, 3)
        ]
