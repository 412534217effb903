"""The relational store shared by ingest and web processes: engine, schema and its version.

SQLite (one file, WAL) by default, PostgreSQL in production. Every table is declared in
`monitoring.db.schema`, so `Database.start()` creates the same schema whatever else the
process imported. Times are epoch milliseconds.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any, TypeVar

import psycopg
import sqlalchemy as sa
from psycopg.abc import PQGen
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

from monitoring.db.migrations import MIGRATIONS
from monitoring.db.schema import (
    metadata,
    schema_version_table,
)

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
SQLITE_BUSY_TIMEOUT_S = 30.0
# PostgreSQL: every call gives up instead of blocking the calling thread for ever. The
# server ends a statement after STATEMENT_TIMEOUT_S; a server that does not answer at all
# (hung, SIGSTOP, black-holed network) is given up by the client after ANSWER_TIMEOUT_S,
# which cannot come from the server. libpq's connect_timeout is whole seconds.
PG_CONNECT_TIMEOUT_S = 3
PG_STATEMENT_TIMEOUT_S = 5.0
PG_ANSWER_TIMEOUT_S = PG_STATEMENT_TIMEOUT_S + 2.0
PG_IDLE_IN_TRANSACTION_TIMEOUT_S = 60.0
POOL_TIMEOUT_S = 5.0  # waiting for a free pooled connection
SQLITE_WAL_RETRY_S = 0.02  # several processes share one file; writers wait, not fail
# Any constant works; it only has to be the same in every Hazwatch process.
SCHEMA_LOCK_KEY = 0x48415A57  # "HAZW"

# The schema version this code writes. A later change bumps it and adds a migration to
# `monitoring.db.migrations.MIGRATIONS` (version 2: users' session keys). New tables need no
# migration: `create_all` adds them before migrations run.
SCHEMA_VERSION = 2

# An INSERT that can take `on_conflict_do_update`, in the dialect of the database.
Upsert = postgresql.Insert | sqlite.Insert


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer Hazwatch than this one."""


def normalise_url(url: str) -> URL:
    """Parse a database URL, choosing the psycopg 3 driver for plain PostgreSQL URLs."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError as exc:
        raise ValueError(f"database URL is not valid: {exc}") from None
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in SUPPORTED_BACKENDS:
        raise ValueError(
            f"database URL must be sqlite:// or postgresql://, not {parsed.drivername}://"
        )
    return parsed


def upsert(db: Database, table: sa.Table) -> Upsert:
    """Return an INSERT for `table` that supports `on_conflict_do_update` on this backend."""
    dialect_insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
    return dialect_insert(table)


def clean_text(value: str, max_chars: int) -> str:
    """Return text PostgreSQL and SQLite both store: valid UTF-8, no NUL, at most max_chars."""
    # Untrusted text may hold lone surrogates or NULs; PostgreSQL refuses both, and a
    # refused batch would be retried forever by the intake.
    text = value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")
    return text[:max_chars]


class Database:
    """One process's connection pool to the relational store."""

    def __init__(self, url: str) -> None:
        self._url = normalise_url(url)
        self._engine: sa.Engine | None = None

    def __repr__(self) -> str:
        return f"Database({self._url.render_as_string(hide_password=True)!r})"

    @property
    def dialect(self) -> str:
        """Return the backend name: 'sqlite' or 'postgresql'."""
        return self._url.get_backend_name()

    @property
    def engine(self) -> sa.Engine:
        """Return the started engine."""
        if self._engine is None:
            raise RuntimeError("Database.start() has not been called")
        return self._engine

    def start(self) -> None:
        """Create the engine and the missing tables, migrating an older schema."""
        if self._engine is None:
            self._engine = self._create_engine()
        self.ensure_schema()

    def close(self) -> None:
        """Close every pooled connection."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def ensure_schema(self) -> None:
        """Create missing tables and bring the schema to SCHEMA_VERSION, once per database."""
        with self.engine.connect() as conn:
            # Processes starting together must not race to create the same tables.
            if self.dialect == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(SCHEMA_LOCK_KEY)))
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            metadata.create_all(conn, checkfirst=True)
            _migrate(conn)
            conn.commit()

    def schema_version(self) -> int | None:
        """Return the schema version stored in the database."""
        with self.engine.connect() as conn:
            return conn.scalar(sa.select(sa.func.max(schema_version_table.c.version)))

    def _create_engine(self) -> sa.Engine:
        if self.dialect == "postgresql":
            options = (
                f"-c statement_timeout={int(PG_STATEMENT_TIMEOUT_S * 1000)}"
                f" -c idle_in_transaction_session_timeout="
                f"{int(PG_IDLE_IN_TRANSACTION_TIMEOUT_S * 1000)}"
            )
            # pre_ping: a pooled connection may have died with a database restart.
            engine = sa.create_engine(
                self._url,
                pool_pre_ping=True,
                pool_timeout=POOL_TIMEOUT_S,
                connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S, "options": options},
            )
            sa.event.listen(engine, "do_connect", _connect_with_answer_timeout)
            return engine
        # sqlite3's `timeout` is SQLite's busy timeout: a writer waits for the lock.
        engine = sa.create_engine(self._url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        sa.event.listen(engine, "connect", _configure_sqlite)
        return engine


RV = TypeVar("RV")


class AnswerTimeoutConnection(psycopg.Connection[Any]):
    """A psycopg connection that gives up on a server silent for PG_ANSWER_TIMEOUT_S.

    statement_timeout is enforced by the server, so it cannot end a wait on a server that
    is hung; this closes the connection instead (its state is unknown), which SQLAlchemy
    sees as a disconnect and drops from the pool.
    """

    def wait(self, gen: PQGen[RV], interval: float = 0.1, timeout: float | None = None) -> RV:
        """Consume a generator on the connection, at most PG_ANSWER_TIMEOUT_S by default."""
        if timeout is not None:
            return super().wait(gen, interval, timeout)
        try:
            return super().wait(gen, interval, PG_ANSWER_TIMEOUT_S)
        except psycopg.errors._WaitTimeout:  # what `wait(timeout=...)` raises (psycopg 3.2+)
            self.pgconn.finish()
            raise psycopg.OperationalError(
                f"PostgreSQL did not answer within {PG_ANSWER_TIMEOUT_S:g} s"
            ) from None


def _connect_with_answer_timeout(
    _dialect: sa.Dialect, _record: ConnectionPoolEntry, cargs: Any, cparams: Any
) -> AnswerTimeoutConnection:
    return AnswerTimeoutConnection.connect(*cargs, **cparams)


def _configure_sqlite(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets the web process read while an ingest process writes. Switching a fresh
        # file to WAL needs an exclusive lock and SQLite answers "database is locked" at
        # once, without its busy timeout, when processes start together: retry a while.
        deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
        while True:
            try:
                if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                    cursor.execute("PRAGMA journal_mode = WAL")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(SQLITE_WAL_RETRY_S)
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _migrate(conn: sa.Connection) -> None:
    t = schema_version_table
    current = conn.scalar(sa.select(sa.func.max(t.c.version)))
    if current is None:
        # A fresh database: create_all has just made every table at this version.
        conn.execute(t.insert().values(version=SCHEMA_VERSION, applied_ms=_now_ms()))
        return
    if current > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"the database schema is at version {current}, newer than this Hazwatch "
            f"(version {SCHEMA_VERSION}); upgrade Hazwatch or use another database"
        )
    for version in range(current + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[version](conn)
        conn.execute(t.insert().values(version=version, applied_ms=_now_ms()))


def _now_ms() -> int:
    return int(time.time() * 1000)
