"""Schema migrations: `MIGRATIONS[n]` brings a schema from version n - 1 to n.

Each runs inside the start-up transaction, under the schema lock, after `create_all` has added
any new table. A migrated database must end up with exactly the schema a fresh one gets
(`tests/monitoring/db/test_schema_upgrade.py` compares them on SQLite and PostgreSQL).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from types import MappingProxyType

import sqlalchemy as sa

from monitoring.db.schema import users_table

Migration = Callable[[sa.Connection], None]
SESSION_KEY_BYTES = 24  # as `monitoring.books.users` makes them


def add_user_session_keys(conn: sa.Connection) -> None:
    """Version 2: every user row gets a random `session_key` (issue 10, revocable sessions).

    Web sessions of release 0.1 named only the user, so none of them names a key: every
    user signs in again once after the upgrade.
    """
    t = users_table
    if conn.dialect.name == "sqlite":
        # SQLite cannot make an added column NOT NULL without a default; rebuilding the table
        # gives it exactly the statement a fresh database has.
        conn.exec_driver_sql("ALTER TABLE app_user RENAME TO app_user_v1")
        t.create(conn)
        old = conn.exec_driver_sql(
            "SELECT username, password_hash, role, created_ms, active FROM app_user_v1"
        ).all()
        if old:
            conn.execute(
                t.insert(),
                [
                    {
                        "username": username,
                        "password_hash": password_hash,
                        "role": role,
                        "created_ms": created_ms,
                        "active": bool(active),
                        "session_key": secrets.token_urlsafe(SESSION_KEY_BYTES),
                    }
                    for username, password_hash, role, created_ms, active in old
                ],
            )
        conn.exec_driver_sql("DROP TABLE app_user_v1")
        return
    conn.exec_driver_sql("ALTER TABLE app_user ADD COLUMN session_key VARCHAR(64)")
    for (username,) in conn.execute(sa.select(t.c.username)).all():
        conn.execute(
            t.update()
            .where(t.c.username == username)
            .values(session_key=secrets.token_urlsafe(SESSION_KEY_BYTES))
        )
    conn.exec_driver_sql("ALTER TABLE app_user ALTER COLUMN session_key SET NOT NULL")


MIGRATIONS: Mapping[int, Migration] = MappingProxyType({2: add_user_session_keys})
