"""Row-level SQL the books share: replace a row on conflict, and portable greater/lesser.

Both backends spell "insert or update" and GREATEST/LEAST differently; the books build
their statements from these so that a batch is one statement on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa

from monitoring.db.database import Upsert


def replace_row(stmt: Upsert, where: sa.ColumnElement[bool] | None = None) -> Upsert:
    """Make an upsert overwrite every non-key column on a primary-key conflict (if `where`)."""
    table = stmt.table
    if not isinstance(table, sa.Table):  # upsert() is always built on a Table
        raise TypeError(f"replace_row needs an INSERT into a Table, not {table!r}")
    return stmt.on_conflict_do_update(
        index_elements=list(table.primary_key.columns),
        set_={c.name: stmt.excluded[c.name] for c in table.columns if not c.primary_key},
        where=where,
    )


def greater(a: sa.ColumnElement[int], b: sa.ColumnElement[int]) -> sa.Case[int]:
    """Return the larger of two values: GREATEST(a, b), which SQLite spells max(a, b)."""
    return sa.case((a > b, a), else_=b)


def lesser(a: sa.ColumnElement[int], b: sa.ColumnElement[int]) -> sa.Case[int]:
    """Return the smaller of two values: LEAST(a, b), which SQLite spells min(a, b)."""
    return sa.case((a < b, a), else_=b)


def clamp_limit(limit: int, most: int) -> int:
    """Return a LIMIT a caller asked for, brought into 1..most."""
    return max(1, min(int(limit), most))
