"""Reads of the alarm book: one alarm, its history, lists and counts for the pages and API.

Nothing here writes or locks; `AlarmBook`'s read methods delegate to these functions.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from monitoring.alarms.model import (
    DEFAULT_PAGE,
    MAX_LIST,
    UNACK_STATES,
    Alarm,
    AlarmPage,
    OpenCount,
    Position,
    alarm_from_row,
    call_json,
    transition_json,
)
from monitoring.db.database import Database
from monitoring.db.schema import alarm_table, alarm_transition_table, call_record_table
from monitoring.signals import (
    DISPOSITIONS,
    OPEN_STATES,
    RULE_SPECIAL_OPERATION,
    SEVERITIES,
    SEVERITY_RANK,
    STATES,
)


def get(db: Database, alarm_id: int) -> Alarm | None:
    """Return one alarm."""
    with db.engine.connect() as conn:
        rows = _fetch(conn, sa.select(alarm_table).where(alarm_table.c.id == alarm_id))
    return alarm_from_row(rows[0]) if rows else None


def detail(db: Database, alarm_id: int, include_phones: bool = False) -> dict[str, Any] | None:
    """Return one alarm as JSON with its transitions and call log (phones if allowed)."""
    tt, ct = alarm_transition_table, call_record_table
    with db.engine.connect() as conn:
        row = _fetch(conn, sa.select(alarm_table).where(alarm_table.c.id == alarm_id))
        if not row:
            return None
        transitions = _fetch(conn, sa.select(tt).where(tt.c.alarm_id == alarm_id), tt)
        calls = _fetch(conn, sa.select(ct).where(ct.c.alarm_id == alarm_id), ct)
    return alarm_from_row(row[0]).as_json() | {
        "transitions": [transition_json(r) for r in transitions],
        "calls": [call_json(r, include_phones) for r in calls],
    }


def list_alarms(
    db: Database,
    state: str = "open",
    enterprise: str | None = None,
    site: str | None = None,
    severity: str | None = None,
    since_ms: int | None = None,
    limit: int = DEFAULT_PAGE,
    after: Position | None = None,
) -> list[Alarm]:
    """Return alarms, most severe first, then newest; `since_ms` means changed since.

    At most `limit` (and MAX_LIST); `after` starts the list after that position.
    """
    filters = (state, enterprise, site, severity, since_ms)
    return _list(db, filters, max(1, min(int(limit), MAX_LIST)), after)


def _list(
    db: Database,
    filters: tuple[str, str | None, str | None, str | None, int | None],
    limit: int,
    after: Position | None,
) -> list[Alarm]:
    t = alarm_table
    query = sa.select(t).where(*_filters(*filters))
    rank = _rank()
    if after is not None:
        query = query.where(
            sa.or_(
                rank > after.rank,
                sa.and_(rank == after.rank, t.c.raised_ms < after.raised_ms),
                sa.and_(rank == after.rank, t.c.raised_ms == after.raised_ms, t.c.id < after.id),
            )
        )
    query = query.order_by(rank, t.c.raised_ms.desc(), t.c.id.desc()).limit(limit)
    with db.engine.connect() as conn:
        return [alarm_from_row(r) for r in conn.execute(query).mappings()]


def count_alarms(
    db: Database,
    state: str = "open",
    enterprise: str | None = None,
    site: str | None = None,
    severity: str | None = None,
    since_ms: int | None = None,
) -> int:
    """Return how many alarms match the filters of `list_alarms` (the database's own count)."""
    query = sa.select(sa.func.count()).select_from(alarm_table)
    query = query.where(*_filters(state, enterprise, site, severity, since_ms))
    with db.engine.connect() as conn:
        return int(conn.scalar(query) or 0)


def page_alarms(
    db: Database,
    state: str = "open",
    enterprise: str | None = None,
    site: str | None = None,
    severity: str | None = None,
    since_ms: int | None = None,
    limit: int = DEFAULT_PAGE,
    after: Position | None = None,
) -> AlarmPage:
    """Return one page of `list_alarms`, how many match in all and where the next page starts."""
    limit = max(1, min(int(limit), MAX_LIST))
    filters = (state, enterprise, site, severity, since_ms)
    found = _list(db, filters, limit + 1, after)  # one more: is there a next page?
    total = count_alarms(db, *filters)
    more = len(found) > limit
    alarms = found[:limit]
    return AlarmPage(alarms, total, Position.of(alarms[-1]) if more else None)


def open_counts(db: Database, enterprise: str | None = None) -> list[OpenCount]:
    """Return the open alarms counted by enterprise, site and severity, with how many of them
    are unacknowledged (by state) and suspected special operations (by rule).

    Every count and colour of the pages comes from these rows (never from a list, which
    has a limit): at most four rows a site however many thousand alarms are open.
    """
    t = alarm_table
    keys = (t.c.enterprise, t.c.site, t.c.severity)
    unack = sa.func.sum(sa.case((t.c.state.in_(sorted(UNACK_STATES)), 1), else_=0))
    special = sa.func.sum(sa.case((t.c.rule == RULE_SPECIAL_OPERATION, 1), else_=0))
    query = sa.select(*keys, sa.func.count(), unack, special, sa.func.max(t.c.raised_ms))
    query = query.where(t.c.state.in_(sorted(OPEN_STATES)))
    if enterprise is not None:
        query = query.where(t.c.enterprise == enterprise)
    with db.engine.connect() as conn:
        rows = conn.execute(query.group_by(*keys)).all()
    return [
        OpenCount(e, site, sev, int(n), int(u), int(so), int(newest))
        for e, site, sev, n, u, so, newest in rows
    ]


def open_ids(db: Database, severity: str | None = None) -> list[int]:
    """Return the ids of the open alarms (of one severity), ascending."""
    t = alarm_table
    query = sa.select(t.c.id).where(t.c.state.in_(sorted(OPEN_STATES)))
    if severity is not None:
        query = query.where(t.c.severity == severity)
    with db.engine.connect() as conn:
        return [int(i) for i in conn.scalars(query.order_by(t.c.id))]


def _rank() -> sa.ColumnElement[int]:
    """Return the severity's rank in SQL: red 0 ... blue 3, anything else after."""
    return sa.case(SEVERITY_RANK, value=alarm_table.c.severity, else_=len(SEVERITIES))


def _filters(
    state: str,
    enterprise: str | None,
    site: str | None,
    severity: str | None,
    since_ms: int | None,
) -> list[sa.ColumnElement[bool]]:
    """Return the WHERE clauses of a list's filters; ValueError for an unknown state."""
    t = alarm_table
    where: list[sa.ColumnElement[bool]] = []
    if state == "open":
        where.append(t.c.state.in_(sorted(OPEN_STATES)))
    elif state in STATES:
        where.append(t.c.state == state)
    elif state != "all":
        raise ValueError(f"state must be open, all or one of {', '.join(STATES)}")
    if severity is not None and severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}")
    for column, value in (
        (t.c.enterprise, enterprise),
        (t.c.site, site),
        (t.c.severity, severity),
    ):
        if value is not None:
            where.append(column == value)
    if since_ms is not None:
        where.append(t.c.updated_ms >= since_ms)
    return where


def open_keys(db: Database) -> dict[tuple[str, str, str, str], str]:
    """Return the key and severity of every open alarm whose condition is active."""
    # Cleared-but-open alarms are left out: a restored rule must raise them again.
    t = alarm_table
    query = sa.select(t.c.enterprise, t.c.site, t.c.source, t.c.rule, t.c.severity).where(
        t.c.open_key.is_not(None), t.c.cleared_ms.is_(None)
    )
    with db.engine.connect() as conn:
        return {(e, s, src, r): sev for e, s, src, r, sev in conn.execute(query)}


def counts_by_severity(
    db: Database, enterprise: str | None = None, site: str | None = None
) -> dict[str, int]:
    """Return how many open alarms (shelved included) there are of each severity."""
    t = alarm_table
    query = sa.select(t.c.severity, sa.func.count()).where(t.c.state.in_(sorted(OPEN_STATES)))
    for column, value in ((t.c.enterprise, enterprise), (t.c.site, site)):
        if value is not None:
            query = query.where(column == value)
    with db.engine.connect() as conn:
        found: dict[str, int] = dict(conn.execute(query.group_by(t.c.severity)).all())
    return {s: int(found.get(s, 0)) for s in SEVERITIES}


def disposition_counts(
    db: Database, since_ms: int | None = None, enterprise: str | None = None
) -> dict[str, int]:
    """Return how many alarms acknowledged since `since_ms` got each disposition."""
    t = alarm_table
    query = sa.select(t.c.disposition, sa.func.count()).where(t.c.disposition.is_not(None))
    if since_ms is not None:
        query = query.where(t.c.acked_ms >= since_ms)
    if enterprise is not None:
        query = query.where(t.c.enterprise == enterprise)
    with db.engine.connect() as conn:
        rows = conn.execute(query.group_by(t.c.disposition)).all()
    found: dict[str | None, int] = dict(rows)
    return {d: int(found.get(d, 0)) for d in DISPOSITIONS}


def _fetch(
    conn: sa.Connection, query: sa.Select[Any], ordered_by: sa.Table | None = None
) -> list[sa.RowMapping]:
    if ordered_by is not None:
        query = query.order_by(ordered_by.c.id)
    return list(conn.execute(query).mappings())
